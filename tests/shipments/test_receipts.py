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

from ..factories import logged_in, scope_of_user
from .conftest import on_hand

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    """login(user) → the test client, logged in as that user (or as `c`, another client)."""
    return lambda user, c=None: logged_in(c or client, user)


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


def test_shipping_posts_stock_out_of_the_origin(net, shipped):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert on_hand(net.dallas, net.serum, lot="L1") == 0  # 100 put, 100 shipped
    assert shipment.asn.status == ASNStatus.AWAITING


def test_shipping_more_than_on_hand_is_refused_and_nothing_changes(net, put_stock):
    scope = scope_of_user(net.admin, net.dist)
    # Stock of another lot at the same site cannot cover the shortfall.
    put_stock(net.la, net.cream, 5, lot="T-ONLY-5")
    put_stock(net.la, net.cream, 50, lot="OTHER")
    shipment = shipment_services.shipment_create(
        scope=scope,
        origin=net.la,
        destination=net.fba2,
        lines=[shipment_services.LineInput(product=net.cream, quantity=Decimal(6), lot="T-ONLY-5")],
    )
    shipment_services.shipment_book(scope=scope, shipment=shipment)
    with pytest.raises(ValidationError, match="Not enough stock"):
        shipment_services.shipment_ship(scope=scope, shipment=shipment)
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.BOOKED
    assert on_hand(net.la, net.cream, lot="T-ONLY-5") == 5


def test_full_receipt_posts_to_the_owner_at_the_destination(net, shipped, put_stock, login):
    put_stock(net.fba, net.cream, 30)  # stock already there: the receipt adds to it
    before = on_hand(net.fba, net.cream)
    assert before == 30
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "T-L1"), (net.cream, 50, "")])
    asn = shipment.asn
    response = login(net.amazon_admin).post(f"/asns/{asn.public_id}/", _form(asn))
    assert response.status_code == 302
    assert on_hand(net.fba, net.serum, lot="T-L1") == 100
    assert on_hand(net.fba, net.cream) == before + 50
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.RECEIVED
    assert not DiscrepancyCase.objects.filter(shipment=shipment).exists()
    # the owner sees the stock land at the destination on the ASN page
    page = login(net.super_admin).get(f"/asns/{asn.public_id}/").content.decode()
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
def test_bad_receipt_input_is_a_clear_error_and_writes_nothing(
    net, shipped, login, overrides, message
):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    movements = StockMovement.objects.count()
    response = login(net.amazon_admin).post(f"/asns/{asn.public_id}/", _form(asn, overrides))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "Confirm receipt" in body
    assert not Receipt.objects.filter(asn=asn).exists()
    assert not DiscrepancyCase.objects.filter(shipment=shipment).exists()
    assert StockMovement.objects.count() == movements
    asn.refresh_from_db()
    assert asn.status == ASNStatus.AWAITING


def test_over_receipt_within_tolerance_is_accepted_with_a_case(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "105", (0, "reason"): "OVER"})
    assert login(net.amazon_admin).post(f"/asns/{asn.public_id}/", data).status_code == 302
    assert on_hand(net.fba, net.serum, lot="L1") == 105
    assert DiscrepancyCase.objects.get(shipment=shipment).variance == 5


def test_confirming_twice_same_key_is_idempotent_other_key_is_refused(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    client = login(net.amazon_admin)
    assert client.post(f"/asns/{asn.public_id}/", _form(asn, key="same")).status_code == 302
    # the double click: same key, same answer, no second posting
    assert client.post(f"/asns/{asn.public_id}/", _form(asn, key="same")).status_code == 302
    response = client.post(f"/asns/{asn.public_id}/", _form(asn, key="other"))
    assert response.status_code == 400
    assert "already received" in response.content.decode()
    assert on_hand(net.fba, net.serum, lot="L1") == 100
    assert Receipt.objects.filter(asn=asn).count() == 1


def test_confirming_a_cancelled_asn_is_refused(net, shipped):
    from shipments.models import ASN

    shipment = shipped(net.dallas, net.fba2, [(net.serum, 30, ""), (net.cream, 20, "")])
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.CANCELLED)
    ASN.objects.filter(shipment=shipment).update(status=ASNStatus.CANCELLED)
    asn = ASN.objects.get(shipment=shipment)
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in asn.lines.all()
    ]
    with pytest.raises(ValidationError, match="was cancelled"):
        receipt_services.asn_confirm_receipt(
            scope=scope_of_user(net.amazon_admin), asn=asn, lines=lines, idempotency_key="x"
        )
    assert not Receipt.objects.filter(asn=asn).exists()


