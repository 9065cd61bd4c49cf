"""Checkout: an admin buys a plan and add-ons. The checkout records what is bought; the plan
changes only when the payment is confirmed (at Stripe, or at once when simulated).

Fails closed: with no STRIPE_SECRET_KEY and the simulation not switched on explicitly
(BILLING_SIMULATED_CHECKOUT) no checkout is created or confirmed. A checkout is paid by the
organization itself: an upgrade that would land on the network root's bill (ADD_ON, INCLUDED)
is refused here and goes through a sponsored request (billing.services.sponsorship).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing import stripe_gateway
from billing.models import (
    SPONSORED_MODES,
    Checkout,
    CheckoutStatus,
    PlanChangeSource,
    Subscription,
)
from billing.services.plans import (
    billing_mode_for,
    network_root_for,
    organization_change_plan,
    self_pay_allowed,
)
from core.entitlements import PLAN_ORDER
from core.enums import PlanTier
from orgs import policy
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Organization

MAX_EXTRA_LOCATIONS = 50

PAYMENTS_NOT_CONFIGURED = (
    "Payments are not configured: no payment provider is set up, so nothing can be bought "
    "here yet. Ask the people who run this installation to configure Stripe."
)


class PaymentsNotConfigured(ValidationError):
    """No Stripe key and no explicitly enabled simulation: no checkout exists."""

    def __init__(self) -> None:
        super().__init__(PAYMENTS_NOT_CONFIGURED, code="payments_not_configured")


def require_payments_configured() -> None:
    if not stripe_gateway.payments_configured():
        raise PaymentsNotConfigured()


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
    require_payments_configured()
    org = _require_org_admin(scope)
    extra_location_addons, advanced_forecasting_addon = purchase_validate(
        org,
        plan=plan,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
    )
    if self_pay and not self_pay_allowed(org):
        raise ValidationError("Self-pay is not enabled; your network bills your plan.")
    _refuse_billing_the_network(org, plan=plan, self_pay=self_pay)
    checkout = Checkout.objects.create(
        organization=org,
        plan=plan,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        self_pay=self_pay,
        simulated=stripe_gateway.simulated(),
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


def purchase_validate(
    org: Organization,
    *,
    plan: str,
    extra_location_addons: int,
    advanced_forecasting_addon: bool,
) -> tuple[int, bool]:
    """Refuse what is not sold (by checkout or a sponsored request); returns the add-ons
    actually bought (only PRO sells add-ons). A purchase must add something: a higher plan, or
    more add-ons on PRO."""
    if plan not in (PlanTier.PRO, PlanTier.ENTERPRISE):
        raise ValidationError("Choose PRO or ENTERPRISE.")
    current = PLAN_ORDER.index(org.plan_tier)
    target = PLAN_ORDER.index(plan)
    if target < current:
        raise ValidationError(
            "Downgrades are made on the plan page (Downgrade or cancel), not through checkout."
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
    return extra_location_addons, advanced_forecasting_addon


def _refuse_billing_the_network(org: Organization, *, plan: str, self_pay: bool) -> None:
    """A checkout never puts a plan on the network root's bill: that needs the root's approval
    (a sponsored request), or the organization pays its own way (SELF-PAY)."""
    if billing_mode_for(org, plan, self_pay=self_pay) not in SPONSORED_MODES:
        return
    network = network_root_for(org)
    payer = f"{network.code} {network.name}" if network else "your network"
    raise ValidationError(
        f"This upgrade would be billed to {payer}: send it as a request for their approval, "
        "or pay for it yourself (SELF-PAY)."
    )


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
        # Paid by the organization itself (its card, or the labelled simulation): never
        # billed to a network root, which only an approved sponsored request does.
        self_pay=True,
        source=source,
    )
    return True


@transaction.atomic
def checkout_confirm_simulated(*, scope: Scope, checkout: Checkout) -> bool:
    """The simulated payment (explicitly enabled, no STRIPE_SECRET_KEY): confirms at once.
    Safe to double-click."""
    require_payments_configured()
    org = _require_org_admin(scope)
    if not checkout.simulated or not stripe_gateway.simulated():
        raise ValidationError(
            "This checkout is paid at Stripe; its confirmation comes from Stripe."
        )
    if checkout.status != CheckoutStatus.COMPLETED:
        _refuse_billing_the_network(org, plan=checkout.plan, self_pay=checkout.self_pay)
    done = _complete_checkout(scope=scope, checkout=checkout, source=PlanChangeSource.CHECKOUT)
    if done:
        audit(scope=scope, action="billing.checkout_simulated_paid", target=checkout)
    return done
