import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_amazon_sees_its_three_fba_locations_and_nothing_internal(browser_login):
    page = browser_login("ops@amazon.example")
    card = page.locator("[data-testid=panel-shared-inventory]").inner_text()
    assert "3 locations shared with you" in card
    for code, units, value in (
        ("LOC-101", "3,100", "$178K"),
        ("LOC-102", "2,450", "$142K"),
        ("LOC-103", "1,650", "$98K"),
    ):
        assert code in card and units in card and value in card
    page.goto("/inventory/?location=LOC-101")
    table = page.locator("[data-testid=stock-table]").inner_text()
    assert "LB-SER-001" in table and "LOC-101" in table
    assert "cost" not in page.locator("body").inner_text().lower()
    page.goto("/inventory/locations/")
    body = page.locator("[data-testid=location-totals]").inner_text()
    assert "LOC-001" not in body and "Dallas" not in body and "LOC-104" not in body
