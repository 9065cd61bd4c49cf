"""Partnerships: the collaboration carried by a PARTNER / AFFILIATE / FRANCHISE relationship."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q

from orgs.models import Location, OrganizationRelationship, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


class PartnershipRole(models.TextChoices):
    THREE_PL = "THREE_PL", "3PL"
    VMI_RETAILER = "VMI_RETAILER", "VMI retailer"
    RETAILER = "RETAILER", "Retailer"
    SUPPLIER = "SUPPLIER", "Supplier"
    CUSTOMER = "CUSTOMER", "Customer"
    DISTRIBUTOR = "DISTRIBUTOR", "Distributor"
    FRANCHISEE = "FRANCHISEE", "Franchisee"
    OTHER = "OTHER", "Other"


class PartnershipStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACTIVE = "ACTIVE", "Active"
    ENDED = "ENDED", "Ended"


class PartnershipQuerySet(TenantQuerySet):
    def visible_to(self, scope: Scope) -> PartnershipQuerySet:
        if scope.is_platform_staff:
            return self.all()
        return self.filter(
            Q(relationship__parent_id__in=scope.org_ids)
            | Q(relationship__child_id__in=scope.org_ids)
        )

    def active(self) -> PartnershipQuerySet:
        return self.filter(status=PartnershipStatus.ACTIVE)


class Partnership(models.Model):
    """The network side (relationship.parent) shares locations with the partner (child).

    The partner sees the network side's data at the shared locations, nothing else of it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    relationship = models.OneToOneField(
        OrganizationRelationship, on_delete=models.PROTECT, related_name="partnership"
    )
    role = models.CharField(max_length=16, choices=PartnershipRole.choices)
    status = models.CharField(
        max_length=10, choices=PartnershipStatus.choices, default=PartnershipStatus.PENDING
    )
    terms = models.TextField(blank=True)
    shared_locations = models.ManyToManyField(Location, blank=True, related_name="partnerships")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        rel = self.relationship
        return f"{rel.parent.name} ↔ {rel.child.name} ({self.get_role_display()})"

    @property
    def network_org(self):
        return self.relationship.parent

    @property
    def partner_org(self):
        return self.relationship.child
