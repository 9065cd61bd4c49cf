"""Billing notifies under `core.enums.NotificationKind`, the kinds the preferences page stores,
so an admin's preference applies to billing's in-app notifications. (Billing once sent
"billing.payment_failed" and "billing.plan_changed", which no preference ever matched.)"""

from __future__ import annotations

import pytest

from billing.services.checkout import checkout_start
from core.enums import NotificationKind
from notifications.models import Notification, NotificationPreference

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PartnershipFactory,
    admin_of,
    child_org,
    scope_of_user,
)
from .conftest import make_event


@pytest.fixture
def admin(db, simulated_checkout):
    """The only admin of a FREE partner of a network's subsidiary (paying its own way)."""
    dist = child_org(OrganizationFactory(root=True))
    partner = OrganizationFactory(plan_tier="FREE")
    fba = LocationFactory(operator=partner)
    PartnershipFactory(network=dist, partner=partner, shared_locations=[fba])
    return admin_of(partner)


def _buys_pro_then_payment_fails(admin, post_event) -> None:
    checkout = checkout_start(scope=scope_of_user(admin), plan="PRO", self_pay=True)
    paid = {
        "id": "cs_pref",
        "client_reference_id": str(checkout.public_id),
        "customer": "cus_pref",
        "subscription": "sub_pref",
    }
    assert post_event(make_event("checkout.session.completed", paid)).status_code == 200
    invoice = {"id": "in_pref", "object": "invoice", "subscription": "sub_pref"}
    assert post_event(make_event("invoice.payment_failed", invoice)).status_code == 200


def _turn_off(user, kind: NotificationKind) -> None:
    NotificationPreference.objects.create(user=user, kind=kind, in_app=False, email=False)


def _titles(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("title", flat=True))


def test_payment_failed_switched_off_sends_no_in_app_notification(admin, post_event):
    _turn_off(admin, NotificationKind.PAYMENT_FAILED)
    _buys_pro_then_payment_fails(admin, post_event)
    titles = _titles(admin)
    # The plan change still notifies (its preference is untouched); the failed payment not.
    assert any("is now on the PRO plan" in t for t in titles), titles
    assert not any(t.startswith("Payment failed") for t in titles), titles


def test_plan_changed_switched_off_sends_no_in_app_notification(admin, post_event):
    _turn_off(admin, NotificationKind.PLAN_CHANGED)
    _buys_pro_then_payment_fails(admin, post_event)
    titles = _titles(admin)
    assert not any("is now on the PRO plan" in t for t in titles), titles
    assert list(
        Notification.objects.filter(user=admin, title__startswith="Payment failed").values_list(
            "kind", flat=True
        )
    ) == [NotificationKind.PAYMENT_FAILED]
