"""In-app notifications and each person's per-kind preferences (in-app, email, both, off)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q

from orgs.models import Organization, TenantQuerySet

if TYPE_CHECKING:
    from orgs.access import Scope


class NotificationQuerySet(TenantQuerySet):
    # A person's notifications are theirs alone, platform staff included.
    staff_sees_all = False

    def rule(self, scope: Scope) -> NotificationQuerySet:
        # A person's own notifications; a preview (no user) has none.
        return self.filter(user_id=scope.user_id) if scope.user_id else self.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One event told to one person in-app; `kind` is a core.enums.NotificationKind value."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    organization = models.ForeignKey(
        Organization, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        # The table predates this app (it was created by partnerships): the name stays, and with
        # it the data, the indexes and the row-level-security policy (rls/policies.py).
        db_table = "partnerships_notification"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="notification_unread_idx",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreferenceQuerySet(TenantQuerySet):
    staff_sees_all = False

    def rule(self, scope: Scope) -> NotificationPreferenceQuerySet:
        return self.filter(user_id=scope.user_id) if scope.user_id else self.none()


class NotificationPreference(models.Model):
    """Per user and kind: in-app, email, both or neither. No row = both (the default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=40)
    in_app = models.BooleanField(default=True)
    email = models.BooleanField(default=True)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        db_table = "partnerships_notificationpreference"  # see Notification.Meta
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_unique")
        ]
