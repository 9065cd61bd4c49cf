"""Who must sign in with a second factor, and where a session stands (docs/security-two-factor.md).

The policy is two booleans on Organization: `require_admin_two_factor` (this organization's
ORG_ADMINs and ORG_SUPER_ADMINs) and, on a network root, `require_network_two_factor` (every
admin of every organization the root owns through SUBSIDIARY / DIVISION / BRANCH links).
A user is affected when any of their active admin memberships falls under either, whichever
organization is active: switching organizations is no way around it.

The devices themselves are django-otp's (TOTP and static backup codes); `OTPMiddleware` marks a
session verified once a code was accepted (`request.user.is_verified()`).
"""

from __future__ import annotations

from enum import StrEnum

from django.http import HttpRequest
from django_otp import user_has_device

from rls.context import bypass

from .hierarchy import root_of
from .models import ADMIN_ROLES, Membership, Organization, OrgStatus


class TwoFactorState(StrEnum):
    OK = "ok"  # verified, or no device and not required
    VERIFY = "verify"  # a confirmed device, but no code entered in this session
    ENROL = "enrol"  # required by a policy and no confirmed device yet


@bypass(reason="two-factor policy: a user's admin memberships and their networks' roots")
def unscoped_two_factor_required(user_id: int) -> bool:
    """Whether an organization (or its network root) requires two-factor of this user."""
    admin_org_ids = set(
        Membership.objects.filter(user_id=user_id, is_active=True, role__in=ADMIN_ROLES)
        .exclude(organization__status=OrgStatus.CLOSED)
        .values_list("organization_id", flat=True)
    )
    if not admin_org_ids:
        return False
    if Organization.objects.filter(pk__in=admin_org_ids, require_admin_two_factor=True).exists():
        return True
    roots = {root_of(org_id) for org_id in admin_org_ids}
    return Organization.objects.filter(pk__in=roots, require_network_two_factor=True).exists()


_STATE_ATTR = "_two_factor_state"


def two_factor_state(request: HttpRequest) -> TwoFactorState:
    """Where the signed-in user of `request` stands; computed once per request."""
    cached = getattr(request, _STATE_ATTR, None)
    if cached is not None:
        return cached
    user = request.user
    # OTPMiddleware installs is_verified(); a request built without it has no verified device.
    verified = getattr(user, "is_verified", lambda: False)()
    if not user.is_authenticated or verified:
        state = TwoFactorState.OK
    elif user_has_device(user, confirmed=True):
        state = TwoFactorState.VERIFY
    elif unscoped_two_factor_required(user.pk):
        state = TwoFactorState.ENROL
    else:
        state = TwoFactorState.OK
    setattr(request, _STATE_ATTR, state)
    return state


def forget_two_factor_state(request: HttpRequest) -> None:
    """After enrolling, verifying or disabling, the next question is answered afresh."""
    if hasattr(request, _STATE_ATTR):
        delattr(request, _STATE_ATTR)
