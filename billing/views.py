"""Billing pages: thin (parse, call a service or selector, render)."""

from __future__ import annotations

import logging
from decimal import Decimal

import stripe
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from core.entitlements import (
    ADDONS,
    PLAN_CARDS,
    PLAN_LIMITS,
    PLAN_ORDER,
    PLAN_PRICES,
    AddOn,
    matrix_rows,
    plan_unlocks,
)
from core.exports import csv_response, money, pdf_response
from core.forms import add_service_error, error_text
from core.paging import paginate
from orgs.decorators import admin_view, scoped_view
from orgs.models import Organization

from . import selectors, stripe_gateway
from .forms import BillingModeForm, CheckoutForm
from .models import CheckoutStatus
from .services import checkout as checkout_services
from .services.network import organization_set_billing_mode
from .services.webhooks import webhook_event_record

log = logging.getLogger(__name__)


def pricing(request):
    """Public: the three plans, add-ons and the permission matrix, from the entitlements table."""
    cards = [
        {"card": card, "price": PLAN_PRICES[card.plan], "limits": PLAN_LIMITS[card.plan]}
        for card in PLAN_CARDS
    ]
    return render(
        request,
        "billing/pricing.html",
        {"cards": cards, "addons": ADDONS.values(), "matrix": matrix_rows(), "plans": PLAN_ORDER},
    )


def _plan_context(request, form=None) -> dict:
    scope = request.scope
    current = scope.plan
    return {
        "usage": selectors.plan_usage(scope),
        "subscription": selectors.own_subscription(scope) if scope.is_admin else None,
        "unlocks": plan_unlocks(current) if current in PLAN_ORDER else [],
        "matrix": matrix_rows(),
        "plans": PLAN_ORDER,
        "addons": ADDONS,
        "extra_location": ADDONS[AddOn.EXTRA_LOCATION],
        "advanced_forecasting": ADDONS[AddOn.ADVANCED_FORECASTING],
        "can_buy_addons": current in ADDONS[AddOn.EXTRA_LOCATION].plans,
        "stripe_enabled": stripe_gateway.enabled(),
        "self_pay_enabled": settings.BILLING_SELF_PAY_ENABLED,
        "form": form,
    }


@scoped_view
def plan(request):
    """Every member sees the active org's tier, usage against limits and what upgrades unlock;
    admins get the upgrade and add-on buttons."""
    if request.scope.is_platform_staff:
        return redirect("/admin/billing/subscription/")
    return render(request, "billing/plan.html", _plan_context(request))


@admin_view
@require_POST
def checkout_start(request):
    scope = request.scope
    form = CheckoutForm(request.POST)
    if form.is_valid():
        try:
            checkout = checkout_services.checkout_start(scope=scope, **form.cleaned_data)
            if checkout.simulated:
                return redirect("billing:checkout", public_id=checkout.public_id)
            url = checkout_services.checkout_open_at_stripe(
                scope=scope, checkout=checkout, email=request.user.email
            )
            return redirect(url)
        except ValidationError as exc:
            add_service_error(form, exc)
        except stripe.StripeError as exc:
            log.warning("stripe checkout failed: %s", exc)
            form.add_error(
                None, "The payment provider did not answer; nothing was charged. Try again."
            )
    return render(request, "billing/plan.html", _plan_context(request, form), status=400)


@admin_view
def checkout(request, public_id):
    """The simulated checkout page (no STRIPE_SECRET_KEY), or the return page from Stripe."""
    checkout = selectors.checkout_for(request.scope, public_id)
    if request.method == "POST":
        try:
            checkout_services.checkout_confirm_simulated(scope=request.scope, checkout=checkout)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return render(
                request,
                "billing/checkout.html",
                {"checkout": checkout, **_amounts(checkout)},
                status=400,
            )
        messages.success(
            request,
            f"Simulated payment confirmed: {checkout.organization.code} is now on {checkout.plan}.",
        )
        return redirect("billing:plan")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "billing/checkout.html", {"checkout": checkout, **_amounts(checkout)})


