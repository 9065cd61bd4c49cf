"""An organization's security settings: the two-factor requirement for its admins and, on a
network root, for every admin of the network (docs/security-two-factor.md)."""

from __future__ import annotations

from django.db import transaction

from orgs.access import Scope, unscoped_relock
from orgs.audit import audit_changes, changed_fields
from orgs.models import Organization
from orgs.policy import Action, require


@transaction.atomic
def organization_set_two_factor_policy(
    *,
    scope: Scope,
    organization: Organization,
    require_admins: bool,
    require_network: bool | None = None,
) -> Organization:
    """Require (or stop requiring) two-factor sign-in of the organization's admins; with
    `require_network` (the network root's super admin only, on the root), of every admin of
    every organization in the network. `None` leaves the network requirement as it is."""
    organization = unscoped_relock(organization)
    require(scope, Action.ORGANIZATION_REQUIRE_TWO_FACTOR, organization)
    before = {
        "require_admin_two_factor": organization.require_admin_two_factor,
        "require_network_two_factor": organization.require_network_two_factor,
    }
    after = dict(before, require_admin_two_factor=bool(require_admins))
    if (
        require_network is not None
        and bool(require_network) != before["require_network_two_factor"]
    ):
        require(scope, Action.NETWORK_REQUIRE_TWO_FACTOR, organization)
        after["require_network_two_factor"] = bool(require_network)
    changed = changed_fields(before, after)
    if not changed:
        return organization
    organization.require_admin_two_factor = after["require_admin_two_factor"]
    organization.require_network_two_factor = after["require_network_two_factor"]
    organization.save(update_fields=[*changed, "updated_at"])
    audit_changes(
        scope=scope,
        action="organization.two_factor_policy",
        target=organization,
        before=before,
        after=after,
        changed=changed,
    )
    return organization
