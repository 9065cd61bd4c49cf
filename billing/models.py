"""Subscriptions, their history, checkouts, Stripe webhook events and plan overrides.

The organization's plan itself lives on `orgs.Organization` (plan_tier, partnership_tier,
billing_mode, add-ons); it changes only through
`billing.services.plans.organization_change_plan`.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.enums import PlanTier
from orgs.models import BillingMode, Organization, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


# The billing modes a network root may set on a linked organization (the network's billing
# screen offers them; `organization_set_billing_mode` enforces them): its own subsidiaries are
# included in its plan or billed as a separate add-on; a partner may also stay FREE.
SETTABLE_MODES: dict[str, tuple[str, ...]] = {
    "owned": (BillingMode.INCLUDED, BillingMode.ADD_ON),
    "partner": (BillingMode.FREE, BillingMode.ADD_ON, BillingMode.INCLUDED),
}


class SubscriptionStatus(models.TextChoices):
    NONE = "NONE", "No subscription"
    ACTIVE = "ACTIVE", "Active"
    PAST_DUE = "PAST_DUE", "Past due"
    CANCELED = "CANCELED", "Canceled"


class SubscriptionQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> SubscriptionQuerySet:
        # An org's admins see its own subscription; the paying network's admins see the ones
        # billed to them. A member sees nothing here (the plan page reads the Organization).
        return self.filter(
            Q(organization_id__in=scope.administered_org_ids)
            | Q(payer_id__in=scope.administered_org_ids)
        )


class Subscription(models.Model):
    """One per organization that has ever had a paid plan: its Stripe ids and payment state."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.OneToOneField(
        Organization, on_delete=models.PROTECT, related_name="subscription"
    )
    # The network root whose consolidated bill carries this org (ADD_ON / INCLUDED); for
    # MASTER and SELF_PAY it is the org itself.
    payer = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.CharField(max_length=12, choices=PlanTier.choices, default=PlanTier.FREE)
    status = models.CharField(
        max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.NONE
    )
    stripe_customer_id = models.CharField(max_length=100, blank=True)
    stripe_subscription_id = models.CharField(max_length=100, blank=True, db_index=True)
    # Created timestamp of the newest Stripe event whose state was applied: an older event
    # arriving late never overwrites newer state.
    state_as_of = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    grace_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["organization__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["stripe_subscription_id"],
                condition=~Q(stripe_subscription_id=""),
                name="subscription_unique_stripe_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization.code} {self.plan} ({self.status})"


class PlanChangeQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> PlanChangeQuerySet:
        return self.filter(
            Q(organization_id__in=scope.administered_org_ids)
            | Q(network_id__in=scope.administered_org_ids)
        )


class PlanChangeSource(models.TextChoices):
    SEED = "SEED", "Demo history"
    CHECKOUT = "CHECKOUT", "Checkout"
    STRIPE = "STRIPE", "Stripe"
    NETWORK = "NETWORK", "Network billing"
    PAYMENT_FAILED = "PAYMENT_FAILED", "Grace period ended"
    CANCELED = "CANCELED", "Cancellation"
    DOWNGRADE = "DOWNGRADE", "Downgrade by the organization"
    OVERRIDE = "OVERRIDE", "Staff override"


class PlanChange(models.Model):
    """Subscription history: every plan, mode or add-on change with its monthly amounts.

    `network` is the root whose consolidated bill the amounts count toward (None: nobody's,
    e.g. a SELF_PAY org); network MRR over time is the running sum of the deltas.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="plan_changes"
    )
    network = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    from_plan = models.CharField(max_length=12, choices=PlanTier.choices)
    to_plan = models.CharField(max_length=12, choices=PlanTier.choices)
    from_mode = models.CharField(max_length=10, choices=BillingMode.choices)
    to_mode = models.CharField(max_length=10, choices=BillingMode.choices)
    amount_before = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    amount_after = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # The part of the amounts billed on the network's consolidated bill.
    network_amount_before = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    network_amount_after = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    source = models.CharField(max_length=16, choices=PlanChangeSource.choices)
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PlanChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["network", "at"], name="planchange_network_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d} {self.organization_id} {self.from_plan}→{self.to_plan}"


class CheckoutStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    COMPLETED = "COMPLETED", "Completed"
    EXPIRED = "EXPIRED", "Expired"


class CheckoutQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> CheckoutQuerySet:
        return self.filter(organization_id__in=scope.administered_org_ids)


class Checkout(models.Model):
    """One upgrade attempt: what was asked for; the plan changes only when it is paid."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(max_length=12, choices=PlanTier.choices)
    extra_location_addons = models.PositiveSmallIntegerField(default=0)
    advanced_forecasting_addon = models.BooleanField(default=False)
    self_pay = models.BooleanField(default=False)
    simulated = models.BooleanField(default=True)
    status = models.CharField(
        max_length=10, choices=CheckoutStatus.choices, default=CheckoutStatus.OPEN
    )
    stripe_session_id = models.CharField(max_length=200, blank=True, db_index=True)
    stripe_url = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = CheckoutQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"checkout {self.public_id} {self.plan} ({self.status})"


class WebhookStatus(models.TextChoices):
    RECEIVED = "RECEIVED", "Received"
    PROCESSED = "PROCESSED", "Processed"
    IGNORED = "IGNORED", "Ignored"
    FAILED = "FAILED", "Failed"


class WebhookEvent(models.Model):
    """A verified Stripe event, stored once by its id; platform data (no tenant reads it)."""

    stripe_event_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=80, db_index=True)
    created = models.DateTimeField(help_text="Stripe's event timestamp")
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.stripe_event_id} {self.type} ({self.status})"


