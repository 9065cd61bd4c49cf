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
from django.urls import reverse
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
    monthly_amount,
    plan_unlocks,
)
from core.exports import csv_response, money, pdf_response
from core.forms import add_service_error, error_text
from core.paging import paginate
from orgs.decorators import admin_view, scoped_view
from orgs.models import BillingMode, Organization

from . import selectors, stripe_gateway
from .forms import BillingModeForm, CheckoutForm, DeclineForm, DowngradeForm, SponsoredUpgradeForm
from .models import CheckoutStatus, SponsoredUpgradeStatus
from .services import checkout as checkout_services
from .services import downgrade as downgrade_services
from .services import sponsorship
from .services.network import billing_mode_change_preview, organization_set_billing_mode
from .services.plans import network_root_for, self_pay_allowed
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


def _sponsor_of(scope) -> Organization | None:
    """The network root an upgrade of the active organization would be billed to (and so needs
    its approval), or None when the organization pays for itself."""
    org = selectors.own_organization(scope)
    if org is None or org.billing_mode in (BillingMode.MASTER, BillingMode.SELF_PAY):
        return None
    network = network_root_for(org)
    return network if network is not None and network.pk != org.pk else None


def _plan_context(request, form=None) -> dict:
    scope = request.scope
    current = scope.plan
    org = selectors.own_organization(scope)
    sponsor = _sponsor_of(scope) if scope.is_admin else None
    downgradable = (
        org is not None
        and scope.is_admin
        and org.billing_mode not in (BillingMode.MASTER, BillingMode.INCLUDED)
    )
    return {
        "payments_configured": stripe_gateway.payments_configured(),
        "payments_not_configured": checkout_services.PAYMENTS_NOT_CONFIGURED,
        "simulated": stripe_gateway.simulated(),
        "sponsor": sponsor,
        "self_pay_allowed": org is not None and self_pay_allowed(org),
        "sponsored_request": (
            selectors.own_latest_sponsored_request(scope) if scope.is_admin else None
        ),
        "addon_action": (
            reverse("billing:sponsored_request_create")
            if sponsor
            else reverse("billing:checkout_start")
            if stripe_gateway.payments_configured()
            else None
        ),
        "downgrades": PLAN_ORDER[: PLAN_ORDER.index(current)]
        if downgradable and current in PLAN_ORDER
        else [],
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
                {"checkout": checkout, **_amounts(checkout), **_payment_state()},
                status=400,
            )
        messages.success(
            request,
            f"Simulated payment confirmed: {checkout.organization.code} is now on {checkout.plan}.",
        )
        return redirect("billing:plan")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "billing/checkout.html",
        {"checkout": checkout, **_amounts(checkout), **_payment_state()},
    )


def _payment_state() -> dict:
    return {
        "simulation_on": stripe_gateway.simulated(),
        "payments_not_configured": (
            None
            if stripe_gateway.payments_configured()
            else checkout_services.PAYMENTS_NOT_CONFIGURED
        ),
    }


def _amounts(checkout) -> dict:
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


def _network_context(request) -> dict:
    billing = selectors.network_billing(request.scope)
    return {
        "billing": billing,
        "page": paginate(request, billing.rows),
        "requests_pending": selectors.sponsored_requests_to_decide(request.scope),
        "requests_decided": selectors.sponsored_requests_decided(request.scope),
    }


@scoped_view
def network_billing(request):
    _network_admin(request)
    return render(request, "billing/network.html", _network_context(request))


@scoped_view
@require_POST
def network_billing_mode(request, public_id):
    """The root sets a linked organization's billing mode in two steps: the first POST shows
    the consequences (plan, bill, features) on a confirmation page; the second, with
    `confirm`, applies it and tells the organization's admins."""
    _network_admin(request)
    org = get_object_or_404(Organization.objects.visible_to(request.scope), public_id=public_id)
    form = BillingModeForm(request.POST)
    error = ""
    if form.is_valid():
        mode = form.cleaned_data["billing_mode"]
        try:
            if not request.POST.get("confirm"):
                preview = billing_mode_change_preview(
                    scope=request.scope, org=org, billing_mode=mode
                )
                return render(
                    request, "billing/mode_confirm.html", {"preview": preview, "mode": mode}
                )
            organization_set_billing_mode(scope=request.scope, org=org, billing_mode=mode)
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(
                request, f"{org.code} is now billed as {mode}; its admins have been notified."
            )
            return redirect("billing:network")
    else:
        error = "Choose a billing mode."
    messages.error(request, f"{org.code}: {error}")
    return render(request, "billing/network.html", _network_context(request), status=400)


