"""A tiny adapter to in-app notifications (partnerships.notifications), which may not exist yet
on every branch: billing still sends its emails directly, so nothing is lost without it."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def notify(*, org_ids: list[int], kind: str, title: str, body: str = "", url: str = "") -> bool:
    try:
        from partnerships.notifications import notify as _notify
    except ImportError:
        log.info("billing notification (no in-app notifications installed): %s", title)
        return False
    _notify(org_ids=org_ids, kind=kind, title=title, body=body, url=url)
    return True
