"""Bad input: a clear error and a 4xx, never a 500, and nothing written."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from inventory.models import LedgerBatch, Product, StockBalance
from orgs.models import Location

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    ProductFactory,
    StockBalanceFactory,
    admin_of,
    logged_in,
)


def _counts():
    return (Product.objects.count(), LedgerBatch.objects.count(), StockBalance.objects.count())


@dataclass
class World:
    admin: object
    here: Location  # holds a lot of the serum
    there: Location
    counted: Location  # holds another lot: a stock take has lines
    foreign: Location  # another organization's
    serum: Product


@pytest.fixture
def w(db) -> World:
    """An ENTERPRISE organization's admin, three of its locations, and serum in stock."""
    org = OrganizationFactory(plan_tier="ENTERPRISE")
    here, there, counted = LocationFactory.create_batch(3, operator=org)
    serum = ProductFactory(owner=org, sku="LB-SER-001")
    StockBalanceFactory(
        product=serum, location=here, quantity=50, lot="SER-L1", expiry=dt.date(2030, 1, 31)
    )
    StockBalanceFactory(product=serum, location=counted, quantity=20, lot="SER-L2")
    return World(admin_of(org), here, there, counted, LocationFactory(), serum)


@pytest.fixture
def serum(w):
    return w.serum


@pytest.fixture
def login(client, w):
    """The organization's admin, logged in (the demo persona `login(ADMIN)` was)."""
    return lambda: logged_in(client, w.admin)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"quantity": "-999999"}, "Not enough stock"),
        ({"quantity": "0"}, "other than zero"),
        ({"quantity": "abc"}, "Enter a number"),
        ({"product": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
        ({"location": "LOC-999"}, "Select a valid choice"),
        ({"location": "FOREIGN"}, "Select a valid choice"),  # another org's location
        ({"reason_code": "BECAUSE"}, "Select a valid choice"),
        ({"expiry": "31/02/2030"}, "Enter a valid date"),
    ],
)
def test_adjustment_bad_input(login, w, serum, changes, message):
    if changes.get("location") == "FOREIGN":
        changes = {"location": w.foreign.code}
    before = _counts()
    data = {
        "location": w.here.code,
        "product": serum.public_id,
        "quantity": "5",
        "reason_code": "FOUND",
        "key": "bad-1",
    } | changes
    r = login().post("/inventory/adjust/", data)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert _counts() == before


def test_an_adjustment_that_would_overflow_the_balance_is_refused(login, w, serum):
    """Found by a tenant-style attack: the third +99,999,999,999.999 adjustment pushed on-hand past
    numeric(14, 3) and answered 500 (numeric field overflow). It is a 400 with the figure."""
    StockBalance.objects.filter(product=serum, location=w.here).update(quantity="99999999990.000")
    before = _counts()
    data = {
        "location": w.here.code,
        "product": serum.public_id,
        "quantity": "99999999999.999",
        "reason_code": "FOUND",
        "lot": "SER-L1",
        "expiry": "2030-01-31",
        "key": "overflow-1",
    }
    r = login().post("/inventory/adjust/", data)
    assert r.status_code == 400
    assert "more than a balance can hold" in r.content.decode()
    assert _counts() == before


def test_wrong_expiry_for_a_known_lot_is_refused(login, w, serum):
    lot = StockBalance.objects.filter(product=serum, location=w.here).first()
    before = _counts()
    r = login().post(
        "/inventory/adjust/",
        {
            "location": w.here.code,
            "product": serum.public_id,
            "quantity": "5",
            "lot": lot.lot,
            "expiry": "2099-01-01",
            "reason_code": "FOUND",
            "key": "bad-lot",
        },
    )
    assert r.status_code == 400
    assert f"Lot {lot.lot} is already recorded with" in r.content.decode()
    assert _counts() == before


