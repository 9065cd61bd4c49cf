"""The one entitlements table. Every tier decision in the product asks this module.

Rows come from the seed's permission matrix and pricing page. Nothing else in the code base
compares plan_tier or partnership_tier by hand.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from core.enums import TIER_FOR_PLAN, PartnershipTier, PlanTier

if TYPE_CHECKING:
    from orgs.access import Scope
    from orgs.models import Organization


class Feature(StrEnum):
    PARTNERSHIPS_VIEW = "partnerships.view"
    PARTNERSHIPS_CREATE = "partnerships.create"
    PRODUCTS_VIEW_SHARED = "products.view_shared"
    PRODUCTS_CREATE = "products.create"
    INVENTORY_VIEW_SHARED = "inventory.view_shared"
    INVENTORY_MANAGE_OWN = "inventory.manage_own"
    PURCHASE_ORDERS_VIEW = "purchase_orders.view"
    PURCHASE_ORDERS_CREATE = "purchase_orders.create"
    SHIPMENTS_VIEW = "shipments.view"
    SHIPMENTS_CREATE = "shipments.create"
    ASNS_RECEIVE = "asns.receive"
    RECEIPTS_CONFIRM = "receipts.confirm"
    FORECASTING_BASIC = "forecasting.basic"
    FORECASTING_ADVANCED = "forecasting.advanced"
    REPORTS_BASIC = "reports.basic"
    ANALYTICS_ADVANCED = "analytics.advanced"
    MULTI_ORG_HIERARCHY = "multi_org.hierarchy"
    CENTRAL_PURCHASING = "purchasing.central"
    API_ACCESS = "api.access"


@dataclass(frozen=True)
class FeatureRow:
    label: str
    group: str
    tiers: frozenset[str]
    note: dict[str, str]  # per-tier qualifier shown on the plan pages ("1,000 SKU limit")


_ALL = frozenset(PartnershipTier.values)
_PAID = frozenset({PartnershipTier.BASIC, PartnershipTier.FULL})
_FULL = frozenset({PartnershipTier.FULL})

FEATURES: dict[Feature, FeatureRow] = {
    Feature.PARTNERSHIPS_VIEW: FeatureRow("View own partnerships", "Partnerships", _ALL, {}),
    Feature.PARTNERSHIPS_CREATE: FeatureRow("Create new partnerships", "Partnerships", _PAID, {}),
    Feature.PRODUCTS_VIEW_SHARED: FeatureRow(
        "View shared products", "Products", _ALL, {"PARTNER_ONLY": "read-only"}
    ),
    Feature.PRODUCTS_CREATE: FeatureRow(
        "Create own products", "Products", _PAID, {"BASIC": "1,000 SKU limit", "FULL": "unlimited"}
    ),
    Feature.INVENTORY_VIEW_SHARED: FeatureRow(
        "View shared inventory", "Inventory", _ALL, {"PARTNER_ONLY": "filtered by partnership"}
    ),
    Feature.INVENTORY_MANAGE_OWN: FeatureRow(
        "Manage own inventory", "Inventory", _PAID, {"BASIC": "1 location", "FULL": "unlimited"}
    ),
    Feature.PURCHASE_ORDERS_VIEW: FeatureRow(
        "View POs from partners", "Purchase orders", _ALL, {"PARTNER_ONLY": "read-only"}
    ),
    Feature.PURCHASE_ORDERS_CREATE: FeatureRow(
        "Create POs to suppliers", "Purchase orders", _PAID, {}
    ),
    Feature.SHIPMENTS_VIEW: FeatureRow(
        "View shared shipments", "Shipments", _ALL, {"PARTNER_ONLY": "filtered"}
    ),
    Feature.SHIPMENTS_CREATE: FeatureRow("Create shipments", "Shipments", _PAID, {}),
    Feature.ASNS_RECEIVE: FeatureRow("Receive ASNs", "ASNs", _ALL, {}),
    Feature.RECEIPTS_CONFIRM: FeatureRow("Confirm receipts", "ASNs", _ALL, {}),
    Feature.FORECASTING_BASIC: FeatureRow(
        "View forecasts", "Forecasting", _PAID, {"BASIC": "basic", "FULL": "advanced AI"}
    ),
    Feature.FORECASTING_ADVANCED: FeatureRow(
        "Advanced forecasting", "Forecasting", _FULL, {"BASIC": "with the $29/mo add-on"}
    ),
    Feature.REPORTS_BASIC: FeatureRow(
        "Basic reports", "Reporting", _ALL, {"PARTNER_ONLY": "limited"}
    ),
    Feature.ANALYTICS_ADVANCED: FeatureRow("Advanced analytics", "Reporting", _FULL, {}),
    Feature.MULTI_ORG_HIERARCHY: FeatureRow("Parent-subsidiary", "Multi-org", _FULL, {}),
    Feature.CENTRAL_PURCHASING: FeatureRow("Central purchasing", "Multi-org", _FULL, {}),
    Feature.API_ACCESS: FeatureRow("API endpoints", "API access", _FULL, {}),
}


@dataclass(frozen=True)
class Limits:
    """None means unlimited."""

    skus: int | None
    locations: int | None


PLAN_PRICES: dict[str, Decimal] = {
    PlanTier.FREE: Decimal("0"),
    PlanTier.PRO: Decimal("199"),
    PlanTier.ENTERPRISE: Decimal("999"),
}
PLAN_LIMITS: dict[str, Limits] = {
    PlanTier.FREE: Limits(skus=0, locations=0),
    PlanTier.PRO: Limits(skus=1_000, locations=1),
    PlanTier.ENTERPRISE: Limits(skus=None, locations=None),
}
EXTRA_LOCATION_PRICE = Decimal("49")
ADVANCED_FORECASTING_PRICE = Decimal("29")
# Keyed and listed as plain str: org fields and URLs hand in strings, and TextChoices are str.
PLAN_ORDER: list[str] = [PlanTier.FREE, PlanTier.PRO, PlanTier.ENTERPRISE]
# The plan whose limits a tier carries: read backwards from core.enums.TIER_FOR_PLAN, the one
# mapping between the two.
_PLAN_OF_TIER: dict[str, str] = {tier: plan for plan, tier in TIER_FOR_PLAN.items()}


@dataclass(frozen=True)
class Entitlements:
    tier: str
    plan: str
    features: frozenset[str]
    limits: Limits

    def has(self, feature: Feature | str) -> bool:
        return str(feature) in self.features


def entitlements_for(org: Organization) -> Entitlements:
    """What an organization's tier and add-ons grant; read once per request into the Scope."""
    tier = org.partnership_tier
    features = {str(f) for f, row in FEATURES.items() if tier in row.tiers}
    if org.advanced_forecasting_addon and Feature.FORECASTING_BASIC in features:
        features.add(str(Feature.FORECASTING_ADVANCED))
    base = PLAN_LIMITS[_PLAN_OF_TIER[tier]]
    locations = base.locations
    if locations is not None:
        locations += org.extra_location_addons
    return Entitlements(
        tier=tier,
        plan=org.plan_tier,
        features=frozenset(features),
        limits=Limits(base.skus, locations),
    )


