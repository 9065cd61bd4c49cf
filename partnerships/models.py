"""Partnerships: the collaboration carried by a PARTNER / AFFILIATE / FRANCHISE relationship."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.enums import PartnershipStatus
from orgs.models import Location, Organization, OrganizationRelationship, Party, TenantQuerySet

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


class PartnershipQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PartnershipQuerySet:
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

    # Not a column: set on one page of rows by selectors.with_shared_counts.
    shared_count: int

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


class InvitationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACCEPTED = "ACCEPTED", "Accepted"
    REVOKED = "REVOKED", "Revoked"


class InvitationQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> InvitationQuerySet:
        # Only the inviting side sees its invitations; the invitee knows them by the link.
        return self.filter(inviting_org_id__in=scope.org_ids)

    def pending(self) -> InvitationQuerySet:
        return self.filter(status=InvitationStatus.PENDING)


class Invitation(models.Model):
    """A proposed partnership sent by email. The link token is stored only as a SHA-256 hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    inviting_org = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="sent_invitations"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    email = models.EmailField()
    company_name = models.CharField(max_length=200)
    relationship_type = models.CharField(max_length=12)
    role = models.CharField(max_length=16, choices=PartnershipRole.choices)
    terms = models.TextField(blank=True)
    shared_locations = models.ManyToManyField(Location, blank=True, related_name="+")
    party = models.ForeignKey(
        Party, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=1)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    partnership = models.ForeignKey(
        Partnership, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="invitation_relationship_type",
                condition=Q(relationship_type__in=["PARTNER", "AFFILIATE", "FRANCHISE"]),
            ),
            models.CheckConstraint(
                name="invitation_company_not_blank", condition=~Q(company_name="")
            ),
            # One live invitation per inviting org and address: resend instead of re-inviting.
            models.UniqueConstraint(
                "inviting_org",
                Lower("email"),
                condition=Q(status="PENDING"),
                name="invitation_one_pending_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.company_name} <{self.email}>"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.status == InvitationStatus.PENDING and not self.is_expired


class MessageQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> MessageQuerySet:
        return self.filter(partnership__in=Partnership.objects.visible_to(scope))


class Message(models.Model):
    """A message in a partnership's thread, readable by the two organizations only."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_org = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The posting form's hidden key: a double submit (or two at once) posts one message.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["partnership", "-created_at"])]
        constraints = [
            models.CheckConstraint(name="message_not_blank", condition=~Q(body="")),
            models.UniqueConstraint(
                fields=["author_org", "idempotency_key"], name="message_idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_org.code}: {self.body[:40]}"
