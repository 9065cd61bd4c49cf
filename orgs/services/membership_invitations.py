"""Membership by consent (docs/security-membership.md): an admin invites a person by email; only
the person's yes makes them a member.

- `membership_invite` records a pending MembershipInvitation and emails its link. No account and
  no Membership are created: an existing account is not touched, a new person does not exist yet.
- The person opens the link: an existing account must be logged in as the invited address to
  accept (`membership_invitation_accept`); a new person (or an account that never set a
  password) sets one while accepting (`membership_invitation_accept_new_account`). Either may
  decline. Only acceptance creates (or reactivates) the Membership, audited.
- Admins resend (a new link, a fresh expiry; the old link stops working) or revoke.

The link carries a random 256-bit token; only its SHA-256 hash is stored. A link that was
used, declined, revoked or has expired is answered 410; an unknown one 404.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.email import queue_email
from orgs.access import Scope, build_scope, unscoped_relock
from orgs.audit import audit
from orgs.models import (
    Membership,
    MembershipInvitation,
    MembershipInvitationStatus,
    Organization,
    OrgStatus,
    Role,
)
from orgs.policy import Action, require
from rls.context import bypass

from .organizations import check_role_grant

User = get_user_model()
Status = MembershipInvitationStatus


class MembershipInvitationNotFound(Exception):
    """Unknown or mistyped link: answered 404, revealing nothing."""


class MembershipInvitationNoLongerValid(Exception):
    """A real link that was used, declined, revoked, or has expired: answered 410."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class WrongAccount(Exception):
    """The logged-in person is not the one the invitation was sent to."""

    def __init__(self, invited_email: str):
        self.invited_email = invited_email
        super().__init__(invited_email)


# --- tokens ------------------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """(the token for the link, the hash we store). The token itself is never stored."""
    raw = secrets.token_urlsafe(32)
    return raw, _hash(raw)


def membership_invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}/join/{token}/"


def _expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


_CLOSED_REASONS = {
    Status.ACCEPTED: "This invitation has already been accepted.",
    Status.DECLINED: "This invitation was declined.",
    Status.REVOKED: "This invitation was withdrawn by the organization.",
    Status.EXPIRED: "This invitation has expired.",
}


def check_usable(invitation: MembershipInvitation) -> None:
    """Raise MembershipInvitationNoLongerValid unless the invitation can still be answered."""
    if invitation.status != Status.PENDING:
        raise MembershipInvitationNoLongerValid(_CLOSED_REASONS[Status(invitation.status)])
    if invitation.is_expired:
        raise MembershipInvitationNoLongerValid(_CLOSED_REASONS[Status.EXPIRED])


# --- the inviting side -------------------------------------------------------------------------


def _send(invitation: MembershipInvitation, token: str, inviter: str) -> None:
    queue_email(
        to=[invitation.email],
        template="orgs/email/membership_invitation",
        context={
            "organization": invitation.organization,
            "role": invitation.get_role_display(),
            "inviter": inviter,
            "url": membership_invitation_url(token),
            "expires_at": invitation.expires_at,
            "ttl_days": settings.INVITATION_TTL_DAYS,
        },
    )


def _inviter_name(scope: Scope) -> str:
    if scope.user_id is None:
        return scope.org_name
    user = User.objects.filter(pk=scope.user_id).first()
    return user.get_full_name() if user is not None else scope.org_name


