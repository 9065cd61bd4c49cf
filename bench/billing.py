"""Billing bench: Stripe webhook throughput through the view, and /billing/ at two network sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bd_billing .venv/bin/python bench/billing.py

Runs in its own database (`<name>_bench`, created and dropped here), seeds the demo network
plus synthetic partners, then prints medians and ratios. Tasks run eagerly in the request
(as with no REDIS_URL), so "processed" means the plan change is committed when the view
answers. Sizes are modest so it finishes in a few minutes on 2 cores.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEBHOOK_SECRET = "whsec_bench_secret"
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "400"))
SIZES = (50, 1000)  # synthetic partners added to LUXE BOND's network


def _bench_database() -> None:
    """Point DATABASE_URL at <name>_bench and (re)create it empty."""
    import psycopg

    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL (a PostgreSQL server this bench may create a database on).")
    parsed = urlparse(url)
    name = parsed.path.lstrip("/") + "_bench"
    admin = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlunparse(parsed._replace(path=f"/{name}"))
    os.environ["BENCH_DB_NAME"] = name
    os.environ["BENCH_ADMIN_URL"] = admin


def _drop_bench_database() -> None:
    import psycopg

    with psycopg.connect(os.environ["BENCH_ADMIN_URL"], autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{os.environ["BENCH_DB_NAME"]}" WITH (FORCE)')


def main() -> None:
    _bench_database()
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
    os.environ["STRIPE_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    os.environ["STRIPE_SECRET_KEY"] = ""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    os.environ.setdefault("DEBUG", "True")  # as it ran before DEBUG defaulted to off
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    # A bench builds its world as a system job (RLS bypass); its measured requests run
    # under each viewer's Scope like production (rls/context.py).
    from rls.context import system_process  # noqa: E402

    system_process("bench: seeding and setup")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, quiet=True)
    _database_round_trip()
    try:
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            cProfile.runctx("bench_webhooks()", globals(), locals(), "/tmp/bench_billing.prof")
            pstats.Stats("/tmp/bench_billing.prof").sort_stats("cumulative").print_stats(45)
            return
        bench_webhooks()
        bench_network_page()
    finally:
        from django.db import connections

        connections.close_all()
        _drop_bench_database()


def _database_round_trip() -> None:
    """Context for every figure below: what one trivial query and one commit cost here."""
    from django.db import connection, transaction

    with connection.cursor() as cur:
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            cur.execute("SELECT 1")
            times.append(time.perf_counter() - t0)
    commits = []
    for _ in range(50):
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS bench_t (x int)")
            cur.execute("INSERT INTO bench_t VALUES (1)")
        commits.append(time.perf_counter() - t0)
    print("== database ==")
    print(f"SELECT 1 median {statistics.median(times) * 1000:.2f} ms; ", end="")
    print(f"insert+commit median {statistics.median(commits) * 1000:.2f} ms")


def _synthetic_partners(n: int, start: int, *, plan: str = "PRO") -> list:
    from billing.models import Subscription
    from core.enums import TIER_FOR_PLAN
    from orgs.models import Organization, OrganizationRelationship
    from partnerships.models import Partnership

    dist = Organization.objects.get(code="ORG-003")
    root = Organization.objects.get(code="ORG-001")
    orgs = Organization.objects.bulk_create(
        Organization(
            code=f"ORG-{10000 + i}",
            name=f"Synthetic partner {i}",
            plan_tier=plan,
            partnership_tier=TIER_FOR_PLAN[plan],
            billing_mode="ADD_ON" if plan != "FREE" else "FREE",
        )
        for i in range(start, start + n)
    )
    rels = OrganizationRelationship.objects.bulk_create(
        OrganizationRelationship(parent=dist, child=o, type="PARTNER") for o in orgs
    )
    Partnership.objects.bulk_create(
        Partnership(relationship=r, role="SUPPLIER", status="ACTIVE") for r in rels
    )
    if plan != "FREE":
        Subscription.objects.bulk_create(
            Subscription(
                organization=o,
                payer=root,
                plan=plan,
                status="ACTIVE",
                stripe_subscription_id=f"sub_bench_{o.code}",
            )
            for o in orgs
        )
    return orgs


def bench_webhooks() -> None:
    import stripe
    from django.db import connection
    from django.test import Client

    from billing.models import PlanChange, WebhookEvent

    orgs = _synthetic_partners(EVENTS, 0)
    now = int(time.time())
    payloads = []
    for i, org in enumerate(orgs):
        event = {
            "id": f"evt_bench_{i}",
            "object": "event",
            "type": "customer.subscription.updated",
            "created": now,
            "data": {
                "object": {
                    "id": f"sub_bench_{org.code}",
                    "object": "subscription",
                    "status": "active",
                    "metadata": {
                        "org": str(org.public_id),
                        "plan": "PRO",
                        "extra_location_addons": "1",
                    },
                }
            },
        }
        body = json.dumps(event)
        payloads.append(
            (body, stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET))
        )
    # Every event is delivered twice (Stripe retries), in random order across 8 clients.
    deliveries = payloads * 2
    random.Random(7).shuffle(deliveries)
    queue = list(enumerate(deliveries))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: list[int] = []
    changes_before = PlanChange.objects.count()

    def worker():
        client = Client()
        try:
            while True:
                with lock:
                    if not queue:
                        return
                    _, (body, sig) = queue.pop()
                t0 = time.perf_counter()
                r = client.post(
                    "/stripe/webhook/",
                    data=body,
                    content_type="application/json",
                    HTTP_STRIPE_SIGNATURE=sig,
                )
                dt = time.perf_counter() - t0
                with lock:
                    latencies.append(dt)
                    statuses.append(r.status_code)
        finally:
            if CLIENTS > 1:
                connection.close()

    t0 = time.perf_counter()
    if CLIENTS == 1:  # in this thread (profilable)
        worker()
    else:
        threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    elapsed = time.perf_counter() - t0
    stored = WebhookEvent.objects.filter(stripe_event_id__startswith="evt_bench_").count()
    processed = WebhookEvent.objects.filter(
        stripe_event_id__startswith="evt_bench_", status="PROCESSED"
    ).count()
    effects = PlanChange.objects.count() - changes_before
    print(f"== Stripe webhooks through /stripe/webhook/ ({CLIENTS} concurrent clients) ==")
    print(f"deliveries: {len(deliveries)} ({EVENTS} distinct events, each delivered twice)")
    print(f"status codes: {sorted(set(statuses))}  non-200: {sum(s != 200 for s in statuses)}")
    print(f"elapsed: {elapsed:.2f} s")
    print(f"deliveries/s: {len(deliveries) / elapsed:.0f}")
    print(f"events processed/s (distinct, plan change committed): {processed / elapsed:.0f}")
    print(f"median latency: {statistics.median(latencies) * 1000:.1f} ms")
    print(f"stored events: {stored}  processed: {processed}  plan changes: {effects}")
    print(f"duplicates: {effects - EVENTS} (plan changes beyond one per event)")


def _measure(client, url: str, repeat: int = 15) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    connection.queries_log.clear()  # DEBUG logs every query; a full log would hide new ones
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url)
    assert r.status_code == 200, r.status_code
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t0)
    return len(ctx), statistics.median(times)


def bench_network_page() -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from billing.models import Subscription

    # Start from the demo network alone: drop the webhook bench's synthetic partners.
    from orgs.models import Organization, OrganizationRelationship
    from partnerships.models import Partnership

    synthetic = Organization.objects.filter(code__startswith="ORG-1", name__startswith="Synthetic")
    Partnership.objects.filter(relationship__child__in=synthetic).delete()
    OrganizationRelationship.objects.filter(child__in=synthetic).delete()
    Subscription.objects.filter(organization__in=synthetic).delete()
    from billing.models import PlanChange

    PlanChange.objects.filter(organization__in=synthetic).delete()
    from orgs.models import AuditEvent

    AuditEvent.objects.filter(acting_org__in=synthetic).update(acting_org=None)
    synthetic.delete()

    client = Client()
    client.force_login(get_user_model().objects.get(email="super@luxebond.example"))
    print("== /billing/ (network billing, root ORG_SUPER_ADMIN) ==")
    results = []
    done = 0
    for size in SIZES:
        half = (size - done) // 2
        _synthetic_partners(half, 20000 + done, plan="PRO")
        _synthetic_partners(size - done - half, 30000 + done, plan="FREE")
        done = size
        orgs = 11 + size
        for url in ("/billing/", "/billing/metrics/"):
            queries, median = _measure(client, url)
            results.append((url, orgs, queries, median))
            print(f"{url:<18} {orgs:>5} orgs: {queries:>2} queries, median {median * 1000:.1f} ms")
    for url in ("/billing/", "/billing/metrics/"):
        small, big = [r for r in results if r[0] == url]
        print(
            f"{url}: queries {small[2]} → {big[2]}; time ratio {big[3] / small[3]:.2f}× "
            f"for {big[1] / small[1]:.0f}× the organizations"
        )


if __name__ == "__main__":
    main()
