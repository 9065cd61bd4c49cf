"""The audit trail: every service records who did what, as which organization, to which object,
and to whose data (`subject_org_ids`).

An event is read by the admins of the acting organization and by the admins of every
organization it touched (docs/visibility.md, AuditEvent): Amazon's receipt into ORG-003's stock
shows in ORG-003's audit log, a partner's upgrade billed to the network root in the root's.
Whose data an event touches comes from two places, united:

- the service says so where it knows (`subject_orgs=`): the owners of the stock a ledger batch
  posts, the network whose bill a plan change moves;
- the target says so (`SUBJECTS`, by model): a shipment's owner, shipper and receiver, a
  purchase order's buyer (and its supplier once sent), both sides of a partnership, a
  membership's organization. A model not listed falls back to its common foreign keys
  (`FALLBACK_FIELDS`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.db import models

from rls.context import bypass

from .models import AuditEvent, AuditEventOrg

if TYPE_CHECKING:
    from .access import Scope


def audit(
    *,
    scope: Scope | None,
    action: str,
    target: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    acting_org_id: int | None = None,
    subject_orgs: Iterable[int | models.Model | None] = (),
) -> AuditEvent:
    """Record one AuditEvent; called by every service inside its transaction.

    `subject_orgs`: organizations (or their ids) whose data the event touches beyond what the
    target names (see `subject_org_ids_of`).

    Written under the RLS bypass: the record belongs to the system, and the actor (a member,
    a partner) may not be allowed to read it back (AuditEvent is visible to administrators)."""
    with bypass(reason=f"audit {action}"):
        subjects = subject_org_ids_of(target, extra=subject_orgs)
        return _create(scope, action, target, before, after, acting_org_id, subjects)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields an update changes, in `before`'s order."""
    return [k for k in before if before[k] != after[k]]


def audit_changes(
    *,
    scope: Scope | None,
    action: str,
    target: models.Model,
    before: dict[str, Any],
    after: dict[str, Any],
    changed: list[str],
) -> AuditEvent:
    """An update's record: only the changed fields, each with its old and new value."""
    return audit(
        scope=scope,
        action=action,
        target=target,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )


def _create(scope, action, target, before, after, acting_org_id, subjects) -> AuditEvent:
    event = AuditEvent.objects.create(
        actor_id=scope.user_id if scope else None,
        acting_org_id=acting_org_id or (scope.org_id if scope else None),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "public_id", None) or target.pk),
        target_repr=str(target)[:300],
        before=before,
        after=after,
        subject_org_ids=subjects,
    )
    readers = {*subjects, event.acting_org_id} - {None}
    AuditEventOrg.objects.bulk_create(
        AuditEventOrg(event=event, organization_id=org_id) for org_id in sorted(readers)
    )
    return event


def audit_bypass(*, scope: Scope | None, reason: str) -> AuditEvent:
    """Record that platform staff read past row-level security (once per session; the
    middleware calls it inside the bypass, through `rls.context.bypass(audit=...)`)."""
    return AuditEvent.objects.create(
        actor_id=scope.user_id if scope else None,
        action="rls.bypass",
        target_type="rls",
        target_id="-",
        target_repr=reason[:300],
    )


# --- whose data an event touches ---------------------------------------------------------------


def _paths(*paths: str) -> Callable[[Any], Iterable[int | None]]:
    """Organization ids read along dotted attribute paths ("shipment.receiver_id"); a missing
    link (a null foreign key) gives nothing. Runs under the audit's bypass."""

    def resolve(obj: Any) -> list[int | None]:
        out: list[int | None] = []
        for path in paths:
            value = obj
            for name in path.split("."):
                value = getattr(value, name, None)
                if value is None:
                    break
            out.append(value)
        return out

    return resolve


def _purchase_order(po: Any) -> list[int | None]:
    """A draft is the buyer's alone; once sent, the supplier's too (docs/visibility.md)."""
    return [po.buyer_id] if po.sent_at is None else [po.buyer_id, po.supplier_org_id]


# The goods' owner, the sender, the receiver (operator of the destination), and the operator of
# the origin (a return picked from a partner's warehouse): a shipment's parties.
_SHIPMENT_SIDES = ("owner_id", "shipper_id", "receiver_id", "origin.operator_id")

