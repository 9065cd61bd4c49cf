"""Shipments: create a draft, book it, ship it (stock leaves the origin, the receiving side
gets an ASN), cancel it, or mark it received. Every write is keyword-only, atomic and audited;
notifications go out after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.numbering import next_code
from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind, Product, StockBalance
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Location, Party
from orgs.policy import Action, StockAt, require

from ..models import ASN, Shipment, ShipmentLine, ShipmentStatus
from .asns import asn_create, asns_cancel_awaiting
from .common import SHIPMENT_NUMBER, notify_status
from .receipts import ReceivedLine, asn_confirm_receipt


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    lot: str = ""
    expiry: dt.date | None = None


def _holds_stock_at(scope: Scope, owner_id: int, location: Location) -> bool:
    return (
        StockBalance.objects.visible_to(scope)
        .filter(owner_id=owner_id, location_id=location.pk, quantity__gt=0)
        .exists()
    )


def _validate_create(
    scope: Scope,
    *,
    origin: Location,
    destination: Location | None,
    destination_party: Party | None,
    lines: Sequence[LineInput],
) -> int:
    """The owner of the goods, once the route and the lines are ones the viewer may ship."""
    if (destination is None) == (destination_party is None):
        raise ValidationError("Choose a destination location or a party, not both.")
    if origin.pk not in scope.location_ids:
        raise ValidationError("Choose an origin you may ship from.")
    if destination is not None:
        if destination.pk not in scope.location_ids:
            raise ValidationError("Choose a destination you may ship to.")
        if destination.pk == origin.pk:
            raise ValidationError("The origin and the destination must differ.")
    if destination_party is not None and destination_party.owner_id not in scope.org_ids:
        raise ValidationError("Choose a party your organization manages.")
    if not lines:
        raise ValidationError("Add at least one line.")
    owners = {line.product.owner_id for line in lines}
    if len(owners) != 1 or not owners <= scope.org_ids:
        raise ValidationError("All lines must be products of one of your organizations.")
    for line in lines:
        if line.quantity is None or line.quantity <= 0:
            raise ValidationError(f"{line.product.sku}: the quantity must be more than zero.")
    owner_id = owners.pop()
    # Shipping is a stock write: the viewer owns the goods at the origin (a member: granted).
    require(scope, Action.SHIPMENT_CREATE, StockAt(owner_id, origin.pk))
    if origin.operator_id not in scope.org_ids and not _holds_stock_at(scope, owner_id, origin):
        # A partner's own goods never leave a location it merely sees: the shipment would
        # land in the operator's lists as a document of its own site.
        raise ValidationError(f"You hold no stock at {origin.code} to ship from.")
    return owner_id


@transaction.atomic
def shipment_create(
    *,
    scope: Scope,
    origin: Location,
    destination: Location | None = None,
    destination_party: Party | None = None,
    lines: Sequence[LineInput],
    carrier: str = "",
    tracking_number: str = "",
    expected_date: dt.date | None = None,
    note: str = "",
    create_key: str | None = None,
) -> Shipment:
    """A DRAFT shipment of the viewer's own goods from one of its locations (or stock it owns
    at a partner's location) to another location or a Party."""
    require(scope, Action.SHIPMENT_CREATE)
    if create_key:
        existing = Shipment.objects.visible_to(scope).filter(create_key=create_key).first()
        if existing:
            return existing
    owner_id = _validate_create(
        scope,
        origin=origin,
        destination=destination,
        destination_party=destination_party,
        lines=lines,
    )
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                number=next_code(SHIPMENT_NUMBER),
                owner_id=owner_id,
                shipper_id=owner_id,
                receiver_id=destination.operator_id if destination else None,
                origin=origin,
                destination=destination,
                destination_party=destination_party,
                posts_origin=True,
                carrier=carrier.strip()[:80],
                tracking_number=tracking_number.strip()[:80],
                expected_date=expected_date,
                note=note.strip(),
                create_key=create_key or None,
                created_by_id=scope.user_id,
            )
    except IntegrityError:
        # The same form submitted twice at the same moment: the first one wins.
        return Shipment.objects.visible_to(scope).get(create_key=create_key)
    _lines_create(shipment, lines)
    audit(
        scope=scope,
        action="shipment.create",
        target=shipment,
        after={"lines": len(lines), "origin": origin.code},
    )
    return shipment


def _lines_create(shipment: Shipment, lines: Sequence[LineInput]) -> None:
    ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipment,
            product=line.product,
            quantity=line.quantity,
            lot=line.lot.strip(),
            expiry=line.expiry,
        )
        for line in lines
    )


