"""Ledger invariants with hypothesis: for random sequences of postings, balances equal the sum
of movements, never go negative where the location forbids it, and the snapshot at a date
equals replaying the ledger to that date."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory import selectors
from inventory.ledger import InsufficientStock, Posting, stock_post
from inventory.models import StockBalance, StockMovement

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    ProductFactory,
    admin_of,
    scope_of_user,
)

_counter = itertools.count()

posting = st.tuples(
    st.integers(min_value=0, max_value=2),  # product index
    st.integers(min_value=0, max_value=1),  # location: 0 forbids negative, 1 allows it
    st.sampled_from(["", "LOT-A", "LOT-B"]),
    st.integers(min_value=-40, max_value=40).filter(lambda q: q != 0),
    st.integers(min_value=0, max_value=30),  # days ago it happened
)
batches = st.lists(st.lists(posting, min_size=1, max_size=3), min_size=1, max_size=12)
EXPIRY = {"": None, "LOT-A": dt.date(2030, 1, 31), "LOT-B": dt.date(2030, 6, 30)}


@pytest.fixture
def world(db):
    """A PRO organization with three products, a location that forbids negative stock and one
    that allows it, and its admin."""
    owner = OrganizationFactory(plan_tier="PRO")
    products = [ProductFactory(owner=owner, sku=f"HYP-{i}", name=f"Hyp {i}") for i in range(3)]
    strict = LocationFactory(code="LOC-HYP1", name="Strict", operator=owner)
    loose = LocationFactory(
        code="LOC-HYP2", name="Loose", operator=owner, allow_negative_stock=True
    )
    return owner, products, [strict, loose]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(sequence=batches)
def test_balances_equal_movements_and_snapshot_replays(world, sequence):
    owner, products, locations = world
    ids = {p.pk for p in products}
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    history: list[tuple[dt.datetime, tuple, Decimal]] = []
    now = timezone.now()
    with transaction.atomic():
        sid = transaction.savepoint()
        for lines in sequence:
            days_ago = lines[0][4]
            when = now - dt.timedelta(days=days_ago)
            postings = [
                Posting(owner.pk, products[p].pk, locations[loc].pk, Decimal(q), lot, EXPIRY[lot])
                for p, loc, lot, q, _ in lines
            ]
            trial = defaultdict(Decimal, expected)
            for x in postings:
                trial[x.key] += x.quantity
            would_go_negative = any(
                trial[x.key] < 0 and x.location_id == locations[0].pk for x in postings
            )
            try:
                stock_post(
                    scope=None,
                    postings=postings,
                    kind="ADJUSTMENT",
                    idempotency_key=f"hyp-{next(_counter)}",
                    occurred_at=when,
                )
            except InsufficientStock:
                assert would_go_negative
                continue
            assert not would_go_negative
            expected = trial
            history += [(when, x.key, x.quantity) for x in postings]

        balances = StockBalance.objects.filter(product_id__in=ids)
        for b in balances:
            key = (b.owner_id, b.product_id, b.location_id, b.lot, b.expiry or dt.date.min)
            assert b.quantity == expected[key]
            moved = sum(
                StockMovement.objects.filter(
                    owner_id=b.owner_id,
                    product_id=b.product_id,
                    location_id=b.location_id,
                    lot=b.lot,
                    expiry=b.expiry,
                ).values_list("quantity", flat=True),
                Decimal(0),
            )
            assert b.quantity == moved
            if b.location_id == locations[0].pk:
                assert b.quantity >= 0
        # Snapshot at a past date = the ledger replayed to the end of that day.
        scope = scope_of_user(admin_of(owner))
        for days_ago in (30, 10, 0):
            day = (now - dt.timedelta(days=days_ago)).date()
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
            replay: dict[tuple, Decimal] = defaultdict(Decimal)
            for when, key, q in history:
                if when < end:
                    replay[(key[1], key[2], key[3])] += q
            snap = {
                (r["product__sku"], r["location__code"], r["lot"]): r["units"]
                for r in selectors.snapshot_at(scope, day)
                if r["product__sku"].startswith("HYP-")
            }
            by_code = {p.pk: p.sku for p in products}
            loc_code = {loc.pk: loc.code for loc in locations}
            want = {
                (by_code[p], loc_code[loc], lot): q for (p, loc, lot), q in replay.items() if q != 0
            }
            assert snap == want
        transaction.savepoint_rollback(sid)


def test_zero_and_empty_postings_are_refused(world):
    owner, products, locations = world
    with pytest.raises(ValidationError):
        stock_post(scope=None, postings=[], kind="ADJUSTMENT", idempotency_key="z1")
    with pytest.raises(ValidationError):
        stock_post(
            scope=None,
            postings=[Posting(owner.pk, products[0].pk, locations[0].pk, Decimal(0))],
            kind="ADJUSTMENT",
            idempotency_key="z2",
        )


def test_negative_refused_with_clear_message_and_nothing_written(world):
    owner, products, locations = world
    with pytest.raises(InsufficientStock, match="Not enough stock: 0 on hand, 5 requested"):
        stock_post(
            scope=None,
            postings=[
                Posting(owner.pk, products[1].pk, locations[1].pk, Decimal(3)),  # allowed location
                Posting(owner.pk, products[0].pk, locations[0].pk, Decimal(-5)),
            ],
            kind="ADJUSTMENT",
            idempotency_key="neg-1",
        )
    assert not StockMovement.objects.filter(product__in=products).exists()
    from inventory.models import LedgerBatch

    assert not LedgerBatch.objects.filter(idempotency_key="neg-1").exists()