@transaction.atomic
def membership_invite(
    *, scope: Scope, organization: Organization, email: str, role: str, full_name: str = ""
) -> tuple[MembershipInvitation, str]:
    """Invite a person to an organization; returns the pending invitation and its link token.

    Nobody is added: the Membership exists only once the person accepts."""
    require(scope, Action.MEMBERSHIP_INVITE, organization)
    if role not in Role.values:
        raise ValidationError("Choose a role.")
    check_role_grant(scope, organization, role)
    email = email.strip().lower()
    if not email:
        raise ValidationError("Enter an email address.")
    # The inviting admin administers the organization, so sees its memberships.
    if (
        Membership.objects.visible_to(scope)
        .filter(organization=organization, user__email__iexact=email, is_active=True)
        .exists()
    ):
        raise ValidationError(f"{email} is already a member of {organization.name}.")
    now = timezone.now()
    # A pending invitation that has expired no longer blocks a new one.
    MembershipInvitation.objects.visible_to(scope).filter(
        organization=organization, email__iexact=email, status=Status.PENDING, expires_at__lte=now
    ).update(status=Status.EXPIRED, closed_at=now, updated_at=now)
    token, token_hash = _new_token()
    try:
        with transaction.atomic():
            invitation = MembershipInvitation.objects.create(
                organization=organization,
                email=email,
                full_name=full_name.strip(),
                role=role,
                invited_by_id=scope.user_id,
                token_hash=token_hash,
                expires_at=_expiry(),
            )
    except IntegrityError:
        raise ValidationError(
            f"An invitation to {email} is already pending; resend it from the members page."
        )
    audit(
        scope=scope,
        action="membership_invitation.create",
        target=invitation,
        after={"email": email, "role": role},
        acting_org_id=organization.pk,
    )
    _send(invitation, token, _inviter_name(scope))
    return invitation, token


def _locked_for_admin(scope: Scope, invitation: MembershipInvitation) -> MembershipInvitation:
    invitation = unscoped_relock(invitation, select_related=("organization",))
    require(scope, Action.MEMBERSHIP_INVITATION_MANAGE, invitation)
    return invitation


@transaction.atomic
def membership_invitation_resend(*, scope: Scope, invitation: MembershipInvitation) -> str:
    """A new link (the old one stops working) with a fresh expiry, emailed again."""
    invitation = _locked_for_admin(scope, invitation)
    if invitation.status != Status.PENDING:
        raise ValidationError(f"This invitation is {invitation.get_status_display().lower()}.")
    token, invitation.token_hash = _new_token()
    invitation.expires_at = _expiry()
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "updated_at"])
    audit(
        scope=scope,
        action="membership_invitation.resend",
        target=invitation,
        after={"sent": invitation.sent_count},
        acting_org_id=invitation.organization_id,
    )
    _send(invitation, token, _inviter_name(scope))
    return token


@transaction.atomic
def membership_invitation_revoke(
    *, scope: Scope, invitation: MembershipInvitation
) -> MembershipInvitation:
    """Withdraw a pending invitation: its link answers 410 from now on."""
    invitation = _locked_for_admin(scope, invitation)
    if invitation.status == Status.REVOKED:
        return invitation  # a double click
    if invitation.status != Status.PENDING:
        raise ValidationError(f"This invitation is {invitation.get_status_display().lower()}.")
    invitation.status = Status.REVOKED
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["status", "closed_at", "updated_at"])
    audit(
        scope=scope,
        action="membership_invitation.revoke",
        target=invitation,
        before={"status": Status.PENDING.value},
        acting_org_id=invitation.organization_id,
    )
    return invitation


# --- finding an invitation by its link ---------------------------------------------------------


@bypass(reason="membership invitation link: the token is the credential, no scope yet")
def unscoped_membership_invitation_by_token(token: str) -> MembershipInvitation:
    """The invitation a link names. Unscoped: the link itself is the credential."""
    try:
        return MembershipInvitation.objects.select_related("organization", "invited_by").get(
            token_hash=_hash(token)
        )
    except MembershipInvitation.DoesNotExist:
        raise MembershipInvitationNotFound


@bypass(reason="membership invitation link: the token is the credential, no scope yet")
def unscoped_lock_membership_invitation(token: str) -> MembershipInvitation:
    """The invitation a link names, locked to answer it. Unscoped: the link is the credential."""
    try:
        invitation = (
            MembershipInvitation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(token_hash=_hash(token))
        )
    except MembershipInvitation.DoesNotExist:
        raise MembershipInvitationNotFound
    check_usable(invitation)
    return invitation


