"""Network billing: the root's ORG_SUPER_ADMIN sets how each linked organization is billed
(the settable modes are `billing.models.SETTABLE_MODES`)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from billing.models import SETTABLE_MODES, PlanChange, PlanChangeSource
from billing.services.plans import organization_change_plan, unscoped_subscription_of
from core.enums import PlanTier
from orgs import policy
from orgs.access import Scope
from orgs.models import BillingMode, Organization


@transaction.atomic
def organization_set_billing_mode(
    *, scope: Scope, org: Organization, billing_mode: str
) -> PlanChange | None:
    """The root sets how a linked organization is billed, within the rules: subsidiaries are
    INCLUDED (or a separate ADD_ON); a partner may be sponsored (INCLUDED / ADD_ON, at least
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
    root = Organization.objects.visible_to(scope).get(pk=scope.org_id)
    plan: str
    if billing_mode == BillingMode.FREE:
        plan = PlanTier.FREE
    elif org.plan_tier == PlanTier.FREE:
        plan = PlanTier.PRO  # sponsoring a FREE partner upgrades it to PRO
    else:
        plan = org.plan_tier
    return organization_change_plan(
        scope=scope,
        org=org,
        plan=plan,
        billing_mode=billing_mode,
        payer=root,
        source=PlanChangeSource.NETWORK,
        reason=f"Billing mode set to {billing_mode} by {scope.org_code}.",
    )
