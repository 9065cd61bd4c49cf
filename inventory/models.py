"""Products and the stock ledger: append-only movements plus balances kept in step."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.uploads import RandomName, validate_image
from orgs.models import Location, Organization, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


class ProductQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ProductQuerySet:
        # Own products; another org's product only where something the viewer may see refers
        # to it: a visible stock balance, or a line of a visible shipment or purchase order
        # (read-only; cost is never rendered for those). Lines of the viewer's own shipments
        # and of POs it placed carry its own products, so only the others are searched.
        from procurement.models import PurchaseOrder, PurchaseOrderLine
        from shipments.models import Shipment, ShipmentLine

        mine = scope.org_ids
        shared = StockBalance.objects.visible_to(scope).exclude(owner_id__in=mine)
        shipped = ShipmentLine.objects.filter(
            shipment__in=Shipment.objects.visible_to(scope).exclude(owner_id__in=mine).values("pk")
        )
        ordered = PurchaseOrderLine.objects.filter(
            purchase_order__in=PurchaseOrder.objects.visible_to(scope)
            .exclude(buyer_id__in=mine)
            .values("pk")
        )
        return self.filter(
            Q(owner_id__in=mine)
            | Q(pk__in=shared.values("product_id"))
            | Q(pk__in=shipped.values("product_id"))
            | Q(pk__in=ordered.values("product_id"))
        )


class Product(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    specifications = models.JSONField(default=dict, blank=True)
    # Random stored name, PNG/JPEG/WebP by content; served only by inventory:product_image.
    image = models.ImageField(
        upload_to=RandomName("products", dated=False),
        blank=True,
        max_length=200,
        validators=[validate_image],
    )
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
    def rule(self, scope: Scope) -> StockBalanceQuerySet:
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

    def __str__(self) -> str:
        # How the audit log names the posting: "Receipt ASN-000123", "Adjustment #147".
        return f"{self.get_kind_display()} {self.reference or f'#{self.pk}'}"


class StockMovementQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> StockMovementQuerySet:
        # The owner's log (members: at granted locations), and otherwise only movements of a
        # ledger batch the viewer's own organization posted (a receipt it confirmed, a
        # shipment it dispatched, sell-through it reported). Never the owner's adjustments,
        # counts or transfers at a location shared with the viewer.
        # The location bound on the second branch is implied (a partner posts at its own or
        # shared sites) and lets PostgreSQL start from the (location, occurred_at) index.
        q = Q(owner_id__in=scope.org_ids) | Q(
            batch__acting_org_id__in=scope.org_ids, location_id__in=scope.location_ids
        )
        if scope.member_location_ids is not None:
            q &= Q(location_id__in=scope.member_location_ids)
        return self.filter(q)

    def summed_into_visible_balances(self, scope: Scope) -> StockMovementQuerySet:
        """The movements that add up to the stock balances the viewer may see (StockBalance's
        rule, applied back in time): for balances as of a date only (snapshots, month-end
        units for storage fees), never listed one by one — the log follows `rule`."""
        if scope.is_platform_staff:
            return self.all()
        rows = self.filter(scope.located_q(owner="owner_id", locations=["location_id"]))
        lens = scope.lens
        if lens is not None and not lens.is_platform_staff:
            rows = rows.filter(lens.located_q(owner="owner_id", locations=["location_id"]))
        return rows


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
        indexes = [
            models.Index(fields=["owner", "product", "location", "occurred_at"]),
            models.Index(fields=["location", "occurred_at"], name="stock_mov_loc_time"),
        ]


class BomLine(models.Model):
    """One component of a manufactured product's bill of materials (quantity per unit)."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="bom_lines")
    component = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="used_in")
    quantity = models.DecimalField(max_digits=12, decimal_places=3)

    class Meta:
        ordering = ["component__sku"]
        constraints = [
            models.UniqueConstraint(fields=["product", "component"], name="bom_line_unique"),
            models.CheckConstraint(name="bom_quantity_positive", condition=Q(quantity__gt=0)),
            models.CheckConstraint(
                name="bom_not_self", condition=~Q(product=models.F("component"))
            ),
        ]


class AdjustmentReason(models.TextChoices):
    DAMAGED = "DAMAGED", "Damaged"
    EXPIRED = "EXPIRED", "Expired"
    LOST = "LOST", "Lost or stolen"
    FOUND = "FOUND", "Found"
    QUALITY_HOLD = "QUALITY_HOLD", "Quality hold / write-off"
    SAMPLE = "SAMPLE", "Samples and testers"
    OTHER = "OTHER", "Other"


class TransferStatus(models.TextChoices):
    IN_TRANSIT = "IN_TRANSIT", "In transit"
    RECEIVED = "RECEIVED", "Received"


class TransferQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> TransferQuerySet:
        # Internal: the owner only, never a partner, even the operator of one end.
        q = Q(owner_id__in=scope.org_ids)
        if scope.member_location_ids is not None:
            q &= Q(from_location_id__in=scope.member_location_ids) | Q(
                to_location_id__in=scope.member_location_ids
            )
        return self.filter(q)


class Transfer(models.Model):
    """A move between two of the owner's locations: out on dispatch, in on arrival."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    from_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    to_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12, choices=TransferStatus.choices, default=TransferStatus.IN_TRANSIT
    )
    note = models.CharField(max_length=200, blank=True)
    out_batch = models.ForeignKey(
        LedgerBatch, null=True, on_delete=models.PROTECT, related_name="+"
    )
    in_batch = models.ForeignKey(
        LedgerBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)

    objects = TransferQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="transfer_between_two_locations",
                condition=~Q(from_location=models.F("to_location")),
            )
        ]

    def __str__(self) -> str:
        return f"Transfer {str(self.public_id)[:8]}"


class TransferLine(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)
    quantity = models.DecimalField(max_digits=14, decimal_places=3)

    class Meta:
        ordering = ["expiry", "id"]
        constraints = [
            models.CheckConstraint(name="transfer_qty_positive", condition=Q(quantity__gt=0))
        ]


class CountKind(models.TextChoices):
    STOCK_TAKE = "STOCK_TAKE", "Stock take (whole location)"
    CYCLE = "CYCLE", "Cycle count (selected products)"


class CountStatus(models.TextChoices):
    OPEN = "OPEN", "Counting"
    POSTED = "POSTED", "Posted"
    CANCELLED = "CANCELLED", "Cancelled"


class StockCountQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> StockCountQuerySet:
        # Internal: the owner only (members: at granted locations).
        q = Q(owner_id__in=scope.org_ids)
        if scope.member_location_ids is not None:
            q &= Q(location_id__in=scope.member_location_ids)
        return self.filter(q)


class StockCount(models.Model):
    """A count sheet for one location: expected quantities frozen at creation, counted
    quantities entered, variances reviewed, then posted as one ledger batch."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=CountKind.choices)
    status = models.CharField(max_length=10, choices=CountStatus.choices, default=CountStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    batch = models.ForeignKey(LedgerBatch, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    objects = StockCountQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Count {str(self.public_id)[:8]}"


class StockCountLine(models.Model):
    count = models.ForeignKey(StockCount, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)
    expected = models.DecimalField(max_digits=14, decimal_places=3)
    counted = models.DecimalField(max_digits=14, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["product__sku", "expiry", "lot"]
        constraints = [
            models.CheckConstraint(
                name="count_not_negative", condition=Q(counted__isnull=True) | Q(counted__gte=0)
            )
        ]

    @property
    def variance(self):
        return None if self.counted is None else self.counted - self.expected
