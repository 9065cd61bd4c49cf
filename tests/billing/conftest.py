"""Billing fixtures: a local HTTP server standing in for api.stripe.com (the real `stripe`
library talks to it), Stripe-signed webhook posts, and a fresh PRO organization."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import stripe

WEBHOOK_SECRET = "whsec_test_secret_for_billing_tests"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict
    form: dict  # the form-encoded body, flattened: {"line_items[0][quantity]": "1", ...}


@dataclass
class FakeStripe:
    url: str
    requests: list[Recorded] = field(default_factory=list)
    subscriptions: dict[str, dict] = field(default_factory=dict)

    def posts(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]


@pytest.fixture
def fake_stripe(settings):
    """A local Stripe API: records every request and answers like Stripe would."""
    state = FakeStripe(url="")
    counter = iter(range(1, 10_000))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{next(counter)}")
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Recorded:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            rec = Recorded(self.command, self.path.split("?")[0], dict(self.headers), form)
            state.requests.append(rec)
            return rec

        def do_POST(self):
            rec = self._record()
            n = next(counter)
            if rec.path == "/v1/customers":
                self._answer(200, {"id": f"cus_test_{n}", "object": "customer"})
            elif rec.path == "/v1/checkout/sessions":
                self._answer(
                    200,
                    {
                        "id": f"cs_test_{n}",
                        "object": "checkout.session",
                        "url": f"https://checkout.stripe.test/c/pay/cs_test_{n}",
                        "mode": "subscription",
                    },
                )
            else:
                self._answer(
                    404, {"error": {"message": "unknown", "type": "invalid_request_error"}}
                )

        def do_DELETE(self):
            rec = self._record()
            sub_id = rec.path.rsplit("/", 1)[1]
            state.subscriptions.setdefault(sub_id, {})["status"] = "canceled"
            self._answer(200, {"id": sub_id, "object": "subscription", "status": "canceled"})

        def do_GET(self):
            rec = self._record()
            if rec.path.startswith("/v1/subscriptions/"):
                sub_id = rec.path.rsplit("/", 1)[1]
                if sub_id in state.subscriptions:
                    self._answer(
                        200, {"id": sub_id, "object": "subscription", **state.subscriptions[sub_id]}
                    )
                    return
            self._answer(
                404, {"error": {"message": "No such object", "type": "invalid_request_error"}}
            )

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    settings.STRIPE_SECRET_KEY = "sk_test_billing_123"
    settings.STRIPE_API_BASE = state.url
    old_base = stripe.api_base
    stripe.api_base = state.url
    yield state
    stripe.api_base = old_base
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhook_secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return WEBHOOK_SECRET


def make_event(
    type_: str, obj: dict, *, created: int | None = None, event_id: str | None = None
) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": type_,
        "created": created if created is not None else int(time.time()),
        "livemode": False,
        "api_version": "2025-01-27.acacia",
        "data": {"object": obj},
    }


def signed_headers(
    payload: str, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
) -> dict:
    """The Stripe-Signature header computed by the stripe library's own signing helper."""
    header = stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)
    return {"HTTP_STRIPE_SIGNATURE": header}


@pytest.fixture
def post_event(db, client, webhook_secret, django_capture_on_commit_callbacks):
    """post_event(event) → the response of /stripe/webhook/, with on-commit work executed
    (the Celery task runs eagerly, as the worker would after the commit)."""

    def _post(
        event: dict,
        *,
        secret: str = WEBHOOK_SECRET,
        timestamp: int | None = None,
        body: str | None = None,
    ):
        payload = json.dumps(event)
        headers = signed_headers(payload, secret=secret, timestamp=timestamp)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/stripe/webhook/",
                data=body if body is not None else payload,
                content_type="application/json",
                **headers,
            )

    return _post


@pytest.fixture
def fresh_org(db):
    """fresh_org(plan="FREE") → (organization, admin user): a new tenant with one admin and a
    SUPPLIER partnership with a network's distribution subsidiary, like a partner that just
    joined."""
    from ..factories import OrganizationFactory, admin_of, child_org, supplier_partnership

    network = child_org(OrganizationFactory(root=True), name="Factory Distribution LLC")

    def _make(plan: str = "FREE", code: str | None = None):
        fields = {"code": code} if code else {}
        org = OrganizationFactory(
            plan_tier=plan,
            billing_mode="FREE" if plan == "FREE" else "ADD_ON",
            org_type="SUPPLIER",
            **fields,
        )
        org.name = f"Fresh Partner {org.code}"
        org.save(update_fields=["name"])
        supplier_partnership(network, org)
        return org, admin_of(org, full_name="Fresh Admin")

    return _make


@dataclass
class Billed:
    """A network whose root pays for its subsidiary and, as add-ons, for two PRO partners
    (as the seed's LUXE BOND does), plus the FREE partners and people the billing tests use."""

    net: Any  # tests.factories.Network: root, dist, amazon (FREE 3PL), sephora (FREE), ...
    member: Any  # a MEMBER of the subsidiary
    packagepro: Any  # PRO, one extra location, billed to the root as an add-on
    packagepro_admin: Any
    salon: Any  # PRO, billed to the root as an add-on


@pytest.fixture
def billed(db) -> Billed:
    from ..factories import (
        OrganizationFactory,
        PartnershipFactory,
        SubscriptionFactory,
        admin_of,
        member_of,
        network,
        supplier_partnership,
    )

    net = network()
    root = net.root
    SubscriptionFactory(organization=root, payer=root, plan="ENTERPRISE")
    SubscriptionFactory(organization=net.dist, payer=root, plan="ENTERPRISE")
    packagepro = OrganizationFactory(
        plan_tier="PRO",
        billing_mode="ADD_ON",
        extra_location_addons=1,
        org_type="SUPPLIER",
        name="PackagePro Manufacturing Ltd",
    )
    supplier_partnership(net.dist, packagepro)
    salon = OrganizationFactory(
        plan_tier="PRO", billing_mode="ADD_ON", org_type="CUSTOMER", name="Salon Luxe"
    )
    PartnershipFactory(network=net.dist, partner=salon, role="CUSTOMER")
    for org in (packagepro, salon):
        # As the seed has them: no Stripe customer yet (the first checkout creates one).
        SubscriptionFactory(
            organization=org,
            payer=root,
            plan="PRO",
            stripe_customer_id="",
            stripe_subscription_id="",
        )
    return Billed(
        net=net,
        member=member_of(net.dist, locations=[net.dallas]),
        packagepro=packagepro,
        packagepro_admin=admin_of(packagepro),
        salon=salon,
    )


@pytest.fixture
def simulated_checkout(settings):
    """The labelled simulated checkout, switched on explicitly (as `make run` does); without it
    payments fail closed (no Stripe key, no checkout)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_SIMULATED_CHECKOUT = True
