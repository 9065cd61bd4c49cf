import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics.forecasting import abc_classes, advanced_forecast, basic_forecast
from analytics.selectors import month_starts
from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind, Product

from ..personas import emails

PAGES = [
    "/analytics/forecast/",
    "/analytics/abc/",
    "/analytics/forecast/advanced/",
    "/analytics/advanced/",
]
FREE = emails(plan="FREE")
PRO = emails(plan="PRO")
ENTERPRISE = emails(plan="ENTERPRISE")


def _at(month: dt.date, day: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month.replace(day=day), dt.time(12)))


def _history(product, location, monthly: list[int], kind=MovementKind.SHIPMENT, tag="h"):
    """Opening stock 14 months back, then one outflow per complete month (oldest first)."""
    starts = month_starts(len(monthly))
    owner_id = product.owner_id
    stock_post(
        scope=None,
        postings=[Posting(owner_id, product.pk, location.pk, Decimal(100_000))],
        kind=MovementKind.OPENING,
        idempotency_key=f"test-{tag}-open-{product.pk}-{location.pk}",
        occurred_at=_at(month_starts(len(monthly) + 2)[0]),
    )
    for month, units in zip(starts, monthly, strict=True):
        if units:
            stock_post(
                scope=None,
                postings=[Posting(owner_id, product.pk, location.pk, Decimal(-units))],
                kind=kind,
                idempotency_key=f"test-{tag}-{product.pk}-{location.pk}-{month}",
                occurred_at=_at(month),
            )


@pytest.fixture
def luxe_history(demo):
    """ORG-003 demand: LB-SER-001 at internal LOC-001, LB-CRM-001 at Amazon's LOC-101.

    The demo seed writes 12 months of history for every org; this fixture replaces it with a
    known one, inside the test's rolled-back transaction, so the figures can be asserted.
    """
    from inventory.models import StockMovement

    StockMovement.objects.all().delete()
    owner = demo.org("ORG-003")
    serum = Product.objects.get(owner=owner, sku="LB-SER-001")
    cream = Product.objects.get(owner=owner, sku="LB-CRM-001")
    _history(serum, demo.loc("LOC-001"), [90, 110] * 6)
    _history(cream, demo.loc("LOC-101"), [10] * 12)
    # Not demand: a transfer out and an adjustment never count.
    _history(serum, demo.loc("LOC-002"), [5000] * 12, kind=MovementKind.TRANSFER_OUT, tag="t")
    return serum, cream


# --- maths -------------------------------------------------------------------------------


def test_basic_forecast_is_the_rolling_average_with_safety_stock_and_reorder_point():
    f = basic_forecast([90, 110] * 6, lead_time_days=30, z=1.6449)
    assert f.monthly_average == 100
    assert f.monthly_std == 10
    assert round(f.safety_stock, 2) == 16.33  # 1.6449 · 10 · √(30 / 30.4375)
    assert round(f.reorder_point, 1) == round(100 / 30.4375 * 30 + f.safety_stock, 1)
    assert basic_forecast([], lead_time_days=30, z=1.6).reorder_point == 0


def test_holt_winters_finds_the_season_and_the_trend():
    # 36 months: level 100, +2 per month, a December peak of +60 (window starts in January).
    series = [100 + 2 * t + (60 if t % 12 == 11 else 0) for t in range(36)]
    f = advanced_forecast(series, horizon=3)
    assert f.method.startswith("Holt-Winters")
    assert f.peak_month_offset == 11
    assert 1.0 < f.trend_per_month < 3.0
    # Next three months are Jan–Mar of year 4: about 172, 174, 176 with no peak.
    assert all(abs(got - want) < 12 for got, want in zip(f.forecast, [172, 174, 176], strict=True))


def test_short_history_falls_back_to_holt_and_no_history_gives_nothing():
    f = advanced_forecast([0, 0, 10, 12, 14, 16, 18], horizon=2)
    assert f.method == "Holt (trend)" and f.peak_month_offset is None
    assert f.forecast[0] > 18
    assert advanced_forecast([0] * 36) is None
    assert advanced_forecast([0, 0, 5, 6]) is None  # fewer than three months with history


def test_abc_classes_follow_the_pareto_thresholds():
    assert abc_classes({1: 800, 2: 150, 3: 50}) == {1: "A", 2: "B", 3: "C"}
    assert abc_classes({1: 10, 2: 10}) == {1: "A", 2: "A"}
    assert abc_classes({}) == {}


# --- gates -------------------------------------------------------------------------------


