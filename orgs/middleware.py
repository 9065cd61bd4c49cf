from django.http import HttpResponseForbidden
from django.template.loader import render_to_string

from .access import NoMembership, scope_for_user

ACTIVE_ORG_SESSION_KEY = "active_org"
PREVIEW_SESSION_KEY = "preview_partnership"
_SKIP_PREFIXES = ("/healthz", "/readyz", "/static/", "/stripe/webhook/")
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ScopeMiddleware:
    """Builds request.scope once per request: the only source of what the viewer may see."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.scope = None
        if not request.path.startswith(_SKIP_PREFIXES) and request.user.is_authenticated:
            try:
                request.scope = scope_for_user(
                    request.user, request.session.get(ACTIVE_ORG_SESSION_KEY)
                )
            except NoMembership:
                request.scope = None
            if request.scope is not None and request.session.get(PREVIEW_SESSION_KEY):
                # "View as partner": the partner's read-only scope (partnerships/preview.py).
                from partnerships.preview import preview_scope

                request.scope = preview_scope(request, request.scope)
            if (
                request.scope is not None
                and request.scope.read_only
                and request.method not in _SAFE_METHODS
            ):
                return HttpResponseForbidden(
                    render_to_string("orgs/read_only.html", request=request)
                )
        return self.get_response(request)
