"""The seed's permission matrix × FREE / PRO / ENTERPRISE, through the entitlements table and
through the real URLs (GET and direct POST): allowed, or 403 with the upgrade page naming the
plan that unlocks it. Limits at the boundary.

After merging, each app adds its own gated routes to URL_ROWS (see the comment there)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from core.entitlements import (
    FEATURES,
    Feature,
    FeatureNotAvailable,
    LimitReached,
    check_sku_limit,
    require,
)
from inventory.models import Product

# The seed's "Permission Matrix by Tier", transcribed independently of billing/entitlements.py:
# feature → allowed on (FREE, PRO, ENTERPRISE).
SEED_MATRIX: dict[Feature, tuple[bool, bool, bool]] = {
    Feature.PARTNERSHIPS_VIEW: (True, True, True),
    Feature.PARTNERSHIPS_CREATE: (False, True, True),
    Feature.PRODUCTS_VIEW_SHARED: (True, True, True),
    Feature.PRODUCTS_CREATE: (False, True, True),
    Feature.INVENTORY_VIEW_SHARED: (True, True, True),
    Feature.INVENTORY_MANAGE_OWN: (False, True, True),
    Feature.PURCHASE_ORDERS_VIEW: (True, True, True),
    Feature.PURCHASE_ORDERS_CREATE: (False, True, True),
    Feature.SHIPMENTS_VIEW: (True, True, True),
    Feature.SHIPMENTS_CREATE: (False, True, True),
    Feature.ASNS_RECEIVE: (True, True, True),
    Feature.RECEIPTS_CONFIRM: (True, True, True),
    Feature.FORECASTING_BASIC: (False, True, True),
    Feature.FORECASTING_ADVANCED: (False, False, True),  # PRO: only with the $29/mo add-on
    Feature.REPORTS_BASIC: (True, True, True),
    Feature.ANALYTICS_ADVANCED: (False, False, True),
    Feature.MULTI_ORG_HIERARCHY: (False, False, True),
    Feature.CENTRAL_PURCHASING: (False, False, True),
    Feature.API_ACCESS: (False, False, True),
}
PLANS = ("FREE", "PRO", "ENTERPRISE")

# One persona per plan (ENTERPRISE twice: the root's super admin and a subsidiary's admin).
PERSONA_PLAN = {
    "ops@amazon.example": "FREE",
    "admin@packagepro.example": "PRO",
    "super@luxebond.example": "ENTERPRISE",
    "admin@dist.luxebond.example": "ENTERPRISE",
}


def unlocking_plan(feature: Feature) -> str:
    return next(plan for plan, ok in zip(PLANS, SEED_MATRIX[feature], strict=True) if ok)


def test_every_feature_of_the_table_is_in_the_seed_matrix():
    assert set(SEED_MATRIX) == set(Feature) == set(FEATURES)


@pytest.mark.parametrize("email", PERSONA_PLAN)
@pytest.mark.parametrize("feature", list(SEED_MATRIX))
def test_matrix_row(scope_of, feature, email):
    plan = PERSONA_PLAN[email]
    scope = scope_of(email)
    assert scope.plan == plan
    expected = SEED_MATRIX[feature][PLANS.index(plan)]
    assert scope.has(feature) is expected
    if expected:
        require(scope, feature)
    else:
        with pytest.raises(FeatureNotAvailable) as exc:
            require(scope, feature)
        assert exc.value.required_plan == unlocking_plan(feature)


def test_advanced_forecasting_add_on_unlocks_it_on_pro(fresh_org, scope_of):
    from billing.services.plans import organization_change_plan

    org, user = fresh_org("PRO")
    from orgs.access import scope_for_user

    assert not scope_for_user(user).has(Feature.FORECASTING_ADVANCED)
    organization_change_plan(
        scope=None, org=org, plan="PRO", advanced_forecasting_addon=True, source="CHECKOUT"
    )
    assert scope_for_user(user).has(Feature.FORECASTING_ADVANCED)


# --- Through the real URLs -----------------------------------------------------------------


@dataclass(frozen=True)
class UrlRow:
    feature: Feature
    method: str
    url: Callable  # (demo, email) -> str
    data: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.feature}-{self.method}"


def _own_org_add(demo, email):
    from orgs.models import Membership

    org = Membership.objects.get(user__email=email).organization
    return f"/network/orgs/{org.public_id}/add/"


URL_ROWS = [
    UrlRow(Feature.INVENTORY_MANAGE_OWN, "GET", lambda demo, email: "/locations/new/"),
    UrlRow(Feature.INVENTORY_MANAGE_OWN, "POST", lambda demo, email: "/locations/new/"),
    UrlRow(Feature.MULTI_ORG_HIERARCHY, "GET", _own_org_add),
    UrlRow(Feature.MULTI_ORG_HIERARCHY, "POST", _own_org_add),
    UrlRow(Feature.MULTI_ORG_HIERARCHY, "GET", lambda demo, email: "/network/link/"),
    UrlRow(Feature.MULTI_ORG_HIERARCHY, "POST", lambda demo, email: "/network/link/"),
    UrlRow(Feature.PARTNERSHIPS_VIEW, "GET", lambda demo, email: "/partnerships/"),
    UrlRow(Feature.PARTNERSHIPS_CREATE, "GET", lambda demo, email: "/partnerships/invite/"),
    UrlRow(Feature.PARTNERSHIPS_CREATE, "POST", lambda demo, email: "/partnerships/invite/"),
    UrlRow(Feature.PURCHASE_ORDERS_VIEW, "GET", lambda demo, email: "/purchase-orders/"),
    UrlRow(Feature.PURCHASE_ORDERS_CREATE, "GET", lambda demo, email: "/purchase-orders/new/"),
    UrlRow(Feature.PURCHASE_ORDERS_CREATE, "POST", lambda demo, email: "/purchase-orders/new/"),
    UrlRow(Feature.SHIPMENTS_VIEW, "GET", lambda demo, email: "/shipments/"),
    UrlRow(Feature.SHIPMENTS_CREATE, "GET", lambda demo, email: "/shipments/new/"),
    UrlRow(Feature.SHIPMENTS_CREATE, "POST", lambda demo, email: "/shipments/new/"),
    UrlRow(Feature.ASNS_RECEIVE, "GET", lambda demo, email: "/asns/"),
    UrlRow(Feature.RECEIPTS_CONFIRM, "GET", lambda demo, email: "/asns/receipts/"),
    UrlRow(Feature.FORECASTING_BASIC, "GET", lambda demo, email: "/analytics/forecast/"),
    UrlRow(Feature.FORECASTING_BASIC, "GET", lambda demo, email: "/analytics/abc/"),
    UrlRow(
        Feature.FORECASTING_ADVANCED, "GET", lambda demo, email: "/analytics/forecast/advanced/"
    ),
    UrlRow(Feature.ANALYTICS_ADVANCED, "GET", lambda demo, email: "/analytics/advanced/"),
    UrlRow(Feature.API_ACCESS, "GET", lambda demo, email: "/api/tokens/"),
    UrlRow(Feature.API_ACCESS, "POST", lambda demo, email: "/api/tokens/"),
]


@pytest.mark.parametrize("email", PERSONA_PLAN)
@pytest.mark.parametrize("row", URL_ROWS, ids=[r.id for r in URL_ROWS])
def test_matrix_through_urls(login, demo, row, email):
    c = login(email)
    url = row.url(demo, email)
    r = c.get(url) if row.method == "GET" else c.post(url, row.data)
    allowed = SEED_MATRIX[row.feature][PLANS.index(PERSONA_PLAN[email])]
    body = r.content.decode()
    if allowed:
        # GET renders the form; an empty POST is a form error (nothing written), never a 403.
        assert r.status_code == (200 if row.method == "GET" else 400), body[:500]
        assert 'data-testid="upgrade-required"' not in body
    else:
        plan = unlocking_plan(row.feature)
        assert r.status_code == 403
        assert 'data-testid="upgrade-required"' in body
        assert f"Upgrade to {plan}" in body
        assert FEATURES[row.feature].label in body


def test_denied_htmx_request_gets_the_partial(login):
    c = login("ops@amazon.example")
    r = c.get("/locations/new/", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 403 and 'data-testid="upgrade-required"' in body
    assert "<html" not in body


# --- Limits at the boundary ----------------------------------------------------------------


def test_sku_limit_boundary_on_pro(fresh_org):
    from orgs.access import scope_for_user

    org, user = fresh_org("PRO")
    scope = scope_for_user(user)
    Product.objects.bulk_create(
        Product(owner=org, sku=f"SKU-{i:04d}", name=f"Item {i}") for i in range(999)
    )
    count = Product.objects.visible_to(scope).filter(owner=org).count()
    assert count == 999
    check_sku_limit(scope, count)  # the 1,000th is allowed
    Product.objects.create(owner=org, sku="SKU-1000", name="The 1,000th")
    with pytest.raises(LimitReached) as exc:  # the 1,001st is refused
        check_sku_limit(scope, Product.objects.visible_to(scope).filter(owner=org).count())
    assert "1,000 SKUs" in exc.value.message and "ENTERPRISE" in exc.value.message


def test_sku_limits_on_free_and_enterprise(scope_of):
    with pytest.raises(LimitReached):
        check_sku_limit(scope_of("ops@amazon.example"), 0)
    check_sku_limit(scope_of("super@luxebond.example"), 1_000_000)


# --- The pages rendered from the table -----------------------------------------------------


def test_pricing_page_is_public_and_rendered_from_the_table(client, db):
    r = client.get("/pricing/")
    body = r.content.decode()
    assert r.status_code == 200
    for text in (
        "$0/month",
        "$199/month",
        "$999/month",
        "+$49/mo per additional location",
        "+$29/mo",
        "up to 1,000 SKUs",
        "Unlimited SKUs and locations",
        "Full API access",
    ):
        assert text in body, text
    for row in FEATURES.values():
        assert row.label in body


@pytest.mark.parametrize(
    "email, unlock_cards",
    [
        ("ops@amazon.example", ["PRO", "ENTERPRISE"]),
        ("admin@packagepro.example", ["ENTERPRISE"]),
        ("super@luxebond.example", []),
    ],
)
def test_plan_page_shows_tier_usage_and_unlocks(login, email, unlock_cards):
    body = login(email).get("/billing/plan/").content.decode()
    for plan in ("PRO", "ENTERPRISE"):
        assert (f'data-testid="unlock-{plan}"' in body) is (plan in unlock_cards)
    assert 'data-testid="usage"' in body


def test_packagepro_plan_page_usage(login):
    body = login("admin@packagepro.example").get("/billing/plan/").content.decode()
    # PRO with one paid add-on: 2 locations of 2; its own SKUs of 1,000.
    skus = Product.objects.filter(owner__code="ORG-201").count()
    assert skus > 0
    assert "2 of 2" in body and f"{skus} of 1,000" in body
    assert "API endpoints" in body  # what ENTERPRISE unlocks
