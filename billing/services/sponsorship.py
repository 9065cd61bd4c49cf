"""Sponsored upgrades: an upgrade that would be billed under the network root (ADD_ON or
INCLUDED) is a request the root's ORG_SUPER_ADMIN approves or declines.

Until it is approved nothing is billed to the root and the plan does not change; the asking
organization may instead pay its own way (SELF-PAY, through checkout). One pending request per
organization (a partial unique index). Every step is audited; the root's admins hear of a new
request in-app and by email, the asking organization's admins hear of the decision.
Approving twice applies once: the request row is locked and only a PENDING one is applied.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    PlanChangeSource,
    SponsoredUpgradeRequest,
    SponsoredUpgradeStatus,
)
from billing.notify import notify
from billing.services.checkout import purchase_validate
from billing.services.plans import (
    network_root_for,
    organization_change_plan,
    unscoped_admin_emails,
    unscoped_subscription_of,
)
from core.email import queue_email
from core.entitlements import monthly_amount
from core.enums import NotificationKind
from orgs import policy
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import BillingMode, Organization


def _url(upgrade: SponsoredUpgradeRequest) -> str:
    return f"/billing/requests/{upgrade.public_id}/"


def _summary(upgrade: SponsoredUpgradeRequest) -> dict[str, object]:
    return {
        "plan": upgrade.plan,
        "billing_mode": upgrade.billing_mode,
        "extra_location_addons": upgrade.extra_location_addons,
        "advanced_forecasting_addon": upgrade.advanced_forecasting_addon,
        "monthly_amount": str(
            monthly_amount(
                upgrade.plan, upgrade.extra_location_addons, upgrade.advanced_forecasting_addon
            )
        ),
    }


def _refuse_when_not_sponsorable(org: Organization, network: Organization | None) -> Organization:
    """The network that would pay, or a clear refusal: no network, the root itself, an
    organization that pays its own subscription or is billed under another network."""
    if network is None or network.pk == org.pk:
        raise ValidationError(
            f"{org.code} is not billed under a network: upgrade through checkout."
        )
    if org.billing_mode == BillingMode.SELF_PAY:
        raise ValidationError(
            f"{org.code} pays its own subscription (SELF-PAY): buy the upgrade through checkout."
        )
    subscription = unscoped_subscription_of(org)
    if (
        subscription is not None
        and subscription.payer_id not in (None, network.pk, org.pk)
        and org.billing_mode != BillingMode.FREE
    ):
        raise ValidationError(f"{org.code} is billed under another network.")
    return network


@transaction.atomic
def sponsored_upgrade_request(
    *,
    scope: Scope,
    plan: str,
    billing_mode: str = BillingMode.ADD_ON,
    extra_location_addons: int = 0,
    advanced_forecasting_addon: bool = False,
    message: str = "",
) -> SponsoredUpgradeRequest:
    """An admin of the active organization asks its network root to pay for an upgrade."""
    policy.require(scope, policy.Action.ORGANIZATION_CHANGE_PLAN)
    org = Organization.objects.visible_to(scope).get(pk=scope.org_id)
    # The partner asks to be billed as an add-on; only the root may cover a plan at no charge
    # (INCLUDED), through its own billing-mode change, never through a partner's request.
    if billing_mode != BillingMode.ADD_ON:
        raise ValidationError(
            "A sponsored upgrade is billed as an add-on; only your network's admins can include "
            "a plan at no charge."
        )
    network = _refuse_when_not_sponsorable(org, network_root_for(org))
    extra, forecasting = purchase_validate(
        org,
        plan=plan,
        extra_location_addons=extra_location_addons,
        advanced_forecasting_addon=advanced_forecasting_addon,
    )
    if (
        SponsoredUpgradeRequest.objects.visible_to(scope)
        .filter(organization=org, status=SponsoredUpgradeStatus.PENDING)
        .exists()
    ):
        raise ValidationError(
            f"{org.code} already has a request waiting for {network.code}'s approval."
        )
    try:
        with transaction.atomic():
            upgrade = SponsoredUpgradeRequest.objects.create(
                organization=org,
                network=network,
                plan=plan,
                billing_mode=billing_mode,
                extra_location_addons=extra,
                advanced_forecasting_addon=forecasting,
                message=message.strip()[:300],
                requested_by_id=scope.user_id,
            )
    except IntegrityError as exc:  # a concurrent double click: the first one is the request
        raise ValidationError(
            f"{org.code} already has a request waiting for {network.code}'s approval."
        ) from exc
    audit(
        scope=scope,
        action="billing.sponsored_upgrade_request",
        target=upgrade,
        after=_summary(upgrade),
    )
    _notify_network(upgrade, org, network)
    return upgrade


def _notify_network(
    upgrade: SponsoredUpgradeRequest, org: Organization, network: Organization
) -> None:
    """The root's admins: an in-app notification and an email, both after commit."""
    title = f"{org.code} {org.name} asks {network.code} to pay for {upgrade.plan}"
    amount = monthly_amount(
        upgrade.plan, upgrade.extra_location_addons, upgrade.advanced_forecasting_addon
    )
    emails = unscoped_admin_emails(network.pk)
    if emails:
        queue_email(
            to=emails,
            template="billing/email/sponsored_requested",
            context={
                "upgrade": upgrade,
                "org": org,
                "network": network,
                "amount": amount,
                "url": f"{settings.SITE_URL}{_url(upgrade)}",
            },
        )
    transaction.on_commit(
        lambda: notify(
            org_ids=[network.pk],
            kind=NotificationKind.SPONSORED_UPGRADE_REQUESTED,
            title=title,
            body=f"{upgrade.billing_mode}, ${amount}/month on your network's bill once approved.",
            url=_url(upgrade),
            admins_only=True,
        )
    )


