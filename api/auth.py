"""Bearer-token authentication for /api/v1/: the token's organization and creator give the
Scope, built the same way as for a browser request, so `visible_to` decides every read."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.views.decorators.csrf import csrf_exempt

from core.entitlements import FEATURES, Feature, minimum_plan_for
from core.throttle import API_TOKEN, retry_minutes
from orgs.access import scope_for_ids
from orgs.models import Membership
from rls.context import activate, bypass

from .models import ApiToken
from .problems import ApiProblem, problem
from .services import unscoped_api_token_touch

logger = logging.getLogger(__name__)

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="betterdata"'}


def _unauthorized(detail: str, path: str):
    return problem(401, "Unauthorized", detail, "unauthorized", instance=path, headers=_CHALLENGE)


def _throttled(retry_after: int, path: str):
    return problem(
        429,
        "Too many requests",
        "Too many requests with an invalid API token came from your address. "
        f"Try again in {retry_minutes(retry_after)} minute(s).",
        "too-many-requests",
        instance=path,
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def api_endpoint(view: Callable) -> Callable:
    """Read-only JSON endpoint: Bearer auth, API_ACCESS gate, problem responses for errors."""

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        path = request.path
        try:
            if request.method not in ("GET", "HEAD"):
                return problem(
                    405,
                    "Method not allowed",
                    f"{request.method} is not supported: the API is read-only.",
                    "method-not-allowed",
                    instance=path,
                    headers={"Allow": "GET, HEAD"},
                )
            scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
            raw = raw.strip()
            if scheme.lower() != "bearer" or not raw:
                return _unauthorized("Send an API token: Authorization: Bearer <token>.", path)
            # An address that sent too many invalid tokens is refused before any look-up.
            if (wait := API_TOKEN.retry_after(request)) is not None:
                return _throttled(wait, path)
            # Finding the token by its hash comes before any scope: a named bypass.
            with bypass(reason="api: token look-up by hash"):
                token = ApiToken.objects.unscoped_authenticate(raw)
            if token is None:
                API_TOKEN.record_failure(request)
                return _unauthorized("The token is not valid or was revoked.", path)
            try:
                scope = scope_for_ids(user_id=token.created_by_id, org_id=token.organization_id)
            except Membership.DoesNotExist:
                return _unauthorized(
                    "The person who created this token is no longer a member of its organization.",
                    path,
                )
            if not scope.has(Feature.API_ACCESS):
                plan = minimum_plan_for(Feature.API_ACCESS)
                return problem(
                    403,
                    "Upgrade required",
                    f"{FEATURES[Feature.API_ACCESS].label} need the {plan} plan; "
                    f"{scope.org_code} is on {scope.plan}.",
                    "upgrade-required",
                    instance=path,
                    required_plan=plan,
                    feature=str(Feature.API_ACCESS),
                )
            # The view reads under the token's scope, in PostgreSQL too (rls/).
            with activate(scope):
                unscoped_api_token_touch(token=token)
                return view(request, scope, *args, **kwargs)
        except ApiProblem as exc:
            return problem(exc.status, exc.title, exc.detail, exc.kind, instance=path, **exc.extra)
        except Exception:  # the last resort: still a problem document, and logged
            logger.exception("API error on %s", path)
            return problem(500, "Server error", "Something went wrong on our side.", "server-error")

    return wrapped
