import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_buyer_creates_and_sends_a_po_and_the_free_supplier_acknowledges_it(browser_login):
    buyer = browser_login("admin@mfg.luxebond.example")
    buyer.goto("/purchase-orders/new/")
    buyer.select_option("#id_supplier", label="ORG-202 VitaSource Ltd")
    buyer.select_option("#id_ship_to", label="LOC-005 Fort Worth Manufacturing Plant")
    buyer.select_option(
        "#id_line-0-product", label="RM-VITC-001 L-Ascorbic acid, cosmetic grade (kg)"
    )
    buyer.fill("#id_line-0-quantity", "12")
    buyer.fill("#id_line-0-unit_price", "39.50")
    buyer.click("text=Create draft")
    assert buyer.locator("[data-testid=po-status]").inner_text() == "Draft"
    number = buyer.locator("h1 .code").inner_text()
    assert number.startswith("PO-")
    buyer.click("text=Send to supplier")
    assert buyer.locator("[data-testid=po-status]").inner_text() == "Sent"
    url = buyer.url

    supplier = browser_login("admin@vitasource.example")
    supplier.goto("/purchase-orders/")
    table = supplier.locator("[data-testid=po-table]").inner_text()
    assert number in table and "ORG-002" in table
    supplier.goto(url)
    lines = supplier.locator("[data-testid=po-lines]").inner_text()
    assert "RM-VITC-001" in lines and "$39.50" in lines and "96.00" not in lines
    assert supplier.locator("text=Send to supplier").count() == 0
    supplier.click("button:has-text('Acknowledge')")
    assert supplier.locator("[data-testid=po-status]").inner_text() == "Acknowledged"
