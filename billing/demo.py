"""Demo billing: subscriptions for the paying organizations and the subscription history the
metrics page charts (LUXE BOND since January 2023, Salon Luxe upgraded August 2023,
PackagePro October 2023 and its Shanghai location add-on)."""

from __future__ import annotations

from datetime import UTC, datetime

from core.entitlements import monthly_amount
from core.enums import PlanTier
from orgs.models import BillingMode, Organization

from .models import PlanChange, PlanChangeSource, Subscription, SubscriptionStatus

# org, payer, plan, extra locations
SUBSCRIPTIONS = [
    ("ORG-001", "ORG-001", PlanTier.ENTERPRISE, 0),
    ("ORG-002", "ORG-001", PlanTier.ENTERPRISE, 0),
    ("ORG-003", "ORG-001", PlanTier.ENTERPRISE, 0),
    ("ORG-201", "ORG-001", PlanTier.PRO, 1),
    ("ORG-301", "ORG-001", PlanTier.PRO, 0),
    ("ORG-401", "ORG-401", PlanTier.ENTERPRISE, 0),
    ("ORG-402", "ORG-402", PlanTier.ENTERPRISE, 0),
]

# org, network, when, from plan/mode/extra, to plan/mode/extra
HISTORY = [
    ("ORG-001", "ORG-001", (2023, 1, 16), ("FREE", "FREE", 0), ("ENTERPRISE", "MASTER", 0)),
    ("ORG-002", "ORG-001", (2023, 1, 16), ("FREE", "FREE", 0), ("ENTERPRISE", "INCLUDED", 0)),
    ("ORG-003", "ORG-001", (2023, 1, 16), ("FREE", "FREE", 0), ("ENTERPRISE", "INCLUDED", 0)),
    ("ORG-301", "ORG-001", (2023, 8, 14), ("FREE", "FREE", 0), ("PRO", "ADD_ON", 0)),
    ("ORG-201", "ORG-001", (2023, 10, 9), ("FREE", "FREE", 0), ("PRO", "ADD_ON", 0)),
    ("ORG-201", "ORG-001", (2023, 11, 2), ("PRO", "ADD_ON", 0), ("PRO", "ADD_ON", 1)),
    ("ORG-401", "ORG-401", (2023, 5, 1), ("FREE", "FREE", 0), ("ENTERPRISE", "MASTER", 0)),
    ("ORG-402", "ORG-402", (2023, 6, 1), ("FREE", "FREE", 0), ("ENTERPRISE", "MASTER", 0)),
]

_BILLED = {BillingMode.MASTER, BillingMode.ADD_ON}


def seed(stdout=None) -> None:
    # Create-if-absent: a subscription the user changed (plan, cancellation) stays as it is.
    orgs = {o.code: o for o in Organization.objects.all()}  # unscoped: the seed builds the world
    for code, payer, plan, _extra in SUBSCRIPTIONS:
        Subscription.objects.get_or_create(
            organization=orgs[code],
            defaults={
                "payer": orgs[payer],
                "plan": plan,
                "status": SubscriptionStatus.ACTIVE,
                "past_due_since": None,
                "grace_until": None,
            },
        )
    for code, network, when, (p0, m0, e0), (p1, m1, e1) in HISTORY:
        a0, a1 = monthly_amount(p0, e0), monthly_amount(p1, e1)
        PlanChange.objects.get_or_create(
            organization=orgs[code],
            source=PlanChangeSource.SEED,
            at=datetime(*when, 12, tzinfo=UTC),
            defaults={
                "network": orgs[network],
                "from_plan": p0,
                "to_plan": p1,
                "from_mode": m0,
                "to_mode": m1,
                "amount_before": a0,
                "amount_after": a1,
                "network_amount_before": a0 if m0 in _BILLED else 0,
                "network_amount_after": a1 if m1 in _BILLED else 0,
            },
        )
