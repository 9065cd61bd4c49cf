"""The tenant core: organizations, their hierarchy, locations, memberships, parties, audit."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from core.enums import PartnershipTier, PlanTier
from rls.tenant import RowSecuredQuerySet

if TYPE_CHECKING:
    from .access import Scope


class BillingMode(models.TextChoices):
    MASTER = "MASTER", "Master"
    INCLUDED = "INCLUDED", "Included"
    ADD_ON = "ADD_ON", "Add-on"
    FREE = "FREE", "Free"
    SELF_PAY = "SELF_PAY", "Self-pay"


class OrgType(models.TextChoices):
    PARENT_COMPANY = "PARENT_COMPANY", "Parent company"
    MANUFACTURER = "MANUFACTURER", "Manufacturer"
    DISTRIBUTOR = "DISTRIBUTOR", "Distributor"
    THREE_PL = "THREE_PL", "3PL"
    VMI_RETAILER = "VMI_RETAILER", "VMI retailer"
    RETAILER = "RETAILER", "Retailer"
    SUPPLIER = "SUPPLIER", "Supplier"
    CUSTOMER = "CUSTOMER", "Customer"
    OTHER = "OTHER", "Other"


class OrgStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    SUSPENDED = "SUSPENDED", "Suspended"
    CLOSED = "CLOSED", "Closed"


class Role(models.TextChoices):
    ORG_SUPER_ADMIN = "ORG_SUPER_ADMIN", "Super admin"
    ORG_ADMIN = "ORG_ADMIN", "Admin"
    MEMBER = "MEMBER", "Member"


ADMIN_ROLES = frozenset({Role.ORG_SUPER_ADMIN, Role.ORG_ADMIN})


class RelationshipType(models.TextChoices):
    SUBSIDIARY = "SUBSIDIARY", "Subsidiary"
    DIVISION = "DIVISION", "Division"
    BRANCH = "BRANCH", "Branch"
    FRANCHISE = "FRANCHISE", "Franchise"
    PARTNER = "PARTNER", "Partner"
    AFFILIATE = "AFFILIATE", "Affiliate"


class RelationshipStatus(models.TextChoices):
    ACTIVE = "ACTIVE", "Active"
    INACTIVE = "INACTIVE", "Inactive"


class LocationKind(models.TextChoices):
    WAREHOUSE = "WAREHOUSE", "Warehouse"
    DC = "DC", "Distribution center"
    FBA = "FBA", "Fulfillment center (FBA)"
    STORE = "STORE", "Store"
    PLANT = "PLANT", "Plant"
    OFFICE = "OFFICE", "Office"


class TenantQuerySet(RowSecuredQuerySet):
    """Every tenant model's queryset. Subclasses state only their own `rule` (docs/visibility.md);
    platform staff and the "view as partner" lens are handled here, once."""

    # Platform staff see every row; models whose rows belong to one person say False.
    staff_sees_all = True

    def visible_to(self, scope: Scope) -> models.QuerySet:
        if scope.is_platform_staff and self.staff_sees_all:
            return self.all()
        rows = self.rule(scope)
        lens = scope.lens
        if lens is not None and not lens.is_platform_staff:
            # A preview shows what the partner sees AND the previewing side sees: the
            # partnership's view, never the partner's other customers or private data.
            rows = rows & self.rule(lens)
        return rows

    def rule(self, scope: Scope) -> models.QuerySet:
        """The rows a (non-staff) scope may see. Every tenant queryset defines it."""
        raise NotImplementedError


class OrganizationQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> OrganizationQuerySet:
        return self.filter(pk__in=scope.org_ids | scope.partner_org_ids)


class Organization(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=20, unique=True, help_text="Stable code, e.g. ORG-001.")
    name = models.CharField(max_length=200)
    org_type = models.CharField(max_length=20, choices=OrgType.choices, default=OrgType.OTHER)
    plan_tier = models.CharField(max_length=12, choices=PlanTier.choices, default=PlanTier.FREE)
    partnership_tier = models.CharField(
        max_length=12, choices=PartnershipTier.choices, default=PartnershipTier.PARTNER_ONLY
    )
    billing_mode = models.CharField(
        max_length=10, choices=BillingMode.choices, default=BillingMode.FREE
    )
    status = models.CharField(max_length=10, choices=OrgStatus.choices, default=OrgStatus.ACTIVE)
    # Paid add-ons on a PRO plan ($49/mo per extra location, $29/mo advanced forecasting).
    extra_location_addons = models.PositiveSmallIntegerField(default=0)
    advanced_forecasting_addon = models.BooleanField(default=False)
    # Two-factor policy (docs/security-two-factor.md): this organization's admins must sign in
    # with a second factor; on a network root, every admin of every organization it owns too.
    require_admin_two_factor = models.BooleanField(default=False)
    require_network_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                name="org_tier_matches_plan",
                condition=Q(plan_tier="FREE", partnership_tier="PARTNER_ONLY")
                | Q(plan_tier="PRO", partnership_tier="BASIC")
                | Q(plan_tier="ENTERPRISE", partnership_tier="FULL"),
            ),
            models.CheckConstraint(name="org_name_not_blank", condition=~Q(name="")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class RelationshipQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> RelationshipQuerySet:
        # A relationship is visible when both ends are; a partner sees its own link only.
        mine = scope.org_ids
        return self.filter(
            Q(parent_id__in=mine, child_id__in=mine | scope.partner_org_ids)
            | Q(child_id__in=mine, parent_id__in=scope.partner_org_ids)
        )

    def owning(self) -> RelationshipQuerySet:
        return self.filter(type__in=OWNING_TYPES)

    def active(self) -> RelationshipQuerySet:
        return self.filter(status=RelationshipStatus.ACTIVE)


class OrganizationRelationship(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    parent = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="child_links")
    child = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="parent_links")
    type = models.CharField(max_length=12, choices=RelationshipType.choices)
    status = models.CharField(
        max_length=10, choices=RelationshipStatus.choices, default=RelationshipStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RelationshipQuerySet.as_manager()

    class Meta:
        ordering = ["parent__code", "child__code"]
        constraints = [
            models.CheckConstraint(
                name="relationship_not_self", condition=~Q(parent=models.F("child"))
            ),
            models.UniqueConstraint(fields=["parent", "child"], name="relationship_unique_pair"),
            # At most one owning parent per organization (a cycle check runs in a trigger).
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(type__in=["SUBSIDIARY", "DIVISION", "BRANCH"], status="ACTIVE"),
                name="relationship_one_owning_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.code} → {self.child.code} ({self.type})"

    @property
    def is_owning(self) -> bool:
        return self.type in OWNING_TYPES


OWNING_TYPES = frozenset(
    {RelationshipType.SUBSIDIARY, RelationshipType.DIVISION, RelationshipType.BRANCH}
)
COLLABORATION_TYPES = frozenset(
    {RelationshipType.PARTNER, RelationshipType.AFFILIATE, RelationshipType.FRANCHISE}
)


class LocationQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> LocationQuerySet:
        return self.filter(pk__in=scope.location_ids)


class Location(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=20, unique=True, help_text="Stable code, e.g. LOC-101.")
    name = models.CharField(max_length=200)
    kind = models.CharField(
        max_length=12, choices=LocationKind.choices, default=LocationKind.WAREHOUSE
    )
    operator = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="locations")
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 alpha-2")
    is_active = models.BooleanField(default=True)
    allow_negative_stock = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # The create form's hidden key: a double submit (or two at once) adds one location.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True, editable=False)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        permissions = [("operate_location", "Work at this location (member rights)")]
        constraints = [
            models.CheckConstraint(name="location_name_not_blank", condition=~Q(name="")),
            models.UniqueConstraint(
                fields=["operator", "idempotency_key"], name="location_idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class MembershipQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> MembershipQuerySet:
        # Members are seen by those who administer the org, and each user sees their own.
        return self.filter(
            Q(organization_id__in=scope.administered_org_ids) | Q(user_id=scope.user_id)
        )

    def active(self) -> MembershipQuerySet:
        return self.filter(is_active=True)


class Membership(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization__code", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], name="membership_unique_user_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization.code} ({self.role})"


class MembershipInvitationStatus(models.TextChoices):
    PENDING = "PENDING", "Pending"
    ACCEPTED = "ACCEPTED", "Accepted"
    DECLINED = "DECLINED", "Declined"
    REVOKED = "REVOKED", "Revoked"
    EXPIRED = "EXPIRED", "Expired"


class MembershipInvitationQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> MembershipInvitationQuerySet:
        # The org's admins see its invitations; the invitee knows one only by its link.
        return self.filter(organization_id__in=scope.administered_org_ids)

    def pending(self) -> MembershipInvitationQuerySet:
        return self.filter(status=MembershipInvitationStatus.PENDING)


class MembershipInvitation(models.Model):
    """A person asked to join an organization (docs/security-membership.md). Nobody becomes a
    member until they accept; the Membership is created (or reactivated) only then. The link
    token is stored only as its SHA-256 hash."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="membership_invitations"
    )
    email = models.EmailField()
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10,
        choices=MembershipInvitationStatus.choices,
        default=MembershipInvitationStatus.PENDING,
    )
    expires_at = models.DateTimeField()
    sent_count = models.PositiveSmallIntegerField(default=1)
    # When it was accepted, declined or revoked.
    closed_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    membership = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MembershipInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live invitation per organization and address: resend instead of re-inviting.
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=Q(status="PENDING"),
                name="membership_invitation_one_pending_per_email",
            ),
            models.CheckConstraint(
                name="membership_invitation_role",
                condition=Q(role__in=["ORG_SUPER_ADMIN", "ORG_ADMIN", "MEMBER"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization.code} ({self.role}, {self.status})"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class PartyQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PartyQuerySet:
        return self.filter(owner_id__in=scope.org_ids)


class Party(models.Model):
    """An external entity with no account (Ulta), managed by the organization that owns it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="parties")
    name = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=30, blank=True, help_text="The owner's own code, e.g. ORG-103."
    )
    kind = models.CharField(max_length=20, choices=OrgType.choices, default=OrgType.RETAILER)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    notes = models.TextField(blank=True)
    # Set when the party later accepts an invitation and becomes a tenant; history stays here.
    organization = models.ForeignKey(
        Organization,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="former_parties",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "parties"
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="party_unique_name_per_owner"),
            models.CheckConstraint(name="party_name_not_blank", condition=~Q(name="")),
        ]

    def __str__(self) -> str:
        return self.name


class PartyContactQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PartyContactQuerySet:
        return self.filter(party__in=Party.objects.visible_to(scope))


class PartyContact(models.Model):
    """A person at an external party (a Party has no users of its own)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    title = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartyContactQuerySet.as_manager()

    class Meta:
        # Created by partnerships before parties moved here: the table keeps its name, data and
        # row-level-security policy (rls/policies.py).
        db_table = "partnerships_partycontact"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="party_contact_name_not_blank", condition=~Q(name=""))
        ]

    def __str__(self) -> str:
        return self.name


class AuditEventQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> AuditEventQuerySet:
        # What the viewer's administered orgs did, and what anyone did to their data (a
        # partner's receipt into their stock, an upgrade billed to them): the events their
        # rows of the read index name (AuditEventOrg), a semi-join on its (organization, event)
        # index. Not `subject_org_ids && ...`: under row-level security a non-leakproof
        # operator such as && cannot use an index, and every page would scan the whole log.
        readers = AuditEventOrg.objects.filter(organization_id__in=scope.administered_org_ids)
        return self.filter(pk__in=readers.values("event_id"))


class AuditEvent(models.Model):
    """Who did what, as which organization, to which object; written by every service."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acting_org = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=80, db_index=True)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The organizations whose data or settings the event touched (the target's owner, buyer and
    # supplier, shipper and receiver, the payer of a bill, both sides of a partnership...),
    # filled by `orgs.audit.audit` (orgs/audit.py). Their admins read the event in their audit
    # log, whoever acted (docs/security-audit.md); AuditEventOrg indexes it for reading.
    subject_org_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_repr}"


class AuditEventOrgQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> AuditEventOrgQuerySet:
        return self.filter(organization_id__in=scope.administered_org_ids)


class AuditEventOrg(models.Model):
    """The audit log's read index: one row per organization whose admins read an event (its
    acting organization and each of its `subject_org_ids`), written with the event."""

    event = models.ForeignKey(AuditEvent, on_delete=models.CASCADE, related_name="+")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )

    objects = AuditEventOrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "event"], name="auditeventorg_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.organization_id}"
