"""Two people (or two tabs) accept the same link at the same moment: exactly one wins."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client

from orgs.models import Organization
from partnerships.models import Invitation, Partnership

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_accept_exactly_one_succeeds(invite):
    _, token = invite()
    url = f"/invitations/{token}/"
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def accept(name: str) -> None:
        try:
            client = Client()
            barrier.wait()
            response = client.post(
                url,
                {
                    "full_name": name,
                    "organization_name": f"Glow Freight {name}",
                    "password1": "a-Long-unusual-pass-42",
                    "password2": "a-Long-unusual-pass-42",
                },
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(n,)) for n in ("Ann", "Bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [302, 410]
    assert Organization.objects.filter(name__startswith="Glow Freight").count() == 1
    assert Invitation.objects.get(email="ops@glowfreight.example").status == "ACCEPTED"
    assert (
        Partnership.objects.filter(relationship__child__name__startswith="Glow Freight").count()
        == 1
    )
