"""Billing fixtures: a local HTTP server standing in for api.stripe.com (the real `stripe`
library talks to it), Stripe-signed webhook posts, and a fresh PRO organization."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    partnership with LUXE BOND Distribution, like a partner that just joined."""
    from django.contrib.auth import get_user_model

    from core.enums import TIER_FOR_PLAN
    from orgs.models import Membership, Organization, OrganizationRelationship
    from partnerships.models import Partnership

    def _make(plan: str = "FREE", code: str = "ORG-901"):
        org = Organization.objects.create(
            code=code,
            name=f"Fresh Partner {code}",
            org_type="SUPPLIER",
            plan_tier=plan,
            partnership_tier=TIER_FOR_PLAN[plan],
            billing_mode="FREE" if plan == "FREE" else "ADD_ON",
        )
        user = get_user_model().objects.create(
            email=f"admin@{code.lower()}.example", full_name="Fresh Admin"
        )
        Membership.objects.create(user=user, organization=org, role="ORG_ADMIN")
        rel = OrganizationRelationship.objects.create(
            parent=Organization.objects.get(code="ORG-003"), child=org, type="PARTNER"
        )
        Partnership.objects.create(relationship=rel, role="SUPPLIER", status="ACTIVE")
        return org, user

    return _make
