"""Upgrade end to end through the simulated checkout (switched on explicitly), and the
downgrade back: a FREE 3PL paying its own way (SELF-PAY)."""

from __future__ import annotations

from django.test import Client

from billing.models import Checkout, PlanChange, SponsoredUpgradeRequest
from billing.services import checkout as checkout_services
from billing.services import dunning as dunning_services
from core.entitlements import Feature, check_sku_limit
from inventory.models import Product, StockBalance
from orgs.audit import AuditEvent
from orgs.models import Location, Organization
from partnerships.models import Partnership

from ..factories import StockBalanceFactory, logged_in, scope_of_user


def _sees_network_stock_at_fba(scope, net) -> bool:
    return StockBalance.objects.visible_to(scope).filter(location=net.fba, owner=net.dist).exists()


def _plan(org) -> str:
    return Organization.objects.get(pk=org.pk).plan_tier


def test_amazon_upgrades_to_pro_and_back(
    client, billed, simulated_checkout, django_capture_on_commit_callbacks, mailoutbox
):
    net = billed.net
    # The subsidiary's stock at the FBA site the 3PL shares with it.
    StockBalanceFactory(product=net.serum, location=net.fba, quantity=120)
    c = logged_in(client, net.amazon_admin)
    # FREE: the banner, the upgrade page naming PRO, no own locations.
    page = c.get("/billing/plan/").content.decode()
    assert "Upgrade to PRO" in page and 'data-testid="selfpay-PRO"' in page
    denied = c.get("/locations/new/")
    assert denied.status_code == 403 and "Upgrade to PRO" in denied.content.decode()
    assert c.post("/locations/new/", {"name": "Amazon own", "kind": "WAREHOUSE"}).status_code == 403

    r = c.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    checkout = Checkout.objects.get(organization=net.amazon)
    assert r.status_code == 302 and r["Location"] == f"/billing/checkout/{checkout.public_id}/"
    page = c.get(r["Location"]).content.decode()
    assert "Simulated checkout" in page and "$199.00/mo" in page
    assert _plan(net.amazon) == "FREE"  # not before the confirmation

    with django_capture_on_commit_callbacks(execute=True):
        r = c.post(f"/billing/checkout/{checkout.public_id}/")
        c.post(f"/billing/checkout/{checkout.public_id}/")  # a double click
    assert r.status_code == 302
    amazon = Organization.objects.get(pk=net.amazon.pk)
    assert (amazon.plan_tier, amazon.partnership_tier, amazon.billing_mode) == (
        "PRO",
        "BASIC",
        "SELF_PAY",
    )
    assert PlanChange.objects.filter(organization=amazon).count() == 1
    assert (
        AuditEvent.objects.filter(
            action="billing.plan_change", target_id=str(amazon.public_id)
        ).count()
        == 1
    )
    assert any("is now on the PRO plan" in m.subject for m in mailoutbox)

    scope = scope_of_user(net.amazon_admin)
    assert scope.has(Feature.PRODUCTS_CREATE) and scope.has(Feature.PARTNERSHIPS_CREATE)
    assert scope.has(Feature.PURCHASE_ORDERS_CREATE)
    assert "Upgrade to PRO" not in c.get("/dashboard/").content.decode()
    # One own location, then the limit.
    assert c.get("/locations/new/").status_code == 200
    r = c.post(
        "/locations/new/",
        {
            "operator": amazon.pk,
            "name": "Amazon Own Warehouse",
            "kind": "WAREHOUSE",
            "city": "Tempe",
            "country": "US",
        },
    )
    assert r.status_code == 302
    own = Location.objects.get(operator=amazon, name="Amazon Own Warehouse")
    r = c.post("/locations/new/", {"operator": amazon.pk, "name": "Second", "kind": "WAREHOUSE"})
    assert r.status_code == 400 and "includes 1 location" in r.content.decode()
    # Own products within the SKU allowance (the products app enforces it with check_sku_limit).
    check_sku_limit(scope, Product.objects.visible_to(scope).filter(owner=amazon).count())
    Product.objects.create(owner=amazon, sku="AMZ-BOX-01", name="Amazon shipping box")
    # The partnership is intact: the network's stock at the shared FBA site is still visible.
    assert _sees_network_stock_at_fba(scope, net)
    assert net.fba.code in c.get("/locations/").content.decode()

    # Downgrade (cancellation): FREE again, nothing deleted, own data read-only.
    dunning_services.subscription_cancel(scope=None, org=amazon, reason="test downgrade")
    amazon.refresh_from_db()
    assert (amazon.plan_tier, amazon.partnership_tier, amazon.billing_mode) == (
        "FREE",
        "PARTNER_ONLY",
        "FREE",
    )
    scope = scope_of_user(net.amazon_admin)
    assert Product.objects.filter(owner=amazon, sku="AMZ-BOX-01").exists()
    assert Location.objects.filter(pk=own.pk, is_active=True).exists()
    assert not scope.has(Feature.PRODUCTS_CREATE)  # product writes answer 403: read-only
    assert c.get("/locations/new/").status_code == 403
    plan_page = c.get("/billing/plan/").content.decode()
    assert "1 of 0" in plan_page and "over the limit" in plan_page
    assert Product.objects.visible_to(scope).filter(sku="AMZ-BOX-01").exists()  # still readable
    assert _sees_network_stock_at_fba(scope, net)
    assert Partnership.objects.filter(relationship__child=amazon, status="ACTIVE").count() == 1


