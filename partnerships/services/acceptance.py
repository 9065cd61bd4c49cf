"""Invitations, the invitee's side: accepting with a new account and organization, or linking
an organization the person already administers. Both lock the invitation by its link token,
then `_accept` links the two organizations as named steps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.enums import TIER_FOR_PLAN, NotificationKind, PlanTier
from core.numbering import ORGANIZATION_CODE, next_code
from notifications.services import notify
from orgs.access import Scope, build_scope
from orgs.audit import audit
from orgs.models import (
    ADMIN_ROLES,
    BillingMode,
    Membership,
    Organization,
    OrganizationRelationship,
    OrgType,
    RelationshipStatus,
    Role,
)
from partnerships.models import (
    Invitation,
    InvitationStatus,
    Partnership,
    PartnershipRole,
    PartnershipStatus,
)
from rls.context import bypass

from .invitations import unscoped_lock_by_token

User = get_user_model()

# The organization type a new partner tenant gets from the role it was invited for.
ORG_TYPE_FOR_ROLE: dict[str, str] = {
    PartnershipRole.THREE_PL: OrgType.THREE_PL,
    PartnershipRole.VMI_RETAILER: OrgType.VMI_RETAILER,
    PartnershipRole.RETAILER: OrgType.RETAILER,
    PartnershipRole.SUPPLIER: OrgType.SUPPLIER,
    PartnershipRole.CUSTOMER: OrgType.CUSTOMER,
    PartnershipRole.DISTRIBUTOR: OrgType.DISTRIBUTOR,
}


class WrongAccount(Exception):
    """The logged-in person is not the one the invitation was sent to."""

    def __init__(self, invited_email: str):
        self.invited_email = invited_email
        super().__init__(invited_email)


@dataclass(frozen=True)
class AcceptResult:
    user: Any
    organization: Organization
    partnership: Partnership
    created_account: bool


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
def invitation_accept_existing(
    *, token: str, user: Any, organization: Organization
) -> AcceptResult:
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


# --- the steps of accepting -------------------------------------------------------------------


@bypass(reason="invitation accept: links the invitee's organization into the inviting network")
def _accept(
    *, invitation: Invitation, organization: Organization, user: Any, created_account: bool
) -> AcceptResult:
    """Outside both scopes: the inviter cannot read the invitee's organization before the link
    exists, nor the invitee the inviter's relationship; the token was checked by the caller."""
    network_org = invitation.inviting_org
    _check_can_join(network_org, organization)
    scope = build_scope(org=organization, role=Role.ORG_ADMIN, user_id=user.pk)
    rel, partnership = _link(invitation, organization)
    before = {"status": partnership.status} if partnership.pk else None
    now = timezone.now()
    _activate(partnership, invitation, started_at=now)
    _mark_accepted(invitation, partnership, user=user, accepted_at=now)
    _record_party_became_tenant(scope, invitation, organization)
    _audit_accept(scope, invitation, organization, partnership, before=before)
    notify(
        org_ids=[network_org.pk],
        kind=NotificationKind.INVITATION_ACCEPTED,
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


def _check_can_join(network_org: Organization, organization: Organization) -> None:
    if organization.pk == network_org.pk:
        raise ValidationError("An organization cannot partner with itself.")
    if organization.pk in _owning_network_of(network_org):
        raise ValidationError(f"{organization.name} is part of {network_org.name}'s network.")


def _owning_network_of(org: Organization) -> set[int]:
    from orgs.hierarchy import root_of, subtree_ids

    return subtree_ids(root_of(org.pk))


@bypass(reason="invitation accept: the inviter's relationship, before the invitee may read it")
def _link(
    invitation: Invitation, organization: Organization
) -> tuple[OrganizationRelationship, Partnership]:
    """The (re)activated relationship, and its partnership: the ended one, locked, when the two
    partnered before (history stays on it), else a new unsaved one."""
    network_org = invitation.inviting_org
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
    return rel, partnership or Partnership(relationship=rel)


def _activate(partnership: Partnership, invitation: Invitation, *, started_at: Any) -> None:
    """The invitation's role, terms and shared locations become the partnership's."""
    partnership.role = invitation.role
    partnership.status = PartnershipStatus.ACTIVE
    partnership.terms = invitation.terms
    partnership.started_at = started_at
    partnership.ended_at = None
    partnership.save()
    partnership.shared_locations.set(invitation.shared_locations.all())


def _mark_accepted(
    invitation: Invitation, partnership: Partnership, *, user: Any, accepted_at: Any
) -> None:
    invitation.status = InvitationStatus.ACCEPTED
    invitation.accepted_at = accepted_at
    invitation.accepted_by = user
    invitation.partnership = partnership
    invitation.save(
        update_fields=["status", "accepted_at", "accepted_by", "partnership", "updated_at"]
    )


def _record_party_became_tenant(
    scope: Scope, invitation: Invitation, organization: Organization
) -> None:
    """An invitation sent to a party (an external entity): the party is now this tenant."""
    party = invitation.party
    if party is None or party.organization_id is not None:
        return
    party.organization = organization
    party.save(update_fields=["organization"])
    audit(
        scope=scope,
        action="party.became_tenant",
        target=party,
        after={"organization": organization.code},
        acting_org_id=invitation.inviting_org_id,
    )


def _audit_accept(
    scope: Scope,
    invitation: Invitation,
    organization: Organization,
    partnership: Partnership,
    *,
    before: dict[str, Any] | None,
) -> None:
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
