"""The one access layer.

A Scope is built once per request (middleware), per task, per command, and is then passed
explicitly. It holds the ids the viewer may see, computed once; every tenant queryset filters
with `visible_to(scope)`, which reads only these sets. Anything that must read unscoped is
named `unscoped_*` so review can find it by grep.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TypedDict, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.db.models import Model, Q

from core.enums import PartnershipStatus
from rls.context import bypass

from .hierarchy import root_of, subtree_ids
from .models import (
    ADMIN_ROLES,
    OWNING_TYPES,
    Location,
    Membership,
    Organization,
    OrganizationRelationship,
    RelationshipStatus,
    Role,
)

M = TypeVar("M", bound=Model)


class RelationshipGrant(TypedDict):
    sees_child_data: bool
    administers_child: bool
    default_billing: str


# What a relationship type grants to the parent side (DESIGN.md §5), as data.
RELATIONSHIP_POLICY: dict[str, RelationshipGrant] = {
    "SUBSIDIARY": {
        "sees_child_data": True,
        "administers_child": True,
        "default_billing": "INCLUDED",
    },
    "DIVISION": {"sees_child_data": True, "administers_child": True, "default_billing": "INCLUDED"},
    "BRANCH": {"sees_child_data": True, "administers_child": True, "default_billing": "INCLUDED"},
    "FRANCHISE": {
        "sees_child_data": False,
        "administers_child": False,
        "default_billing": "ADD_ON",
    },
    "PARTNER": {"sees_child_data": False, "administers_child": False, "default_billing": "FREE"},
    "AFFILIATE": {"sees_child_data": False, "administers_child": False, "default_billing": "FREE"},
}
assert {t for t, p in RELATIONSHIP_POLICY.items() if p["sees_child_data"]} == set(OWNING_TYPES)


@dataclass(frozen=True, slots=True)
class OrgChoice:
    public_id: str
    code: str
    name: str
    role: str
    org_id: int = 0


@dataclass(frozen=True, slots=True)
class Scope:
    user_id: int | None
    org_id: int | None
    org_public_id: str
    org_code: str
    org_name: str
    root_org_id: int | None
    role: str
    plan: str
    tier: str
    # Orgs whose own data the viewer sees in full (active org, plus its owned subtree for admins).
    org_ids: frozenset[int]
    # Orgs whose members and settings the viewer administers.
    administered_org_ids: frozenset[int]
    # Counterparties of active partnerships: visible by name only.
    partner_org_ids: frozenset[int]
    # Every location the viewer may see at all (own, and shared through partnerships).
    location_ids: frozenset[int]
    # Locations operated by the viewer's orgs (MEMBER: only granted ones). The operator of one
    # end of a shipment is a party to it (docs/visibility.md).
    operated_location_ids: frozenset[int]
    # MEMBER rights: the only locations whose own-org data a member sees; None = no restriction.
    member_location_ids: frozenset[int] | None
    # (data owner org id, location ids): another org's data shared with the viewer at locations.
    shared_grants: tuple[tuple[int, frozenset[int]], ...]
    partnership_ids: frozenset[int]
    features: frozenset[str]
    limits: object
    memberships: tuple[OrgChoice, ...] = ()
    is_platform_staff: bool = False
    # "View as partner": the partner's scope, shown to the inviting admin; every write refused.
    read_only: bool = False
    preview_of: str = ""
    # During a preview, the previewing admin's own scope: every `visible_to` also applies its
    # rule, so the preview is the partnership's view, not the partner's whole tenant.
    lens: Scope | None = None
    # Every location the viewer's organization sees (own and shared) before a MEMBER's rights
    # narrow it: the database lets these rows exist (rls/policies.py) so that a member's
    # transfer or count keeps both of its ends; the app filter decides what is listed.
    org_location_ids: frozenset[int] = frozenset()

    @property
    def is_admin(self) -> bool:
        return self.is_platform_staff or self.role in ADMIN_ROLES

    @property
    def is_super_admin(self) -> bool:
        return self.is_platform_staff or self.role == Role.ORG_SUPER_ADMIN

    @property
    def is_network_root_super_admin(self) -> bool:
        """The super admin of the network root: network billing, the admin site's network."""
        return (
            not self.is_platform_staff
            and self.role == Role.ORG_SUPER_ADMIN
            and self.org_id is not None
            and self.org_id == self.root_org_id
        )

    def owns(self, org_id: int | None) -> bool:
        """The row's owner is one of the viewer's organizations: cost, margin and the bill of
        materials show, and stock writes are allowed (orgs/policy.py)."""
        return self.is_platform_staff or (org_id is not None and org_id in self.org_ids)

    def has(self, feature: object) -> bool:
        return self.is_platform_staff or str(feature) in self.features

    def can_administer(self, org_id: int) -> bool:
        return self.is_platform_staff or org_id in self.administered_org_ids

    def located_q(self, *, owner: str, locations: Iterable[str]) -> Q:
        """Rows owned by an org and placed at one or more locations (stock, shipments).

        Own orgs' rows are visible (MEMBER: only at granted locations); another org's rows are
        visible only at the locations its partnership shares with the viewer.
        """
        locations = tuple(locations)
        if self.is_platform_staff:
            return Q()
        own = Q(**{f"{owner}__in": self.org_ids})
        if self.member_location_ids is not None:
            at_granted = Q(pk__in=[])
            for loc in locations:
                at_granted |= Q(**{f"{loc}__in": self.member_location_ids})
            own &= at_granted
        q = own
        for owner_id, shared in self.shared_grants:
            at_shared = Q(pk__in=[])
            for loc in locations:
                at_shared |= Q(**{f"{loc}__in": shared})
            q |= Q(**{owner: owner_id}) & at_shared
        return q


