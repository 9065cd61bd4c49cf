"""Downgrade and cancellation by the organization itself, after a confirmation page.

`downgrade_preview` is what the confirmation page lists: the features the lower plan lacks
(derived from the entitlements table, `core.entitlements.plan_losses`), the add-ons that end,
and what the organization uses beyond the lower plan's limits (kept, read-only).
`organization_downgrade` applies it through `organization_change_plan` (nothing is deleted),
cancels a Stripe subscription on commit when the plan ends, and tells the network root's
admins when the root was paying for it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from billing import selectors, stripe_gateway
from billing.models import SPONSORED_MODES, PlanChange, PlanChangeSource
from billing.notify import notify
from billing.services.plans import (
    PlanState,
    organization_change_plan,
    unscoped_admin_emails,
    unscoped_subscription_of,
)
from core.email import queue_email
from core.entitlements import PLAN_LIMITS, PLAN_ORDER, FeatureRow, monthly_amount, plan_losses
from core.enums import NotificationKind, PlanTier
from orgs import policy
from orgs.access import Scope, unscoped_relock
from orgs.models import BillingMode, Organization

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DowngradePreview:
    org: Organization
    current_plan: str
    plan: str
    lost_features: list[FeatureRow]
    lost_addons: list[str]
    over_limits: list[str]  # what stays but is beyond the new limits: read-only
    amount_before: Decimal
    amount_after: Decimal
    network: Organization | None  # the root that pays for it today (ADD_ON / INCLUDED)
    cancels_at_stripe: bool

    @property
    def is_cancellation(self) -> bool:
        return self.plan == PlanTier.FREE


def downgrade_preview(*, scope: Scope, plan: str) -> DowngradePreview:
    """What moving the active organization down to `plan` means, or a clear refusal."""
    policy.require(scope, policy.Action.ORGANIZATION_CHANGE_PLAN)
    org = Organization.objects.visible_to(scope).get(pk=scope.org_id)
    if plan not in PLAN_ORDER or PLAN_ORDER.index(plan) >= PLAN_ORDER.index(org.plan_tier):
        raise ValidationError(f"Choose a plan below {org.code}'s current {org.plan_tier} plan.")
    if org.billing_mode == BillingMode.MASTER:
        raise ValidationError(
            f"{org.code} is its network's master account: contact support to change it."
        )
    if org.billing_mode == BillingMode.INCLUDED:
        raise ValidationError(
            f"{org.code}'s plan is included in its network's plan: the network's super admin "
            "sets it."
        )
    subscription = unscoped_subscription_of(org)
    at_stripe = bool(
        subscription and subscription.stripe_subscription_id and stripe_gateway.enabled()
    )
    if at_stripe and plan != PlanTier.FREE:
        raise ValidationError(
            "Your subscription is paid at Stripe: cancel it (FREE), then buy the lower plan."
        )
    lost_addons = []
    if org.extra_location_addons and plan == PlanTier.FREE:
        lost_addons.append(
            f"{org.extra_location_addons} additional location"
            f"{'s' if org.extra_location_addons > 1 else ''}"
        )
    if org.advanced_forecasting_addon and plan == PlanTier.FREE:
        lost_addons.append("Advanced forecasting add-on")
    usage = selectors.plan_usage(scope)
    limits = PLAN_LIMITS[plan]
    kept_locations = (
        limits.locations + (org.extra_location_addons if plan == PlanTier.PRO else 0)
        if limits.locations is not None
        else None
    )
    over = []
    if limits.skus is not None and usage.skus > limits.skus:
        over.append(
            f"{usage.skus:,} active SKUs, {plan} allows {limits.skus:,}: "
            "they stay readable, new ones are refused"
        )
    if kept_locations is not None and usage.locations > kept_locations:
        over.append(
            f"{usage.locations} locations in use, {plan} allows {kept_locations}: "
            "they stay readable, no new ones"
        )
    payer = subscription.payer if subscription else None
    network = payer if org.billing_mode in SPONSORED_MODES and payer and payer != org else None
    return DowngradePreview(
        org=org,
        current_plan=org.plan_tier,
        plan=plan,
        lost_features=plan_losses(
            org.plan_tier, plan, advanced_forecasting_addon=org.advanced_forecasting_addon
        ),
        lost_addons=lost_addons,
        over_limits=over,
        amount_before=monthly_amount(
            org.plan_tier, org.extra_location_addons, org.advanced_forecasting_addon
        ),
        amount_after=monthly_amount(plan, org.extra_location_addons if plan == PlanTier.PRO else 0),
        network=network,
        cancels_at_stripe=at_stripe,
    )


@transaction.atomic
def organization_downgrade(*, scope: Scope, plan: str, reason: str = "") -> PlanChange | None:
    """The organization moves itself down to `plan` (FREE: cancels). Data is kept; what the
    lower plan lacks becomes read-only. Audited by the plan change."""
    preview = downgrade_preview(scope=scope, plan=plan)
    org = preview.org
    before = PlanState.of(org)
    subscription = unscoped_subscription_of(org)
    stripe_id = subscription.stripe_subscription_id if subscription else ""
    change = organization_change_plan(
        scope=scope,
        org=org,
        plan=plan,
        source=PlanChangeSource.CANCELED if preview.is_cancellation else PlanChangeSource.DOWNGRADE,
        reason=(
            reason.strip()
            or f"{'Cancelled' if preview.is_cancellation else 'Downgraded'} by {org.code}'s admin."
        )[:300],
    )
    if change is None:
        return None
    if preview.cancels_at_stripe and stripe_id:
        transaction.on_commit(lambda: _cancel_at_stripe(stripe_id))
    if preview.network is not None:
        _notify_network(org, preview.network, before, change)
    return change


def _cancel_at_stripe(stripe_subscription_id: str) -> None:
    """After the commit: the plan has already ended here; a Stripe outage is logged (the
    subscription then shows in Stripe's dashboard, and a retried cancel is idempotent)."""
    try:
        stripe_gateway.subscription_cancel(stripe_subscription_id)
    except stripe.StripeError:
        log.exception("cancelling %s at Stripe failed", stripe_subscription_id)


def _notify_network(
    org: Organization, network: Organization, before: PlanState, change: PlanChange
) -> None:
    """The root that paid for the organization hears of the change (its bill changes)."""
    after = PlanState.of(unscoped_relock(org))
    emails = unscoped_admin_emails(network.pk)
    if emails:
        queue_email(
            to=emails,
            template="billing/email/network_member_changed",
            context={
                "org": org,
                "network": network,
                "before": before,
                "after": after,
                "after_network_amount": change.network_amount_after,
                "url": f"{settings.SITE_URL}/billing/",
            },
        )
    transaction.on_commit(
        lambda: notify(
            org_ids=[network.pk],
            kind=NotificationKind.PLAN_CHANGED,
            title=f"{org.code} {org.name} moved from {before.plan} to {after.plan}",
            body=f"Billed under {network.code}: ${before.network_amount}/mo → "
            f"${change.network_amount_after}/mo.",
            url="/billing/",
            admins_only=True,
        )
    )
