"""Stripe webhooks: a verified event is stored once by its Stripe id, then applied exactly once
by a Celery task. Every event ends in `organization_change_plan` or a dunning service; no
user and no scope are involved, so each step runs under a named RLS bypass (docs/rls.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
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


# An event still RECEIVED this long after it arrived lost its task (the broker was down when it
# was queued, or the worker died): the sweeper processes it. A FAILED event is retried after
# 2**attempts minutes (at most an hour apart), up to SWEEP_MAX_ATTEMPTS attempts.
SWEEP_RECEIVED_AFTER = timedelta(minutes=1)
SWEEP_MAX_ATTEMPTS = 10
SWEEP_BATCH = 100
SKIPPED = "SKIPPED"  # another worker holds the event's row lock (or the event is gone)


def _queue(event_pk: int) -> None:
    """Queue processing; a broker that cannot be reached leaves the event RECEIVED for the
    sweeper (and Stripe's redelivery) instead of failing the request."""
    from billing.tasks import process_webhook_event

    try:
        process_webhook_event.delay(event_pk)
    except Exception:
        log.warning(
            "stripe webhook: could not queue event %s; the sweeper will process it",
            event_pk,
            exc_info=True,
        )


@bypass(reason="stripe webhook: record an event (no user, no scope)")
def webhook_event_record(*, event: dict) -> tuple[WebhookEvent, bool]:
    """Store a verified event once by its Stripe id; queue processing on commit when new, and
    again when Stripe redelivers an event not yet applied (RECEIVED or FAILED)."""
    created_at = datetime.fromtimestamp(int(event.get("created") or 0), tz=UTC)
    try:
        with transaction.atomic():
            record = WebhookEvent.objects.create(
                stripe_event_id=event["id"],
                type=event.get("type", ""),
                created=created_at,
                payload=event,
            )
            transaction.on_commit(lambda: _queue(record.pk))
    except IntegrityError:
        record = WebhookEvent.objects.get(stripe_event_id=event["id"])
        if record.status in (WebhookStatus.RECEIVED, WebhookStatus.FAILED):
            _queue(record.pk)  # Stripe redelivers: try again (processing is idempotent)
            record.refresh_from_db()
        return record, False
    return record, True


@bypass(reason="stripe webhook: apply an event to the organization it names (no user, no scope)")
@transaction.atomic
def webhook_event_process(*, event_pk: int, skip_locked: bool = False) -> str:
    """Apply one stored event exactly once (the row lock serialises concurrent workers; with
    skip_locked an event another worker holds is left to it and SKIPPED is returned)."""
    record = (
        WebhookEvent.objects.select_for_update(skip_locked=skip_locked).filter(pk=event_pk).first()
    )
    if record is None:
        if skip_locked:
            return SKIPPED
        raise WebhookEvent.DoesNotExist(event_pk)
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


@bypass(reason="stripe webhook: record a failed attempt (no user, no scope)")
def webhook_event_mark_failed(*, event_pk: int, exc: BaseException) -> None:
    """The attempt rolled back: count it and keep the error (visible in the admin);
    processed_at holds the time of the last attempt, from which the sweeper backs off."""
    WebhookEvent.objects.filter(pk=event_pk).exclude(
        status__in=(WebhookStatus.PROCESSED, WebhookStatus.IGNORED)
    ).update(
        status=WebhookStatus.FAILED,
        error=f"{exc.__class__.__name__}: {exc}"[:2000],
        attempts=F("attempts") + 1,
        processed_at=timezone.now(),
    )


@bypass(reason="stripe webhook: events whose task was lost or failed (no user, no scope)")
def webhook_events_due(*, now: datetime | None = None) -> list[int]:
    """Ids of events the sweeper should process now, oldest first."""
    now = now or timezone.now()
    backoff = Q()
    for attempts in range(SWEEP_MAX_ATTEMPTS):
        wait = timedelta(minutes=min(2**attempts, 60))
        backoff |= Q(attempts=attempts, processed_at__lte=now - wait)
    due = Q(status=WebhookStatus.RECEIVED, received_at__lte=now - SWEEP_RECEIVED_AFTER) | Q(
        Q(processed_at__isnull=True) | backoff,
        status=WebhookStatus.FAILED,
        attempts__lt=SWEEP_MAX_ATTEMPTS,
    )
    rows = WebhookEvent.objects.filter(due).order_by("received_at", "pk")
    return list(rows.values_list("pk", flat=True)[:SWEEP_BATCH])


def webhook_events_sweep(*, now: datetime | None = None) -> dict[str, str]:
    """Process every due event once, each in its own transaction under a row lock that other
    workers skip; a failure is recorded and backed off, never stops the sweep."""
    outcome: dict[str, str] = {}
    for pk in webhook_events_due(now=now):
        try:
            status = webhook_event_process(event_pk=pk, skip_locked=True)
        except Exception as exc:
            log.exception("stripe webhook: sweeping event %s failed", pk)
            webhook_event_mark_failed(event_pk=pk, exc=exc)
            status = WebhookStatus.FAILED
        outcome[str(pk)] = status
    return outcome


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
