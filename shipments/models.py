"""Shipments, advance ship notices, receipts and the two-sided discrepancy cases.

A shipment moves one owner's goods from an origin (a location, or a supplier's dispatch point)
to a destination location or a Party. Shipping posts stock out of the origin; confirming the
ASN's receipt posts into the owner's stock at the destination exactly once: one Receipt per ASN
(a unique constraint) and one ledger batch per ASN (the ledger's idempotency key).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.uploads import RandomName, validate_evidence
from inventory.models import Product
from orgs.models import Location, Organization, Party, TenantQuerySet

if TYPE_CHECKING:
    from decimal import Decimal

    from orgs.access import Scope
    from orgs.ends import End


class ShipmentStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    BOOKED = "BOOKED", "Booked"
    IN_TRANSIT = "IN_TRANSIT", "In transit"
    RECEIVED = "RECEIVED", "Received"
    CANCELLED = "CANCELLED", "Cancelled"


class ShipmentQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ShipmentQuerySet:
        return self.filter(shipment_visibility_q(scope))


def shipment_visibility_q(scope: Scope, prefix: str = "") -> Q:
    """Documents follow parties, not places (docs/visibility.md): the owner's orgs (members: an
    end at a granted location), the shipper or receiver, and the operator of one end. Never
    "another owner's shipment at a location shared with the viewer": two partners sharing one
    location see disjoint documents there."""
    p = prefix
    own = Q(**{f"{p}owner_id__in": scope.org_ids})
    party = Q(**{f"{p}shipper_id__in": scope.org_ids}) | Q(**{f"{p}receiver_id__in": scope.org_ids})
    if scope.member_location_ids is not None:
        at_granted = Q(**{f"{p}origin_id__in": scope.member_location_ids}) | Q(
            **{f"{p}destination_id__in": scope.member_location_ids}
        )
        own &= at_granted
        party &= at_granted
    # MEMBER scopes hold only granted operated locations.
    operator = Q(**{f"{p}origin_id__in": scope.operated_location_ids}) | Q(
        **{f"{p}destination_id__in": scope.operated_location_ids}
    )
    return own | party | operator


class Shipment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, help_text="SHP-000123")
    # Whose goods these are: shipping posts out of the owner's stock at the origin, receiving
    # posts into the owner's stock at the destination.
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    # Who sends (the owner, or a supplier dispatching to its customer) and who receives (the
    # operator of the destination location; empty for a Party).
    shipper = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    receiver = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    origin = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    destination_party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # False for a supplier's dispatch: the supplier's own stock is not the owner's to post.
    posts_origin = models.BooleanField(default=True)
    status = models.CharField(
        max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.DRAFT
    )
    carrier = models.CharField(max_length=80, blank=True)
    tracking_number = models.CharField(max_length=80, blank=True)
    expected_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    # The create form's one-time token: a double-clicked "Create" makes one shipment.
    create_key = models.CharField(max_length=64, null=True, blank=True, unique=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set for display by shipments.selectors (decorate, shipment_detail); not columns.
    origin_end: End
    destination_end: End
    line_list: list[ShipmentLine]
    asn_or_none: ASN | None
    can_send: bool
    can_receive: bool

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="shipment_one_destination",
                condition=(Q(destination__isnull=False) & Q(destination_party__isnull=True))
                | (Q(destination__isnull=True) & Q(destination_party__isnull=False)),
            ),
            models.CheckConstraint(
                name="shipment_origin_not_destination",
                condition=Q(origin__isnull=True)
                | Q(destination__isnull=True)
                | ~Q(origin=models.F("destination")),
            ),
            models.CheckConstraint(
                name="shipment_posts_origin_needs_origin",
                condition=Q(posts_origin=False) | Q(origin__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="shp_recent"),
            models.Index(fields=["destination", "-updated_at", "-id"], name="shp_dest_recent"),
            models.Index(fields=["origin", "-updated_at", "-id"], name="shp_origin_recent"),
            models.Index(fields=["owner", "-updated_at", "-id"], name="shp_owner_recent"),
            models.Index(fields=["shipper", "-updated_at", "-id"], name="shp_shipper_recent"),
            models.Index(fields=["receiver", "-updated_at", "-id"], name="shp_receiver_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(max_digits=14, decimal_places=3)
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(name="shipment_line_qty_positive", condition=Q(quantity__gt=0))
        ]


class ASNStatus(models.TextChoices):
    AWAITING = "AWAITING", "Awaiting receipt"
    RECEIVED = "RECEIVED", "Received"
    CANCELLED = "CANCELLED", "Cancelled"


class ASNQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ASNQuerySet:
        return self.filter(shipment_visibility_q(scope, prefix="shipment__"))


class ASN(models.Model):
    """Advance ship notice: what the receiving side should expect, line by line."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, help_text="ASN-000123")
    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="asn")
    status = models.CharField(max_length=10, choices=ASNStatus.choices, default=ASNStatus.AWAITING)
    cartons = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set for display by shipments.selectors.asn_detail; not columns.
    line_list: list[ASNLine]
    receipt_or_none: Receipt | None
    can_confirm: bool
    shows_on_hand: bool

    objects = ASNQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "ASN"

    def __str__(self) -> str:
        return self.number


