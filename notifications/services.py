"""Every write of the notifications app, and `notify`, the one function other apps call.

`notify` is called inside a service's transaction: in-app rows are written in it (so they
roll back with it) and emails are queued with `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.email import queue_email
from core.enums import NotificationKind
from orgs.access import Scope
from orgs.audit import audit
from orgs.models import Membership
from orgs.policy import Action, require
from rls.context import bypass

from .channels import flags_of
from .models import Notification, NotificationPreference


@bypass(
    reason="notify: the system addresses other organizations' members and writes their notifications"
)
def notify(
    *,
    org_ids: Iterable[int],
    kind: NotificationKind,
    title: str,
    body: str = "",
    url: str = "",
    exclude_user_id: int | None = None,
    send_email: bool = True,
    roles: Iterable[str] | None = None,
) -> None:
    """Notify the active members of `org_ids` about one event, each by their preference.

    `send_email=False` for callers that send their own transactional email (billing, shipments).
    `roles` narrows the recipients to members with one of those roles (billing: admins only).

    Three queries whatever the number of recipients (members, preferences, one bulk insert).
    """
    kind = NotificationKind(kind)  # a kind with no preference row on the page is a bug: fail
    recipients = _recipients(list(org_ids), exclude_user_id=exclude_user_id, roles=roles)
    if not recipients:
        return
    prefs = {
        user_id: (in_app, email)
        for user_id, in_app, email in NotificationPreference.objects.filter(
            user_id__in=recipients, kind=kind
        ).values_list("user_id", "in_app", "email")
    }
    in_app_rows = []
    for user_id, (org_id, address) in recipients.items():
        in_app, by_email = prefs.get(user_id, (True, True))
        if in_app:
            in_app_rows.append(
                Notification(
                    user_id=user_id,
                    organization_id=org_id,
                    kind=kind,
                    title=title[:200],
                    body=body,
                    url=url[:300],
                )
            )
        if by_email and send_email:
            _email(address, kind=kind, title=title, body=body, url=url)
    Notification.objects.bulk_create(in_app_rows)


def _recipients(
    org_ids: list[int], *, exclude_user_id: int | None, roles: Iterable[str] | None = None
) -> dict[int, tuple[int, str]]:
    """user id -> (the organization they hear about it as, their email address).

    Called from `notify` under its bypass: the system addresses other organizations' members."""
    recipients: dict[int, tuple[int, str]] = {}
    rows = (
        Membership.objects.active()  # unscoped on purpose: the system addresses members
        .filter(organization_id__in=org_ids, user__is_active=True)
        .exclude(organization__status="CLOSED")
        .filter(**({"role__in": list(roles)} if roles is not None else {}))
        .order_by("organization_id")
        .values_list("user_id", "organization_id", "user__email")
    )
    for user_id, org_id, address in rows:
        if user_id != exclude_user_id:
            recipients.setdefault(user_id, (org_id, address))
    return recipients


def _email(address: str, *, kind: NotificationKind, title: str, body: str, url: str) -> None:
    queue_email(
        to=[address],
        template="notifications/email/notification",
        context={
            "title": title,
            "body": body,
            "url": f"{settings.SITE_URL}{url}" if url.startswith("/") else url,
            "kind_label": kind.label,
            "preferences_url": f"{settings.SITE_URL}/notifications/preferences/",
        },
    )


@transaction.atomic
def notification_mark_read(*, scope: Scope, notification: Notification) -> None:
    Notification.objects.visible_to(scope).filter(pk=notification.pk, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notifications_mark_all_read(*, scope: Scope) -> int:
    return Notification.objects.unread().visible_to(scope).update(read_at=timezone.now())


@transaction.atomic
def notification_preferences_set(*, scope: Scope, channels: dict[str, str]) -> None:
    """channels: kind -> both / in_app / email / off, for known kinds only."""
    require(scope, Action.NOTIFICATION_PREFERENCES_SET)
    if scope.user_id is None:  # preferences belong to a person; a scope without one has none
        raise PermissionDenied("Notification preferences belong to a person.")
    unknown = set(channels) - set(NotificationKind.values)
    if unknown:
        raise ValidationError(f"Unknown notification kind: {', '.join(sorted(unknown))}.")
    for kind, channel in channels.items():
        in_app, email = flags_of(channel)
        NotificationPreference.objects.visible_to(scope).update_or_create(
            user_id=scope.user_id, kind=kind, defaults={"in_app": in_app, "email": email}
        )
    audit(
        scope=scope,
        action="notifications.preferences",
        target=get_user_model().objects.get(pk=scope.user_id),
        after=dict(sorted(channels.items())),
    )
