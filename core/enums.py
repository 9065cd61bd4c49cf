"""Enums shared across layers: the plan and access tiers every app and the entitlements table
name. Database choices come from here; nothing below this module is imported."""

from django.db import models


class PlanTier(models.TextChoices):
    FREE = "FREE", "Free"
    PRO = "PRO", "Pro"
    ENTERPRISE = "ENTERPRISE", "Enterprise"


class PartnershipTier(models.TextChoices):
    PARTNER_ONLY = "PARTNER_ONLY", "Partner only"
    BASIC = "BASIC", "Basic"
    FULL = "FULL", "Full"


class PartnershipStatus(models.TextChoices):
    """A partnership's lifecycle. Here, not in partnerships, because the access layer (orgs)
    builds every Scope from the ACTIVE ones and may not import partnerships."""

    PENDING = "PENDING", "Pending"
    ACTIVE = "ACTIVE", "Active"
    ENDED = "ENDED", "Ended"


# The seed fixes the access tier by the plan; a check constraint keeps the pair consistent.
TIER_FOR_PLAN: dict[str, str] = {
    PlanTier.FREE: PartnershipTier.PARTNER_ONLY,
    PlanTier.PRO: PartnershipTier.BASIC,
    PlanTier.ENTERPRISE: PartnershipTier.FULL,
}


class NotificationKind(models.TextChoices):
    """Every kind of notification a sender may raise; each is also a row on the preferences
    page. Senders pass a member, never a string, so a preference always matches its sender."""

    INVITATION_ACCEPTED = "invitation_accepted", "A partner accepted an invitation"
    MESSAGE_POSTED = "message_posted", "New partnership message"
    PARTNERSHIP_ENDED = "partnership_ended", "A partnership was ended"
    ASN_CREATED = "asn_created", "New ASN"
    SHIPMENT_STATUS = "shipment_status", "Shipment status updates"
    DISCREPANCY_OPENED = "discrepancy_opened", "Receipt discrepancy reported"
    DISCREPANCY_RESOLVED = "discrepancy_resolved", "Receipt discrepancy resolved"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    PLAN_CHANGED = "plan_changed", "Plan changed"
    SPONSORED_UPGRADE_REQUESTED = (
        "sponsored_upgrade_requested",
        "An upgrade asks your network to pay for it",
    )
    SPONSORED_UPGRADE_DECIDED = "sponsored_upgrade_decided", "A sponsored upgrade was decided"
