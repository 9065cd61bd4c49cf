"""In a real browser: Amazon's upgrade banner → simulated checkout → unlocked navigation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_amazon_upgrades_from_the_banner(browser_login):
    page = browser_login("ops@amazon.example")
    banner = page.locator(".upgrade-banner")
    assert "FREE" in banner.inner_text()
    banner.get_by_role("link", name="Upgrade to PRO").click()
    page.wait_for_url("**/billing/plan/")
    page.locator("[data-testid=upgrade-PRO]").click()
    page.wait_for_url("**/billing/checkout/*/")
    assert "Simulated checkout" in page.locator("[data-testid=simulated-label]").inner_text()
    page.locator("[data-testid=confirm-simulated]").click()
    page.wait_for_url("**/billing/plan/")
    assert "is now on PRO" in page.locator(".messages").inner_text()
    assert page.locator(".upgrade-banner").count() == 0
    assert page.locator("[data-testid=current-plan]").inner_text().count("PRO") >= 1
    # Unlocked: the locations page now offers "Add location", and the form opens.
    page.goto("/locations/")
    page.get_by_role("link", name="Add location").click()
    page.wait_for_url("**/locations/new/")
    assert page.locator("[data-testid=upgrade-required]").count() == 0
    page.fill("#id_name", "Amazon Tempe Warehouse")
    page.click("button[type=submit]")
    page.wait_for_url("**/locations/")
    assert "Amazon Tempe Warehouse" in page.locator("[data-testid=locations-table]").inner_text()
