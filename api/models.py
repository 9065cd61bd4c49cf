"""API tokens: created by an org admin, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

from orgs.models import Organization, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope

TOKEN_PREFIX = "bd_"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(TenantQuerySet):
    def rule(self, scope: Scope) -> ApiTokenQuerySet:
        return self.filter(organization_id__in=scope.administered_org_ids)

    def unscoped_authenticate(self, raw: str) -> ApiToken | None:
        """The one unscoped read: finding the token a request presents, by its hash."""
        if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
            return None
        return (
            self.select_related("organization", "created_by")
            .filter(token_hash=hash_token(raw), revoked_at__isnull=True)
            .first()
        )


class ApiToken(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Requests act as this person in this organization, with their role's scope.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="First characters, to recognise it.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
