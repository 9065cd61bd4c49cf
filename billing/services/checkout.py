"""Checkout: an admin buys a plan and add-ons. The checkout records what is bought; the plan
changes only when the payment is confirmed (at Stripe, or at once when simulated).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import stripe_gateway
from billing.models import Checkout, CheckoutStatus, PlanChangeSource, Subscription
from billing.services.plans import organization_change_plan
from core.entitlements import PLAN_ORDER
from core.enums import PlanTier
from orgs import policy
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Organization

MAX_EXTRA_LOCATIONS = 50


def _require_org_admin(scope: Scope) -> Organization:
    policy.require(scope, policy.Action.ORGANIZATION_CHANGE_PLAN)
    return Organization.objects.visible_to(scope).get(pk=scope.org_id)


@transaction.atomic
def checkout_start(
    *,
    scope: Scope,
    plan: str,
    extra_location_addons: int = 0,
    advanced_forecasting_addon: bool = False,
    self_pay: bool = False,
) -> Checkout:
    """Record what the admin asks to buy (the whole target subscription). The plan changes
    only when the payment is confirmed."""
    org = _require_org_admin(scope)
    extra_location_addons, advanced_forecasting_addon = _validate_purchase(
        org,
        plan=plan,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        self_pay=self_pay,
    )
    checkout = Checkout.objects.create(
        organization=org,
        plan=plan,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        self_pay=self_pay,
        simulated=not stripe_gateway.enabled(),
        created_by_id=scope.user_id,
    )
    audit(
        scope=scope,
        action="billing.checkout_start",
        target=checkout,
        after={
            "plan": plan,
            "extra_location_addons": extra_location_addons,
            "advanced_forecasting_addon": advanced_forecasting_addon,
            "simulated": checkout.simulated,
        },
    )
    return checkout


def _validate_purchase(
    org: Organization,
    *,
    plan: str,
    extra_location_addons: int,
    advanced_forecasting_addon: bool,
    self_pay: bool,
) -> tuple[int, bool]:
    """Refuse what checkout does not sell; returns the add-ons actually bought (only PRO
    sells add-ons). A purchase must add something: a higher plan, or more add-ons on PRO."""
    if plan not in (PlanTier.PRO, PlanTier.ENTERPRISE):
        raise ValidationError("Choose PRO or ENTERPRISE.")
    current = PLAN_ORDER.index(org.plan_tier)
    target = PLAN_ORDER.index(plan)
    if target < current:
        raise ValidationError(
            "Downgrades are made by cancelling the subscription, not through checkout."
        )
    if plan != PlanTier.PRO:
        extra_location_addons, advanced_forecasting_addon = 0, False
    if extra_location_addons < 0 or extra_location_addons > MAX_EXTRA_LOCATIONS:
        raise ValidationError(f"Choose between 0 and {MAX_EXTRA_LOCATIONS} additional locations.")
    if target == current and (
        plan != PlanTier.PRO
        or (
            extra_location_addons <= org.extra_location_addons
            and advanced_forecasting_addon <= org.advanced_forecasting_addon
        )
    ):
        raise ValidationError(
            f"{org.code} already has the {org.plan_tier} plan with these add-ons."
        )
    if self_pay and not settings.BILLING_SELF_PAY_ENABLED:
        raise ValidationError("Self-pay is not enabled; your network bills your plan.")
    return extra_location_addons, advanced_forecasting_addon


def checkout_open_at_stripe(*, scope: Scope, checkout: Checkout, email: str) -> str:
    """Create (once) the Stripe customer and Checkout Session; returns the URL to redirect to.

    Outside a transaction on purpose: it talks to Stripe. Idempotency keys derived from our
    ids make a retry return the same customer and session.
    """
    if checkout.stripe_url:
        return checkout.stripe_url
    org = checkout.organization
    # The admin buying a plan administers the organization: its subscription is visible.
    subscription, _ = Subscription.objects.visible_to(scope).get_or_create(
        organization=org, defaults={"plan": org.plan_tier}
    )
    if not subscription.stripe_customer_id:
        subscription.stripe_customer_id = stripe_gateway.customer_create(org=org, email=email)
        subscription.save(update_fields=["stripe_customer_id", "updated_at"])
    session = stripe_gateway.checkout_session_create(
        checkout=checkout, customer_id=subscription.stripe_customer_id
    )
    Checkout.objects.visible_to(scope).filter(pk=checkout.pk).update(
        stripe_session_id=session.id, stripe_url=session.url
    )
    audit(
        scope=scope,
        action="billing.checkout_stripe_session",
        target=checkout,
        after={"session": session.id},
    )
    return session.url


def _complete_checkout(*, scope: Scope | None, checkout: Checkout, source: str) -> bool:
    """Mark a checkout paid and apply its plan; False when it was already completed."""
    checkout = unscoped_relock(checkout)
    if checkout.status == CheckoutStatus.COMPLETED:
        return False
    checkout.status = CheckoutStatus.COMPLETED
    checkout.completed_at = timezone.now()
    checkout.save(update_fields=["status", "completed_at"])
    organization_change_plan(
        scope=scope,
        org=checkout.organization,
        plan=checkout.plan,
        extra_location_addons=checkout.extra_location_addons,
        advanced_forecasting_addon=checkout.advanced_forecasting_addon,
        self_pay=checkout.self_pay,
        source=source,
    )
    return True


@transaction.atomic
def checkout_confirm_simulated(*, scope: Scope, checkout: Checkout) -> bool:
    """The simulated payment (no STRIPE_SECRET_KEY): confirms at once. Safe to double-click."""
    _require_org_admin(scope)
    if not checkout.simulated or stripe_gateway.enabled():
        raise ValidationError(
            "This checkout is paid at Stripe; its confirmation comes from Stripe."
        )
    done = _complete_checkout(scope=scope, checkout=checkout, source=PlanChangeSource.CHECKOUT)
    if done:
        audit(scope=scope, action="billing.checkout_simulated_paid", target=checkout)
    return done
