"""/purchase-orders/ for the buyer (ORG-002 admin) and a supplier (VitaSource), two sizes.

    DATABASE_URL=postgres://… .venv/bin/python bench/procurement.py

Synthetic data: ORG-002 sends N purchase orders of 3 lines, spread over its five suppliers.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from _modules import analyze, client_for, setup, timed_get

setup("betterdata_bench_procurement")

from django.utils import timezone  # noqa: E402

from inventory.models import Product  # noqa: E402
from orgs.models import Location, Organization  # noqa: E402
from procurement.models import PurchaseOrder, PurchaseOrderLine  # noqa: E402

SIZES = (1_000, 10_000)


def grow_to(total: int) -> None:
    buyer = Organization.objects.get(code="ORG-002")
    suppliers = list(Organization.objects.filter(code__in=[f"ORG-20{i}" for i in range(1, 6)]))
    ship_to = Location.objects.get(code="LOC-005")
    products = list(Product.objects.filter(owner=buyer, sku__startswith="RM-"))
    start = PurchaseOrder.objects.filter(buyer=buyer).count()
    now = timezone.now()
    pos = [
        PurchaseOrder(
            number=f"PO-{n + 1:06d}",
            buyer=buyer,
            supplier_org=suppliers[n % len(suppliers)],
            ship_to=ship_to,
            status="SENT" if n % 3 else "ACKNOWLEDGED",
            request_key=f"bench-{n}",
            sent_at=now - dt.timedelta(days=n % 400),
            expected_date=(now + dt.timedelta(days=n % 60)).date(),
        )
        for n in range(start, total)
    ]
    PurchaseOrder.objects.bulk_create(pos, batch_size=2000)
    lines = [
        PurchaseOrderLine(
            purchase_order=po,
            line_no=i + 1,
            product=products[(po.pk + i) % len(products)],
            quantity=Decimal(10 + i),
            unit_price=Decimal("1.50"),
        )
        for po in pos
        for i in range(3)
    ]
    PurchaseOrderLine.objects.bulk_create(lines, batch_size=5000)


results = {}
for size in SIZES:
    grow_to(size)
    analyze()
    for email in ("admin@mfg.luxebond.example", "admin@vitasource.example"):
        client = client_for(email)
        results[(size, email)] = timed_get(client, "/purchase-orders/")
        results[(size, email, "page 10")] = timed_get(client, "/purchase-orders/?page=10")

print(f"{'POs':>7}  {'viewer':<28} {'page':<8} {'median ms':>9} {'queries':>7}")
for key, (ms, queries) in results.items():
    size, email = key[0], key[1]
    page = key[2] if len(key) > 2 else "page 1"
    print(f"{size:>7,}  {email:<28} {page:<8} {ms:>9.1f} {queries:>7}")
for email in ("admin@mfg.luxebond.example", "admin@vitasource.example"):
    small, big = results[(SIZES[0], email)][0], results[(SIZES[1], email)][0]
    print(f"ratio {SIZES[1]:,}/{SIZES[0]:,} POs, {email}: {big / small:.2f}×")
