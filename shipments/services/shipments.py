"""Every write on shipments, ASNs, receipts and discrepancy cases: one function per use case,
keyword-only, atomic, audited; notifications and emails after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind, Product, StockBalance
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.ends import location_end_for_org
from orgs.models import Location, Organization, Party
from orgs.policy import Action, StockAt, require

from .. import notify
from ..models import (
    ASN,
    ASNLine,
    ASNStatus,
    CaseMessage,
    CaseStatus,
    DiscrepancyCase,
    ReasonCode,
    Receipt,
    ReceiptLine,
    Resolution,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
)

# A receipt may exceed the ASN line by this share (cartons packed generously); beyond it the
# receiving side must talk to the sender first.
OVER_RECEIPT_TOLERANCE = Decimal("0.10")
CASE_DUE_DAYS = 14


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    lot: str = ""
    expiry: dt.date | None = None


@dataclass(frozen=True)
class ReceivedLine:
    asn_line_id: int
    received_quantity: Decimal
    damaged_quantity: Decimal = Decimal("0")
    lot: str | None = None  # None: as on the ASN
    reason_code: str = ""
    note: str = ""
    attachment: UploadedFile | None = None


def _next_number(prefix: str, sequence: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(%s)", [sequence])
        return f"{prefix}-{cur.fetchone()[0]:06d}"


def _sides(shipment: Shipment) -> set[int]:
    return {o for o in (shipment.owner_id, shipment.shipper_id, shipment.receiver_id) if o}


def _after_commit_notify(shipment: Shipment, *, kind: str, title: str, url: str, scope: Scope):
    org_ids = _sides(shipment)
    user_id = scope.user_id
    transaction.on_commit(
        lambda: notify.notify(
            org_ids=org_ids, kind=kind, title=title, url=url, exclude_user_id=user_id
        )
    )


# --- shipments -------------------------------------------------------------------------------


def _holds_stock_at(scope: Scope, owner_id: int, location: Location) -> bool:
    return (
        StockBalance.objects.visible_to(scope)
        .filter(owner_id=owner_id, location_id=location.pk, quantity__gt=0)
        .exists()
    )


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
    try:
        with transaction.atomic():
            shipment = Shipment.objects.create(
                number=_next_number("SHP", "shipments_shp_seq"),
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
    audit(
        scope=scope,
        action="shipment.create",
        target=shipment,
        after={"lines": len(lines), "origin": origin.code},
    )
    return shipment


def _locked(scope: Scope, shipment: Shipment) -> Shipment:
    return unscoped_relock(shipment)


def _transition(
    *, scope: Scope, shipment: Shipment, allowed_from: set[str], to: str, action: Action
) -> tuple[Shipment, str]:
    shipment = _locked(scope, shipment)
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
    _notify_status(scope, shipment)
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
        _asn_create(scope=scope, shipment=shipment, lines=lines, cartons=cartons)
    _notify_status(scope, shipment)
    return shipment


def _asn_create(*, scope: Scope, shipment: Shipment, lines, cartons: int) -> ASN:
    asn = ASN.objects.create(
        number=_next_number("ASN", "shipments_asn_seq"), shipment=shipment, cartons=cartons
    )
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
    receiver_id = shipment.receiver_id
    title = f"New ASN {asn.number} to receive at {shipment.destination.code}"
    transaction.on_commit(
        lambda: notify.notify(org_ids=[receiver_id], kind="asn_created", title=title, url=url)
    )
    notify.email(
        org_ids=[receiver_id],
        kind="asn_created",
        template="shipments/email/asn_created",
        context={"asn": asn, "shipment": shipment, "lines": len(lines), "url": url},
    )
    return asn


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
    # The sender sees its shipment, so its ASN (an ASN follows its shipment's visibility).
    ASN.objects.visible_to(scope).filter(shipment=shipment, status=ASNStatus.AWAITING).update(
        status=ASNStatus.CANCELLED, updated_at=timezone.now()
    )
    audit(scope=scope, action="shipment.cancel", target=shipment, before={"status": before})
    _notify_status(scope, shipment)
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
        _notify_status(scope, shipment)
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


def _notify_status(scope: Scope, shipment: Shipment) -> None:
    _after_commit_notify(
        shipment,
        kind="shipment_status",
        title=f"{shipment.number} is {shipment.get_status_display().lower()}",
        url=f"/shipments/{shipment.public_id}/",
        scope=scope,
    )


# --- receipts --------------------------------------------------------------------------------


@transaction.atomic
def asn_confirm_receipt(
    *,
    scope: Scope,
    asn: ASN,
    lines: Sequence[ReceivedLine],
    idempotency_key: str,
    note: str = "",
) -> tuple[Receipt, bool]:
    """Confirm what arrived, line by line; post the good units into the owner's stock at the
    destination exactly once; open a discrepancy case for every line that differs.

    Returns (receipt, created). The same idempotency key returns the first receipt; any other
    confirmation of a received ASN is refused. Concurrent confirmations serialize on the ASN
    row; the one-receipt-per-ASN constraint and the per-ASN ledger key back this up.
    """
    asn = unscoped_relock(asn, select_related=("shipment",))
    shipment = asn.shipment
    require(scope, Action.ASN_CONFIRM_RECEIPT, asn)
    existing = Receipt.objects.visible_to(scope).filter(asn=asn).first()
    if existing is not None:
        if existing.idempotency_key == idempotency_key:
            return existing, False
        raise ValidationError(
            f"{asn.number} was already received on {existing.confirmed_at:%Y-%m-%d %H:%M} UTC; "
            "it cannot be confirmed twice."
        )
    if asn.status == ASNStatus.CANCELLED or shipment.status == ShipmentStatus.CANCELLED:
        raise ValidationError(f"{asn.number} was cancelled; there is nothing to receive.")
    if shipment.status != ShipmentStatus.IN_TRANSIT:
        raise ValidationError(
            f"{shipment.number} is {shipment.get_status_display().lower()}, not in transit."
        )

    asn_lines = {line.pk: line for line in asn.lines.select_related("product")}
    given = {line.asn_line_id: line for line in lines}
    errors: list[str] = []
    if set(given) != set(asn_lines) or len(given) != len(lines):
        errors.append("Confirm every line of the ASN exactly once.")
    for pk, asn_line in asn_lines.items():
        line = given.get(pk)
        if line is None:
            continue
        label = f"{asn_line.product.sku}{f' lot {asn_line.lot}' if asn_line.lot else ''}"
        errors.extend(f"{label}: {msg}" for msg in _line_errors(asn_line, line))
    if errors:
        raise ValidationError(errors)

    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                asn=asn,
                idempotency_key=idempotency_key,
                confirmed_by_id=scope.user_id,
                confirming_org_id=scope.org_id,
                note=note.strip(),
            )
    except IntegrityError:
        # Unreachable while the row lock holds; the constraint is the last word.
        raise ValidationError(f"{asn.number} was already received; it cannot be confirmed twice.")

    receipt_lines = []
    postings = []
    for pk, asn_line in asn_lines.items():
        line = given[pk]
        receipt_line = ReceiptLine(
            receipt=receipt,
            asn_line=asn_line,
            received_quantity=line.received_quantity,
            damaged_quantity=line.damaged_quantity,
            reason_code=line.reason_code,
            note=line.note.strip()[:500],
        )
        if line.attachment:
            receipt_line.attachment = line.attachment
        receipt_lines.append(receipt_line)
        good = line.received_quantity - line.damaged_quantity
        if good > 0:
            postings.append(
                Posting(
                    owner_id=shipment.owner_id,
                    product_id=asn_line.product_id,
                    location_id=shipment.destination_id,
                    quantity=good,
                    lot=asn_line.lot,
                    expiry=asn_line.expiry,
                )
            )
    # One INSERT for all lines (the FileField still stores each attachment in pre_save).
    ReceiptLine.objects.bulk_create(receipt_lines)
    if postings:
        batch, _ = stock_post(
            scope=scope,
            postings=postings,
            kind=MovementKind.RECEIPT,
            # One key per ASN, whatever the client sent: the ledger posts it once.
            idempotency_key=f"asn-receipt:{asn.pk}",
            reason=f"Receipt of {asn.number}",
            reference=asn.number,
        )
        receipt.ledger_batch_id = batch.pk
        receipt.save(update_fields=["ledger_batch_id"])

    now = timezone.now()
    asn.status = ASNStatus.RECEIVED
    asn.save(update_fields=["status", "updated_at"])
    shipment.status = ShipmentStatus.RECEIVED
    shipment.received_at = now
    shipment.save(update_fields=["status", "received_at", "updated_at"])
    audit(
        scope=scope,
        action="asn.confirm_receipt",
        target=asn,
        after={"lines": len(receipt_lines), "posted": len(postings)},
    )
    cases = [
        _case_open(
            scope=scope, shipment=shipment, receipt_line=rl, asn_line=asn_lines[rl.asn_line_id]
        )
        for rl in receipt_lines
        if rl.received_quantity != asn_lines[rl.asn_line_id].expected_quantity
        or rl.damaged_quantity > 0
    ]
    _notify_status(scope, shipment)
    senders = {shipment.owner_id, shipment.shipper_id} - {shipment.receiver_id}
    # One email per sending organization: each sees the destination as its own scope allows
    # (a supplier that dispatched to an internal site reads the receiving organization).
    for org in unscoped_organizations_to_address(senders):
        notify.email(
            org_ids=[org.pk],
            kind="shipment_status",
            template="shipments/email/shipment_received",
            context={
                "shipment": shipment,
                "asn": asn,
                "cases": len(cases),
                "destination_end": location_end_for_org(org, shipment.destination),
            },
        )
    if cases:
        title = f"{len(cases)} discrepanc{'y' if len(cases) == 1 else 'ies'} on {asn.number}"
        _after_commit_notify(
            shipment,
            kind="discrepancy_opened",
            title=title,
            url=f"/asns/cases/{cases[0].public_id}/",
            scope=scope,
        )
        notify.email(
            org_ids=_sides(shipment),
            kind="discrepancy_opened",
            template="shipments/email/discrepancy_opened",
            context={"asn": asn, "shipment": shipment, "cases": cases},
        )
    return receipt, True


def unscoped_organizations_to_address(org_ids: set[int]):
    """The sending organizations of a received shipment, to address their emails, by pk.

    Unscoped, and safe: the receiving side may not see a sender it has no partnership with
    (docs/visibility.md), but these rows only address the email; each is rendered for its
    recipient organization (`location_end_for_org`), and nothing of them is shown to the
    receiver."""
    return Organization.objects.filter(pk__in=org_ids).order_by("pk")


def _line_errors(asn_line: ASNLine, line: ReceivedLine) -> list[str]:
    errors = []
    received, damaged = line.received_quantity, line.damaged_quantity
    if received is None or received < 0:
        return ["the received quantity cannot be negative."]
    if damaged is None or damaged < 0:
        return ["the damaged quantity cannot be negative."]
    if damaged > received:
        errors.append("more units damaged than received.")
    ceiling = asn_line.expected_quantity * (1 + OVER_RECEIPT_TOLERANCE)
    if received > ceiling:
        errors.append(
            f"{received.normalize():f} received is more than the expected "
            f"{asn_line.expected_quantity.normalize():f} plus {OVER_RECEIPT_TOLERANCE:.0%}; "
            "ask the sender to correct the ASN."
        )
    if line.lot is not None and line.lot.strip() != asn_line.lot:
        errors.append(f"lot {line.lot.strip() or '(none)'} is not on this ASN line.")
    differs = received != asn_line.expected_quantity or damaged > 0
    if differs and line.reason_code not in ReasonCode.values:
        errors.append("give a reason code for the difference.")
    return errors


def _case_open(
    *, scope: Scope, shipment: Shipment, receipt_line: ReceiptLine, asn_line: ASNLine
) -> DiscrepancyCase:
    case = DiscrepancyCase.objects.create(
        number=_next_number("DSC", "shipments_dsc_seq"),
        shipment=shipment,
        receipt_line=receipt_line,
        expected_quantity=asn_line.expected_quantity,
        received_quantity=receipt_line.received_quantity,
        damaged_quantity=receipt_line.damaged_quantity,
        reason_code=receipt_line.reason_code or ReasonCode.OTHER,
        due_date=timezone.localdate() + dt.timedelta(days=CASE_DUE_DAYS),
    )
    if receipt_line.note or receipt_line.attachment:
        CaseMessage.objects.create(
            case=case,
            author_id=scope.user_id,
            author_org_id=scope.org_id,
            body=receipt_line.note or "Evidence attached at receipt.",
            attachment=receipt_line.attachment.name if receipt_line.attachment else "",
        )
    audit(
        scope=scope,
        action="discrepancy.open",
        target=case,
        after={"expected": str(case.expected_quantity), "received": str(case.received_quantity)},
    )
    return case


# --- discrepancy cases -----------------------------------------------------------------------


@transaction.atomic
def case_post_message(
    *, scope: Scope, case: DiscrepancyCase, body: str, attachment: UploadedFile | None = None
) -> CaseMessage:
    require(scope, Action.DISCREPANCY_MESSAGE, case)
    body = body.strip()
    if not body:
        raise ValidationError("Write a message.")
    message = CaseMessage(
        case=case, author_id=scope.user_id, author_org_id=scope.org_id, body=body[:5000]
    )
    if attachment:
        message.attachment = attachment
    message.save()
    DiscrepancyCase.objects.visible_to(scope).filter(pk=case.pk).update(updated_at=timezone.now())
    audit(scope=scope, action="discrepancy.message", target=case)
    _after_commit_notify(
        case.shipment,
        kind="discrepancy_opened",
        title=f"New message on {case.number}",
        url=f"/asns/cases/{case.public_id}/",
        scope=scope,
    )
    return message


@transaction.atomic
def case_resolve(
    *,
    scope: Scope,
    case: DiscrepancyCase,
    resolution: str,
    found_quantity: Decimal | None = None,
    note: str = "",
) -> DiscrepancyCase:
    """Close a case: the sender accepts the shortage (a credit note both can download), or the
    receiver found the units (the late receipt posts into the owner's stock once)."""
    case = unscoped_relock(case, select_related=("shipment", "receipt_line__asn_line__product"))
    require(scope, Action.DISCREPANCY_RESOLVE, case)
    if case.status == CaseStatus.RESOLVED:
        raise ValidationError(f"{case.number} is already resolved.")
    shipment = case.shipment
    asn_line = case.receipt_line.asn_line
    before = case.status
    if resolution == Resolution.ACCEPT_SHORTAGE:
        require(scope, Action.DISCREPANCY_ACCEPT_SHORTAGE, case)
        if case.missing_quantity <= 0:
            raise ValidationError("Nothing is missing on this line; there is nothing to credit.")
        case.credit_note_number = _next_number("CN", "shipments_cn_seq")
        case.credit_amount = (case.missing_quantity * asn_line.product.price).quantize(
            Decimal("0.01")
        )
    elif resolution == Resolution.FOUND:
        require(scope, Action.DISCREPANCY_REPORT_FOUND, case)
        missing = case.missing_quantity
        if found_quantity is None or found_quantity <= 0:
            raise ValidationError("Enter how many units were found (more than zero).")
        if found_quantity > missing:
            raise ValidationError(
                f"Only {missing.normalize():f} units are missing; {found_quantity.normalize():f} "
                "cannot be found."
            )
        stock_post(
            scope=scope,
            postings=[
                Posting(
                    owner_id=shipment.owner_id,
                    product_id=asn_line.product_id,
                    location_id=shipment.destination_id,
                    quantity=found_quantity,
                    lot=asn_line.lot,
                    expiry=asn_line.expiry,
                )
            ],
            kind=MovementKind.RECEIPT,
            idempotency_key=f"case-found:{case.pk}",
            reason=f"Late receipt, {case.number}",
            reference=case.number,
        )
        case.found_quantity = found_quantity
    else:
        raise ValidationError("Choose a resolution.")
    case.status = CaseStatus.RESOLVED
    case.resolution = resolution
    case.resolved_at = timezone.now()
    case.resolved_by_id = scope.user_id
    case.save()
    if note.strip():
        CaseMessage.objects.create(
            case=case, author_id=scope.user_id, author_org_id=scope.org_id, body=note.strip()
        )
    audit(
        scope=scope,
        action="discrepancy.resolve",
        target=case,
        before={"status": before},
        after={"resolution": resolution, "credit_note": case.credit_note_number},
    )
    _after_commit_notify(
        shipment,
        kind="discrepancy_resolved",
        title=f"{case.number} resolved: {case.get_resolution_display()}",
        url=f"/asns/cases/{case.public_id}/",
        scope=scope,
    )
    notify.email(
        org_ids=_sides(shipment),
        kind="discrepancy_resolved",
        template="shipments/email/discrepancy_resolved",
        context={"case": case, "shipment": shipment},
    )
    return case


@transaction.atomic
def case_dispute(*, scope: Scope, case: DiscrepancyCase, body: str) -> DiscrepancyCase:
    """Either side disputes the other's figures; the case stays open with the reason on it."""
    case = unscoped_relock(case, select_related=("shipment",))
    require(scope, Action.DISCREPANCY_DISPUTE, case)
    if case.status == CaseStatus.RESOLVED:
        raise ValidationError(f"{case.number} is already resolved.")
    if not body.strip():
        raise ValidationError("Say why you dispute the figures.")
    case.status = CaseStatus.DISPUTED
    case.save(update_fields=["status", "updated_at"])
    CaseMessage.objects.create(
        case=case, author_id=scope.user_id, author_org_id=scope.org_id, body=body.strip()[:5000]
    )
    audit(scope=scope, action="discrepancy.dispute", target=case)
    _after_commit_notify(
        case.shipment,
        kind="discrepancy_opened",
        title=f"{case.number} disputed",
        url=f"/asns/cases/{case.public_id}/",
        scope=scope,
    )
    return case