def unscoped_relock(instance: M, *, select_related: Iterable[str] = ()) -> M:
    """The row `instance` stands for, re-read under a row lock (SELECT ... FOR UPDATE), with
    optional `select_related` joins (locked with it, as a plain `select_for_update()` does).

    Unscoped, and safe: the caller obtained `instance` through `visible_to(scope)` or a named
    system step (under the bypass), so re-reading its primary key under a lock reveals nothing
    new. Services lock this way before checking state and writing; `visible_to` would join
    (and lock) other tables, and its outer joins cannot be locked at all.
    """
    rows = type(instance)._default_manager.select_for_update()
    related = tuple(select_related)
    if related:
        rows = rows.select_related(*related)
    return rows.get(pk=instance.pk)


class NoMembership(Exception):
    """The user belongs to no active organization."""


@dataclass
class PartnershipLinks:
    """What the active partnerships touching a set of orgs give it: the orgs on the far side,
    the partnerships, every shared location, and per network owner the locations it shares."""

    partner_org_ids: set[int] = field(default_factory=set)
    partnership_ids: set[int] = field(default_factory=set)
    shared_location_ids: set[int] = field(default_factory=set)
    grants: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def unscoped_partnership_links(org_ids: set[int]) -> PartnershipLinks:
    """One query, read from the relationship side (its reverse `partnership`): the access
    layer sits below the partnerships app and never imports it. Unscoped: it runs while a
    scope is being built (under `build_scope`'s bypass)."""
    rows = OrganizationRelationship.objects.filter(
        Q(parent_id__in=org_ids) | Q(child_id__in=org_ids),
        status=RelationshipStatus.ACTIVE,
        partnership__status=PartnershipStatus.ACTIVE,
    ).values_list("partnership__id", "parent_id", "child_id", "partnership__shared_locations")
    links = PartnershipLinks()
    for pid, parent_id, child_id, location_id in rows:
        links.partnership_ids.add(pid)
        if parent_id in org_ids and child_id not in org_ids:
            links.partner_org_ids.add(child_id)
        if child_id in org_ids and parent_id not in org_ids:
            links.partner_org_ids.add(parent_id)
            if location_id is not None:
                links.grants[parent_id].add(location_id)
        if location_id is not None:
            links.shared_location_ids.add(location_id)
    return links


