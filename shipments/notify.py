"""Notifications for shipments and ASNs, through the partnerships app's `notify`.

`partnerships.notifications` is built in parallel; until it is merged this adapter does nothing
(the lead removes the fallback after merging). Emails are sent here with `queue_email`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from betterdata.email import queue_email
from orgs.models import ADMIN_ROLES, Membership

KINDS = frozenset({"asn_created", "shipment_status", "discrepancy_opened", "discrepancy_resolved"})


def notify(
    *,
    org_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    exclude_user_id: int | None = None,
) -> None:
    assert kind in KINDS, kind
    org_ids = sorted({o for o in org_ids if o})
    try:
        from partnerships.notifications import notify as partnership_notify
    except ImportError:
        return
    partnership_notify(
        org_ids=org_ids, kind=kind, title=title, body=body, url=url, exclude_user_id=exclude_user_id
    )


def admin_emails(org_ids: Iterable[int]) -> list[str]:
    """The admins of the given organizations: who gets the email alerts."""
    return sorted(
        set(
            Membership.objects.filter(  # unscoped: addressing an alert, nothing is shown
                organization_id__in=list(org_ids), role__in=ADMIN_ROLES, is_active=True
            ).values_list("user__email", flat=True)
        )
    )


def email(*, org_ids: Iterable[int], template: str, context: dict) -> None:
    to = admin_emails(org_ids)
    if to:
        queue_email(to=to, template=template, context={**context, "site_url": settings.SITE_URL})