def minimum_plan_for(feature: Feature | str) -> str:
    row = FEATURES[Feature(feature)]
    for plan in PLAN_ORDER:
        if TIER_FOR_PLAN[plan] in row.tiers:
            return plan
    return PlanTier.ENTERPRISE


class FeatureNotAvailable(Exception):
    """The viewer's tier lacks a feature: answered as 403 with the upgrade page."""

    def __init__(self, feature: Feature | str):
        self.feature = Feature(feature)
        self.required_plan = minimum_plan_for(self.feature)
        super().__init__(f"{FEATURES[self.feature].label} needs the {self.required_plan} plan.")


class LimitReached(ValidationError):
    """A plan limit is reached: shown as a form error naming the limit and the upgrade.

    A ValidationError, so every view that shows a service's refusal shows this one too."""

    def __init__(self, message: str):
        super().__init__(message, code="limit_reached")

    def __str__(self) -> str:
        return str(self.message)


def require(scope: Scope, feature: Feature | str) -> None:
    if not scope.has(feature):
        raise FeatureNotAvailable(feature)


def require_feature(feature: Feature) -> Callable:
    """View decorator: 403 with the upgrade page unless the active org's tier has `feature`."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            require(request.scope, feature)
            return view(request, *args, **kwargs)

        wrapped.required_feature = feature  # type: ignore[attr-defined]
        return wrapped

    return decorator


def check_sku_limit(scope: Scope, current_count: int, adding: int = 1) -> None:
    # Scope.limits is annotated `object` in orgs/access.py; it always holds a Limits.
    limit = scope.limits.skus  # type: ignore[attr-defined]
    if limit is not None and current_count + adding > limit:
        raise LimitReached(
            f"Your plan includes up to {limit:,} SKUs and you have {current_count:,}. "
            "Upgrade to ENTERPRISE for unlimited SKUs."
        )


def check_location_limit(scope: Scope, current_count: int) -> None:
    limit = scope.limits.locations  # type: ignore[attr-defined]
    if limit is not None and current_count + 1 > limit:
        raise LimitReached(
            f"Your plan includes {limit} location{'s' if limit != 1 else ''} and all are in use. "
            f"Add a location for ${EXTRA_LOCATION_PRICE}/mo, or upgrade to ENTERPRISE for unlimited "
            "locations."
        )


# --- Add-ons and the pricing page: the same table, rendered by /pricing/ and /billing/plan/ ---


class AddOn(StrEnum):
    EXTRA_LOCATION = "extra_location"
    ADVANCED_FORECASTING = "advanced_forecasting"


@dataclass(frozen=True)
class AddOnRow:
    label: str
    price: Decimal
    per: str  # what one unit is ("per additional location")
    plans: frozenset[str]  # plans that can buy it (ENTERPRISE already includes both)
    unlocks: str


ADDONS: dict[AddOn, AddOnRow] = {
    AddOn.EXTRA_LOCATION: AddOnRow(
        "Additional location",
        EXTRA_LOCATION_PRICE,
        "per additional location",
        frozenset({PlanTier.PRO}),
        "One more warehouse location for your own inventory.",
    ),
    AddOn.ADVANCED_FORECASTING: AddOnRow(
        "Advanced forecasting",
        ADVANCED_FORECASTING_PRICE,
        "per organization",
        frozenset({PlanTier.PRO}),
        "Advanced AI forecasting on the PRO plan.",
    ),
}


@dataclass(frozen=True)
class PlanCard:
    plan: str
    title: str
    tagline: str
    includes: tuple[str, ...]
    excludes: tuple[str, ...] = ()
    everything_in: str = ""


PLAN_CARDS: tuple[PlanCard, ...] = (
    PlanCard(
        PlanTier.FREE,
        "Partner Portal",
        "Perfect for suppliers, distributors, and partners collaborating with customers",
        (
            "Unlimited partnerships (receive invitations)",
            "View shared inventory from partners",
            "Receive and confirm shipments",
            "ASN management (receive, confirm)",
            "Basic communication (in-app messaging)",
            "Email/SMS notifications",
        ),
        excludes=(
            "Cannot create own products or inventory",
            "Cannot create purchase orders",
            "No forecasting or analytics",
        ),
    ),
    PlanCard(
        PlanTier.PRO,
        "Own Operations",
        "Manage your own supply chain operations + maintain partnerships",
        (
            f"Create and manage products (up to {PLAN_LIMITS[PlanTier.PRO].skus:,} SKUs)",
            f"Manage inventory at {PLAN_LIMITS[PlanTier.PRO].locations} warehouse location",
            "Create purchase orders to suppliers",
            "Basic forecasting (12-month rolling average)",
            "Basic reporting and analytics",
            "Inventory adjustments, cycle counts",
            "Create own partnerships (invite suppliers/customers)",
        ),
        everything_in=PlanTier.FREE,
    ),
    PlanCard(
        PlanTier.ENTERPRISE,
        "Multi-Organization",
        "For complex supply chains with parent-subsidiary structures",
        (
            "Unlimited SKUs and locations",
            "Multi-organization hierarchy (parent + subsidiaries)",
            "Central purchasing (parent buys for subs)",
            "Advanced AI forecasting",
            "Supply chain optimization",
            "Full API access",
            "Dedicated account manager",
            "Custom integrations",
            "White-glove onboarding",
        ),
        everything_in=PlanTier.PRO,
    ),
)


def monthly_amount(
    plan: str, extra_location_addons: int = 0, advanced_forecasting_addon: bool = False
) -> Decimal:
    """List price of a plan with its add-ons (add-ons only count where the plan sells them)."""
    amount = PLAN_PRICES[plan]
    if plan in ADDONS[AddOn.EXTRA_LOCATION].plans:
        amount += EXTRA_LOCATION_PRICE * extra_location_addons
    if advanced_forecasting_addon and plan in ADDONS[AddOn.ADVANCED_FORECASTING].plans:
        amount += ADVANCED_FORECASTING_PRICE
    return amount


def plan_features(plan: str) -> list[Feature]:
    tier = TIER_FOR_PLAN[plan]
    return [f for f, row in FEATURES.items() if tier in row.tiers]


def plan_unlocks(current_plan: str) -> list[tuple[str, Decimal, list[FeatureRow]]]:
    """For each plan above `current_plan`: (plan, price, the matrix rows it adds)."""
    have = set(plan_features(current_plan))
    out = []
    for plan in PLAN_ORDER[PLAN_ORDER.index(current_plan) + 1 :]:
        gained = [f for f in plan_features(plan) if f not in have]
        out.append((plan, PLAN_PRICES[plan], [FEATURES[f] for f in gained]))
        have |= set(gained)
    return out


def plan_losses(
    current_plan: str, target_plan: str, *, advanced_forecasting_addon: bool = False
) -> list[FeatureRow]:
    """The matrix rows an organization on `current_plan` (with its forecasting add-on) no longer
    has on `target_plan`: what a downgrade or cancellation makes read-only or unavailable."""
    have = set(plan_features(current_plan))
    if advanced_forecasting_addon and Feature.FORECASTING_BASIC in have:
        have.add(Feature.FORECASTING_ADVANCED)
    keep = set(plan_features(target_plan))
    return [FEATURES[f] for f in FEATURES if f in have and f not in keep]


def matrix_rows() -> list[tuple[FeatureRow, list[tuple[bool, str]]]]:
    """The permission matrix for display: each row with (allowed, note) per plan."""
    rows = []
    for row in FEATURES.values():
        cells = []
        for plan in PLAN_ORDER:
            tier = TIER_FOR_PLAN[plan]
            cells.append((tier in row.tiers, row.note.get(tier, "")))
        rows.append((row, cells))
    return rows
