"""The project's request wiring: ScopeMiddleware builds the request's Scope (orgs.access), swaps
in a partnership preview's (partnerships.preview) and activates it in PostgreSQL (rls). It lives
here, in the top layer, because it joins those apps; each of them stays below it."""

from functools import partial

from django.core.exceptions import SuspiciousOperation
from django.http import HttpResponseForbidden
from django.template.loader import render_to_string

from orgs.access import NoMembership, scope_for_user
from orgs.audit import audit_bypass
from orgs.session import ACTIVE_ORG_SESSION_KEY, PREVIEW_SESSION_KEY
from orgs.two_factor import two_factor_state
from partnerships.preview import preview_scope
from rls.context import activate, bypass

_SKIP_PREFIXES = ("/healthz", "/readyz", "/static/", "/stripe/webhook/")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ScopeMiddleware:
    """Builds request.scope once per request: the only source of what the viewer may see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = None
        if not request.path.startswith(_SKIP_PREFIXES) and request.user.is_authenticated:
            # Building the scope (and a preview's) reads memberships and partnerships before
            # any scope exists: one named bypass around it, then the scope itself below.
            with bypass(reason="scope building"):
                response = self._build_scope(request)
            if response is not None:
                return response
        return self._respond_in_scope(request)

    def _build_scope(self, request):
        """Sets request.scope; returns a response only to refuse a write during a preview."""
        # Two-factor standing, read under this same bypass (one query, not three); the
        # TwoFactorMiddleware (accounts/middleware.py) then finds it on the request.
        two_factor_state(request)
        try:
            request.scope = scope_for_user(
                request.user, request.session.get(ACTIVE_ORG_SESSION_KEY)
            )
        except NoMembership:
            request.scope = None
        if request.scope is not None and request.session.get(PREVIEW_SESSION_KEY):
            # "View as partner": the partner's read-only scope (partnerships/preview.py).
            request.scope = preview_scope(request, request.scope)
        if (
            request.scope is not None
            and request.scope.read_only
            and request.method not in _SAFE_METHODS
        ):
            return HttpResponseForbidden(render_to_string("orgs/read_only.html", request=request))
        return None

    def _respond_in_scope(self, request):
        """The request's Scope reaches PostgreSQL too (rls/): the policies see what the Scope
        sees for the whole response, and nothing once it is sent (fail closed)."""
        scope = request.scope
        if request.path.startswith(_SKIP_PREFIXES):
            # Health checks, static files and the Stripe webhook have no viewer: they run with
            # the process default (nothing visible); the webhook's services bypass by name.
            return self.get_response(request)
        if scope is not None and scope.is_platform_staff:
            # Platform staff see everything: an explicit bypass, audited once per session.
            audited = request.session.get("rls_bypass_audited", False)
            reason = f"platform staff {request.method} {request.path}"
            record = None if audited else partial(audit_bypass, scope=scope, reason=reason)
            with bypass(reason=reason, audit=record):
                if not audited:
                    request.session["rls_bypass_audited"] = True
                response = self.get_response(request)
            return _stream_within(response, lambda: bypass(reason=reason))
        with activate(scope):
            response = self.get_response(request)
        return _stream_within(response, lambda: activate(scope))


def _stream_within(response, context):
    """A streamed response (CSV exports) reads the database while the server sends it, after
    the view returned: its iteration runs inside the same scope, or the policies would show it
    nothing (an empty export)."""
    if not getattr(response, "streaming", False):
        return response
    content = response.streaming_content

    def stream():
        with context():
            yield from content

    response.streaming_content = stream()
    return response


class RejectNulInQueryMiddleware:
    """A NUL character in the query string (`?q=%00`) answers 400. PostgreSQL text cannot hold
    NUL, so a view that filters on a raw query value would otherwise fail with a 500; forms
    already refuse it field by field (Django's ProhibitNullCharactersValidator)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if any("\x00" in value for values in request.GET.lists() for value in values[1]) or any(
            "\x00" in key for key in request.GET
        ):
            raise SuspiciousOperation("A query parameter contains a NUL character.")
        return self.get_response(request)
