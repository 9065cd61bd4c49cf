"""RLS bench: what the row-level-security policies add to the list pages.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bd_rls .venv/bin/python bench/rls.py

Its own database (`betterdata_bench_rls`, dropped and re-created), production-like settings
(DEBUG off), the demo network plus BENCH_BALANCES stock balances (default 100,000) and
BENCH_SHIPMENTS shipments with an ASN each (default 50,000). For a root admin and for a partner
(Amazon) it times /inventory/ and /shipments/ with the policies on (what production runs) and
with the bypass (the application filter alone), interleaved in the same run, and prints medians,
queries per page and the ratio.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _db import plain_static_files, use_bench_database  # noqa: E402

BALANCES = int(os.environ.get("BENCH_BALANCES", "100000"))
SHIPMENTS = int(os.environ.get("BENCH_SHIPMENTS", "50000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))
PRODUCTS = 2_000

use_bench_database("betterdata_bench_rls")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")

import django  # noqa: E402

django.setup()
# A bench builds its world as a system job (RLS bypass); its measured requests run
# under each viewer's Scope like production (rls/context.py).
from rls.context import system_process  # noqa: E402

system_process("bench: seeding and setup")
plain_static_files()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import rls.context  # noqa: E402


def _shipments_bench():
    spec = importlib.util.spec_from_file_location(
        "bench_shipments", Path(__file__).resolve().parent / "shipments.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def seed() -> None:
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", force=True, quiet=True)
    with connection.cursor() as cur:
        cur.execute("SELECT code, id FROM orgs_organization")
        org = dict(cur.fetchall())
        cur.execute("SELECT code, id FROM orgs_location")
        loc = dict(cur.fetchall())
        cur.execute(
            """
            INSERT INTO inventory_product (public_id, owner_id, sku, name, description,
                specifications, image, unit_of_measure, price, cost, is_active, created_at,
                updated_at)
            SELECT md5(o || '-' || g)::uuid, o, 'RB-' || o || '-' || g, 'Bench product ' || g,
                   '', '{}', '', 'EA', 10 + g %% 50, 4 + g %% 20, true, now(), now()
            FROM generate_series(1, %(n)s) g, unnest(%(owners)s::bigint[]) o
            """,
            {"n": PRODUCTS, "owners": [org["ORG-003"], org["ORG-401"]]},
        )
        # LUXE BOND stock at its own sites and Amazon's shared FBA sites; MedSupply's at its DC.
        sites = [
            (org["ORG-003"], loc[c])
            for c in ("LOC-001", "LOC-002", "LOC-003", "LOC-004", "LOC-101", "LOC-102", "LOC-103")
        ] + [(org["ORG-401"], loc["LOC-401"])]
        cur.execute(
            """
            INSERT INTO inventory_stockbalance
                (owner_id, product_id, location_id, lot, expiry, quantity, updated_at)
            SELECT s.owner_id, p.id, s.location_id, 'L' || (g / (%(S)s * %(P)s)),
                   date '2027-01-01' + (g %% 400), (g %% 500) + 11, now()
            FROM generate_series(0, %(n)s - 1) g
            JOIN (SELECT (row_number() OVER () - 1)::int AS idx, o AS owner_id, l AS location_id
                  FROM unnest(%(owners)s::bigint[], %(locs)s::bigint[]) AS t(o, l)) s
              ON s.idx = g %% %(S)s
            JOIN (SELECT owner_id, (row_number() OVER (PARTITION BY owner_id ORDER BY sku) - 1)
                         ::int AS idx, id FROM inventory_product WHERE sku LIKE 'RB-%%') p
              ON p.owner_id = s.owner_id AND p.idx = (g / %(S)s) %% %(P)s
            """,
            {
                "n": BALANCES,
                "S": len(sites),
                "P": PRODUCTS,
                "owners": [o for o, _ in sites],
                "locs": [lid for _, lid in sites],
            },
        )
    _shipments_bench().synthetic(SHIPMENTS)
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
        cur.execute("SELECT count(*) FROM inventory_stockbalance")
        balances = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM shipments_shipment")
        shipments = cur.fetchone()[0]
    print(
        f"seeded {balances:,} balances, {shipments:,} shipments in {time.perf_counter() - t0:.0f}s",
        flush=True,
    )


_real_scope_settings = rls.context.scope_settings


def policies(on: bool) -> None:
    """Off: every request's scope becomes the bypass (the application filter alone)."""
    rls.context.scope_settings = (
        _real_scope_settings if on else (lambda scope: dict(rls.context.BYPASS))
    )


def main() -> None:
    seed()
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    viewers = {
        "root admin (super@luxebond)": users.get(email="super@luxebond.example"),
        "partner (ops@amazon)": users.get(email="ops@amazon.example"),
    }
    print(
        f"\n{'viewer':<30} {'page':<12} {'RLS ms':>8} {'bypass ms':>10} {'ratio':>6} "
        f"{'queries RLS/bypass':>20}"
    )
    for label, user in viewers.items():
        client = Client()
        client.force_login(user)
        for path in ("/inventory/", "/shipments/"):
            counts = {}
            samples: dict[bool, list[float]] = {True: [], False: []}
            for on in (True, False):
                policies(on)
                assert client.get(path).status_code == 200  # warm-up
                with CaptureQueriesContext(connection) as ctx:
                    client.get(path)
                counts[on] = len(ctx.captured_queries)
            for _ in range(ROUNDS):
                for on in (True, False):  # interleaved: both see the same cache and load
                    policies(on)
                    start = time.perf_counter()
                    client.get(path)
                    samples[on].append((time.perf_counter() - start) * 1000)
            policies(True)
            on_ms, off_ms = (statistics.median(samples[k]) for k in (True, False))
            print(
                f"{label:<30} {path:<12} {on_ms:8.1f} {off_ms:10.1f} {on_ms / off_ms:6.2f} "
                f"{counts[True]:>12}/{counts[False]}",
                flush=True,
            )


if __name__ == "__main__":
    main()
