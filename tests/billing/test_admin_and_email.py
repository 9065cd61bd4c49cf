"""Platform staff in the Django admin; the past-due email over a real SMTP server."""

from __future__ import annotations

import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model

from billing.models import PlanOverride, WebhookEvent
from orgs.models import AuditEvent

from ..factories import logged_in, scope_of_user
from .conftest import make_event


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser(
        email="staff@betterdata.example", password="x-staff-pass-1"
    )
    client.force_login(user)
    return client


def test_staff_override_a_plan_with_an_audited_reason(staff_client, billed):
    sephora = billed.net.sephora
    r = staff_client.post(
        "/admin/billing/planoverride/add/",
        {
            "organization": sephora.pk,
            "plan": "PRO",
            "billing_mode": "SELF_PAY",
            "extra_location_addons": "0",
            "reason": "Pilot agreed by sales (ticket 4711)",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    sephora.refresh_from_db()
    assert (sephora.plan_tier, sephora.partnership_tier, sephora.billing_mode) == (
        "PRO",
        "BASIC",
        "SELF_PAY",
    )
    assert (
        PlanOverride.objects.get(organization=sephora).reason
        == "Pilot agreed by sales (ticket 4711)"
    )
    change = AuditEvent.objects.get(action="billing.plan_change", target_id=str(sephora.public_id))
    assert change.after["reason"] == "Pilot agreed by sales (ticket 4711)"
    assert change.after["source"] == "OVERRIDE"


def test_staff_see_subscriptions_and_webhook_events(staff_client, billed):
    WebhookEvent.objects.create(
        stripe_event_id="evt_admin_1",
        type="invoice.paid",
        created="2026-01-01T00:00Z",
        payload={},
        status="FAILED",
        error="boom",
    )
    listing = staff_client.get("/admin/billing/subscription/").content.decode()
    assert billed.packagepro.code in listing
    body = staff_client.get("/admin/billing/webhookevent/").content.decode()
    assert "evt_admin_1" in body and "Failed" in body


def test_network_super_admin_cannot_open_billing_admin(client, billed):
    c = logged_in(client, billed.net.super_admin)
    assert c.get("/admin/").status_code == 200
    for url in (
        "/admin/billing/subscription/",
        "/admin/billing/webhookevent/",
        "/admin/billing/planoverride/add/",
    ):
        assert c.get(url).status_code == 403


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 Message accepted for delivery"


def test_payment_failed_email_over_real_smtp(settings, billed, post_event, simulated_checkout):
    from billing.services import checkout as checkout_services

    net = billed.net
    inbox = _Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        checkout = checkout_services.checkout_start(
            scope=scope_of_user(net.amazon_admin), plan="PRO", self_pay=True
        )
        post_event(
            make_event(
                "checkout.session.completed",
                {
                    "id": "cs_1",
                    "client_reference_id": str(checkout.public_id),
                    "customer": "cus_1",
                    "subscription": "sub_smtp",
                },
                created=int(time.time()) - 5,
            )
        )
        inbox.messages.clear()
        post_event(make_event("invoice.payment_failed", {"id": "in_9", "subscription": "sub_smtp"}))
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    rcpt, content = inbox.messages[0]
    assert rcpt == [net.amazon_admin.email]
    assert f"Subject: Payment failed for {net.amazon.code} {net.amazon.name}" in content
    assert "falls back to FREE" in content
