"""Reads on the organization side, always through the access layer."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from core.enums import PartnershipStatus

from .access import Scope
from .models import (
    OWNING_TYPES,
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
