"""The message thread of a partnership: the two organizations write to each other."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from core.enums import NotificationKind
from notifications.services import notify
from orgs.access import Scope
from orgs.audit import audit
from orgs.models import Organization
from orgs.policy import Action, require
from partnerships.models import Message, Partnership, PartnershipStatus

from .partnerships import side_of


@transaction.atomic
def message_post(*, scope: Scope, partnership: Partnership, body: str) -> Message:
    require(scope, Action.PARTNERSHIP_MESSAGE, partnership)
    mine, other = side_of(scope, partnership)
    body = body.strip()
    if not body:
        raise ValidationError("Write a message first.")
    if len(body) > 5000:
        raise ValidationError("Keep a message under 5,000 characters.")
    if partnership.status != PartnershipStatus.ACTIVE:
        raise ValidationError("This partnership has ended; its thread is read-only.")
    message = Message.objects.create(
        partnership=partnership, author_id=scope.user_id, author_org_id=mine, body=body
    )
    audit(scope=scope, action="message.post", target=message, acting_org_id=mine)
    author = Organization.objects.visible_to(scope).get(pk=mine)
    notify(
        org_ids=[other],
        kind=NotificationKind.MESSAGE_POSTED,
        title=f"New message from {author.name}",
        body=body[:500],
        url=f"/partnerships/{partnership.public_id}/#messages",
        exclude_user_id=scope.user_id,
    )
    return message