@pytest.mark.parametrize("email", FREE + PRO + ENTERPRISE)
def test_tier_gates(login, email):
    client = login(email)
    expected = {
        "/analytics/forecast/": 403 if email in FREE else 200,
        "/analytics/abc/": 403 if email in FREE else 200,
        "/analytics/forecast/advanced/": 200 if email in ENTERPRISE else 403,
        "/analytics/advanced/": 200 if email in ENTERPRISE else 403,
    }
    for url, status in expected.items():
        response = client.get(url)
        assert response.status_code == status, (email, url)
        if status == 403:
            body = response.content.decode()
            assert 'data-testid="upgrade-required"' in body
            plan = "PRO" if url in ("/analytics/forecast/", "/analytics/abc/") else "ENTERPRISE"
            assert f"Upgrade to {plan}" in body


def test_pro_with_the_forecasting_add_on_gets_advanced_forecasting_only(login, demo):
    org = demo.org("ORG-201")
    org.advanced_forecasting_addon = True
    org.save(update_fields=["advanced_forecasting_addon"])
    client = login("admin@packagepro.example")
    assert client.get("/analytics/forecast/advanced/").status_code == 200
    assert client.get("/analytics/advanced/").status_code == 403


# --- isolation and figures ---------------------------------------------------------------


def _skus(html: str) -> set[str]:
    return set(re.findall(r'class="code">(LB-[A-Z]+-\d+)<', html))


@pytest.mark.parametrize(
    "email, expected",
    [
        ("super@luxebond.example", {"LB-SER-001", "LB-CRM-001"}),
        ("admin@dist.luxebond.example", {"LB-SER-001", "LB-CRM-001"}),
        ("member@dist.luxebond.example", {"LB-SER-001"}),  # rights at LOC-001 only
        ("admin@mfg.luxebond.example", set()),  # a sibling subsidiary
        ("admin@packagepro.example", set()),
        ("admin@medsupply.example", set()),
    ],
)
def test_forecast_and_abc_show_only_the_viewers_demand(login, luxe_history, email, expected):
    client = login(email)
    for url in ("/analytics/forecast/", "/analytics/abc/", "/analytics/forecast/advanced/"):
        response = client.get(url)
        if response.status_code == 403:
            continue
        html = response.content.decode()
        assert _skus(html) == expected, (email, url)
        if not expected:
            assert 'class="empty"' in html


def test_forecast_page_figures(login, luxe_history):
    html = login("admin@dist.luxebond.example").get("/analytics/forecast/?lead_time=30").content
    html = html.decode()
    row = re.search(r"LB-SER-001.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    # avg 100/month, σ 10, safety 16, reorder point 115; transfers are not demand.
    assert cells[1:6] == ["ORG-003", "100.0", "100", "10.0", "16"]
    assert ">115<" in row
    assert "14.20" not in html  # the owner's cost is not on analytics pages


def test_forecast_rejects_bad_parameters_with_a_400(login):
    client = login("admin@packagepro.example")
    for query in ("lead_time=0", "lead_time=abc", "service_level=42", "lead_time=366"):
        response = client.get(f"/analytics/forecast/?{query}")
        assert response.status_code == 400, query
        assert "errorlist" in response.content.decode()


def test_abc_page_ranks_by_value(login, luxe_history):
    html = login("admin@dist.luxebond.example").get("/analytics/abc/").content.decode()
    # LB-SER-001: 1,200 units × $58 (90 % of value) → A; LB-CRM-001 starts at 90 % → B.
    classes = re.findall(r'data-testid="abc-class">([ABC])<', html)
    assert classes == ["A", "B"]
    assert html.index("LB-SER-001") < html.index("LB-CRM-001")


def test_network_analytics_supplier_performance(login, demo_po):
    html = login("admin@mfg.luxebond.example").get("/analytics/advanced/").content.decode()
    table = re.search(r'data-testid="supplier-table".*?</table>', html, re.S).group(0)
    for code in ("ORG-201", "ORG-202", "ORG-203", "ORG-204"):
        assert code in table
    assert "ORG-205" not in table  # its PO is still a draft
    # MedSupply's network has sent no PO: empty state, nothing of LUXE BOND.
    other = login("admin@medsupply.example").get("/analytics/advanced/").content.decode()
    assert "No purchase orders sent yet." in other and "ORG-201" not in other


def test_forecast_query_count_does_not_grow_with_products(
    login, demo, django_assert_max_num_queries
):
    owner = demo.org("ORG-003")
    location = demo.loc("LOC-003")

    def add(n, offset):
        for i in range(offset, offset + n):
            p = Product.objects.create(owner=owner, sku=f"QC-{i:03d}", name=f"QC {i}", price=1)
            _history(p, location, [0] * 10 + [i + 1, 1], tag="qc")

    client = login("admin@dist.luxebond.example")
    add(2, 0)
    with CaptureQueriesContext(connection) as small:
        client.get("/analytics/forecast/")
        client.get("/analytics/abc/")
    add(55, 100)
    with django_assert_max_num_queries(len(small.captured_queries)):
        forecast = client.get("/analytics/forecast/")
        client.get("/analytics/abc/")
    assert "Page 1 of 2" in forecast.content.decode()