def unscoped_granted_location_ids(user_id: int) -> set[int]:
    """The locations a member was given rights at (django-guardian's object permissions)."""
    from guardian.models import UserObjectPermission

    return {
        int(pk)
        for pk in UserObjectPermission.objects.filter(
            user_id=user_id,
            permission__codename="operate_location",
            content_type__app_label="orgs",
            content_type__model="location",
        ).values_list("object_pk", flat=True)
    }


@bypass(reason="scope building reads memberships and partnerships before a scope exists")
def build_scope(
    *,
    org: Organization,
    role: str,
    user_id: int | None,
    memberships: tuple[OrgChoice, ...] = (),
    read_only: bool = False,
    preview_of: str = "",
) -> Scope:
    """The Scope of one user acting as `role` in `org`; used for requests, tasks and previews."""
    from core.entitlements import entitlements_for

    is_admin = role in ADMIN_ROLES
    org_ids = subtree_ids(org.pk) if is_admin else {org.pk}
    administered = set(org_ids) if is_admin else set()

    links = unscoped_partnership_links(org_ids)
    partner_org_ids, shared_location_ids, grants = (
        links.partner_org_ids,
        links.shared_location_ids,
        links.grants,
    )
    own_location_ids = set(
        Location.objects.filter(operator_id__in=org_ids).values_list("id", flat=True)
    )
    member_location_ids: frozenset[int] | None = None
    if not is_admin and user_id is not None:
        granted = unscoped_granted_location_ids(user_id)
        member_location_ids = frozenset(granted & (own_location_ids | shared_location_ids))
        location_ids = set(member_location_ids)
        operated_location_ids = own_location_ids & granted
        grants = {owner: locs & granted for owner, locs in grants.items()}
    else:
        location_ids = own_location_ids | shared_location_ids
        operated_location_ids = own_location_ids

    entitlements = entitlements_for(org)
    return Scope(
        user_id=user_id,
        org_id=org.pk,
        org_public_id=str(org.public_id),
        org_code=org.code,
        org_name=org.name,
        root_org_id=root_of(org.pk),
        role=role,
        plan=org.plan_tier,
        tier=org.partnership_tier,
        org_ids=frozenset(org_ids),
        administered_org_ids=frozenset(administered),
        partner_org_ids=frozenset(partner_org_ids),
        location_ids=frozenset(location_ids),
        operated_location_ids=frozenset(operated_location_ids),
        org_location_ids=frozenset(own_location_ids | shared_location_ids),
        member_location_ids=member_location_ids,
        shared_grants=tuple((o, frozenset(locs)) for o, locs in sorted(grants.items()) if locs),
        partnership_ids=frozenset(links.partnership_ids),
        features=entitlements.features,
        limits=entitlements.limits,
        memberships=memberships,
        read_only=read_only,
        preview_of=preview_of,
    )


def partnership_view_scope(*, partner_scope: Scope, viewer: Scope, partnership_id: int) -> Scope:
    """ "View as partner": the partner's read-only Scope intersected with what the viewer (the
    partnership's network side) sees. Querysets apply both rules through `lens`; the id sets
    are intersected here so pages that read them directly (filters, panels) agree."""
    seen_orgs = viewer.org_ids | viewer.partner_org_ids
    return replace(
        partner_scope,
        partner_org_ids=partner_scope.partner_org_ids & seen_orgs,
        location_ids=partner_scope.location_ids & viewer.location_ids,
        operated_location_ids=partner_scope.operated_location_ids & viewer.location_ids,
        org_location_ids=partner_scope.org_location_ids & viewer.location_ids,
        shared_grants=tuple(
            (owner_id, locations & viewer.location_ids)
            for owner_id, locations in partner_scope.shared_grants
            if owner_id in viewer.org_ids and locations & viewer.location_ids
        ),
        partnership_ids=partner_scope.partnership_ids & {partnership_id},
        memberships=(),
        read_only=True,
        lens=viewer,
    )


