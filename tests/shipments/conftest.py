"""Shipments fixtures: demo shipments by key, stock put in place through the ledger, and a
shipped shipment (with its ASN) made through the services."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest


@pytest.fixture
def shp(db):
    """shp("fba-in-1") → the demo shipment seeded under that key."""
    from shipments.models import Shipment

    def _get(key: str) -> Shipment:
        return Shipment.objects.get(create_key=f"demo:{key}")

    return _get


@pytest.fixture
def put_stock(demo):
    """put_stock("LOC-001", "LB-SER-001", 500, lot="L1") posts opening stock for ORG-003."""
    from inventory.ledger import Posting, stock_post
    from inventory.models import MovementKind, Product

    def _put(location: str, sku: str, quantity, *, owner: str = "ORG-003", lot: str = ""):
        owner_org = demo.org(owner)
        product = Product.objects.get(owner__code="ORG-003", sku=sku)
        stock_post(
            scope=None,
            postings=[
                Posting(
                    owner_id=owner_org.pk,
                    product_id=product.pk,
                    location_id=demo.loc(location).pk,
                    quantity=Decimal(quantity),
                    lot=lot,
                )
            ],
            kind=MovementKind.OPENING,
            idempotency_key=f"test-opening:{uuid.uuid4()}",
        )

    return _put


def on_hand(location: str, sku: str, *, owner: str = "ORG-003", lot: str | None = None):
    from django.db.models import Sum

    from inventory.models import StockBalance

    qs = StockBalance.objects.filter(  # unscoped: a test reads the truth
        location__code=location, product__sku=sku, owner__code=owner
    )
    if lot is not None:
        qs = qs.filter(lot=lot)
    return qs.aggregate(q=Sum("quantity"))["q"] or Decimal("0")


@pytest.fixture
def shipped(demo, scope_of, put_stock):
    """shipped(origin, destination, [(sku, qty, lot)]) → an IN_TRANSIT shipment with its ASN,
    made by LUXE BOND Distribution's admin through the services (stock posted first)."""
    from inventory.models import Product
    from shipments.services import shipments as shipment_services

    def _make(origin="LOC-001", destination="LOC-101", lines=(("LB-SER-001", 100, "L1"),)):
        scope = scope_of("admin@dist.luxebond.example")
        for sku, qty, lot in lines:
            put_stock(origin, sku, qty, lot=lot)
        shipment = shipment_services.shipment_create(
            scope=scope,
            origin=demo.loc(origin),
            destination=demo.loc(destination),
            lines=[
                shipment_services.LineInput(
                    product=Product.objects.get(owner__code="ORG-003", sku=sku),
                    quantity=Decimal(qty),
                    lot=lot,
                )
                for sku, qty, lot in lines
            ],
            carrier="UPS",
        )
        shipment_services.shipment_book(scope=scope, shipment=shipment)
        shipment_services.shipment_ship(scope=scope, shipment=shipment, cartons=4)
        shipment.refresh_from_db()
        return shipment

    return _make
