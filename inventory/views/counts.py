"""Stock counts: the list, opening a sheet, recording and posting it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from core.entitlements import Feature, require_feature
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from orgs.decorators import scoped_view
from orgs.policy import Action, can

from ..forms import CountForm, CountSheetForm
from ..models import CountStatus, StockCount
from ..services import counts
from .common import prefill


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_list(request: HttpRequest) -> HttpResponse:
    qs = StockCount.objects.visible_to(request.scope).select_related("location")
    page = paginate(request, qs)
    return render(request, "inventory/counts.html", {"page": page})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_create(request: HttpRequest) -> HttpResponse:
    form = CountForm(
        request.POST or None, scope=request.scope, initial=prefill(request, "location")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = counts.count_create(
                scope=request.scope,
                location=data["location"],
                kind=data["kind"],
                products=list(data["products"]),
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return redirect("inventory:count_detail", public_id=count.public_id)
    return render_form(request, "inventory/count_form.html", {"form": form})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    count = get_object_or_404(
        StockCount.objects.visible_to(request.scope).select_related("location"),
        public_id=public_id,
    )
    lines = list(count.lines.select_related("product"))
    status = 200
    if request.method == "POST":
        form = CountSheetForm(request.POST, lines=lines)
        if form.is_valid() and _record(request, count, form):
            return redirect("inventory:count_detail", public_id=count.public_id)
        if form.errors:
            messages.error(request, form.error_text())
        status = 400
        lines = list(count.lines.select_related("product"))
    is_open = count.status == CountStatus.OPEN
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "open": is_open,
            "can_edit": is_open and can(request.scope, Action.STOCK_COUNT_EDIT, count),
            "can_post": is_open and can(request.scope, Action.STOCK_COUNT_POST, count),
        },
        status=status,
    )


def _record(request: HttpRequest, count: StockCount, form: CountSheetForm) -> bool:
    """Save the counts, and post them when asked. False (with the reason shown) if refused."""
    try:
        counts.count_record(scope=request.scope, count=count, counted=form.counted)
        if form.posts:
            counts.count_post(scope=request.scope, count=count)
            messages.success(request, "Count posted: variances corrected in one batch.")
        else:
            messages.success(request, "Counts saved. Review the variances, then post.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        return True
    return False
