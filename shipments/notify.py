"""Notifications for shipments and ASNs.

In-app notifications go through `partnerships.notifications.notify`; the email alerts are the
richer shipment templates sent here, to the admins of the organizations concerned, except
those who turned email off for that kind in their notification preferences.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from core.email import queue_email
from orgs.models import ADMIN_ROLES, Membership
from rls.context import bypass

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
    from partnerships.notifications import notify as partnership_notify

    partnership_notify(
        org_ids=org_ids,
        kind=kind,
        title=title,
        body=body,
        url=url,
        exclude_user_id=exclude_user_id,
        send_email=False,
    )


@bypass(reason="shipment alert: addressing other organizations' admins, nothing is shown")
def admin_emails(org_ids: Iterable[int], kind: str) -> list[str]:
    """The admins of the given organizations who want email alerts of this kind."""
    from partnerships.models import NotificationPreference

    opted_out = NotificationPreference.objects.filter(kind=kind, email=False).values("user_id")
    return sorted(
        set(
            Membership.objects.filter(  # unscoped: addressing an alert, nothing is shown
                organization_id__in=list(org_ids), role__in=ADMIN_ROLES, is_active=True
            )
            .exclude(user_id__in=opted_out)
            .values_list("user__email", flat=True)
        )
    )


def email(*, org_ids: Iterable[int], kind: str, template: str, context: dict) -> None:
    assert kind in KINDS, kind
    to = admin_emails(org_ids, kind)
    if to:
        queue_email(to=to, template=template, context={**context, "site_url": settings.SITE_URL})
