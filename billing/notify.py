"""Billing's in-app notifications, through notifications.services.notify. Billing sends its
own transactional emails, so the notification is the in-app copy only."""

from __future__ import annotations

from core.enums import NotificationKind
from notifications.services import notify as _notify


def notify(
    *, org_ids: list[int], kind: NotificationKind, title: str, body: str = "", url: str = ""
) -> bool:
    _notify(org_ids=org_ids, kind=kind, title=title, body=body, url=url, send_email=False)
    return True
