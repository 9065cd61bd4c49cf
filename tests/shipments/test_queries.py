"""List pages run a constant number of queries whatever the number of rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import Product
from shipments.models import ASN, ASNLine, Shipment, ShipmentLine, ShipmentStatus
from shipments.services import receipts as receipt_services

from ..factories import logged_in, scope_of_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(net, shipped):
    """The network with a few documents of every kind on the pages: two shipments in transit
    to the 3PL, one received short (a receipt and a discrepancy case), one internal transfer."""
    shipped(net.dallas, net.fba, [(net.serum, 10, "L1"), (net.cream, 5, "")])
    shipped(net.la, net.fba2, [(net.sun, 8, "")])
    shipped(net.dallas, net.edison, [(net.cream, 3, "")])
    received = shipped(net.dallas, net.fba, [(net.serum, 20, "L2")])
    (line,) = received.asn.lines.all()
    receipt_services.asn_confirm_receipt(
        scope=scope_of_user(net.amazon_admin),
        asn=received.asn,
        lines=[
            receipt_services.ReceivedLine(
                asn_line_id=line.pk, received_quantity=18, reason_code="SHORT"
            )
        ],
        idempotency_key="queries-short",
    )
    return net


def _add_shipments(net, n: int) -> None:
    luxe, amazon = net.dist, net.amazon
    origins = [net.dallas, net.la]
    destinations = [net.fba, net.fba2, net.edison]
    product = Product.objects.get(owner=luxe, sku=net.serum.sku)
    with connection.cursor() as cur:
        cur.execute("SELECT nextval('shipments_shp_seq') FROM generate_series(1, %s)", [n])
        numbers = [row[0] for row in cur.fetchall()]
    shipments = Shipment.objects.bulk_create(
        Shipment(
            number=f"SHP-Q{num:07d}",
            owner=luxe,
            shipper=luxe,
            receiver=amazon if i % 3 != 2 else luxe,
            origin=origins[i % 2],
            destination=destinations[i % 3],
            status=ShipmentStatus.IN_TRANSIT,
        )
        for i, num in enumerate(numbers)
    )
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=s, product=product, quantity=Decimal(5)) for s in shipments
    )
    asns = ASN.objects.bulk_create(
        ASN(number=f"ASN-Q{s.number[5:]}", shipment=s) for s in shipments
    )
    ASNLine.objects.bulk_create(
        ASNLine(asn=a, product=product, expected_quantity=Decimal(5)) for a in asns
    )


PAGES = [
    "/shipments/",
    "/asns/",
    "/asns/?tab=all",
    "/asns/cases/",
    "/asns/receipts/",
    "/dashboard/",
]


@pytest.mark.parametrize("viewer", ["super_admin", "amazon_admin"])
@pytest.mark.parametrize("url", PAGES)
def test_list_pages_have_constant_query_counts(
    client, world, viewer, url, django_assert_max_num_queries
):
    client = logged_in(client, getattr(world, viewer))
    client.get(url)  # warm the session
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_shipments(world, 120)  # more than two pages of 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    print(f"{url} as {viewer}: {len(small.captured_queries)} queries")
