"""ASNs: the advance notice the receiving side gets when a shipment to one of its locations
leaves, and its cancellation with the shipment."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from core.enums import NotificationKind
from core.numbering import next_code
from orgs.access import Scope
from orgs.audit import audit

from .. import notify
from ..models import ASN, ASNLine, ASNStatus, Shipment, ShipmentLine
from .common import ASN_NUMBER


def asn_create(
    *, scope: Scope, shipment: Shipment, lines: Sequence[ShipmentLine], cartons: int
) -> ASN:
    """The ASN of a shipment leaving for a location, one line per shipment line. Called by
    `shipment_ship` inside its transaction, after its permission check."""
    assert shipment.destination is not None, "a shipment to a Party has no ASN"
    asn = ASN.objects.create(number=next_code(ASN_NUMBER), shipment=shipment, cartons=cartons)
    ASNLine.objects.bulk_create(
        ASNLine(
            asn=asn,
            product_id=line.product_id,
            lot=line.lot,
            expiry=line.expiry,
            expected_quantity=line.quantity,
        )
        for line in lines
    )
    audit(scope=scope, action="asn.create", target=asn, after={"shipment": shipment.number})
    url = f"/asns/{asn.public_id}/"
    # Always set for a location's operator; the list keeps the types honest.
    receiver_ids = [shipment.receiver_id] if shipment.receiver_id else []
    title = f"New ASN {asn.number} to receive at {shipment.destination.code}"
    transaction.on_commit(
        lambda: notify.notify(
            org_ids=receiver_ids, kind=NotificationKind.ASN_CREATED, title=title, url=url
        )
    )
    notify.email(
        org_ids=receiver_ids,
        kind=NotificationKind.ASN_CREATED,
        template="shipments/email/asn_created",
        context={"asn": asn, "shipment": shipment, "lines": len(lines), "url": url},
    )
    return asn


def asns_cancel_awaiting(*, scope: Scope, shipment: Shipment) -> None:
    """Cancel the ASN still awaiting receipt of a cancelled shipment. The sender sees its
    shipment, so its ASN (an ASN follows its shipment's visibility)."""
    ASN.objects.visible_to(scope).filter(shipment=shipment, status=ASNStatus.AWAITING).update(
        status=ASNStatus.CANCELLED, updated_at=timezone.now()
    )
