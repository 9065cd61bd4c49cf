"""What the shipment, receipt and case services share: the document number series, and the
in-app notice to every side of a shipment once the transaction commits."""

from __future__ import annotations

from typing import cast

from django.db import transaction

from core.enums import NotificationKind
from core.numbering import Series
from orgs.access import Scope

from .. import notify
from ..models import Shipment

# Numbered with `core.numbering.next_code`; the sequences come from migration 0002.
SHIPMENT_NUMBER = Series("SHP", "shipments_shp_seq", 6, "shipments_shipment", "number")
ASN_NUMBER = Series("ASN", "shipments_asn_seq", 6, "shipments_asn", "number")
CASE_NUMBER = Series("DSC", "shipments_dsc_seq", 6, "shipments_discrepancycase", "number")
CREDIT_NOTE_NUMBER = Series(
    "CN", "shipments_cn_seq", 6, "shipments_discrepancycase", "credit_note_number"
)


def acting_org_id(scope: Scope) -> int:
    """The organization a receipt or a case message is recorded under. Platform staff act for
    none: the NOT NULL column refuses their write, as it always has (a cast, not a check, so
    that this refactor changes nothing)."""
    return cast(int, scope.org_id)


def shipment_sides(shipment: Shipment) -> set[int]:
    return {o for o in (shipment.owner_id, shipment.shipper_id, shipment.receiver_id) if o}


def notify_sides_after_commit(
    shipment: Shipment, *, kind: NotificationKind, title: str, url: str, scope: Scope
) -> None:
    org_ids = shipment_sides(shipment)
    user_id = scope.user_id
    transaction.on_commit(
        lambda: notify.notify(
            org_ids=org_ids, kind=kind, title=title, url=url, exclude_user_id=user_id
        )
    )


def notify_status(scope: Scope, shipment: Shipment) -> None:
    notify_sides_after_commit(
        shipment,
        kind=NotificationKind.SHIPMENT_STATUS,
        title=f"{shipment.number} is {shipment.get_status_display().lower()}",
        url=f"/shipments/{shipment.public_id}/",
        scope=scope,
    )
