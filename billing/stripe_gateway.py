"""Every outgoing Stripe call, through Stripe's own library.

Prices come from the entitlements table (price_data on the Checkout Session), so the pricing
page and what Stripe charges cannot drift apart. Every create call carries an idempotency key
derived from our own ids, so a retry or a double click creates one object at Stripe.
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from django.conf import settings

from core.entitlements import (
    ADDONS,
    PLAN_PRICES,
    AddOn,
)
from orgs.models import Organization

from .models import Checkout


def enabled() -> bool:
    """Stripe is configured: checkouts are paid at Stripe."""
    return bool(settings.STRIPE_SECRET_KEY)


def simulated() -> bool:
    """The labelled simulated checkout: only without Stripe and only when switched on
    explicitly (BILLING_SIMULATED_CHECKOUT, the demo). Never the fallback of a missing key."""
    return not enabled() and bool(settings.BILLING_SIMULATED_CHECKOUT)


def payments_configured() -> bool:
    """Whether any checkout can be created or confirmed at all (fails closed)."""
    return enabled() or simulated()


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE or stripe.api_base
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": base},
        max_network_retries=2,
    )


def _cents(amount) -> int:
    return int(amount * 100)


def _price(name: str, amount) -> dict:
    return {
        "currency": "usd",
        "unit_amount": _cents(amount),
        "recurring": {"interval": "month"},
        "product_data": {"name": name},
    }


def checkout_line_items(checkout: Checkout) -> list[dict]:
    """The plan plus its add-ons as subscription items."""
    items = [
        {
            "price_data": _price(f"Better Data {checkout.plan}", PLAN_PRICES[checkout.plan]),
            "quantity": 1,
        }
    ]
    if checkout.extra_location_addons:
        row = ADDONS[AddOn.EXTRA_LOCATION]
        items.append(
            {
                "price_data": _price(row.label, row.price),
                "quantity": checkout.extra_location_addons,
            }
        )
    if checkout.advanced_forecasting_addon:
        row = ADDONS[AddOn.ADVANCED_FORECASTING]
        items.append({"price_data": _price(row.label, row.price), "quantity": 1})
    return items


def customer_create(*, org: Organization, email: str) -> str:
    customer = client().v1.customers.create(
        params={
            "name": f"{org.code} {org.name}",
            "email": email,
            "metadata": {"org": str(org.public_id), "org_code": org.code},
        },
        options={"idempotency_key": f"customer-{org.public_id}"},
    )
    return customer.id


@dataclass(frozen=True)
class CreatedSession:
    id: str
    url: str


def checkout_session_create(*, checkout: Checkout, customer_id: str) -> CreatedSession:
    org = checkout.organization
    metadata = {
        "org": str(org.public_id),
        "org_code": org.code,
        "checkout": str(checkout.public_id),
        "plan": checkout.plan,
        "extra_location_addons": str(checkout.extra_location_addons),
        "advanced_forecasting_addon": "1" if checkout.advanced_forecasting_addon else "0",
        "self_pay": "1" if checkout.self_pay else "0",
    }
    session = client().v1.checkout.sessions.create(
        params={
            "mode": "subscription",
            "customer": customer_id,
            "client_reference_id": str(checkout.public_id),
            "line_items": checkout_line_items(checkout),
            "metadata": metadata,
            "subscription_data": {"metadata": metadata},
            "success_url": f"{settings.SITE_URL}/billing/checkout/{checkout.public_id}/",
            "cancel_url": f"{settings.SITE_URL}/billing/plan/",
        },
        options={"idempotency_key": f"checkout-{checkout.public_id}"},
    )
    return CreatedSession(id=session.id, url=session.url)


def subscription_retrieve(subscription_id: str) -> dict:
    """The subscription's current state at Stripe (used to resolve out-of-order events)."""
    sub = client().v1.subscriptions.retrieve(subscription_id)
    return sub.to_dict() if hasattr(sub, "to_dict") else dict(sub)


def subscription_cancel(subscription_id: str) -> None:
    """Cancel a subscription replaced by a newer one (an upgrade paid through a new Checkout)."""
    client().v1.subscriptions.cancel(
        subscription_id, options={"idempotency_key": f"cancel-{subscription_id}"}
    )
