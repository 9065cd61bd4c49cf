"""Partnerships once they exist: the network side edits terms, role and shared locations;
either side ends one."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.enums import NotificationKind
from notifications.services import notify
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Location, Organization, RelationshipStatus
from orgs.policy import Action, require
from partnerships.models import Partnership, PartnershipRole, PartnershipStatus


def check_shared_locations(
    scope: Scope,
    network_org: Organization,
    locations: Sequence[Location],
    extra_ok: Iterable[int] = (),
) -> None:
    """Only locations the network side operates (or already shares: `extra_ok`) can be shared."""
    allowed = set(
        Location.objects.visible_to(scope)
        .filter(operator_id__in=scope.administered_org_ids | {network_org.pk})
        .values_list("pk", flat=True)
    ) | set(extra_ok)
    bad = [loc.code for loc in locations if loc.pk not in allowed]
    if bad:
        raise ValidationError(f"You cannot share {', '.join(bad)}.")


def side_of(scope: Scope, partnership: Partnership) -> tuple[int, int]:
    """(the viewer's side org id, the other side org id) of a partnership."""
    rel = partnership.relationship
    if rel.parent_id in scope.org_ids:
        return rel.parent_id, rel.child_id
    if rel.child_id in scope.org_ids:
        return rel.child_id, rel.parent_id
    raise PermissionDenied("You are not a party to this partnership.")


@transaction.atomic
def partnership_update(
    *,
    scope: Scope,
    partnership: Partnership,
    terms: str,
    role: str,
    shared_locations: Sequence[Location],
) -> Partnership:
    """The inviting (network) side edits terms, role and shared locations; every change audited."""
    partnership = unscoped_relock(partnership, select_related=("relationship__parent",))
    require(scope, Action.PARTNERSHIP_EDIT_TERMS, partnership)
    if partnership.status == PartnershipStatus.ENDED:
        raise ValidationError("This partnership has ended; it can no longer be changed.")
    if role not in PartnershipRole.values:
        raise ValidationError("Choose the partner's role.")
    current = list(partnership.shared_locations.all())
    check_shared_locations(
        scope, partnership.relationship.parent, shared_locations, extra_ok=[c.pk for c in current]
    )
    before = {
        "terms": partnership.terms,
        "role": partnership.role,
        "locations": sorted(c.code for c in current),
    }
    after = {
        "terms": terms.strip(),
        "role": role,
        "locations": sorted(loc.code for loc in shared_locations),
    }
    if before == after:
        return partnership
    partnership.terms = terms.strip()
    partnership.role = role
    partnership.save(update_fields=["terms", "role", "updated_at"])
    partnership.shared_locations.set(shared_locations)
    changed = [k for k in before if before[k] != after[k]]
    audit(
        scope=scope,
        action="partnership.update",
        target=partnership,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return partnership


@transaction.atomic
def partnership_end(*, scope: Scope, partnership: Partnership) -> Partnership:
    """Either side's admin ends it: the partner loses access at once; history stays."""
    partnership = unscoped_relock(
        partnership, select_related=("relationship__parent", "relationship__child")
    )
    require(scope, Action.PARTNERSHIP_END, partnership)
    mine, other = side_of(scope, partnership)
    if partnership.status == PartnershipStatus.ENDED:
        return partnership  # a double click
    partnership.status = PartnershipStatus.ENDED
    partnership.ended_at = timezone.now()
    partnership.save(update_fields=["status", "ended_at", "updated_at"])
    rel = partnership.relationship
    rel.status = RelationshipStatus.INACTIVE
    rel.save(update_fields=["status"])
    audit(
        scope=scope,
        action="partnership.end",
        target=partnership,
        before={"status": "ACTIVE"},
        after={"status": "ENDED"},
    )
    ender = Organization.objects.visible_to(scope).get(pk=mine)
    notify(
        org_ids=[other],
        kind=NotificationKind.PARTNERSHIP_ENDED,
        title=f"{ender.name} ended the partnership",
        body=f"Shared data is no longer visible. Partnership: {partnership}.",
        url=f"/partnerships/{partnership.public_id}/",
        exclude_user_id=scope.user_id,
    )
    return partnership
