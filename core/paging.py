"""The one paginator. Every list page counts the same way: at most COUNT_CAP + 1 rows.

Counting millions of visible rows on every page view would make the first page grow with the
data (DESIGN.md §10), so past the cap the page says "10,000+" and asks for a narrower filter.
A page costs two queries (the capped count, then the page's rows) however the template uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

COUNT_CAP = 10_000
PAGE_SIZE = 50


def capped_count(object_list: QuerySet | Sequence, cap: int = COUNT_CAP) -> int:
    """The number of rows, exact up to `cap`, then `cap + 1`.

    A list is already in memory: it is counted exactly. A queryset is counted in a subquery
    that stops after `cap + 1` rows, without ORDER BY (the count does not depend on it) and,
    when the query is a plain row list, without the display joins and the per-row
    annotations (the scan stays on one index; a filter on an annotation still compiles it).
    DISTINCT, GROUP BY and aggregate annotations keep their SELECT: it decides the rows.
    """
    if not isinstance(object_list, QuerySet):
        return len(object_list)
    qs = object_list
    query = qs.query
    if not (query.combinator or query.distinct_fields):
        qs = qs.order_by()
        aggregates = any(
            getattr(a, "contains_aggregate", False) for a in query.annotations.values()
        )
        if not (query.distinct or query.group_by is not None or aggregates):
            qs = qs.select_related(None).values("pk")
    return qs[: cap + 1].count()


class CappedPaginator(Paginator):
    """Django's Paginator with a capped count; `capped` and `count_label` for the template."""

    cap = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return capped_count(cast("QuerySet | Sequence", self.object_list), self.cap)

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def count_label(self) -> str:
        return f"{self.cap:,}+" if self.capped else f"{self.count:,}"

    def _get_page(self, object_list: Any, number: int, paginator: Paginator) -> Page:
        # The rows are read once, here: `{% if page %}`, `|length` and the loop reuse them.
        if self.count == 0:
            return Page([], number, paginator)
        return Page(list(object_list), number, paginator)


def paginate(
    request: HttpRequest,
    object_list: QuerySet | Sequence,
    per_page: int = PAGE_SIZE,
    *,
    param: str = "page",
) -> Page:
    """The page named by `?page=`; a missing, non-numeric or out-of-range value gives the
    first or the last page instead of an error."""
    return CappedPaginator(object_list, per_page).get_page(request.GET.get(param))
