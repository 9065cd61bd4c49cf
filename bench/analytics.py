"""/analytics/forecast/, /analytics/abc/ and /analytics/advanced/ for LUXE BOND Distribution's
admin, at two sizes of 12-month demand history.

    DATABASE_URL=postgres://… .venv/bin/python bench/analytics.py

Synthetic data: P products of ORG-003, each with one shipment out per location per day over the
last 400 days at two locations (one internal, one shared with Amazon).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from _modules import analyze, client_for, setup, timed_get

setup("betterdata_bench_analytics")

from django.utils import timezone  # noqa: E402

from inventory.models import LedgerBatch, Product, StockMovement  # noqa: E402
from orgs.models import Location, Organization  # noqa: E402

SIZES = (50, 250)  # products; × 2 locations × 400 days of movements
DAYS = 400


def grow_to(total: int) -> int:
    owner = Organization.objects.get(code="ORG-003")
    locations = list(Location.objects.filter(code__in=["LOC-001", "LOC-101"]))
    start = Product.objects.filter(owner=owner, sku__startswith="BENCH-").count()
    products = Product.objects.bulk_create(
        Product(
            owner=owner, sku=f"BENCH-{n:05d}", name=f"Bench product {n}", price=Decimal(10 + n % 40)
        )
        for n in range(start, total)
    )
    batch, _ = LedgerBatch.objects.get_or_create(idempotency_key="bench-history", kind="SHIPMENT")
    now = timezone.now()
    rows = []
    for p in products:
        for loc in locations:
            for d in range(DAYS):
                rows.append(
                    StockMovement(
                        batch=batch,
                        owner=owner,
                        product=p,
                        location=loc,
                        quantity=-Decimal(1 + (p.pk + d) % 7),
                        kind="SHIPMENT",
                        occurred_at=now - dt.timedelta(days=d, hours=p.pk % 24),
                    )
                )
        if len(rows) > 50_000:
            StockMovement.objects.bulk_create(rows, batch_size=10_000)
            rows = []
    StockMovement.objects.bulk_create(rows, batch_size=10_000)
    return StockMovement.objects.count()


results = {}
for size in SIZES:
    movements = grow_to(size)
    analyze()
    client = client_for("admin@dist.luxebond.example")
    for url in ("/analytics/forecast/", "/analytics/abc/", "/analytics/advanced/"):
        results[(size, url)] = (*timed_get(client, url), movements)
    results[(size, "/analytics/forecast/advanced/")] = (
        *timed_get(client, "/analytics/forecast/advanced/"),
        movements,
    )

print(f"{'products':>8} {'movements':>10}  {'page':<32} {'median ms':>9} {'queries':>7}")
for (size, url), (ms, queries, movements) in results.items():
    print(f"{size:>8,} {movements:>10,}  {url:<32} {ms:>9.1f} {queries:>7}")
for url in (
    "/analytics/forecast/",
    "/analytics/abc/",
    "/analytics/forecast/advanced/",
    "/analytics/advanced/",
):
    small, big = results[(SIZES[0], url)][0], results[(SIZES[1], url)][0]
    print(f"ratio {SIZES[1]}/{SIZES[0]} products, {url}: {big / small:.2f}×")
