"""CSV injection: every CSV export neutralises formula cells, and no export can skip the list.

Hostile names (OWASP's examples) are planted where a tenant or its partner controls text that
an export writes: product names and lots, organization names, location codes and names. Each
export is downloaded as a persona that sees those rows and read back with csv.reader: no cell
may start with a formula character unless it is a number the code wrote (a negative quantity
stays a number). The guard at the end fails when a new `csv_response` call site (or a direct
`csv.writer`) appears that this list does not know about.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest

from core.exports import FORMULA_PREFIXES, csv_cell, csv_response, money, plain_number

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ("=cmd|' /C calc'!A0", "+1", "@SUM(1)", "-2+3", "\t=1", "\r=1+1")
CODE_PREFIXES = ("=1+", "+1 ", "@A1 ", "-2+", "\t=")
# A number the code wrote (a quantity, an amount): the only cells allowed a leading "-".
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")

# (persona, URL) of every CSV export; the guard below keeps this list complete.
EXPORTS = [
    ("super@luxebond.example", "/billing/statement.csv"),
    ("admin@dist.luxebond.example", "/inventory/?format=csv"),
    ("admin@dist.luxebond.example", "/inventory/expiring/?days=3650&format=csv"),
    ("admin@dist.luxebond.example", "/inventory/reports/snapshot/?format=csv"),
    ("admin@dist.luxebond.example", "/inventory/reports/valuation/?format=csv"),
    ("admin@dist.luxebond.example", "/asns/receipts/?format=csv"),
    ("ops@amazon.example", "/asns/storage-fees/?format=csv"),
    # The partner's side of the same exports: the owner's hostile names reach it too.
    ("ops@amazon.example", "/inventory/?format=csv"),
]

# Every module that answers with a CSV, and how many `csv_response(` calls it makes. A new
# export adds its URL to EXPORTS above and its count here.
CSV_CALL_SITES = {
    "billing/views.py": 1,
    "inventory/exports.py": 1,  # _stream: stock, expiring, snapshot, valuation
    # The audit log (/network/audit/export/): its hostile-name test is in
    # tests/orgs/test_audit_log.py (the events must exist first).
    "orgs/views.py": 1,
    "shipments/views.py": 2,  # receipt history, storage fees
}


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _plant_hostile_names(demo) -> None:
    from inventory.models import Product, StockBalance
    from orgs.models import Location, Organization

    def hostile(i: int) -> str:
        return HOSTILE[i % len(HOSTILE)]

    for i, product in enumerate(Product.objects.order_by("pk")):
        product.name = hostile(i)
        product.save(update_fields=["name"])
    for i, org in enumerate(Organization.objects.order_by("pk")):
        org.name = f"{hostile(i)} {org.name}"[:200]
        org.save(update_fields=["name"])
    for i, location in enumerate(Location.objects.order_by("pk")):
        # Codes lead the "from"/"to" cells of the receipt history.
        location.code = f"{CODE_PREFIXES[i % len(CODE_PREFIXES)]}{location.code}"
        location.name = hostile(i + 1)
        location.save(update_fields=["code", "name"])
    for i, balance in enumerate(StockBalance.objects.exclude(lot="").order_by("pk")[:50]):
        balance.lot = hostile(i)
        balance.save(update_fields=["lot"])


@pytest.mark.parametrize(("email", "url"), EXPORTS)
def test_no_export_writes_a_live_formula(login, demo, email, url):
    _plant_hostile_names(demo)
    response = login(email).get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(_body(response), newline="")))
    assert len(rows) > 1, f"{url}: no rows to check"
    cells = [cell for row in rows for cell in row]
    live = [c for c in cells if c.startswith(FORMULA_PREFIXES) and not NUMBER.match(c)]
    assert live == [], url
    # The planted names did reach this export, quoted.
    planted = HOSTILE + CODE_PREFIXES
    assert any(c.startswith("'") and c[1:].startswith(planted) for c in cells), url


def test_numbers_stay_numbers_and_text_that_looks_like_one_does_not():
    response = csv_response(
        "n.csv",
        ["sku", "quantity", "amount", "note"],
        [
            ["-2+3", Decimal("-5"), money(Decimal("-12.5")), "-12.50"],
            ["@SUM(1)", plain_number(Decimal("-1200.000")), -3, "\t=1"],
            ["=cmd|' /C calc'!A0", 4.5, None, "ok"],
        ],
    )
    rows = list(csv.reader(io.StringIO(response.content.decode(), newline="")))
    assert rows[1:] == [
        ["'-2+3", "-5", "-12.50", "'-12.50"],
        ["'@SUM(1)", "-1200", "-3", "'\t=1"],
        ["'=cmd|' /C calc'!A0", "4.5", "", "ok"],
    ]


def test_csv_cell_decides_by_type():
    assert csv_cell("+1") == "'+1"
    assert csv_cell("\r=1") == "'\r=1"
    assert csv_cell("plain") == "plain"
    assert csv_cell(Decimal("-5")) == Decimal("-5")
    assert csv_cell(plain_number(Decimal("-5.500"))) == "-5.5"
    assert csv_cell(-7) == -7


def _python_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench"} or "migrations" in rel.parts:
            continue
        yield rel.as_posix(), path.read_text()


def test_every_csv_export_is_in_the_list():
    calls = {}
    for rel, text in _python_files():
        if rel == "core/exports.py":
            continue
        count = len(re.findall(r"\bcsv_response\(", text))
        if count:
            calls[rel] = count
        # One writer: nothing else builds CSV or answers text/csv by hand.
        assert "csv.writer" not in text and "csv.DictWriter" not in text, rel
        # core/uploads.py names text/csv as the type of an uploaded evidence file it hands back.
        assert "text/csv" not in text or rel == "core/uploads.py", rel
    assert calls == CSV_CALL_SITES, (
        "A CSV export was added or removed: list its URL in EXPORTS and its module in "
        "CSV_CALL_SITES (tests/core/test_csv_exports.py)."
    )


def test_exports_list_covers_every_csv_url():
    """Each URL named by a `format=csv` branch or a `.csv` route is in EXPORTS."""
    listed = {url.split("?")[0] for _, url in EXPORTS}
    assert {
        "/billing/statement.csv",
        "/inventory/",
        "/inventory/expiring/",
        "/inventory/reports/snapshot/",
        "/inventory/reports/valuation/",
        "/asns/receipts/",
        "/asns/storage-fees/",
    } <= listed
    branches = sum(text.count('== "csv"') for rel, text in _python_files() if rel.endswith(".py"))
    # stock list, expiring, snapshot, valuation, receipt history, storage fees, statement
    assert branches == 7, "a new CSV branch: add its URL to EXPORTS"
