"""Forecasting, ABC and network analytics pages. Thin: parse, read through selectors, render.

Gates (billing/entitlements.py): forecast and ABC need FORECASTING_BASIC (PRO+); the seed
lists "Basic ABC analysis" among PRO's features and "No ABC/Pareto analysis" for FREE, so ABC
is not REPORTS_BASIC (which FREE has). Advanced forecasting needs FORECASTING_ADVANCED
(ENTERPRISE, or PRO with the $29 add-on); network analytics needs ANALYTICS_ADVANCED.
"""

from __future__ import annotations

from django.shortcuts import render

from core.entitlements import Feature, require_feature
from core.paging import paginate
from orgs.decorators import scoped_view

from . import selectors
from .forecasting import SERVICE_LEVEL_Z, abc_classes, advanced_forecast, basic_forecast
from .forms import ForecastParamsForm

PAGE_SIZE = 50


@scoped_view
@require_feature(Feature.FORECASTING_BASIC)
def forecast(request):
    form = ForecastParamsForm(request.GET or None)
    if request.GET and not form.is_valid():
        return render(
            request, "analytics/forecast.html", {"form": form, "lead_time": 30}, status=400
        )
    lead_time, level = form.params() if request.GET else (30, 95)
    history = selectors.demand_history(request.scope, months=12)
    ranked = sorted(history.series, key=lambda pid: (-history.total(pid), pid))
    page = paginate(request, ranked, PAGE_SIZE)
    products = selectors.products_by_id(request.scope, page.object_list)
    on_hand = selectors.on_hand_by_product(request.scope, page.object_list)
    rows = []
    for pid in page.object_list:
        if pid not in products:
            continue
        f = basic_forecast(history.series[pid], lead_time_days=lead_time, z=SERVICE_LEVEL_Z[level])
        stock = float(on_hand.get(pid) or 0)
        rows.append(
            {
                "product": products[pid],
                "series": history.series[pid],
                "f": f,
                "on_hand": stock,
                "days_of_supply": stock / f.daily_demand if f.daily_demand else None,
                "reorder": stock <= f.reorder_point,
            }
        )
    return render(
        request,
        "analytics/forecast.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "months": history.months,
            "lead_time": lead_time,
            "service_level": level,
        },
    )


@scoped_view
@require_feature(Feature.FORECASTING_ADVANCED)
def forecast_advanced(request):
    history = selectors.demand_history(request.scope, months=36)
    ranked = sorted(history.series, key=lambda pid: (-history.total(pid), pid))
    page = paginate(request, ranked, PAGE_SIZE)
    products = selectors.products_by_id(request.scope, page.object_list)
    rows = []
    for pid in page.object_list:
        result = advanced_forecast(history.series[pid], horizon=3)
        if pid not in products or result is None:
            continue
        peak = (
            history.months[result.peak_month_offset].strftime("%B")
            if result.peak_month_offset is not None
            else None
        )
        rows.append({"product": products[pid], "f": result, "peak": peak})
    last = history.months[-1]
    horizon = []
    for h in range(1, 4):
        month = last.month + h
        horizon.append(last.replace(year=last.year + (month - 1) // 12, month=(month - 1) % 12 + 1))
    return render(
        request,
        "analytics/forecast_advanced.html",
        {"page": page, "rows": rows, "horizon": horizon, "months": history.months},
    )


@scoped_view
@require_feature(Feature.FORECASTING_BASIC)
def abc(request):
    history = selectors.demand_history(request.scope, months=12)
    prices = selectors.product_prices(request.scope, history.series)
    values = {
        pid: history.total(pid) * float(prices[pid]) for pid in history.series if pid in prices
    }
    classes = abc_classes(values)
    total = sum(values.values())
    ranked = sorted(values, key=lambda pid: (-values[pid], pid))
    summary = {c: {"count": 0, "value": 0.0} for c in "ABC"}
    for pid, c in classes.items():
        summary[c]["count"] += 1
        summary[c]["value"] += values[pid]
    page = paginate(request, ranked, PAGE_SIZE)
    products = selectors.products_by_id(request.scope, page.object_list)
    cumulative = sum(values[pid] for pid in ranked[: page.start_index() - 1]) if ranked else 0
    rows = []
    for pid in page.object_list:
        cumulative += values[pid]
        rows.append(
            {
                "product": products.get(pid),
                "units": history.total(pid),
                "value": values[pid],
                "share": values[pid] / total if total else 0,
                "cumulative": cumulative / total if total else 0,
                "class": classes[pid],
            }
        )
    return render(
        request,
        "analytics/abc.html",
        {
            "page": page,
            "rows": [r for r in rows if r["product"]],
            "summary": summary,
            "total": total,
            "months": history.months,
        },
    )


@scoped_view
@require_feature(Feature.ANALYTICS_ADVANCED)
def advanced(request):
    suppliers = selectors.supplier_performance(request.scope)
    locations = selectors.location_supply(request.scope)
    page = paginate(request, locations, PAGE_SIZE)
    return render(
        request,
        "analytics/advanced.html",
        {
            "suppliers": suppliers,
            "page": page,
            "window_days": selectors.LOCATION_WINDOW_DAYS,
        },
    )
