"""Every write on the organization side: one function per use case, atomic and audited."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from guardian.shortcuts import assign_perm, remove_perm

from core.entitlements import check_location_limit
from core.enums import TIER_FOR_PLAN, PlanTier
from core.numbering import LOCATION_CODE, ORGANIZATION_CODE, next_code
from orgs.access import RELATIONSHIP_POLICY, Scope, unscoped_relock
from orgs.audit import audit, audit_changes, changed_fields
from orgs.hierarchy import ancestor_ids
from orgs.models import (
    OWNING_TYPES,
    BillingMode,
    Location,
    LocationKind,
    Membership,
    Organization,
    OrganizationRelationship,
    OrgType,
    RelationshipStatus,
    Role,
)
from orgs.policy import Action, require
from orgs.selectors import unscoped_locations_in_use
from rls.context import bypass

User = get_user_model()


def _has_owning_parent(org: Organization) -> bool:
    return (
        OrganizationRelationship.objects.owning()
        .active()
        .filter(child=org)
        .exists()  # unscoped on purpose: an invariant check, nothing is shown
    )


@bypass(reason="hierarchy: the cycle check walks ancestors the viewer may not see")
def would_cycle(parent: Organization, child: Organization) -> bool:
    """True when `child` is already `parent` or one of its owning ancestors."""
    return child.pk in ancestor_ids(parent.pk)


@transaction.atomic
def relationship_create(
    *, scope: Scope, parent: Organization, child: Organization, type: str
) -> OrganizationRelationship:
    """Link two organizations of the viewer's network in the hierarchy (owning types only).

    Partner-type links are made by accepting an invitation (partnerships app).
    """
    require(scope, Action.ORGANIZATION_LINK, parent)
    require(scope, Action.ORGANIZATION_LINK, child)
    if type not in OWNING_TYPES:
        raise ValidationError("Partner, affiliate and franchise links are made by invitation.")
    if parent.pk == child.pk:
        raise ValidationError("An organization cannot be its own parent.")
    if would_cycle(parent, child):
        raise ValidationError(
            f"{child.code} is above {parent.code} in the hierarchy; linking them would make a cycle."
        )
    if _has_owning_parent(child):
        raise ValidationError(f"{child.code} already has an owning parent.")
    try:
        with transaction.atomic():
            rel = OrganizationRelationship.objects.create(
                parent=parent, child=child, type=type, status=RelationshipStatus.ACTIVE
            )
    except IntegrityError:
        raise ValidationError(f"{parent.code} and {child.code} are already linked.")
    audit(scope=scope, action="relationship.create", target=rel, after={"type": type})
    return rel


@transaction.atomic
def organization_create_child(
    *, scope: Scope, parent: Organization, name: str, org_type: str, relationship_type: str
) -> Organization:
    """Create a subsidiary, division or branch under an organization the viewer administers."""
    require(scope, Action.ORGANIZATION_LINK, parent)
    if relationship_type not in OWNING_TYPES:
        raise ValidationError("Choose subsidiary, division or branch.")
    name = name.strip()
    if not name:
        raise ValidationError("Enter a name.")
    org, rel = _unscoped_create_child(parent, name, org_type, relationship_type)
    audit(scope=scope, action="organization.create", target=org, after={"parent": parent.code})
    audit(scope=scope, action="relationship.create", target=rel, after={"type": relationship_type})
    return org


@bypass(reason="a new child organization: not in the admin's subtree until it is linked")
def _unscoped_create_child(
    parent: Organization, name: str, org_type: str, relationship_type: str
) -> tuple[Organization, OrganizationRelationship]:
    # The caller has checked ORGANIZATION_LINK on the parent. Row-level security would refuse
    # the new row (INSERT ... RETURNING must see it, and it joins the subtree only once linked).
    plan = PlanTier.ENTERPRISE
    org = Organization.objects.create(
        code=next_code(ORGANIZATION_CODE),
        name=name,
        org_type=org_type,
        plan_tier=plan,
        partnership_tier=TIER_FOR_PLAN[plan],
        billing_mode=RELATIONSHIP_POLICY[relationship_type]["default_billing"]
        or BillingMode.INCLUDED,
    )
    rel = OrganizationRelationship.objects.create(parent=parent, child=org, type=relationship_type)
    return org, rel


@transaction.atomic
def location_create(
    *,
    scope: Scope,
    operator: Organization,
    name: str,
    kind: str,
    city: str = "",
    country: str = "",
    address: str = "",
    idempotency_key: str | None = None,
) -> Location:
    """Add a location the viewer's org operates, within the plan's location allowance.

    The same `idempotency_key` (the form's hidden key) adds one location: a repeat, a double
    click or a simultaneous twin gets the first location back, unchanged and not audited again.
    """
    require(scope, Action.LOCATION_CREATE, operator)
    # Lock the operator row so two concurrent creations cannot both pass the limit check (and
    # a twin with the same key waits here, then finds the first one's location).
    unscoped_relock(operator)
    key = idempotency_key or None
    if key and (first := unscoped_location_by_key(operator.pk, key)):
        return first
    check_location_limit(scope, unscoped_locations_in_use(operator.pk))
    try:
        with transaction.atomic():
            location = Location.objects.create(
                code=next_code(LOCATION_CODE),
                name=name.strip(),
                kind=kind,
                operator=operator,
                city=city.strip(),
                country=country.strip().upper(),
                address=address.strip(),
                idempotency_key=key,
            )
    except IntegrityError:
        # Only the key can collide (codes come from a sequence); the first one wins.
        first = unscoped_location_by_key(operator.pk, key) if key else None
        if first is None:
            raise
        return first
    audit(scope=scope, action="location.create", target=location, after={"name": location.name})
    return location


def unscoped_location_by_key(operator_id: int, key: str) -> Location | None:
    """The location a create form with this key already added for the operator.

    Unscoped, and safe: the caller was allowed to create locations for the operator, and the
    row is the one its own earlier submit created (RLS lets an operator's admins read it)."""
    return Location.objects.filter(operator_id=operator_id, idempotency_key=key).first()


@transaction.atomic
def organization_update(
    *, scope: Scope, organization: Organization, name: str, org_type: str
) -> Organization:
    """Rename an administered organization or change its type. Code, plan, billing and status
    are not edited here: codes are stable, plans change through billing, status through staff."""
    organization = unscoped_relock(organization)
    require(scope, Action.ORGANIZATION_EDIT, organization)
    name = name.strip()
    if not name:
        raise ValidationError("Enter a name.")
    if org_type not in OrgType.values:
        raise ValidationError("Choose the organization's type.")
    before = {"name": organization.name, "org_type": organization.org_type}
    after = {"name": name, "org_type": org_type}
    changed = changed_fields(before, after)
    if not changed:
        return organization
    organization.name, organization.org_type = name, org_type
    organization.save(update_fields=["name", "org_type", "updated_at"])
    audit_changes(
        scope=scope,
        action="organization.update",
        target=organization,
        before=before,
        after=after,
        changed=changed,
    )
    return organization


@transaction.atomic
def location_update(
    *,
    scope: Scope,
    location: Location,
    name: str,
    kind: str,
    city: str = "",
    country: str = "",
    address: str = "",
) -> Location:
    """Edit a location's description. The operator never changes (it decides who may see and
    count there); activation and negative stock are not edited here either, because they bear
    on the location allowance and the stock ledger."""
    location = unscoped_relock(location)
    require(scope, Action.LOCATION_EDIT, location)
    name = name.strip()
    if not name:
        raise ValidationError("Enter a name.")
    if kind not in LocationKind.values:
        raise ValidationError("Choose the kind of location.")
    fields = ("name", "kind", "city", "country", "address")
    before = {f: getattr(location, f) for f in fields}
    after = {
        "name": name,
        "kind": kind,
        "city": city.strip(),
        "country": country.strip().upper(),
        "address": address.strip(),
    }
    changed = changed_fields(before, after)
    if not changed:
        return location
    for k in changed:
        setattr(location, k, after[k])
    location.full_clean(exclude=["operator"])
    location.save(update_fields=changed)
    audit_changes(
        scope=scope,
        action="location.update",
        target=location,
        before=before,
        after=after,
        changed=changed,
    )
    return location


def check_role_grant(scope: Scope, org: Organization, role: str) -> None:
    """Only a super admin grants super admin, and only at the root organization."""
    if role == Role.ORG_SUPER_ADMIN:
        require(scope, Action.MEMBERSHIP_GRANT_SUPER_ADMIN, org)
        if _has_owning_parent(org):
            raise ValidationError("The super admin role exists only at the root organization.")


def _require_can_manage(scope: Scope, membership: Membership, action: Action) -> None:
    require(scope, action, membership)
    if membership.user_id == scope.user_id:
        raise ValidationError("You cannot change your own membership; ask another admin.")


@transaction.atomic
def membership_change_role(*, scope: Scope, membership: Membership, role: str) -> Membership:
    membership = unscoped_relock(membership)
    _require_can_manage(scope, membership, Action.MEMBERSHIP_CHANGE_ROLE)
    check_role_grant(scope, membership.organization, role)
    before = membership.role
    if before == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit(
        scope=scope,
        action="membership.change_role",
        target=membership,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def membership_deactivate(*, scope: Scope, membership: Membership) -> Membership:
    membership = unscoped_relock(membership)
    _require_can_manage(scope, membership, Action.MEMBERSHIP_DEACTIVATE)
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    audit(scope=scope, action="membership.deactivate", target=membership, before={"active": True})
    return membership


@transaction.atomic
def membership_reactivate(*, scope: Scope, membership: Membership) -> Membership:
    """Give a deactivated member access again, with the role they had."""
    membership = unscoped_relock(membership)
    _require_can_manage(scope, membership, Action.MEMBERSHIP_REACTIVATE)
    check_role_grant(scope, membership.organization, membership.role)
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    audit(scope=scope, action="membership.reactivate", target=membership, after={"active": True})
    return membership


@transaction.atomic
def membership_set_locations(
    *, scope: Scope, membership: Membership, locations: list[Location]
) -> Membership:
    """A member's per-location rights (django-guardian grants on Location)."""
    require(scope, Action.MEMBERSHIP_SET_LOCATIONS, membership)
    operated = {loc.pk for loc in locations}
    current = {
        loc.pk
        for loc in Location.objects.visible_to(scope)
        if membership.user.has_perm("orgs.operate_location", loc)
    }
    for loc in locations:
        if loc.pk not in current:
            assign_perm("orgs.operate_location", membership.user, loc)
    for loc in Location.objects.visible_to(scope).filter(pk__in=current - operated):
        remove_perm("orgs.operate_location", membership.user, loc)
    audit(
        scope=scope,
        action="membership.set_locations",
        target=membership,
        before={"locations": sorted(current)},
        after={"locations": sorted(operated)},
    )
    return membership


@transaction.atomic
def user_update_profile(*, user, full_name: str) -> None:
    before = user.full_name
    user.full_name = full_name.strip()
    user.save(update_fields=["full_name"])
    audit(
        scope=None,
        action="user.update_profile",
        target=user,
        before={"full_name": before},
        after={"full_name": user.full_name},
    )


def user_remember_active_organization(*, user, organization_id: int) -> None:
    """Where the user's next session lands (orgs.access.scope_for_user): the organization
    they last switched to or joined. Not audited: a preference, not a change to any data."""
    if user.last_active_organization_id == organization_id:
        return
    user.last_active_organization_id = organization_id
    User.objects.filter(pk=user.pk).update(last_active_organization_id=organization_id)
