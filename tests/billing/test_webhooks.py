"""Stripe webhooks through /stripe/webhook/: signatures, exactly-once, order, payment state."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from billing.models import Checkout, PlanChange, Subscription, WebhookEvent
from billing.services.checkout import checkout_start
from billing.services.dunning import subscriptions_expire_grace
from orgs.models import Organization

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PartnershipFactory,
    admin_of,
    child_org,
    logged_in,
    scope_of_user,
)
from .conftest import make_event, signed_headers


@dataclass
class Partner:
    """A FREE partner (an FBA operator) of a network's subsidiary, which shares its FBA
    location with it; a paid plan is billed to the network's root as an add-on."""

    org: Organization
    admin: object
    root: Organization
    fba: object

    def fresh(self) -> Organization:
        """The partner as the database has it now (plan changes happen in the handlers)."""
        return Organization.objects.get(pk=self.org.pk)


@pytest.fixture
def w(db, simulated_checkout) -> Partner:
    """A FREE 3PL partner of a network's subsidiary that pays its own way (SELF-PAY): its
    checkouts are confirmed by the (signed) Stripe events these tests post."""
    root = OrganizationFactory(root=True)
    dist = child_org(root)
    amazon = OrganizationFactory(plan_tier="FREE", name="Amazon Fulfillment Services LLC")
    fba = LocationFactory(operator=amazon)
    PartnershipFactory(network=dist, partner=amazon, shared_locations=[fba])
    return Partner(amazon, admin_of(amazon), root, fba)


def _amazon_checkout(w: Partner, plan="PRO", **addons) -> Checkout:
    scope = scope_of_user(w.admin)
    return checkout_start(scope=scope, plan=plan, self_pay=True, **addons)


def _completed(checkout: Checkout, sub_id="sub_amz_1", **kw) -> dict:
    return make_event(
        "checkout.session.completed",
        {
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": str(checkout.public_id),
            "customer": "cus_amz",
            "subscription": sub_id,
            "mode": "subscription",
            "payment_status": "paid",
        },
        **kw,
    )


def _subscription(org: Organization, status: str, plan="PRO", sub_id="sub_amz_1", **kw) -> dict:
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": "cus_amz",
        "status": status,
        "metadata": {"org": str(org.public_id), "plan": plan, "extra_location_addons": "0"},
        **kw,
    }


def test_valid_signature_is_processed_once(w, post_event):
    checkout = _amazon_checkout(w)
    event = _completed(checkout)
    r = post_event(event)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    amazon = w.fresh()
    assert (amazon.plan_tier, amazon.partnership_tier, amazon.billing_mode) == (
        "PRO",
        "BASIC",
        "SELF_PAY",
    )
    sub = Subscription.objects.get(organization=amazon)
    assert sub.payer == amazon and sub.stripe_subscription_id == "sub_amz_1"
    assert WebhookEvent.objects.get(stripe_event_id=event["id"]).status == "PROCESSED"
    assert PlanChange.objects.filter(organization=amazon).count() == 1

    again = post_event(event)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert WebhookEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert PlanChange.objects.filter(organization=amazon).count() == 1


@pytest.mark.parametrize(
    "attack", ["wrong_secret", "tampered_body", "stale_timestamp", "no_header"]
)
def test_bad_signatures_are_refused_and_change_nothing(w, client, webhook_secret, attack):
    checkout = _amazon_checkout(w)
    event = _completed(checkout)
    payload = json.dumps(event)
    if attack == "wrong_secret":
        headers, body = signed_headers(payload, secret="whsec_someone_else"), payload
    elif attack == "tampered_body":
        headers = signed_headers(payload)
        body = payload.replace('"PRO"', '"ENTERPRISE"').replace("cus_amz", "cus_evil")
    elif attack == "stale_timestamp":
        headers, body = signed_headers(payload, timestamp=int(time.time()) - 301), payload
    else:
        headers, body = {}, payload
    r = client.post("/stripe/webhook/", data=body, content_type="application/json", **headers)
    assert r.status_code == 400
    assert not WebhookEvent.objects.exists()
    assert w.fresh().plan_tier == "FREE"
    assert Checkout.objects.get(pk=checkout.pk).status == "OPEN"


def test_timestamp_within_tolerance_is_accepted(w, post_event):
    checkout = _amazon_checkout(w)
    r = post_event(_completed(checkout), timestamp=int(time.time()) - 250)
    assert r.status_code == 200
    assert w.fresh().plan_tier == "PRO"


def test_get_is_not_allowed(client):
    assert client.get("/stripe/webhook/").status_code == 405


def test_subscription_updated_before_checkout_completed(w, post_event):
    checkout = _amazon_checkout(w)
    amazon = w.fresh()
    now = int(time.time())
    updated = make_event(
        "customer.subscription.updated", _subscription(amazon, "active"), created=now
    )
    completed = _completed(checkout, created=now - 5)
    assert post_event(updated).status_code == 200
    assert post_event(completed).status_code == 200
    amazon.refresh_from_db()
    assert (amazon.plan_tier, amazon.billing_mode) == ("PRO", "SELF_PAY")
    assert Checkout.objects.get(pk=checkout.pk).status == "COMPLETED"
    assert (
        PlanChange.objects.filter(organization=amazon, from_plan="FREE", to_plan="PRO").count() == 1
    )


