"""The stock pages: on hand, by location, by product, expiring lots, movements."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.entitlements import Feature, require_feature
from core.paging import PAGE_SIZE, paginate
from orgs.decorators import scoped_view

from .. import exports, selectors
from ..forms import ExpiringForm
from ..paging import StockPaginator
from .common import stock_context, stock_filter


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_list(request: HttpRequest) -> HttpResponse:
    _, f, errors = stock_filter(request)
    rows = selectors.stock_rows(request.scope, f)
    if request.GET.get("format") == "csv" and not errors:
        return exports.stock_csv(request.scope, rows)
    page = StockPaginator(rows, PAGE_SIZE, scope=request.scope).get_page(request.GET.get("page"))
    context = stock_context(request, f, errors) | {"page": page}
    return render(request, "inventory/stock_list.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_by_location(request: HttpRequest) -> HttpResponse:
    _, f, errors = stock_filter(request)
    rows = selectors.totals_by_location(request.scope, f)
    context = stock_context(request, f, errors) | {
        "rows": rows,
        "total": selectors.grand_total(rows),
    }
    return render(request, "inventory/by_location.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_by_product(request: HttpRequest) -> HttpResponse:
    _, f, errors = stock_filter(request)
    page = paginate(request, selectors.totals_by_product(request.scope, f))
    context = stock_context(request, f, errors) | {"page": page}
    return render(request, "inventory/by_product.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def expiring(request: HttpRequest) -> HttpResponse:
    form, f, errors = stock_filter(request, ExpiringForm)
    days = form.cleaned_data.get("days", 60)
    rows = selectors.expiring_lots(request.scope, days, f)
    if request.GET.get("format") == "csv" and not errors:
        return exports.expiring_csv(rows)
    page = paginate(request, rows)
    context = stock_context(request, f, errors) | {"page": page, "days": days}
    return render(request, "inventory/expiring.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def movements(request: HttpRequest) -> HttpResponse:
    _, f, errors = stock_filter(request)
    page = paginate(request, selectors.movements_for(request.scope, f))
    context = stock_context(request, f, errors) | {"page": page}
    return render(request, "inventory/movements.html", context, status=400 if errors else 200)