@bypass(reason="membership invitation link: whether the invited address has an account")
def unscoped_account_for(email: str) -> Any:
    """The account of the invited address, if any (the link page asks the person to log in)."""
    return User.objects.filter(email__iexact=email).first()


# --- the invitee's side ------------------------------------------------------------------------


@bypass(reason="membership invitation accept: the invitee joins an organization outside its scope")
@transaction.atomic
def membership_invitation_accept(*, token: str, user: Any) -> Membership:
    """A logged-in person accepts an invitation sent to their own address."""
    invitation = unscoped_lock_membership_invitation(token)
    if user.email.lower() != invitation.email.lower():
        raise WrongAccount(invitation.email)
    return _join(invitation, user)


@bypass(reason="membership invitation accept: a new person's account, outside any scope")
@transaction.atomic
def membership_invitation_accept_new_account(
    *, token: str, full_name: str, password: str
) -> Membership:
    """A new person accepts and sets their password. An account for the address that never
    set a password (it cannot log in) sets it here too: the emailed link proves the address."""
    invitation = unscoped_lock_membership_invitation(token)
    user = User.objects.select_for_update().filter(email__iexact=invitation.email).first()
    if user is not None and user.has_usable_password():
        raise ValidationError(
            f"An account for {invitation.email} already exists. Log in to accept this invitation."
        )
    full_name = full_name.strip() or invitation.full_name
    if not full_name:
        raise ValidationError("Enter your name.")
    if user is None:
        user = User(email=invitation.email, full_name=full_name)
    else:
        user.full_name = full_name
    validate_password(password, user)
    user.set_password(password)
    user.save()
    return _join(invitation, user)


@bypass(reason="membership invitation decline: the token is the credential")
@transaction.atomic
def membership_invitation_decline(*, token: str, user: Any = None) -> MembershipInvitation:
    """The person says no. Logged in, it must be as the invited address."""
    invitation = unscoped_lock_membership_invitation(token)
    if user is not None and user.email.lower() != invitation.email.lower():
        raise WrongAccount(invitation.email)
    invitation.status = Status.DECLINED
    invitation.closed_at = timezone.now()
    invitation.save(update_fields=["status", "closed_at", "updated_at"])
    audit(
        scope=None,
        action="membership_invitation.decline",
        target=invitation,
        before={"status": Status.PENDING.value},
        after={"email": invitation.email},
        acting_org_id=invitation.organization_id,
    )
    return invitation


@bypass(reason="membership invitation accept: the invitee joins an organization outside its scope")
def _join(invitation: MembershipInvitation, user: Any) -> Membership:
    """The one place a person becomes a member: after saying yes. Runs under the caller's
    bypass: the person is not yet in the organization's scope."""
    organization = invitation.organization
    if organization.status == OrgStatus.CLOSED:
        raise MembershipInvitationNoLongerValid(f"{organization.name} is closed.")
    membership = (
        Membership.objects.select_for_update().filter(user=user, organization=organization).first()
    )
    before = None
    if membership is None:
        membership = Membership.objects.create(
            user=user, organization=organization, role=invitation.role
        )
        action = "membership.create"
    elif membership.is_active:
        raise ValidationError(f"You are already a member of {organization.name}.")
    else:
        before = {"active": False, "role": membership.role}
        membership.is_active = True
        membership.role = invitation.role
        membership.save(update_fields=["is_active", "role"])
        action = "membership.reactivate"
    invitation.status = Status.ACCEPTED
    invitation.closed_at = timezone.now()
    invitation.accepted_by = user
    invitation.membership = membership
    invitation.save(
        update_fields=["status", "closed_at", "accepted_by", "membership", "updated_at"]
    )
    scope = build_scope(org=organization, role=membership.role, user_id=user.pk)
    audit(
        scope=scope,
        action="membership_invitation.accept",
        target=invitation,
        after={"email": invitation.email, "role": invitation.role},
    )
    audit(
        scope=scope,
        action=action,
        target=membership,
        before=before,
        after={"active": True, "role": membership.role, "invitation": str(invitation.public_id)},
    )
    return membership
