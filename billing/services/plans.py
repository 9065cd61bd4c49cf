"""Every billing write: plan changes, checkouts, Stripe webhooks, billing modes, overrides.

One service applies a plan change and all its consequences: `organization_change_plan`.
Everything else (a paid checkout, a verified webhook, the network's billing screen, a staff
override, the end of a grace period) calls it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.email import queue_email
from core.entitlements import PLAN_ORDER, monthly_amount
from core.enums import TIER_FOR_PLAN, PlanTier
from orgs import policy
from orgs.access import Scope, root_of, unscoped_relock
from orgs.audit import audit
from orgs.models import (
    ADMIN_ROLES,
    COLLABORATION_TYPES,
    BillingMode,
    Membership,
    Organization,
    OrganizationRelationship,
)
from rls.context import bypass

from . import stripe_gateway
from .models import (
    Checkout,
    CheckoutStatus,
    PlanChange,
    PlanChangeSource,
    PlanOverride,
    Subscription,
    SubscriptionStatus,
    WebhookEvent,
    WebhookStatus,
)
from .notify import notify

log = logging.getLogger(__name__)

# Modes whose amount lands on the network root's consolidated bill.
BILLED_TO_NETWORK = frozenset({BillingMode.MASTER, BillingMode.ADD_ON})


@dataclass(frozen=True)
class PlanState:
    plan: str
    billing_mode: str
    extra_location_addons: int
    advanced_forecasting_addon: bool

    @classmethod
    def of(cls, org: Organization) -> PlanState:
        return cls(
            org.plan_tier,
            org.billing_mode,
            org.extra_location_addons,
            org.advanced_forecasting_addon,
        )

    @property
    def amount(self):
        return monthly_amount(
            self.plan, self.extra_location_addons, self.advanced_forecasting_addon
        )

    @property
    def network_amount(self):
        return self.amount if self.billing_mode in BILLED_TO_NETWORK else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "billing_mode": self.billing_mode,
            "extra_location_addons": self.extra_location_addons,
            "advanced_forecasting_addon": self.advanced_forecasting_addon,
        }


@bypass(reason="billing: the network that bills an organization (billing structure, nothing shown)")
def network_root_for(org: Organization) -> Organization | None:
    """The root whose network bills an organization: its own root when it is owned, otherwise
    the root of the network it first partnered with; None for a stand-alone organization."""
    # unscoped: services called by webhooks resolve billing structure, nothing is shown
    if OrganizationRelationship.objects.owning().active().filter(child=org).exists():
        return Organization.objects.get(pk=root_of(org.pk))
    rel = (
        OrganizationRelationship.objects.active()
        .filter(child=org, type__in=COLLABORATION_TYPES)
        .order_by("created_at", "pk")
        .first()
    )
    if rel is not None:
        return Organization.objects.get(pk=root_of(rel.parent_id))
    has_children = OrganizationRelationship.objects.owning().active().filter(parent=org).exists()
    return org if has_children else None


@bypass(reason="billing: addressing an organization's admins, nothing is shown")
def unscoped_admin_emails(org_id: int) -> list[str]:
    """Where billing email for an organization goes: its active admins."""
    return list(
        Membership.objects.filter(
            organization_id=org_id, role__in=ADMIN_ROLES, is_active=True
        ).values_list("user__email", flat=True)
    )


def _refuse_read_only(scope: Scope | None) -> None:
    if scope is not None:  # webhooks and tasks change plans without a viewer
        policy.refuse_read_only(scope)


@transaction.atomic
def organization_change_plan(
    *,
    scope: Scope | None,
    org: Organization,
    plan: str,
    source: str,
    billing_mode: str | None = None,
    extra_location_addons: int | None = None,
    advanced_forecasting_addon: bool | None = None,
    payer: Organization | None = None,
    self_pay: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> PlanChange | None:
    """Apply a plan (and billing mode, add-ons) to an organization with every consequence.

    Tier follows plan (FREE→PARTNER_ONLY, PRO→BASIC, ENTERPRISE→FULL), so features unlock or
    lock at the next request. Nothing is deleted on a downgrade: data beyond the new limits
    stays, and the entitlements table refuses new writes. Partnerships are untouched.
    Idempotent: applying the state an org already has changes nothing and returns None.
    """
    _refuse_read_only(scope)
    if plan not in PlanTier.values:
        raise ValidationError(f"Unknown plan {plan!r}.")
    org = unscoped_relock(org)
    before = PlanState.of(org)
    subscription = unscoped_subscription_of(org)

    if plan == PlanTier.PRO:
        extra = (
            before.extra_location_addons if extra_location_addons is None else extra_location_addons
        )
        forecasting = (
            before.advanced_forecasting_addon
            if advanced_forecasting_addon is None
            else advanced_forecasting_addon
        )
    else:  # FREE has no add-ons; ENTERPRISE includes both
        extra, forecasting = 0, False
    if extra < 0:
        raise ValidationError("Add-on quantities cannot be negative.")

    if billing_mode is None:
        if plan == PlanTier.FREE:
            billing_mode = BillingMode.FREE
        elif before.billing_mode == BillingMode.FREE:
            network = network_root_for(org)
            if network is not None and network.pk == org.pk:
                billing_mode = BillingMode.MASTER
            elif (self_pay and settings.BILLING_SELF_PAY_ENABLED) or network is None:
                billing_mode = BillingMode.SELF_PAY
            else:
                billing_mode = BillingMode.ADD_ON
        else:
            billing_mode = before.billing_mode
    if billing_mode == BillingMode.FREE and plan != PlanTier.FREE:
        raise ValidationError("A paid plan needs a billing mode other than FREE.")

    if billing_mode in (BillingMode.ADD_ON, BillingMode.INCLUDED):
        payer = payer or (subscription.payer if subscription and subscription.payer else None)
        payer = payer or network_root_for(org)
    elif billing_mode in (BillingMode.MASTER, BillingMode.SELF_PAY):
        payer = org
    else:
        payer = subscription.payer if subscription else None

    after = PlanState(plan, billing_mode, extra, forecasting)
    if after == before and (subscription is None or subscription.plan == plan):
        return None

    org.plan_tier = plan
    org.partnership_tier = TIER_FOR_PLAN[plan]
    org.billing_mode = billing_mode
    org.extra_location_addons = extra
    org.advanced_forecasting_addon = forecasting
    org.save(
        update_fields=[
            "plan_tier",
            "partnership_tier",
            "billing_mode",
            "extra_location_addons",
            "advanced_forecasting_addon",
            "updated_at",
        ]
    )
    subscription = subscription or Subscription(organization=org)
    subscription.plan = plan
    subscription.payer = payer
    if plan == PlanTier.FREE:
        subscription.status = (
            SubscriptionStatus.CANCELED
            if subscription.status != SubscriptionStatus.NONE
            else SubscriptionStatus.NONE
        )
        subscription.past_due_since = subscription.grace_until = None
    elif subscription.status != SubscriptionStatus.PAST_DUE:
        subscription.status = SubscriptionStatus.ACTIVE
    subscription.save()

    network_before = before.network_amount
    network_after = after.network_amount
    change = PlanChange.objects.create(
        organization=org,
        network=payer if billing_mode != BillingMode.SELF_PAY else None,
        at=at or timezone.now(),
        from_plan=before.plan,
        to_plan=after.plan,
        from_mode=before.billing_mode,
        to_mode=after.billing_mode,
        amount_before=before.amount,
        amount_after=after.amount,
        network_amount_before=network_before,
        network_amount_after=network_after if billing_mode != BillingMode.SELF_PAY else 0,
        source=source,
        reason=reason[:300],
        actor_id=scope.user_id if scope else None,
    )
    audit(
        scope=scope,
        action="billing.plan_change",
        target=org,
        before=before.as_dict(),
        after={**after.as_dict(), "source": source, "reason": reason[:300]},
        acting_org_id=None if scope and scope.org_id else org.pk,
    )
    context = {
        "org": org,
        "before": before,
        "after": after,
        "downgraded": PLAN_ORDER.index(after.plan) < PLAN_ORDER.index(before.plan),
        "site_url": settings.SITE_URL,
    }
    emails = unscoped_admin_emails(org.pk)
    if emails:
        queue_email(to=emails, template="billing/email/plan_changed", context=context)
    transaction.on_commit(
        lambda: notify(
            org_ids=[org.pk],
            kind="billing.plan_changed",
            title=f"{org.code} is now on the {after.plan} plan",
            url="/billing/plan/",
        )
    )
    return change


@bypass(reason="billing structure: an organization's subscription, whichever network pays it")
def unscoped_subscription_of(org: Organization) -> Subscription | None:
    """The organization's subscription, which a plan change updates and billing checks read.

    Unscoped, and safe: the caller was allowed to change this organization's plan or billing
    (the policy, or a Stripe webhook or billing job under its named bypass) and shows nothing
    of the row; a network checking whether another network bills a partner must see it."""
    return Subscription.objects.filter(organization=org).first()


# --- Checkout ----------------------------------------------------------------------------


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
    if extra_location_addons < 0 or extra_location_addons > 50:
        raise ValidationError("Choose between 0 and 50 additional locations.")
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


# --- Past due, grace period, cancellation --------------------------------------------------


@transaction.atomic
def subscription_mark_past_due(*, subscription: Subscription, at: datetime | None = None) -> bool:
    subscription = unscoped_relock(subscription)
    if subscription.status == SubscriptionStatus.PAST_DUE or subscription.plan == PlanTier.FREE:
        return False
    now = at or timezone.now()
    subscription.status = SubscriptionStatus.PAST_DUE
    subscription.past_due_since = now
    subscription.grace_until = now + timedelta(days=settings.BILLING_GRACE_DAYS)
    subscription.save(update_fields=["status", "past_due_since", "grace_until", "updated_at"])
    org = subscription.organization
    audit(
        scope=None,
        action="billing.payment_failed",
        target=org,
        after={"grace_until": subscription.grace_until.isoformat()},
        acting_org_id=org.pk,
    )
    emails = unscoped_admin_emails(org.pk)
    if emails:
        queue_email(
            to=emails,
            template="billing/email/payment_failed",
            context={"org": org, "subscription": subscription, "site_url": settings.SITE_URL},
        )
    transaction.on_commit(
        lambda: notify(
            org_ids=[org.pk],
            kind="billing.payment_failed",
            title=f"Payment failed: {org.code} keeps {subscription.plan} until "
            f"{subscription.grace_until:%Y-%m-%d}",
            url="/billing/plan/",
        )
    )
    return True


@transaction.atomic
def subscription_mark_paid(*, subscription: Subscription) -> bool:
    subscription = unscoped_relock(subscription)
    if subscription.status != SubscriptionStatus.PAST_DUE:
        return False
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.past_due_since = subscription.grace_until = None
    subscription.save(update_fields=["status", "past_due_since", "grace_until", "updated_at"])
    audit(
        scope=None,
        action="billing.payment_recovered",
        target=subscription.organization,
        acting_org_id=subscription.organization_id,
    )
    return True


@bypass(reason="billing job: expire grace periods over every subscription")
def subscriptions_expire_grace(*, now: datetime | None = None) -> list[str]:
    """Past-due organizations whose grace period is over fall back to FREE (data kept)."""
    now = now or timezone.now()
    expired = []
    ids = Subscription.objects.filter(  # unscoped: a platform job over every subscription
        status=SubscriptionStatus.PAST_DUE, grace_until__lte=now
    ).values_list("pk", flat=True)
    for pk in ids:
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().select_related("organization").get(pk=pk)
            if sub.status != SubscriptionStatus.PAST_DUE or sub.grace_until > now:
                continue
            organization_change_plan(
                scope=None,
                org=sub.organization,
                plan=PlanTier.FREE,
                source=PlanChangeSource.PAYMENT_FAILED,
                reason="Payment failed and the grace period ended.",
            )
            expired.append(sub.organization.code)
    return expired


@transaction.atomic
def subscription_cancel(*, scope: Scope | None, org: Organization, reason: str = "") -> bool:
    """Cancellation: back to FREE at once; data over the FREE limits becomes read-only."""
    return (
        organization_change_plan(
            scope=scope,
            org=org,
            plan=PlanTier.FREE,
            source=PlanChangeSource.CANCELED,
            reason=reason or "Subscription cancelled.",
        )
        is not None
    )


# --- Stripe webhooks -------------------------------------------------------------------------


@bypass(reason="stripe webhook: record an event (no user, no scope)")
def webhook_event_record(*, event: dict) -> tuple[WebhookEvent, bool]:
    """Store a verified event once by its Stripe id; queue processing on commit when new."""
    from .tasks import process_webhook_event

    created_at = datetime.fromtimestamp(int(event.get("created") or 0), tz=UTC)
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                stripe_event_id=event["id"],
                type=event.get("type", ""),
                created=created_at,
                payload=event,
            )
            transaction.on_commit(lambda: process_webhook_event.delay(record.pk))
    except IntegrityError:
        record = WebhookEvent.objects.get(stripe_event_id=event["id"])
        if record.status == WebhookStatus.FAILED:  # Stripe redelivers: try again
            process_webhook_event.delay(record.pk)
        return record, False
    return record, True


HANDLED_EVENTS = (
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "invoice.paid",
    "invoice.payment_failed",
)


@bypass(reason="stripe webhook: apply an event to the organization it names (no user, no scope)")
@transaction.atomic
def webhook_event_process(*, event_pk: int) -> str:
    """Apply one stored event exactly once (the row lock serialises concurrent workers)."""
    record = WebhookEvent.objects.select_for_update().get(pk=event_pk)
    if record.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED):
        return record.status
    record.attempts += 1
    if record.type not in HANDLED_EVENTS:
        log.info(
            "stripe webhook: ignoring unhandled event %s (%s)", record.stripe_event_id, record.type
        )
        record.status = WebhookStatus.IGNORED
    else:
        obj = record.payload.get("data", {}).get("object", {})
        handler = _HANDLERS[record.type]
        outcome = handler(obj, record.created)
        record.status = WebhookStatus.PROCESSED if outcome else WebhookStatus.IGNORED
        if not outcome:
            log.info("stripe webhook: %s (%s) matched nothing", record.stripe_event_id, record.type)
    record.processed_at = timezone.now()
    record.save(update_fields=["status", "attempts", "processed_at"])
    return record.status


@bypass(reason="stripe webhook: the organization an event names (no user, no scope)")
def _org_from_metadata(metadata: dict | None) -> Organization | None:
    public_id = (metadata or {}).get("org")
    if not public_id:
        return None
    return Organization.objects.filter(public_id=public_id).first()


@bypass(reason="stripe webhook: sync an organization's subscription (no user, no scope)")
def _sync_subscription(
    *, org: Organization, stripe_subscription_id: str, event_created: datetime, state: dict
) -> bool:
    """Bring our state in line with the subscription's. With Stripe configured the current
    state is re-read from Stripe, so event order does not matter; otherwise an event older
    than the last applied one is skipped."""
    subscription, _ = Subscription.objects.get_or_create(
        organization=org, defaults={"plan": org.plan_tier}
    )
    subscription = unscoped_relock(subscription)
    if stripe_gateway.enabled() and stripe_subscription_id:
        state = stripe_gateway.subscription_retrieve(stripe_subscription_id)
    elif subscription.state_as_of and event_created < subscription.state_as_of:
        return True  # stale: newer state already applied
    if subscription.state_as_of is None or event_created > subscription.state_as_of:
        subscription.state_as_of = event_created
    status = state.get("status", "")
    metadata = state.get("metadata") or {}
    is_current = subscription.stripe_subscription_id in ("", stripe_subscription_id)
    if status in ("active", "trialing"):
        replaced = subscription.stripe_subscription_id
        if replaced and replaced != stripe_subscription_id and stripe_gateway.enabled():
            # An upgrade paid through a new Checkout: the old subscription stops billing.
            transaction.on_commit(lambda: stripe_gateway.subscription_cancel(replaced))
        subscription.stripe_subscription_id = stripe_subscription_id
        subscription.stripe_customer_id = state.get("customer") or subscription.stripe_customer_id
        subscription.save()
        plan = metadata.get("plan") or subscription.plan
        organization_change_plan(
            scope=None,
            org=org,
            plan=plan,
            extra_location_addons=int(metadata.get("extra_location_addons") or 0),
            advanced_forecasting_addon=metadata.get("advanced_forecasting_addon") == "1",
            self_pay=metadata.get("self_pay") == "1",
            source=PlanChangeSource.STRIPE,
        )
    elif status in ("past_due", "unpaid") and is_current:
        subscription.save()
        subscription_mark_past_due(subscription=subscription)
    elif status in ("canceled", "incomplete_expired") and is_current:
        subscription.save()
        subscription_cancel(scope=None, org=org, reason=f"Stripe subscription {status}.")
    else:
        subscription.save()
    return True


def _subscription_id_of(obj: dict) -> str:
    sub = obj.get("subscription")
    if not sub:  # newer API versions nest it under parent.subscription_details
        sub = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    if isinstance(sub, dict):
        sub = sub.get("id")
    return sub or ""


@bypass(reason="stripe webhook: a paid checkout (no user, no scope)")
def _on_checkout_completed(obj: dict, created: datetime) -> bool:
    checkout = Checkout.objects.filter(public_id=obj.get("client_reference_id") or None).first()
    if checkout is None:
        return False
    sub_id = _subscription_id_of(obj)
    if checkout.status != CheckoutStatus.COMPLETED:
        Checkout.objects.filter(pk=checkout.pk).update(
            status=CheckoutStatus.COMPLETED, completed_at=timezone.now()
        )
    # The checkout itself says what was bought; the subscription (re-read when possible)
    # says what holds now.
    state = {
        "status": "active",
        "customer": obj.get("customer"),
        "metadata": {
            "plan": checkout.plan,
            "extra_location_addons": str(checkout.extra_location_addons),
            "advanced_forecasting_addon": "1" if checkout.advanced_forecasting_addon else "0",
            "self_pay": "1" if checkout.self_pay else "0",
        },
    }
    return _sync_subscription(
        org=checkout.organization, stripe_subscription_id=sub_id, event_created=created, state=state
    )


@bypass(reason="stripe webhook: a subscription event (no user, no scope)")
def _on_subscription_event(obj: dict, created: datetime) -> bool:
    org = _org_from_metadata(obj.get("metadata"))
    if org is None:
        sub = Subscription.objects.filter(stripe_subscription_id=obj.get("id") or "-").first()
        org = sub.organization if sub else None
    if org is None:
        return False
    return _sync_subscription(
        org=org, stripe_subscription_id=obj.get("id", ""), event_created=created, state=obj
    )


def _on_subscription_deleted(obj: dict, created: datetime) -> bool:
    return _on_subscription_event({**obj, "status": "canceled"}, created)


@bypass(reason="stripe webhook: a paid invoice (no user, no scope)")
def _on_invoice_paid(obj: dict, created: datetime) -> bool:
    sub = Subscription.objects.filter(
        stripe_subscription_id=_subscription_id_of(obj) or "-"
    ).first()
    if sub is None:
        return False
    subscription_mark_paid(subscription=sub)
    return True


@bypass(reason="stripe webhook: a failed invoice (no user, no scope)")
def _on_invoice_payment_failed(obj: dict, created: datetime) -> bool:
    sub = Subscription.objects.filter(
        stripe_subscription_id=_subscription_id_of(obj) or "-"
    ).first()
    if sub is None:
        return False
    subscription_mark_past_due(subscription=sub)
    return True


_HANDLERS = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_deleted,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_payment_failed,
}


# --- Network billing (the root's ORG_SUPER_ADMIN) -------------------------------------------


SETTABLE_MODES = {
    "owned": (BillingMode.INCLUDED, BillingMode.ADD_ON),
    "partner": (BillingMode.FREE, BillingMode.ADD_ON, BillingMode.INCLUDED),
}


@transaction.atomic
def organization_set_billing_mode(
    *, scope: Scope, org: Organization, billing_mode: str
) -> PlanChange | None:
    """The root sets how a linked organization is billed, within the rules: subsidiaries are
    INCLUDED (or a separate ADD_ON); a partner may be sponsored (INCLUDED / ADD_ON, at least
    PRO) or left FREE; a SELF_PAY organization, or one billed by another network, pays its own."""
    policy.require(scope, policy.Action.ORGANIZATION_SET_BILLING_MODE, org)
    if org.pk == scope.org_id:
        raise ValidationError("The root organization is the MASTER account.")
    owned = org.pk in scope.org_ids
    allowed = SETTABLE_MODES["owned" if owned else "partner"]
    if billing_mode not in allowed:
        raise ValidationError(
            f"{org.code} can be set to {', '.join(allowed)} (not {billing_mode})."
        )
    if org.billing_mode == BillingMode.SELF_PAY:
        raise ValidationError(f"{org.code} pays its own subscription (SELF-PAY).")
    subscription = unscoped_subscription_of(org)
    if (
        not owned
        and subscription is not None
        and subscription.payer_id not in (None, scope.org_id)
        and org.billing_mode != BillingMode.FREE
    ):
        raise ValidationError(f"{org.code} is billed under another network.")
    root = Organization.objects.visible_to(scope).get(pk=scope.org_id)
    if billing_mode == BillingMode.FREE:
        plan = PlanTier.FREE
    elif org.plan_tier == PlanTier.FREE:
        plan = PlanTier.PRO  # sponsoring a FREE partner upgrades it to PRO
    else:
        plan = org.plan_tier
    return organization_change_plan(
        scope=scope,
        org=org,
        plan=plan,
        billing_mode=billing_mode,
        payer=root,
        source=PlanChangeSource.NETWORK,
        reason=f"Billing mode set to {billing_mode} by {scope.org_code}.",
    )


# --- Staff override --------------------------------------------------------------------------


@transaction.atomic
def plan_override_create(
    *,
    user,
    org: Organization,
    plan: str,
    reason: str,
    billing_mode: str = "",
    extra_location_addons: int = 0,
    advanced_forecasting_addon: bool = False,
) -> PlanOverride:
    """Platform staff set a plan by hand; the reason is stored and audited."""
    if not getattr(user, "is_superuser", False):
        raise PermissionDenied("Only platform staff override plans.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for the override.")
    override = PlanOverride.objects.create(
        organization=org,
        plan=plan,
        billing_mode=billing_mode,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        reason=reason,
        created_by=user,
    )
    from orgs.access import platform_staff_scope

    organization_change_plan(
        scope=platform_staff_scope(user.pk),
        org=org,
        plan=plan,
        billing_mode=billing_mode or None,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        source=PlanChangeSource.OVERRIDE,
        reason=reason,
    )
    audit(
        scope=platform_staff_scope(user.pk),
        action="billing.plan_override",
        target=override,
        after={"plan": plan, "reason": reason},
        acting_org_id=org.pk,
    )
    return override
