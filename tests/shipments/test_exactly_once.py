"""Exactly-once receipt posting against PostgreSQL: N threads (own connections) and N
processes confirm the same ASN at the same moment, with the same and with different keys."""

from __future__ import annotations

import multiprocessing
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from inventory.models import LedgerBatch, StockMovement
from shipments.models import ASN, Receipt
from shipments.services import receipts as receipt_services

from .conftest import on_hand

pytestmark = [pytest.mark.django_db(transaction=True)]

N = 8


def _lines(net):
    return [(net.serum, 100, "L1"), (net.cream, 60, "L2"), (net.sun, 30, "")]


def _confirm(asn_id: int, key: str, user_id: int) -> str:
    """Confirm as `user_id` (the 3PL's admin), 5 short on the first line."""
    from django.contrib.auth import get_user_model

    from orgs.access import scope_for_user

    scope = scope_for_user(get_user_model().objects.get(pk=user_id))
    asn = ASN.objects.get(pk=asn_id)
    lines = [
        receipt_services.ReceivedLine(
            asn_line_id=line.pk,
            received_quantity=line.expected_quantity - (5 if i == 0 else 0),
            reason_code="SHORT" if i == 0 else "",
        )
        for i, line in enumerate(asn.lines.order_by("id"))
    ]
    try:
        _, created = receipt_services.asn_confirm_receipt(
            scope=scope, asn=asn, lines=lines, idempotency_key=key
        )
        return "created" if created else "replayed"
    except ValidationError as exc:
        return "refused: " + " ".join(exc.messages)


def _run_threads(asn_id: int, keys: list[str], user_id: int) -> list[str]:
    barrier = threading.Barrier(len(keys))
    results: list[str] = [""] * len(keys)

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = _confirm(asn_id, keys[i], user_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(keys))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _assert_posted_once(net, asn: ASN) -> None:
    assert Receipt.objects.filter(asn=asn).count() == 1
    batches = LedgerBatch.objects.filter(reference=asn.number, kind="RECEIPT")
    assert batches.count() == 1
    assert StockMovement.objects.filter(batch__in=batches).count() == len(_lines(net))
    assert on_hand(net.fba, net.serum, lot="L1") == Decimal(95)
    assert on_hand(net.fba, net.cream, lot="L2") == Decimal(60)
    assert on_hand(net.fba, net.sun, lot="") == Decimal(30)
    assert asn.shipment.cases.count() == 1


@pytest.mark.parametrize("same_key", [True, False], ids=["same-key", "different-keys"])
def test_threads_confirming_the_same_asn_post_once(net, shipped, same_key):
    shipment = shipped(net.dallas, net.fba, _lines(net))
    asn = shipment.asn
    keys = ["double-click"] * N if same_key else [f"client-{i}" for i in range(N)]
    results = _run_threads(asn.pk, keys, net.amazon_admin.pk)
    assert results.count("created") == 1, results
    if same_key:
        assert results.count("replayed") == N - 1, results
    else:
        refused = [r for r in results if r.startswith("refused")]
        assert len(refused) == N - 1 and all("already received" in r for r in refused), results
    _assert_posted_once(net, asn)


def _process_main(asn_id: int, key: str, user_id: int, queue) -> None:
    # A forked child must not share the parent's socket: open its own connection.
    connections.close_all()
    try:
        queue.put(_confirm(asn_id, key, user_id))
    finally:
        connections.close_all()


def test_processes_confirming_the_same_asn_post_once(net, shipped):
    shipment = shipped(net.dallas, net.fba, _lines(net))
    asn = shipment.asn
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    procs = [
        ctx.Process(
            target=_process_main, args=(asn.pk, f"proc-{i % 2}", net.amazon_admin.pk, queue)
        )
        for i in range(N)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    results = [queue.get(timeout=5) for _ in procs]
    assert results.count("created") == 1, results
    assert all(r in ("created", "replayed") or "already received" in r for r in results), results
    _assert_posted_once(net, asn)


def test_an_already_received_asn_is_refused_clearly(net, shipped):
    shipment = shipped(net.dallas, net.fba, _lines(net))
    user_id = net.amazon_admin.pk
    assert _confirm(shipment.asn.pk, "first", user_id) == "created"
    message = _confirm(shipment.asn.pk, "second", user_id)
    assert message.startswith("refused") and "already received" in message
    _assert_posted_once(net, shipment.asn)
