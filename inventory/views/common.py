"""What the inventory pages share: the stock filter and its page context, the prefilled
operation forms."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest

from .. import selectors
from ..forms import StockFilterForm
from ..selectors import StockFilter, sees_cost


def stock_filter(
    request: HttpRequest, form_class: type[StockFilterForm] = StockFilterForm
) -> tuple[StockFilterForm, StockFilter, list[str]]:
    """The page's filter form (bound to the query string), the filter to apply (its valid
    parts) and the errors to list (the page then answers 400)."""
    form = form_class(request.GET)
    form.is_valid()
    return form, form.stock_filter(), form.error_list()


def stock_context(request: HttpRequest, f: StockFilter, errors: list[str]) -> dict[str, Any]:
    return {
        "filter": f,
        "errors": errors,
        "show_cost": sees_cost(request.scope),
        "own_org_ids": request.scope.org_ids,
        "query_string": request.GET.urlencode(),
        "cost_method": selectors.COST_METHOD,
    }


def prefill(request: HttpRequest, *names: str) -> dict[str, str]:
    """Initial values from the links on the stock list (location, product), and a fresh
    idempotency key: a double submit of the same form posts once."""
    return {n: request.GET[n] for n in names if request.GET.get(n)} | {"key": uuid.uuid4().hex}
