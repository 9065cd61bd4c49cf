"""The message thread of a partnership: the two organizations write to each other."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from core.enums import NotificationKind
from notifications.services import notify
from orgs.access import Scope
from orgs.audit import audit
from orgs.models import Organization
from orgs.policy import Action, require
from partnerships.models import Message, Partnership, PartnershipStatus

from .partnerships import side_of


@transaction.atomic
def message_post(
    *, scope: Scope, partnership: Partnership, body: str, idempotency_key: str | None = None
) -> Message:
    """Post to the thread and notify the other side. The same `idempotency_key` (the form's
    hidden key) posts once: a repeat, a double click or a simultaneous twin gets the first
    message back, with no second notification."""
    require(scope, Action.PARTNERSHIP_MESSAGE, partnership)
    mine, other = side_of(scope, partnership)
    key = idempotency_key or None
    if key and (first := _first_with_key(scope, partnership, mine, key)):
        return first
    body = body.strip()
    if not body:
        raise ValidationError("Write a message first.")
    if len(body) > 5000:
        raise ValidationError("Keep a message under 5,000 characters.")
    if partnership.status != PartnershipStatus.ACTIVE:
        raise ValidationError("This partnership has ended; its thread is read-only.")
    try:
        with transaction.atomic():
            message = Message.objects.create(
                partnership=partnership,
                author_id=scope.user_id,
                author_org_id=mine,
                body=body,
                idempotency_key=key,
            )
    except IntegrityError:
        # A twin with the same key committed first (the insert waited for it): it wins.
        first = _first_with_key(scope, partnership, mine, key) if key else None
        if first is None:
            raise
        return first
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


def _first_with_key(scope: Scope, partnership: Partnership, mine: int, key: str) -> Message | None:
    """The message this org already posted with the key; a key reused on another thread is a
    tampered form, refused."""
    first = (
        Message.objects.visible_to(scope).filter(author_org_id=mine, idempotency_key=key).first()
    )
    if first is not None and first.partnership_id != partnership.pk:
        raise ValidationError("This form was already used; reload the page and write again.")
    return first
