"""Documents follow parties, not places (docs/visibility.md).

LOC-002 (LUXE BOND Distribution's Los Angeles DC) is shared with two partners: Salon Luxe picks
up there, VitaSource delivers there. Both see LUXE BOND's stock at LOC-002; each sees only the
documents it is a party to, never the other's, nor LUXE BOND's internal transfers, adjustments
or movements there. The far end of a document is the organization, never a location the viewer
cannot see.
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from inventory.models import StockBalance, StockMovement, Transfer
from procurement.models import PurchaseOrder
from shipments.models import ASN, DiscrepancyCase, Receipt, Shipment

from ..inventory.conftest import pdf_text

pytestmark = pytest.mark.django_db

SALON, VITA = "admin@salonluxe.example", "admin@vitasource.example"
DIST_ADMIN = "admin@dist.luxebond.example"
# Each partner's own documents at LOC-002 (shipments/demo.py), and LUXE BOND's own ones there.
OWN_AT_LA = {SALON: {"la-pickup-1", "la-pickup-recv"}, VITA: {"la-vita-1", "la-vita-recv"}}
INTERNAL_AT_LA = {"transfer-1", "transfer-3", "fba-in-2", "fba-in-3", "fba-return-2", "ulta-1"}
LIST_PAGES = [
    "/shipments/",
    "/asns/?tab=all",
    "/asns/cases/",
    "/asns/receipts/",
    "/asns/receipts/?format=csv",
    "/dashboard/",
]


def _other(email: str) -> str:
    return VITA if email == SALON else SALON


def _shipments(keys) -> list[Shipment]:
    return list(Shipment.objects.filter(create_key__in=[f"demo:{k}" for k in keys]))


def _numbers(shipments: list[Shipment]) -> set[str]:
    numbers = {s.number for s in shipments}
    numbers |= set(ASN.objects.filter(shipment__in=shipments).values_list("number", flat=True))
    numbers |= set(
        DiscrepancyCase.objects.filter(shipment__in=shipments).values_list("number", flat=True)
    )
    return numbers


def _keys(qs) -> set[str]:
    return {k.removeprefix("demo:") for k in qs.values_list("create_key", flat=True)}


def test_two_partners_at_one_location_see_disjoint_documents(scope_of):
    salon, vita = scope_of(SALON), scope_of(VITA)
    assert salon.location_ids & vita.location_ids  # both are given LOC-002
    salon_docs = _keys(Shipment.objects.visible_to(salon))
    vita_docs = _keys(Shipment.objects.visible_to(vita))
    assert salon_docs == OWN_AT_LA[SALON] | {"salon-1"}
    assert vita_docs == OWN_AT_LA[VITA] | {"supplier-vita"}
    for model, field in ((ASN, "shipment"), (DiscrepancyCase, "shipment")):
        mine = set(model.objects.visible_to(salon).values_list(f"{field}__create_key", flat=True))
        theirs = set(model.objects.visible_to(vita).values_list(f"{field}__create_key", flat=True))
        assert mine and theirs or model is DiscrepancyCase
        assert not mine & theirs
    salon_receipts = set(Receipt.objects.visible_to(salon).values_list("pk", flat=True))
    vita_receipts = set(Receipt.objects.visible_to(vita).values_list("pk", flat=True))
    assert salon_receipts and vita_receipts and not salon_receipts & vita_receipts
    # VitaSource's delivery came up short; its case is VitaSource's and LUXE BOND's only.
    assert DiscrepancyCase.objects.visible_to(vita).filter(shipment__create_key="demo:la-vita-recv")
    assert not DiscrepancyCase.objects.visible_to(salon).exists()
    # Both still see LUXE BOND's stock at the shared location.
    la_id = next(iter(salon.location_ids & vita.location_ids))
    for scope in (salon, vita):
        assert StockBalance.objects.visible_to(scope).filter(location_id=la_id).exists()


@pytest.mark.parametrize("email", [SALON, VITA])
def test_list_pages_csv_and_dashboard_show_only_the_partners_own_documents(login, email):
    client = login(email)
    others = _numbers(_shipments(OWN_AT_LA[_other(email)] | INTERNAL_AT_LA))
    own = _numbers(_shipments(OWN_AT_LA[email]))
    seen: set[str] = set()
    for url in LIST_PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        seen |= set(re.findall(r"(?:SHP|ASN|DSC)-\d{6}", body))
        leaked = {n for n in others if n in body}
        assert not leaked, f"{leaked} on {url}"
        assert "carton 4" not in body or email == VITA
    assert own <= seen


@pytest.mark.parametrize("email", [SALON, VITA])
def test_the_other_partners_documents_are_404(login, email):
    client = login(email)
    for shipment in _shipments(OWN_AT_LA[_other(email)] | INTERNAL_AT_LA):
        assert client.get(f"/shipments/{shipment.public_id}/").status_code == 404
        asn = ASN.objects.filter(shipment=shipment).first()
        if asn:
            assert client.get(f"/asns/{asn.public_id}/").status_code == 404
        for case in DiscrepancyCase.objects.filter(shipment=shipment):
            assert client.get(f"/asns/cases/{case.public_id}/").status_code == 404
            pdf = client.get(f"/asns/cases/{case.public_id}/credit-note.pdf")
            assert pdf.status_code == 404
            assert (
                client.post(
                    f"/asns/cases/{case.public_id}/", {"action": "message", "body": "hi"}
                ).status_code
                == 404
            )
    for shipment in _shipments(OWN_AT_LA[email]):
        assert client.get(f"/shipments/{shipment.public_id}/").status_code == 200


def test_case_messages_stay_between_the_two_sides(login):
    case = DiscrepancyCase.objects.get(shipment__create_key="demo:la-vita-recv")
    vita = login(VITA).get(f"/asns/cases/{case.public_id}/").content.decode()
    assert "10 units missing, carton 4 crushed" in vita
    assert login(DIST_ADMIN).get(f"/asns/cases/{case.public_id}/").status_code == 200
    assert login(SALON).get(f"/asns/cases/{case.public_id}/").status_code == 404
    # Amazon's case at its own FBA site is not the shared-location partners' either.
    amazon_case = DiscrepancyCase.objects.get(shipment__create_key="demo:fba-in-recv")
    for email in (SALON, VITA):
        assert login(email).get(f"/asns/cases/{amazon_case.public_id}/").status_code == 404


@pytest.mark.parametrize("email", [SALON, VITA])
def test_partners_never_see_the_owners_transfers_adjustments_or_movements(
    login, scope_of, demo, email
):
    scope = scope_of(email)
    la = demo.loc("LOC-002")
    assert Transfer.objects.filter(to_location=la).exists()  # the seed has one
    assert not Transfer.objects.visible_to(scope).exists()
    owner_at_la = StockMovement.objects.filter(location=la, owner=demo.org("ORG-003"))
    assert owner_at_la.filter(kind="ADJUSTMENT").exists()
    assert not StockMovement.objects.visible_to(scope).filter(location=la).exists()
    client = login(email)
    body = client.get("/inventory/movements/").content.decode()
    for word in ("LOC-002", "LA showroom", "Transfer in", "Adjustment", "SER001-LA-TST"):
        assert word not in body, word
    transfer = Transfer.objects.get(to_location=la, note__contains="LA showroom")
    assert client.get(f"/inventory/transfers/{transfer.public_id}/").status_code in (403, 404)
    # The snapshot is balances as of a date: the shared stock at LOC-002 is there, no log.
    snapshot = client.get("/inventory/reports/snapshot/?format=csv")
    text = b"".join(snapshot.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert any("LOC-002" in row for row in rows[1:])


def test_the_owner_still_sees_all_of_it(scope_of, demo):
    scope = scope_of(DIST_ADMIN)
    keys = _keys(Shipment.objects.visible_to(scope))
    assert OWN_AT_LA[SALON] | OWN_AT_LA[VITA] | INTERNAL_AT_LA <= keys
    la = demo.loc("LOC-002")
    assert Transfer.objects.visible_to(scope).filter(to_location=la).exists()
    kinds = set(
        StockMovement.objects.visible_to(scope).filter(location=la).values_list("kind", flat=True)
    )
    assert {"TRANSFER_IN", "ADJUSTMENT"} <= kinds


def test_partners_movement_logs_keep_what_they_posted(login, scope_of):
    """Sephora's sell-through and Amazon's receipts and shipments at its FBA sites are theirs."""
    sephora = StockMovement.objects.visible_to(scope_of("vmi@sephora.example"))
    assert sephora.filter(kind="SELL_THROUGH", location__code="LOC-104").exists()
    assert (
        "Sell-through" in login("vmi@sephora.example").get("/inventory/movements/").content.decode()
    )
    amazon = StockMovement.objects.visible_to(scope_of("ops@amazon.example"))
    assert set(amazon.values_list("location__code", flat=True)) == {"LOC-101", "LOC-102", "LOC-103"}


def test_storage_fees_agree_between_the_two_sides(scope_of):
    from shipments.selectors import storage_fee_reports

    def fees(email):
        return {
            r.partnership.pk: [(m.month, m.units, m.fee) for m in r.months]
            for r in storage_fee_reports(scope_of(email))
        }

    amazon = fees("ops@amazon.example")
    assert amazon and any(units for _, units, _ in next(iter(amazon.values())))
    owner = fees(DIST_ADMIN)
    assert {pk: owner[pk] for pk in amazon} == amazon


def test_member_sees_the_far_end_of_a_transfer_as_the_organization(login, demo):
    transfer = Transfer.objects.get(to_location=demo.loc("LOC-002"), note__contains="showroom")
    client = login("member@dist.luxebond.example")  # rights at LOC-001 only
    body = client.get(f"/inventory/transfers/{transfer.public_id}/").content.decode()
    assert "LOC-001" in body
    assert "LOC-002" not in body and "Los Angeles" not in body
    assert "LUXE BOND Distribution LLC" in body
    listing = client.get("/inventory/transfers/").content.decode()
    assert "LOC-002" not in listing and "Los Angeles" not in listing


def _vita_po() -> PurchaseOrder:
    return PurchaseOrder.objects.get(request_key="demo-po-2", buyer__code="ORG-002")


def test_supplier_reads_ship_to_as_the_buyer_organization(login):
    po = _vita_po()
    client = login(VITA)
    for url in ("/purchase-orders/", f"/purchase-orders/{po.public_id}/"):
        body = client.get(url).content.decode()
        assert po.number in body
        assert "LOC-005" not in body and "Fort Worth" not in body, url
        assert "LUXE BOND Manufacturing LLC" in body
    pdf = client.get(f"/purchase-orders/{po.public_id}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert po.number in text and "LUXE BOND Manufacturing LLC" in text
    assert "LOC-005" not in text and "Fort Worth" not in text
    # The buyer still sees its own plant.
    buyer = login("admin@mfg.luxebond.example").get(f"/purchase-orders/{po.public_id}/")
    assert "LOC-005" in buyer.content.decode()
    assert login(SALON).get(f"/purchase-orders/{po.public_id}/pdf/").status_code == 404


def test_po_email_names_the_buyer_not_the_plant(
    demo, mailoutbox, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from inventory.models import Product
    from orgs.access import scope_for_org_as_role
    from procurement import services

    buyer = scope_for_org_as_role(demo.org("ORG-002"))
    rm = Product.objects.get(owner=demo.org("ORG-002"), sku="RM-VITC-001")
    po, _ = services.purchase_order_create(
        scope=buyer,
        supplier_org=demo.org("ORG-202"),
        ship_to=demo.loc("LOC-005"),
        expected_date=None,
        lines=[services.LineInput(product=rm, quantity=Decimal(5), unit_price=Decimal(1))],
        request_key="email-far-end",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.purchase_order_send(scope=buyer, po=po)
    (mail,) = mailoutbox
    bodies = [mail.body] + [alt[0] for alt in getattr(mail, "alternatives", [])]
    for body in bodies:
        assert "LOC-005" not in body and "Fort Worth" not in body
        assert "LUXE BOND Manufacturing LLC" in body


def test_view_as_partner_shows_only_that_partners_documents(login):
    from partnerships.models import Partnership

    partnership = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-301"
    )
    admin = login(DIST_ADMIN)
    assert admin.post(f"/partnerships/{partnership.public_id}/preview/").status_code == 302
    body = admin.get("/shipments/").content.decode()
    for number in _numbers(_shipments(OWN_AT_LA[VITA] | INTERNAL_AT_LA)):
        assert number not in body
    for shipment in _shipments(OWN_AT_LA[SALON]):
        assert shipment.number in body


def test_member_storage_fees_name_only_its_granted_locations(login, demo):
    """Found by the isolation matrix: a MEMBER with rights at LOC-001 read the 3PL's FBA
    location codes in the storage-fee CSV. Fees are shown only for locations it holds rights at."""
    member = login("member@dist.luxebond.example")
    for url in ("/asns/storage-fees/", "/asns/storage-fees/?format=csv"):
        response = member.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for code in ("LOC-101", "LOC-102", "LOC-103", "LOC-104"):
            assert code not in body, (url, code)
    # The admin of the same organization still sees Amazon's fees at its FBA sites.
    admin_csv = login("admin@dist.luxebond.example").get("/asns/storage-fees/?format=csv")
    assert "LOC-101" in admin_csv.content.decode()


def test_a_partner_cannot_ship_its_own_goods_from_the_owners_shared_site(login, demo):
    """Found by the adversarial tester: Salon Luxe (PRO) created and booked a shipment of its own
    look-alike product "from" LOC-002, ORG-003's site shared with it for pick-ups, and the
    document landed in ORG-003's lists. Shipping needs the origin's operator or stock there."""
    from inventory.models import Product

    salon = demo.org("ORG-301")
    clone = Product.objects.create(owner=salon, sku="LB-BOD-001", name="Salon clone", price=1)
    client = login("admin@salonluxe.example")
    before = Shipment.objects.count()
    response = client.post(
        "/shipments/new/",
        {
            "origin": "LOC-002",
            "destination": "LOC-301",
            "sku_0": clone.sku,
            "qty_0": "5",
            "lot_0": "BOD001-L2511",
        },
    )
    assert response.status_code == 400
    assert "You hold no stock at LOC-002" in response.content.decode()
    assert Shipment.objects.count() == before
    # From its own site it still ships (the rule is about the origin, not the product).
    response = client.post(
        "/shipments/new/",
        {"origin": "LOC-301", "destination": "LOC-002", "sku_0": clone.sku, "qty_0": "5"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
