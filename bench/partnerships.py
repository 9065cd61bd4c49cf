"""Partnerships bench: query counts and timings of the partnership pages at two data sizes,
and the time from an invitation's accept POST to the new partner's first dashboard.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bd_partnerships .venv/bin/python bench/partnerships.py

Seeds the demo network plus synthetic partners into its own database (<name>_bench, recreated
on every run) and prints medians and ratios. Runs in about a minute on 2 cores.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SIZES = (50, 2_000)  # synthetic partners of ORG-003 (and messages on one thread)
REPEAT = 25
ACCEPTS = 5


def _bench_database() -> str:
    import psycopg

    url = urlparse(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/betterdata"))
    name = url.path.lstrip("/") + "_bench"
    admin_url = urlunparse(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(url._replace(path=f"/{name}"))


def _count_queries(connection, client, url: str) -> int:
    executed: list[str] = []

    def log(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        client.get(url)
    return len(executed)


def main() -> None:
    os.environ["DATABASE_URL"] = _bench_database()
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    os.environ.setdefault("DEBUG", "True")  # as it ran before DEBUG defaulted to off
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    # A bench builds its world as a system job (RLS bypass); its measured requests run
    # under each viewer's Scope like production (rls/context.py).
    from rls.context import system_process  # noqa: E402

    system_process("bench: seeding and setup")
    from django.core import mail, signals
    from django.core.management import call_command
    from django.db import close_old_connections, connection, reset_queries
    from django.test import Client
    from django.utils import timezone

    from orgs.access import scope_for_user
    from orgs.models import Location, Organization, OrganizationRelationship
    from partnerships.models import Message, Partnership
    from partnerships.services.invitations import invitation_create

    # Keep one connection across requests (as CONN_MAX_AGE does in production) so the
    # figures measure the page, not a reconnect, and the query log survives the request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_started.disconnect(reset_queries)
    mail.outbox = []
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, quiet=True)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    dist = Organization.objects.get(code="ORG-003")
    loc = Location.objects.get(code="LOC-003")
    admin = User.objects.get(email="admin@dist.luxebond.example")
    amazon = Partnership.objects.get(relationship__parent=dist, relationship__child__code="ORG-101")

    def grow(n: int) -> None:
        have = Organization.objects.filter(code__startswith="ORG-9").count()
        orgs = Organization.objects.bulk_create(
            Organization(code=f"ORG-9{have + i:05d}", name=f"Synthetic Partner {have + i}")
            for i in range(n)
        )
        rels = OrganizationRelationship.objects.bulk_create(
            OrganizationRelationship(parent=dist, child=o, type="PARTNER") for o in orgs
        )
        made = Partnership.objects.bulk_create(
            Partnership(relationship=r, role="SUPPLIER", status="ACTIVE", started_at=timezone.now())
            for r in rels
        )
        through = Partnership.shared_locations.through
        through.objects.bulk_create(through(partnership_id=p.pk, location_id=loc.pk) for p in made)
        Message.objects.bulk_create(
            Message(partnership=amazon, author=admin, author_org=dist, body=f"Update {i}")
            for i in range(n)
        )

    client = Client()
    client.force_login(admin)
    scope_ms: dict[int, float] = {}
    pages = {
        "/partnerships/": "/partnerships/",
        "partnership page": f"/partnerships/{amazon.public_id}/",
    }
    results: dict[str, dict[int, tuple[int, float]]] = {k: {} for k in pages}
    grown = 0
    for size in SIZES:
        grow(size - grown)
        grown = size
        for label, url in pages.items():
            client.get(url)  # warm
            executed = _count_queries(connection, client, url)
            times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                assert client.get(url).status_code == 200
                times.append((time.perf_counter() - t) * 1000)
            scope_times = []
            for _ in range(REPEAT):
                t = time.perf_counter()
                scope_for_user(admin)
                scope_times.append((time.perf_counter() - t) * 1000)
            scope_ms[size] = statistics.median(scope_times)
            results[label][size] = (executed, statistics.median(times))

    print(f"partnerships bench — PostgreSQL, {REPEAT} requests per figure, as admin@dist")
    print(f"{'page':<20}" + "".join(f"{f'{s} partners':>26}" for s in SIZES) + f"{'ratio':>8}")
    for label, by_size in results.items():
        cells = "".join(f"{f'{q} queries, {ms:.1f} ms':>26}" for q, ms in by_size.values())
        ratio = by_size[SIZES[-1]][1] / by_size[SIZES[0]][1]
        print(f"{label:<20}{cells}{ratio:>7.2f}×")

    print(
        "of which the access layer's scope build (orgs.access, one row per active partnership): "
        + ", ".join(f"{ms:.1f} ms at {size}" for size, ms in scope_ms.items())
    )
    scope = scope_for_user(admin)
    accept_ms, dash_ms, hash_ms = [], [], []
    from django.contrib.auth.hashers import make_password

    for i in range(ACCEPTS):
        mail.outbox = []
        _, token = invitation_create(
            scope=scope,
            network_org=dist,
            company_name=f"Bench Partner {i}",
            email=f"bench{i}@partner.example",
            relationship_type="PARTNER",
            role="THREE_PL",
            shared_locations=[loc],
        )
        partner = Client()
        data = {
            "full_name": "Bench Person",
            "organization_name": f"Bench Partner {i}",
            "password1": "bench-Unusual-pass-77",
            "password2": "bench-Unusual-pass-77",
        }
        t0 = time.perf_counter()
        response = partner.post(f"/invitations/{token}/", data)
        t1 = time.perf_counter()
        assert response.status_code == 302, response.status_code
        assert partner.get("/dashboard/").status_code == 200
        t2 = time.perf_counter()
        accept_ms.append((t1 - t0) * 1000)
        dash_ms.append((t2 - t1) * 1000)
        t = time.perf_counter()
        make_password("bench-Unusual-pass-77")
        hash_ms.append((time.perf_counter() - t) * 1000)
    total = statistics.median(a + d for a, d in zip(accept_ms, dash_ms, strict=True))
    print(
        f"accept POST → first dashboard: median {total:.0f} ms "
        f"(accept {statistics.median(accept_ms):.0f} ms, of which password hashing "
        f"≈{statistics.median(hash_ms):.0f} ms; dashboard {statistics.median(dash_ms):.0f} ms), "
        f"{ACCEPTS} runs; emails per accept: {len(mail.outbox)}"
    )


if __name__ == "__main__":
    main()