def test_unknown_sku_in_transfer_and_pick(login, w):
    c = login()
    r = c.post(
        "/inventory/transfers/new/",
        {
            "from_location": w.here.code,
            "to_location": w.there.code,
            "product": "not-a-uuid",
            "quantity": "1",
            "key": "x",
        },
    )
    assert r.status_code == 400 and "errorlist" in r.content.decode()
    r = c.get(f"/inventory/pick/?location={w.here.code}&product=nope&quantity=1")
    assert r.status_code == 400
    r = c.get(
        f"/inventory/pick/?location={w.here.code}"
        "&product=00000000-0000-0000-0000-000000000000&quantity=1"
    )
    assert r.status_code == 400 and "Choose one of your locations" in r.content.decode()


def test_transfer_more_than_on_hand(login, w, serum):
    from inventory.models import Transfer

    transfers = Transfer.objects.count()
    before = _counts()
    r = login().post(
        "/inventory/transfers/new/",
        {
            "from_location": w.here.code,
            "to_location": w.there.code,
            "product": serum.public_id,
            "quantity": "99999",
            "key": "too-much",
        },
    )
    assert r.status_code == 400
    assert f"Not enough LB-SER-001 at {w.here.code}" in r.content.decode()
    assert _counts() == before
    assert Transfer.objects.count() == transfers


@pytest.mark.parametrize(
    "content, message",
    [
        (b"sku,name,price\nA-1,Alpha,1.00\nB-1,,2.00\n", "Row 3"),
        (b"sku,name,price\nA-1,Alpha,-4\n", "price must be zero or more"),
        (b"sku,name,price\nA-1,Alpha,abc\n", "is not a number"),
        (b"sku,name,price\nA-1,Alpha,1\nA-1,Again,2\n", "appears twice"),
        (b"name,price\nAlpha,1\n", "Missing column(s): sku"),
        (b'sku,name,price\nA-1,"unterminated,1\n', "Nothing was imported"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"sku,name,price\n", "no product rows"),
        (b"sku,name,price\nA-1,Alpha,1,extra\n", "More values than columns"),
    ],
)
def test_malformed_csv_imports_nothing(login, content, message):
    before = _counts()
    r = login().post("/products/import/", {"file": SimpleUploadedFile("p.csv", content)})
    assert r.status_code == 400
    text = r.content.decode()
    assert message.replace("(", "(").split(" ")[0] in text or message in text
    assert "Nothing was imported" in text
    assert _counts() == before


def test_huge_csv_is_refused(login):
    before = _counts()
    big = b"sku,name,price\n" + b"X-1,Name,1\n" * 300_000  # ~3.3 MB
    r = login().post("/products/import/", {"file": SimpleUploadedFile("big.csv", big)})
    assert r.status_code == 400 and "larger than 2048 KB" in r.content.decode()
    assert _counts() == before


def test_bad_report_and_filter_dates_are_400(login):
    c = login()
    for url in (
        "/inventory/?expiring_before=tomorrow",
        "/inventory/reports/snapshot/?date=2024-13-01",
        "/inventory/expiring/?days=lots",
    ):
        r = c.get(url)
        assert r.status_code == 400, url
        assert "errorlist" in r.content.decode()


def test_negative_count_refused(login, w):
    c = login()
    url = c.post("/inventory/counts/new/", {"location": w.counted.code, "kind": "STOCK_TAKE"})[
        "Location"
    ]
    from inventory.models import StockCount

    count = StockCount.objects.get(public_id=url.rstrip("/").split("/")[-1])
    line = count.lines.first()
    r = c.post(url, {f"line-{line.pk}": "-4", "action": "post"})
    assert r.status_code == 400 and "cannot be negative" in r.content.decode()
    r = c.post(url, {f"line-{line.pk}": "NaN", "action": "post"})
    assert r.status_code == 400 and "is not a number" in r.content.decode()
    count.refresh_from_db()
    assert count.status == "OPEN" and count.batch is None
