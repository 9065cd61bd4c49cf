"""Writes follow ownership, not the location's operator (the finding).

A 3PL ("Amazon") operates two FBA sites and holds a distribution subsidiary's stock there.
Even on a paid plan it may not count, adjust, transfer or post the owner's stock, nor see its
internal counts and transfers; it still confirms receipts of shipments addressed to it.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum

from ..factories import Line, Network, StockBalanceFactory, logged_in, network, scope_of_user
from ..factories import shipment as make_shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def net(db) -> Network:
    """The network, with the subsidiary's 3,100 units at the 3PL's first FBA site and 200 at
    its second."""
    net = network()
    StockBalanceFactory(product=net.serum, location=net.fba, quantity=2000, lot="L1")
    StockBalanceFactory(product=net.cream, location=net.fba, quantity=1100)
    StockBalanceFactory(product=net.sun, location=net.fba2, quantity=200)
    return net


@pytest.fixture
def login(client, net):
    """login("amazon") → the client as the 3PL's admin; login("dist") as the owner's admin."""
    return lambda who: logged_in(client, net.amazon_admin if who == "amazon" else net.admin)


def _on_hand(net: Network, location) -> Decimal:
    """The subsidiary's (the owner's) units at `location`."""
    from inventory.models import StockBalance

    return StockBalance.objects.filter(  # unscoped: a test reads the truth
        location=location, owner=net.dist
    ).aggregate(q=Sum("quantity"))["q"] or Decimal(0)


@pytest.fixture
def amazon_pro(net):
    """Amazon upgraded to PRO through the billing service (tier BASIC: manage own inventory)."""
    from billing.services.plans import organization_change_plan

    organization_change_plan(
        scope=None, org=net.amazon, plan="PRO", source="CHECKOUT", self_pay=True
    )
    return net.amazon


@pytest.fixture
def owners_stock_take(net):
    """The subsidiary's own stock take of its stock at Amazon's FBA site, opened by its admin."""
    from inventory.services import counts as count_services

    return count_services.count_create(scope=scope_of_user(net.admin), location=net.fba)


@pytest.fixture
def owners_transfer(net):
    """The subsidiary moves its own stock between the two FBA sites (both operated by Amazon)."""
    from inventory.models import StockBalance
    from inventory.services import operations as operation_services

    balance = (
        StockBalance.objects.filter(  # unscoped: pick a lot the owner holds there
            owner=net.dist, location=net.fba, quantity__gt=5
        )
        .select_related("product")
        .first()
    )
    return operation_services.transfer_create(
        scope=scope_of_user(net.admin),
        from_location=net.fba,
        to_location=net.fba2,
        lines=[(balance.product, Decimal(5))],
        idempotency_key=f"test-transfer:{uuid.uuid4()}",
    )


def test_amazon_on_pro_cannot_open_edit_or_post_the_owners_stock_take(
    net, amazon_pro, owners_stock_take, login
):
    from inventory.models import CountStatus, StockCount

    count = owners_stock_take
    assert count.lines.exists()
    before = _on_hand(net, net.fba)
    assert before > 3000  # the owner's 3,100 units at the FBA site
    c = login("amazon")
    url = f"/inventory/counts/{count.public_id}/"
    assert c.get(url).status_code == 404
    assert str(count.public_id) not in c.get("/inventory/counts/").content.decode()
    data = {f"line-{line.pk}": "0" for line in count.lines.all()} | {"action": "post"}
    assert c.post(url, data).status_code == 404
    count.refresh_from_db()
    assert count.status == CountStatus.OPEN
    assert all(line.counted is None for line in count.lines.all())
    assert _on_hand(net, net.fba) == before
    # The owner itself still can.
    assert login("dist").get(url).status_code == 200
    assert StockCount.objects.get(pk=count.pk).status == CountStatus.OPEN


def test_amazon_on_pro_cannot_post_the_owners_count_through_the_service(
    net, amazon_pro, owners_stock_take
):
    from inventory.services import counts as count_services

    scope = scope_of_user(net.amazon_admin)
    before = _on_hand(net, net.fba)
    lines = {line.pk: Decimal(0) for line in owners_stock_take.lines.all()}
    with pytest.raises(PermissionDenied):
        count_services.count_record(scope=scope, count=owners_stock_take, counted=lines)
    with pytest.raises(PermissionDenied):
        count_services.count_post(scope=scope, count=owners_stock_take)
    assert _on_hand(net, net.fba) == before


def test_amazon_on_pro_cannot_adjust_or_count_the_owners_stock(net, amazon_pro, login):
    from inventory.models import LedgerBatch, Product, StockCount
    from inventory.services import counts as count_services
    from inventory.services import operations as operation_services

    product = Product.objects.filter(owner=net.dist, sku="LB-SER-001").get()
    before, batches = _on_hand(net, net.fba), LedgerBatch.objects.count()
    c = login("amazon")
    r = c.post(
        "/inventory/adjust/",
        {
            "location": net.fba.code,
            "product": str(product.public_id),
            "quantity": "-3000",
            "reason_code": "DAMAGED",
            "key": "k-adjust",
        },
    )
    assert r.status_code in (400, 403, 404)
    r = c.post(
        "/inventory/counts/new/",
        {"location": net.fba.code, "kind": "CYCLE", "products": [str(product.public_id)]},
    )
    assert r.status_code in (400, 403, 404)
    assert not StockCount.objects.filter(owner=net.dist).exists()
    # Naming the owner explicitly does not help: operating the site is not owning the stock.
    scope = scope_of_user(net.amazon_admin)
    loc, owner = net.fba, net.dist
    with pytest.raises(PermissionDenied):
        operation_services.stock_adjust(
            scope=scope,
            location=loc,
            product=product,
            quantity=Decimal(-3000),
            reason_code="DAMAGED",
            idempotency_key="k-svc",
            owner=owner,
        )
    with pytest.raises(PermissionDenied):
        count_services.count_create(scope=scope, location=loc, owner=owner)
    with pytest.raises(PermissionDenied):
        operation_services.transfer_create(
            scope=scope,
            from_location=loc,
            to_location=net.fba2,
            lines=[(product, Decimal(1))],
            idempotency_key="k-svc-t",
            owner=owner,
        )
    assert not StockCount.objects.filter(owner=net.dist).exists()
    assert _on_hand(net, net.fba) == before and LedgerBatch.objects.count() == batches


def test_amazon_on_pro_neither_sees_nor_receives_the_owners_transfer(
    net, amazon_pro, owners_transfer, login
):
    from inventory.models import TransferStatus
    from inventory.services import operations as operation_services

    transfer = owners_transfer
    before = _on_hand(net, net.fba2)
    c = login("amazon")
    url = f"/inventory/transfers/{transfer.public_id}/"
    assert str(transfer.public_id) not in c.get("/inventory/transfers/").content.decode()
    assert c.get(url).status_code == 404
    assert c.post(url).status_code == 404
    with pytest.raises(PermissionDenied):
        operation_services.transfer_receive(
            scope=scope_of_user(net.amazon_admin), transfer=transfer
        )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.IN_TRANSIT
    assert _on_hand(net, net.fba2) == before
    # The owner receives it.
    assert login("dist").post(url).status_code == 302
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED
    assert _on_hand(net, net.fba2) == before + 5


def test_amazon_still_confirms_a_receipt_addressed_to_it(net, amazon_pro, login):
    """A party role on a document it is party to: the receiving operator of the FBA site."""
    from shipments.models import ASN, ASNStatus, ShipmentStatus

    shipment = make_shipment(  # in transit from Dallas to the FBA site, as the owner ships
        origin=net.dallas,
        destination=net.fba,
        lines=[Line(net.serum, 120, "L9"), Line(net.cream, 48, "")],
        scope=scope_of_user(net.admin, net.dist),
    )
    asn = ASN.objects.get(shipment=shipment)
    before = _on_hand(net, net.fba)
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
    assert login("amazon").post(f"/asns/{asn.public_id}/", data).status_code == 302
    asn.refresh_from_db()
    shipment.refresh_from_db()
    assert asn.status == ASNStatus.RECEIVED and shipment.status == ShipmentStatus.RECEIVED
    assert _on_hand(net, net.fba) == before + expected


def test_a_partner_never_sees_stock_buttons_for_the_owners_stock(net, amazon_pro, login):
    """On a shared location's stock page, Amazon sees the owner's rows, never a count, adjust
    or transfer link for them; the owner sees those links on the same rows."""
    page = login("amazon").get(f"/inventory/?location={net.fba.code}").content.decode()
    assert net.dist.code in page
    for testid in ("row-adjust", "row-count", "row-transfer"):
        assert testid not in page
    owner_page = login("dist").get(f"/inventory/?location={net.fba.code}").content.decode()
    for testid in ("row-adjust", "row-count", "row-transfer"):
        assert testid in owner_page
