"""Concurrency against PostgreSQL: many threads post to the same balance, and many threads post
with the same idempotency key; the final balance is exact and each key posts once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection

from inventory.ledger import InsufficientStock, Posting, stock_post
from inventory.models import LedgerBatch, StockBalance, StockMovement

from ..factories import LocationFactory, OrganizationFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)
THREADS = 8


def _run(n, target):
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    close_old_connections()
    return errors


def _setup():
    """A PRO organization's new product at its own warehouse, no stock yet."""
    owner = OrganizationFactory(plan_tier="PRO")
    product = ProductFactory(owner=owner, sku="CONC-1", name="Concurrent", price=1)
    location = LocationFactory(operator=owner)
    return owner, product, location


def test_many_threads_same_balance_exact(db):
    owner, product, location = _setup()
    stock_post(
        scope=None,
        postings=[Posting(owner.pk, product.pk, location.pk, Decimal(100))],
        kind="RECEIPT",
        idempotency_key="conc-open",
    )
    per_thread = 10

    def target(i):
        for j in range(per_thread):
            q = Decimal(3) if (i + j) % 2 else Decimal(-2)
            stock_post(
                scope=None,
                postings=[Posting(owner.pk, product.pk, location.pk, q)],
                kind="ADJUSTMENT",
                idempotency_key=f"conc-{i}-{j}",
            )

    assert _run(THREADS, target) == []
    expected = 100 + sum(
        3 if (i + j) % 2 else -2 for i in range(THREADS) for j in range(per_thread)
    )
    balance = StockBalance.objects.get(product=product, location=location)
    assert balance.quantity == expected
    assert StockMovement.objects.filter(product=product).count() == 1 + THREADS * per_thread


def test_same_idempotency_key_posts_once(db):
    owner, product, location = _setup()
    results = []

    def target(i):
        _, created = stock_post(
            scope=None,
            postings=[Posting(owner.pk, product.pk, location.pk, Decimal(7))],
            kind="RECEIPT",
            idempotency_key="same-key",
        )
        results.append(created)

    assert _run(THREADS, target) == []
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert LedgerBatch.objects.filter(idempotency_key="same-key").count() == 1
    assert StockBalance.objects.get(product=product, location=location).quantity == 7


def test_concurrent_withdrawals_never_overdraw(db):
    owner, product, location = _setup()
    stock_post(
        scope=None,
        postings=[Posting(owner.pk, product.pk, location.pk, Decimal(5))],
        kind="RECEIPT",
        idempotency_key="od-open",
    )
    refused = []

    def target(i):
        try:
            stock_post(
                scope=None,
                postings=[Posting(owner.pk, product.pk, location.pk, Decimal(-1))],
                kind="SHIPMENT",
                idempotency_key=f"od-{i}",
            )
        except InsufficientStock:
            refused.append(i)

    assert _run(THREADS, target) == []
    assert len(refused) == THREADS - 5
    assert StockBalance.objects.get(product=product, location=location).quantity == 0


def test_simultaneous_transfer_submits_create_one_and_no_500(db):
    """Sixteen identical submits of one transfer form (one key) at the same moment: one
    transfer, stock moved once, and every request is sent to that transfer (no 500)."""
    from django.test import Client

    from inventory.models import Transfer

    from ..factories import admin_of, logged_in
    from ..threads import run_together

    owner = OrganizationFactory(plan_tier="ENTERPRISE")
    product = ProductFactory(owner=owner, sku="CONC-T", name="Twin", price=1)
    src, dst = LocationFactory(operator=owner), LocationFactory(operator=owner)
    stock_post(
        scope=None,
        postings=[Posting(owner.pk, product.pk, src.pk, Decimal(10))],
        kind="RECEIPT",
        idempotency_key="twin-open",
    )
    admin = admin_of(owner)
    clients = [logged_in(Client(), admin) for _ in range(16)]
    data = {
        "from_location": src.code,
        "to_location": dst.code,
        "product": product.public_id,
        "quantity": "6",  # more than half: a second dispatch would be refused, not posted
        "key": "twin-key",
    }

    def submit(i):
        response = clients[i].post("/inventory/transfers/new/", data)
        return response.status_code, response.get("Location")

    results, errors = run_together(16, submit)
    assert errors == []
    transfer = Transfer.objects.get(owner=owner)
    assert results == [(302, f"/inventory/transfers/{transfer.public_id}/")] * 16
    assert StockBalance.objects.get(product=product, location=src).quantity == 4
    assert LedgerBatch.objects.filter(idempotency_key__endswith=":twin-key").count() == 1
