"""Shipments bench: receipts/s under 8 concurrent clients, queries per page, first-page time at
200k shipments for a partner and for a root admin.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bd_shipments_bench .venv/bin/python bench/shipments.py

The database is the bench's own: it is migrated, seeded with the demo network, then filled with
synthetic shipments (generate_series). Sizes: SHIPMENTS (default 200000) and ASNS (400)
environment variables. Prints medians and ratios; never a unit test.
"""

from __future__ import annotations

import os
import queue
import statistics
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
os.environ.setdefault("DEBUG", "False")  # production settings (issue 12)
os.environ.setdefault("DEMO", "1")  # a dev SECRET_KEY; DEBUG stays off
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django  # noqa: E402

django.setup()
# A bench builds its world as a system job (RLS bypass); its measured requests run
# under each viewer's Scope like production (rls/context.py).
from rls.context import system_process  # noqa: E402

system_process("bench: seeding and setup")

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from shipments.models import Shipment  # noqa: E402

SHIPMENTS = int(os.environ.get("SHIPMENTS", "200000"))
ASNS = int(os.environ.get("ASNS", "400"))
CLIENTS = 8
LINES = 20
settings.ALLOWED_HOSTS = ["*"]


def reset() -> None:
    if "bench" not in connection.settings_dict["NAME"]:
        sys.exit("Refusing: DATABASE_URL must name a database with 'bench' in it (it is wiped).")
    call_command("migrate", verbosity=0)
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE shipments_casemessage, shipments_discrepancycase, shipments_receiptline,"
            " shipments_receipt, shipments_asnline, shipments_asn, shipments_shipmentline,"
            " shipments_shipment, inventory_stockmovement, inventory_ledgerbatch,"
            " inventory_stockbalance CASCADE"
        )
    call_command("seed_demo", force=True, quiet=True)


def synthetic(n: int) -> None:
    """n shipments over the demo network: 55% internal transfers, 25% to/from Amazon FBA,
    10% Sephora VMI, 10% supplier deliveries to LOC-005; every one carries an ASN."""
    with connection.cursor() as cur:
        cur.execute("SELECT code, id FROM orgs_organization")
        org = dict(cur.fetchall())
        cur.execute("SELECT code, id FROM orgs_location")
        loc = dict(cur.fetchall())
        cur.execute(
            "SELECT id FROM inventory_product WHERE owner_id = %s ORDER BY sku", [org["ORG-003"]]
        )
        product = cur.fetchone()[0]
        internal = [loc[c] for c in ("LOC-001", "LOC-002", "LOC-003", "LOC-004")]
        fba = [loc[c] for c in ("LOC-101", "LOC-102", "LOC-103")]
        cur.execute(
            """
            INSERT INTO shipments_shipment (public_id, number, owner_id, shipper_id, receiver_id,
                origin_id, destination_id, posts_origin, status, carrier, tracking_number, note,
                created_at, updated_at)
            SELECT md5(g::text || 'shp')::uuid, 'SHP-B' || lpad(g::text, 8, '0'),
                CASE WHEN g %% 20 < 18 THEN %(o3)s ELSE %(o2)s END,
                CASE WHEN g %% 20 < 18 THEN %(o3)s ELSE %(o201)s END,
                CASE WHEN g %% 20 < 11 THEN %(o3)s WHEN g %% 20 < 15 THEN %(o101)s
                     WHEN g %% 20 < 16 THEN %(o3)s WHEN g %% 20 < 18 THEN %(o102)s ELSE %(o2)s END,
                CASE WHEN g %% 20 < 11 THEN (%(internal)s::bigint[])[1 + g %% 4]
                     WHEN g %% 20 < 15 THEN (%(internal)s::bigint[])[1 + g %% 4]
                     WHEN g %% 20 < 16 THEN (%(fba)s::bigint[])[1 + g %% 3]
                     WHEN g %% 20 < 18 THEN (%(internal)s::bigint[])[1 + g %% 4]
                     ELSE %(l201)s END,
                CASE WHEN g %% 20 < 11 THEN (%(internal)s::bigint[])[1 + (g + 1) %% 4]
                     WHEN g %% 20 < 15 THEN (%(fba)s::bigint[])[1 + g %% 3]
                     WHEN g %% 20 < 16 THEN (%(internal)s::bigint[])[1 + g %% 4]
                     WHEN g %% 20 < 18 THEN %(l104)s ELSE %(l005)s END,
                g %% 20 < 18,
                (ARRAY['DRAFT','BOOKED','IN_TRANSIT','RECEIVED','RECEIVED'])[1 + g %% 5],
                'Bench carrier', '1Z' || g, '',
                now() - (g || ' minutes')::interval, now() - (g || ' minutes')::interval
            FROM generate_series(1, %(n)s) g
            """,
            {
                "n": n,
                "o2": org["ORG-002"],
                "o3": org["ORG-003"],
                "o101": org["ORG-101"],
                "o102": org["ORG-102"],
                "o201": org["ORG-201"],
                "internal": internal,
                "fba": fba,
                "l104": loc["LOC-104"],
                "l201": loc["LOC-201"],
                "l005": loc["LOC-005"],
            },
        )
        cur.execute(
            """
            INSERT INTO shipments_shipmentline (shipment_id, product_id, quantity, lot)
            SELECT id, %s, 10, '' FROM shipments_shipment WHERE number LIKE 'SHP-B%%'
            """,
            [product],
        )
        cur.execute(
            """
            INSERT INTO shipments_asn (public_id, number, shipment_id, status, cartons,
                created_at, updated_at)
            SELECT md5(s.id::text || 'asn')::uuid, 'ASN-B' || substr(s.number, 6), s.id,
                CASE WHEN s.status = 'RECEIVED' THEN 'RECEIVED' ELSE 'AWAITING' END, 1,
                s.created_at, s.updated_at
            FROM shipments_shipment s WHERE s.number LIKE 'SHP-B%%'
            """
        )
        cur.execute("ANALYZE")


