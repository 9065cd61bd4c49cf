"""Inventory reports: a snapshot at a date and the valuation, as a page, CSV or PDF."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.entitlements import Feature, require_feature
from orgs.decorators import scoped_view

from .. import exports, selectors
from ..forms import SnapshotForm
from .common import stock_context, stock_filter

# The valuation's product table is a report, not a paged list: it stops at this many rows.
VALUATION_MAX_PRODUCTS = 2000


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def report_snapshot(request: HttpRequest) -> HttpResponse:
    form, f, errors = stock_filter(request, SnapshotForm)
    at = form.cleaned_data.get("date") or dt.date.today()
    rows = selectors.snapshot_at(request.scope, at, f) if not errors else []
    context = stock_context(request, f, errors) | {
        "rows": rows,
        "at": at,
        "total": selectors.grand_total(rows),
        "title": f"Inventory snapshot at {at:%Y-%m-%d}",
    }
    fmt = request.GET.get("format")
    if fmt == "csv" and not errors:
        return exports.snapshot_csv(request.scope, rows, at)
    if fmt == "pdf" and not errors:
        return exports.pdf(
            request, "inventory/pdf/snapshot.html", context, f"inventory-snapshot-{at:%Y%m%d}.pdf"
        )
    return render(request, "inventory/report_snapshot.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def report_valuation(request: HttpRequest) -> HttpResponse:
    _, f, errors = stock_filter(request)
    by_location = selectors.totals_by_location(request.scope, f)
    by_product = list(selectors.totals_by_product(request.scope, f)[:VALUATION_MAX_PRODUCTS])
    context = stock_context(request, f, errors) | {
        "by_location": by_location,
        "by_product": by_product,
        "total": selectors.grand_total(by_location),
        "title": f"Inventory valuation at {dt.date.today():%Y-%m-%d}",
    }
    fmt = request.GET.get("format")
    if fmt == "csv" and not errors:
        return exports.valuation_csv(request.scope, by_location, by_product)
    if fmt == "pdf" and not errors:
        return exports.pdf(
            request,
            "inventory/pdf/valuation.html",
            context,
            f"inventory-valuation-{dt.date.today():%Y%m%d}.pdf",
        )
    return render(
        request, "inventory/report_valuation.html", context, status=400 if errors else 200
    )