def _lock_for_decision(scope: Scope, upgrade: SponsoredUpgradeRequest) -> SponsoredUpgradeRequest:
    """The request, locked, once the viewer is the super admin of the network asked to pay."""
    policy.require(scope, policy.Action.ORGANIZATION_SET_BILLING_MODE, upgrade.organization)
    upgrade = unscoped_relock(upgrade, select_related=("organization", "network"))
    if upgrade.network_id != scope.org_id:
        raise policy.NotAllowed("Only the super admin of the network asked to pay decides.")
    return upgrade


def _already_decided(upgrade: SponsoredUpgradeRequest) -> ValidationError:
    return ValidationError(f"This request was already {upgrade.get_status_display().lower()}.")


@transaction.atomic
def sponsored_upgrade_approve(*, scope: Scope, upgrade: SponsoredUpgradeRequest) -> bool:
    """The root's super admin approves: the plan changes, billed to the root. False when it
    was already approved (a double click applies once)."""
    upgrade = _lock_for_decision(scope, upgrade)
    if upgrade.status == SponsoredUpgradeStatus.APPROVED:
        return False
    if not upgrade.is_pending:
        raise _already_decided(upgrade)
    org, network = upgrade.organization, upgrade.network
    _refuse_when_not_sponsorable(org, network)
    organization_change_plan(
        scope=scope,
        org=org,
        plan=upgrade.plan,
        billing_mode=upgrade.billing_mode,
        payer=network,
        extra_location_addons=upgrade.extra_location_addons,
        advanced_forecasting_addon=upgrade.advanced_forecasting_addon,
        source=PlanChangeSource.NETWORK,
        reason=f"Sponsored upgrade approved by {network.code} {network.name}.",
    )
    _decide(scope, upgrade, SponsoredUpgradeStatus.APPROVED, reason="")
    return True


@transaction.atomic
def sponsored_upgrade_decline(
    *, scope: Scope, upgrade: SponsoredUpgradeRequest, reason: str
) -> None:
    """The root's super admin declines, with a reason the asking organization reads."""
    upgrade = _lock_for_decision(scope, upgrade)
    if not upgrade.is_pending:
        raise _already_decided(upgrade)
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the request is declined; the organization reads it.")
    _decide(scope, upgrade, SponsoredUpgradeStatus.DECLINED, reason=reason[:300])


@transaction.atomic
def sponsored_upgrade_cancel(*, scope: Scope, upgrade: SponsoredUpgradeRequest) -> None:
    """The asking organization withdraws its pending request."""
    policy.require(scope, policy.Action.ORGANIZATION_CHANGE_PLAN)
    # No join on the network: the asker may not see the root's row.
    upgrade = unscoped_relock(upgrade)
    if upgrade.organization_id != scope.org_id:
        raise policy.NotAllowed("Only the organization that asked can withdraw its request.")
    if upgrade.status == SponsoredUpgradeStatus.CANCELLED:
        return
    if not upgrade.is_pending:
        raise _already_decided(upgrade)
    upgrade.status = SponsoredUpgradeStatus.CANCELLED
    upgrade.decided_by_id = scope.user_id
    upgrade.decided_at = timezone.now()
    upgrade.save(update_fields=["status", "decided_by", "decided_at"])
    audit(
        scope=scope,
        action="billing.sponsored_upgrade_cancel",
        target=upgrade,
        after=_summary(upgrade),
    )


def _decide(scope: Scope, upgrade: SponsoredUpgradeRequest, status: str, *, reason: str) -> None:
    upgrade.status = status
    upgrade.reason = reason
    upgrade.decided_by_id = scope.user_id
    upgrade.decided_at = timezone.now()
    upgrade.save(update_fields=["status", "reason", "decided_by", "decided_at"])
    approved = status == SponsoredUpgradeStatus.APPROVED
    audit(
        scope=scope,
        action="billing.sponsored_upgrade_approve"
        if approved
        else "billing.sponsored_upgrade_decline",
        target=upgrade,
        after={**_summary(upgrade), "status": status, "reason": reason},
    )
    _notify_decision(upgrade, approved=approved)


def _notify_decision(upgrade: SponsoredUpgradeRequest, *, approved: bool) -> None:
    """The asking organization's admins. An approval's email is the plan-change email (it names
    the approving network); a decline gets its own, with the reason."""
    org, network = upgrade.organization, upgrade.network
    verdict = "approved" if approved else "declined"
    if not approved:
        emails = unscoped_admin_emails(org.pk)
        if emails:
            queue_email(
                to=emails,
                template="billing/email/sponsored_declined",
                context={
                    "upgrade": upgrade,
                    "org": org,
                    "network": network,
                    "url": f"{settings.SITE_URL}/billing/plan/",
                },
            )
    transaction.on_commit(
        lambda: notify(
            org_ids=[org.pk],
            kind=NotificationKind.SPONSORED_UPGRADE_DECIDED,
            title=f"{network.code} {verdict} your {upgrade.plan} upgrade",
            body=upgrade.reason,
            url=_url(upgrade),
            admins_only=True,
        )
    )
