"""Billing's in-app notifications go through partnerships.notifications; billing sends its own
transactional emails, so the notification is in-app only."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def notify(*, org_ids: list[int], kind: str, title: str, body: str = "", url: str = "") -> bool:
    try:
        from partnerships.notifications import notify as _notify
    except ImportError:
        log.info("billing notification (no in-app notifications installed): %s", title)
        return False
    # Billing sends its own transactional emails; the notification is the in-app copy only.
    _notify(org_ids=org_ids, kind=kind, title=title, body=body, url=url, send_email=False)
    return True
