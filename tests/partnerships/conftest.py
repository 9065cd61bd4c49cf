from __future__ import annotations

import re

import pytest
from django.core import mail

from ..factories import Network, logged_in, network

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([^/\s\"<>]+)/")


def token_from(message) -> str:
    """The invitation token in an email (text part)."""
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def net(db) -> Network:
    return network()


@pytest.fixture
def invite(client, net, django_capture_on_commit_callbacks):
    """invite(email=..., **fields) → (response, token); posts /partnerships/invite/ as an admin
    (`as_user`, default the subsidiary's admin, for `network_org`, default the subsidiary),
    sharing `locations` (default the subsidiary's Edison warehouse)."""

    def _invite(*, as_user=None, locations=None, **fields):
        client_ = logged_in(client, as_user or net.admin)
        shared = (net.edison,) if locations is None else locations
        data = {
            "network_org": fields.pop("network_org", None) or net.dist.pk,
            "company_name": "Glow Freight Co",
            "email": "ops@glowfreight.example",
            "relationship_type": "PARTNER",
            "role": "THREE_PL",
            "terms": "Cross-dock services, net 30.",
            "shared_locations": [loc.pk for loc in shared],
        }
        data.update(fields)
        before = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = client_.post("/partnerships/invite/", data)
        token = token_from(mail.outbox[-1]) if len(mail.outbox) > before else None
        client_.logout()
        return response, token

    return _invite
