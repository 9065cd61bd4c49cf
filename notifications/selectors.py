"""Reads of the notifications app: a person's own notifications and preferences."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from core.enums import NotificationKind
from orgs.access import Scope

from .channels import CHANNEL_BOTH, channel_of
from .models import Notification, NotificationPreference


def notifications_for(scope: Scope) -> QuerySet[Notification]:
    return Notification.objects.visible_to(scope).order_by("-created_at", "-id")


def notification_detail(scope: Scope, public_id: object) -> Notification:
    return get_object_or_404(Notification.objects.visible_to(scope), public_id=public_id)


def unread_count(scope: Scope) -> int:
    return Notification.objects.unread().visible_to(scope).count()


def preferences_for(scope: Scope) -> dict[str, str]:
    """The viewer's own kind -> channel for every known kind (defaults filled in)."""
    stored = {
        p.kind: channel_of(p.in_app, p.email)
        for p in NotificationPreference.objects.visible_to(scope)
    }
    return {kind: stored.get(kind, CHANNEL_BOTH) for kind in NotificationKind.values}


def unscoped_email_opt_outs(kind: NotificationKind) -> QuerySet[NotificationPreference, Any]:
    """The user ids (as a sub-query) of everyone who turned email off for `kind`.

    Unscoped: for the system addressing an alert to other organizations' members; run it
    under the caller's `rls.context.bypass`."""
    return NotificationPreference.objects.filter(kind=kind, email=False).values("user_id")
