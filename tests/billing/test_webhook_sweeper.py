"""Stripe events are never stranded: when the task cannot be queued (the broker is down), the
webhook still answers 200 and stores the event RECEIVED; Stripe's redelivery re-queues it and
the every-minute sweeper processes it, each exactly once."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from betterdata.celery import app
from billing.models import PlanChange, WebhookEvent
from billing.services.webhooks import webhook_events_sweep
from billing.tasks import sweep_webhook_events

from .test_webhooks import Partner, _amazon_checkout, _completed, w  # noqa: F401


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def broker_down():
    """The real Celery app pointed at a Redis port nobody listens on: `.delay` raises."""
    app.loader.import_default_modules()  # every task registered, as in a worker
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=f"redis://127.0.0.1:{_closed_port()}/0", task_always_eager=False)
    app.close()

    def restore() -> None:
        app.conf.update(old)
        app.close()

    yield restore
    restore()


def _later(minutes: int = 2):
    return timezone.now() + timedelta(minutes=minutes)


def test_broker_down_answers_200_and_sweeper_processes_once(w, post_event, broker_down):
    event = _completed(_amazon_checkout(w))
    r = post_event(event)
    assert r.status_code == 200 and r.json()["status"] == "RECEIVED"
    record = WebhookEvent.objects.get(stripe_event_id=event["id"])
    assert record.status == "RECEIVED"
    assert w.fresh().plan_tier == "FREE"

    broker_down()  # the broker is back; the beat sweeper runs
    assert webhook_events_sweep() == {}  # not yet a minute old: its task may still run
    assert webhook_events_sweep(now=_later()) == {str(record.pk): "PROCESSED"}
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("PROCESSED", 1)
    assert w.fresh().plan_tier == "PRO"
    assert PlanChange.objects.filter(organization=w.org).count() == 1

    assert webhook_events_sweep(now=_later()) == {}  # a second sweep changes nothing
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("PROCESSED", 1)
    assert PlanChange.objects.filter(organization=w.org).count() == 1


def test_redelivery_of_a_received_event_processes_it(w, post_event, broker_down):
    event = _completed(_amazon_checkout(w))
    assert post_event(event).json()["status"] == "RECEIVED"
    assert post_event(event).status_code == 200  # broker still down: still stored, still 200
    assert WebhookEvent.objects.get(stripe_event_id=event["id"]).status == "RECEIVED"

    broker_down()
    again = post_event(event)  # Stripe redelivers
    assert again.status_code == 200
    assert again.json() == {"received": True, "duplicate": True, "status": "PROCESSED"}
    assert w.fresh().plan_tier == "PRO"
    assert WebhookEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert PlanChange.objects.filter(organization=w.org).count() == 1
    assert webhook_events_sweep(now=_later()) == {}


def test_sweeper_runs_every_minute_from_beat(db):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "billing.tasks.sweep_webhook_events"
    )
    assert entry["schedule"] == 60.0
    assert sweep_webhook_events.name == "billing.tasks.sweep_webhook_events"
