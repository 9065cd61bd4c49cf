"""Amazon receives an ASN with one short line in a real browser; LUXE BOND sees the stock at
LOC-101 change and the discrepancy case."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_amazon_confirms_a_short_receipt_and_luxe_bond_sees_stock_and_case(
    browser_login, demo_shipped
):
    shipment = demo_shipped(
        "LOC-001", "LOC-101", [("LB-SER-001", 120, "L9"), ("LB-CRM-001", 48, "L8")]
    )
    asn = shipment.asn

    luxe = browser_login("super@luxebond.example")
    luxe.goto(f"/asns/{asn.public_id}/")
    assert luxe.locator("[data-testid=asn-status]").inner_text() == "Awaiting receipt"
    assert luxe.locator("[data-testid=on-hand-LB-SER-001]").inner_text() == "0"

    amazon = browser_login("ops@amazon.example")
    panel = amazon.locator("[data-testid=panel-asns]")
    assert asn.number in panel.inner_text()
    amazon.click(f"text={asn.number}")
    amazon.wait_for_url(f"**/asns/{asn.public_id}/")
    page_text = amazon.locator("body").inner_text()
    assert "LUXE BOND Distribution LLC" in page_text and "Dallas" not in page_text
    row = amazon.locator("tr[data-sku=LB-SER-001]")
    row.locator("input[name^=received_]").fill("108")
    row.locator("select[name^=reason_]").select_option("SHORT")
    row.locator("input[name^=note_]").fill("One carton of 12 missing on pallet 2")
    amazon.click("[data-testid=confirm-receipt]")
    amazon.wait_for_url(f"**/asns/{asn.public_id}/")
    assert amazon.locator("[data-testid=asn-status]").inner_text() == "Received"
    assert "1 discrepancy case(s) opened" in amazon.locator(".messages").inner_text()
    amazon.locator("[data-testid=asn-lines] a.code").first.click()
    figures = amazon.locator("[data-testid=case-figures]").inner_text()
    assert "120" in figures and "108" in figures
    assert "One carton of 12 missing" in amazon.locator("body").inner_text()

    luxe.reload()
    assert luxe.locator("[data-testid=on-hand-LB-SER-001]").inner_text() == "108"
    assert luxe.locator("[data-testid=on-hand-LB-CRM-001]").inner_text() == "48"
    luxe.goto("/asns/cases/?open=1")
    cases = luxe.locator("[data-testid=cases-table]").inner_text()
    assert asn.number in cases and "LB-SER-001" in cases
    luxe.locator("[data-testid=cases-table] tbody a").first.click()
    assert "One carton of 12 missing" in luxe.locator("body").inner_text()
