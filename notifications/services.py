"""Notifications: the public API other apps call (`notify`), plus the per-kind preferences.

`notify` is called inside a service's transaction: in-app rows are written in it (so they
roll back with it) and emails are queued with `transaction.on_commit`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings

from core.email import queue_email
from orgs.models import Membership
from rls.context import bypass

from .models import Notification, NotificationPreference

if TYPE_CHECKING:
    from orgs.access import Scope

# Every kind a user can set a preference for; unknown kinds default to in-app + email.
KINDS: dict[str, str] = {
    "invitation_accepted": "A partner accepted an invitation",
    "message_posted": "New partnership message",
    "partnership_ended": "A partnership was ended",
    "asn_created": "New ASN",
    "shipment_status": "Shipment status updates",
    "discrepancy_opened": "Receipt discrepancy reported",
    "discrepancy_resolved": "Receipt discrepancy resolved",
    "payment_failed": "Payment failed",
}

CHANNEL_BOTH = "both"
CHANNEL_IN_APP = "in_app"
CHANNEL_EMAIL = "email"
CHANNEL_OFF = "off"
CHANNELS: list[tuple[str, str]] = [
    (CHANNEL_BOTH, "In-app and email"),
    (CHANNEL_IN_APP, "In-app only"),
    (CHANNEL_EMAIL, "Email only"),
    (CHANNEL_OFF, "Off"),
]


def channel_of(in_app: bool, email: bool) -> str:
    if in_app and email:
        return CHANNEL_BOTH
    if in_app:
        return CHANNEL_IN_APP
    if email:
        return CHANNEL_EMAIL
    return CHANNEL_OFF


def flags_of(channel: str) -> tuple[bool, bool]:
    return channel in (CHANNEL_BOTH, CHANNEL_IN_APP), channel in (CHANNEL_BOTH, CHANNEL_EMAIL)


@bypass(
    reason="notify: the system addresses other organizations' members and writes their notifications"
)
def notify(
    *,
    org_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    exclude_user_id: int | None = None,
    send_email: bool = True,
) -> None:
    """Notify the active members of `org_ids` about one event, each by their preference.

    `send_email=False` for callers that send their own transactional email (billing).

    Three queries whatever the number of recipients (members, preferences, one bulk insert).
    """
    org_ids = list(org_ids)
    recipients: dict[int, int] = {}  # user id -> the organization they hear about it as
    emails: dict[int, str] = {}
    rows = (
        Membership.objects.active()  # unscoped on purpose: the system addresses members
        .filter(organization_id__in=org_ids, user__is_active=True)
        .exclude(organization__status="CLOSED")
        .order_by("organization_id")
        .values_list("user_id", "organization_id", "user__email")
    )
    for user_id, org_id, email in rows:
        if user_id == exclude_user_id:
            continue
        recipients.setdefault(user_id, org_id)
        emails[user_id] = email
    if not recipients:
        return
    prefs = {
        user_id: (in_app, email)
        for user_id, in_app, email in NotificationPreference.objects.filter(
            user_id__in=recipients, kind=kind
        ).values_list("user_id", "in_app", "email")
    }
    in_app_rows = []
    for user_id, org_id in recipients.items():
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
            queue_email(
                to=[emails[user_id]],
                template="partnerships/email/notification",
                context={
                    "title": title,
                    "body": body,
                    "url": f"{settings.SITE_URL}{url}" if url.startswith("/") else url,
                    "kind_label": KINDS.get(kind, kind),
                    "preferences_url": f"{settings.SITE_URL}/notifications/preferences/",
                },
            )
    Notification.objects.bulk_create(in_app_rows)


def preferences_for(scope: Scope) -> dict[str, str]:
    """The viewer's own kind -> channel for every known kind (defaults filled in)."""
    stored = {
        p.kind: channel_of(p.in_app, p.email)
        for p in NotificationPreference.objects.visible_to(scope)
    }
    return {kind: stored.get(kind, CHANNEL_BOTH) for kind in KINDS}