def platform_staff_scope(user_id: int) -> Scope:
    """Platform staff (Django superusers) see everything; `visible_to` short-circuits on it."""
    from core.entitlements import Limits

    return Scope(
        user_id=user_id,
        org_id=None,
        org_public_id="",
        org_code="",
        org_name="Platform staff",
        root_org_id=None,
        role=Role.ORG_SUPER_ADMIN,
        plan="ENTERPRISE",
        tier="FULL",
        org_ids=frozenset(),
        administered_org_ids=frozenset(),
        partner_org_ids=frozenset(),
        location_ids=frozenset(),
        operated_location_ids=frozenset(),
        member_location_ids=None,
        shared_grants=(),
        partnership_ids=frozenset(),
        features=frozenset(),
        limits=Limits(None, None),
        is_platform_staff=True,
    )


def scope_for_user(user, active_org_public_id: str | None = None) -> Scope:
    """The scope of a logged-in user in their active organization: the session's choice, else
    the organization they last used (`User.last_active_organization`), else their first one.
    Each only while the membership in it is active.

    Built once per (user, choice, scope version) and then read from the `scopes` cache: the
    version changes in the same commit as any row a Scope is built from (database triggers,
    partnerships/migrations/0005_scope_version.py), so a cached Scope is never stale. One
    query instead of five on every request (docs/performance.md)."""
    timeout = settings.SCOPE_CACHE_SECONDS
    if user.is_superuser or not timeout:
        return _build_scope_for_user(user, active_org_public_id)
    # Read before building: a Scope cached under a version is never older than that version.
    version = unscoped_scope_version()
    if version is None:
        return _build_scope_for_user(user, active_org_public_id)
    key = (
        f"scope:{version}:{user.pk}:{active_org_public_id or ''}"
        f":{getattr(user, 'last_active_organization_id', None) or ''}"
    )
    cache = caches["scopes"]
    scope = cache.get(key)
    if scope is None:
        scope = _build_scope_for_user(user, active_org_public_id)
        cache.set(key, scope, timeout)
    return scope


def unscoped_scope_version() -> int | None:
    """The current scope version (None when the row is missing). Not tenant data."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM orgs_scopeversion WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


@bypass(reason="scope building reads memberships and partnerships before a scope exists")
def _build_scope_for_user(user, active_org_public_id: str | None) -> Scope:
    """The scope of a logged-in user in their active organization: the session's choice, else
    the organization they last used (`User.last_active_organization`), else their first one.
    Each only while the membership in it is active."""
    if user.is_superuser:
        return platform_staff_scope(user.pk)
    memberships = list(
        Membership.objects.filter(user_id=user.pk, is_active=True)
        .exclude(organization__status="CLOSED")
        .select_related("organization")
        .order_by("organization__code")
    )
    if not memberships:
        raise NoMembership
    last_used = getattr(user, "last_active_organization_id", None)
    chosen = (
        next(
            (m for m in memberships if str(m.organization.public_id) == active_org_public_id), None
        )
        or next((m for m in memberships if m.organization_id == last_used), None)
        or memberships[0]
    )
    choices = tuple(
        OrgChoice(
            str(m.organization.public_id),
            m.organization.code,
            m.organization.name,
            m.role,
            m.organization_id,
        )
        for m in memberships
    )
    return build_scope(
        org=chosen.organization, role=chosen.role, user_id=user.pk, memberships=choices
    )


@bypass(reason="scope building reads memberships and partnerships before a scope exists")
def scope_for_ids(*, user_id: int, org_id: int) -> Scope:
    """Celery tasks and commands rebuild the scope from ids, never from ambient state."""
    membership = Membership.objects.select_related("organization").get(
        user_id=user_id, organization_id=org_id, is_active=True
    )
    return build_scope(org=membership.organization, role=membership.role, user_id=user_id)


def scope_for_org_as_role(org: Organization, role: str = Role.ORG_ADMIN, **kwargs) -> Scope:
    """A scope for an organization as a role, with no user: previews and system jobs."""
    return build_scope(org=org, role=role, user_id=None, **kwargs)
