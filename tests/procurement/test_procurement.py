import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Product
from orgs.models import AuditEvent
from procurement import services
from procurement.models import POStatus, PurchaseOrder

from ..personas import ALL_PO_SUPPLIERS, PERSONAS

ALL_DEMO = ALL_PO_SUPPLIERS
SENT_OR_LATER = ALL_DEMO - {"ORG-205"}  # ORG-205's demo PO is still a draft

# persona → suppliers of ORG-002's demo POs that persona sees (tests/personas.py)
VISIBLE = {email: set(p.purchase_orders) for email, p in PERSONAS.items()}


def _numbers(html: str) -> set[str]:
    return set(re.findall(r"PO-\d{6}", html))


@pytest.mark.parametrize("email", sorted(VISIBLE))
def test_list_shows_exactly_what_each_persona_may_see(login, demo_po, email):
    response = login(email).get("/purchase-orders/")
    assert response.status_code == 200
    expected = {demo_po(code).number for code in VISIBLE[email]}
    assert _numbers(response.content.decode()) == expected
    if not expected:
        assert 'class="empty"' in response.content.decode()


@pytest.mark.parametrize("email", sorted(VISIBLE))
def test_detail_is_404_for_every_po_the_persona_may_not_see(login, demo_po, email):
    client = login(email)
    for code in ALL_DEMO:
        po = demo_po(code)
        response = client.get(f"/purchase-orders/{po.public_id}/")
        assert response.status_code == (200 if code in VISIBLE[email] else 404), (email, code)


def test_a_supplier_never_sees_a_draft_addressed_to_it(demo, demo_po, as_org):
    scope = as_org(demo.org("ORG-205"))
    assert demo_po("ORG-205").status == POStatus.DRAFT
    assert not PurchaseOrder.objects.visible_to(scope).exists()


def test_supplier_sees_skus_and_agreed_prices_but_never_the_buyers_cost(login, demo_po):
    po = demo_po("ORG-202")
    html = login("admin@vitasource.example").get(f"/purchase-orders/{po.public_id}/").content
    html = html.decode()
    assert "RM-VITC-001" in html and "RM-HYAL-001" in html
    assert "$38.00" in html and "$92.50" in html
    assert "96.00" not in html and "410.00" not in html  # ORG-002's standard costs
    assert "Acknowledge" in html and "Send to supplier" not in html and "Cancel order" not in html


@pytest.mark.parametrize("email", ["ops@amazon.example", "admin@vitasource.example"])
def test_free_orgs_get_the_upgrade_page_on_create_also_on_direct_post(login, email):
    client = login(email)
    before = PurchaseOrder.objects.count()
    for response in (
        client.get("/purchase-orders/new/"),
        client.post("/purchase-orders/new/", {"request_key": "x", "supplier": "x"}),
    ):
        assert response.status_code == 403
        assert 'data-testid="upgrade-required"' in response.content.decode()
        assert "Upgrade to PRO" in response.content.decode()
    assert PurchaseOrder.objects.count() == before


@pytest.mark.parametrize(
    "email", ["admin@packagepro.example", "admin@salonluxe.example", "super@luxebond.example"]
)
def test_pro_and_enterprise_may_open_the_create_form(login, email):
    response = login(email).get("/purchase-orders/new/")
    assert response.status_code == 200
    assert "Create draft" in response.content.decode()


def test_supplier_choices_are_suppliers_only(login):
    mfg = login("admin@mfg.luxebond.example").get("/purchase-orders/new/").content.decode()
    for code in ("ORG-201", "ORG-202", "ORG-203", "ORG-204", "ORG-205"):
        assert f"{code} " in mfg
    assert "ORG-301" not in mfg  # Salon Luxe is ORG-002's customer
    salon = login("admin@salonluxe.example").get("/purchase-orders/new/").content.decode()
    assert "ORG-002 LUXE BOND Manufacturing LLC" in salon
    # PackagePro supplies three networks but has no suppliers of its own in the demo.
    pp = login("admin@packagepro.example").get("/purchase-orders/new/").content.decode()
    assert "You have no suppliers yet" in pp
    assert "ORG-002 " not in pp and "ORG-401 " not in pp


