"""Reads on the organization side, always through the access layer."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from core.enums import PartnershipStatus

from .access import Scope
from .audit import ACTOR_ONLY_FIELDS, action_label, object_type_label
from .models import (
    OWNING_TYPES,
    AuditEvent,
    Location,
    Membership,
    MembershipInvitation,
    MembershipInvitationStatus,
    Organization,
    OrganizationRelationship,
    Party,
    PartyContact,
    RelationshipStatus,
)


@dataclass
class NetworkNode:
    org: Organization
    relationship: OrganizationRelationship | None
    children: list[NetworkNode] = field(default_factory=list)
    partners: list[tuple[Organization, OrganizationRelationship]] = field(default_factory=list)
    full_access: bool = True


def network_tree(scope: Scope) -> tuple[list[NetworkNode], list[NetworkNode]]:
    """The hierarchy the viewer may see: (trees rooted at its top visible orgs, partner-of list).

    Three queries whatever the network size: organizations, relationships, location counts.
    """
    orgs = {
        o.pk: o
        for o in Organization.objects.visible_to(scope).annotate(
            location_count=Count("locations", filter=Q(locations__is_active=True))
        )
    }
    rels = list(
        OrganizationRelationship.objects.visible_to(scope)
        .filter(status=RelationshipStatus.ACTIVE)
        .select_related("partnership")
        .order_by("child__code")
    )
    full = scope.org_ids if not scope.is_platform_staff else set(orgs)
    nodes = {
        pk: NetworkNode(org=o, relationship=None, full_access=pk in full) for pk, o in orgs.items()
    }
    has_owning_parent: set[int] = set()
    for rel in rels:
        if rel.parent_id not in nodes or rel.child_id not in nodes:
            continue
        if rel.type in OWNING_TYPES:
            child = nodes[rel.child_id]
            child.relationship = rel
            nodes[rel.parent_id].children.append(child)
            has_owning_parent.add(rel.child_id)
        elif rel.parent_id in full:
            nodes[rel.parent_id].partners.append((orgs[rel.child_id], rel))
    roots = [n for pk, n in nodes.items() if pk in full and pk not in has_owning_parent]
    # Orgs the viewer reaches only as a partner (e.g. Amazon's view of LUXE BOND Distribution).
    partner_of: dict[int, list[OrganizationRelationship]] = defaultdict(list)
    for rel in rels:
        if rel.child_id in full and rel.parent_id not in full and rel.parent_id in nodes:
            partner_of[rel.parent_id].append(rel)
    upstream = [
        NetworkNode(org=orgs[pk], relationship=links[0], full_access=False)
        for pk, links in sorted(partner_of.items(), key=lambda kv: orgs[kv[0]].code)
    ]
    roots.sort(key=lambda n: n.org.code)
    return roots, upstream


def organization_detail(scope: Scope, public_id) -> Organization:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Organization.objects.visible_to(scope), public_id=public_id)


def organization_locations(scope: Scope, org: Organization) -> QuerySet[Location]:
    return Location.objects.visible_to(scope).filter(operator=org)


def partnership_shared_locations(
    scope: Scope, relationship: OrganizationRelationship | None
) -> QuerySet[Location]:
    """Locations a partnership shares, as the viewer may see them (for a partner's page)."""
    if relationship is None:
        return Location.objects.none()
    return (
        Location.objects.visible_to(scope)
        .filter(partnerships__relationship=relationship, partnerships__status="ACTIVE")
        .select_related("operator")
        .order_by("code")
    )


def organization_members(scope: Scope, org: Organization) -> QuerySet[Membership]:
    return (
        Membership.objects.visible_to(scope)
        .filter(organization=org)
        .select_related("user")
        .order_by("-is_active", "user__email")
    )


def membership_invitations_pending(
    scope: Scope, org: Organization
) -> QuerySet[MembershipInvitation]:
    """The organization's invitations nobody has answered yet (expired ones included: the
    members page offers to resend them)."""
    return (
        MembershipInvitation.objects.visible_to(scope)
        .filter(organization=org, status=MembershipInvitationStatus.PENDING)
        .select_related("invited_by")
        .order_by("email")
    )


def membership_invitation_detail(scope: Scope, public_id: uuid.UUID) -> MembershipInvitation:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        MembershipInvitation.objects.visible_to(scope).select_related("organization"),
        public_id=public_id,
    )


def locations_for(scope: Scope, *, query: str = "", kind: str = "") -> QuerySet[Location]:
    qs = Location.objects.visible_to(scope).select_related("operator").order_by("code")
    if query:
        qs = qs.filter(
            Q(code__icontains=query) | Q(name__icontains=query) | Q(city__icontains=query)
        )
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def administered_organizations(scope: Scope) -> QuerySet[Organization]:
    if scope.is_platform_staff:
        return Organization.objects.visible_to(scope)
    return Organization.objects.visible_to(scope).filter(pk__in=scope.administered_org_ids)


def parties_for(scope: Scope) -> QuerySet[Party]:
    return (
        Party.objects.visible_to(scope)
        .select_related("owner", "organization")
        .annotate(contact_count=Count("contacts"))
        .order_by("name")
    )


