"""Shipments fixtures: a factory network (`net`), stock put in place through the ledger, and a
shipped shipment (with its ASN) made through the services. `shp` and `demo_shipped` read and
extend the seeded demo network for the persona visibility and browser tests."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from ..factories import Line, Network, StockBalanceFactory, network, scope_of_user, shipment


@pytest.fixture
def net(db) -> Network:
    return network()


@pytest.fixture
def put_stock(net):
    """put_stock(location, product, 500, lot="L1") posts opening stock (owner: the product's)."""

    def _put(location, product, quantity, *, lot: str = "", owner=None):
        return StockBalanceFactory(
            product=product,
            location=location,
            owner=owner or product.owner,
            quantity=Decimal(quantity),
            lot=lot,
        )

    return _put


def on_hand(location, product, *, owner=None, lot: str | None = None) -> Decimal:
    """Units of `product` (owned by `owner`, default its owner) at `location`, read unscoped."""
    from django.db.models import Sum

    from inventory.models import StockBalance

    qs = StockBalance.objects.filter(  # unscoped: a test reads the truth
        location=location, product=product, owner=owner or product.owner
    )
    if lot is not None:
        qs = qs.filter(lot=lot)
    return qs.aggregate(q=Sum("quantity"))["q"] or Decimal("0")


@pytest.fixture
def shipped(net):
    """shipped(origin, destination, [(product, qty, lot)]) → an IN_TRANSIT shipment with its ASN
    (4 cartons), made by the subsidiary's admin through the services (stock posted first).
    Defaults: 100 serum of lot L1 from Dallas to the 3PL's FBA site."""

    def _make(origin=None, destination=None, lines=None):
        return shipment(
            origin=origin or net.dallas,
            destination=destination or net.fba,
            lines=[Line(p, q, lot) for p, q, lot in (lines or [(net.serum, 100, "L1")])],
            scope=scope_of_user(net.admin, net.dist),
            cartons=4,
        )

    return _make


# --- the seeded demo network: persona visibility and browser tests only -------------------------


@pytest.fixture
def shp(db):
    """shp("fba-in-1") → the demo shipment seeded under that key."""
    from shipments.models import Shipment

    def _get(key: str) -> Shipment:
        return Shipment.objects.get(create_key=f"demo:{key}")

    return _get


@pytest.fixture
def demo_shipped(demo, scope_of):
    """demo_shipped(origin, destination, [(sku, qty, lot)]) → an IN_TRANSIT shipment of the demo
    network's ORG-003 (with its ASN), made by its admin through the services."""
    from inventory.ledger import Posting, stock_post
    from inventory.models import MovementKind, Product
    from shipments.services import shipments as shipment_services

    def _make(origin="LOC-001", destination="LOC-101", lines=(("LB-SER-001", 100, "L1"),)):
        scope = scope_of("admin@dist.luxebond.example")
        owner = demo.org("ORG-003")
        products = {sku: Product.objects.get(owner=owner, sku=sku) for sku, _, _ in lines}
        for sku, qty, lot in lines:
            stock_post(
                scope=None,
                postings=[
                    Posting(
                        owner_id=owner.pk,
                        product_id=products[sku].pk,
                        location_id=demo.loc(origin).pk,
                        quantity=Decimal(qty),
                        lot=lot,
                    )
                ],
                kind=MovementKind.OPENING,
                idempotency_key=f"test-opening:{uuid.uuid4()}",
            )
        made = shipment_services.shipment_create(
            scope=scope,
            origin=demo.loc(origin),
            destination=demo.loc(destination),
            lines=[
                shipment_services.LineInput(product=products[sku], quantity=Decimal(qty), lot=lot)
                for sku, qty, lot in lines
            ],
            carrier="UPS",
        )
        shipment_services.shipment_book(scope=scope, shipment=made)
        shipment_services.shipment_ship(scope=scope, shipment=made, cartons=4)
        made.refresh_from_db()
        return made

    return _make