def test_location_add_on_at_the_boundary(
    client, fresh_org, simulated_checkout, django_capture_on_commit_callbacks
):
    org, user = fresh_org("PRO")
    client.force_login(user)
    assert (
        client.post(
            "/locations/new/", {"operator": org.pk, "name": "First", "kind": "WAREHOUSE"}
        ).status_code
        == 302
    )
    r = client.post("/locations/new/", {"operator": org.pk, "name": "Second", "kind": "WAREHOUSE"})
    assert r.status_code == 400 and "$49/mo" in r.content.decode()
    # Buy one additional location (simulated checkout), then the second location is allowed.
    r = client.post(
        "/billing/checkout/", {"plan": "PRO", "extra_location_addons": "1", "self_pay": "on"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(r["Location"])
    org.refresh_from_db()
    assert org.extra_location_addons == 1
    assert (
        client.post(
            "/locations/new/", {"operator": org.pk, "name": "Second", "kind": "WAREHOUSE"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            "/locations/new/", {"operator": org.pk, "name": "Third", "kind": "WAREHOUSE"}
        ).status_code
        == 400
    )
    assert Location.objects.filter(operator=org).count() == 2


def test_checkout_bad_input_is_a_form_error(client, billed, simulated_checkout):
    c = logged_in(client, billed.packagepro_admin)
    r = c.post("/billing/checkout/", {"plan": "FREE"})
    assert r.status_code == 400
    r = c.post("/billing/checkout/", {"plan": "PRO"})  # already PRO with these add-ons
    assert r.status_code == 400 and "already has the PRO plan" in r.content.decode()
    r = c.post("/billing/checkout/", {"plan": "PRO", "extra_location_addons": "-3"})
    assert r.status_code == 400
    assert not Checkout.objects.filter(organization=billed.packagepro).exists()


def test_members_see_their_tier_but_cannot_buy(client, billed, simulated_checkout):
    c = logged_in(client, billed.member)
    page = c.get("/billing/plan/").content.decode()
    assert "ENTERPRISE" in page and "unlimited" in page
    assert c.post("/billing/checkout/", {"plan": "ENTERPRISE"}).status_code == 403


def test_checkout_of_another_org_is_404(client, billed, simulated_checkout):
    net = billed.net
    checkout = checkout_services.checkout_start(
        scope=scope_of_user(net.amazon_admin), plan="PRO", self_pay=True
    )
    c = logged_in(client, net.sephora_admin)
    assert c.get(f"/billing/checkout/{checkout.public_id}/").status_code == 404
    assert c.post(f"/billing/checkout/{checkout.public_id}/").status_code == 404
    assert _plan(net.amazon) == "FREE"


def test_pro_to_enterprise_and_forecasting_add_on(
    client, billed, django_capture_on_commit_callbacks
):
    """PackagePro is billed to the root as an add-on: what it buys is a request the root's
    super admin approves (no payment provider needed), then its plan and the bill change."""
    c = logged_in(client, billed.packagepro_admin)
    root = logged_in(Client(), billed.net.super_admin)
    packagepro = billed.packagepro
    own_add = f"/network/orgs/{packagepro.public_id}/add/"
    assert c.get(own_add).status_code == 403

    def ask_and_approve(data: dict) -> None:
        assert c.post("/billing/requests/", data).status_code == 302
        upgrade = SponsoredUpgradeRequest.objects.get(organization=packagepro, status="PENDING")
        with django_capture_on_commit_callbacks(execute=True):
            r = root.post(f"/billing/requests/{upgrade.public_id}/", {"action": "approve"})
        assert r.status_code == 302
        packagepro.refresh_from_db()

    # The advanced forecasting add-on on PRO (keeps the paid extra location).
    ask_and_approve(
        {"plan": "PRO", "extra_location_addons": "1", "advanced_forecasting_addon": "on"}
    )
    assert (packagepro.extra_location_addons, packagepro.advanced_forecasting_addon) == (1, True)
    body = root.get("/billing/").content.decode()
    assert 'data-testid="grand-total">$1,475/mo' in body  # 1,446 + the $29 add-on
    # PRO → ENTERPRISE: multi-org unlocks, add-ons fold into the plan.
    ask_and_approve({"plan": "ENTERPRISE"})
    assert (packagepro.plan_tier, packagepro.partnership_tier) == ("ENTERPRISE", "FULL")
    assert (packagepro.extra_location_addons, packagepro.advanced_forecasting_addon) == (0, False)
    assert packagepro.billing_mode == "ADD_ON"
    assert c.get(own_add).status_code == 200
    body = root.get("/billing/").content.decode()
    # the root's 999 + the partner now on ENTERPRISE 999 + the other PRO partner's 199
    assert 'data-testid="grand-total">$2,197/mo' in body