def _amounts(checkout) -> dict:
    from core.entitlements import monthly_amount

    lines = [(f"{checkout.plan} plan", PLAN_PRICES[checkout.plan])]
    if checkout.extra_location_addons:
        row = ADDONS[AddOn.EXTRA_LOCATION]
        lines.append(
            (
                f"{row.label} × {checkout.extra_location_addons}",
                row.price * checkout.extra_location_addons,
            )
        )
    if checkout.advanced_forecasting_addon:
        row = ADDONS[AddOn.ADVANCED_FORECASTING]
        lines.append((row.label, row.price))
    return {
        "lines": lines,
        "total": monthly_amount(
            checkout.plan, checkout.extra_location_addons, checkout.advanced_forecasting_addon
        ),
        "completed": checkout.status == CheckoutStatus.COMPLETED,
    }


def _network_admin(request):
    if request.scope is None or not request.scope.is_network_root_super_admin:
        raise PermissionDenied("Network billing is for the root organization's super admin.")


@scoped_view
def network_billing(request):
    _network_admin(request)
    billing = selectors.network_billing(request.scope)
    page = paginate(request, billing.rows)
    return render(request, "billing/network.html", {"billing": billing, "page": page})


@scoped_view
@require_POST
def network_billing_mode(request, public_id):
    _network_admin(request)
    org = get_object_or_404(Organization.objects.visible_to(request.scope), public_id=public_id)
    form = BillingModeForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            organization_set_billing_mode(
                scope=request.scope, org=org, billing_mode=form.cleaned_data["billing_mode"]
            )
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(
                request, f"{org.code} is now billed as {form.cleaned_data['billing_mode']}."
            )
            return redirect("billing:network")
    else:
        error = "Choose a billing mode."
    billing = selectors.network_billing(request.scope)
    page = paginate(request, billing.rows)
    messages.error(request, f"{org.code}: {error}")
    return render(request, "billing/network.html", {"billing": billing, "page": page}, status=400)


@scoped_view
def statement(request, fmt: str):
    """The network's monthly statement as CSV or PDF (WeasyPrint)."""
    _network_admin(request)
    billing = selectors.network_billing(request.scope)
    month = timezone.now().strftime("%Y-%m")
    filename = f"statement-{billing.root_code}-{month}.{fmt}"
    if fmt == "csv":
        return csv_response(
            filename,
            ["organization", "name", "relationship", "plan", "billing_mode", "item", "amount_usd"],
            _statement_rows(billing),
        )
    return pdf_response(
        request,
        "billing/statement_pdf.html",
        {"billing": billing, "month": month, "generated": timezone.now()},
        filename=filename,
    )


def _statement_rows(billing) -> list[list[str]]:
    rows = []
    for row in billing.rows:
        head = [row.code, row.name, row.relationship, row.plan, row.billing_mode]
        if not row.lines:
            rows.append([*head, row.note, money(Decimal(0))])
        rows.extend([*head, line.description, money(line.amount)] for line in row.lines)
    rows.append(["", "", "", "", "", "Plans", money(billing.plans_total)])
    rows.append(["", "", "", "", "", "Add-ons", money(billing.addons_total)])
    rows.append(["", "", "", "", "", "Total", money(billing.total)])
    return rows


@scoped_view
def metrics(request):
    _network_admin(request)
    data = selectors.network_metrics(request.scope)
    peak = max((p.value for p in data.mrr), default=0) or 1
    bars = []
    for i, point in enumerate(data.mrr):
        height = round(float(point.value) / float(peak) * 170)
        bars.append(
            {
                "month": point.month,
                "value": point.value,
                "x": i * 10,
                "y": 180 - height,
                "height": height,
            }
        )
    return render(
        request,
        "billing/metrics.html",
        {"m": data, "bars": bars, "chart_width": max(len(bars) * 10, 10)},
    )


@csrf_exempt
def stripe_webhook(request):
    """Stripe → us. The signature is checked on the raw body; each event id is stored once and
    processed by a Celery task queued on commit."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseBadRequest("Webhooks are not configured.")
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature", ""), secret, tolerance=300
        )
    except ValueError:
        return HttpResponseBadRequest("Invalid payload.")
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("Invalid signature.")
    data = event.to_dict() if hasattr(event, "to_dict") else dict(event)
    if not data.get("id"):
        return HttpResponseBadRequest("Event without id.")
    record, created = webhook_event_record(event=data)
    return JsonResponse({"received": True, "duplicate": not created, "status": record.status})