def party_detail(scope: Scope, public_id: object) -> Party:
    """A party the viewer sees; anything else, a malformed id included (`?party=` on the
    invite form comes from the query string), is the same 404."""
    from django.http import Http404
    from django.shortcuts import get_object_or_404

    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise Http404("No such party.")
    return get_object_or_404(
        Party.objects.visible_to(scope).select_related("owner", "organization"), public_id=key
    )


def party_contacts(scope: Scope, party: Party) -> QuerySet[PartyContact]:
    return PartyContact.objects.visible_to(scope).filter(party=party)


def relationship_for(scope: Scope, org: Organization) -> OrganizationRelationship | None:
    """How `org` is linked to the viewer's side of the network (for the detail header)."""
    return (
        OrganizationRelationship.objects.visible_to(scope)
        .filter(Q(child=org) | Q(parent=org), status=RelationshipStatus.ACTIVE)
        .select_related("parent", "child")
        .first()
    )


def member_locations(scope: Scope, membership: Membership) -> list[Location]:
    from guardian.shortcuts import get_objects_for_user

    granted = get_objects_for_user(
        membership.user, "orgs.operate_location", klass=Location, accept_global_perms=False
    )
    return list(Location.objects.visible_to(scope).filter(pk__in=granted.values("pk")))


def unscoped_organizations_user_administers(user) -> QuerySet[Organization]:
    """The organizations a person is an admin of, across every network.

    Unscoped on purpose: accepting an invitation happens before any scope of the invitee's
    exists, and only the person's own memberships are read.
    """
    return Organization.objects.filter(
        pk__in=Membership.objects.active()
        .filter(user=user, role__in=["ORG_ADMIN", "ORG_SUPER_ADMIN"])
        .values("organization_id")
    ).exclude(status="CLOSED")


def unscoped_locations_in_use(operator_id: int) -> int:
    """Locations counted against the plan's location allowance: the active ones an org
    operates for its own inventory. A location it operates for a network partner and that
    the partnership shares with it (Amazon's FBA sites holding LUXE BOND stock) is the
    partner's collaboration, not the org's own inventory, so it does not count.

    Unscoped, and safe: a count for a limit check, nothing is shown; the allowance is the
    operator's whatever the viewer's rights (a member with rights at some sites only)."""
    # Through the relationship's reverse `partnership`: orgs sits below partnerships.
    hosted = OrganizationRelationship.objects.filter(
        child_id=operator_id,
        partnership__status=PartnershipStatus.ACTIVE,
        partnership__shared_locations__isnull=False,
    ).values("partnership__shared_locations")
    return (
        Location.objects.filter(operator_id=operator_id, is_active=True)
        .exclude(pk__in=hosted)
        .count()
    )


# --- the audit log -----------------------------------------------------------------------------
#
# An organization's admins read what their organizations did and what anyone did to their
# data (AuditEvent.objects.visible_to: the acting org or a subject org is administered by the
# viewer). A page costs a fixed number of queries: the capped count, the rows (actor and acting
# org joined), and one query per linkable kind of object on the page to know which objects the
# viewer may open.

AUDIT_SIDES = {
    "": "Anyone",
    "ours": "Your organizations",
    "others": "Partners and the network root",
}

# Where an event's object opens, by its kind (a URL name taking the object's public id).
AUDIT_LINKS: dict[str, str] = {
    "orgs.organization": "orgs:organization_detail",
    "orgs.location": "orgs:location_detail",
    "orgs.party": "orgs:party_detail",
    "orgs.membership": "orgs:member_edit",
    "partnerships.partnership": "partnerships:partnership_detail",
    "inventory.product": "inventory:product_detail",
    "inventory.transfer": "inventory:transfer_detail",
    "inventory.stockcount": "inventory:count_detail",
    "shipments.shipment": "shipments:shipment_detail",
    "shipments.asn": "shipments:asn_detail",
    "shipments.discrepancycase": "shipments:case_detail",
    "procurement.purchaseorder": "procurement:purchase_order_detail",
    "billing.checkout": "billing:checkout",
}


@dataclass(frozen=True, slots=True)
class AuditFilter:
    actor: str = ""  # a person's name or email, or an organization's code or name
    side: str = ""  # AUDIT_SIDES
    object_type: str = ""  # a target_type (orgs.audit.OBJECT_TYPES)
    action: str = ""  # an action code (orgs.audit.ACTION_LABELS)
    start: dt.date | None = None
    end: dt.date | None = None
    text: str = ""  # the object: its name or number, or its id


