"""Billing's in-app notifications, through notifications.services.notify. Billing sends its
own transactional emails, so the notification is the in-app copy only."""

from __future__ import annotations

from core.enums import NotificationKind
from notifications.services import notify as _notify
from orgs.models import ADMIN_ROLES


def notify(
    *,
    org_ids: list[int],
    kind: NotificationKind,
    title: str,
    body: str = "",
    url: str = "",
    admins_only: bool = False,
) -> bool:
    """`admins_only`: billing matters of another organization (a sponsored upgrade, a partner's
    downgrade) go to the admins, not every member."""
    _notify(
        org_ids=org_ids,
        kind=kind,
        title=title,
        body=body,
        url=url,
        send_email=False,
        roles=ADMIN_ROLES if admins_only else None,
    )
    return True
