"""Start and stop "view as partner" (the read-only lens is built by partnerships/preview.py)."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from orgs.decorators import admin_view, scoped_view

from .. import selectors
from ..preview import PREVIEW_SESSION_KEY, previewable
from ..services import preview as services


@admin_view
@require_POST
def preview_start(request: HttpRequest, public_id: UUID) -> HttpResponse:
    scope = request.scope
    partnership = previewable(scope, str(public_id))
    if partnership is None:
        get_object_or_404(selectors.partnerships_for(scope), public_id=public_id)
        raise PermissionDenied("Only the inviting side's admins can preview an active partnership.")
    services.partnership_preview_start(scope=scope, partnership=partnership)
    request.session[PREVIEW_SESSION_KEY] = str(partnership.public_id)
    return redirect("dashboard")


@scoped_view
@require_POST
def preview_stop(request: HttpRequest) -> HttpResponse:
    public_id = request.session.pop(PREVIEW_SESSION_KEY, None)
    if public_id and not request.scope.read_only:
        services.partnership_preview_stop(scope=request.scope, partnership_public_id=public_id)
        return redirect("partnerships:partnership_detail", public_id=public_id)
    return redirect("partnerships:partnership_list")
