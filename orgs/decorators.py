from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse


def scoped_view(view: Callable) -> Callable:
    """Login required, and the user must act as an organization (request.scope is set)."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if request.scope is None:
            return TemplateResponse(request, "orgs/no_membership.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def admin_view(view: Callable) -> Callable:
    """As scoped_view, and the viewer holds an admin role in its active organization."""

    @functools.wraps(view)
    @scoped_view
    def wrapped(request, *args, **kwargs):
        if not request.scope.is_admin:
            raise PermissionDenied("This page is for organization admins.")
        return view(request, *args, **kwargs)

    return wrapped
