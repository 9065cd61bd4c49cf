"""Inventory bench: first-page time of /inventory/ at 100k and 1M stock balances.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bd_inventory .venv/bin/python bench/inventory.py

Creates its own database (`<name>_bench`, dropped and recreated), migrates, seeds the demo
network, then adds synthetic locations, products, balances and movements with
`generate_series` (5 movements per balance). Prints, per size: median full-request time of the
first page for a root admin and for a partner (Amazon), the hand-written SQL time for the same
rows, their ratio, queries per page, and CSV export throughput.

Sizes: BENCH_BALANCES (default 1,000,000) and BENCH_MOVEMENTS_PER_BALANCE (default 5).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bd_inventory")
TOTAL = int(os.environ.get("BENCH_BALANCES", "1000000"))
PER_BALANCE = int(os.environ.get("BENCH_MOVEMENTS_PER_BALANCE", "5"))
SIZES = [s for s in (100_000, TOTAL) if s <= TOTAL]
REPEATS = 15
OWN_LOCATIONS, OTHER_LOCATIONS, PRODUCTS = 200, 97, 5_000


def _bench_database() -> str:
    import psycopg

    url = urlparse(BASE_URL)
    name = url.path.lstrip("/") + "_bench"
    admin = urlunparse(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunparse(url._replace(path=f"/{name}"))


def timed(fn, repeats=REPEATS) -> float:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    os.environ["DATABASE_URL"] = _bench_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    os.environ.setdefault("DEBUG", "True")  # as it ran before DEBUG defaulted to off
    import django

    django.setup()
    # A bench builds its world as a system job (RLS bypass); its measured requests run
    # under each viewer's Scope like production (rls/context.py).
    from rls.context import system_process  # noqa: E402

    system_process("bench: seeding and setup")
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = ["*"]
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, quiet=True)
    print(f"migrate + seed_demo: {time.perf_counter() - t0:.1f}s", flush=True)

    from django.contrib.auth import get_user_model

    from inventory.models import LedgerBatch, Product
    from orgs.access import scope_for_user
    from orgs.models import Location, Organization

    orgs = {o.code: o for o in Organization.objects.all()}  # unscoped: the bench builds the world
    luxe, med = orgs["ORG-003"], orgs["ORG-401"]
    Location.objects.bulk_create(
        [
            Location(code=f"LOC-B{i:04d}", name=f"Bench site {i}", operator=luxe)
            for i in range(OWN_LOCATIONS)
        ]
        + [
            Location(code=f"LOC-M{i:04d}", name=f"MedSupply site {i}", operator=med)
            for i in range(OTHER_LOCATIONS)
        ]
    )
    for owner, prefix in ((luxe, "BX"), (med, "MX")):
        Product.objects.bulk_create(
            [
                Product(
                    owner=owner,
                    sku=f"{prefix}-{i:05d}",
                    name=f"Bench product {i}",
                    price=10 + i % 50,
                    cost=4 + i % 20,
                )
                for i in range(PRODUCTS)
            ]
        )
    batch = LedgerBatch.objects.create(idempotency_key="bench", kind="RECEIPT")
    with connection.cursor() as cur:
        cur.execute(
            """
            CREATE TABLE bench_loc AS
            SELECT (row_number() OVER (ORDER BY l.code) - 1)::int AS idx, l.id AS location_id,
                   CASE WHEN l.operator_id = %s THEN %s ELSE %s END AS owner_id
            FROM orgs_location l
            WHERE l.code LIKE 'LOC-B%%' OR l.code LIKE 'LOC-M%%'
               OR l.code IN ('LOC-101', 'LOC-102', 'LOC-103');
            CREATE TABLE bench_prod AS
            SELECT owner_id, (row_number() OVER (PARTITION BY owner_id ORDER BY sku) - 1)::int
                   AS idx, id AS product_id
            FROM inventory_product WHERE sku LIKE 'BX-%%' OR sku LIKE 'MX-%%';
            CREATE INDEX ON bench_prod (owner_id, idx);
            """,
            [med.pk, med.pk, luxe.pk],
        )
        cur.execute("SELECT count(*) FROM bench_loc")
        n_locations = cur.fetchone()[0]

    users = get_user_model().objects
    viewers = {
        "root admin (super@luxebond)": users.get(email="super@luxebond.example"),
        "partner (ops@amazon)": users.get(email="ops@amazon.example"),
    }
    done = 0
    for size in SIZES:
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(max(id), 0) FROM inventory_stockbalance")
            last_id = cur.fetchone()[0]
            cur.execute(
                """
                INSERT INTO inventory_stockbalance
                    (owner_id, product_id, location_id, lot, expiry, quantity, updated_at)
                SELECT m.owner_id, p.product_id, m.location_id, 'B' || (g / (%(L)s * %(P)s)),
                       date '2027-01-01' + ((g / %(L)s) %% 400)::int, (g %% 500) + 11,
                       now() - make_interval(secs => g %% 31536000)
                FROM generate_series(%(lo)s, %(hi)s) g
                JOIN bench_loc m ON m.idx = g %% %(L)s
                JOIN bench_prod p ON p.owner_id = m.owner_id AND p.idx = (g / %(L)s) %% %(P)s
                """,
                {"L": n_locations, "P": PRODUCTS, "lo": done, "hi": size - 1},
            )
            t1 = time.perf_counter()
            cur.execute(
                """
                INSERT INTO inventory_stockmovement (batch_id, owner_id, product_id, location_id,
                    lot, expiry, quantity, kind, occurred_at, created_at)
                SELECT %(batch)s, b.owner_id, b.product_id, b.location_id, b.lot, b.expiry,
                       CASE WHEN k = 1 THEN b.quantity + 10 * (%(K)s - 1) ELSE -10 END,
                       CASE WHEN k = 1 THEN 'RECEIPT' ELSE 'SHIPMENT' END,
                       now() - make_interval(days => 365 - k * 60), now()
                FROM inventory_stockbalance b CROSS JOIN generate_series(1, %(K)s) k
                WHERE b.id > %(last)s
                """,
                {"batch": batch.pk, "K": PER_BALANCE, "last": last_id},
            )
            cur.execute("ANALYZE inventory_stockbalance; ANALYZE inventory_stockmovement;")
            cur.execute("SELECT count(*) FROM inventory_stockbalance")
            balances = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM inventory_stockmovement")
            movements = cur.fetchone()[0]
        print(
            f"\n== {balances:,} balances, {movements:,} movements "
            f"(seeded balances in {t1 - t0:.0f}s, movements in {time.perf_counter() - t1:.0f}s)",
            flush=True,
        )
        done = size
        for label, user in viewers.items():
            _measure(label, user, Client, CaptureQueriesContext, connection, scope_for_user)


def _measure(label, user, Client, CaptureQueriesContext, connection, scope_for_user) -> None:
    from inventory import exports
    from inventory.selectors import stock_rows

    client = Client()
    client.force_login(user)
    assert client.get("/inventory/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        client.get("/inventory/")
    page_ms = timed(lambda: client.get("/inventory/"))

    scope = scope_for_user(user)
    qs = stock_rows(scope)
    first_page_sql, params = qs[:50].query.sql_with_params()
    capped_sql, cparams = qs[:10_001].values("id").query.sql_with_params()
    count_sql = f"SELECT count(*) FROM ({capped_sql}) t"
    with connection.cursor() as cur:

        def raw():
            cur.execute(first_page_sql, params)
            cur.fetchall()
            cur.execute(count_sql, cparams)
            cur.fetchone()

        sql_ms = timed(raw)
        cur.execute(count_sql, cparams)
        visible = cur.fetchone()[0]

    rows = 0
    start = time.perf_counter()
    header, gen = exports.stock_rows_csv_lines(scope, stock_rows(scope))
    for _ in gen:
        rows += 1
        if rows >= 200_000:
            break
    export_s = time.perf_counter() - start
    print(
        f"  {label:<30} first page {page_ms:7.1f} ms | raw SQL (page + capped count) "
        f"{sql_ms:6.1f} ms | ratio {page_ms / sql_ms:5.1f}x | queries/page "
        f"{len(ctx.captured_queries)} | visible rows {'10,000+' if visible > 10_000 else visible}"
        f" | CSV {rows:,} rows in {export_s:.1f}s = {rows / export_s:,.0f} rows/s",
        flush=True,
    )


if __name__ == "__main__":
    main()
