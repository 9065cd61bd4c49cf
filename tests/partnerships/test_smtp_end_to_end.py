"""The whole invitation flow through a real SMTP server (aiosmtpd), started by the test."""

from __future__ import annotations

import email
import re
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from django.test import Client

from orgs.models import Organization

from ..factories import logged_in

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self):
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


def _text(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    raise AssertionError("no text part")


def test_invitation_end_to_end_over_smtp(smtp, net, client, django_capture_on_commit_callbacks):
    admin = logged_in(client, net.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/partnerships/invite/",
            {
                "network_org": net.dist.pk,
                "company_name": "Harbor 3PL Inc",
                "email": "dispatch@harbor3pl.example",
                "relationship_type": "PARTNER",
                "role": "THREE_PL",
                "terms": "Overflow storage in Edison.",
                "shared_locations": [net.edison.pk],
            },
        )
    assert response.status_code == 302
    assert len(smtp.messages) == 1, "the invitation arrived at the SMTP server"
    invitation_mail = smtp.messages[0]
    assert invitation_mail["To"] == "dispatch@harbor3pl.example"
    assert {p.get_content_type() for p in invitation_mail.walk()} >= {"text/plain", "text/html"}
    link = re.search(r"http://\S+/invitations/(\S+)/", _text(invitation_mail))
    assert link, _text(invitation_mail)

    partner = Client()
    path = f"/invitations/{link.group(1)}/"
    assert partner.get(path).status_code == 200
    started = time.perf_counter()
    with django_capture_on_commit_callbacks(execute=True):
        accepted = partner.post(
            path,
            {
                "full_name": "Hank Harbor",
                "organization_name": "Harbor 3PL Inc",
                "password1": "harbor-Docks-2026!",
                "password2": "harbor-Docks-2026!",
            },
            follow=True,
        )
    dashboard = partner.get("/dashboard/")
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert accepted.status_code == 200 and dashboard.status_code == 200
    org = Organization.objects.get(name="Harbor 3PL Inc")
    assert org.plan_tier == "FREE" and org.partnership_tier == "PARTNER_ONLY"
    locations = partner.get("/locations/").content.decode()
    assert set(re.findall(r"LOC-T?\d+", locations)) == {net.edison.code}
    # The inviting side's members are told by email (their default preference).
    accepted_mails = [m for m in smtp.messages if "accepted" in m["Subject"]]
    assert accepted_mails
    print(
        f"\nemails over SMTP: {len(smtp.messages)} "
        f"(1 invitation + {len(accepted_mails)} 'accepted' notifications); "
        f"accept POST -> first dashboard: {elapsed_ms:.0f} ms"
    )
