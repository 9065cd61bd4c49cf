"""Staff overrides: platform staff set an organization's plan by hand, with a stored reason,
through the same `organization_change_plan` as every other plan change."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from billing.models import PlanChangeSource, PlanOverride
from billing.services.plans import organization_change_plan
from orgs.access import platform_staff_scope
from orgs.audit import audit
from orgs.models import Organization


@transaction.atomic
def plan_override_create(
    *,
    user: AbstractBaseUser,
    org: Organization,
    plan: str,
    reason: str,
    billing_mode: str = "",
    extra_location_addons: int = 0,
    advanced_forecasting_addon: bool = False,
) -> PlanOverride:
    """Platform staff set a plan by hand; the reason is stored and audited."""
    if not getattr(user, "is_superuser", False):
        raise PermissionDenied("Only platform staff override plans.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Give a reason for the override.")
    override = PlanOverride.objects.create(
        organization=org,
        plan=plan,
        billing_mode=billing_mode,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        reason=reason,
        created_by_id=user.pk,
    )
    staff = platform_staff_scope(user.pk)
    organization_change_plan(
        scope=staff,
        org=org,
        plan=plan,
        billing_mode=billing_mode or None,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
        source=PlanChangeSource.OVERRIDE,
        reason=reason,
    )
    audit(
        scope=staff,
        action="billing.plan_override",
        target=override,
        after={"plan": plan, "reason": reason},
        acting_org_id=org.pk,
    )
    return override