class ASNLine(models.Model):
    asn = models.ForeignKey(ASN, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=64, blank=True, default="")
    expiry = models.DateField(null=True, blank=True)
    expected_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    cartons = models.PositiveIntegerField(default=0)

    on_hand: Decimal  # set for display by shipments.selectors.asn_detail; not a column

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="asn_line_qty_positive", condition=Q(expected_quantity__gt=0)
            )
        ]


class ReasonCode(models.TextChoices):
    SHORT = "SHORT", "Short shipped / missing"
    DAMAGED = "DAMAGED", "Damaged in transit"
    OVER = "OVER", "Over-shipped"
    WRONG_LOT = "WRONG_LOT", "Wrong lot or expiry"
    WRONG_ITEM = "WRONG_ITEM", "Wrong item"
    OTHER = "OTHER", "Other"


class ReceiptQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ReceiptQuerySet:
        # A receipt is visible exactly when its shipment is.
        return self.filter(shipment_visibility_q(scope, prefix="asn__shipment__"))


class Receipt(models.Model):
    """The confirmation of one ASN. One per ASN: the constraint that makes posting exactly-once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asn = models.OneToOneField(ASN, on_delete=models.PROTECT, related_name="receipt")
    idempotency_key = models.CharField(max_length=200)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirming_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    ledger_batch_id = models.BigIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)
    confirmed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ReceiptQuerySet.as_manager()

    class Meta:
        ordering = ["-confirmed_at", "-id"]


class ReceiptLineQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ReceiptLineQuerySet:
        # A receipt line (and its evidence) is visible exactly when its receipt is.
        return self.filter(shipment_visibility_q(scope, prefix="receipt__asn__shipment__"))


class ReceiptLine(models.Model):
    # Addresses the line's evidence download (shipments:receipt_evidence).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    receipt = models.ForeignKey(Receipt, on_delete=models.CASCADE, related_name="lines")
    asn_line = models.OneToOneField(ASNLine, on_delete=models.PROTECT, related_name="receipt_line")
    received_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    damaged_quantity = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    reason_code = models.CharField(max_length=12, choices=ReasonCode.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Stored under a random name (core/uploads.py); the uploader's name is kept for display.
    attachment = models.FileField(
        upload_to=RandomName("receipts"), blank=True, max_length=200, validators=[validate_evidence]
    )
    attachment_name = models.CharField(max_length=150, blank=True)

    objects = ReceiptLineQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                name="receipt_line_qty_sane",
                condition=Q(received_quantity__gte=0)
                & Q(damaged_quantity__gte=0)
                & Q(damaged_quantity__lte=models.F("received_quantity")),
            )
        ]

    @property
    def good_quantity(self):
        return self.received_quantity - self.damaged_quantity


class CaseStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    DISPUTED = "DISPUTED", "Disputed"
    RESOLVED = "RESOLVED", "Resolved"


class Resolution(models.TextChoices):
    ACCEPT_SHORTAGE = "ACCEPT_SHORTAGE", "Shortage accepted (credit note)"
    FOUND = "FOUND", "Found (late receipt posted)"


class DiscrepancyQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> DiscrepancyQuerySet:
        return self.filter(shipment_visibility_q(scope, prefix="shipment__"))


class DiscrepancyCase(models.Model):
    """A difference between an ASN line and its receipt, worked out by both organizations."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.CharField(max_length=20, unique=True, help_text="DSC-000123")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="cases")
    receipt_line = models.OneToOneField(ReceiptLine, on_delete=models.PROTECT, related_name="case")
    expected_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    received_quantity = models.DecimalField(max_digits=14, decimal_places=3)
    damaged_quantity = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    reason_code = models.CharField(max_length=12, choices=ReasonCode.choices)
    status = models.CharField(max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    found_quantity = models.DecimalField(max_digits=14, decimal_places=3, default=0)
    credit_note_number = models.CharField(max_length=20, blank=True)
    credit_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    due_date = models.DateField()
    opened_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    # Set for display by shipments.selectors.case_detail; not columns.
    message_list: list[CaseMessage]
    can_write: bool
    can_accept: bool
    can_found: bool
    can_dispute: bool

    objects = DiscrepancyQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @property
    def variance(self):
        """Good units received minus expected (negative = shortage)."""
        return self.received_quantity - self.damaged_quantity - self.expected_quantity

    @property
    def missing_quantity(self):
        return max(-self.variance, 0)


class CaseMessageQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> CaseMessageQuerySet:
        # Both parties of the case (the shipper's and the receiver's side) see its messages.
        return self.filter(shipment_visibility_q(scope, prefix="case__shipment__"))


class CaseMessage(models.Model):
    # Addresses the message's attachment download (shipments:case_attachment).
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(DiscrepancyCase, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    attachment = models.FileField(
        upload_to=RandomName("cases"), blank=True, max_length=200, validators=[validate_evidence]
    )
    attachment_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CaseMessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]


class StorageRate(models.Model):
    """A 3PL partnership's storage price: per unit per month, or per cubic metre when known."""

    partnership = models.OneToOneField(
        "partnerships.Partnership", on_delete=models.CASCADE, related_name="storage_rate"
    )
    per_unit_month = models.DecimalField(max_digits=10, decimal_places=4, default=0)
    per_cubic_metre_month = models.DecimalField(max_digits=10, decimal_places=2, default=0)

    def __str__(self) -> str:
        return f"{self.per_unit_month}/unit/month"
