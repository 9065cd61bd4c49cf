"""Shared fixtures: the demo network is seeded once per test session (each test then runs in
a transaction that is rolled back), and personas log in by email."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings  # noqa: E402
from django.core.management import call_command

# Password hashing strength is not under test; the seed hashes a dozen demo passwords.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tasks run eagerly in tests, even when REDIS_URL is set (CI); the one test that needs a real
# worker on Redis starts it itself (tests/test_platform.py).
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
settings.CELERY_TASK_ALWAYS_EAGER = True
from betterdata.celery import app as _celery_app  # noqa: E402

_celery_app.conf.task_always_eager = True


# The test body itself is the system (it seeds, sets up and asserts on rows): its connections
# start under the RLS bypass. Every request through the test client or a live server runs under
# its own Scope (ScopeMiddleware); tests/test_rls.py activates scopes (or none) explicitly.
from rls.context import system_process  # noqa: E402

system_process("the test harness")

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


@pytest.fixture(autouse=True)
def _demo_network_present(request, django_db_blocker):
    """A transactional test (live_server, threads) flushes the database when it ends; the next
    database test re-seeds the demo network first, outside its own rolled-back transaction."""
    uses_db = {"db", "transactional_db"} & set(
        request.fixturenames
    ) or request.node.get_closest_marker("django_db")
    if not uses_db:
        return
    request.getfixturevalue("django_db_setup")
    from orgs.models import Organization

    with django_db_blocker.unblock():
        if not Organization.objects.filter(code="ORG-001").exists():
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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser build)."""
    if not CHROMIUM:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but chromium is not installed")
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures
    # around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def browser_login(browser, live_server):
    """browser_login("ops@amazon.example") → a fresh page (own context), logged in via the form."""
    from django.conf import settings

    contexts = []

    def _login(email: str):
        context = browser.new_context(base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.goto("/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", settings.DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/")
        return page

    yield _login
    for context in contexts:
        context.close()
