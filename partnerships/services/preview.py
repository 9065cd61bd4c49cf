"""The audit trail of "view as partner" (partnerships/preview.py builds the read-only scope)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from orgs.access import Scope
from orgs.audit import audit
from orgs.policy import Action, require
from partnerships.models import Partnership, PartnershipStatus


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
