"""Outgoing Stripe calls: the real `stripe` library against a local server started by the
test; we assert what Stripe would receive (customer, Checkout Session, prices, idempotency)."""

from __future__ import annotations

import time

from billing.models import Checkout, Subscription
from orgs.models import Organization

from ..factories import logged_in
from .conftest import make_event


def _plan(org) -> str:
    return Organization.objects.get(pk=org.pk).plan_tier


def test_upgrade_creates_customer_and_checkout_session(client, billed, fake_stripe):
    net = billed.net
    c = logged_in(client, net.amazon_admin)
    r = c.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    assert r.status_code == 302
    assert r["Location"].startswith("https://checkout.stripe.test/c/pay/cs_test_")
    amazon = net.amazon
    checkout = Checkout.objects.get(organization=amazon)
    assert checkout.simulated is False and checkout.status == "OPEN"
    # Nothing changes until Stripe confirms the payment.
    assert _plan(amazon) == "FREE"

    (customer,) = fake_stripe.posts("/v1/customers")
    assert customer.headers["Authorization"] == "Bearer sk_test_billing_123"
    assert customer.headers["Idempotency-Key"] == f"customer-{amazon.public_id}"
    assert customer.form["name"] == f"{amazon.code} Amazon Fulfillment Services LLC"
    assert customer.form["email"] == net.amazon_admin.email
    assert customer.form["metadata[org]"] == str(amazon.public_id)

    (session,) = fake_stripe.posts("/v1/checkout/sessions")
    assert session.headers["Idempotency-Key"] == f"checkout-{checkout.public_id}"
    f = session.form
    assert f["mode"] == "subscription"
    assert f["customer"] == Subscription.objects.get(organization=amazon).stripe_customer_id
    assert f["client_reference_id"] == str(checkout.public_id)
    assert f["line_items[0][price_data][unit_amount]"] == "19900"
    assert f["line_items[0][price_data][currency]"] == "usd"
    assert f["line_items[0][price_data][recurring][interval]"] == "month"
    assert f["line_items[0][quantity]"] == "1"
    assert "line_items[1][price_data][unit_amount]" not in f
    assert f["subscription_data[metadata][plan]"] == "PRO"
    assert f["subscription_data[metadata][org]"] == str(amazon.public_id)
    assert f["success_url"].endswith(f"/billing/checkout/{checkout.public_id}/")


def test_addons_are_subscription_items_and_customer_is_reused(client, billed, fake_stripe):
    c = logged_in(client, billed.packagepro_admin)
    # PackagePro (PRO, 1 extra location) adds a second extra location and advanced forecasting,
    # paying for itself (billed to the root it would be a sponsored request, not a checkout).
    r = c.post(
        "/billing/checkout/",
        {
            "plan": "PRO",
            "extra_location_addons": "2",
            "advanced_forecasting_addon": "on",
            "self_pay": "on",
        },
    )
    assert r.status_code == 302
    f = fake_stripe.posts("/v1/checkout/sessions")[0].form
    assert (f["line_items[0][price_data][unit_amount]"], f["line_items[0][quantity]"]) == (
        "19900",
        "1",
    )
    assert (f["line_items[1][price_data][unit_amount]"], f["line_items[1][quantity]"]) == (
        "4900",
        "2",
    )
    assert f["line_items[1][price_data][product_data][name]"] == "Additional location"
    assert (f["line_items[2][price_data][unit_amount]"], f["line_items[2][quantity]"]) == (
        "2900",
        "1",
    )
    # A second checkout (a double click, or a later add-on) reuses the Stripe customer.
    c.post("/billing/checkout/", {"plan": "ENTERPRISE", "self_pay": "on"})
    assert len(fake_stripe.posts("/v1/customers")) == 1
    sessions = fake_stripe.posts("/v1/checkout/sessions")
    assert len(sessions) == 2
    assert sessions[1].form["line_items[0][price_data][unit_amount]"] == "99900"
    assert sessions[0].headers["Idempotency-Key"] != sessions[1].headers["Idempotency-Key"]
    assert _plan(billed.packagepro) == "PRO"


def test_stripe_down_is_a_clear_error_not_a_500(client, billed, fake_stripe, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    c = logged_in(client, billed.net.amazon_admin)
    r = c.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    assert r.status_code == 400
    assert "nothing was charged" in r.content.decode()
    assert _plan(billed.net.amazon) == "FREE"


def test_paid_checkout_confirmed_by_webhook_then_plan_changes(
    client, billed, fake_stripe, post_event
):
    amazon = billed.net.amazon
    c = logged_in(client, billed.net.amazon_admin)
    c.post("/billing/checkout/", {"plan": "PRO", "self_pay": "on"})
    checkout = Checkout.objects.get(organization=amazon)
    # The return page waits for the confirmation; it does not change the plan.
    page = c.get(f"/billing/checkout/{checkout.public_id}/").content.decode()
    assert "Waiting for Stripe" in page and _plan(amazon) == "FREE"
    fake_stripe.subscriptions["sub_live_1"] = {
        "status": "active",
        "customer": "cus_x",
        "metadata": {"org": str(amazon.public_id), "plan": "PRO", "extra_location_addons": "0"},
    }
    event = make_event(
        "checkout.session.completed",
        {
            "id": checkout.stripe_session_id,
            "object": "checkout.session",
            "client_reference_id": str(checkout.public_id),
            "customer": "cus_x",
            "subscription": "sub_live_1",
        },
        created=int(time.time()),
    )
    assert post_event(event).status_code == 200
    assert _plan(amazon) == "PRO"
    # A simulated confirmation is refused while Stripe is configured.
    r = c.post(f"/billing/checkout/{checkout.public_id}/")
    assert r.status_code == 400


def test_upgrade_through_a_new_checkout_cancels_the_old_subscription(
    client, billed, fake_stripe, post_event
):
    packagepro = billed.packagepro
    Subscription.objects.filter(organization=packagepro).update(stripe_subscription_id="sub_old")
    c = logged_in(client, billed.packagepro_admin)
    c.post("/billing/checkout/", {"plan": "ENTERPRISE", "self_pay": "on"})
    checkout = Checkout.objects.get(organization=packagepro)
    fake_stripe.subscriptions["sub_new"] = {
        "status": "active",
        "metadata": {"org": str(packagepro.public_id), "plan": "ENTERPRISE"},
    }
    post_event(
        make_event(
            "checkout.session.completed",
            {
                "id": "cs_x",
                "client_reference_id": str(checkout.public_id),
                "subscription": "sub_new",
            },
        )
    )
    packagepro.refresh_from_db()
    assert (packagepro.plan_tier, packagepro.billing_mode) == ("ENTERPRISE", "SELF_PAY")
    assert packagepro.extra_location_addons == 0  # ENTERPRISE includes unlimited locations
    (cancel,) = [r for r in fake_stripe.requests if r.method == "DELETE"]
    assert cancel.path == "/v1/subscriptions/sub_old"
    assert cancel.headers["Idempotency-Key"] == "cancel-sub_old"
    assert Subscription.objects.get(organization=packagepro).stripe_subscription_id == "sub_new"