# --- Sponsored upgrades -----------------------------------------------------------------------


@admin_view
@require_POST
def sponsored_request_create(request):
    """A partner asks its network root to pay for an upgrade (nothing changes until approved)."""
    form = SponsoredUpgradeForm(request.POST)
    if form.is_valid():
        try:
            upgrade = sponsorship.sponsored_upgrade_request(
                scope=request.scope, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Request sent: {upgrade.network.code}'s super admin approves or declines it. "
                "Nothing is billed and your plan stays until then.",
            )
            return redirect("billing:plan")
    return render(request, "billing/plan.html", _plan_context(request, form), status=400)


@scoped_view
def sponsored_request(request, public_id):
    """One request, seen by the asking organization's admins and the paying network's admins;
    the root's super admin approves or declines it here, the asker may withdraw it."""
    scope = request.scope
    upgrade = selectors.sponsored_request_for(scope, public_id)
    decline_form = DeclineForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approve":
                applied = sponsorship.sponsored_upgrade_approve(scope=scope, upgrade=upgrade)
                messages.success(
                    request,
                    f"Approved: {upgrade.organization.code} is on {upgrade.plan}, billed to your network."
                    if applied
                    else "This request was already approved.",
                )
                return redirect("billing:sponsored_request", public_id=upgrade.public_id)
            if action == "decline":
                if decline_form.is_valid():
                    sponsorship.sponsored_upgrade_decline(
                        scope=scope, upgrade=upgrade, reason=decline_form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, f"Declined; {upgrade.organization.code} has been told why."
                    )
                    return redirect("billing:sponsored_request", public_id=upgrade.public_id)
            elif action == "cancel":
                sponsorship.sponsored_upgrade_cancel(scope=scope, upgrade=upgrade)
                messages.success(request, "Request withdrawn.")
                return redirect("billing:plan")
            else:
                decline_form.add_error(None, "Choose approve, decline or withdraw.")
        except ValidationError as exc:
            add_service_error(decline_form, exc)
        status = 400
        upgrade = selectors.sponsored_request_for(scope, public_id)
    deciding = scope.is_network_root_super_admin and upgrade.network_id == scope.org_id
    amount = monthly_amount(
        upgrade.plan, upgrade.extra_location_addons, upgrade.advanced_forecasting_addon
    )
    bill_before = bill_after = None
    if deciding:
        bill = selectors.network_billing(scope)
        billed_now = next(
            (r.billed_here for r in bill.rows if r.org_id == upgrade.organization_id), 0
        )
        bill_before = bill.total
        bill_after = bill.total - billed_now + (amount if upgrade.billing_mode == "ADD_ON" else 0)
    context = {
        "upgrade": upgrade,
        "decline_form": decline_form,
        "can_decide": deciding and upgrade.status == SponsoredUpgradeStatus.PENDING,
        "can_cancel": upgrade.organization_id == scope.org_id
        and scope.is_admin
        and upgrade.status == SponsoredUpgradeStatus.PENDING,
        "amount": amount,
        "bill_before": bill_before,
        "bill_after": bill_after,
    }
    return render(request, "billing/sponsored_request.html", context, status=status)


# --- Downgrade or cancel, by the organization itself ------------------------------------------


@admin_view
def plan_change(request):
    """GET: the confirmation page for a lower plan (what becomes read-only or unavailable);
    POST with `confirm`: apply it."""
    form = DowngradeForm(request.POST or request.GET or None)
    preview = None
    if form.is_valid():
        plan_ = form.cleaned_data["plan"]
        try:
            if request.method == "POST" and request.POST.get("confirm"):
                downgrade_services.organization_downgrade(
                    scope=request.scope, plan=plan_, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    f"{request.scope.org_code} is now on {plan_}. Nothing was deleted; "
                    "what the plan lacks is read-only.",
                )
                return redirect("billing:plan")
            preview = downgrade_services.downgrade_preview(scope=request.scope, plan=plan_)
        except ValidationError as exc:
            add_service_error(form, exc)
    elif request.method == "GET" and not request.GET:
        return redirect("billing:plan")
    status = 200 if preview is not None else 400
    return render(
        request, "billing/plan_change.html", {"form": form, "preview": preview}, status=status
    )


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
