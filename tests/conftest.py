"""Shared fixtures: the demo network is seeded once per test session (each test then runs in
a transaction that is rolled back, and a transactional test restores the seed's snapshot when
it ends), and personas log in by email."""

from __future__ import annotations

import os
import shutil

import pytest
from django.conf import settings  # noqa: E402
from django.core.management import call_command
from django.test import TransactionTestCase

# Password hashing strength is not under test; the seed hashes a dozen demo passwords.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No JIT on the test connections. Row-level security adds its policies' sub-plans to every
# query, so the planner's cost of many of them passes jit_above_cost although the test tables
# hold a few thousand rows: PostgreSQL then compiles (seconds) what runs in milliseconds. One
# COUNT(*) over every table (tests/orgs/test_admin_writes.py) took 8 s, 7.8 s of it JIT.
for _database in settings.DATABASES.values():
    _options = _database.setdefault("OPTIONS", {})
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()

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


# --- the seeded demo network, restored rather than re-seeded ----------------------------------
#
# The session seeds the demo network once, then copies every table into UNLOGGED tables of a
# schema of their own (SNAPSHOT) and notes every sequence. Most tests run in a rolled-back
# transaction and never touch the copy. A transactional test (live_server, threads, browser)
# commits; Django would flush every table when it ends and the next test would re-run the whole
# seed. Instead its teardown puts the seed back: a DELETE and an INSERT ... SELECT from the copy
# per table and a setval per sequence, in one transaction and one round trip. Same rows, same
# primary keys, same sequence positions as right after the seed.

SNAPSHOT = "test_seed_snapshot"


class SeedSnapshot:
    """The restore statement for one database, built once from the catalog after the seed."""

    def __init__(self, connection) -> None:
        from rls.context import bypass

        # The harness is the owner (SET ROLE to the app role, which created the test database):
        # it may TRUNCATE, create the schema and set sequences. Row-level security is forced on
        # the owner too, so reads and inserts run under the harness's named bypass.
        with (
            bypass(reason="tests: snapshot of the seeded demo network"),
            connection.cursor() as cur,
        ):
            cur.execute(
                "SELECT c.relname, string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)"
                " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
                " AND NOT a.attisdropped AND a.attgenerated = ''"
                " WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')"
                " AND c.relname <> 'django_migrations' GROUP BY c.relname ORDER BY c.relname"
            )
            tables = cur.fetchall()
            cur.execute(
                "SELECT quote_ident(sequencename), COALESCE(last_value, start_value),"
                " last_value IS NOT NULL FROM pg_sequences WHERE schemaname = current_schema()"
                # The scope version never goes back: a number stands for one state of data.
                " AND sequencename <> 'orgs_scope_version_seq'"
            )
            sequences = cur.fetchall()
            cur.execute(f"DROP SCHEMA IF EXISTS {SNAPSHOT} CASCADE; CREATE SCHEMA {SNAPSHOT}")
            for table, columns in tables:
                quoted = connection.ops.quote_name(table)
                cur.execute(
                    f"CREATE UNLOGGED TABLE {SNAPSHOT}.{quoted} AS SELECT {columns} FROM {quoted}"
                )
        # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED: deletes and inserts may run
        # in any order and are checked once, at commit. DELETE, not TRUNCATE: for a few thousand
        # rows TRUNCATE's new files for ~50 tables and their indexes cost seconds, DELETE
        # milliseconds. A lost commit on a crash is nothing to a test database.
        self.sql = ";\n".join(
            [
                "SET CONSTRAINTS ALL DEFERRED",
                "SET LOCAL synchronous_commit = off",
                *(f"DELETE FROM {connection.ops.quote_name(t)}" for t, _ in tables),
                *(
                    f"INSERT INTO {connection.ops.quote_name(t)} ({columns})"
                    f" SELECT {columns} FROM {SNAPSHOT}.{connection.ops.quote_name(t)}"
                    for t, columns in tables
                ),
                "SELECT "
                + ", ".join(
                    f"setval('{name}', {value}, {'true' if called else 'false'})"
                    for name, value, called in sequences
                ),
            ]
        )

    def restore(self, connection) -> None:
        from django.db import transaction

        from rls.context import bypass

        with (
            transaction.atomic(using=connection.alias),
            bypass(reason="tests: restore the seeded demo network", using=connection),
            connection.cursor() as cur,
        ):
            cur.execute(self.sql)


_SNAPSHOTS: dict[str, SeedSnapshot] = {}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.db import connection

    with django_db_blocker.unblock():
        call_command("seed_demo", force=True, quiet=True)
        _SNAPSHOTS[connection.alias] = SeedSnapshot(connection)


def _restore_the_seed_instead_of_flushing(self) -> None:
    """TransactionTestCase._fixture_teardown (a flush of every table), replaced."""
    from django.db import connections

    for alias in self._databases_names(include_mirrors=False):
        _SNAPSHOTS[alias].restore(connections[alias])


TransactionTestCase._fixture_teardown = _restore_the_seed_instead_of_flushing


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
