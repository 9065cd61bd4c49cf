"""Every write of the partnerships app: one function per use case, atomic and audited."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.email import queue_email
from core.enums import TIER_FOR_PLAN, PlanTier
from core.numbering import ORGANIZATION_CODE, next_code
from orgs.access import Scope, build_scope, unscoped_relock
from orgs.audit import audit
from orgs.models import (
    ADMIN_ROLES,
    COLLABORATION_TYPES,
    BillingMode,
    Location,
    Membership,
    Organization,
    OrganizationRelationship,
    OrgType,
    Party,
    RelationshipStatus,
    Role,
)
from orgs.policy import Action, require
from rls.context import bypass

from .models import (
    Invitation,
    InvitationStatus,
    Message,
    Notification,
    NotificationPreference,
    Partnership,
    PartnershipRole,
    PartnershipStatus,
    PartyContact,
)
from .notifications import KINDS, flags_of, notify

User = get_user_model()

_SIGNER = signing.Signer(salt="partnerships.invitation")

# The organization type a new partner tenant gets from the role it was invited for.
ORG_TYPE_FOR_ROLE = {
    PartnershipRole.THREE_PL: OrgType.THREE_PL,
    PartnershipRole.VMI_RETAILER: OrgType.VMI_RETAILER,
    PartnershipRole.RETAILER: OrgType.RETAILER,
    PartnershipRole.SUPPLIER: OrgType.SUPPLIER,
    PartnershipRole.CUSTOMER: OrgType.CUSTOMER,
    PartnershipRole.DISTRIBUTOR: OrgType.DISTRIBUTOR,
}


class InvitationNotFound(Exception):
    """Unknown or tampered link: answered 404, revealing nothing."""


class InvitationNoLongerValid(Exception):
    """A real link that was used, revoked, or has expired: answered 410."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class WrongAccount(Exception):
    """The logged-in person is not the one the invitation was sent to."""

    def __init__(self, invited_email: str):
        self.invited_email = invited_email
        super().__init__(invited_email)


@dataclass(frozen=True)
class AcceptResult:
    user: object
    organization: Organization
    partnership: Partnership
    created_account: bool


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


def _expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


def _check_usable(invitation: Invitation) -> None:
    if invitation.status == InvitationStatus.ACCEPTED:
        raise InvitationNoLongerValid("This invitation has already been accepted.")
    if invitation.status == InvitationStatus.REVOKED:
        raise InvitationNoLongerValid("This invitation was withdrawn by the sender.")
    if invitation.is_expired:
        raise InvitationNoLongerValid("This invitation has expired.")


# --- invitations (inviting side) ------------------------------------------------------------


def _check_shared_locations(
    scope: Scope, network_org: Organization, locations: Sequence[Location], extra_ok=()
) -> None:
    allowed = set(
        Location.objects.visible_to(scope)
        .filter(operator_id__in=scope.administered_org_ids | {network_org.pk})
        .values_list("pk", flat=True)
    ) | set(extra_ok)
    bad = [loc.code for loc in locations if loc.pk not in allowed]
    if bad:
        raise ValidationError(f"You cannot share {', '.join(bad)}.")


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
    if not company_name:
        raise ValidationError("Enter the company name.")
    if relationship_type not in COLLABORATION_TYPES:
        raise ValidationError("Choose partner, affiliate or franchise.")
    if role not in PartnershipRole.values:
        raise ValidationError("Choose the partner's role.")
    if party is not None and party.owner_id not in scope.org_ids:
        raise ValidationError("Unknown party.")
    _check_shared_locations(scope, network_org, shared_locations)
    _check_invitee_is_new(network_org, email)
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
    audit(
        scope=scope,
        action="invitation.create",
        target=invitation,
        after={
            "email": email,
            "company": company_name,
            "type": relationship_type,
            "role": role,
            "locations": sorted(loc.code for loc in shared_locations),
        },
        acting_org_id=network_org.pk,
    )
    _send_invitation(invitation, token)
    return invitation, token


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


# --- invitations (invitee side) -------------------------------------------------------------


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
    _check_usable(invitation)
    return invitation