@pytest.fixture
def salonluxe_product(demo):
    return Product.objects.create(
        owner=demo.org("ORG-301"), sku="SL-KIT-01", name="Salon starter kit", cost=Decimal("1.10")
    )


def _form(supplier, ship_to, product, quantity="100", price="1.25", key="k-1", extra=None):
    data = {
        "supplier": f"org:{supplier.public_id}",
        "ship_to": str(ship_to.public_id),
        "expected_date": "",
        "notes": "",
        "request_key": key,
        "line-TOTAL_FORMS": "2",
        "line-INITIAL_FORMS": "0",
        "line-MIN_NUM_FORMS": "0",
        "line-MAX_NUM_FORMS": "50",
        "line-0-product": str(product.public_id),
        "line-0-quantity": quantity,
        "line-0-unit_price": price,
        "line-1-product": "",
        "line-1-quantity": "",
        "line-1-unit_price": "",
    }
    data.update(extra or {})
    return data


def test_pro_customer_orders_from_its_supplier_and_a_double_submit_creates_it_once(
    login, demo, salonluxe_product
):
    # Salon Luxe (PRO) is a CUSTOMER of LUXE BOND Manufacturing: ORG-002 is its supplier.
    client = login("admin@salonluxe.example")
    data = _form(demo.org("ORG-002"), demo.loc("LOC-301"), salonluxe_product)
    first = client.post("/purchase-orders/new/", data)
    second = client.post("/purchase-orders/new/", data)
    pos = PurchaseOrder.objects.filter(buyer=demo.org("ORG-301"))
    assert pos.count() == 1
    po = pos.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == f"/purchase-orders/{po.public_id}/"
    assert po.number == "PO-000001" and po.status == POStatus.DRAFT
    assert po.lines.get().quantity == 100
    assert AuditEvent.objects.filter(action="purchase_order.create", target_id=str(po.public_id))
    page = client.get(first["Location"]).content.decode()
    assert "PO-000001" in page and "SL-KIT-01" in page and "ORG-002" in page
    # The next form (a new key) takes the next number.
    client.post("/purchase-orders/new/", {**data, "request_key": "k-2"})
    assert set(pos.values_list("number", flat=True)) == {"PO-000001", "PO-000002"}