class PlanOverride(models.Model):
    """Platform staff set an organization's plan by hand, with a reason (audited)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(max_length=12, choices=PlanTier.choices)
    billing_mode = models.CharField(max_length=10, choices=BillingMode.choices, blank=True)
    extra_location_addons = models.PositiveSmallIntegerField(default=0)
    advanced_forecasting_addon = models.BooleanField(default=False)
    reason = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="override_reason_not_blank", condition=~Q(reason=""))
        ]

    def __str__(self) -> str:
        return f"{self.organization} → {self.plan}: {self.reason}"


class SponsoredUpgradeStatus(models.TextChoices):
    PENDING = "PENDING", "Waiting for approval"
    APPROVED = "APPROVED", "Approved"
    DECLINED = "DECLINED", "Declined"
    CANCELLED = "CANCELLED", "Cancelled"


# The billing modes that put an organization's plan on its network root's bill: an upgrade in
# one of them is a request the root's super admin approves (docs/security-billing.md).
SPONSORED_MODES: tuple[str, ...] = (BillingMode.ADD_ON, BillingMode.INCLUDED)


class SponsoredUpgradeRequestQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> SponsoredUpgradeRequestQuerySet:
        # The asking organization's admins and the admins of the network asked to pay.
        return self.filter(
            Q(organization_id__in=scope.administered_org_ids)
            | Q(network_id__in=scope.administered_org_ids)
        )


class SponsoredUpgradeRequest(models.Model):
    """An upgrade that would be billed under the network root (ADD_ON / INCLUDED): nothing is
    billed and the plan does not change until the root's super admin approves it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="sponsored_upgrade_requests"
    )
    # The network root asked to pay (billing.services.plans.network_root_for at the request).
    network = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    plan = models.CharField(max_length=12, choices=PlanTier.choices)
    billing_mode = models.CharField(max_length=10, choices=BillingMode.choices)
    extra_location_addons = models.PositiveSmallIntegerField(default=0)
    advanced_forecasting_addon = models.BooleanField(default=False)
    message = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10,
        choices=SponsoredUpgradeStatus.choices,
        default=SponsoredUpgradeStatus.PENDING,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = SponsoredUpgradeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status="PENDING"),
                name="sponsored_upgrade_one_pending_per_org",
            ),
            models.CheckConstraint(
                name="sponsored_upgrade_mode_billed_to_network",
                condition=Q(billing_mode__in=["ADD_ON", "INCLUDED"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization.code} asks {self.plan} {self.billing_mode} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status == SponsoredUpgradeStatus.PENDING
