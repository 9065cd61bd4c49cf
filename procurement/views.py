from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.entitlements import Feature, require_feature
from core.exports import pdf_response
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from orgs import policy
from orgs.decorators import scoped_view

from . import selectors, services
from .forms import CancelForm, LineFormSet, PurchaseOrderForm
from .models import POStatus


@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_VIEW)
def purchase_order_list(request):
    status = request.GET.get("status", "")
    status = status if status in POStatus.values else ""
    direction = request.GET.get("direction", "")
    direction = direction if direction in selectors.DIRECTIONS else ""
    orders = selectors.purchase_orders_for(request.scope, status=status, direction=direction)
    page = paginate(request, orders)
    page.object_list = selectors.attach_totals(request.scope, page.object_list)
    return render(
        request,
        "procurement/purchase_order_list.html",
        {
            "page": page,
            "status": status,
            "statuses": POStatus.choices,
            "direction": direction,
            "directions": selectors.DIRECTIONS.items(),
        },
    )


@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_CREATE)
def purchase_order_create(request):
    scope = request.scope
    data = request.POST if request.method == "POST" else None
    form = PurchaseOrderForm(data, scope=scope)
    lines = LineFormSet(data, prefix="line", form_kwargs={"scope": scope})
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        line_inputs = [
            services.LineInput(
                product=row["product"], quantity=row["quantity"], unit_price=row["unit_price"]
            )
            for row in lines.cleaned_data
            if row.get("product")
        ]
        try:
            po, created = services.purchase_order_create(
                scope=scope,
                ship_to=form.cleaned_data["ship_to"],
                lines=line_inputs,
                request_key=form.cleaned_data["request_key"],
                expected_date=form.cleaned_data["expected_date"],
                notes=form.cleaned_data["notes"],
                **form.cleaned_data["supplier"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            if created:
                messages.success(request, f"{po.number} was created as a draft.")
            else:
                messages.info(request, f"{po.number} was already created from this form.")
            return redirect("procurement:purchase_order_detail", public_id=po.public_id)
    return render_form(
        request, "procurement/purchase_order_form.html", {"form": form, "lines": lines}
    )


def _context(request, po) -> dict:
    scope = request.scope
    context = {
        "po": po,
        "lines": selectors.purchase_order_lines(scope, po),
        "is_buyer": scope.owns(po.buyer_id),
        "is_supplier": policy.supplier(scope, po),
        "can": {
            "send": policy.can(scope, policy.Action.PO_SEND, po),
            "acknowledge": policy.can(scope, policy.Action.PO_ACKNOWLEDGE, po),
        },
    }
    context["total"] = sum((line.total for line in context["lines"]), 0)
    return context


def _detail(request, po, *, status=200, error=""):
    context = _context(request, po) | {"error": error, "cancel_form": CancelForm()}
    return render(request, "procurement/purchase_order_detail.html", context, status=status)


@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_VIEW)
def purchase_order_detail(request, public_id):
    po = selectors.purchase_order_detail(request.scope, public_id)
    return _detail(request, po)


@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_VIEW)
def purchase_order_pdf(request, public_id):
    """The order as a document, for either side (the supplier reads ship-to as the buyer)."""
    po = selectors.purchase_order_detail(request.scope, public_id)
    return pdf_response(
        request,
        "procurement/purchase_order_pdf.html",
        _context(request, po),
        filename=f"{po.number}.pdf",
    )


def _run(request, public_id, action, done: str):
    po = selectors.purchase_order_detail(request.scope, public_id)
    try:
        po = action(po)
    except ValidationError as exc:
        return _detail(request, po, status=400, error=error_text(exc))
    messages.success(request, done.format(number=po.number))
    return redirect("procurement:purchase_order_detail", public_id=po.public_id)


@require_POST
@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_CREATE)
def purchase_order_send(request, public_id):
    return _run(
        request,
        public_id,
        lambda po: services.purchase_order_send(scope=request.scope, po=po),
        "{number} was sent to the supplier.",
    )


@require_POST
@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_VIEW)
def purchase_order_acknowledge(request, public_id):
    return _run(
        request,
        public_id,
        lambda po: services.purchase_order_acknowledge(scope=request.scope, po=po),
        "{number} is acknowledged.",
    )


@require_POST
@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_CREATE)
def purchase_order_cancel(request, public_id):
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _run(
        request,
        public_id,
        lambda po: services.purchase_order_cancel(scope=request.scope, po=po, reason=reason),
        "{number} was cancelled.",
    )


@require_POST
@scoped_view
@require_feature(Feature.PURCHASE_ORDERS_CREATE)
def purchase_order_close(request, public_id):
    return _run(
        request,
        public_id,
        lambda po: services.purchase_order_close(scope=request.scope, po=po),
        "{number} was closed.",
    )
