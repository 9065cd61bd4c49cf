"""Shared set-up for the procurement, analytics and api benches: each uses a database of its
own (dropped and re-created per run) on DATABASE_URL's server, never the dev data."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(name: str) -> None:
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        from betterdata.devdb import embedded_database_url

        url = embedded_database_url(ROOT / ".data" / "pg")
    base, _, query = url.partition("?")
    server, _, _ = base.rpartition("/")
    suffix = f"?{query}" if query else ""
    with psycopg.connect(f"{server}/postgres{suffix}", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{server}/{name}{suffix}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")  # DEBUG is off
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")

    import django

    django.setup()
    # A bench builds its world as a system job (RLS bypass); its measured requests run
    # under each viewer's Scope like production (rls/context.py).
    from rls.context import system_process  # noqa: E402

    system_process("bench: seeding and setup")
    from django.conf import settings
    from django.core.management import call_command

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, quiet=True)


def median_ms(fn, runs: int = 15) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def client_for(email: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return client


def timed_get(client, url: str, **headers) -> tuple[float, int]:
    """(median ms, queries) for GET url; asserts a 200."""
    from django.db import connection

    def get():
        response = client.get(url, headers=headers)
        assert response.status_code == 200, (url, response.status_code)

    executed = []
    with connection.execute_wrapper(
        lambda execute, sql, *a: executed.append(sql) or execute(sql, *a)
    ):
        get()
    return median_ms(get), len(executed)


def analyze() -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a live database."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")
