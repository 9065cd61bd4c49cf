"""The location create form carries an idempotency key: a double submit, or sixteen identical
submits at the same moment, add one location and every one of them lands where the first did."""

from __future__ import annotations

import pytest
from django.test import Client

from orgs.models import AuditEvent, Location

from ..factories import OrganizationFactory, admin_of, logged_in
from ..threads import run_together


def _form(org, key):
    return {
        "operator": org.pk,
        "name": "Twin Peaks DC",
        "kind": "WAREHOUSE",
        "city": "Boston",
        "country": "US",
        "idempotency_key": key,
    }


@pytest.mark.django_db
def test_double_submit_adds_one_location(client):
    org = OrganizationFactory(plan_tier="ENTERPRISE")
    c = logged_in(client, admin_of(org))
    form = c.get("/locations/new/").content.decode()
    assert 'name="idempotency_key"' in form and 'type="hidden"' in form
    first = c.post("/locations/new/", _form(org, "loc-double-1"))
    second = c.post("/locations/new/", _form(org, "loc-double-1"))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Location.objects.filter(operator=org).count() == 1
    assert AuditEvent.objects.filter(action="location.create").count() == 1
    # A new form (a new key) adds another one.
    assert c.post("/locations/new/", _form(org, "loc-double-2")).status_code == 302
    assert Location.objects.filter(operator=org).count() == 2


@pytest.mark.django_db
def test_overlong_key_is_refused_with_a_message(client):
    org = OrganizationFactory(plan_tier="ENTERPRISE")
    c = logged_in(client, admin_of(org))
    response = c.post("/locations/new/", _form(org, "k" * 65))
    assert response.status_code == 400
    assert not Location.objects.filter(operator=org).exists()


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_add_one_location_and_no_500():
    org = OrganizationFactory(plan_tier="ENTERPRISE")
    users = [admin_of(org) for _ in range(2)]
    clients = [logged_in(Client(), users[i % 2]) for i in range(16)]

    def submit(i):
        return clients[i].post("/locations/new/", _form(org, "loc-concurrent")).status_code

    statuses, errors = run_together(16, submit)
    assert errors == []
    assert statuses == [302] * 16
    assert Location.objects.filter(operator=org).count() == 1
    assert AuditEvent.objects.filter(action="location.create").count() == 1
