"""Two requests at the same moment: the advisory lock per buyer gives distinct numbers, and the
same form key still creates one purchase order."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import Product
from orgs.access import scope_for_org_as_role
from orgs.models import Location, Organization
from procurement import services
from procurement.models import PurchaseOrder

pytestmark = pytest.mark.django_db(transaction=True)


def _create_concurrently(keys: list[str]) -> list:
    buyer = Organization.objects.get(code="ORG-002")
    supplier = Organization.objects.get(code="ORG-202")
    ship_to = Location.objects.get(code="LOC-005")
    product = Product.objects.get(owner=buyer, sku="RM-VITC-001")
    scope = scope_for_org_as_role(buyer)
    barrier = threading.Barrier(len(keys))
    results, errors = [], []

    def worker(key: str) -> None:
        try:
            barrier.wait()
            po, created = services.purchase_order_create(
                scope=scope,
                supplier_org=supplier,
                ship_to=ship_to,
                lines=[services.LineInput(product, Decimal(1), Decimal(1))],
                request_key=key,
            )
            results.append((po.number, created))
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    return results


def test_concurrent_creations_get_distinct_numbers():
    before = PurchaseOrder.objects.filter(buyer__code="ORG-002").count()
    results = _create_concurrently([f"race-{n}" for n in range(4)])
    numbers = sorted(number for number, _ in results)
    assert numbers == [f"PO-{before + n:06d}" for n in range(1, 5)]


def test_the_same_form_submitted_twice_at_once_creates_one_po():
    results = _create_concurrently(["same-key", "same-key", "same-key"])
    assert len({number for number, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, True]
    assert PurchaseOrder.objects.filter(request_key="same-key").count() == 1
