from __future__ import annotations

import re

import pytest
from django.core import mail

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([^/\s\"<>]+)/")


def token_from(message) -> str:
    """The invitation token in an email (text part)."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def invite(login, demo, django_capture_on_commit_callbacks):
    """invite(email=..., **fields) → (response, token); posts /partnerships/invite/ as an admin."""

    def _invite(*, as_email="admin@dist.luxebond.example", locations=("LOC-003",), **fields):
        client = login(as_email)
        data = {
            "network_org": fields.pop("network_org", None)
            or demo.org("ORG-003" if "dist" in as_email else "ORG-201").pk,
            "company_name": "Glow Freight Co",
            "email": "ops@glowfreight.example",
            "relationship_type": "PARTNER",
            "role": "THREE_PL",
            "terms": "Cross-dock services, net 30.",
            "shared_locations": [demo.loc(code).pk for code in locations],
        }
        data.update(fields)
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/partnerships/invite/", data)
        token = token_from(mail.outbox[-1]) if len(mail.outbox) > before else None
        client.logout()
        return response, token

    return _invite
