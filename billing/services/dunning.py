"""Dunning: a failed payment opens a grace period, a paid invoice closes it, and the hourly
job moves organizations whose grace period is over to FREE. Cancellation is here too: both
end a paid plan through `organization_change_plan`, data kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.models import PlanChangeSource, Subscription, SubscriptionStatus
from billing.notify import notify
from billing.services.plans import organization_change_plan, unscoped_admin_emails
from core.email import queue_email
from core.enums import NotificationKind, PlanTier
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Organization
from rls.context import bypass


@transaction.atomic
def subscription_mark_past_due(*, subscription: Subscription, at: datetime | None = None) -> bool:
    """A payment failed: the plan stays for BILLING_GRACE_DAYS; the admins hear by email and
    in-app. False when already past due, or FREE (nothing to pay)."""
    subscription = unscoped_relock(subscription)
    if subscription.status == SubscriptionStatus.PAST_DUE or subscription.plan == PlanTier.FREE:
        return False
    now = at or timezone.now()
    grace_until = now + timedelta(days=settings.BILLING_GRACE_DAYS)
    subscription.status = SubscriptionStatus.PAST_DUE
    subscription.past_due_since = now
    subscription.grace_until = grace_until
    subscription.save(update_fields=["status", "past_due_since", "grace_until", "updated_at"])
    org = subscription.organization
    audit(
        scope=None,
        action="billing.payment_failed",
        target=org,
        after={"grace_until": grace_until.isoformat()},
        acting_org_id=org.pk,
    )
    _notify_payment_failed(org, subscription, grace_until)
    return True


def _notify_payment_failed(
    org: Organization, subscription: Subscription, grace_until: datetime
) -> None:
    """The admins' email (queued with the transaction) and the in-app copy after commit."""
    emails = unscoped_admin_emails(org.pk)
    if emails:
        queue_email(
            to=emails,
            template="billing/email/payment_failed",
            context={"org": org, "subscription": subscription, "site_url": settings.SITE_URL},
        )
    transaction.on_commit(
        lambda: notify(
            org_ids=[org.pk],
            kind=NotificationKind.PAYMENT_FAILED,
            title=f"Payment failed: {org.code} keeps {subscription.plan} until "
            f"{grace_until:%Y-%m-%d}",
            url="/billing/plan/",
        )
    )


@transaction.atomic
def subscription_mark_paid(*, subscription: Subscription) -> bool:
    """A paid invoice ends a grace period; False when nothing was outstanding."""
    subscription = unscoped_relock(subscription)
    if subscription.status != SubscriptionStatus.PAST_DUE:
        return False
    subscription.status = SubscriptionStatus.ACTIVE
    subscription.past_due_since = subscription.grace_until = None
    subscription.save(update_fields=["status", "past_due_since", "grace_until", "updated_at"])
    audit(
        scope=None,
        action="billing.payment_recovered",
        target=subscription.organization,
        acting_org_id=subscription.organization_id,
    )
    return True


@bypass(reason="billing job: expire grace periods over every subscription")
def subscriptions_expire_grace(*, now: datetime | None = None) -> list[str]:
    """Past-due organizations whose grace period is over fall back to FREE (data kept)."""
    now = now or timezone.now()
    expired = []
    ids = Subscription.objects.filter(  # unscoped: a platform job over every subscription
        status=SubscriptionStatus.PAST_DUE, grace_until__lte=now
    ).values_list("pk", flat=True)
    for pk in ids:
        with transaction.atomic():
            sub = Subscription.objects.select_for_update().select_related("organization").get(pk=pk)
            # Re-checked under the lock: a paid invoice may have ended the grace meanwhile.
            if (
                sub.status != SubscriptionStatus.PAST_DUE
                or sub.grace_until is None
                or sub.grace_until > now
            ):
                continue
            organization_change_plan(
                scope=None,
                org=sub.organization,
                plan=PlanTier.FREE,
                source=PlanChangeSource.PAYMENT_FAILED,
                reason="Payment failed and the grace period ended.",
            )
            expired.append(sub.organization.code)
    return expired


@transaction.atomic
def subscription_cancel(*, scope: Scope | None, org: Organization, reason: str = "") -> bool:
    """Cancellation: back to FREE at once; data over the FREE limits becomes read-only."""
    return (
        organization_change_plan(
            scope=scope,
            org=org,
            plan=PlanTier.FREE,
            source=PlanChangeSource.CANCELED,
            reason=reason or "Subscription cancelled.",
        )
        is not None
    )
