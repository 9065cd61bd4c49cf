"""List pages run a constant number of queries whatever the number of rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import Product
from shipments.models import ASN, ASNLine, Shipment, ShipmentLine, ShipmentStatus

pytestmark = pytest.mark.django_db


def _add_shipments(demo, n: int) -> None:
    luxe, amazon = demo.org("ORG-003"), demo.org("ORG-101")
    origins = [demo.loc("LOC-001"), demo.loc("LOC-002")]
    destinations = [demo.loc("LOC-101"), demo.loc("LOC-102"), demo.loc("LOC-003")]
    product = Product.objects.get(owner=luxe, sku="LB-SER-001")
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


@pytest.mark.parametrize("email", ["super@luxebond.example", "ops@amazon.example"])
@pytest.mark.parametrize("url", PAGES)
def test_list_pages_have_constant_query_counts(
    login, demo, email, url, django_assert_max_num_queries
):
    client = login(email)
    client.get(url)  # warm the session
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _add_shipments(demo, 120)  # more than two pages of 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    print(f"{url} as {email}: {len(small.captured_queries)} queries")
