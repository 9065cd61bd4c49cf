"""In a real browser: Amazon's upgrade banner → simulated checkout (self-pay) → unlocked
navigation; and the sponsored upgrade as the partner asks it and the root approves it."""

import os
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, tmp_path: Path, name: str) -> None:
    """Screenshots for review: in the test's tmp dir, or SCREENSHOT_DIR when set."""
    folder = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_amazon_upgrades_from_the_banner(browser_login, simulated_checkout):
    page = browser_login("ops@amazon.example")
    banner = page.locator(".upgrade-banner")
    assert "FREE" in banner.inner_text()
    banner.get_by_role("link", name="Upgrade to PRO").click()
    page.wait_for_url("**/billing/plan/")
    page.locator("[data-testid=selfpay-PRO]").click()
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


def test_sponsored_upgrade_asked_by_the_partner_approved_by_the_root(browser_login, tmp_path):
    partner = browser_login("ops@amazon.example")
    partner.goto("/billing/plan/")
    # Payments are not configured here (no key, no simulation): asking the network still works.
    assert partner.locator("[data-testid=payments-not-configured]").count() == 1
    partner.locator("[data-testid=request-ENTERPRISE]").click()
    partner.wait_for_url("**/billing/plan/")
    assert "Request sent" in partner.locator(".messages").inner_text()
    assert "Waiting for ORG-001" in partner.locator("[data-testid=sponsored-pending]").inner_text()
    _shot(partner, tmp_path, "1-partner-request-pending")

    root = browser_login("super@luxebond.example")
    root.goto("/billing/")
    total_before = root.locator("[data-testid=grand-total]").inner_text()
    requests = root.locator("[data-testid=sponsored-requests]")
    assert "ORG-101" in requests.inner_text()
    _shot(root, tmp_path, "2-root-network-billing-pending")
    requests.get_by_role("link", name="Review").click()
    root.wait_for_url("**/billing/requests/*/")
    _shot(root, tmp_path, "3-root-request-detail")
    root.locator("[data-testid=sponsored-approve]").click()
    root.wait_for_url("**/billing/requests/*/")
    assert root.locator("[data-testid=sponsored-status]").inner_text() == "Approved"
    root.goto("/billing/")
    assert root.locator("[data-testid=grand-total]").inner_text() != total_before
    _shot(root, tmp_path, "4-root-network-billing-after")

    partner.goto("/billing/plan/")
    assert "ENTERPRISE" in partner.locator("[data-testid=current-plan]").inner_text()
    _shot(partner, tmp_path, "5-partner-plan-after")


def test_downgrade_and_the_roots_mode_change_ask_first(browser_login, tmp_path):
    partner = browser_login("admin@packagepro.example")
    partner.goto("/billing/plan/")
    partner.locator("[data-testid=downgrade-FREE]").click()
    partner.wait_for_url("**/billing/plan/change/?plan=FREE")
    assert "Create own products" in partner.locator("[data-testid=lost-features]").inner_text()
    _shot(partner, tmp_path, "6-partner-cancel-confirm")
    partner.locator("[data-testid=confirm-downgrade]").click()
    partner.wait_for_url("**/billing/plan/")
    assert "FREE" in partner.locator("[data-testid=current-plan]").inner_text()

    root = browser_login("super@luxebond.example")
    root.goto("/billing/")
    row = root.locator("tr[data-org=ORG-301]")
    row.locator("select").select_option("FREE")
    row.get_by_role("button", name="Set…").click()
    root.wait_for_selector("[data-testid=mode-confirm]")
    assert "$199.00/mo" in root.locator("[data-testid=bill-change]").inner_text()
    _shot(root, tmp_path, "7-root-mode-confirm")
    root.locator("[data-testid=confirm-mode]").click()
    root.wait_for_url("**/billing/")
    assert "ORG-301 is now billed as FREE" in root.locator(".messages").inner_text()
