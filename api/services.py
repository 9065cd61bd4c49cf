"""Writes on API tokens: one function per use case, atomic and audited."""

from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from orgs.access import Scope
from orgs.audit import audit
from orgs.policy import Action, require
from rls.context import bypass

from .models import TOKEN_PREFIX, ApiToken, hash_token

MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def api_token_create(*, scope: Scope, name: str) -> tuple[ApiToken, str]:
    """A new token for the active organization. Returns (token, raw); raw is shown once."""
    require(scope, Action.API_TOKEN_CREATE)
    if scope.org_id is None or scope.user_id is None:
        raise PermissionDenied("An API token belongs to a person acting for an organization.")
    name = name.strip()
    if not name:
        raise ValidationError("Name the token (e.g. “ERP sync”).")
    active = ApiToken.objects.visible_to(scope).filter(
        organization_id=scope.org_id, revoked_at__isnull=True
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"At most {MAX_ACTIVE_TOKENS} active tokens; revoke one first.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        organization_id=scope.org_id,
        created_by_id=scope.user_id,
        name=name[:100],
        prefix=raw[:10],
        token_hash=hash_token(raw),
    )
    audit(scope=scope, action="api_token.create", target=token, after={"name": token.name})
    return token, raw


@transaction.atomic
def api_token_revoke(*, scope: Scope, token: ApiToken) -> ApiToken:
    """Revoke a token; revoking twice is a no-op."""
    require(scope, Action.API_TOKEN_REVOKE)
    token = ApiToken.objects.visible_to(scope).select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(scope=scope, action="api_token.revoke", target=token, before={"active": True})
    return token


@bypass(reason="api: a token's own last-use time, by primary key")
def unscoped_api_token_touch(*, token: ApiToken) -> None:
    """Record use at most once a minute (not audited: it is bookkeeping, not a change).

    Unscoped, and safe: the token was found by its hash (a named system step) and the request
    authenticated with it; this writes its own last-use time, by primary key, and reads
    nothing."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
