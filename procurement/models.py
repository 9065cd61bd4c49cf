"""Purchase orders from a buyer organization to a supplier (a partner tenant or a Party)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models import Product
from orgs.models import Location, Organization, Party, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


class POStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    SENT = "SENT", "Sent"
    ACKNOWLEDGED = "ACKNOWLEDGED", "Acknowledged"
    CLOSED = "CLOSED", "Closed"
    CANCELLED = "CANCELLED", "Cancelled"


class PurchaseOrderQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PurchaseOrderQuerySet:
        # The buyer's own orgs see every PO; a supplier sees the POs addressed to it once they
        # are sent (a draft is the buyer's private work), never anything else of the buyer.
        return self.filter(
            Q(buyer_id__in=scope.org_ids)
            | (Q(supplier_org_id__in=scope.org_ids) & ~Q(status=POStatus.DRAFT))
        )


class PurchaseOrder(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, help_text="PO-000001, numbered per buyer.")
    buyer = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    supplier_org = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="purchase_orders_received",
    )
    supplier_party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="purchase_orders"
    )
    ship_to = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=POStatus.choices, default=POStatus.DRAFT)
    expected_date = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # The creating form's one-time key: a double click or a retry returns the same PO.
    request_key = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    objects = PurchaseOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["buyer", "number"], name="po_number_unique_per_buyer"),
            models.UniqueConstraint(
                fields=["buyer", "request_key"], name="po_request_key_unique_per_buyer"
            ),
            models.CheckConstraint(
                name="po_exactly_one_supplier",
                condition=Q(supplier_org__isnull=False, supplier_party__isnull=True)
                | Q(supplier_org__isnull=True, supplier_party__isnull=False),
            ),
            models.CheckConstraint(
                name="po_supplier_not_buyer", condition=~Q(supplier_org=models.F("buyer"))
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-created_at", "-id"], name="po_buyer_recent"),
            models.Index(fields=["supplier_org", "-created_at", "-id"], name="po_supplier_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.supplier_name}"

    @property
    def supplier_name(self) -> str:
        if self.supplier_org_id:
            return self.supplier_org.name
        return self.supplier_party.name

    @property
    def supplier_code(self) -> str:
        if self.supplier_org_id:
            return self.supplier_org.code
        return self.supplier_party.reference


class PurchaseOrderLineQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PurchaseOrderLineQuerySet:
        return self.filter(purchase_order__in=PurchaseOrder.objects.visible_to(scope).values("pk"))


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    line_no = models.PositiveSmallIntegerField()
    # A product of the buyer's catalog; the supplier sees its SKU and name, never its cost.
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)

    objects = PurchaseOrderLineQuerySet.as_manager()

    class Meta:
        ordering = ["purchase_order", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "line_no"], name="po_line_unique_no"),
            models.CheckConstraint(name="po_line_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(
                name="po_line_price_not_negative", condition=Q(unit_price__gte=0)
            ),
        ]

    @property
    def total(self):
        return self.quantity * self.unit_price
