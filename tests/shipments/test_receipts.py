"""Receiving an ASN line by line, bad input, the discrepancy loop and its credit note."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from inventory.models import StockMovement
from shipments.models import (
    ASNStatus,
    CaseStatus,
    DiscrepancyCase,
    Receipt,
    Shipment,
    ShipmentStatus,
)
from shipments.services import cases as case_services
from shipments.services import receipts as receipt_services
from shipments.services import shipments as shipment_services

from .conftest import on_hand

pytestmark = pytest.mark.django_db


def _form(asn, overrides=None, key="k-1"):
    data = {"idempotency_key": key, "note": ""}
    for line in asn.lines.all():
        data[f"received_{line.pk}"] = str(line.expected_quantity)
        data[f"damaged_{line.pk}"] = "0"
        data[f"lot_{line.pk}"] = line.lot
        data[f"reason_{line.pk}"] = ""
        data[f"note_{line.pk}"] = ""
    for (index, field), value in (overrides or {}).items():
        line = list(asn.lines.all())[index]
        data[f"{field}_{line.pk}"] = value
    return data


def test_shipping_posts_stock_out_of_the_origin(shipped):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert on_hand("LOC-001", "LB-SER-001", lot="L1") == 0  # 100 put, 100 shipped
    assert shipment.asn.status == ASNStatus.AWAITING


def test_shipping_more_than_on_hand_is_refused_and_nothing_changes(demo, scope_of, put_stock):
    from inventory.models import Product

    scope = scope_of("admin@dist.luxebond.example")
    # A lot of its own, so the demo stock of other lots cannot cover the shortfall.
    put_stock("LOC-002", "LB-EYE-001", 5, lot="T-ONLY-5")
    shipment = shipment_services.shipment_create(
        scope=scope,
        origin=demo.loc("LOC-002"),
        destination=demo.loc("LOC-102"),
        lines=[
            shipment_services.LineInput(
                product=Product.objects.get(sku="LB-EYE-001", owner__code="ORG-003"),
                quantity=Decimal(6),
                lot="T-ONLY-5",
            )
        ],
    )
    shipment_services.shipment_book(scope=scope, shipment=shipment)
    with pytest.raises(ValidationError, match="Not enough stock"):
        shipment_services.shipment_ship(scope=scope, shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.BOOKED
    assert on_hand("LOC-002", "LB-EYE-001", lot="T-ONLY-5") == 5


def test_full_receipt_posts_to_the_owner_at_the_destination(shipped, login):
    before = on_hand("LOC-101", "LB-CRM-001")
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "T-L1"), ("LB-CRM-001", 50, "")])
    asn = shipment.asn
    response = login("ops@amazon.example").post(f"/asns/{asn.public_id}/", _form(asn))
    assert response.status_code == 302
    assert on_hand("LOC-101", "LB-SER-001", lot="T-L1") == 100
    assert on_hand("LOC-101", "LB-CRM-001") == before + 50
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert not DiscrepancyCase.objects.filter(shipment=shipment).exists()
    # the owner sees the stock land at LOC-101 on the ASN page
    page = login("super@luxebond.example").get(f"/asns/{asn.public_id}/").content.decode()
    assert 'data-testid="on-hand-LB-SER-001">100<' in page  # on hand of the ASN line's lot


BAD = [
    ({(0, "received"): "111"}, "plus 10%"),  # over-receipt beyond the tolerance
    ({(0, "received"): "-1"}, "cannot be negative"),
    ({(0, "damaged"): "-2"}, "cannot be negative"),
    ({(0, "lot"): "NOPE-9"}, "lot NOPE-9 is not on this ASN line"),
    ({(0, "received"): "90"}, "give a reason code"),
    ({(0, "received"): "5", (0, "damaged"): "6", (0, "reason"): "DAMAGED"}, "more units damaged"),
    ({(0, "received"): "abc"}, ""),
]


@pytest.mark.parametrize("overrides,message", BAD)
def test_bad_receipt_input_is_a_clear_error_and_writes_nothing(shipped, login, overrides, message):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    movements = StockMovement.objects.count()
    response = login("ops@amazon.example").post(f"/asns/{asn.public_id}/", _form(asn, overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "Confirm receipt" in body
    assert not Receipt.objects.filter(asn=asn).exists()
    assert not DiscrepancyCase.objects.filter(shipment=shipment).exists()
    assert StockMovement.objects.count() == movements
    asn.refresh_from_db()
    assert asn.status == ASNStatus.AWAITING


def test_over_receipt_within_tolerance_is_accepted_with_a_case(shipped, login):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "105", (0, "reason"): "OVER"})
    assert login("ops@amazon.example").post(f"/asns/{asn.public_id}/", data).status_code == 302
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 105
    assert DiscrepancyCase.objects.get(shipment=shipment).variance == 5


def test_confirming_twice_same_key_is_idempotent_other_key_is_refused(shipped, login):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    client = login("ops@amazon.example")
    assert client.post(f"/asns/{asn.public_id}/", _form(asn, key="same")).status_code == 302
    # the double click: same key, same answer, no second posting
    assert client.post(f"/asns/{asn.public_id}/", _form(asn, key="same")).status_code == 302
    response = client.post(f"/asns/{asn.public_id}/", _form(asn, key="other"))
    assert response.status_code == 400
    assert "already received" in response.content.decode()
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 100
    assert Receipt.objects.filter(asn=asn).count() == 1


def test_confirming_a_cancelled_asn_is_refused(demo, scope_of, shp):
    from shipments.models import ASN

    shipment = shp("fba-in-2")
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.CANCELLED)
    ASN.objects.filter(shipment=shipment).update(status=ASNStatus.CANCELLED)
    asn = ASN.objects.get(shipment=shipment)
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in asn.lines.all()
    ]
    with pytest.raises(ValidationError, match="was cancelled"):
        receipt_services.asn_confirm_receipt(
            scope=scope_of("ops@amazon.example"), asn=asn, lines=lines, idempotency_key="x"
        )
    assert not Receipt.objects.filter(asn=asn).exists()


def test_the_sender_cannot_confirm_its_own_shipment_to_a_partner(shipped, scope_of):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 10, "")])
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in shipment.asn.lines.all()
    ]
    with pytest.raises(PermissionDenied):
        receipt_services.asn_confirm_receipt(
            scope=scope_of("super@luxebond.example"),
            asn=shipment.asn,
            lines=lines,
            idempotency_key="x",
        )


def test_short_receipt_opens_a_case_both_sides_see_and_only_they(shipped, login):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1"), ("LB-CRM-001", 40, "")])
    asn = shipment.asn
    data = _form(
        asn, {(0, "received"): "88", (0, "reason"): "SHORT", (0, "note"): "1 carton missing"}
    )
    assert login("ops@amazon.example").post(f"/asns/{asn.public_id}/", data).status_code == 302
    case = DiscrepancyCase.objects.get(shipment=shipment)
    assert (case.expected_quantity, case.received_quantity, case.missing_quantity) == (100, 88, 12)
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 88
    url = f"/asns/cases/{case.public_id}/"
    for email in ("ops@amazon.example", "admin@dist.luxebond.example", "super@luxebond.example"):
        page = login(email).get(url)
        assert page.status_code == 200
        assert "1 carton missing" in page.content.decode()
    for email in ("vmi@sephora.example", "admin@packagepro.example", "admin@medsupply.example"):
        assert login(email).get(url).status_code == 404


def test_credit_note_resolution_gives_a_pdf_both_sides_download(shipped, login):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "90", (0, "reason"): "SHORT"})
    login("ops@amazon.example").post(f"/asns/{asn.public_id}/", data)
    case = DiscrepancyCase.objects.get(shipment=shipment)
    # Amazon (the receiver) cannot accept the shortage on LUXE BOND's behalf
    refused = login("ops@amazon.example").post(
        f"/asns/cases/{case.public_id}/", {"action": "resolve", "resolution": "ACCEPT_SHORTAGE"}
    )
    assert refused.status_code == 403
    ok = login("admin@dist.luxebond.example").post(
        f"/asns/cases/{case.public_id}/",
        {"action": "resolve", "resolution": "ACCEPT_SHORTAGE", "note": "Carrier claim filed."},
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.credit_note_number.startswith("CN-")
    assert case.credit_amount == Decimal("580.00")  # 10 × $58.00 list price, never cost
    for email in ("ops@amazon.example", "admin@dist.luxebond.example"):
        pdf = login(email).get(f"/asns/cases/{case.public_id}/credit-note.pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert (
        login("vmi@sephora.example")
        .get(f"/asns/cases/{case.public_id}/credit-note.pdf")
        .status_code
        == 404
    )
    again = login("admin@dist.luxebond.example").post(
        f"/asns/cases/{case.public_id}/", {"action": "resolve", "resolution": "ACCEPT_SHORTAGE"}
    )
    assert again.status_code == 400 and "already resolved" in again.content.decode()


def test_found_resolution_posts_the_late_receipt_once(shipped, login, scope_of):
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    login("ops@amazon.example").post(
        f"/asns/{asn.public_id}/", _form(asn, {(0, "received"): "90", (0, "reason"): "SHORT"})
    )
    case = DiscrepancyCase.objects.get(shipment=shipment)
    url = f"/asns/cases/{case.public_id}/"
    too_many = login("ops@amazon.example").post(
        url, {"action": "resolve", "resolution": "FOUND", "found_quantity": "11"}
    )
    assert too_many.status_code == 400 and "Only 10 units are missing" in too_many.content.decode()
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 90
    found = login("ops@amazon.example").post(
        url, {"action": "resolve", "resolution": "FOUND", "found_quantity": "8"}
    )
    assert found.status_code == 302
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 98
    with pytest.raises(ValidationError, match="already resolved"):
        case_services.case_resolve(
            scope=scope_of("ops@amazon.example"),
            case=case,
            resolution="FOUND",
            found_quantity=Decimal(2),
        )
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 98


def test_dispute_and_messages_are_two_sided(login, shp):
    case = DiscrepancyCase.objects.get(shipment=shp("fba-in-recv"))
    url = f"/asns/cases/{case.public_id}/"
    r = login("admin@dist.luxebond.example").post(
        url, {"action": "resolve", "resolution": "DISPUTE", "note": "Seal numbers match."}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPUTED
    r = login("ops@amazon.example").post(url, {"action": "message", "body": "Recounted: 12 short."})
    assert r.status_code == 302
    page = login("admin@dist.luxebond.example").get(url).content.decode()
    assert "Seal numbers match." in page and "Recounted: 12 short." in page
    assert (
        login("vmi@sephora.example").post(url, {"action": "message", "body": "x"}).status_code
        == 404
    )
    empty = login("ops@amazon.example").post(url, {"action": "message", "body": ""})
    assert empty.status_code == 400


def test_create_shipment_form_errors_and_double_submit(login, put_stock):
    client = login("admin@dist.luxebond.example")
    page = client.get("/shipments/new/").content.decode()
    assert "LB-SER-001" in page
    bad = client.post(
        "/shipments/new/",
        {"origin": "LOC-001", "destination": "LOC-101", "sku_0": "LB-SER-001", "qty_0": "-3"},
    )
    assert bad.status_code == 400
    assert Shipment.objects.filter(created_by__email="admin@dist.luxebond.example").count() == 0
    both = client.post(
        "/shipments/new/",
        {"origin": "LOC-001", "destination": "LOC-001", "sku_0": "LB-SER-001", "qty_0": "3"},
    )
    assert both.status_code == 400 and "must differ" in both.content.decode()
    data = {
        "origin": "LOC-001",
        "destination": "LOC-101",
        "sku_0": "LB-SER-001",
        "qty_0": "3",
        "create_key": "double-click-1",
    }
    first = client.post("/shipments/new/", data)
    second = client.post("/shipments/new/", data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Shipment.objects.filter(create_key="double-click-1").count() == 1
    hidden = client.post(
        "/shipments/new/",
        {"origin": "LOC-401", "destination": "LOC-101", "sku_0": "LB-SER-001", "qty_0": "3"},
    )
    assert hidden.status_code == 400  # another network's location is not a choice


def test_evidence_photo_is_stored_and_shown_on_the_case(shipped, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "100", (0, "damaged"): "3", (0, "reason"): "DAMAGED"})
    line = asn.lines.get()
    data[f"file_{line.pk}"] = SimpleUploadedFile("crushed.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")
    assert login("ops@amazon.example").post(f"/asns/{asn.public_id}/", data).status_code == 302
    case = DiscrepancyCase.objects.get(shipment=shipment)
    assert case.receipt_line.attachment.name.endswith(".jpg")
    assert (tmp_path / case.receipt_line.attachment.name).read_bytes() == b"\xff\xd8\xff jpeg"
    assert on_hand("LOC-101", "LB-SER-001", lot="L1") == 97  # damaged units are not stock
    page = login("admin@dist.luxebond.example").get(f"/asns/cases/{case.public_id}/")
    assert "crushed" in page.content.decode()


def test_the_other_side_reads_who_confirmed_as_the_organization(shipped, scope_of, login):
    """Found by the isolation matrix: the ASN page showed the confirming person's email to
    people who do not administer that person's organization. They read the organization."""
    shipment = shipped("LOC-001", "LOC-101", [("LB-SER-001", 10, "")])
    asn = shipment.asn
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in asn.lines.all()
    ]
    receipt_services.asn_confirm_receipt(
        scope=scope_of("ops@amazon.example"), asn=asn, lines=lines, idempotency_key="who"
    )
    network_side = login("admin@dist.luxebond.example").get(f"/asns/{asn.public_id}/")
    info = network_side.content.decode().split('data-testid="receipt-info">', 1)[1][:300]
    assert "ops@amazon.example" not in info and "Amazon Fulfillment Services" in info
    from django.test import Client

    own_side = login("ops@amazon.example", Client()).get(f"/asns/{asn.public_id}/")
    assert "ops@amazon.example" in own_side.content.decode()
