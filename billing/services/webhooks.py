"""Stripe webhooks: a verified event is stored once by its Stripe id, then applied exactly once
by a Celery task. Every event ends in `organization_change_plan` or a dunning service; no
user and no scope are involved, so each step runs under a named RLS bypass (docs/rls.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing import stripe_gateway
from billing.models import (
    Checkout,
    CheckoutStatus,
    PlanChangeSource,
    Subscription,
    WebhookEvent,
    WebhookStatus,
)
from billing.services.dunning import (
    subscription_cancel,
    subscription_mark_paid,
    subscription_mark_past_due,
)
from billing.services.plans import organization_change_plan
from orgs.access import unscoped_relock
from orgs.models import Organization
from rls.context import bypass

log = logging.getLogger(__name__)


@bypass(reason="stripe webhook: record an event (no user, no scope)")
def webhook_event_record(*, event: dict) -> tuple[WebhookEvent, bool]:
    """Store a verified event once by its Stripe id; queue processing on commit when new."""
    from billing.tasks import process_webhook_event

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


@bypass(reason="stripe webhook: apply an event to the organization it names (no user, no scope)")
@transaction.atomic
def webhook_event_process(*, event_pk: int) -> str:
    """Apply one stored event exactly once (the row lock serialises concurrent workers)."""
    record = WebhookEvent.objects.select_for_update().get(pk=event_pk)
    if record.status in (WebhookStatus.PROCESSED, WebhookStatus.IGNORED):
        return record.status
    record.attempts += 1
    handler = _HANDLERS.get(record.type)
    if handler is None:
        log.info(
            "stripe webhook: ignoring unhandled event %s (%s)", record.stripe_event_id, record.type
        )
        record.status = WebhookStatus.IGNORED
    else:
        obj = record.payload.get("data", {}).get("object", {})
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
            # A Stripe subscription is the organization's own (its Stripe customer pays it):
            # never billed to a network root, which only an approved sponsored request does.
            self_pay=True,
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
    reference = obj.get("client_reference_id")
    checkout = Checkout.objects.filter(public_id=reference).first() if reference else None
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


# The events we act on; any other type is stored and marked IGNORED.
_HANDLERS: dict[str, Callable[[dict, datetime], bool]] = {
    "checkout.session.completed": _on_checkout_completed,
    "customer.subscription.created": _on_subscription_event,
    "customer.subscription.updated": _on_subscription_event,
    "customer.subscription.deleted": _on_subscription_deleted,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_failed": _on_invoice_payment_failed,
}
