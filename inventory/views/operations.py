"""Operations on own inventory: adjustments, FEFO picking, transfers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.entitlements import Feature, require_feature
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from orgs.decorators import scoped_view
from orgs.ends import location_end

from .. import selectors
from ..forms import AdjustmentForm, PickForm, TransferForm
from ..models import Transfer
from ..services import operations
from .common import prefill


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def adjust(request: HttpRequest) -> HttpResponse:
    form = AdjustmentForm(
        request.POST or None, scope=request.scope, initial=prefill(request, "location", "product")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            operations.stock_adjust(
                scope=request.scope,
                location=data["location"],
                product=data["product"],
                quantity=data["quantity"],
                reason_code=data["reason_code"],
                lot=data["lot"],
                expiry=data["expiry"],
                note=data["note"],
                idempotency_key=f"adjust:{request.scope.org_id}:{data['key']}",
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Adjusted {data['product'].sku} at {data['location'].code} by "
                f"{data['quantity'].normalize():f}.",
            )
            return redirect(f"{reverse('inventory:list')}?location={data['location'].code}")
    return render_form(request, "inventory/adjust.html", {"form": form})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def pick(request: HttpRequest) -> HttpResponse:
    """FEFO picking suggestion: which lots to take a quantity from, first-expiring first."""
    asked = all(request.GET.get(n) for n in ("location", "product", "quantity"))
    form = PickForm(request.GET if asked else None, scope=request.scope)
    picks, error = None, ""
    if asked and form.is_valid():
        location = form.cleaned_data["location"]
        try:
            picks = selectors.fefo_allocate(
                scope=request.scope,
                owner_id=selectors.default_stock_owner(request.scope, location),
                product=form.cleaned_data["product"],
                location=location,
                quantity=form.cleaned_data["quantity"],
            )
        except ValidationError as exc:
            error = error_text(exc)
    elif asked:
        error = form.error_text()
    return render(
        request,
        "inventory/pick.html",
        {
            "form": form,
            "picks": picks,
            "error": error,
            "location_code": request.GET.get("location", ""),
            "product_id": request.GET.get("product", ""),
            "quantity": request.GET.get("quantity", ""),
        },
        status=400 if error else 200,
    )


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_list(request: HttpRequest) -> HttpResponse:
    qs = Transfer.objects.visible_to(request.scope).select_related(
        "from_location__operator", "to_location__operator"
    )
    page = paginate(request, qs)
    return render(request, "inventory/transfers.html", {"page": page})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_create(request: HttpRequest) -> HttpResponse:
    form = TransferForm(
        request.POST or None,
        scope=request.scope,
        initial=prefill(request, "from_location", "product"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = operations.transfer_create(
                scope=request.scope,
                from_location=data["from_location"],
                to_location=data["to_location"],
                lines=[(data["product"], data["quantity"])],
                note=data["note"],
                idempotency_key=f"transfer:{request.scope.org_id}:{data['key']}",
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Transfer dispatched; it is in transit until received.")
            return redirect("inventory:transfer_detail", public_id=transfer.public_id)
    return render_form(request, "inventory/transfer_form.html", {"form": form})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    transfer = get_object_or_404(
        Transfer.objects.visible_to(request.scope).select_related(
            "from_location__operator", "to_location__operator"
        ),
        public_id=public_id,
    )
    if request.method == "POST":
        try:
            operations.transfer_receive(scope=request.scope, transfer=transfer)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(
                request, f"Received at {location_end(request.scope, transfer.to_location).text}."
            )
        return redirect("inventory:transfer_detail", public_id=transfer.public_id)
    lines = transfer.lines.select_related("product")
    return render(request, "inventory/transfer_detail.html", {"transfer": transfer, "lines": lines})
