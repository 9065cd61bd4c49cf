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
from billing.services.webhooks import (
    webhook_event_mark_failed,
    webhook_events_due,
    webhook_events_sweep,
)
from billing.tasks import sweep_webhook_events

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PartnershipFactory,
    admin_of,
    child_org,
)
from .test_webhooks import Partner, _amazon_checkout, _completed


@pytest.fixture
def w(db, simulated_checkout) -> Partner:
    """A FREE partner paying its own way, as in test_webhooks.py."""
    root = OrganizationFactory(root=True)
    amazon = OrganizationFactory(plan_tier="FREE", name="Amazon Fulfillment Services LLC")
    fba = LocationFactory(operator=amazon)
    PartnershipFactory(network=child_org(root), partner=amazon, shared_locations=[fba])
    return Partner(amazon, admin_of(amazon), root, fba)


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


def test_failed_event_is_retried_after_a_back_off(w, post_event, broker_down):
    event = _completed(_amazon_checkout(w))
    post_event(event)
    broker_down()
    record = WebhookEvent.objects.get(stripe_event_id=event["id"])
    webhook_event_mark_failed(event_pk=record.pk, exc=RuntimeError("Stripe timed out"))
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("FAILED", 1)
    assert webhook_events_due(now=_later(1)) == []  # one failed attempt: wait 2 minutes
    assert webhook_events_sweep(now=_later(3)) == {str(record.pk): "PROCESSED"}
    record.refresh_from_db()
    assert (record.status, record.attempts) == ("PROCESSED", 2)
    assert w.fresh().plan_tier == "PRO"
    assert webhook_events_sweep(now=_later(120)) == {}


def test_sweeper_runs_every_minute_from_beat(db):
    entry = next(
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "billing.tasks.sweep_webhook_events"
    )
    assert entry["schedule"] == 60.0
    assert sweep_webhook_events.name == "billing.tasks.sweep_webhook_events"


@pytest.mark.django_db(transaction=True)
def test_sweep_skips_an_event_another_worker_holds():
    """Two sweeps at once: the row another worker has locked is skipped, not waited on, and
    processed by a later sweep once."""
    from django.db import connections

    from billing.models import WebhookStatus

    record = WebhookEvent.objects.create(
        stripe_event_id="evt_locked", type="customer.created", created=timezone.now(), payload={}
    )
    other = connections.create_connection("default")
    try:
        other.set_autocommit(False)
        with other.cursor() as cur:
            cur.execute("SELECT id FROM billing_webhookevent WHERE id = %s FOR UPDATE", [record.pk])
        assert webhook_events_sweep(now=_later()) == {str(record.pk): "SKIPPED"}
        record.refresh_from_db()
        assert record.status == WebhookStatus.RECEIVED
        other.rollback()
    finally:
        other.close()
    assert webhook_events_sweep(now=_later()) == {str(record.pk): "IGNORED"}
    assert webhook_events_sweep(now=_later()) == {}
