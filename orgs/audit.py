from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from rls.context import bypass

from .models import AuditEvent

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
) -> AuditEvent:
    """Record one AuditEvent; called by every service inside its transaction.

    Written under the RLS bypass: the record belongs to the system, and the actor (a member,
    a partner) may not be allowed to read it back (AuditEvent is visible to administrators)."""
    with bypass(reason=f"audit {action}"):
        return _create(scope, action, target, before, after, acting_org_id)


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


def _create(scope, action, target, before, after, acting_org_id) -> AuditEvent:
    return AuditEvent.objects.create(
        actor_id=scope.user_id if scope else None,
        acting_org_id=acting_org_id or (scope.org_id if scope else None),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "public_id", None) or target.pk),
        target_repr=str(target)[:300],
        before=before,
        after=after,
    )


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
