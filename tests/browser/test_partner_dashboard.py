import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_amazon_sees_partnership_but_no_internal_locations(browser_login):
    page = browser_login("ops@amazon.example")
    panel = page.locator("[data-testid=panel-partnerships]")
    assert "LUXE BOND Distribution LLC" in panel.inner_text()
    body = page.locator("body").inner_text()
    assert "LOC-101" in body
    for internal in ("LOC-001", "Dallas", "LOC-002", "Los Angeles", "LOC-003", "Edison", "Miami"):
        assert internal not in body
    page.goto("/locations/")
    table = page.locator("[data-testid=locations-table]").inner_text()
    assert {"LOC-101", "LOC-102", "LOC-103"} <= {w for w in table.split() if w.startswith("LOC-")}
    assert "LOC-001" not in table and "Dallas" not in table
