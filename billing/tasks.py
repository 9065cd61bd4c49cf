"""Billing jobs: take ids, call a service, safe to run twice."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def process_webhook_event(self, event_pk: int) -> str:
    """Apply one stored Stripe event; the service skips events already processed. A failure
    is recorded on the event (visible in the admin) and retried by the worker; Stripe's own
    redelivery of a FAILED event queues it again."""
    from .models import WebhookStatus
    from .services.webhooks import webhook_event_mark_failed, webhook_event_process

    try:
        return webhook_event_process(event_pk=event_pk)
    except Exception as exc:
        log.exception("stripe webhook event %s failed", event_pk)
        webhook_event_mark_failed(event_pk=event_pk, exc=exc)
        if self.request.is_eager:
            return WebhookStatus.FAILED
        raise self.retry(exc=exc)


@shared_task
def sweep_webhook_events() -> dict[str, str]:
    """Every minute (beat): Stripe events whose task never ran (the broker was down when they
    were queued) or failed are processed, each once, under a row lock other sweeps skip."""
    from .services.webhooks import webhook_events_sweep

    return webhook_events_sweep()


@shared_task
def expire_grace_periods() -> list[str]:
    """Hourly (beat): past-due organizations whose grace period ended fall back to FREE."""
    from .services.dunning import subscriptions_expire_grace

    return subscriptions_expire_grace()