def _transition(
    *, scope: Scope, shipment: Shipment, allowed_from: set[str], to: str, action: Action
) -> tuple[Shipment, str]:
    shipment = unscoped_relock(shipment)
    require(scope, action, shipment)
    if shipment.status not in allowed_from:
        raise ValidationError(
            f"{shipment.number} is {shipment.get_status_display().lower()}; it cannot move to "
            f"{ShipmentStatus(to).label.lower()}."
        )
    before = shipment.status
    shipment.status = to
    return shipment, before


@transaction.atomic
def shipment_book(*, scope: Scope, shipment: Shipment) -> Shipment:
    shipment, before = _transition(
        scope=scope,
        shipment=shipment,
        allowed_from={ShipmentStatus.DRAFT},
        to=ShipmentStatus.BOOKED,
        action=Action.SHIPMENT_BOOK,
    )
    shipment.save(update_fields=["status", "updated_at"])
    audit(scope=scope, action="shipment.book", target=shipment, before={"status": before})
    notify_status(scope, shipment)
    return shipment


@transaction.atomic
def shipment_ship(*, scope: Scope, shipment: Shipment, cartons: int = 0) -> Shipment:
    """BOOKED → IN_TRANSIT: stock leaves the origin, and the receiving side gets an ASN."""
    shipment, before = _transition(
        scope=scope,
        shipment=shipment,
        allowed_from={ShipmentStatus.BOOKED},
        to=ShipmentStatus.IN_TRANSIT,
        action=Action.SHIPMENT_SHIP,
    )
    lines = list(shipment.lines.all())
    if shipment.posts_origin:
        assert shipment.origin_id is not None, "a shipment that posts its origin has one"
        stock_post(
            scope=scope,
            postings=[
                Posting(
                    owner_id=shipment.owner_id,
                    product_id=line.product_id,
                    location_id=shipment.origin_id,
                    quantity=-line.quantity,
                    lot=line.lot,
                    expiry=line.expiry,
                )
                for line in lines
            ],
            kind=MovementKind.SHIPMENT,
            idempotency_key=f"shipment-ship:{shipment.pk}",
            reason=f"Shipped {shipment.number}",
            reference=shipment.number,
        )
    shipment.shipped_at = timezone.now()
    shipment.save(update_fields=["status", "shipped_at", "updated_at"])
    audit(scope=scope, action="shipment.ship", target=shipment, before={"status": before})
    if shipment.destination_id:
        asn_create(scope=scope, shipment=shipment, lines=lines, cartons=cartons)
    notify_status(scope, shipment)
    return shipment


@transaction.atomic
def shipment_cancel(*, scope: Scope, shipment: Shipment) -> Shipment:
    """DRAFT or BOOKED → CANCELLED. Goods in transit cannot be cancelled, only received."""
    shipment, before = _transition(
        scope=scope,
        shipment=shipment,
        allowed_from={ShipmentStatus.DRAFT, ShipmentStatus.BOOKED},
        to=ShipmentStatus.CANCELLED,
        action=Action.SHIPMENT_CANCEL,
    )
    shipment.save(update_fields=["status", "updated_at"])
    asns_cancel_awaiting(scope=scope, shipment=shipment)
    audit(scope=scope, action="shipment.cancel", target=shipment, before={"status": before})
    notify_status(scope, shipment)
    return shipment


@transaction.atomic
def shipment_mark_received(*, scope: Scope, shipment: Shipment, idempotency_key: str) -> Shipment:
    """IN_TRANSIT → RECEIVED. At a location this confirms the ASN in full (the receiving side);
    for a Party without an account, the sender records the delivery."""
    if shipment.destination_party_id:
        shipment, before = _transition(
            scope=scope,
            shipment=shipment,
            allowed_from={ShipmentStatus.IN_TRANSIT},
            to=ShipmentStatus.RECEIVED,
            action=Action.SHIPMENT_DELIVER,
        )
        shipment.received_at = timezone.now()
        shipment.save(update_fields=["status", "received_at", "updated_at"])
        audit(scope=scope, action="shipment.deliver", target=shipment, before={"status": before})
        notify_status(scope, shipment)
        return shipment
    require(scope, Action.SHIPMENT_RECEIVE, shipment)
    asn = ASN.objects.visible_to(scope).filter(shipment=shipment).first()
    if asn is None or shipment.status != ShipmentStatus.IN_TRANSIT:
        raise ValidationError(
            f"{shipment.number} is {shipment.get_status_display().lower()}; "
            "it cannot move to received."
        )
    lines = [
        ReceivedLine(asn_line_id=line.pk, received_quantity=line.expected_quantity)
        for line in asn.lines.all()
    ]
    asn_confirm_receipt(scope=scope, asn=asn, lines=lines, idempotency_key=idempotency_key)
    shipment.refresh_from_db()
    return shipment
