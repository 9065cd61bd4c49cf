"""Shared fixtures: the demo network is seeded once per test session (each test then runs in
a transaction that is rolled back), and personas log in by email."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

# Tests run eagerly unless a test starts a real worker itself (tests/test_celery_redis.py).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

PERSONAS = [
    "super@luxebond.example",
    "admin@dist.luxebond.example",
    "admin@mfg.luxebond.example",
    "member@dist.luxebond.example",
    "ops@amazon.example",
    "vmi@sephora.example",
    "admin@packagepro.example",
    "admin@vitasource.example",
    "admin@salonluxe.example",
    "admin@medsupply.example",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", force=True, quiet=True)


@pytest.fixture
def demo(db):
    """The demo network by code: demo.org("ORG-003"), demo.loc("LOC-101"), demo.user(email)."""
    from django.contrib.auth import get_user_model

    from orgs.models import Location, Organization

    class Demo:
        def org(self, code: str) -> Organization:
            return Organization.objects.get(code=code)

        def loc(self, code: str) -> Location:
            return Location.objects.get(code=code)

        def user(self, email: str):
            return get_user_model().objects.get(email=email)

    return Demo()


@pytest.fixture
def login(client, demo):
    """login("ops@amazon.example") → the test client, logged in as that persona."""

    def _login(email: str, c=None):
        c = c or client
        c.force_login(demo.user(email))
        return c

    return _login


@pytest.fixture
def scope_of(demo):
    """scope_of("ops@amazon.example") → the Scope the middleware builds for that persona."""
    from orgs.access import scope_for_user

    def _scope(email: str, org_code: str | None = None):
        user = demo.user(email)
        active = str(demo.org(org_code).public_id) if org_code else None
        return scope_for_user(user, active)

    return _scope
