"""Two requests at the same moment: the advisory lock per buyer gives distinct numbers, and the
same form key still creates one purchase order."""

import threading
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection

from inventory.models import Product
from orgs.access import scope_for_org_as_role
from orgs.models import Location, Organization
from procurement import services
from procurement.models import PurchaseOrder

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    ProductFactory,
    child_org,
    purchase_order,
    supplier_partnership,
)

pytestmark = pytest.mark.django_db(transaction=True)


@dataclass
class Buyer:
    org: Organization  # a network's manufacturing subsidiary
    supplier: Organization  # its SUPPLIER partner
    plant: Location
    material: Product


@pytest.fixture
def buyer() -> Buyer:
    org = child_org(OrganizationFactory(root=True), org_type="MANUFACTURER")
    supplier = OrganizationFactory(org_type="SUPPLIER")
    supplier_partnership(org, supplier)
    plant = LocationFactory(operator=org)
    return Buyer(org, supplier, plant, ProductFactory(owner=org, sku="RM-VITC-001"))


def _create_concurrently(buyer: Buyer, keys: list[str]) -> list:
    supplier, ship_to, product = buyer.supplier, buyer.plant, buyer.material
    scope = scope_for_org_as_role(buyer.org)
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


def test_concurrent_creations_get_distinct_numbers(buyer):
    # One purchase order already: the next numbers follow it.
    purchase_order(
        buyer=buyer.org,
        supplier=buyer.supplier,
        ship_to=buyer.plant,
        lines=[(buyer.material, 1, 1)],
    )
    before = PurchaseOrder.objects.filter(buyer=buyer.org).count()
    assert before == 1
    results = _create_concurrently(buyer, [f"race-{n}" for n in range(4)])
    numbers = sorted(number for number, _ in results)
    assert numbers == [f"PO-{before + n:06d}" for n in range(1, 5)]


def test_the_same_form_submitted_twice_at_once_creates_one_po(buyer):
    results = _create_concurrently(buyer, ["same-key", "same-key", "same-key"])
    assert len({number for number, _ in results}) == 1
    assert sorted(created for _, created in results) == [False, False, True]
    assert PurchaseOrder.objects.filter(request_key="same-key").count() == 1