# Whose data an event on each kind of target touches, by model label (rows of
# docs/visibility.md: the organizations whose admins may read the object).
SUBJECTS: dict[str, Callable[[Any], Iterable[int | None]]] = {
    "orgs.organization": _paths("pk"),
    "orgs.organizationrelationship": _paths("parent_id", "child_id"),
    "orgs.location": _paths("operator_id"),
    "orgs.membership": _paths("organization_id"),
    "orgs.membershipinvitation": _paths("organization_id"),
    # A party's `organization` is the tenant it became: the record stays its owner's.
    "orgs.party": _paths("owner_id"),
    "orgs.partycontact": _paths("party.owner_id"),
    "partnerships.partnership": _paths("relationship.parent_id", "relationship.child_id"),
    "partnerships.invitation": _paths("inviting_org_id"),
    "partnerships.message": _paths(
        "partnership.relationship.parent_id", "partnership.relationship.child_id"
    ),
    "inventory.product": _paths("owner_id"),
    "inventory.transfer": _paths("owner_id"),
    "inventory.stockcount": _paths("owner_id"),
    # A ledger batch names no owner: `stock_post` passes the owners of its postings.
    "inventory.ledgerbatch": _paths(),
    "shipments.shipment": _paths(*_SHIPMENT_SIDES),
    "shipments.asn": _paths(*(f"shipment.{f}" for f in _SHIPMENT_SIDES)),
    "shipments.receipt": _paths(*(f"asn.shipment.{f}" for f in _SHIPMENT_SIDES)),
    "shipments.discrepancycase": _paths(*(f"shipment.{f}" for f in _SHIPMENT_SIDES)),
    "procurement.purchaseorder": _purchase_order,
    "billing.subscription": _paths("organization_id", "payer_id"),
    "billing.checkout": _paths("organization_id"),
    "billing.planoverride": _paths("organization_id"),
    # The requesting partner and the network root whose bill it would raise.
    "billing.sponsoredupgraderequest": _paths("organization_id", "network_id"),
    "api.apitoken": _paths("organization_id"),
    # A person's own settings (notification preferences) touch no organization's data.
    "accounts.user": _paths(),
}

# A model not listed above: its organization foreign keys by their usual names.
FALLBACK_FIELDS = (
    "owner_id",
    "organization_id",
    "buyer_id",
    "supplier_org_id",
    "shipper_id",
    "receiver_id",
    "payer_id",
    "inviting_org_id",
    "operator_id",
)


def subject_org_ids_of(
    target: models.Model, *, extra: Iterable[int | models.Model | None] = ()
) -> list[int]:
    """The organizations an event on `target` touches: the target's rule (or the fallback
    foreign keys) plus `extra`, sorted, without duplicates."""
    rule = SUBJECTS.get(target._meta.label_lower, _paths(*FALLBACK_FIELDS))
    ids = {i for i in rule(target) if i is not None}
    for item in extra:
        if isinstance(item, models.Model):
            item = item.pk
        if item is not None:
            ids.add(int(item))
    return sorted(ids)


# --- how the audit log page says it ------------------------------------------------------------

