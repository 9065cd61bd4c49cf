"""Tier gates: FREE cannot create products, locations or adjustments (direct POSTs too);
PRO's 1,001st SKU and its location beyond the allowance are refused with the limit message;
ENTERPRISE is unlimited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.entitlements import LimitReached

from ..personas import emails

FREE = emails(plan="FREE")
GATED_POSTS = [
    (
        "/products/new/",
        {"sku": "X-1", "name": "X", "price": "1", "cost": "0", "unit_of_measure": "EA"},
    ),
    ("/products/import/", None),
    (
        "/inventory/adjust/",
        {"location": "LOC-101", "quantity": "5", "reason_code": "FOUND", "key": "k1"},
    ),
    (
        "/inventory/transfers/new/",
        {"from_location": "LOC-101", "to_location": "LOC-102", "quantity": "1", "key": "k2"},
    ),
    ("/inventory/counts/new/", {"location": "LOC-101", "kind": "STOCK_TAKE"}),
    ("/locations/new/", {"name": "My warehouse", "kind": "WAREHOUSE"}),
]


@pytest.mark.parametrize("email", FREE)
@pytest.mark.parametrize("url, data", GATED_POSTS)
def test_free_tier_gets_the_upgrade_page_and_nothing_is_written(login, email, url, data):
    from inventory.models import LedgerBatch, Product, StockCount, Transfer
    from orgs.models import Location

    before = [m.objects.count() for m in (Product, LedgerBatch, StockCount, Transfer, Location)]
    c = login(email)
    if data is None:
        data = {"file": SimpleUploadedFile("p.csv", b"sku,name,price\nA-1,A,1\n")}
    r = c.post(url, data)
    assert r.status_code == 403
    assert "PRO" in r.content.decode() and "upgrade" in r.content.decode().lower()
    assert c.get(url).status_code == 403
    after = [m.objects.count() for m in (Product, LedgerBatch, StockCount, Transfer, Location)]
    assert before == after


def test_free_tier_sees_no_create_buttons(login):
    text = login("ops@amazon.example").get("/products/").content.decode()
    assert "New product" not in text and "Import CSV" not in text
    text = login("ops@amazon.example").get("/inventory/").content.decode()
    assert "/inventory/adjust/" not in text


def _bulk_skus(owner, n: int, prefix: str = "BULK"):
    from inventory.models import Product

    Product.objects.bulk_create(
        [Product(owner=owner, sku=f"{prefix}-{i:05d}", name=f"Item {i}", price=1) for i in range(n)]
    )


def test_pro_1001st_sku_is_refused_with_the_limit_message(login, demo):
    from inventory.models import Product

    org = demo.org("ORG-301")  # Salon Luxe, PRO
    _bulk_skus(org, 1000 - Product.objects.filter(owner=org).count())
    c = login("admin@salonluxe.example")
    r = c.post(
        "/products/new/",
        {"sku": "ONE-MORE", "name": "One more", "price": "9", "cost": "1", "unit_of_measure": "EA"},
    )
    assert r.status_code == 400
    text = r.content.decode()
    assert "up to 1,000 SKUs" in text and "ENTERPRISE" in text
    assert not Product.objects.filter(owner=org, sku="ONE-MORE").exists()
    # The CSV import counts new SKUs against the same limit, and imports nothing.
    r = c.post(
        "/products/import/",
        {
            "file": SimpleUploadedFile(
                "p.csv", b"sku,name,price\nNEW-1,New,1\nBULK-00001,Renamed,2\n"
            )
        },
    )
    assert r.status_code == 400 and "1,000 SKUs" in r.content.decode()
    assert Product.objects.get(owner=org, sku="BULK-00001").name == "Item 1"


def test_pro_at_999_can_add_the_1000th(login, demo):
    from inventory.models import Product

    org = demo.org("ORG-301")
    _bulk_skus(org, 999 - Product.objects.filter(owner=org).count())
    r = login("admin@salonluxe.example").post(
        "/products/new/",
        {"sku": "LAST-ONE", "name": "Last", "price": "9", "cost": "1", "unit_of_measure": "EA"},
    )
    assert r.status_code == 302
    assert Product.objects.filter(owner=org).count() == 1000


def test_enterprise_has_no_sku_limit(login, demo):
    from inventory.models import Product

    org = demo.org("ORG-003")
    _bulk_skus(org, 1200)
    r = login("admin@dist.luxebond.example").post(
        "/products/new/",
        {
            "sku": "LB-NEW-001",
            "name": "New serum",
            "price": "60",
            "cost": "15",
            "unit_of_measure": "EA",
        },
    )
    assert r.status_code == 302
    assert Product.objects.filter(owner=org).count() > 1200


def test_pro_second_location_without_add_on_is_refused(login, demo):
    from orgs.models import Location

    before = Location.objects.count()
    r = login("admin@salonluxe.example").post(
        "/locations/new/",
        {
            "operator": demo.org("ORG-301").pk,
            "name": "Salon Luxe East",
            "kind": "WAREHOUSE",
            "city": "Boston",
            "country": "US",
        },
    )
    assert r.status_code == 400
    text = r.content.decode()
    assert "1 location" in text and "$49/mo" in text and "ENTERPRISE" in text
    assert Location.objects.count() == before


def test_pro_location_beyond_allowance_cannot_hold_managed_stock(demo, scope_of, key):
    """A PRO org whose add-on lapsed keeps its locations but manages stock at 1 only."""
    from inventory.models import Product
    from inventory.services import operations

    org = demo.org("ORG-201")
    org.extra_location_addons = 0
    org.save(update_fields=["extra_location_addons"])
    scope = scope_of("admin@packagepro.example")
    bottle = Product.objects.get(owner=org, sku="PP-BTL-030")
    operations.stock_adjust(
        scope=scope,
        location=demo.loc("LOC-201"),
        product=bottle,
        quantity=Decimal(5),
        reason_code="FOUND",
        idempotency_key=key(),
    )
    with pytest.raises(LimitReached, match=r"\$49/mo"):
        operations.stock_adjust(
            scope=scope,
            location=demo.loc("LOC-202"),
            product=bottle,
            quantity=Decimal(5),
            reason_code="FOUND",
            idempotency_key=key(),
        )


def test_packagepro_with_add_on_manages_both_locations(demo, scope_of, key):
    from inventory.models import Product
    from inventory.services import operations

    scope = scope_of("admin@packagepro.example")
    bottle = Product.objects.get(owner=demo.org("ORG-201"), sku="PP-BTL-030")
    transfer = operations.transfer_create(
        scope=scope,
        from_location=demo.loc("LOC-201"),
        to_location=demo.loc("LOC-202"),
        lines=[(bottle, Decimal(100))],
        idempotency_key=key(),
    )
    assert transfer.status == "IN_TRANSIT"


def test_enterprise_creates_locations_without_limit(login, demo):
    from orgs.models import Location

    c = login("admin@dist.luxebond.example")
    operator = demo.org("ORG-003")
    before = Location.objects.filter(operator=operator).count()
    for n in range(3):
        r = c.post(
            "/locations/new/",
            {
                "operator": operator.pk,
                "name": f"Overflow {n}",
                "kind": "WAREHOUSE",
                "city": "Austin",
                "country": "US",
            },
        )
        assert r.status_code == 302
    assert Location.objects.filter(operator=operator).count() == before + 3