def _client(email: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(email=email))
    return client


def page_figures(label: str) -> dict:
    figures = {}
    for email in ("super@luxebond.example", "ops@amazon.example"):
        client = _client(email)
        for url in ("/shipments/", "/asns/?tab=all", "/asns/"):
            client.get(url)
            reset_queries()
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            times = []
            for _ in range(15):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            figures[(email, url)] = (len(ctx.captured_queries), statistics.median(times))
            print(
                f"  [{label}] {url:<16} as {email:<24} {len(ctx.captured_queries):>3} queries"
                f"  first page median {statistics.median(times):7.1f} ms"
            )
    return figures


def receipt_throughput() -> tuple[float, int]:
    """ASNS shipments of LINES lines to Amazon, each confirmed twice concurrently (different
    keys, as two users would): one must win, one must be refused."""
    from inventory.models import LedgerBatch, Product, StockBalance, StockMovement
    from orgs.access import scope_for_user
    from orgs.models import Location, Organization
    from rls.context import activate
    from shipments.models import ASN, ASNLine, Receipt, Shipment, ShipmentLine
    from shipments.services import receipts as receipt_services

    luxe = Organization.objects.get(code="ORG-003")
    amazon = Organization.objects.get(code="ORG-101")
    dallas = Location.objects.get(code="LOC-001")
    fba = list(Location.objects.filter(code__in=["LOC-101", "LOC-102", "LOC-103"]))
    products = list(Product.objects.filter(owner=luxe).order_by("sku"))
    asn_ids = []
    for i in range(ASNS):
        shipment = Shipment.objects.create(
            number=f"SHP-R{i:07d}",
            owner=luxe,
            shipper=luxe,
            receiver=amazon,
            origin=dallas,
            destination=fba[i % 3],
            status="IN_TRANSIT",
        )
        lines = [
            (products[j % len(products)], f"R{i % 25}-{j // len(products)}", Decimal(10 + j))
            for j in range(LINES)
        ]
        ShipmentLine.objects.bulk_create(
            ShipmentLine(shipment=shipment, product=p, quantity=q, lot=lot) for p, lot, q in lines
        )
        asn = ASN.objects.create(number=f"ASN-R{i:07d}", shipment=shipment)
        ASNLine.objects.bulk_create(
            ASNLine(asn=asn, product=p, lot=lot, expected_quantity=q) for p, lot, q in lines
        )
        asn_ids.append(asn.pk)
    # One receipt measured alone first: every query the service runs, whatever the line count.
    user = get_user_model().objects.get(email="ops@amazon.example")
    warmup = ASN.objects.get(pk=asn_ids.pop())  # imports, templates and caches warm
    receipt_services.asn_confirm_receipt(
        scope=scope_for_user(user),
        asn=warmup,
        lines=[
            receipt_services.ReceivedLine(
                asn_line_id=line.pk, received_quantity=line.expected_quantity
            )
            for line in warmup.lines.all()
        ],
        idempotency_key="warmup",
    )
    probe = ASN.objects.get(pk=asn_ids.pop())
    probe_lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in probe.lines.all()
    ]
    probe_scope = scope_for_user(user)
    with CaptureQueriesContext(connection) as ctx, activate(probe_scope):
        if os.environ.get("PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        receipt_services.asn_confirm_receipt(
            scope=probe_scope, asn=probe, lines=probe_lines, idempotency_key="probe"
        )
        if os.environ.get("PROFILE"):
            profiler.disable()
            profiler.print_stats("cumulative")
    queries = sum(1 for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"])
    savepoints = len(ctx.captured_queries) - queries
    print(f"  one receipt of {LINES} lines: {queries} queries (+{savepoints} savepoint statements)")
    if os.environ.get("SHOW_QUERIES"):
        for q in ctx.captured_queries:
            print("    ", q["sql"][:160])
    expected_units = sum(Decimal(10 + j) for j in range(LINES)) * len(asn_ids)
    before_units = sum(
        b.quantity for b in StockBalance.objects.filter(owner=luxe, location__in=fba)
    )  # unscoped: the bench checks the truth

    work: queue.Queue = queue.Queue()
    for pk in asn_ids:
        work.put((pk, f"a-{pk}"))
        work.put((pk, f"b-{pk}"))
    outcomes = {"created": 0, "replayed": 0, "refused": 0, "error": 0}
    lock = threading.Lock()

    def worker() -> None:
        scope = scope_for_user(user)
        try:
            # As in production: each receipt runs under the viewer's Scope (ScopeMiddleware).
            with activate(scope):
                while True:
                    try:
                        pk, key = work.get_nowait()
                    except queue.Empty:
                        return
                    result = confirm(scope, pk, key)
                    with lock:
                        outcomes[result] += 1
        finally:
            connection.close()

    def confirm(scope, pk: int, key: str) -> str:
        asn = ASN.objects.visible_to(scope).get(pk=pk)
        lines = [
            receipt_services.ReceivedLine(
                asn_line_id=line.pk, received_quantity=line.expected_quantity
            )
            for line in asn.lines.all()
        ]
        try:
            _, created = receipt_services.asn_confirm_receipt(
                scope=scope, asn=asn, lines=lines, idempotency_key=key
            )
        except Exception as exc:  # noqa: BLE001 — counted, then checked
            if "already received" in str(exc):
                return "refused"
            print("   error:", exc)
            return "error"
        return "created" if created else "replayed"

    threads = [threading.Thread(target=worker) for _ in range(CLIENTS)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start

    receipts = Receipt.objects.filter(asn_id__in=asn_ids).count()
    keys = [f"asn-receipt:{pk}" for pk in asn_ids]
    batches = LedgerBatch.objects.filter(idempotency_key__in=keys).count()
    movements = StockMovement.objects.filter(batch__idempotency_key__in=keys).count()
    after_units = sum(b.quantity for b in StockBalance.objects.filter(owner=luxe, location__in=fba))
    n = len(asn_ids)
    lost_or_doubled = abs(n - receipts) + abs(n - batches) + abs(n * LINES - movements)
    print(
        f"  {CLIENTS} clients, {ASNS} ASNs × {LINES} lines, each confirmed twice at once: "
        f"{elapsed:.1f} s, {receipts / elapsed:.1f} receipts/s "
        f"({receipts * LINES / elapsed:.0f} lines/s)"
    )
    print(
        f"  outcomes {outcomes}; receipts {receipts}, ledger batches {batches}, movements "
        f"{movements}; units posted {after_units - before_units} (expected {expected_units}); "
        f"lost or doubled: {lost_or_doubled}"
    )
    assert lost_or_doubled == 0 and after_units - before_units == expected_units
    return receipts / elapsed, queries


def main() -> None:
    print(f"database {connection.settings_dict['NAME']}")
    if os.environ.get("PAGES_ONLY"):
        # Re-measure the pages on the data a previous full run left behind.
        page_figures(f"{Shipment.objects.count():,} shipments")
        return
    t0 = time.perf_counter()
    reset()
    print(f"migrated and seeded demo in {time.perf_counter() - t0:.1f} s")
    print("Receipts:")
    per_s, queries = receipt_throughput()
    if os.environ.get("RECEIPTS_ONLY"):
        print(f"receipts_per_s={per_s:.1f} queries_per_receipt={queries}")
        return
    print("Pages at demo size:")
    small = page_figures("demo")
    t0 = time.perf_counter()
    synthetic(SHIPMENTS)
    print(f"seeded {SHIPMENTS:,} synthetic shipments with ASNs in {time.perf_counter() - t0:.1f} s")
    print(f"Pages at {SHIPMENTS:,} shipments:")
    big = page_figures(f"{SHIPMENTS // 1000}k")
    print("Ratios (large / demo), queries and time:")
    for key, (q_small, t_small) in small.items():
        q_big, t_big = big[key]
        print(
            f"  {key[1]:<16} {key[0]:<24} queries {q_small}->{q_big}  time ×{t_big / t_small:.2f}"
        )
    print(f"receipts_per_s={per_s:.1f} queries_per_receipt={queries}")


if __name__ == "__main__":
    main()