def test_late_older_event_does_not_undo_a_cancellation(w, post_event):
    checkout = _amazon_checkout(w)
    amazon = w.fresh()
    now = int(time.time())
    post_event(_completed(checkout, created=now - 100))
    assert Organization.objects.get(pk=amazon.pk).plan_tier == "PRO"
    post_event(
        make_event("customer.subscription.deleted", _subscription(amazon, "canceled"), created=now)
    )
    post_event(
        make_event(
            "customer.subscription.updated", _subscription(amazon, "active"), created=now - 50
        )
    )
    assert Organization.objects.get(pk=amazon.pk).plan_tier == "FREE"


def test_out_of_order_resolved_by_rereading_stripe(w, post_event, fake_stripe):
    """With Stripe configured the handler asks Stripe for the subscription's current state."""
    amazon = w.fresh()
    checkout = Checkout.objects.create(organization=amazon, plan="PRO", simulated=False)
    fake_stripe.subscriptions["sub_amz_1"] = {
        "status": "active",
        "customer": "cus_amz",
        "metadata": {"org": str(amazon.public_id), "plan": "PRO", "extra_location_addons": "0"},
    }
    now = int(time.time())
    # The (late) update event claims past_due, but Stripe now says active: Stripe wins.
    post_event(
        make_event("customer.subscription.updated", _subscription(amazon, "past_due"), created=now)
    )
    post_event(_completed(checkout, created=now - 10))
    amazon.refresh_from_db()
    assert amazon.plan_tier == "PRO"
    assert Subscription.objects.get(organization=amazon).status == "ACTIVE"
    reads = [
        r
        for r in fake_stripe.requests
        if r.method == "GET" and r.path == "/v1/subscriptions/sub_amz_1"
    ]
    assert len(reads) == 2
    assert reads[0].headers["Authorization"] == "Bearer sk_test_billing_123"


def test_payment_failed_then_grace_period_ends(w, client, post_event, settings):
    settings.BILLING_GRACE_DAYS = 7
    checkout = _amazon_checkout(w)
    post_event(_completed(checkout))
    amazon = w.fresh()
    mail.outbox.clear()
    r = post_event(
        make_event(
            "invoice.payment_failed",
            {"id": "in_1", "object": "invoice", "subscription": "sub_amz_1"},
        )
    )
    assert r.status_code == 200
    sub = Subscription.objects.get(organization=amazon)
    assert sub.status == "PAST_DUE"
    assert timedelta(days=6, hours=23) < sub.grace_until - timezone.now() <= timedelta(days=7)
    assert [m.subject for m in mail.outbox] == [f"Payment failed for {amazon.code} {amazon.name}"]
    assert mail.outbox[0].to == [w.admin.email]
    # The plan holds during grace; the admin sees the banner on the plan page and dashboard.
    assert Organization.objects.get(pk=amazon.pk).plan_tier == "PRO"
    c = logged_in(client, w.admin)
    assert 'data-testid="past-due"' in c.get("/billing/plan/").content.decode()
    assert 'data-testid="panel-past-due"' in c.get("/dashboard/").content.decode()

    assert subscriptions_expire_grace(now=timezone.now() + timedelta(days=6)) == []
    assert subscriptions_expire_grace(now=timezone.now() + timedelta(days=8)) == [amazon.code]
    amazon.refresh_from_db()
    assert (amazon.plan_tier, amazon.partnership_tier, amazon.billing_mode) == (
        "FREE",
        "PARTNER_ONLY",
        "FREE",
    )
    # Partnerships keep working.
    assert w.fba.pk in scope_of_user(w.admin).location_ids


def test_invoice_paid_clears_past_due(w, post_event):
    post_event(_completed(_amazon_checkout(w)))
    invoice = {
        "id": "in_2",
        "object": "invoice",
        "parent": {"subscription_details": {"subscription": "sub_amz_1"}},
    }
    post_event(make_event("invoice.payment_failed", invoice))
    assert Subscription.objects.get(organization=w.org).status == "PAST_DUE"
    post_event(make_event("invoice.paid", invoice))
    sub = Subscription.objects.get(organization=w.org)
    assert sub.status == "ACTIVE" and sub.grace_until is None


def test_unknown_event_is_ignored_with_a_log_line(post_event, caplog):
    event = make_event("customer.tax_id.created", {"id": "txi_1"})
    with caplog.at_level("INFO", logger="billing.services.webhooks"):
        r = post_event(event)
    assert r.status_code == 200
    assert WebhookEvent.objects.get(stripe_event_id=event["id"]).status == "IGNORED"
    assert "customer.tax_id.created" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_same_event_concurrently_has_one_effect(w, settings):
    settings.STRIPE_WEBHOOK_SECRET = "whsec_concurrent"
    amazon = w.fresh()
    scope = scope_of_user(w.admin)
    checkout = checkout_start(scope=scope, plan="PRO", self_pay=True)
    event = _completed(checkout)
    payload = json.dumps(event)
    headers = signed_headers(payload, secret="whsec_concurrent")
    barrier = threading.Barrier(8)
    results: list[int] = []

    def hit():
        try:
            barrier.wait()
            r = Client().post(
                "/stripe/webhook/", data=payload, content_type="application/json", **headers
            )
            results.append(r.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 8
    assert WebhookEvent.objects.filter(stripe_event_id=event["id"]).count() == 1
    assert PlanChange.objects.filter(organization=amazon).count() == 1
    assert Organization.objects.get(pk=amazon.pk).plan_tier == "PRO"