def audit_events(scope: Scope, f: AuditFilter) -> QuerySet[AuditEvent]:
    """The events the viewer's audit log lists, newest first, filtered."""
    rows = AuditEvent.objects.visible_to(scope).select_related("actor", "acting_org")
    if f.actor:
        rows = rows.filter(
            Q(actor__email__icontains=f.actor)
            | Q(actor__full_name__icontains=f.actor)
            | Q(acting_org__code__iexact=f.actor)
            | Q(acting_org__name__icontains=f.actor)
        )
    if f.side == "ours":
        rows = rows.filter(acting_org_id__in=scope.org_ids)
    elif f.side == "others":
        rows = rows.exclude(acting_org_id__in=scope.org_ids).exclude(acting_org_id=None)
    if f.object_type:
        rows = rows.filter(target_type=f.object_type)
    if f.action:
        rows = rows.filter(action=f.action)
    tz = timezone.get_current_timezone()
    if f.start:
        rows = rows.filter(created_at__gte=dt.datetime.combine(f.start, dt.time.min, tz))
    if f.end:
        next_day = f.end + dt.timedelta(days=1)
        rows = rows.filter(created_at__lt=dt.datetime.combine(next_day, dt.time.min, tz))
    if f.text:
        rows = rows.filter(Q(target_repr__icontains=f.text) | Q(target_id=f.text.lower()))
    return rows.order_by("-created_at", "-id")


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One line of the audit log, as the viewer reads it."""

    when: dt.datetime
    person: str
    person_email: str  # only for people of the viewer's own organizations
    organization: str  # the acting organization ("" when the viewer may not see it)
    side: str  # "yours", "partner", "network root", "staff", "system"
    action: str
    action_code: str
    object_type: str
    object_label: str
    url: str
    changes: tuple[str, ...]


def audit_side(scope: Scope, event: AuditEvent) -> str:
    """Who acted, relative to the viewer."""
    actor = event.actor
    if actor is not None and actor.is_superuser:
        return "staff"
    if event.acting_org_id is None:
        return "staff" if actor is not None else "system"
    if event.acting_org_id in scope.org_ids:
        return "yours"
    if event.acting_org_id == scope.root_org_id:
        return "network root"
    return "partner"


def _shown(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        text = ", ".join(str(v) for v in value) or "—"
    elif isinstance(value, dict):
        text = ", ".join(f"{k}={v}" for k, v in value.items())
    else:
        text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def audit_change_summary(
    before: dict | None, after: dict | None, *, hidden: frozenset[str] = frozenset()
) -> tuple[str, ...]:
    """`field: before → after` per field the event recorded (`field: value` for a value that
    had no before), in the order recorded; `hidden` fields are left out."""
    before, after = before or {}, after or {}
    keys = [k for k in [*before, *(k for k in after if k not in before)] if k not in hidden]
    out = []
    for key in keys:
        label = key.replace("_", " ")
        if key in before and key in after:
            out.append(f"{label}: {_shown(before[key])} → {_shown(after[key])}")
        elif key in after:
            out.append(f"{label}: {_shown(after[key])}")
        else:
            out.append(f"{label}: was {_shown(before[key])}")
    return tuple(out)


def _visible_targets(scope: Scope, events: list[AuditEvent]) -> set[tuple[str, str]]:
    """(kind, public id) of the page's objects the viewer may open: one query per kind of
    object on the page, whatever the number of rows. The models are found by label: the audit
    log names objects of apps above this one."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for event in events:
        if event.target_type in AUDIT_LINKS:
            try:
                wanted[event.target_type].add(uuid.UUID(event.target_id))
            except ValueError:
                continue
    visible: set[tuple[str, str]] = set()
    for label, ids in wanted.items():
        model = apps.get_model(label)
        found = model.objects.visible_to(scope).filter(public_id__in=ids)
        visible |= {(label, str(pid)) for pid in found.values_list("public_id", flat=True)}
    return visible


def audit_rows(scope: Scope, events: Iterable[AuditEvent]) -> list[AuditRow]:
    """The page's events as the viewer reads them, each object linked when the viewer may
    open it."""
    events = list(events)
    visible = _visible_targets(scope, events)
    return [_audit_row(scope, event, visible) for event in events]


def audit_row(scope: Scope, event: AuditEvent) -> AuditRow:
    """One event without a link (the CSV export, row by row)."""
    return _audit_row(scope, event, set())


def _audit_row(scope: Scope, event: AuditEvent, visible: set[tuple[str, str]]) -> AuditRow:
    side = audit_side(scope, event)
    actor = event.actor
    own = event.acting_org_id is not None and event.acting_org_id in scope.org_ids
    org = event.acting_org
    url = ""
    if (event.target_type, event.target_id) in visible:
        url = reverse(AUDIT_LINKS[event.target_type], args=[event.target_id])
    administers_actor = (
        event.acting_org_id is not None and event.acting_org_id in scope.administered_org_ids
    )
    return AuditRow(
        when=event.created_at,
        person=(actor.full_name or actor.email) if actor else "",
        person_email=actor.email if actor is not None and own else "",
        organization=f"{org.code} {org.name}" if org is not None else "",
        side=side,
        action=action_label(event.action),
        action_code=event.action,
        object_type=object_type_label(event.target_type),
        object_label=event.target_repr,
        url=url,
        changes=audit_change_summary(
            event.before,
            event.after,
            hidden=frozenset() if administers_actor else ACTOR_ONLY_FIELDS,
        ),
    )