@pytest.mark.parametrize(
    "change, message",
    [
        ({"line-0-quantity": "0"}, "greater than or equal to 0.001"),
        ({"line-0-quantity": "abc"}, "Enter a number"),
        ({"line-0-unit_price": "-1"}, "greater than or equal to 0"),
        ({"line-0-unit_price": ""}, "Fill in product, quantity and unit price"),
        (
            {"line-0-product": "", "line-0-quantity": "", "line-0-unit_price": ""},
            "at least one line",
        ),
        ({"expected_date": "2001-01-01"}, "cannot be in the past"),
        ({"supplier": "org:00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
        ({"ship_to": "not-a-uuid"}, "is not a valid UUID"),
        ({"line-TOTAL_FORMS": ""}, "ManagementForm data is missing"),
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_is_written(
    login, demo, salonluxe_product, change, message
):
    client = login("admin@salonluxe.example")
    data = _form(demo.org("ORG-002"), demo.loc("LOC-301"), salonluxe_product, extra=change)
    before = PurchaseOrder.objects.count()
    response = client.post("/purchase-orders/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PurchaseOrder.objects.count() == before


def test_cannot_order_from_a_non_supplier_or_with_a_product_or_location_that_is_not_ours(
    login, demo, salonluxe_product
):
    client = login("admin@mfg.luxebond.example")
    rm = Product.objects.get(owner=demo.org("ORG-002"), sku="RM-VITC-001")
    vita, medsupply = demo.org("ORG-202"), demo.org("ORG-401")
    cases = [
        _form(medsupply, demo.loc("LOC-005"), rm),  # not a partner of ORG-002
        _form(demo.org("ORG-301"), demo.loc("LOC-005"), rm),  # a customer, not a supplier
        _form(vita, demo.loc("LOC-101"), rm),  # Amazon's location
        _form(vita, demo.loc("LOC-005"), salonluxe_product),  # another org's product
    ]
    before = PurchaseOrder.objects.count()
    for data in cases:
        response = client.post("/purchase-orders/new/", data)
        assert response.status_code == 400
        assert "valid choice" in response.content.decode() or "Choose a supplier" in (
            response.content.decode()
        )
    assert PurchaseOrder.objects.count() == before


def test_send_emails_the_supplier_admins_once(
    login, demo, demo_po, mailoutbox, django_capture_on_commit_callbacks
):
    buyer = login("admin@mfg.luxebond.example")
    rm = Product.objects.get(owner=demo.org("ORG-002"), sku="RM-VITC-001")
    buyer.post("/purchase-orders/new/", _form(demo.org("ORG-202"), demo.loc("LOC-005"), rm))
    po = PurchaseOrder.objects.get(buyer=demo.org("ORG-002"), request_key="k-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer.post(f"/purchase-orders/{po.public_id}/send/").status_code == 302
        assert buyer.post(f"/purchase-orders/{po.public_id}/send/").status_code == 302
    po.refresh_from_db()
    assert po.status == POStatus.SENT
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["admin@vitasource.example"]
    assert po.number in mailoutbox[0].subject
    assert "96.00" not in mailoutbox[0].body


def test_free_supplier_acknowledges_a_po_addressed_to_it_and_nothing_else(login, demo_po):
    vita = login("admin@vitasource.example")
    po = demo_po("ORG-202")
    assert vita.post(f"/purchase-orders/{po.public_id}/acknowledge/").status_code == 302
    assert vita.post(f"/purchase-orders/{po.public_id}/acknowledge/").status_code == 302
    po.refresh_from_db()
    assert po.status == POStatus.ACKNOWLEDGED
    assert (
        AuditEvent.objects.filter(
            action="purchase_order.acknowledge", target_id=str(po.public_id)
        ).count()
        == 1
    )
    # Buyer-side actions are a PRO feature: the FREE supplier gets the upgrade page.
    for action in ("send", "cancel", "close"):
        response = vita.post(f"/purchase-orders/{po.public_id}/{action}/")
        assert response.status_code == 403
    # Somebody else's PO: not found, whatever the action.
    other = demo_po("ORG-204")
    assert vita.post(f"/purchase-orders/{other.public_id}/acknowledge/").status_code == 404
    other.refresh_from_db()
    assert other.status == POStatus.SENT


def test_a_pro_supplier_cannot_cancel_its_customers_po(login, demo_po):
    po = demo_po("ORG-201")
    response = login("admin@packagepro.example").post(f"/purchase-orders/{po.public_id}/cancel/")
    assert response.status_code == 403
    po.refresh_from_db()
    assert po.status == POStatus.ACKNOWLEDGED


def test_buyer_cannot_acknowledge_its_own_po(login, demo_po):
    po = demo_po("ORG-204")
    response = login("admin@mfg.luxebond.example").post(
        f"/purchase-orders/{po.public_id}/acknowledge/"
    )
    assert response.status_code == 403
    po.refresh_from_db()
    assert po.status == POStatus.SENT


def test_buyer_cancels_and_closes_with_clear_errors_for_wrong_states(login, demo_po):
    client = login("admin@mfg.luxebond.example")
    sent = demo_po("ORG-204")
    response = client.post(f"/purchase-orders/{sent.public_id}/close/")
    assert response.status_code == 400
    assert "only an acknowledged PO can be closed" in response.content.decode()
    response = client.post(f"/purchase-orders/{sent.public_id}/cancel/", {"reason": "Wrong pump"})
    assert response.status_code == 302
    sent.refresh_from_db()
    assert sent.status == POStatus.CANCELLED and sent.cancel_reason == "Wrong pump"
    closed = demo_po("ORG-203")
    response = client.post(f"/purchase-orders/{closed.public_id}/cancel/")
    assert response.status_code == 400
    assert "cannot be cancelled" in response.content.decode()
    acknowledged = demo_po("ORG-201")
    assert client.post(f"/purchase-orders/{acknowledged.public_id}/close/").status_code == 302
    acknowledged.refresh_from_db()
    assert acknowledged.status == POStatus.CLOSED


def test_actions_are_post_only(login, demo_po):
    po = demo_po("ORG-205")
    assert (
        login("admin@mfg.luxebond.example")
        .get(f"/purchase-orders/{po.public_id}/send/")
        .status_code
        == 405
    )


def test_read_only_scope_is_refused(demo, demo_po, as_org):
    from django.core.exceptions import PermissionDenied

    scope = as_org(demo.org("ORG-002"), read_only=True)
    with pytest.raises(PermissionDenied):
        services.purchase_order_send(scope=scope, po=demo_po("ORG-205"))


def _add_pos(demo, as_org, count: int, offset: int) -> None:
    scope = as_org(demo.org("ORG-002"))
    products = list(Product.objects.filter(owner=demo.org("ORG-002"), sku__startswith="RM-"))
    for n in range(count):
        services.purchase_order_create(
            scope=scope,
            supplier_org=demo.org("ORG-202"),
            ship_to=demo.loc("LOC-005"),
            lines=[
                services.LineInput(product=p, quantity=Decimal(5), unit_price=Decimal(2))
                for p in products[:3]
            ],
            request_key=f"bulk-{offset + n}",
        )


def test_list_query_count_does_not_grow_with_rows(
    login, demo, as_org, django_assert_max_num_queries
):
    client = login("admin@mfg.luxebond.example")
    _add_pos(demo, as_org, 3, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/purchase-orders/").status_code == 200
    _add_pos(demo, as_org, 60, 100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/purchase-orders/")
    assert len(_numbers(response.content.decode())) == 50  # first page of 68
    assert "Page 1 of 2" in response.content.decode()


def test_admin_lists_only_the_networks_purchase_orders(login, demo_po):
    luxe = login("super@luxebond.example").get("/admin/procurement/purchaseorder/")
    assert luxe.status_code == 200
    assert demo_po("ORG-202").number in luxe.content.decode()
    med = login("admin@medsupply.example").get("/admin/procurement/purchaseorder/")
    assert med.status_code == 200 and "PO-000001" not in med.content.decode()
    po = demo_po("ORG-202")
    other = login("admin@medsupply.example").get(
        f"/admin/procurement/purchaseorder/{po.pk}/change/"
    )
    assert other.status_code in (302, 404)


def test_dashboard_panel_tells_the_supplier_what_awaits_it(login):
    html = login("admin@vitasource.example").get("/dashboard/").content.decode()
    assert 'data-testid="panel-purchase-orders"' in html
    assert "awaiting your acknowledgement" in html
    html = login("ops@amazon.example").get("/dashboard/").content.decode()
    assert 'data-testid="panel-purchase-orders"' not in html


@pytest.mark.parametrize("key", ["", "x" * 5000])
def test_a_missing_or_tampered_form_key_says_to_reload_and_creates_nothing(
    login, demo, salonluxe_product, key
):
    """The key is a hidden field: its error must still reach the person (found by an attack
    on the running app: a 400 with no message at all)."""
    client = login("admin@salonluxe.example")
    data = _form(demo.org("ORG-002"), demo.loc("LOC-301"), salonluxe_product, key=key)
    response = client.post("/purchase-orders/new/", data)
    assert response.status_code == 400
    assert "The form expired; reload the page and try again." in response.content.decode()
    assert not PurchaseOrder.objects.filter(buyer=demo.org("ORG-301")).exists()