@bypass(reason="invitation accept: links the invitee's organization into the inviting network")
def _accept(
    *, invitation: Invitation, organization: Organization, user, created_account: bool
) -> AcceptResult:
    """Outside both scopes: the inviter cannot read the invitee's organization before the link
    exists, nor the invitee the inviter's relationship; the token was checked by the caller."""
    network_org = invitation.inviting_org
    if organization.pk == network_org.pk:
        raise ValidationError("An organization cannot partner with itself.")
    if organization.pk in _owning_network_of(network_org):
        raise ValidationError(f"{organization.name} is part of {network_org.name}'s network.")
    scope = build_scope(org=organization, role=Role.ORG_ADMIN, user_id=user.pk)
    rel, created = OrganizationRelationship.objects.get_or_create(
        parent=network_org,
        child=organization,
        defaults={"type": invitation.relationship_type, "status": RelationshipStatus.ACTIVE},
    )
    partnership = None
    if not created:
        partnership = Partnership.objects.select_for_update().filter(relationship=rel).first()
        if (
            partnership
            and partnership.status == PartnershipStatus.ACTIVE
            and rel.status == RelationshipStatus.ACTIVE
        ):
            raise ValidationError(
                f"{organization.name} is already an active partner of {network_org.name}."
            )
        rel.type = invitation.relationship_type
        rel.status = RelationshipStatus.ACTIVE
        rel.save(update_fields=["type", "status"])
    now = timezone.now()
    if partnership is None:
        partnership = Partnership(relationship=rel)
    before = {"status": partnership.status} if partnership.pk else None
    partnership.role = invitation.role
    partnership.status = PartnershipStatus.ACTIVE
    partnership.terms = invitation.terms
    partnership.started_at = now
    partnership.ended_at = None
    partnership.save()
    partnership.shared_locations.set(invitation.shared_locations.all())

    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.partnership = partnership
    invitation.save(
        update_fields=["status", "accepted_at", "accepted_by", "partnership", "updated_at"]
    )
    if invitation.party_id and invitation.party.organization_id is None:
        invitation.party.organization = organization
        invitation.party.save(update_fields=["organization"])
        audit(
            scope=scope,
            action="party.became_tenant",
            target=invitation.party,
            after={"organization": organization.code},
            acting_org_id=network_org.pk,
        )
    audit(
        scope=scope, action="invitation.accept", target=invitation, after={"org": organization.code}
    )
    audit(
        scope=scope,
        action="partnership.activate",
        target=partnership,
        before=before,
        after={
            "status": "ACTIVE",
            "role": partnership.role,
            "locations": sorted(invitation.shared_locations.values_list("code", flat=True)),
        },
    )
    notify(
        org_ids=[network_org.pk],
        kind="invitation_accepted",
        title=f"{organization.name} accepted your partnership invitation",
        body=f"{organization.code} {organization.name} is now your "
        f"{partnership.get_role_display()} partner.",
        url=f"/partnerships/{partnership.public_id}/",
    )
    return AcceptResult(
        user=user,
        organization=organization,
        partnership=partnership,
        created_account=created_account,
    )


def _owning_network_of(org: Organization) -> set[int]:
    from orgs.access import _subtree_ids, root_of

    return _subtree_ids(root_of(org.pk))


@bypass(reason="invitation accept: a new person, account and organization outside any scope")
@transaction.atomic
def invitation_accept_new_account(
    *, token: str, full_name: str, password: str, organization_name: str
) -> AcceptResult:
    """A new person accepts: their account and a FREE partner organization are created."""
    invitation = unscoped_lock_by_token(token)
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(
            f"An account for {invitation.email} already exists. Log in to accept this invitation."
        )
    full_name = full_name.strip()
    organization_name = organization_name.strip() or invitation.company_name
    if not full_name:
        raise ValidationError("Enter your name.")
    user = User(email=invitation.email, full_name=full_name)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    plan = PlanTier.FREE
    organization = Organization.objects.create(
        code=next_code(ORGANIZATION_CODE),
        name=organization_name[:200],
        org_type=ORG_TYPE_FOR_ROLE.get(invitation.role, OrgType.OTHER),
        plan_tier=plan,
        partnership_tier=TIER_FOR_PLAN[plan],
        billing_mode=BillingMode.FREE,
    )
    membership = Membership.objects.create(
        user=user, organization=organization, role=Role.ORG_ADMIN
    )
    result = _accept(
        invitation=invitation, organization=organization, user=user, created_account=True
    )
    scope = build_scope(org=organization, role=Role.ORG_ADMIN, user_id=user.pk)
    audit(scope=scope, action="organization.register", target=organization, after={"plan": plan})
    audit(scope=scope, action="membership.create", target=membership, after={"role": "ORG_ADMIN"})
    return result


