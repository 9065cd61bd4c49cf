import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import services
from api.models import ApiToken, hash_token
from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind, Product
from orgs.models import AuditEvent, Location


@pytest.fixture
def token_for(demo, scope_of):
    """token_for(email) → a raw token created by that persona (an ENTERPRISE admin)."""

    def _token(email: str) -> str:
        _, raw = services.api_token_create(scope=scope_of(email), name="ERP sync")
        return raw

    return _token


@pytest.fixture
def api(client):
    def _get(path: str, token: str | None = None, **params):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = client.get(path, params, headers=headers)
        return response, json.loads(response.content or b"null")

    return _get


@pytest.fixture
def amazon_stock(demo):
    """ORG-003 stock at internal LOC-001 and at Amazon's LOC-101."""
    owner = demo.org("ORG-003")
    serum = Product.objects.get(owner=owner, sku="LB-SER-001")
    for code, qty in (("LOC-001", 500), ("LOC-101", 310)):
        stock_post(
            scope=None,
            postings=[Posting(owner.pk, serum.pk, demo.loc(code).pk, qty, lot="API-T")],
            kind=MovementKind.OPENING,
            idempotency_key=f"api-test-{code}",
        )
    return serum


def _problem(response, body, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("https://")


def test_no_token_bad_token_and_revoked_token_are_401(api, token_for, demo):
    response, body = api("/api/v1/locations/")
    _problem(response, body, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    response, body = api("/api/v1/locations/", "bd_not-a-real-token")
    _problem(response, body, 401)
    raw = token_for("super@luxebond.example")
    assert api("/api/v1/locations/", raw)[0].status_code == 200
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    from orgs.access import scope_for_user

    services.api_token_revoke(
        scope=scope_for_user(demo.user("super@luxebond.example")), token=token
    )
    _problem(*api("/api/v1/locations/", raw), 401)


def test_tokens_are_stored_hashed_and_audited(token_for):
    raw = token_for("admin@medsupply.example")
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    assert raw not in (token.token_hash, token.prefix) and raw.startswith(token.prefix)
    assert AuditEvent.objects.filter(action="api_token.create", target_id=str(token.public_id))


def test_a_pro_orgs_token_gets_403_naming_enterprise(api, token_for, demo):
    # MedSupply had ENTERPRISE when it made the token, then moved to PRO.
    raw = token_for("admin@medsupply.example")
    org = demo.org("ORG-401")
    org.plan_tier, org.partnership_tier = "PRO", "BASIC"
    org.save(update_fields=["plan_tier", "partnership_tier"])
    for path in ("/api/v1/", "/api/v1/locations/", "/api/v1/stock/"):
        response, body = api(path, raw)
        _problem(response, body, 403)
        assert body["required_plan"] == "ENTERPRISE"
        assert "ENTERPRISE" in body["detail"]


@pytest.mark.parametrize(
    "email", ["admin@packagepro.example", "ops@amazon.example", "admin@vitasource.example"]
)
def test_non_enterprise_admins_get_the_upgrade_page_for_tokens(login, email):
    client = login(email)
    for response in (client.get("/api/tokens/"), client.post("/api/tokens/", {"name": "x"})):
        assert response.status_code == 403
        assert "Upgrade to ENTERPRISE" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_members_cannot_manage_tokens(login):
    assert login("member@dist.luxebond.example").get("/api/tokens/").status_code == 403


def test_admin_creates_a_token_shown_once_and_uses_it(login, api):
    client = login("admin@dist.luxebond.example")
    page = client.get("/api/tokens/")
    assert page.status_code == 200 and "No API tokens yet" in page.content.decode()
    response = client.post("/api/tokens/", {"name": "ERP sync"})
    assert response.status_code == 201
    html = response.content.decode()
    raw = html.split('data-testid="token-value">')[1].split("<")[0]
    assert raw.startswith("bd_")
    assert response["Cache-Control"] == "no-store"
    again = client.get("/api/tokens/").content.decode()
    assert raw not in again and "ERP sync" in again  # listed, never shown again
    response, body = api("/api/v1/", raw)
    assert response.status_code == 200 and body["organization"]["code"] == "ORG-003"
    assert client.post("/api/tokens/", {"name": ""}).status_code == 400


def test_revoke_is_404_for_another_orgs_token(login, token_for):
    raw = token_for("admin@medsupply.example")
    token = ApiToken.objects.get(token_hash=hash_token(raw))
    response = login("super@luxebond.example").post(f"/api/tokens/{token.public_id}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_locations_follow_the_scope_of_the_token(api, token_for):
    _, luxe = api("/api/v1/locations/", token_for("super@luxebond.example"), page_size=200)
    codes = {loc["code"] for loc in luxe["results"]}
    assert {"LOC-001", "LOC-005", "LOC-101", "LOC-104"} <= codes
    assert not codes & {"LOC-401", "LOC-402", "LOC-201"}
    _, med = api("/api/v1/locations/", token_for("admin@medsupply.example"))
    assert {loc["code"] for loc in med["results"]} == {"LOC-401"}
    assert med["count"] == 1 and med["next"] is None


def test_detail_of_another_networks_object_is_404(api, token_for, demo):
    raw = token_for("admin@medsupply.example")
    response, body = api(f"/api/v1/locations/{demo.loc('LOC-001').public_id}/", raw)
    _problem(response, body, 404)
    product = Product.objects.get(owner=demo.org("ORG-003"), sku="LB-SER-001")
    _problem(*api(f"/api/v1/products/{product.public_id}/", raw), 404)
    _problem(*api(f"/api/v1/products/{uuid.uuid4()}/", raw), 404)
    _problem(*api("/api/v1/products/not-a-uuid/", raw), 404)
    _problem(*api("/api/v1/nothing-here/", raw), 404)
    response, body = api(f"/api/v1/locations/{demo.loc('LOC-401').public_id}/", raw)
    assert response.status_code == 200 and body["code"] == "LOC-401"


def test_stock_is_filtered_and_cost_only_goes_to_the_owner(api, token_for, amazon_stock):
    raw = token_for("admin@dist.luxebond.example")
    response, body = api("/api/v1/stock/", raw, sku="LB-SER-001", page_size="100")
    rows = {(r["location"], r["quantity"]) for r in body["results"] if r["lot"] == "API-T"}
    assert rows == {("LOC-001", "500"), ("LOC-101", "310")}
    # Every row is LB-SER-001, at a location ORG-003's admin may see (internal or shared).
    assert {r["location"] for r in body["results"]} <= {
        "LOC-001",
        "LOC-002",
        "LOC-003",
        "LOC-004",
        "LOC-101",
        "LOC-102",
        "LOC-103",
        "LOC-104",
    }
    _, only_amazon = api("/api/v1/stock/", raw, location="LOC-101", sku="LB-SER-001")
    assert {r["location"] for r in only_amazon["results"]} == {"LOC-101"}
    assert "310" in [r["quantity"] for r in only_amazon["results"] if r["lot"] == "API-T"]
    _, products = api("/api/v1/products/", raw, sku="LB-SER-001")
    assert products["results"][0]["cost"] == "14.20"
    # MedSupply sees none of it, and a location of another network is "not visible".
    med = token_for("admin@medsupply.example")
    assert api("/api/v1/stock/", med)[1]["count"] == 0
    response, body = api("/api/v1/stock/", med, location="LOC-101")
    _problem(response, body, 400)
    assert body["invalid_params"][0]["name"] == "location"


@pytest.mark.parametrize(
    "params, name",
    [
        ({"page": "0"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page_size": "1000"}, "page_size"),
        ({"kind": "SPACESHIP"}, "kind"),
    ],
)
def test_bad_parameters_are_400_problems(api, token_for, params, name):
    response, body = api("/api/v1/locations/", token_for("super@luxebond.example"), **params)
    _problem(response, body, 400)
    assert body["invalid_params"][0]["name"] == name


def test_page_past_the_end_is_404_and_writes_are_405(api, token_for, client):
    raw = token_for("super@luxebond.example")
    _problem(*api("/api/v1/locations/", raw, page="99"), 404)
    response = client.post("/api/v1/locations/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 405 and response["Allow"] == "GET, HEAD"


def test_pagination_links_and_constant_queries(api, token_for, demo):
    raw = token_for("super@luxebond.example")
    with CaptureQueriesContext(connection) as small:
        api("/api/v1/locations/", raw, page_size=5)
    operator = demo.org("ORG-003")
    Location.objects.bulk_create(
        Location(code=f"LOC-9{i:02d}", name=f"Bulk {i}", operator=operator) for i in range(40)
    )
    with CaptureQueriesContext(connection) as big:
        response, body = api("/api/v1/locations/", raw, page_size=5, page=2)
    assert len(big.captured_queries) <= len(small.captured_queries)
    assert body["page"] == 2 and len(body["results"]) == 5
    assert "page=3" in body["next"] and "page=1" in body["previous"]
