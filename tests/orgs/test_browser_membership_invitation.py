"""In a real browser: Amazon's admin invites PackagePro's admin to Amazon (the issue 11 case);
PackagePro's admin still lands in PackagePro and declines. A new person accepts and chooses a
password."""

from __future__ import annotations

import os
import re

import pytest
from django.core import mail

from orgs.models import Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _invite(page, org_public_id: str, email: str, role: str) -> str:
    page.goto(f"/network/orgs/{org_public_id}/")
    page.fill("#id_email", email)
    page.select_option("#id_role", role)
    page.click("button:has-text('Send invitation')")
    page.wait_for_url(f"**/network/orgs/{org_public_id}/")
    assert email in page.locator("[data-testid=pending-invitations]").inner_text()
    message = next(m for m in reversed(mail.outbox) if m.to == [email])
    return re.search(r"https?://[^/\s]+(/join/\S+/)", message.body).group(1)


def test_consent_in_a_browser(browser, browser_login, live_server, demo):
    amazon = demo.org("ORG-101")
    admin = browser_login("ops@amazon.example")
    link = _invite(admin, str(amazon.public_id), "admin@packagepro.example", "ORG_ADMIN")
    _shot(admin, "consent-1-members-page-pending")

    wei = browser_login("admin@packagepro.example")
    assert "ORG-201" in wei.locator("[data-testid=active-org]").inner_text()
    wei.goto(link)
    assert "Join Amazon" in wei.locator("h1").inner_text()
    _shot(wei, "consent-2-invitation-page-existing-account")
    wei.click("button:has-text('Decline')")
    assert "Invitation declined" in wei.locator("[data-testid=invitation-declined]").inner_text()
    assert not Membership.objects.filter(
        user__email="admin@packagepro.example", organization=amazon
    ).exists()
    wei.goto(link)
    _shot(wei, "consent-3-used-link")
    assert "no longer valid" in wei.locator("[data-testid=invitation-invalid]").inner_text()

    new_link = _invite(admin, str(amazon.public_id), "picker@amazon.example", "MEMBER")
    context = browser.new_context(base_url=live_server.url)
    try:
        person = context.new_page()
        person.goto(new_link)
        _shot(person, "consent-4-invitation-page-new-person")
        person.fill("#id_full_name", "Pat Picker")
        person.fill("#id_password1", "Amazon-Docks-2026")
        person.fill("#id_password2", "Amazon-Docks-2026")
        person.click("button:has-text('Accept and create account')")
        person.wait_for_url("**/dashboard/")
        assert "ORG-101" in person.locator("[data-testid=active-org]").inner_text()
        _shot(person, "consent-5-joined")
    finally:
        context.close()
