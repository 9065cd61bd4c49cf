"""Email alerts go through a real SMTP server (aiosmtpd): a new ASN reaches the receiving
side's admins; a discrepancy reaches both sides."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from shipments.services import receipts as receipt_services

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def test_new_asn_and_discrepancy_emails_over_real_smtp(
    smtp, shipped, scope_of, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn_mails = [m for m in smtp.messages if f"New ASN {shipment.asn.number}" in m[1]]
    assert len(asn_mails) == 1
    recipients, body = asn_mails[0]
    assert recipients == ["ops@amazon.example"]
    assert f"/asns/{shipment.asn.public_id}/" in body
    assert "LOC-001" not in body and "Dallas" not in body  # Amazon's email shows no internal site

    smtp.messages.clear()
    line = shipment.asn.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        receipt_services.asn_confirm_receipt(
            scope=scope_of("ops@amazon.example"),
            asn=shipment.asn,
            lines=[
                receipt_services.ReceivedLine(
                    asn_line_id=line.pk,
                    received_quantity=line.expected_quantity - 4,
                    reason_code="SHORT",
                )
            ],
            idempotency_key="mail-test",
        )
    opened = [m for m in smtp.messages if "Discrepancy on" in m[1]]
    assert len(opened) == 1
    assert set(opened[0][0]) >= {"ops@amazon.example", "admin@dist.luxebond.example"}
    assert "vmi@sephora.example" not in opened[0][0]
    received = [m for m in smtp.messages if f"{shipment.number} was received at LOC-101" in m[1]]
    assert len(received) == 1
    assert received[0][0] == ["admin@dist.luxebond.example"]  # the sending side, not Amazon


def test_email_alerts_respect_notification_preferences(
    smtp, shipped, demo, login, django_capture_on_commit_callbacks
):
    from core.enums import NotificationKind
    from notifications.models import Notification

    # Amazon's admin turns ASN emails off (in-app stays on) on the preferences page.
    choices = {kind: "both" for kind in NotificationKind.values} | {"asn_created": "in_app"}
    response = login("ops@amazon.example").post("/notifications/preferences/", choices)
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 10, "L1")])
    assert not [m for m in smtp.messages if f"New ASN {shipment.asn.number}" in m[1]]
    # ...and the in-app notification still arrives, once.
    assert (
        Notification.objects.filter(
            user=demo.user("ops@amazon.example"),
            kind="asn_created",
            title__contains=shipment.asn.number,
        ).count()
        == 1
    )
