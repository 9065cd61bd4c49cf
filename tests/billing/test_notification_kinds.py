"""Billing's notifications carry core.enums.NotificationKind values, so the preferences a person
sets on /notifications/preferences/ (kept under the same values) apply to them."""

from __future__ import annotations

import pytest

from core.enums import NotificationKind
from notifications.models import Notification, NotificationPreference

from .conftest import make_event
from .test_webhooks import _amazon_checkout, _completed

pytestmark = pytest.mark.django_db


def _payment_failed(post_event) -> None:
    invoice = {"id": "in_n1", "object": "invoice", "subscription": "sub_amz_1"}
    assert post_event(make_event("invoice.payment_failed", invoice)).status_code == 200


def test_plan_change_notification_is_stored_under_its_preference_kind(demo, scope_of, post_event):
    post_event(_completed(_amazon_checkout(scope_of)))
    kinds = set(
        Notification.objects.filter(user=demo.user("ops@amazon.example")).values_list(
            "kind", flat=True
        )
    )
    assert NotificationKind.PLAN_CHANGED in kinds
    assert not {k for k in kinds if k.startswith("billing.")}


def test_payment_failed_notification_follows_the_payment_failed_preference(
    demo, scope_of, post_event
):
    ops = demo.user("ops@amazon.example")
    NotificationPreference.objects.create(
        user=ops, kind=NotificationKind.PAYMENT_FAILED, in_app=False, email=True
    )
    post_event(_completed(_amazon_checkout(scope_of)))
    _payment_failed(post_event)
    # In-app turned off for "payment_failed": billing's notification must not appear (it did
    # while billing sent "billing.payment_failed", which no preference could name).
    assert not Notification.objects.filter(user=ops, title__startswith="Payment failed").exists()


def test_payment_failed_notification_arrives_without_a_preference(demo, scope_of, post_event):
    post_event(_completed(_amazon_checkout(scope_of)))
    _payment_failed(post_event)
    assert list(
        Notification.objects.filter(
            user=demo.user("ops@amazon.example"), title__startswith="Payment failed"
        ).values_list("kind", flat=True)
    ) == [NotificationKind.PAYMENT_FAILED]
