"""Billing jobs: take ids, call a service, safe to run twice."""

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def process_webhook_event(self, event_pk: int) -> str:
    """Apply one stored Stripe event; the service skips events already processed. A failure
    is recorded on the event (visible in the admin) and retried by the worker; Stripe's own
    redelivery of a FAILED event queues it again."""
    from .models import WebhookEvent, WebhookStatus
    from .services.webhooks import webhook_event_process

    try:
        return webhook_event_process(event_pk=event_pk)
    except Exception as exc:
        log.exception("stripe webhook event %s failed", event_pk)
        WebhookEvent.objects.filter(pk=event_pk).exclude(status=WebhookStatus.PROCESSED).update(
            status=WebhookStatus.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000]
        )
        if self.request.is_eager:
            return WebhookStatus.FAILED
        raise self.retry(exc=exc)


@shared_task
def expire_grace_periods() -> list[str]:
    """Hourly (beat): past-due organizations whose grace period ended fall back to FREE."""
    from .services.dunning import subscriptions_expire_grace

    return subscriptions_expire_grace()
