"""Writes follow ownership, not the location's operator (the finding).

Amazon (ORG-101) operates LOC-101..103 and holds LUXE BOND Distribution's (ORG-003) stock
there. Even on a paid plan it may not count, adjust, transfer or post ORG-003's stock, nor see
its internal counts and transfers; it still confirms receipts of shipments addressed to it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

pytestmark = pytest.mark.django_db

AMAZON = "ops@amazon.example"
DIST = "admin@dist.luxebond.example"


def _on_hand(location: str, owner: str = "ORG-003") -> Decimal:
    from inventory.models import StockBalance

    return StockBalance.objects.filter(  # unscoped: a test reads the truth
        location__code=location, owner__code=owner
    ).aggregate(q=Sum("quantity"))["q"] or Decimal(0)


@pytest.fixture
def amazon_pro(demo):
    """Amazon upgraded to PRO through the billing service (tier BASIC: manage own inventory)."""
    from billing.services.plans import organization_change_plan

    organization_change_plan(
        scope=None, org=demo.org("ORG-101"), plan="PRO", source="CHECKOUT", self_pay=True
    )
    return demo.org("ORG-101")


@pytest.fixture
def owners_stock_take(demo, scope_of):
    """ORG-003's own stock take of its stock at Amazon's LOC-101, opened by its admin."""
    from inventory.services import counts

    return counts.count_create(scope=scope_of(DIST), location=demo.loc("LOC-101"))


@pytest.fixture
def owners_transfer(demo, scope_of):
    """ORG-003 moves its own stock from LOC-101 to LOC-102 (both operated by Amazon)."""
    from inventory.models import StockBalance
    from inventory.services import operations

    balance = (
        StockBalance.objects.filter(  # unscoped: pick a lot the owner holds there
            owner__code="ORG-003", location__code="LOC-101", quantity__gt=5
        )
        .select_related("product")
        .first()
    )
    return operations.transfer_create(
        scope=scope_of(DIST),
        from_location=demo.loc("LOC-101"),
        to_location=demo.loc("LOC-102"),
        lines=[(balance.product, Decimal(5))],
        idempotency_key=f"test-transfer:{uuid.uuid4()}",
    )


def test_amazon_on_pro_cannot_open_edit_or_post_the_owners_stock_take(
    amazon_pro, owners_stock_take, login
):
    from inventory.models import CountStatus, StockCount

    count = owners_stock_take
    assert count.lines.exists()
    before = _on_hand("LOC-101")
    assert before > 3000  # the seeded ~3,100 units of ORG-003 at LOC-101
    c = login(AMAZON)
    url = f"/inventory/counts/{count.public_id}/"
    assert c.get(url).status_code == 404
    assert str(count.public_id) not in c.get("/inventory/counts/").content.decode()
    data = {f"line-{line.pk}": "0" for line in count.lines.all()} | {"action": "post"}
    assert c.post(url, data).status_code == 404
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN
    assert all(line.counted is None for line in count.lines.all())
    assert _on_hand("LOC-101") == before
    # The owner itself still can.
    assert login(DIST).get(url).status_code == 200
    assert StockCount.objects.get(pk=count.pk).status == CountStatus.OPEN


def test_amazon_on_pro_cannot_post_the_owners_count_through_the_service(
    amazon_pro, owners_stock_take, scope_of
):
    from inventory.services import counts

    scope = scope_of(AMAZON)
    before = _on_hand("LOC-101")
    lines = {line.pk: Decimal(0) for line in owners_stock_take.lines.all()}
    with pytest.raises(PermissionDenied):
        counts.count_record(scope=scope, count=owners_stock_take, counted=lines)
    with pytest.raises(PermissionDenied):
        counts.count_post(scope=scope, count=owners_stock_take)
    assert _on_hand("LOC-101") == before


def test_amazon_on_pro_cannot_adjust_or_count_the_owners_stock(amazon_pro, demo, login, scope_of):
    from inventory.models import LedgerBatch, Product, StockCount
    from inventory.services import counts, operations

    product = Product.objects.filter(owner__code="ORG-003", sku="LB-SER-001").get()
    before, batches = _on_hand("LOC-101"), LedgerBatch.objects.count()
    c = login(AMAZON)
    r = c.post(
        "/inventory/adjust/",
        {
            "location": "LOC-101",
            "product": str(product.public_id),
            "quantity": "-3000",
            "reason_code": "DAMAGED",
            "key": "k-adjust",
        },
    )
    assert r.status_code in (400, 403, 404)
    r = c.post(
        "/inventory/counts/new/",
        {"location": "LOC-101", "kind": "CYCLE", "products": [str(product.public_id)]},
    )
    assert r.status_code in (400, 403, 404)
    assert not StockCount.objects.filter(owner__code="ORG-003").exists()
    # Naming the owner explicitly does not help: operating LOC-101 is not owning the stock.
    scope = scope_of(AMAZON)
    loc, owner = demo.loc("LOC-101"), demo.org("ORG-003")
    with pytest.raises(PermissionDenied):
        operations.stock_adjust(
            scope=scope,
            location=loc,
            product=product,
            quantity=Decimal(-3000),
            reason_code="DAMAGED",
            idempotency_key="k-svc",
            owner=owner,
        )
    with pytest.raises(PermissionDenied):
        counts.count_create(scope=scope, location=loc, owner=owner)
    with pytest.raises(PermissionDenied):
        operations.transfer_create(
            scope=scope,
            from_location=loc,
            to_location=demo.loc("LOC-102"),
            lines=[(product, Decimal(1))],
            idempotency_key="k-svc-t",
            owner=owner,
        )
    assert not StockCount.objects.filter(owner__code="ORG-003").exists()
    assert _on_hand("LOC-101") == before and LedgerBatch.objects.count() == batches


def test_amazon_on_pro_neither_sees_nor_receives_the_owners_transfer(
    amazon_pro, owners_transfer, login, scope_of
):
    from inventory.models import TransferStatus
    from inventory.services import operations

    transfer = owners_transfer
    before = _on_hand("LOC-102")
    c = login(AMAZON)
    url = f"/inventory/transfers/{transfer.public_id}/"
    assert str(transfer.public_id) not in c.get("/inventory/transfers/").content.decode()
    assert c.get(url).status_code == 404
    assert c.post(url).status_code == 404
    with pytest.raises(PermissionDenied):
        operations.transfer_receive(scope=scope_of(AMAZON), transfer=transfer)
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert _on_hand("LOC-102") == before
    # The owner receives it.
    assert login(DIST).post(url).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert _on_hand("LOC-102") == before + 5


def test_amazon_still_confirms_a_receipt_addressed_to_it(amazon_pro, login):
    """A party role on a document it is party to: the receiving operator of LOC-101."""
    from shipments.models import ASN, ASNStatus, Shipment, ShipmentStatus

    shipment = Shipment.objects.get(create_key="demo:fba-in-1")
    asn = ASN.objects.get(shipment=shipment)
    before = _on_hand("LOC-101")
    data = {"idempotency_key": "k-receipt", "note": ""}
    for line in asn.lines.all():
        data |= {
            f"received_{line.pk}": str(line.expected_quantity),
            f"damaged_{line.pk}": "0",
            f"lot_{line.pk}": line.lot,
            f"reason_{line.pk}": "",
            f"note_{line.pk}": "",
        }
    expected = sum(line.expected_quantity for line in asn.lines.all())
    assert login(AMAZON).post(f"/asns/{asn.public_id}/", data).status_code == 302
    asn.refresh_from_db()
    shipment.refresh_from_db()
    assert asn.status == ASNStatus.RECEIVED and shipment.status == ShipmentStatus.RECEIVED
    assert _on_hand("LOC-101") == before + expected


def test_a_partner_never_sees_stock_buttons_for_the_owners_stock(amazon_pro, login):
    """On a shared location's stock page, Amazon sees ORG-003's rows, never a count, adjust or
    transfer link for them; the owner sees those links on the same rows."""
    page = login(AMAZON).get("/inventory/?location=LOC-101").content.decode()
    assert "ORG-003" in page
    for testid in ("row-adjust", "row-count", "row-transfer"):
        assert testid not in page
    owner_page = login(DIST).get("/inventory/?location=LOC-101").content.decode()
    for testid in ("row-adjust", "row-count", "row-transfer"):
        assert testid in owner_page
