"""Two-factor enforcement (docs/security-two-factor.md), after ScopeMiddleware.

A signed-in user with a confirmed device whose session has not entered a code yet may only
reach the second sign-in step (or log out): every other page redirects there. A user whom an
organization's policy requires to use two-factor, without a device yet, may only reach the
set-up pages (or log out): every other page, the dashboard and the Django admin included,
redirects to the set-up with an explanation.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from orgs.two_factor import TwoFactorState, two_factor_state

# No signed-in person behind these (health checks, static files, webhooks, Bearer API).
_NOT_A_SESSION = ("/static/", "/healthz", "/readyz", "/stripe/webhook/", "/api/v1/")
SETUP_PREFIX = "/accounts/two-factor/"


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(_NOT_A_SESSION) or not request.user.is_authenticated:
            return self.get_response(request)
        state = two_factor_state(request)
        if state is TwoFactorState.OK:
            return self.get_response(request)
        open_paths = {reverse("accounts:logout"), reverse("accounts:login")}
        if state is TwoFactorState.VERIFY:
            target = reverse("accounts:login_verify")
            if path == target or path in open_paths:
                # Nothing of the organization (name, plan, menu) before the second factor.
                request.scope = None
                return self.get_response(request)
            if request.method in ("GET", "HEAD") and not request.htmx:
                target += "?" + urlencode({"next": request.get_full_path()})
        else:
            target = reverse("accounts:two_factor")
            if path.startswith(SETUP_PREFIX) or path in open_paths:
                return self.get_response(request)
        if request.htmx:
            return HttpResponseClientRedirect(target)
        return redirect(target)
