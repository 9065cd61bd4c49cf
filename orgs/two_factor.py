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

from django.db import connection
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from rls.context import bypass

from .models import ADMIN_ROLES, OrgStatus


class TwoFactorState(StrEnum):
    OK = "ok"  # verified, or no device and not required
    VERIFY = "verify"  # a confirmed device, but no code entered in this session
    ENROL = "enrol"  # required by a policy and no confirmed device yet


# One query for the whole answer, whatever the network's size: does the user have a confirmed
# device, and does an organization they administer (or the root of its network) require one?
_STANDING_SQL = """
WITH RECURSIVE admin_orgs(id) AS (
    SELECT m.organization_id FROM orgs_membership m
    JOIN orgs_organization o ON o.id = m.organization_id
    WHERE m.user_id = %(user)s AND m.is_active AND m.role = ANY(%(roles)s)
      AND o.status <> %(closed)s
), up(id) AS (
    SELECT id FROM admin_orgs
    UNION
    SELECT r.parent_id FROM orgs_organizationrelationship r JOIN up ON r.child_id = up.id
    WHERE r.status = 'ACTIVE' AND r.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH')
)
SELECT
    EXISTS (SELECT 1 FROM {totp} WHERE user_id = %(user)s AND confirmed)
    OR EXISTS (SELECT 1 FROM {static} WHERE user_id = %(user)s AND confirmed),
    EXISTS (
        SELECT 1 FROM orgs_organization o WHERE o.id IN (SELECT id FROM admin_orgs)
        AND o.require_admin_two_factor
    )
    OR EXISTS (
        SELECT 1 FROM orgs_organization o WHERE o.id IN (SELECT id FROM up)
        AND o.require_network_two_factor
        AND NOT EXISTS (
            SELECT 1 FROM orgs_organizationrelationship r WHERE r.child_id = o.id
            AND r.status = 'ACTIVE' AND r.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH')
        )
    )
"""


@bypass(reason="two-factor policy: a user's devices, admin memberships and network roots")
def unscoped_two_factor_standing(user_id: int) -> tuple[bool, bool]:
    """(has a confirmed device, is required to have one) for this user, in one query."""
    sql = _STANDING_SQL.format(totp=TOTPDevice._meta.db_table, static=StaticDevice._meta.db_table)
    params: dict[str, int | str | list[str]] = {
        "user": user_id,
        "roles": sorted(str(role) for role in ADMIN_ROLES),
        "closed": str(OrgStatus.CLOSED),
    }
    with connection.cursor() as cur:
        cur.execute(sql, params)
        has_device, required = cur.fetchone()
    return bool(has_device), bool(required)


def unscoped_two_factor_required(user_id: int) -> bool:
    """Whether an organization (or its network root) requires two-factor of this user."""
    return unscoped_two_factor_standing(user_id)[1]


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
    else:
        has_device, required = unscoped_two_factor_standing(user.pk)
        if has_device:
            state = TwoFactorState.VERIFY
        elif required:
            state = TwoFactorState.ENROL
        else:
            state = TwoFactorState.OK
    setattr(request, _STATE_ATTR, state)
    return state


def forget_two_factor_state(request: HttpRequest) -> None:
    """After enrolling, verifying or disabling, the next question is answered afresh."""
    if hasattr(request, _STATE_ATTR):
        delattr(request, _STATE_ATTR)