# What each recorded action means, in words; an unknown code reads as its words (`action_label`).
ACTION_LABELS: dict[str, str] = {
    "admin.add": "Added in the admin",
    "admin.change": "Changed in the admin",
    "api_token.create": "Created an API token",
    "api_token.revoke": "Revoked an API token",
    "asn.confirm_receipt": "Confirmed a receipt",
    "asn.create": "Sent an ASN",
    "billing.checkout_simulated_paid": "Paid a checkout (simulated)",
    "billing.checkout_start": "Started a checkout",
    "billing.checkout_stripe_session": "Opened a Stripe checkout",
    "billing.payment_failed": "Payment failed",
    "billing.payment_recovered": "Payment recovered",
    "billing.plan_change": "Changed the plan",
    "billing.plan_override": "Overrode the plan (staff)",
    "billing.sponsored_upgrade_approve": "Approved a sponsored upgrade",
    "billing.sponsored_upgrade_cancel": "Withdrew a sponsored upgrade request",
    "billing.sponsored_upgrade_decline": "Declined a sponsored upgrade",
    "billing.sponsored_upgrade_request": "Asked the network to sponsor an upgrade",
    "count.create": "Started a stock count",
    "count.post": "Posted a stock count",
    "count.record": "Recorded counted quantities",
    "discrepancy.dispute": "Disputed a discrepancy",
    "discrepancy.message": "Wrote on a discrepancy case",
    "discrepancy.open": "Opened a discrepancy case",
    "discrepancy.resolve": "Resolved a discrepancy case",
    "invitation.accept": "Accepted an invitation",
    "invitation.create": "Invited a partner",
    "invitation.resend": "Resent an invitation",
    "invitation.revoke": "Revoked an invitation",
    "location.create": "Added a location",
    "location.update": "Changed a location",
    "membership.change_role": "Changed a member's role",
    "membership.create": "Added a member",
    "membership.deactivate": "Deactivated a member",
    "membership.invite": "Invited a member",
    "membership.reactivate": "Reactivated a member",
    "membership.set_locations": "Changed a member's locations",
    "membership_invitation.accept": "Accepted a membership invitation",
    "membership_invitation.create": "Invited a person to join",
    "membership_invitation.decline": "Declined a membership invitation",
    "membership_invitation.resend": "Resent a membership invitation",
    "membership_invitation.revoke": "Revoked a membership invitation",
    "message.post": "Wrote a partnership message",
    "notifications.preferences": "Changed notification preferences",
    "organization.create": "Created an organization",
    "organization.register": "Registered an organization",
    "organization.two_factor_policy": "Changed the two-factor requirement",
    "organization.update": "Changed organization settings",
    "partnership.activate": "Activated a partnership",
    "partnership.end": "Ended a partnership",
    "partnership.preview": "Viewed as the partner",
    "partnership.preview_stop": "Stopped viewing as the partner",
    "partnership.update": "Changed partnership terms",
    "party.became_tenant": "A party joined as an organization",
    "party.contact_add": "Added a party contact",
    "party.create": "Recorded a party",
    "party.update": "Changed a party",
    "product.bom_set": "Changed a bill of materials",
    "product.create": "Added a product",
    "product.import": "Imported products",
    "product.update": "Changed a product",
    "purchase_order.acknowledge": "Acknowledged a purchase order",
    "purchase_order.cancel": "Cancelled a purchase order",
    "purchase_order.close": "Closed a purchase order",
    "purchase_order.create": "Drafted a purchase order",
    "purchase_order.send": "Sent a purchase order",
    "relationship.create": "Linked organizations",
    "rls.bypass": "Read past row-level security (staff)",
    "shipment.book": "Booked a shipment",
    "shipment.cancel": "Cancelled a shipment",
    "shipment.create": "Created a shipment",
    "shipment.deliver": "Recorded a delivery",
    "shipment.ship": "Shipped a shipment",
    "stock.adjustment": "Adjusted stock",
    "stock.count_correction": "Corrected stock after a count",
    "stock.opening": "Posted opening stock",
    "stock.receipt": "Received stock",
    "stock.sell_through": "Reported sell-through",
    "stock.shipment": "Shipped stock out",
    "stock.transfer_in": "Received a transfer",
    "stock.transfer_out": "Sent a transfer",
    "transfer.create": "Started a transfer",
    "transfer.receive": "Received a transfer",
    "user.two_factor_backup_codes": "Renewed two-factor backup codes",
    "user.two_factor_disable": "Turned off two-factor sign-in",
    "user.two_factor_enable": "Turned on two-factor sign-in",
    "user.update_profile": "Changed a profile",
}

# Kinds of objects (the event's target_type), in words.
OBJECT_TYPES: dict[str, str] = {
    "accounts.user": "Person",
    "api.apitoken": "API token",
    "billing.checkout": "Checkout",
    "billing.planoverride": "Plan override",
    "billing.sponsoredupgraderequest": "Sponsored upgrade request",
    "billing.subscription": "Subscription",
    "inventory.ledgerbatch": "Stock movement",
    "inventory.product": "Product",
    "inventory.stockcount": "Stock count",
    "inventory.transfer": "Transfer",
    "orgs.location": "Location",
    "orgs.membership": "Membership",
    "orgs.membershipinvitation": "Membership invitation",
    "orgs.organization": "Organization",
    "orgs.organizationrelationship": "Organization link",
    "orgs.party": "Party",
    "orgs.partycontact": "Party contact",
    "partnerships.invitation": "Invitation",
    "partnerships.message": "Message",
    "partnerships.partnership": "Partnership",
    "procurement.purchaseorder": "Purchase order",
    "shipments.asn": "ASN",
    "shipments.discrepancycase": "Discrepancy case",
    "shipments.receipt": "Receipt",
    "shipments.shipment": "Shipment",
}

# Fields of a payload that name the acting side's own locations (a shipment's origin): shown to
# the acting organization's admins only, as a document's far end is (docs/visibility.md).
ACTOR_ONLY_FIELDS = frozenset(
    {"origin", "destination", "ship_to", "location", "from_location", "to_location"}
)


def _words(code: str) -> str:
    return code.replace("_", " ").replace(".", " ").strip().capitalize()


def action_label(code: str) -> str:
    """Words for an action code: "purchase_order.acknowledge" → "Acknowledged a purchase order";
    an unknown code reads as its words ("widget.frobnicate" → "Widget frobnicate")."""
    return ACTION_LABELS.get(code) or _words(code)


def object_type_label(target_type: str) -> str:
    return OBJECT_TYPES.get(target_type) or _words(target_type.rpartition(".")[2])
