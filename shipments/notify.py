"""Notifications for shipments and ASNs.

In-app notifications go through `notifications.services.notify`; the email alerts are the
richer shipment templates sent here, to the admins of the organizations concerned, except
those who turned email off for that kind in their notification preferences.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings

from core.email import queue_email
from core.enums import NotificationKind
from notifications.selectors import unscoped_email_opt_outs
from notifications.services import notify as _notify
from orgs.models import ADMIN_ROLES, Membership
from rls.context import bypass

KINDS = frozenset(
    {
        NotificationKind.ASN_CREATED,
        NotificationKind.SHIPMENT_STATUS,
        NotificationKind.DISCREPANCY_OPENED,
        NotificationKind.DISCREPANCY_RESOLVED,
    }
)


def notify(
    *,
    org_ids: Iterable[int],
    kind: NotificationKind | str,
    title: str,
    body: str = "",
    url: str = "",
    exclude_user_id: int | None = None,
) -> None:
    """The in-app notification only: the email is `email()`'s richer template."""
    kind = NotificationKind(kind)
    assert kind in KINDS, kind
    _notify(
        org_ids=sorted({o for o in org_ids if o}),
        kind=kind,
        title=title,
        body=body,
        url=url,
        exclude_user_id=exclude_user_id,
        send_email=False,
    )


@bypass(reason="shipment alert: addressing other organizations' admins, nothing is shown")
def admin_emails(org_ids: Iterable[int], kind: NotificationKind | str) -> list[str]:
    """The admins of the given organizations who want email alerts of this kind."""
    opted_out = unscoped_email_opt_outs(NotificationKind(kind))
    return sorted(
        set(
            Membership.objects.filter(  # unscoped: addressing an alert, nothing is shown
                organization_id__in=list(org_ids), role__in=ADMIN_ROLES, is_active=True
            )
            .exclude(user_id__in=opted_out)
            .values_list("user__email", flat=True)
        )
    )


def email(
    *, org_ids: Iterable[int], kind: NotificationKind | str, template: str, context: dict
) -> None:
    kind = NotificationKind(kind)
    assert kind in KINDS, kind
    to = admin_emails(org_ids, kind)
    if to:
        queue_email(to=to, template=template, context={**context, "site_url": settings.SITE_URL})
