"""Who sees which shipment, ASN, case and report — tests/personas.py's table as a matrix."""

from __future__ import annotations

import csv
import io
import re
import uuid

import pytest

from shipments.models import ASN, DiscrepancyCase, Shipment

from ..personas import ALL_SHIPMENTS, PERSONAS, emails

pytestmark = pytest.mark.django_db

ALL = ALL_SHIPMENTS
# persona → demo shipment keys visible, and words a partner never reads (tests/personas.py)
VISIBLE = {email: set(p.shipments) for email, p in PERSONAS.items()}
NEVER = {email: list(PERSONAS[email].never) for email in emails(never=True)}
PAGES = [
    "/shipments/?status=",
    "/asns/?tab=all",
    "/asns/cases/",
    "/asns/receipts/",
    "/asns/storage-fees/",
    "/asns/receipts/?format=csv",
    "/asns/storage-fees/?format=csv",
    "/dashboard/",
]


def _keys_on(html: str, shp) -> set[str]:
    numbers = set(re.findall(r"SHP-\d{6}", html))
    return {
        s.create_key.removeprefix("demo:")
        for s in Shipment.objects.filter(number__in=numbers, create_key__startswith="demo:")
    }


@pytest.mark.parametrize("email", list(VISIBLE))
def test_shipment_list_shows_exactly_what_the_persona_may_see(login, shp, email):
    response = login(email).get("/shipments/")
    assert response.status_code == 200
    assert _keys_on(response.content.decode(), shp) == VISIBLE[email]


@pytest.mark.parametrize("email", list(VISIBLE))
def test_details_are_404_outside_the_scope_and_200_inside(login, shp, email):
    client = login(email)
    for key in ALL:
        shipment = shp(key)
        expected = 200 if key in VISIBLE[email] else 404
        assert client.get(f"/shipments/{shipment.public_id}/").status_code == expected, key
        asn = ASN.objects.filter(shipment=shipment).first()
        if asn:
            assert client.get(f"/asns/{asn.public_id}/").status_code == expected, key
        for case in DiscrepancyCase.objects.filter(shipment=shipment):
            assert client.get(f"/asns/cases/{case.public_id}/").status_code == expected, key


@pytest.mark.parametrize("email", list(VISIBLE))
def test_guessed_ids_are_404(login, email):
    client = login(email)
    guess = uuid.uuid4()
    for url in (
        f"/shipments/{guess}/",
        f"/asns/{guess}/",
        f"/asns/cases/{guess}/",
        f"/asns/cases/{guess}/credit-note.pdf",
    ):
        assert client.get(url).status_code == 404
    assert client.post(f"/shipments/{guess}/receive/").status_code == 404


@pytest.mark.parametrize("email", list(NEVER))
def test_partners_never_read_internal_locations_or_other_partnerships(login, shp, email):
    client = login(email)
    urls = list(PAGES)
    for key in VISIBLE[email]:
        shipment = shp(key)
        urls.append(f"/shipments/{shipment.public_id}/")
        asn = ASN.objects.filter(shipment=shipment).first()
        if asn:
            urls.append(f"/asns/{asn.public_id}/")
        urls += [f"/asns/cases/{c.public_id}/" for c in shipment.cases.all()]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for word in NEVER[email]:
            assert word not in body, f"{word!r} leaked on {url}"


def test_amazon_sees_the_other_end_as_the_organization(login, shp):
    body = login("ops@amazon.example").get(f"/shipments/{shp('fba-in-1').public_id}/")
    text = body.content.decode()
    assert "LUXE BOND Distribution LLC" in text and "LOC-101" in text
    body = login("ops@amazon.example").get("/asns/").content.decode()
    assert {"fba-in-1", "fba-in-2", "fba-in-3"} <= _keys_on(body, shp)
    # returns are visible, but they are LUXE BOND's to receive, not Amazon's
    assert shp("fba-return-1").asn.number not in body


def test_amazon_storage_fee_csv_covers_its_fba_locations_only(login):
    response = login("ops@amazon.example").get("/asns/storage-fees/?format=csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 13  # current month and the last 12
    assert {r["locations"] for r in rows} == {"LOC-101 LOC-102 LOC-103"}
    assert {r["partner"] for r in rows} == {"Amazon Fulfillment Services LLC"}
    sephora = login("vmi@sephora.example").get("/asns/storage-fees/?format=csv")
    assert len(sephora.content.decode().strip().splitlines()) == 1  # header only


def test_free_partner_cannot_create_shipments(login, demo):
    client = login("ops@amazon.example")
    response = client.get("/shipments/new/")
    assert response.status_code == 403
    assert "PRO" in response.content.decode()
    before = Shipment.objects.count()
    response = client.post("/shipments/new/", {"origin": "LOC-101", "destination": "LOC-102"})
    assert response.status_code == 403
    assert Shipment.objects.count() == before


# (persona, shipment key, action, expected status) — direct POSTs included.
TRANSITIONS = [
    ("ops@amazon.example", "fba-in-draft", "ship", 403),
    ("ops@amazon.example", "fba-in-draft", "cancel", 403),
    ("ops@amazon.example", "fba-in-draft", "book", 403),
    ("ops@amazon.example", "fba-return-1", "receive", 403),  # LUXE BOND receives returns
    ("ops@amazon.example", "transfer-1", "receive", 404),  # never sees internal transfers
    ("ops@amazon.example", "fba-in-1", "receive", 302),
    ("vmi@sephora.example", "fba-in-1", "receive", 404),
    ("vmi@sephora.example", "vmi-1", "receive", 302),
    ("admin@dist.luxebond.example", "fba-in-1", "receive", 403),  # Amazon's to receive
    ("admin@dist.luxebond.example", "transfer-1", "receive", 302),
    ("admin@dist.luxebond.example", "fba-return-1", "receive", 302),
    ("admin@dist.luxebond.example", "transfer-2", "book", 302),
    ("admin@dist.luxebond.example", "transfer-2", "ship", 409),  # DRAFT cannot ship
    ("admin@dist.luxebond.example", "fba-in-1", "cancel", 409),  # in transit cannot cancel
    ("admin@dist.luxebond.example", "ulta-1", "receive", 302),  # Party: sender records delivery
    ("admin@mfg.luxebond.example", "supplier-pp", "receive", 302),
    ("admin@packagepro.example", "supplier-pp", "receive", 403),
    ("admin@salonluxe.example", "salon-1", "receive", 302),
    ("member@dist.luxebond.example", "transfer-1", "receive", 403),  # LA is not its location
    ("admin@medsupply.example", "fba-in-1", "receive", 404),
]


@pytest.mark.parametrize("email,key,action,expected", TRANSITIONS)
def test_status_transitions_per_persona(login, shp, email, key, action, expected):
    shipment = shp(key)
    before = shipment.status
    response = login(email).post(f"/shipments/{shipment.public_id}/{action}/")
    assert response.status_code == expected
    shipment.refresh_from_db()
    if expected == 302:
        assert shipment.status != before
    else:
        assert shipment.status == before