@bypass(reason="invitation accept: links the invitee's organization into the inviting network")
@transaction.atomic
def invitation_accept_existing(*, token: str, user, organization: Organization) -> AcceptResult:
    """A person with an account links the partnership to an organization they administer."""
    invitation = unscoped_lock_by_token(token)
    if user.email.lower() != invitation.email.lower():
        raise WrongAccount(invitation.email)
    if (
        not Membership.objects.active()
        .filter(user=user, organization=organization, role__in=ADMIN_ROLES)
        .exists()
    ):
        raise ValidationError("Choose an organization you administer.")
    return _accept(
        invitation=invitation, organization=organization, user=user, created_account=False
    )


# --- partnerships -----------------------------------------------------------------------------


def _side_of(scope: Scope, partnership: Partnership) -> tuple[int, int]:
    """(the viewer's side org id, the other side org id) of a partnership."""
    rel = partnership.relationship
    if rel.parent_id in scope.org_ids:
        return rel.parent_id, rel.child_id
    if rel.child_id in scope.org_ids:
        return rel.child_id, rel.parent_id
    raise PermissionDenied("You are not a party to this partnership.")


@transaction.atomic
def partnership_update(
    *,
    scope: Scope,
    partnership: Partnership,
    terms: str,
    role: str,
    shared_locations: Sequence[Location],
) -> Partnership:
    """The inviting (network) side edits terms, role and shared locations; every change audited."""
    partnership = unscoped_relock(partnership, select_related=("relationship__parent",))
    require(scope, Action.PARTNERSHIP_EDIT_TERMS, partnership)
    if partnership.status == PartnershipStatus.ENDED:
        raise ValidationError("This partnership has ended; it can no longer be changed.")
    if role not in PartnershipRole.values:
        raise ValidationError("Choose the partner's role.")
    current = list(partnership.shared_locations.all())
    _check_shared_locations(
        scope, partnership.relationship.parent, shared_locations, extra_ok=[c.pk for c in current]
    )
    before = {
        "terms": partnership.terms,
        "role": partnership.role,
        "locations": sorted(c.code for c in current),
    }
    after = {
        "terms": terms.strip(),
        "role": role,
        "locations": sorted(loc.code for loc in shared_locations),
    }
    if before == after:
        return partnership
    partnership.terms = after["terms"]
    partnership.role = role
    partnership.save(update_fields=["terms", "role", "updated_at"])
    partnership.shared_locations.set(shared_locations)
    changed = [k for k in before if before[k] != after[k]]
    audit(
        scope=scope,
        action="partnership.update",
        target=partnership,
        before={k: before[k] for k in changed},
        after={k: after[k] for k in changed},
    )
    return partnership


@transaction.atomic
def partnership_end(*, scope: Scope, partnership: Partnership) -> Partnership:
    """Either side's admin ends it: the partner loses access at once; history stays."""
    partnership = unscoped_relock(
        partnership, select_related=("relationship__parent", "relationship__child")
    )
    require(scope, Action.PARTNERSHIP_END, partnership)
    mine, other = _side_of(scope, partnership)
    if partnership.status == PartnershipStatus.ENDED:
        return partnership  # a double click
    partnership.status = PartnershipStatus.ENDED
    partnership.ended_at = timezone.now()
    partnership.save(update_fields=["status", "ended_at", "updated_at"])
    rel = partnership.relationship
    rel.status = RelationshipStatus.INACTIVE
    rel.save(update_fields=["status"])
    audit(
        scope=scope,
        action="partnership.end",
        target=partnership,
        before={"status": "ACTIVE"},
        after={"status": "ENDED"},
    )
    ender = Organization.objects.visible_to(scope).get(pk=mine)
    notify(
        org_ids=[other],
        kind="partnership_ended",
        title=f"{ender.name} ended the partnership",
        body=f"Shared data is no longer visible. Partnership: {partnership}.",
        url=f"/partnerships/{partnership.public_id}/",
        exclude_user_id=scope.user_id,
    )
    return partnership


@transaction.atomic
def partnership_preview_start(*, scope: Scope, partnership: Partnership) -> None:
    """Audit that an admin of the network side looks at the partner's view (read-only)."""
    require(scope, Action.PARTNERSHIP_PREVIEW, partnership)
    if partnership.status != PartnershipStatus.ACTIVE:
        raise ValidationError("Only an active partnership can be previewed.")
    audit(
        scope=scope,
        action="partnership.preview",
        target=partnership,
        after={"as": partnership.relationship.child.code},
    )


