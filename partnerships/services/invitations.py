"""Invitations, the inviting side: send, resend, revoke; and finding one by its link token.

The link carries a signed random token; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.email import queue_email
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import COLLABORATION_TYPES, Location, Membership, Organization, Party
from orgs.policy import Action, require
from partnerships.models import (
    Invitation,
    InvitationStatus,
    Partnership,
    PartnershipRole,
    PartnershipStatus,
)
from rls.context import bypass

from .partnerships import check_shared_locations

_SIGNER = signing.Signer(salt="partnerships.invitation")


class InvitationNotFound(Exception):
    """Unknown or tampered link: answered 404, revealing nothing."""


class InvitationNoLongerValid(Exception):
    """A real link that was used, revoked, or has expired: answered 410."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


# --- tokens ---------------------------------------------------------------------------------


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    """(the signed token for the link, the hash we store). The raw token is never stored."""
    raw = secrets.token_urlsafe(32)
    return _SIGNER.sign(raw), _hash(raw)


def token_hash_of(token: str) -> str:
    try:
        return _hash(_SIGNER.unsign(token))
    except signing.BadSignature:
        raise InvitationNotFound


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/{token}/"


def _expiry() -> datetime:
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


def check_usable(invitation: Invitation) -> None:
    """Raise InvitationNoLongerValid unless the invitation can still be accepted."""
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationNoLongerValid("This invitation has already been accepted.")
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationNoLongerValid("This invitation was withdrawn by the sender.")
    if invitation.is_expired:
        raise InvitationNoLongerValid("This invitation has expired.")


# --- the inviting side ----------------------------------------------------------------------


def _send_invitation(invitation: Invitation, token: str) -> None:
    queue_email(
        to=[invitation.email],
        template="partnerships/email/invitation",
        context={
            "invitation": invitation,
            "inviting_org": invitation.inviting_org,
            "url": invitation_url(token),
            "ttl_days": settings.INVITATION_TTL_DAYS,
            "locations": list(invitation.shared_locations.order_by("code")),
            "role": invitation.get_role_display(),
        },
    )


def _validate_invitation(
    *,
    scope: Scope,
    network_org: Organization,
    company_name: str,
    email: str,
    relationship_type: str,
    role: str,
    shared_locations: Sequence[Location],
    party: Party | None,
) -> None:
    if not company_name:
        raise ValidationError("Enter the company name.")
    if relationship_type not in COLLABORATION_TYPES:
        raise ValidationError("Choose partner, affiliate or franchise.")
    if role not in PartnershipRole.values:
        raise ValidationError("Choose the partner's role.")
    if party is not None and party.owner_id not in scope.org_ids:
        raise ValidationError("Unknown party.")
    check_shared_locations(scope, network_org, shared_locations)
    _check_invitee_is_new(network_org, email)


@transaction.atomic
def invitation_create(
    *,
    scope: Scope,
    network_org: Organization,
    company_name: str,
    email: str,
    relationship_type: str,
    role: str,
    terms: str = "",
    shared_locations: Sequence[Location] = (),
    party: Party | None = None,
) -> tuple[Invitation, str]:
    """Invite a company to a partnership by email; returns the invitation and its link token."""
    require(scope, Action.INVITATION_SEND, network_org)
    company_name = company_name.strip()
    email = email.strip().lower()
    _validate_invitation(
        scope=scope,
        network_org=network_org,
        company_name=company_name,
        email=email,
        relationship_type=relationship_type,
        role=role,
        shared_locations=shared_locations,
        party=party,
    )
    token, token_hash = _new_token()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                inviting_org=network_org,
                invited_by_id=scope.user_id,
                email=email,
                company_name=company_name,
                relationship_type=relationship_type,
                role=role,
                terms=terms.strip(),
                party=party,
                token_hash=token_hash,
                expires_at=_expiry(),
            )
    except IntegrityError:
        raise ValidationError(
            f"An invitation to {email} is already pending; resend it from the list instead."
        )
    invitation.shared_locations.set(shared_locations)
    _audit_created(scope, invitation, shared_locations)
    _send_invitation(invitation, token)
    return invitation, token


