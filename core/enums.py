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


# The seed fixes the access tier by the plan; a check constraint keeps the pair consistent.
TIER_FOR_PLAN: dict[str, str] = {
    PlanTier.FREE: PartnershipTier.PARTNER_ONLY,
    PlanTier.PRO: PartnershipTier.BASIC,
    PlanTier.ENTERPRISE: PartnershipTier.FULL,
}