@transaction.atomic
def partnership_preview_stop(*, scope: Scope, partnership_public_id: str) -> None:
    partnership = Partnership.objects.visible_to(scope).filter(public_id=partnership_public_id)
    if (target := partnership.first()) is not None:  # it may have gone from view meanwhile
        audit(scope=scope, action="partnership.preview_stop", target=target)


# --- messages ---------------------------------------------------------------------------------


@transaction.atomic
def message_post(*, scope: Scope, partnership: Partnership, body: str) -> Message:
    require(scope, Action.PARTNERSHIP_MESSAGE, partnership)
    mine, other = _side_of(scope, partnership)
    body = body.strip()
    if not body:
        raise ValidationError("Write a message first.")
    if len(body) > 5000:
        raise ValidationError("Keep a message under 5,000 characters.")
    if partnership.status != PartnershipStatus.ACTIVE:
        raise ValidationError("This partnership has ended; its thread is read-only.")
    message = Message.objects.create(
        partnership=partnership, author_id=scope.user_id, author_org_id=mine, body=body
    )
    audit(scope=scope, action="message.post", target=message, acting_org_id=mine)
    author = Organization.objects.visible_to(scope).get(pk=mine)
    notify(
        org_ids=[other],
        kind="message_posted",
        title=f"New message from {author.name}",
        body=body[:500],
        url=f"/partnerships/{partnership.public_id}/#messages",
        exclude_user_id=scope.user_id,
    )
    return message


# --- notifications ----------------------------------------------------------------------------


@transaction.atomic
def notification_mark_read(*, scope: Scope, notification: Notification) -> None:
    Notification.objects.visible_to(scope).filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notifications_mark_all_read(*, scope: Scope) -> int:
    return Notification.objects.visible_to(scope).unread().update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, scope: Scope, channels: dict[str, str]) -> None:
    """channels: kind -> both / in_app / email / off, for known kinds only."""
    require(scope, Action.NOTIFICATION_PREFERENCES_SET)
    unknown = set(channels) - set(KINDS)
    if unknown:
        raise ValidationError(f"Unknown notification kind: {', '.join(sorted(unknown))}.")
    for kind, channel in channels.items():
        in_app, email = flags_of(channel)
        NotificationPreference.objects.visible_to(scope).update_or_create(
            user_id=scope.user_id, kind=kind, defaults={"in_app": in_app, "email": email}
        )
    audit(
        scope=scope,
        action="notifications.preferences",
        target=User.objects.get(pk=scope.user_id),
        after=dict(sorted(channels.items())),
    )


# --- parties ------------------------------------------------------------------------------------


def _clean_party_fields(fields: dict) -> dict:
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if not cleaned.get("name"):
        raise ValidationError("Enter the party's name.")
    return cleaned


@transaction.atomic
def party_create(*, scope: Scope, owner: Organization, **fields) -> Party:
    require(scope, Action.PARTY_CREATE, owner)
    fields = _clean_party_fields(fields)
    if Party.objects.visible_to(scope).filter(owner=owner, name__iexact=fields["name"]).exists():
        raise ValidationError(f"{owner.name} already has a party named {fields['name']}.")
    party = Party.objects.create(owner=owner, **fields)
    audit(scope=scope, action="party.create", target=party, after={"name": party.name})
    return party


@transaction.atomic
def party_update(*, scope: Scope, party: Party, **fields) -> Party:
    party = unscoped_relock(party)
    require(scope, Action.PARTY_EDIT, party)
    fields = _clean_party_fields(fields)
    before = {k: getattr(party, k) for k in fields}
    if (
        fields["name"].lower() != party.name.lower()
        and Party.objects.visible_to(scope)
        .filter(owner_id=party.owner_id, name__iexact=fields["name"])
        .exists()
    ):
        raise ValidationError(f"There is already a party named {fields['name']}.")
    for k, v in fields.items():
        setattr(party, k, v)
    party.save()
    changed = [k for k in fields if before[k] != fields[k]]
    audit(
        scope=scope,
        action="party.update",
        target=party,
        before={k: before[k] for k in changed},
        after={k: fields[k] for k in changed},
    )
    return party


@transaction.atomic
def party_contact_add(
    *, scope: Scope, party: Party, name: str, title: str = "", email: str = "", phone: str = ""
) -> PartyContact:
    require(scope, Action.PARTY_EDIT, party)
    if not name.strip():
        raise ValidationError("Enter the contact's name.")
    contact = PartyContact.objects.create(
        party=party,
        name=name.strip(),
        title=title.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
    )
    audit(scope=scope, action="party.contact_add", target=party, after={"contact": contact.name})
    return contact
