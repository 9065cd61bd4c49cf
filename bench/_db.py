"""Point a bench script at its own database before Django starts (never the dev data)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def use_bench_database(name: str = "betterdata_bench") -> str:
    """Use BENCH_DATABASE_URL, else DATABASE_URL's server, else the embedded server, with a
    database of its own that is dropped and re-created on every run."""
    import psycopg

    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if not url:
        from betterdata.devdb import embedded_database_url

        url = embedded_database_url(ROOT / ".data" / "pg")
    base, _, query = url.partition("?")
    server, _, _ = base.rpartition("/")
    admin_url = f"{server}/postgres" + (f"?{query}" if query else "")
    bench_url = f"{server}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production")  # DEBUG is off
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
    return bench_url


def plain_static_files() -> None:
    """Benches run with DEBUG=False but without collectstatic: serve static names as they are."""
    from django.conf import settings

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


def median_ms(fn, runs: int = 30) -> float:
    import statistics
    import time

    fn()  # warm-up
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)