def _audit_created(scope: Scope, invitation: Invitation, locations: Sequence[Location]) -> None:
    audit(
        scope=scope,
        action="invitation.create",
        target=invitation,
        after={
            "email": invitation.email,
            "company": invitation.company_name,
            "type": invitation.relationship_type,
            "role": invitation.role,
            "locations": sorted(loc.code for loc in locations),
        },
        acting_org_id=invitation.inviting_org_id,
    )


@bypass(reason="invitation: invariant checks over other organizations' members")
def _check_invitee_is_new(network_org: Organization, email: str) -> None:
    """Invariant checks over the partner's members: past RLS, nothing is shown."""
    if (
        Membership.objects.active()
        .filter(organization=network_org, user__email__iexact=email)
        .exists()
    ):
        raise ValidationError(f"{email} is already a member of {network_org.name}.")
    already = Partnership.objects.filter(
        status=PartnershipStatus.ACTIVE,
        relationship__parent=network_org,
        relationship__child__memberships__user__email__iexact=email,
        relationship__child__memberships__is_active=True,
    ).select_related("relationship__child")
    if (existing := already.first()) is not None:
        raise ValidationError(
            f"{email} already works for {existing.relationship.child.name}, "
            f"an active partner of {network_org.name}."
        )


def _locked_for_sender(scope: Scope, invitation: Invitation) -> Invitation:
    require(scope, Action.INVITATION_MANAGE, invitation)
    invitation = unscoped_relock(invitation)
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError(f"This invitation is {invitation.get_status_display().lower()}.")
    return invitation


@transaction.atomic
def invitation_resend(*, scope: Scope, invitation: Invitation) -> str:
    """A new link (the old one stops working) with a fresh expiry, emailed again."""
    invitation = _locked_for_sender(scope, invitation)
    token, invitation.token_hash = _new_token()
    invitation.expires_at = _expiry()
    invitation.sent_count += 1
    invitation.save(update_fields=["token_hash", "expires_at", "sent_count", "updated_at"])
    audit(
        scope=scope,
        action="invitation.resend",
        target=invitation,
        after={"sent": invitation.sent_count},
    )
    _send_invitation(invitation, token)
    return token


@transaction.atomic
def invitation_revoke(*, scope: Scope, invitation: Invitation) -> Invitation:
    invitation = unscoped_relock(invitation)
    require(scope, Action.INVITATION_MANAGE, invitation)
    if invitation.status == InvitationStatus.REVOKED:
        return invitation  # a double click
    if invitation.status != InvitationStatus.PENDING:
        raise ValidationError("This invitation was already accepted.")
    invitation.status = InvitationStatus.REVOKED
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at", "updated_at"])
    audit(scope=scope, action="invitation.revoke", target=invitation, before={"status": "PENDING"})
    return invitation


# --- finding an invitation by its link ------------------------------------------------------


@bypass(reason="invitation link: the token is the credential, no scope yet")
def unscoped_invitation_by_token(token: str) -> Invitation:
    """The invitation a link names. Unscoped: the link itself is the credential."""
    token_hash = token_hash_of(token)
    try:
        return Invitation.objects.select_related("inviting_org", "accepted_by").get(
            token_hash=token_hash
        )
    except Invitation.DoesNotExist:
        raise InvitationNotFound


@bypass(reason="invitation link: the token is the credential, no scope yet")
def unscoped_lock_by_token(token: str) -> Invitation:
    """The invitation a link names, locked to accept it. Unscoped: the link is the credential."""
    token_hash = token_hash_of(token)
    try:
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("inviting_org", "party")
            .get(token_hash=token_hash)
        )
    except Invitation.DoesNotExist:
        raise InvitationNotFound
    check_usable(invitation)
    return invitation