def test_the_sender_cannot_confirm_its_own_shipment_to_a_partner(net, shipped):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 10, "")])
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in shipment.asn.lines.all()
    ]
    with pytest.raises(PermissionDenied):
        receipt_services.asn_confirm_receipt(
            scope=scope_of_user(net.super_admin),
            asn=shipment.asn,
            lines=lines,
            idempotency_key="x",
        )


def test_short_receipt_opens_a_case_both_sides_see_and_only_they(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1"), (net.cream, 40, "")])
    asn = shipment.asn
    data = _form(
        asn, {(0, "received"): "88", (0, "reason"): "SHORT", (0, "note"): "1 carton missing"}
    )
    assert login(net.amazon_admin).post(f"/asns/{asn.public_id}/", data).status_code == 302
    case = DiscrepancyCase.objects.get(shipment=shipment)
    assert (case.expected_quantity, case.received_quantity, case.missing_quantity) == (100, 88, 12)
    assert on_hand(net.fba, net.serum, lot="L1") == 88
    url = f"/asns/cases/{case.public_id}/"
    for user in (net.amazon_admin, net.admin, net.super_admin):
        page = login(user).get(url)
        assert page.status_code == 200
        assert "1 carton missing" in page.content.decode()
    for user in (net.sephora_admin, net.supplier_admin, net.stranger_admin):
        assert login(user).get(url).status_code == 404


def test_credit_note_resolution_gives_a_pdf_both_sides_download(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "90", (0, "reason"): "SHORT"})
    login(net.amazon_admin).post(f"/asns/{asn.public_id}/", data)
    case = DiscrepancyCase.objects.get(shipment=shipment)
    # the 3PL (the receiver) cannot accept the shortage on the owner's behalf
    refused = login(net.amazon_admin).post(
        f"/asns/cases/{case.public_id}/", {"action": "resolve", "resolution": "ACCEPT_SHORTAGE"}
    )
    assert refused.status_code == 403
    ok = login(net.admin).post(
        f"/asns/cases/{case.public_id}/",
        {"action": "resolve", "resolution": "ACCEPT_SHORTAGE", "note": "Carrier claim filed."},
    )
    assert ok.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.credit_note_number.startswith("CN-")
    assert case.credit_amount == Decimal("580.00")  # 10 × $58.00 list price, never cost
    for user in (net.amazon_admin, net.admin):
        pdf = login(user).get(f"/asns/cases/{case.public_id}/credit-note.pdf")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert (
        login(net.sephora_admin).get(f"/asns/cases/{case.public_id}/credit-note.pdf").status_code
        == 404
    )
    again = login(net.admin).post(
        f"/asns/cases/{case.public_id}/", {"action": "resolve", "resolution": "ACCEPT_SHORTAGE"}
    )
    assert again.status_code == 400 and "already resolved" in again.content.decode()


