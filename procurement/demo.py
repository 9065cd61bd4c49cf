"""Demo purchase orders: LUXE BOND Manufacturing (ORG-002) buys raw materials from its five
suppliers (ORG-201..205), delivered to the Fort Worth plant (LOC-005).

Raw materials and packaging are ORG-002's own catalog (inventory/demo.py). Everything goes through the
services, so the demo data carries audit events like real data; every step is idempotent.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from inventory.models import Product
from orgs.access import scope_for_org_as_role
from orgs.models import Location, Organization, Role

from . import services
from .models import POStatus, PurchaseOrder

BUYER = "ORG-002"
SHIP_TO = "LOC-005"

# POs reference LUXE BOND Manufacturing's catalog, seeded by inventory/demo.py (MFG_CATALOG).

ORDERS = [
    # request key, supplier, lines (sku, qty, unit price), days until expected, final status
    ("demo-po-1", "ORG-201", [("PK-BOX-030", "5000", "0.42")], 21, POStatus.ACKNOWLEDGED),
    (
        "demo-po-2",
        "ORG-202",
        [("RM-VITC-001", "50", "38.00"), ("RM-HYAL-001", "10", "92.50")],
        14,
        POStatus.SENT,
    ),
    ("demo-po-3", "ORG-203", [("RM-ROSE-001", "40", "62.00")], 7, POStatus.CLOSED),
    ("demo-po-4", "ORG-204", [("PK-PMP-030", "10000", "0.31")], 30, POStatus.SENT),
    ("demo-po-5", "ORG-205", [("PK-LBL-001", "20", "85.00")], 28, POStatus.DRAFT),
]


def seed(stdout=None) -> None:
    buyer = Organization.objects.get(code=BUYER)  # unscoped: the seed builds the world
    products = {p.sku: p for p in Product.objects.filter(owner=buyer)}
    ship_to = Location.objects.get(code=SHIP_TO)
    buyer_scope = scope_for_org_as_role(buyer, Role.ORG_ADMIN)
    today = timezone.localdate()
    for key, supplier_code, lines, days, final in ORDERS:
        supplier = Organization.objects.get(code=supplier_code)
        po, _ = services.purchase_order_create(
            scope=buyer_scope,
            supplier_org=supplier,
            ship_to=ship_to,
            expected_date=today + dt.timedelta(days=days),
            lines=[
                services.LineInput(
                    product=products[sku], quantity=Decimal(qty), unit_price=Decimal(price)
                )
                for sku, qty, price in lines
            ],
            request_key=key,
            notes="Demo order.",
        )
        _advance(po, final, buyer_scope, supplier)


def _advance(po: PurchaseOrder, final: str, buyer_scope, supplier: Organization) -> None:
    path = [POStatus.DRAFT, POStatus.SENT, POStatus.ACKNOWLEDGED, POStatus.CLOSED]
    po.refresh_from_db()
    if po.status not in path or path.index(po.status) >= path.index(final):
        return
    if po.status == POStatus.DRAFT:
        po = services.purchase_order_send(scope=buyer_scope, po=po, notify=False)
    if final in (POStatus.ACKNOWLEDGED, POStatus.CLOSED) and po.status == POStatus.SENT:
        supplier_scope = scope_for_org_as_role(supplier, Role.ORG_ADMIN)
        po = services.purchase_order_acknowledge(scope=supplier_scope, po=po)
    if final == POStatus.CLOSED and po.status == POStatus.ACKNOWLEDGED:
        services.purchase_order_close(scope=buyer_scope, po=po)
