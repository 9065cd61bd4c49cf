from __future__ import annotations

from django.db.models import QuerySet

from orgs.access import Scope

from .models import Partnership


def partnerships_for(scope: Scope) -> QuerySet[Partnership]:
    return (
        Partnership.objects.visible_to(scope)
        .select_related("relationship__parent", "relationship__child")
        .order_by("relationship__parent__code", "relationship__child__code")
    )
