"""In a real browser: invite as LUXE BOND Distribution, accept from the email in a second
browser context, log in as the new partner and see the shared locations."""

from __future__ import annotations

import re

import pytest
from django.core import mail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invite_accept_and_see_shared_locations(browser, browser_login, live_server):
    admin = browser_login("admin@dist.luxebond.example")
    admin.goto("/partnerships/")
    admin.click("[data-testid=invite-button]")
    admin.fill("#id_company_name", "Lakeside Logistics")
    admin.fill("#id_email", "ops@lakeside.example")
    admin.select_option("#id_role", "THREE_PL")
    admin.fill("#id_terms", "Overflow storage, net 30.")
    admin.get_by_label("LOC-003 Edison Warehouse", exact=False).check()
    admin.get_by_label("LOC-004 Miami Warehouse", exact=False).check()
    admin.click("button:has-text('Send invitation')")
    admin.wait_for_url("**/partnerships/")
    assert "ops@lakeside.example" in admin.locator("[data-testid=invitations-table]").inner_text()

    invitation = next(m for m in mail.outbox if m.to == ["ops@lakeside.example"])
    path = re.search(r"https?://[^/\s]+(/invitations/\S+/)", invitation.body).group(1)

    context = browser.new_context(base_url=live_server.url)
    try:
        partner = context.new_page()
        partner.goto(path)
        partner.fill("#id_full_name", "Lena Lake")
        partner.fill("#id_password1", "lakeside-Docks-2026")
        partner.fill("#id_password2", "lakeside-Docks-2026")
        partner.click("button:has-text('Accept and create account')")
        partner.wait_for_url("**/welcome/")
        welcome = partner.locator("[data-testid=welcome]").inner_text()
        assert "LOC-003" in welcome and "LOC-004" in welcome

        partner.click("button:has-text('Log out')")
        partner.goto("/accounts/login/")
        partner.fill("#id_username", "ops@lakeside.example")
        partner.fill("#id_password", "lakeside-Docks-2026")
        partner.click("button[type=submit]")
        partner.wait_for_url("**/dashboard/")
        partner.goto("/locations/")
        table = partner.locator("[data-testid=locations-table]").inner_text()
        assert set(re.findall(r"LOC-\d+", table)) == {"LOC-003", "LOC-004"}
        partner.goto("/partnerships/")
        assert "LUXE BOND Distribution LLC" in partner.locator("body").inner_text()
    finally:
        context.close()

    admin.goto("/notifications/")
    assert "Lakeside Logistics accepted" in admin.locator("body").inner_text()
