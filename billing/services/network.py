"""Network billing: the root's ORG_SUPER_ADMIN sets how each linked organization is billed
(the settable modes are `billing.models.SETTABLE_MODES`), after a confirmation page that
states the consequences (`billing_mode_change_preview`); the organization's admins are told
by the plan change (email and in-app)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import SETTABLE_MODES, PlanChange, PlanChangeSource
from billing.services.plans import (
    PlanState,
    organization_change_plan,
    unscoped_subscription_of,
)
from core.entitlements import PLAN_ORDER, FeatureRow, plan_losses, plan_unlocks
from core.enums import PlanTier
from orgs import policy
from orgs.access import Scope
from orgs.models import BillingMode, Organization


@dataclass(frozen=True)
class ModeChangePreview:
    org: Organization
    before: PlanState
    after: PlanState
    lost_features: list[FeatureRow]
    gained_features: list[FeatureRow]

    @property
    def network_amount_before(self) -> Decimal:
        return self.before.network_amount

    @property
    def network_amount_after(self) -> Decimal:
        return self.after.network_amount

    @property
    def downgrade(self) -> bool:
        return PLAN_ORDER.index(self.after.plan) < PLAN_ORDER.index(self.before.plan)


def _target_plan(scope: Scope, org: Organization, billing_mode: str) -> str:
    """The plan a billing mode means for a linked organization, or a clear refusal: subsidiaries
    are INCLUDED (or a separate ADD_ON); a partner may be sponsored (INCLUDED / ADD_ON, at least
    PRO) or left FREE; a SELF_PAY organization, or one billed by another network, pays its own."""
    policy.require(scope, policy.Action.ORGANIZATION_SET_BILLING_MODE, org)
    if org.pk == scope.org_id:
        raise ValidationError("The root organization is the MASTER account.")
    owned = org.pk in scope.org_ids
    allowed = SETTABLE_MODES["owned" if owned else "partner"]
    if billing_mode not in allowed:
        raise ValidationError(
            f"{org.code} can be set to {', '.join(allowed)} (not {billing_mode})."
        )
    if org.billing_mode == BillingMode.SELF_PAY:
        raise ValidationError(f"{org.code} pays its own subscription (SELF-PAY).")
    subscription = unscoped_subscription_of(org)
    if (
        not owned
        and subscription is not None
        and subscription.payer_id not in (None, scope.org_id)
        and org.billing_mode != BillingMode.FREE
    ):
        raise ValidationError(f"{org.code} is billed under another network.")
    if billing_mode == BillingMode.FREE:
        return PlanTier.FREE
    if org.plan_tier == PlanTier.FREE:
        return PlanTier.PRO  # sponsoring a FREE partner upgrades it to PRO
    return org.plan_tier


def billing_mode_change_preview(
    *, scope: Scope, org: Organization, billing_mode: str
) -> ModeChangePreview:
    """What setting `billing_mode` on `org` would do (the confirmation page), or a refusal."""
    plan = _target_plan(scope, org, billing_mode)
    before = PlanState.of(org)
    keeps_addons = plan == PlanTier.PRO
    after = PlanState(
        plan,
        billing_mode,
        org.extra_location_addons if keeps_addons else 0,
        org.advanced_forecasting_addon if keeps_addons else False,
    )
    if after == before:
        raise ValidationError(f"{org.code} is already billed as {billing_mode}.")
    gained: list[FeatureRow] = []
    for unlocked_plan, _price, rows in plan_unlocks(before.plan):
        gained.extend(rows)
        if unlocked_plan == plan:
            break
    else:
        gained = []
    return ModeChangePreview(
        org=org,
        before=before,
        after=after,
        lost_features=plan_losses(
            before.plan, plan, advanced_forecasting_addon=before.advanced_forecasting_addon
        ),
        gained_features=gained,
    )


@transaction.atomic
def organization_set_billing_mode(
    *, scope: Scope, org: Organization, billing_mode: str
) -> PlanChange | None:
    """The root sets how a linked organization is billed, within the rules (`_target_plan`).
    The organization's admins hear of it from the plan change (email and in-app)."""
    plan = _target_plan(scope, org, billing_mode)
    root = Organization.objects.visible_to(scope).get(pk=scope.org_id)
    return organization_change_plan(
        scope=scope,
        org=org,
        plan=plan,
        billing_mode=billing_mode,
        payer=root,
        source=PlanChangeSource.NETWORK,
        reason=f"Billing mode set to {billing_mode} by {root.code} {root.name}.",
    )
