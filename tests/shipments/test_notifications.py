"""Email alerts go through a real SMTP server (aiosmtpd): a new ASN reaches the receiving
side's admins; a discrepancy reaches both sides."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from shipments.services import receipts as receipt_services

from ..factories import logged_in, scope_of_user

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
    smtp, net, shipped, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn_mails = [m for m in smtp.messages if f"New ASN {shipment.asn.number}" in m[1]]
    assert len(asn_mails) == 1
    recipients, body = asn_mails[0]
    assert recipients == [net.amazon_admin.email]
    assert f"/asns/{shipment.asn.public_id}/" in body
    # the 3PL's email shows no internal site of the sender
    assert net.dallas.code not in body and "Dallas" not in body

    smtp.messages.clear()
    line = shipment.asn.lines.get()
    with django_capture_on_commit_callbacks(execute=True):
        receipt_services.asn_confirm_receipt(
            scope=scope_of_user(net.amazon_admin),
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
    assert set(opened[0][0]) >= {net.amazon_admin.email, net.admin.email}
    assert net.sephora_admin.email not in opened[0][0]
    arrived = f"{shipment.number} was received at {net.fba.code}"
    received = [m for m in smtp.messages if arrived in m[1]]
    assert len(received) == 1
    assert received[0][0] == [net.admin.email]  # the sending side, not the 3PL


def test_email_alerts_respect_notification_preferences(
    smtp, net, shipped, client, django_capture_on_commit_callbacks
):
    from core.enums import NotificationKind
    from notifications.models import Notification

    # The 3PL's admin turns ASN emails off (in-app stays on) on the preferences page.
    choices = {kind: "both" for kind in NotificationKind.values} | {"asn_created": "in_app"}
    response = logged_in(client, net.amazon_admin).post("/notifications/preferences/", choices)
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        shipment = shipped(net.dallas, net.fba, [(net.serum, 10, "L1")])
    assert not [m for m in smtp.messages if f"New ASN {shipment.asn.number}" in m[1]]
    # ...and the in-app notification still arrives, once.
    assert (
        Notification.objects.filter(
            user=net.amazon_admin,
            kind="asn_created",
            title__contains=shipment.asn.number,
        ).count()
        == 1
    )
