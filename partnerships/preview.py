""" "View as partner": an admin of a partnership's network side sees, read-only, what the
partner's users see *of this partnership*. The preview scope is the partner's own Scope (built
by the access layer) intersected with the viewer's (orgs.access.partnership_view_scope), never a
copy of the rules: the partner's other customers, its own products, members and documents with
third parties stay out of scope (404). betterdata.middleware refuses every write under it.
"""

from __future__ import annotations

from orgs.access import Scope, partnership_view_scope, scope_for_org_as_role
from orgs.models import Role
from orgs.policy import Action, can
from orgs.session import PREVIEW_SESSION_KEY

from .models import Partnership, PartnershipStatus

# Paths that must work while previewing and therefore run under the viewer's own scope.
PREVIEW_EXIT_PATHS = frozenset({"/partnerships/preview/stop/", "/accounts/logout/"})


def previewable(scope: Scope, public_id: str) -> Partnership | None:
    """The active partnership `scope` may preview (as its network side's admin), or None."""
    if not can(scope, Action.PARTNERSHIP_PREVIEW):
        return None
    partnership = (
        Partnership.objects.visible_to(scope)
        .filter(public_id=public_id, status=PartnershipStatus.ACTIVE)
        .select_related("relationship__child")
        .first()
    )
    if partnership is None or not can(scope, Action.PARTNERSHIP_PREVIEW, partnership):
        return None
    return partnership


def preview_scope(request, scope: Scope) -> Scope:
    """Called by the scope middleware: the partner's read-only scope while a preview is on."""
    public_id = request.session.get(PREVIEW_SESSION_KEY)
    if not public_id or request.path in PREVIEW_EXIT_PATHS:
        return scope
    partnership = previewable(scope, public_id)
    if partnership is None:
        # The partnership ended or the viewer lost the right: the preview stops by itself.
        request.session.pop(PREVIEW_SESSION_KEY, None)
        return scope
    partner = partnership.relationship.child
    partner_scope = scope_for_org_as_role(
        partner, role=Role.ORG_ADMIN, read_only=True, preview_of=f"{partner.code} {partner.name}"
    )
    return partnership_view_scope(
        partner_scope=partner_scope, viewer=scope, partnership_id=partnership.pk
    )
