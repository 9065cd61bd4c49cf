"""The strict Content-Security-Policy in a real browser: pages load with zero violations, and the
behaviour that used to be inline (the org switcher, the end-partnership confirmation, htmx)
still works from static/js/app.js."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Recorder:
    """A browser context whose every page reports CSP violations (the DOM event and the
    console's "Refused to ..." lines) into `violations`, across navigations."""

    def __init__(self, browser, base_url: str) -> None:
        self.violations: list[str] = []
        self.context = browser.new_context(base_url=base_url)
        self.context.expose_binding(
            "__reportCsp", lambda source, text: self.violations.append(text)
        )
        self.context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => window.__reportCsp("
            "`${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI}"
            " at ${e.sourceFile}:${e.lineNumber}`));"
        )
        self.page = self.context.new_page()
        self.page.on(
            "console",
            lambda m: "Content Security Policy" in m.text and self.violations.append(m.text),
        )

    def login(self, email: str):
        page = self.page
        page.goto("/accounts/login/")
        page.fill("#id_username", email)
        page.fill("#id_password", settings.DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/dashboard/")
        return page

    def visit(self, *paths: str) -> None:
        for path in paths:
            self.page.goto(path)
            self.page.wait_for_load_state("load")
            assert "Content-Security-Policy" in self.last_headers(path), path

    def last_headers(self, path: str) -> dict[str, str]:
        response = self.page.request.get(path)
        return {k.title(): v for k, v in response.headers.items()}


@pytest.fixture
def recorder(browser, live_server):
    made = []

    def _make() -> Recorder:
        rec = Recorder(browser, live_server.url)
        made.append(rec)
        return rec

    yield _make
    for rec in made:
        rec.context.close()


def test_the_recorder_sees_a_violation(recorder):
    # The check has teeth: an inline script added to the page is refused and recorded.
    rec = recorder()
    page = rec.page
    page.goto("/accounts/login/")
    ran = page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); return window.__ran === 1; }"
    )
    page.wait_for_timeout(200)
    assert ran is False
    assert any("script-src" in v for v in rec.violations), rec.violations


def test_pages_load_without_violations_and_the_switcher_and_confirm_work(recorder, demo):
    from orgs.models import Membership
    from partnerships.models import Partnership

    from ..factories import OrganizationFactory

    person = demo.user("admin@dist.luxebond.example")
    other = OrganizationFactory(name="Second Hat Trading", plan_tier="PRO")
    Membership.objects.create(user=person, organization=other, role="ORG_ADMIN")
    partnership = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-101"
    )

    rec = recorder()
    page = rec.login(person.email)
    rec.visit(
        "/dashboard/",
        "/network/",
        "/locations/",
        "/partnerships/",
        "/inventory/",
        "/products/",
        "/shipments/",
        "/notifications/",
        "/accounts/profile/",
        "/billing/plan/",
        "/no/such/page/",
    )

    # The org switcher submits on change (data-autosubmit), no inline onchange.
    page.goto("/dashboard/")
    page.select_option("#org-switch", label=f"{other.code} {other.name}")
    page.wait_for_function(
        "code => document.querySelector('#org-switch option:checked').textContent.startsWith(code)",
        arg=other.code,
    )
    page.select_option("#org-switch", label="ORG-003 LUXE BOND Distribution LLC")
    page.wait_for_function(
        "() => document.querySelector('#org-switch option:checked').textContent"
        ".startsWith('ORG-003')"
    )

    # htmx under the CSP: a message posted through the thread form swaps the thread in place.
    detail = f"/partnerships/{partnership.public_id}/"
    page.goto(detail)
    page.fill("#thread textarea", "Posted through htmx under the CSP")
    page.click("#thread button[type=submit]")
    page.locator("#thread", has_text="Posted through htmx under the CSP").wait_for()
    assert page.url.endswith(detail)

    # End partnership asks first (data-confirm): Cancel keeps it, OK ends it.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("text=End partnership")
    page.wait_for_timeout(300)
    partnership.refresh_from_db()
    assert partnership.status == "ACTIVE"
    messages: list[str] = []

    def accept(dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.click("text=End partnership")
    page.locator(".messages", has_text="The partnership has ended").wait_for()
    partnership.refresh_from_db()
    assert partnership.status == "ENDED"
    assert messages and messages[0].startswith("End this partnership?")

    assert rec.violations == []


def test_the_admin_works_under_the_csp(recorder):
    rec = recorder()
    page = rec.login("super@luxebond.example")
    rec.visit("/admin/", "/admin/orgs/organization/", "/admin/orgs/location/")
    page.goto("/admin/orgs/organization/")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state("load")
    assert page.locator("#content h1, #content h2").first.is_visible()
    assert "/change/" in page.url
    page.goto("/admin/orgs/location/add/")
    page.wait_for_load_state("load")
    assert rec.violations == []
