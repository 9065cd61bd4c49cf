"""Products and the stock ledger: append-only movements plus balances kept in step."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from orgs.models import Location, Organization, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


class ProductQuerySet(TenantQuerySet):
    def visible_to(self, scope: Scope) -> ProductQuerySet:
        if scope.is_platform_staff:
            return self.all()
        # Own products, plus another org's products only where stock the viewer may see
        # refers to them (read-only; cost is never rendered for those).
        shared = StockBalance.objects.visible_to(scope).exclude(owner_id__in=scope.org_ids)
        return self.filter(Q(owner_id__in=scope.org_ids) | Q(pk__in=shared.values("product_id")))


class Product(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    specifications = models.JSONField(default=dict, blank=True)
    image = models.ImageField(upload_to="products/", blank=True)
    unit_of_measure = models.CharField(max_length=16, default="EA")
    price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Cost is the owner's secret: never shown to partners in HTML, CSV or PDF.
    cost = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "sku"], name="product_sku_unique_per_owner"),
            models.CheckConstraint(name="product_price_not_negative", condition=Q(price__gte=0)),
            models.CheckConstraint(name="product_cost_not_negative", condition=Q(cost__gte=0)),
            models.CheckConstraint(name="product_sku_not_blank", condition=~Q(sku="")),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class MovementKind(models.TextChoices):
    RECEIPT = "RECEIPT", "Receipt"
    SHIPMENT = "SHIPMENT", "Shipment"
    ADJUSTMENT = "ADJUSTMENT", "Adjustment"
    TRANSFER_OUT = "TRANSFER_OUT", "Transfer out"
    TRANSFER_IN = "TRANSFER_IN", "Transfer in"
    COUNT_CORRECTION = "COUNT_CORRECTION", "Count correction"
    SELL_THROUGH = "SELL_THROUGH", "Sell-through"
    OPENING = "OPENING", "Opening balance"


class StockBalanceQuerySet(TenantQuerySet):
    def visible_to(self, scope: Scope) -> StockBalanceQuerySet:
        return self.filter(scope.located_q(owner="owner_id", locations=["location_id"]))


class StockBalance(models.Model):
    """Quantity on hand per (owner, product, location, lot, expiry); moved only by postings."""

    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="balances")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockBalanceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "product", "location", "lot", "expiry"],
                name="stock_balance_unique_key",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["location", "-updated_at", "-id"], name="stock_bal_loc_recent"),
            models.Index(fields=["owner", "location"], name="stock_bal_owner_loc"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.location_id} {self.lot} = {self.quantity}"


class LedgerBatch(models.Model):
    """One posting request. Its unique idempotency key makes a retry or a double click
    (or two users at the same moment) post once."""

    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=120, blank=True, help_text="Source document")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acting_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)


class StockMovementQuerySet(TenantQuerySet):
    def visible_to(self, scope: Scope) -> StockMovementQuerySet:
        return self.filter(scope.located_q(owner="owner_id", locations=["location_id"]))


class StockMovement(models.Model):
    """Append-only: never updated, never deleted. Corrections are new movements."""

    batch = models.ForeignKey(LedgerBatch, on_delete=models.PROTECT, related_name="movements")
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="movements")
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    kind = models.CharField(max_length=20, choices=MovementKind.choices)
    occurred_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = StockMovementQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.CheckConstraint(name="movement_quantity_not_zero", condition=~Q(quantity=0))
        ]
        indexes = [models.Index(fields=["owner", "product", "location", "occurred_at"])]
