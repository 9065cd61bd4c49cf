"""The plan change: the one service that applies a plan, billing mode and add-ons to an
organization with every consequence (`organization_change_plan`).

Everything else that changes a plan calls it: a paid checkout, a verified Stripe webhook, the
network's billing screen, a staff override, the end of a grace period. It reads as steps:
validate, resolve (add-ons, billing mode, payer), apply, record, notify.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from billing.models import PlanChange, Subscription, SubscriptionStatus
from billing.notify import notify
from core.email import queue_email
from core.entitlements import PLAN_ORDER, monthly_amount
from core.enums import TIER_FOR_PLAN, NotificationKind, PlanTier
from orgs import policy
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.hierarchy import root_of
from orgs.models import (
    ADMIN_ROLES,
    COLLABORATION_TYPES,
    BillingMode,
    Membership,
    Organization,
    OrganizationRelationship,
)
from rls.context import bypass

# Modes whose amount lands on the network root's consolidated bill.
BILLED_TO_NETWORK = frozenset({BillingMode.MASTER, BillingMode.ADD_ON})


@dataclass(frozen=True)
class PlanState:
    plan: str
    billing_mode: str
    extra_location_addons: int
    advanced_forecasting_addon: bool

    @classmethod
    def of(cls, org: Organization) -> PlanState:
        return cls(
            org.plan_tier,
            org.billing_mode,
            org.extra_location_addons,
            org.advanced_forecasting_addon,
        )

    @property
    def amount(self) -> Decimal:
        return monthly_amount(
            self.plan, self.extra_location_addons, self.advanced_forecasting_addon
        )

    @property
    def network_amount(self) -> Decimal:
        return self.amount if self.billing_mode in BILLED_TO_NETWORK else Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "billing_mode": self.billing_mode,
            "extra_location_addons": self.extra_location_addons,
            "advanced_forecasting_addon": self.advanced_forecasting_addon,
        }


@bypass(reason="billing: the network that bills an organization (billing structure, nothing shown)")
def network_root_for(org: Organization) -> Organization | None:
    """The root whose network bills an organization: its own root when it is owned, otherwise
    the root of the network it first partnered with; None for a stand-alone organization."""
    # unscoped: services called by webhooks resolve billing structure, nothing is shown
    if OrganizationRelationship.objects.owning().active().filter(child=org).exists():
        return Organization.objects.get(pk=root_of(org.pk))
    rel = (
        OrganizationRelationship.objects.active()
        .filter(child=org, type__in=COLLABORATION_TYPES)
        .order_by("created_at", "pk")
        .first()
    )
    if rel is not None:
        return Organization.objects.get(pk=root_of(rel.parent_id))
    has_children = OrganizationRelationship.objects.owning().active().filter(parent=org).exists()
    return org if has_children else None


@bypass(reason="billing: whether a network owns an organization (billing structure, nothing shown)")
def unscoped_is_owned(org: Organization) -> bool:
    """Whether the organization is a subsidiary, division or branch of a network (its billing
    is the network's to set), as opposed to a partner or a stand-alone company."""
    # unscoped: billing structure only; the caller administers `org` or is a billing job
    return OrganizationRelationship.objects.owning().active().filter(child=org).exists()


def self_pay_allowed(org: Organization) -> bool:
    """Partners (and stand-alone organizations) may always pay their own way instead of asking
    their network to sponsor them; an owned organization only where BILLING_SELF_PAY_ENABLED."""
    return settings.BILLING_SELF_PAY_ENABLED or not unscoped_is_owned(org)


def billing_mode_for(org: Organization, plan: str, *, self_pay: bool = False) -> str:
    """The billing mode a change of `org` to `plan` would get when nobody names one: the same
    resolution `organization_change_plan` applies (checkout and sponsored requests ask it
    before anything is bought)."""
    return _default_billing_mode(org, plan, PlanState.of(org), self_pay=self_pay)


@bypass(reason="billing: addressing an organization's admins, nothing is shown")
def unscoped_admin_emails(org_id: int) -> list[str]:
    """Where billing email for an organization goes: its active admins."""
    return list(
        Membership.objects.filter(
            organization_id=org_id, role__in=ADMIN_ROLES, is_active=True
        ).values_list("user__email", flat=True)
    )


@bypass(reason="billing structure: an organization's subscription, whichever network pays it")
def unscoped_subscription_of(org: Organization) -> Subscription | None:
    """The organization's subscription, which a plan change updates and billing checks read.

    Unscoped, and safe: the caller was allowed to change this organization's plan or billing
    (the policy, or a Stripe webhook or billing job under its named bypass) and shows nothing
    of the row; a network checking whether another network bills a partner must see it."""
    return Subscription.objects.filter(organization=org).select_related("payer").first()


@transaction.atomic
def organization_change_plan(
    *,
    scope: Scope | None,
    org: Organization,
    plan: str,
    source: str,
    billing_mode: str | None = None,
    extra_location_addons: int | None = None,
    advanced_forecasting_addon: bool | None = None,
    payer: Organization | None = None,
    self_pay: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> PlanChange | None:
    """Apply a plan (and billing mode, add-ons) to an organization with every consequence.

    Tier follows plan (core.enums.TIER_FOR_PLAN), so features unlock or lock at the next
    request. Nothing is deleted on a downgrade: data beyond the new limits stays, and the
    entitlements table refuses new writes. Partnerships are untouched.
    Idempotent: applying the state an org already has changes nothing and returns None.
    """
    if scope is not None:  # webhooks and tasks change plans without a viewer
        policy.refuse_read_only(scope)
    if plan not in PlanTier.values:
        raise ValidationError(f"Unknown plan {plan!r}.")
    org = unscoped_relock(org)
    before = PlanState.of(org)
    subscription = unscoped_subscription_of(org)

    extra, forecasting = _addons_for(
        plan, before, extra_location_addons, advanced_forecasting_addon
    )
    if billing_mode is None:
        billing_mode = _default_billing_mode(org, plan, before, self_pay=self_pay)
    if billing_mode == BillingMode.FREE and plan != PlanTier.FREE:
        raise ValidationError("A paid plan needs a billing mode other than FREE.")
    payer = _payer_for(org, billing_mode, payer, subscription)

    after = PlanState(plan, billing_mode, extra, forecasting)
    if after == before and (subscription is None or subscription.plan == plan):
        return None

    # The network billed before the change: its admins see the change in their audit log too.
    payer_before = subscription.payer_id if subscription is not None else None
    _apply_to_organization(org, after)
    _apply_to_subscription(org, subscription, plan=plan, payer=payer)
    change = _record(
        scope=scope,
        org=org,
        before=before,
        after=after,
        payer=payer,
        payer_before=payer_before,
        source=source,
        reason=reason[:300],
        at=at or timezone.now(),
    )
    _notify_plan_changed(org, before, after, reason=reason[:300])
    return change


# --- Resolve: what the change means in add-ons, billing mode and payer ----------------------


def _addons_for(
    plan: str,
    before: PlanState,
    extra_location_addons: int | None,
    advanced_forecasting_addon: bool | None,
) -> tuple[int, bool]:
    """The add-ons after the change; an argument left None keeps what the org has."""
    if plan != PlanTier.PRO:  # FREE has no add-ons; ENTERPRISE includes both
        return 0, False
    extra = before.extra_location_addons if extra_location_addons is None else extra_location_addons
    forecasting = (
        before.advanced_forecasting_addon
        if advanced_forecasting_addon is None
        else advanced_forecasting_addon
    )
    if extra < 0:
        raise ValidationError("Add-on quantities cannot be negative.")
    return extra, forecasting


def _default_billing_mode(
    org: Organization, plan: str, before: PlanState, *, self_pay: bool
) -> str:
    """FREE for the free plan; SELF-PAY when the org pays for itself (and may); a paid org keeps
    its mode; a FREE org starting to pay is the MASTER of its own network, SELF-PAY when alone,
    else an ADD-ON of its network (which only an approved sponsored request applies)."""
    if plan == PlanTier.FREE:
        return BillingMode.FREE
    if before.billing_mode == BillingMode.MASTER:
        return BillingMode.MASTER
    if before.billing_mode != BillingMode.FREE and not self_pay:
        return before.billing_mode
    network = network_root_for(org)
    if network is not None and network.pk == org.pk:
        return BillingMode.MASTER
    if network is None or (self_pay and self_pay_allowed(org)):
        return BillingMode.SELF_PAY
    if before.billing_mode != BillingMode.FREE:
        return before.billing_mode  # asked to pay itself but may not: the network keeps billing
    return BillingMode.ADD_ON


def _payer_for(
    org: Organization,
    billing_mode: str,
    payer: Organization | None,
    subscription: Subscription | None,
) -> Organization | None:
    """Who pays: the org itself (MASTER, SELF-PAY), else the given or current payer, falling
    back to the network root for ADD-ON and INCLUDED."""
    if billing_mode in (BillingMode.MASTER, BillingMode.SELF_PAY):
        return org
    current = subscription.payer if subscription else None
    if billing_mode in (BillingMode.ADD_ON, BillingMode.INCLUDED):
        return payer or current or network_root_for(org)
    return current


# --- Apply, record, notify -------------------------------------------------------------------


def _apply_to_organization(org: Organization, after: PlanState) -> None:
    org.plan_tier = after.plan
    org.partnership_tier = TIER_FOR_PLAN[after.plan]
    org.billing_mode = after.billing_mode
    org.extra_location_addons = after.extra_location_addons
    org.advanced_forecasting_addon = after.advanced_forecasting_addon
    org.save(
        update_fields=[
            "plan_tier",
            "partnership_tier",
            "billing_mode",
            "extra_location_addons",
            "advanced_forecasting_addon",
            "updated_at",
        ]
    )


def _apply_to_subscription(
    org: Organization,
    subscription: Subscription | None,
    *,
    plan: str,
    payer: Organization | None,
) -> None:
    """FREE cancels a subscription (if there was one) and clears a grace period; a paid plan
    is ACTIVE unless a payment is outstanding."""
    subscription = subscription or Subscription(organization=org)
    subscription.plan = plan
    subscription.payer = payer
    if plan == PlanTier.FREE:
        subscription.status = (
            SubscriptionStatus.CANCELED
            if subscription.status != SubscriptionStatus.NONE
            else SubscriptionStatus.NONE
        )
        subscription.past_due_since = subscription.grace_until = None
    elif subscription.status != SubscriptionStatus.PAST_DUE:
        subscription.status = SubscriptionStatus.ACTIVE
    subscription.save()


def _record(
    *,
    scope: Scope | None,
    org: Organization,
    before: PlanState,
    after: PlanState,
    payer: Organization | None,
    source: str,
    reason: str,
    at: datetime,
    payer_before: int | None = None,
) -> PlanChange:
    """The history row the metrics read (a SELF-PAY org bills no network) and the audit entry."""
    self_pay = after.billing_mode == BillingMode.SELF_PAY
    change = PlanChange.objects.create(
        organization=org,
        network=None if self_pay else payer,
        at=at,
        from_plan=before.plan,
        to_plan=after.plan,
        from_mode=before.billing_mode,
        to_mode=after.billing_mode,
        amount_before=before.amount,
        amount_after=after.amount,
        network_amount_before=before.network_amount,
        network_amount_after=0 if self_pay else after.network_amount,
        source=source,
        reason=reason,
        actor_id=scope.user_id if scope else None,
    )
    audit(
        scope=scope,
        action="billing.plan_change",
        target=org,
        before=before.as_dict(),
        after={**after.as_dict(), "source": source, "reason": reason},
        acting_org_id=None if scope and scope.org_id else org.pk,
        # The organization, and the networks whose consolidated bill carries it (before, after).
        subject_orgs=(payer, payer_before),
    )
    return change


def _notify_plan_changed(
    org: Organization, before: PlanState, after: PlanState, *, reason: str = ""
) -> None:
    """The admins' email (queued with the transaction) and the in-app copy after commit."""
    context = {
        "reason": reason,
        "org": org,
        "before": before,
        "after": after,
        "downgraded": PLAN_ORDER.index(after.plan) < PLAN_ORDER.index(before.plan),
        "site_url": settings.SITE_URL,
    }
    emails = unscoped_admin_emails(org.pk)
    if emails:
        queue_email(to=emails, template="billing/email/plan_changed", context=context)
    transaction.on_commit(
        lambda: notify(
            org_ids=[org.pk],
            kind=NotificationKind.PLAN_CHANGED,
            title=f"{org.code} is now on the {after.plan} plan",
            body=reason,
            url="/billing/plan/",
        )
    )
