"""Reads of purchase orders, always through the access layer."""

from __future__ import annotations

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404

from core.enums import PartnershipStatus
from inventory.models import Product
from orgs.access import Scope
from orgs.models import Location, Organization, OrgType, Party, RelationshipStatus
from partnerships.models import Partnership, PartnershipRole

from .models import POStatus, PurchaseOrder, PurchaseOrderLine

DIRECTIONS = {"outgoing": "Sent by us", "incoming": "Addressed to us"}

_LINE_VALUE = ExpressionWrapper(
    F("quantity") * F("unit_price"),
    output_field=DecimalField(max_digits=26, decimal_places=5),
)


def purchase_orders_for(
    scope: Scope, *, status: str = "", direction: str = ""
) -> QuerySet[PurchaseOrder]:
    qs = PurchaseOrder.objects.visible_to(scope)
    if status in POStatus.values:
        qs = qs.filter(status=status)
    if direction == "outgoing":
        qs = qs.filter(buyer_id__in=scope.org_ids)
    elif direction == "incoming":
        qs = qs.filter(supplier_org_id__in=scope.org_ids)
    return qs.select_related(
        "buyer", "supplier_org", "supplier_party", "ship_to__operator"
    ).order_by("-created_at", "-id")


def attach_totals(scope: Scope, orders) -> list[PurchaseOrder]:
    """Line counts and totals for one page of POs, in one grouped query over that page only
    (annotating the whole list would aggregate every visible PO before paginating)."""
    orders = list(orders)
    rows = (
        PurchaseOrderLine.objects.visible_to(scope)
        .filter(purchase_order_id__in=[po.pk for po in orders])
        .values("purchase_order_id")
        .annotate(line_count=Count("pk"), total=Sum(_LINE_VALUE))
        .order_by()
    )
    by_po = {row["purchase_order_id"]: row for row in rows}
    for po in orders:
        row = by_po.get(po.pk, {})
        po.line_count = row.get("line_count", 0)
        po.total = row.get("total") or 0
    return orders


def purchase_order_detail(scope: Scope, public_id) -> PurchaseOrder:
    return get_object_or_404(
        PurchaseOrder.objects.visible_to(scope).select_related(
            "buyer", "supplier_org", "supplier_party", "ship_to__operator", "created_by"
        ),
        public_id=public_id,
    )


def purchase_order_lines(scope: Scope, po: PurchaseOrder) -> list[PurchaseOrderLine]:
    # Only the fields a supplier may see: the product's cost is never loaded here.
    return list(
        PurchaseOrderLine.objects.visible_to(scope)
        .filter(purchase_order=po)
        .select_related("product")
        .only(
            "line_no",
            "quantity",
            "unit_price",
            "purchase_order_id",
            "product__sku",
            "product__name",
            "product__unit_of_measure",
        )
        .order_by("line_no")
    )


def supplier_org_ids(scope: Scope) -> set[int]:
    """The active organization's suppliers: partners it took on as SUPPLIER, and networks it
    is a CUSTOMER of (Salon Luxe orders from LUXE BOND Manufacturing). Not its customers."""
    rows = (
        Partnership.objects.visible_to(scope)
        .filter(status=PartnershipStatus.ACTIVE, relationship__status=RelationshipStatus.ACTIVE)
        .filter(
            Q(relationship__parent_id=scope.org_id, role=PartnershipRole.SUPPLIER)
            | Q(relationship__child_id=scope.org_id, role=PartnershipRole.CUSTOMER)
        )
        .values_list("relationship__parent_id", "relationship__child_id")
    )
    return {child if parent == scope.org_id else parent for parent, child in rows}


def supplier_orgs_for(scope: Scope) -> QuerySet[Organization]:
    return Organization.objects.visible_to(scope).filter(pk__in=supplier_org_ids(scope))


def supplier_parties_for(scope: Scope) -> QuerySet[Party]:
    """Suppliers without an account, managed by the active organization (Ulta, a retailer, is
    not one)."""
    return Party.objects.visible_to(scope).filter(owner_id=scope.org_id, kind=OrgType.SUPPLIER)


def ship_to_locations_for(scope: Scope) -> QuerySet[Location]:
    return Location.objects.visible_to(scope).filter(operator_id__in=scope.org_ids, is_active=True)


def orderable_products_for(scope: Scope) -> QuerySet[Product]:
    return Product.objects.visible_to(scope).filter(owner_id=scope.org_id, is_active=True)


def open_counts(scope: Scope) -> dict[str, int]:
    """Dashboard figures: POs awaiting the supplier, and POs awaiting the viewer's reply."""
    return PurchaseOrder.objects.visible_to(scope).aggregate(
        outgoing_open=Count(
            "pk",
            filter=Q(buyer_id__in=scope.org_ids, status__in=[POStatus.SENT, POStatus.DRAFT]),
        ),
        incoming_to_acknowledge=Count(
            "pk", filter=Q(supplier_org_id__in=scope.org_ids, status=POStatus.SENT)
        ),
    )
