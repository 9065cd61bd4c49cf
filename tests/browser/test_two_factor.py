"""Two-factor sign-in in a real browser: the QR code renders (inline SVG), the secret typed into
an "app" gives the code that confirms it, and the next sign-in asks for a code.
SCREENSHOT_DIR=/some/dir keeps screenshots of each step for review."""

import os
from base64 import b32decode
from pathlib import Path

import pytest
from django.conf import settings
from django_otp.oath import totp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "admin@dist.luxebond.example"


def shot(page, name: str) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(
            path=str(Path(os.environ["SCREENSHOT_DIR"]) / f"{name}.png"), full_page=True
        )


def test_set_up_with_the_secret_then_sign_in_with_a_code(browser_login):
    page = browser_login(EMAIL)
    page.goto("/accounts/profile/")
    page.click("[data-testid=two-factor] a")
    page.click("text=Set up two-factor sign-in")
    page.wait_for_url("**/accounts/two-factor/setup/")
    qr = page.locator("[data-testid=qr] svg")
    assert qr.bounding_box()["width"] >= 100
    shot(page, "1-setup")
    key = b32decode(page.locator("[data-testid=secret]").inner_text().replace(" ", ""))
    page.fill("#id_code", f"{totp(key):06d}")
    page.click("text=Confirm")
    codes = page.locator("[data-testid=backup-codes] li")
    assert codes.count() == 10
    shot(page, "2-backup-codes")

    page.click("text=Log out")
    page.goto("/accounts/login/")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", settings.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/login/verify/**")
    page.fill("#id_code", f"{(totp(key, drift=1) + 500_000) % 1_000_000:06d}")
    page.click("text=Verify")
    assert "That code is not valid" in page.locator("body").inner_text()
    shot(page, "3-wrong-code")
    page.wait_for_timeout(1100)  # django-otp's back-off after one wrong code
    page.fill("#id_code", f"{totp(key, drift=1):06d}")
    page.click("text=Verify")
    page.wait_for_url("**/dashboard/")
