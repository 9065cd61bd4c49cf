"""Writes on parties: external entities with no account (Ulta), kept by the organization that
owns them, and their contacts. One function per use case, atomic and audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from orgs.access import Scope, unscoped_relock
from orgs.audit import audit, audit_changes, changed_fields
from orgs.models import Organization, Party, PartyContact
from orgs.policy import Action, require


def _clean_party_fields(fields: dict[str, Any]) -> dict[str, Any]:
    cleaned = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    if not cleaned.get("name"):
        raise ValidationError("Enter the party's name.")
    return cleaned


@transaction.atomic
def party_create(*, scope: Scope, owner: Organization, **fields: Any) -> Party:
    require(scope, Action.PARTY_CREATE, owner)
    fields = _clean_party_fields(fields)
    if Party.objects.visible_to(scope).filter(owner=owner, name__iexact=fields["name"]).exists():
        raise ValidationError(f"{owner.name} already has a party named {fields['name']}.")
    party = Party.objects.create(owner=owner, **fields)
    audit(scope=scope, action="party.create", target=party, after={"name": party.name})
    return party


@transaction.atomic
def party_update(*, scope: Scope, party: Party, **fields: Any) -> Party:
    party = unscoped_relock(party)
    require(scope, Action.PARTY_EDIT, party)
    fields = _clean_party_fields(fields)
    before = {k: getattr(party, k) for k in fields}
    if (
        fields["name"].lower() != party.name.lower()
        and Party.objects.visible_to(scope)
        .filter(owner_id=party.owner_id, name__iexact=fields["name"])
        .exists()
    ):
        raise ValidationError(f"There is already a party named {fields['name']}.")
    for k, v in fields.items():
        setattr(party, k, v)
    party.save()
    audit_changes(
        scope=scope,
        action="party.update",
        target=party,
        before=before,
        after=fields,
        changed=changed_fields(before, fields),
    )
    return party


@transaction.atomic
def party_contact_add(
    *, scope: Scope, party: Party, name: str, title: str = "", email: str = "", phone: str = ""
) -> PartyContact:
    require(scope, Action.PARTY_EDIT, party)
    if not name.strip():
        raise ValidationError("Enter the contact's name.")
    contact = PartyContact.objects.create(
        party=party,
        name=name.strip(),
        title=title.strip(),
        email=email.strip().lower(),
        phone=phone.strip(),
    )
    audit(scope=scope, action="party.contact_add", target=party, after={"contact": contact.name})
    return contact
