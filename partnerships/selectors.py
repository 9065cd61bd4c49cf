"""Reads of the partnerships app, always through the access layer."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from orgs.access import Scope
from orgs.models import Location

from .models import Invitation, Message, Partnership


def partnerships_for(scope: Scope) -> QuerySet[Partnership]:
    return (
        Partnership.objects.visible_to(scope)
        .select_related("relationship__parent", "relationship__child")
        .order_by("relationship__parent__code", "relationship__child__code")
    )


def partnership_list(scope: Scope, *, status: str = "") -> QuerySet[Partnership]:
    qs = partnerships_for(scope)
    return qs.filter(status=status) if status else qs


def with_shared_counts(scope: Scope, partnerships: list[Partnership]) -> list[Partnership]:
    """Set `shared_count` (shared locations the viewer may see) on one page of rows: one query,
    counted for the page only rather than grouped over every partnership before the LIMIT."""
    through = Partnership.shared_locations.through
    rows = through.objects.filter(partnership_id__in=[p.pk for p in partnerships])
    if not scope.is_platform_staff:
        rows = rows.filter(location_id__in=scope.location_ids)
    counted = rows.values("partnership_id").annotate(n=Count("id"))
    counts: dict[int, int] = {row["partnership_id"]: row["n"] for row in counted}
    for p in partnerships:
        p.shared_count = counts.get(p.pk, 0)
    return partnerships


def partnership_detail(scope: Scope, public_id) -> Partnership:
    return get_object_or_404(partnerships_for(scope), public_id=public_id)


def shared_locations(scope: Scope, partnership: Partnership) -> QuerySet[Location]:
    """The partnership's shared locations the viewer may see (none once it has ended)."""
    return (
        Location.objects.visible_to(scope)
        .filter(partnerships=partnership)
        .select_related("operator")
        .order_by("code")
    )


def messages_for(scope: Scope, partnership: Partnership, *, limit: int = 50) -> list[Message]:
    """The latest `limit` messages of a thread, oldest first."""
    rows = list(
        Message.objects.visible_to(scope)
        .filter(partnership=partnership)
        .select_related("author", "author_org")
        .order_by("-created_at", "-id")[:limit]
    )
    rows.reverse()
    return rows


def pending_invitations(scope: Scope) -> QuerySet[Invitation]:
    return (
        Invitation.objects.pending()
        .visible_to(scope)
        .select_related("inviting_org")
        .order_by("-created_at")
    )


def invitation_detail(scope: Scope, public_id) -> Invitation:
    return get_object_or_404(Invitation.objects.visible_to(scope), public_id=public_id)


def shareable_locations(scope: Scope, *, extra: QuerySet | None = None) -> QuerySet[Location]:
    """Locations an admin may share: those its administered organizations operate."""
    qs = Location.objects.visible_to(scope).filter(operator_id__in=scope.administered_org_ids)
    if extra is not None:
        qs = qs | Location.objects.visible_to(scope).filter(pk__in=extra.values("pk"))
    return qs.select_related("operator").order_by("code").distinct()


def account_exists(email: str) -> bool:
    """Whether a person already has an account (the invitation page asks them to log in)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(email__iexact=email).exists()
