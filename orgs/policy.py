"""The one write policy: who may do which action on which object.

Services call `require(scope, Action.X, obj)` first thing; views and templates ask `can(...)`
to decide which buttons show; the admin saves through the services. Each row of `POLICY`
declares, side by side, the entitlement feature the action needs (the tier gate, from
core/entitlements.py) and the actor rule (who, relative to the object). Writes follow
ownership (docs/visibility.md): owning the stock, not operating the location, is what lets an
organization count, adjust, transfer or post it; a party role on a document (the receiving
operator confirming a receipt) is what lets it act on that document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied

from core.entitlements import Feature
from core.entitlements import require as require_feature

from .access import Scope
from .policy_sides import (
    admin_of,
    buyer,
    case_receiver,
    case_sender,
    case_side,
    either_side,
    either_side_admin,
    member_manager,
    network_root_super_admin,
    own_org_admin,
    parent_side_of,
    pk_of,
    receiver,
    shipper,
    stock_owner,
    supplier,
)


class Action(StrEnum):
    PRODUCT_CREATE = "product.create"
    PRODUCT_EDIT = "product.edit"
    LOCATION_CREATE = "location.create"
    LOCATION_EDIT = "location.edit"
    STOCK_ADJUST = "stock.adjust"
    STOCK_COUNT_CREATE = "stock.count.create"
    STOCK_COUNT_EDIT = "stock.count.edit"
    STOCK_COUNT_POST = "stock.count.post"
    TRANSFER_CREATE = "transfer.create"
    TRANSFER_RECEIVE = "transfer.receive"
    SHIPMENT_CREATE = "shipment.create"
    SHIPMENT_BOOK = "shipment.book"
    SHIPMENT_SHIP = "shipment.ship"
    SHIPMENT_CANCEL = "shipment.cancel"
    SHIPMENT_DELIVER = "shipment.deliver"
    SHIPMENT_RECEIVE = "shipment.receive"
    ASN_CONFIRM_RECEIPT = "asn.confirm_receipt"
    DISCREPANCY_MESSAGE = "discrepancy.message"
    DISCREPANCY_DISPUTE = "discrepancy.dispute"
    DISCREPANCY_RESOLVE = "discrepancy.resolve"
    DISCREPANCY_ACCEPT_SHORTAGE = "discrepancy.accept_shortage"
    DISCREPANCY_REPORT_FOUND = "discrepancy.report_found"
    PO_CREATE = "po.create"
    PO_SEND = "po.send"
    PO_CANCEL = "po.cancel"
    PO_CLOSE = "po.close"
    PO_ACKNOWLEDGE = "po.acknowledge"
    PARTNERSHIP_EDIT_TERMS = "partnership.edit_terms"
    PARTNERSHIP_END = "partnership.end"
    PARTNERSHIP_PREVIEW = "partnership.preview"
    PARTNERSHIP_MESSAGE = "partnership.message"
    INVITATION_SEND = "invitation.send"
    INVITATION_MANAGE = "invitation.manage"
    PARTY_CREATE = "party.create"
    PARTY_EDIT = "party.edit"
    ORGANIZATION_LINK = "organization.link"
    ORGANIZATION_REQUIRE_TWO_FACTOR = "organization.require_two_factor"
    NETWORK_REQUIRE_TWO_FACTOR = "network.require_two_factor"
    ORGANIZATION_EDIT = "organization.edit"
    MEMBERSHIP_INVITE = "membership.invite"
    MEMBERSHIP_INVITATION_MANAGE = "membership.invitation_manage"
    MEMBERSHIP_GRANT_SUPER_ADMIN = "membership.grant_super_admin"
    MEMBERSHIP_CHANGE_ROLE = "membership.change_role"
    MEMBERSHIP_DEACTIVATE = "membership.deactivate"
    MEMBERSHIP_REACTIVATE = "membership.reactivate"
    MEMBERSHIP_SET_LOCATIONS = "membership.set_locations"
    ORGANIZATION_CHANGE_PLAN = "organization.change_plan"
    ORGANIZATION_SET_BILLING_MODE = "organization.set_billing_mode"
    API_TOKEN_CREATE = "api_token.create"
    API_TOKEN_REVOKE = "api_token.revoke"
    NOTIFICATION_PREFERENCES_SET = "notification.preferences_set"
    # A read, decided here like the writes: who opens the organization's audit log.
    AUDIT_LOG_VIEW = "audit_log.view"


@dataclass(frozen=True, slots=True)
class StockAt:
    """An owner's stock at a location: the object of stock writes that create a document
    (an adjustment, a new count, a transfer leg)."""

    owner_id: int | None
    location_id: int


# ---- the table -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    feature: Feature | None
    who: Callable[[Scope, Any], bool]
    refusal: str


POLICY: dict[Action, Rule] = {
    # Catalog: the owning organization's admins.
    Action.PRODUCT_CREATE: Rule(
        Feature.PRODUCTS_CREATE, admin_of(pk_of), "Only organization admins manage the catalog."
    ),
    Action.PRODUCT_EDIT: Rule(
        Feature.PRODUCTS_CREATE,
        admin_of(lambda p: p.owner_id),
        "This product belongs to another organization.",
    ),
    Action.LOCATION_CREATE: Rule(
        Feature.INVENTORY_MANAGE_OWN, admin_of(pk_of), "You do not administer this organization."
    ),
    # Describing a location (name, kind, address); its operator never changes.
    Action.LOCATION_EDIT: Rule(
        None, admin_of(lambda loc: loc.operator_id), "You do not administer this location."
    ),
    # Stock: its owner, never the operator of the location as such.
    Action.STOCK_ADJUST: Rule(
        Feature.INVENTORY_MANAGE_OWN, stock_owner, "Only the owner of this stock may adjust it."
    ),
    Action.STOCK_COUNT_CREATE: Rule(
        Feature.INVENTORY_MANAGE_OWN, stock_owner, "Only the owner of this stock may count it."
    ),
    Action.STOCK_COUNT_EDIT: Rule(
        Feature.INVENTORY_MANAGE_OWN, stock_owner, "Only the owner of this stock may count it."
    ),
    Action.STOCK_COUNT_POST: Rule(
        Feature.INVENTORY_MANAGE_OWN, stock_owner, "Only the owner of this stock may post it."
    ),
    Action.TRANSFER_CREATE: Rule(
        Feature.INVENTORY_MANAGE_OWN,
        stock_owner,
        "Only the owner of this stock may transfer it.",
    ),
    Action.TRANSFER_RECEIVE: Rule(
        Feature.INVENTORY_MANAGE_OWN,
        stock_owner,
        "Only the owner of this stock may receive its transfer.",
    ),
    # Shipments: party roles on the document.
    Action.SHIPMENT_CREATE: Rule(
        Feature.SHIPMENTS_CREATE, stock_owner, "You may ship only your own goods."
    ),
    Action.SHIPMENT_BOOK: Rule(
        Feature.SHIPMENTS_CREATE, shipper, "Only the sender may book this shipment."
    ),
    Action.SHIPMENT_SHIP: Rule(
        Feature.SHIPMENTS_CREATE, shipper, "Only the sender may ship this shipment."
    ),
    Action.SHIPMENT_CANCEL: Rule(None, shipper, "Only the sender may cancel this shipment."),
    Action.SHIPMENT_DELIVER: Rule(
        None, shipper, "Only the sender records a delivery to a party without an account."
    ),
    Action.SHIPMENT_RECEIVE: Rule(
        Feature.RECEIPTS_CONFIRM,
        receiver,
        "Only the receiving side may mark this shipment received.",
    ),
    Action.ASN_CONFIRM_RECEIPT: Rule(
        Feature.RECEIPTS_CONFIRM, case_receiver, "Only the receiving side may confirm this ASN."
    ),
    Action.DISCREPANCY_MESSAGE: Rule(
        None, case_side, "Only the two sides of the case may write on it."
    ),
    Action.DISCREPANCY_DISPUTE: Rule(
        None, case_side, "Only the two sides of the case may dispute it."
    ),
    Action.DISCREPANCY_RESOLVE: Rule(
        None, case_side, "Only the two sides of the case may resolve it."
    ),
    Action.DISCREPANCY_ACCEPT_SHORTAGE: Rule(
        None, case_sender, "Only the sending side may accept a shortage."
    ),
    Action.DISCREPANCY_REPORT_FOUND: Rule(
        None, case_receiver, "Only the receiving side may report found units."
    ),
    # Purchase orders: buyer and supplier.
    Action.PO_CREATE: Rule(
        Feature.PURCHASE_ORDERS_CREATE, buyer, "Only the buying organization can do this."
    ),
    Action.PO_SEND: Rule(
        Feature.PURCHASE_ORDERS_CREATE, buyer, "Only the buying organization can do this."
    ),
    Action.PO_CANCEL: Rule(
        Feature.PURCHASE_ORDERS_CREATE, buyer, "Only the buying organization can do this."
    ),
    Action.PO_CLOSE: Rule(
        Feature.PURCHASE_ORDERS_CREATE, buyer, "Only the buying organization can do this."
    ),
    Action.PO_ACKNOWLEDGE: Rule(
        None, supplier, "Only the supplier this purchase order is addressed to can do this."
    ),
    # Partnerships: the network (inviting) side's admins; either side may end or write.
    Action.PARTNERSHIP_EDIT_TERMS: Rule(
        None,
        admin_of(parent_side_of),
        "Only the inviting side's admins change a partnership's terms.",
    ),
    Action.PARTNERSHIP_END: Rule(
        None, either_side_admin, "Only an admin of either side may end a partnership."
    ),
    Action.PARTNERSHIP_PREVIEW: Rule(
        None,
        admin_of(parent_side_of),
        "Only the inviting side's admins can preview an active partnership.",
    ),
    Action.PARTNERSHIP_MESSAGE: Rule(None, either_side, "You are not a party to this partnership."),
    Action.INVITATION_SEND: Rule(
        Feature.PARTNERSHIPS_CREATE, admin_of(pk_of), "You do not administer this organization."
    ),
    Action.INVITATION_MANAGE: Rule(
        None, admin_of(lambda i: i.inviting_org_id), "You do not administer this organization."
    ),
    Action.PARTY_CREATE: Rule(
        Feature.PARTNERSHIPS_CREATE, admin_of(pk_of), "Only admins record parties."
    ),
    Action.PARTY_EDIT: Rule(
        Feature.PARTNERSHIPS_CREATE, admin_of(lambda p: p.owner_id), "Only admins change parties."
    ),
    # Organizations and people.
    Action.ORGANIZATION_LINK: Rule(
        Feature.MULTI_ORG_HIERARCHY, admin_of(pk_of), "You do not administer this organization."
    ),
    # Two-factor policy: an organization's admins for its admins; the network root's super
    # admin for every admin of the network (docs/security-two-factor.md).
    Action.ORGANIZATION_REQUIRE_TWO_FACTOR: Rule(
        None, admin_of(pk_of), "You do not administer this organization."
    ),
    Action.NETWORK_REQUIRE_TWO_FACTOR: Rule(
        None,
        lambda scope, org: (
            scope.is_network_root_super_admin and (org is None or org.pk == scope.root_org_id)
        ),
        "Only the network root's super admin sets the network-wide two-factor requirement.",
    ),
    Action.ORGANIZATION_EDIT: Rule(
        None, admin_of(pk_of), "You do not administer this organization."
    ),
    Action.MEMBERSHIP_INVITE: Rule(
        None, admin_of(pk_of), "You do not administer this organization."
    ),
    # Resend or revoke a pending invitation; only a super admin touches one for super admin.
    Action.MEMBERSHIP_INVITATION_MANAGE: Rule(
        None, member_manager, "Only a super admin can change a super admin invitation."
    ),
    Action.MEMBERSHIP_GRANT_SUPER_ADMIN: Rule(
        None,
        lambda scope, org: scope.is_super_admin and (org is None or scope.can_administer(org.pk)),
        "Only a super admin can grant the super admin role.",
    ),
    Action.MEMBERSHIP_CHANGE_ROLE: Rule(
        None, member_manager, "Only a super admin can change a super admin."
    ),
    Action.MEMBERSHIP_DEACTIVATE: Rule(
        None, member_manager, "Only a super admin can change a super admin."
    ),
    Action.MEMBERSHIP_REACTIVATE: Rule(
        None, member_manager, "Only a super admin can change a super admin."
    ),
    Action.MEMBERSHIP_SET_LOCATIONS: Rule(
        None,
        admin_of(lambda m: m.organization_id),
        "You do not administer this organization.",
    ),
    Action.ORGANIZATION_CHANGE_PLAN: Rule(
        None, own_org_admin, "Only an admin of the organization can change its plan."
    ),
    Action.ORGANIZATION_SET_BILLING_MODE: Rule(
        None,
        network_root_super_admin,
        "Only the network's super admin sets billing modes of organizations linked to it.",
    ),
    Action.NOTIFICATION_PREFERENCES_SET: Rule(
        None, lambda scope, obj: scope.user_id is not None, "Sign in to set your preferences."
    ),
    Action.API_TOKEN_CREATE: Rule(
        Feature.API_ACCESS, own_org_admin, "Only an organization admin manages API tokens."
    ),
    # Revoking stays possible after a downgrade.
    Action.API_TOKEN_REVOKE: Rule(
        None, own_org_admin, "Only an organization admin manages API tokens."
    ),
    # On every plan: what partners and the root did to the organization's data.
    Action.AUDIT_LOG_VIEW: Rule(
        None, own_org_admin, "Only an organization's admins read its audit log."
    ),
}
assert set(POLICY) == set(Action), "every action has exactly one row"

READ_ONLY_REFUSAL = "This is a read-only preview; nothing can be changed here."


class ReadOnlyScope(PermissionDenied):
    """A write attempted in "view as partner": always refused."""


class NotAllowed(PermissionDenied):
    """The actor rule refused: answered 403 (objects out of scope are 404 before this)."""


def can(scope: Scope | None, action: Action | str, obj: Any = None) -> bool:
    """Whether the viewer may do `action` (on `obj`; without one: on some object of its own)."""
    if scope is None or scope.read_only:
        return False
    rule = POLICY[Action(action)]
    if rule.feature is not None and not scope.has(rule.feature):
        return False
    return bool(rule.who(scope, obj))


def refuse_read_only(scope: Scope) -> None:
    """The one place a write under "view as partner" is refused (besides the middleware, which
    refuses any unsafe request under it)."""
    if scope.read_only:
        raise ReadOnlyScope(READ_ONLY_REFUSAL)


def require(scope: Scope, action: Action | str, obj: Any = None) -> None:
    """Refuse unless `can`: a preview → ReadOnlyScope, a tier without the feature →
    FeatureNotAvailable (the 403 upgrade page), not the right actor → NotAllowed (403)."""
    refuse_read_only(scope)
    rule = POLICY[Action(action)]
    if rule.feature is not None:
        require_feature(scope, rule.feature)
    if not rule.who(scope, obj):
        raise NotAllowed(rule.refusal)
