"""Billing that fails closed, sponsored upgrades that need the root's approval, downgrade and
cancellation with a confirmation, and the root's mode changes behind a confirmation.

The demo network: Amazon (ORG-101, FREE) is a partner of LUXE BOND Distribution, so an upgrade
billed under the network lands on LUXE BOND International Holdings' (ORG-001) bill, $1,446/mo
today (docs/billing.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from billing.models import Checkout, PlanChange, SponsoredUpgradeRequest
from billing.services import checkout as checkout_services
from billing.services import sponsorship
from core.entitlements import plan_losses
from core.enums import NotificationKind
from notifications.models import Notification
from orgs.audit import AuditEvent
from orgs.models import Organization

from ..factories import member_of

ROOT = "super@luxebond.example"
AMAZON = "ops@amazon.example"
PACKAGEPRO = "admin@packagepro.example"


@pytest.fixture
def clients(login):
    """clients(email) → a client of its own logged in as the persona (several side by side)."""
    return lambda email: login(email, Client())


def _bill(root_client) -> str:
    body = root_client.get("/billing/").content.decode()
    start = body.index('data-testid="grand-total">') + len('data-testid="grand-total">')
    return body[start : body.index("</strong>", start)]


def _org(code: str) -> Organization:
    return Organization.objects.get(code=code)


def _kinds(email: str, kind: NotificationKind) -> list[str]:
    return list(
        Notification.objects.filter(user__email=email, kind=kind).values_list("title", flat=True)
    )


# --- fails closed --------------------------------------------------------------------------------


def test_no_key_and_no_simulation_means_no_checkout(settings, clients, scope_of):
    settings.DEBUG = False
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_SIMULATED_CHECKOUT = False
    c = clients(PACKAGEPRO)
    page = c.get("/billing/plan/").content.decode()
    assert "Payments are not configured" in page
    r = c.post("/billing/checkout/", {"plan": "ENTERPRISE", "self_pay": "on"})
    assert r.status_code == 400 and "Payments are not configured" in r.content.decode()
    assert not Checkout.objects.exists()
    # The service refuses too, not only the page.
    with pytest.raises(checkout_services.PaymentsNotConfigured):
        checkout_services.checkout_start(scope=scope_of(PACKAGEPRO), plan="ENTERPRISE")
    assert _org("ORG-201").plan_tier == "PRO"


def test_a_simulated_checkout_cannot_be_confirmed_once_the_simulation_is_off(
    settings, clients, scope_of
):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_SIMULATED_CHECKOUT = True
    c = clients(AMAZON)
    r = c.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    assert r.status_code == 302
    page = c.get(r["Location"]).content.decode()
    assert "Simulated checkout" in page and "nothing is charged" in page
    checkout = Checkout.objects.get(organization__code="ORG-101")
    assert checkout.simulated

    settings.BILLING_SIMULATED_CHECKOUT = False
    page = c.get(r["Location"]).content.decode()
    assert "Payments are not configured" in page and "confirm-simulated" not in page
    assert c.post(r["Location"]).status_code == 400
    with pytest.raises(ValidationError):
        checkout_services.checkout_confirm_simulated(scope=scope_of(AMAZON), checkout=checkout)
    assert _org("ORG-101").plan_tier == "FREE"


# --- sponsored upgrades ---------------------------------------------------------------------------


def test_partner_request_is_pending_and_bills_nothing(
    settings, clients, demo, mailoutbox, django_capture_on_commit_callbacks
):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_SIMULATED_CHECKOUT = True  # even with payments, a checkout never bills it
    root_member = member_of(demo.org("ORG-001"))
    root = clients(ROOT)
    assert _bill(root) == "$1,446/mo"
    amazon = clients(AMAZON)
    # A checkout that would bill the network is refused; the page offers the request instead.
    r = amazon.post("/billing/checkout/", {"plan": "ENTERPRISE"})
    assert r.status_code == 400 and "would be billed to ORG-001" in r.content.decode()
    assert 'data-testid="request-ENTERPRISE"' in amazon.get("/billing/plan/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        r = amazon.post("/billing/requests/", {"plan": "ENTERPRISE", "billing_mode": "ADD_ON"})
    assert r.status_code == 302
    upgrade = SponsoredUpgradeRequest.objects.get(organization__code="ORG-101")
    assert (upgrade.status, upgrade.plan, upgrade.billing_mode) == (
        "PENDING",
        "ENTERPRISE",
        "ADD_ON",
    )
    assert upgrade.network.code == "ORG-001"
    # Nothing changed: the plan, the bill.
    assert _org("ORG-101").plan_tier == "FREE"
    assert _bill(root) == "$1,446/mo"
    assert "Waiting for ORG-001" in amazon.get("/billing/plan/").content.decode()
    # The root's admins hear of it in-app and by email; a member of the root does not.
    assert _kinds(ROOT, NotificationKind.SPONSORED_UPGRADE_REQUESTED) == [
        "ORG-101 Amazon Fulfillment Services LLC asks ORG-001 to pay for ENTERPRISE"
    ]
    assert not _kinds(root_member.email, NotificationKind.SPONSORED_UPGRADE_REQUESTED)
    (mail,) = [m for m in mailoutbox if "asks ORG-001 to pay" in m.subject]
    assert ROOT in mail.to and f"/billing/requests/{upgrade.public_id}/" in mail.body
    # Listed on the root's network billing page; audited.
    assert "ORG-101" in root.get("/billing/").content.decode().split("billing-total")[0]
    assert AuditEvent.objects.filter(
        action="billing.sponsored_upgrade_request", target_id=str(upgrade.public_id)
    ).exists()
    # One pending request per organization.
    r = amazon.post("/billing/requests/", {"plan": "PRO"})
    assert r.status_code == 400 and "already has a request waiting" in r.content.decode()
    assert SponsoredUpgradeRequest.objects.filter(organization__code="ORG-101").count() == 1


def _ask(client, plan="ENTERPRISE") -> SponsoredUpgradeRequest:
    assert client.post("/billing/requests/", {"plan": plan}).status_code == 302
    return SponsoredUpgradeRequest.objects.get(organization__code="ORG-101", status="PENDING")


def test_root_approves_once_and_the_partner_is_told(
    clients, mailoutbox, django_capture_on_commit_callbacks
):
    root, amazon = clients(ROOT), clients(AMAZON)
    upgrade = _ask(amazon)
    url = f"/billing/requests/{upgrade.public_id}/"
    page = root.get(url).content.decode()
    assert "$1,446/mo" in page and 'data-testid="bill-after">$2,445/mo' in page
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = root.post(url, {"action": "approve"})
        again = root.post(url, {"action": "approve"})  # a double click
    assert r.status_code == 302 and again.status_code == 302
    org = _org("ORG-101")
    assert (org.plan_tier, org.partnership_tier, org.billing_mode) == (
        "ENTERPRISE",
        "FULL",
        "ADD_ON",
    )
    assert PlanChange.objects.filter(organization=org).count() == 1
    assert _bill(root) == "$2,445/mo"
    upgrade.refresh_from_db()
    assert upgrade.status == "APPROVED" and upgrade.decided_by.email == ROOT
    assert _kinds(AMAZON, NotificationKind.SPONSORED_UPGRADE_DECIDED) == [
        "ORG-001 approved your ENTERPRISE upgrade"
    ]
    (mail,) = [m for m in mailoutbox if AMAZON in m.to]
    assert "is now on the ENTERPRISE plan" in mail.subject and "approved by ORG-001" in mail.body
    assert AuditEvent.objects.filter(action="billing.sponsored_upgrade_approve").count() == 1


def test_root_declines_with_a_reason(clients, mailoutbox, django_capture_on_commit_callbacks):
    root, amazon = clients(ROOT), clients(AMAZON)
    upgrade = _ask(amazon)
    url = f"/billing/requests/{upgrade.public_id}/"
    r = root.post(url, {"action": "decline", "reason": "  "})
    assert r.status_code == 400 and SponsoredUpgradeRequest.objects.get(pk=upgrade.pk).is_pending
    with django_capture_on_commit_callbacks(execute=True):
        r = root.post(url, {"action": "decline", "reason": "Use PRO until Q3."})
    assert r.status_code == 302
    upgrade.refresh_from_db()
    assert (upgrade.status, upgrade.reason) == ("DECLINED", "Use PRO until Q3.")
    assert _org("ORG-101").plan_tier == "FREE"
    assert _bill(root) == "$1,446/mo"
    (mail,) = [m for m in mailoutbox if AMAZON in m.to]
    assert "declined" in mail.subject and "Use PRO until Q3." in mail.body
    assert "Use PRO until Q3." in amazon.get("/billing/plan/").content.decode()
    # Decided is decided: no approval afterwards.
    assert root.post(url, {"action": "approve"}).status_code == 400
    assert _org("ORG-101").plan_tier == "FREE"


@pytest.mark.parametrize(
    "email,status",
    [
        (AMAZON, 403),  # the partner itself
        ("admin@dist.luxebond.example", 404),  # an admin of the subsidiary it partners with
        ("admin@medsupply.example", 404),  # another network
        ("admin@packagepro.example", 404),  # another partner
    ],
)
def test_only_the_root_super_admin_decides(clients, email, status):
    upgrade = _ask(clients(AMAZON))
    r = clients(email).post(f"/billing/requests/{upgrade.public_id}/", {"action": "approve"})
    assert r.status_code == status
    assert SponsoredUpgradeRequest.objects.get(pk=upgrade.pk).is_pending
    assert _org("ORG-101").plan_tier == "FREE"


def test_the_partner_can_withdraw_and_pay_its_own_way(settings, clients, scope_of):
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_SIMULATED_CHECKOUT = True
    root, amazon = clients(ROOT), clients(AMAZON)
    upgrade = _ask(amazon, plan="PRO")
    r = amazon.post(f"/billing/requests/{upgrade.public_id}/", {"action": "cancel"})
    assert r.status_code == 302
    assert SponsoredUpgradeRequest.objects.get(pk=upgrade.pk).status == "CANCELLED"
    with pytest.raises(ValidationError):  # withdrawn: nothing left to approve
        sponsorship.sponsored_upgrade_approve(scope=scope_of(ROOT), upgrade=upgrade)
    # SELF-PAY through checkout: the plan changes, the root's bill does not.
    r = amazon.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    amazon.post(r["Location"])
    org = _org("ORG-101")
    assert (org.plan_tier, org.billing_mode) == ("PRO", "SELF_PAY")
    assert _bill(root) == "$1,446/mo"
    # A self-paying organization is not sponsored behind its back.
    r = amazon.post("/billing/requests/", {"plan": "ENTERPRISE"})
    assert r.status_code == 400 and "SELF-PAY" in r.content.decode()


# --- downgrade and cancellation ---------------------------------------------------------------


def test_downgrade_confirmation_lists_what_becomes_read_only(
    clients, demo, mailoutbox, django_capture_on_commit_callbacks
):
    root, packagepro = clients(ROOT), clients(PACKAGEPRO)
    assert 'data-testid="downgrade-FREE"' in packagepro.get("/billing/plan/").content.decode()
    r = packagepro.get("/billing/plan/change/?plan=FREE")
    page = r.content.decode()
    assert r.status_code == 200 and 'data-testid="lost-features"' in page
    for row in plan_losses("PRO", "FREE"):  # from the entitlements table, not a list here
        assert row.label in page
    assert "Create own products" in page and "1 additional location" in page
    assert "ORG-001" in page  # the network that pays for it will be told
    assert _org("ORG-201").plan_tier == "PRO"  # the page changes nothing

    with django_capture_on_commit_callbacks(execute=True):
        r = packagepro.post("/billing/plan/change/", {"plan": "FREE", "confirm": "1"})
    assert r.status_code == 302
    org = _org("ORG-201")
    assert (org.plan_tier, org.billing_mode, org.extra_location_addons) == ("FREE", "FREE", 0)
    assert _bill(root) == "$1,198/mo"  # 1,446 − PackagePro's 199 + 49
    assert _kinds(ROOT, NotificationKind.PLAN_CHANGED) == [
        "ORG-201 PackagePro Manufacturing Ltd moved from PRO to FREE"
    ]
    assert any(ROOT in m.to and "changed its plan" in m.subject for m in mailoutbox)
    assert AuditEvent.objects.filter(
        action="billing.plan_change", target_id=str(org.public_id)
    ).exists()


def test_downgrade_refusals_are_clear(clients):
    root = clients(ROOT)
    r = root.get("/billing/plan/change/?plan=PRO")
    assert r.status_code == 400 and "master account" in r.content.decode()
    packagepro = clients(PACKAGEPRO)
    r = packagepro.get("/billing/plan/change/?plan=ENTERPRISE")  # not a downgrade
    assert r.status_code == 400 and "below" in r.content.decode()
    r = packagepro.get("/billing/plan/change/?plan=NOPE")
    assert r.status_code == 400
    assert (
        clients("member@dist.luxebond.example").get("/billing/plan/change/?plan=FREE").status_code
        == 403
    )


# --- the root's one-click changes ask first ----------------------------------------------------


def test_root_mode_change_asks_for_confirmation_and_notifies(
    clients, demo, mailoutbox, django_capture_on_commit_callbacks
):
    root = clients(ROOT)
    salon = demo.org("ORG-301")
    url = f"/billing/orgs/{salon.public_id}/mode/"
    r = root.post(url, {"billing_mode": "FREE"})
    page = r.content.decode()
    assert r.status_code == 200 and 'data-testid="mode-confirm"' in page
    assert "PRO → <strong>FREE</strong>" in page and "Create own products" in page
    assert "$199.00/mo → <strong>$0.00/mo</strong>" in page
    assert _org("ORG-301").plan_tier == "PRO"
    with django_capture_on_commit_callbacks(execute=True):
        r = root.post(url, {"billing_mode": "FREE", "confirm": "1"})
    assert r.status_code == 302 and _org("ORG-301").plan_tier == "FREE"
    salon_admins = list(
        salon.memberships.filter(role__in=["ORG_ADMIN", "ORG_SUPER_ADMIN"]).values_list(
            "user__email", flat=True
        )
    )
    assert salon_admins
    for email in salon_admins:
        assert _kinds(email, NotificationKind.PLAN_CHANGED) == ["ORG-301 is now on the FREE plan"]
        (mail,) = [m for m in mailoutbox if email in m.to]
        assert "Billing mode set to FREE by ORG-001" in mail.body


def test_a_partner_cannot_ask_for_a_plan_at_no_charge(clients, scope_of):
    """Found by a tenant-style attack: Sephora posted `billing_mode=INCLUDED` (the page only
    offers ADD-ON); the root's review page then read "$1,446/mo → $1,446/mo" and one approval
    made Sephora PRO for $0. A partner's request is always an add-on on the network's bill."""
    sephora = clients("vmi@sephora.example")
    r = sephora.post("/billing/requests/", {"plan": "PRO", "billing_mode": "INCLUDED"})
    assert r.status_code == 302
    upgrade = SponsoredUpgradeRequest.objects.get(organization__code="ORG-102")
    assert upgrade.billing_mode == "ADD_ON"
    review = clients(ROOT).get(f"/billing/requests/{upgrade.public_id}/").content.decode()
    assert "$1,446/mo → $1,446/mo" not in review
    with pytest.raises(ValidationError, match="only your network's admins"):
        sponsorship.sponsored_upgrade_request(
            scope=scope_of("vmi@sephora.example"), plan="ENTERPRISE", billing_mode="INCLUDED"
        )