def test_found_resolution_posts_the_late_receipt_once(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    login(net.amazon_admin).post(
        f"/asns/{asn.public_id}/", _form(asn, {(0, "received"): "90", (0, "reason"): "SHORT"})
    )
    case = DiscrepancyCase.objects.get(shipment=shipment)
    url = f"/asns/cases/{case.public_id}/"
    too_many = login(net.amazon_admin).post(
        url, {"action": "resolve", "resolution": "FOUND", "found_quantity": "11"}
    )
    assert too_many.status_code == 400 and "Only 10 units are missing" in too_many.content.decode()
    assert on_hand(net.fba, net.serum, lot="L1") == 90
    found = login(net.amazon_admin).post(
        url, {"action": "resolve", "resolution": "FOUND", "found_quantity": "8"}
    )
    assert found.status_code == 302
    assert on_hand(net.fba, net.serum, lot="L1") == 98
    with pytest.raises(ValidationError, match="already resolved"):
        case_services.case_resolve(
            scope=scope_of_user(net.amazon_admin),
            case=case,
            resolution="FOUND",
            found_quantity=Decimal(2),
        )
    assert on_hand(net.fba, net.serum, lot="L1") == 98


def test_dispute_and_messages_are_two_sided(net, shipped, login):
    shipment = shipped(net.dallas, net.fba, [(net.serum, 60, "L1")])
    (line,) = shipment.asn.lines.all()
    receipt_services.asn_confirm_receipt(  # 12 short: the case the two sides now argue over
        scope=scope_of_user(net.amazon_admin),
        asn=shipment.asn,
        lines=[
            receipt_services.ReceivedLine(
                asn_line_id=line.pk, received_quantity=48, reason_code="SHORT"
            )
        ],
        idempotency_key="short",
    )
    case = DiscrepancyCase.objects.get(shipment=shipment)
    url = f"/asns/cases/{case.public_id}/"
    r = login(net.admin).post(
        url, {"action": "resolve", "resolution": "DISPUTE", "note": "Seal numbers match."}
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPUTED
    r = login(net.amazon_admin).post(url, {"action": "message", "body": "Recounted: 12 short."})
    assert r.status_code == 302
    page = login(net.admin).get(url).content.decode()
    assert "Seal numbers match." in page and "Recounted: 12 short." in page
    assert login(net.sephora_admin).post(url, {"action": "message", "body": "x"}).status_code == 404
    empty = login(net.amazon_admin).post(url, {"action": "message", "body": ""})
    assert empty.status_code == 400


def test_create_shipment_form_errors_and_double_submit(net, login):
    client = login(net.admin)
    page = client.get("/shipments/new/").content.decode()
    sku, origin, destination = net.serum.sku, net.dallas.code, net.fba.code
    assert sku in page
    bad = client.post(
        "/shipments/new/",
        {"origin": origin, "destination": destination, "sku_0": sku, "qty_0": "-3"},
    )
    assert bad.status_code == 400
    assert Shipment.objects.filter(created_by=net.admin).count() == 0
    both = client.post(
        "/shipments/new/",
        {"origin": origin, "destination": origin, "sku_0": sku, "qty_0": "3"},
    )
    assert both.status_code == 400 and "must differ" in both.content.decode()
    data = {
        "origin": origin,
        "destination": destination,
        "sku_0": sku,
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
        {"origin": net.stranger_loc.code, "destination": destination, "sku_0": sku, "qty_0": "3"},
    )
    assert hidden.status_code == 400  # another network's location is not a choice


def test_evidence_photo_is_stored_and_shown_on_the_case(net, shipped, login, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = str(tmp_path)
    shipment = shipped(net.dallas, net.fba, [(net.serum, 100, "L1")])
    asn = shipment.asn
    data = _form(asn, {(0, "received"): "100", (0, "damaged"): "3", (0, "reason"): "DAMAGED"})
    line = asn.lines.get()
    data[f"file_{line.pk}"] = SimpleUploadedFile("crushed.jpg", b"\xff\xd8\xff jpeg", "image/jpeg")
    assert login(net.amazon_admin).post(f"/asns/{asn.public_id}/", data).status_code == 302
    case = DiscrepancyCase.objects.get(shipment=shipment)
    assert case.receipt_line.attachment.name.endswith(".jpg")
    assert (tmp_path / case.receipt_line.attachment.name).read_bytes() == b"\xff\xd8\xff jpeg"
    assert on_hand(net.fba, net.serum, lot="L1") == 97  # damaged units are not stock
    page = login(net.admin).get(f"/asns/cases/{case.public_id}/")
    assert "crushed" in page.content.decode()


def test_the_other_side_reads_who_confirmed_as_the_organization(net, shipped, login):
    """Found by the isolation matrix: the ASN page showed the confirming person's email to
    people who do not administer that person's organization. They read the organization."""
    shipment = shipped(net.dallas, net.fba, [(net.serum, 10, "")])
    asn = shipment.asn
    lines = [
        receipt_services.ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in asn.lines.all()
    ]
    receipt_services.asn_confirm_receipt(
        scope=scope_of_user(net.amazon_admin), asn=asn, lines=lines, idempotency_key="who"
    )
    network_side = login(net.admin).get(f"/asns/{asn.public_id}/")
    info = network_side.content.decode().split('data-testid="receipt-info">', 1)[1][:300]
    email = net.amazon_admin.email
    assert email not in info and net.amazon.name in info
    from django.test import Client

    own_side = login(net.amazon_admin, Client()).get(f"/asns/{asn.public_id}/")
    assert email in own_side.content.decode()
