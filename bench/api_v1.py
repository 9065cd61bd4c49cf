"""/api/v1/stock/ and /api/v1/products/ with a Bearer token, at two sizes of stock balances.

    DATABASE_URL=postgres://… .venv/bin/python bench/api_v1.py

Synthetic data: P products of ORG-003 with a balance at each of its 4 internal locations and
Amazon's 3 FBA locations (7 balances per product).
"""

from __future__ import annotations

from decimal import Decimal

from _modules import analyze, setup, timed_get

setup("betterdata_bench_api")

from django.test import Client  # noqa: E402

from api.services import api_token_create  # noqa: E402
from inventory.models import Product, StockBalance  # noqa: E402
from orgs.access import scope_for_user  # noqa: E402
from orgs.models import Location, Organization  # noqa: E402

SIZES = (1_000, 10_000)  # products → 7,000 / 70,000 balances


def grow_to(total: int) -> None:
    owner = Organization.objects.get(code="ORG-003")
    locations = list(
        Location.objects.filter(
            code__in=["LOC-001", "LOC-002", "LOC-003", "LOC-004", "LOC-101", "LOC-102", "LOC-103"]
        )
    )
    start = Product.objects.filter(owner=owner, sku__startswith="BENCH-").count()
    products = Product.objects.bulk_create(
        (
            Product(owner=owner, sku=f"BENCH-{n:06d}", name=f"Bench {n}", price=10)
            for n in range(start, total)
        ),
        batch_size=5000,
    )
    StockBalance.objects.bulk_create(
        (
            StockBalance(owner=owner, product=p, location=loc, quantity=Decimal(1 + p.pk % 90))
            for p in products
            for loc in locations
        ),
        batch_size=10_000,
    )


from django.contrib.auth import get_user_model  # noqa: E402

user = get_user_model().objects.get(email="admin@dist.luxebond.example")
_, raw = api_token_create(scope=scope_for_user(user), name="bench")
client = Client()
auth = {"Authorization": f"Bearer {raw}"}

results = {}
for size in SIZES:
    grow_to(size)
    analyze()
    for url in (
        "/api/v1/stock/",
        "/api/v1/stock/?location=LOC-101",
        "/api/v1/stock/?page=50",
        "/api/v1/products/",
    ):
        results[(size, url)] = timed_get(client, url, **auth)

print(f"{'products':>8} {'balances':>9}  {'endpoint':<34} {'median ms':>9} {'queries':>7}")
for (size, url), (ms, queries) in results.items():
    print(f"{size:>8,} {size * 7:>9,}  {url:<34} {ms:>9.1f} {queries:>7}")
for url in ("/api/v1/stock/", "/api/v1/stock/?location=LOC-101", "/api/v1/products/"):
    small, big = results[(SIZES[0], url)][0], results[(SIZES[1], url)][0]
    print(f"ratio {SIZES[1]:,}/{SIZES[0]:,} products, {url}: {big / small:.2f}×")
