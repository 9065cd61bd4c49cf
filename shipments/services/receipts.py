"""Receipts: the receiving side confirms what arrived against the ASN, line by line.

`asn_confirm_receipt` reads as its steps: check the ASN can be received, validate the lines,
build the receipt, apply the good units to the ledger, mark the documents received, open a
discrepancy case per differing line, and notify both sides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.enums import NotificationKind
from core.uploads import EVIDENCE, accept_upload, check_upload, removes_files_on_error
from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.ends import location_end_for_org
from orgs.models import Organization
from orgs.policy import Action, require

from .. import notify
from ..models import (
    ASN,
    ASNLine,
    ASNStatus,
    DiscrepancyCase,
    ReasonCode,
    Receipt,
    ReceiptLine,
    ShipmentStatus,
)
from .cases import case_open
from .common import acting_org_id, notify_sides_after_commit, notify_status, shipment_sides

# A receipt may exceed the ASN line by this share (cartons packed generously); beyond it the
# receiving side must talk to the sender first.
OVER_RECEIPT_TOLERANCE = Decimal("0.10")


@dataclass(frozen=True)
class ReceivedLine:
    asn_line_id: int
    received_quantity: Decimal
    damaged_quantity: Decimal = Decimal("0")
    lot: str | None = None  # None: as on the ASN
    reason_code: str = ""
    note: str = ""
    attachment: UploadedFile | None = None


@removes_files_on_error
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
    require(scope, Action.ASN_CONFIRM_RECEIPT, asn)
    first = _first_receipt_or_refuse(scope, asn, idempotency_key)
    if first is not None:
        return first, False
    pairs = _validate_lines(asn, lines)
    receipt, receipt_lines = _build_receipt(scope, asn, pairs, idempotency_key, note)
    posted = _apply_to_ledger(scope, asn, receipt, receipt_lines)
    _mark_received(scope, asn, lines=len(receipt_lines), posted=posted)
    cases = [
        case_open(scope=scope, shipment=asn.shipment, receipt_line=rl, asn_line=rl.asn_line)
        for rl in receipt_lines
        if _differs(rl)
    ]
    _notify_received(scope, asn, cases)
    return receipt, True


def _first_receipt_or_refuse(scope: Scope, asn: ASN, idempotency_key: str) -> Receipt | None:
    """The receipt already confirmed with this key (a retry), or None when the ASN may be
    received now; anything else is refused."""
    shipment = asn.shipment
    existing = Receipt.objects.visible_to(scope).filter(asn=asn).first()
    if existing is not None:
        if existing.idempotency_key == idempotency_key:
            return existing
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
    return None


def _validate_lines(asn: ASN, lines: Sequence[ReceivedLine]) -> list[tuple[ASNLine, ReceivedLine]]:
    """Each ASN line with what was confirmed for it, in the ASN's order; every error of every
    line at once, so the form shows them together."""
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
    return [(asn_line, given[pk]) for pk, asn_line in asn_lines.items()]


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
    if line.attachment:
        try:
            check_upload(line.attachment, allowed=EVIDENCE)
        except ValidationError as exc:
            errors.extend(exc.messages)
    differs = received != asn_line.expected_quantity or damaged > 0
    if differs and line.reason_code not in ReasonCode.values:
        errors.append("give a reason code for the difference.")
    return errors


def _build_receipt(
    scope: Scope,
    asn: ASN,
    pairs: Sequence[tuple[ASNLine, ReceivedLine]],
    idempotency_key: str,
    note: str,
) -> tuple[Receipt, list[ReceiptLine]]:
    try:
        with transaction.atomic():
            receipt = Receipt.objects.create(
                asn=asn,
                idempotency_key=idempotency_key,
                confirmed_by_id=scope.user_id,
                confirming_org_id=acting_org_id(scope),
                note=note.strip(),
            )
    except IntegrityError:
        # Unreachable while the row lock holds; the constraint is the last word.
        raise ValidationError(f"{asn.number} was already received; it cannot be confirmed twice.")
    receipt_lines = []
    for asn_line, line in pairs:
        receipt_line = ReceiptLine(
            receipt=receipt,
            asn_line=asn_line,
            received_quantity=line.received_quantity,
            damaged_quantity=line.damaged_quantity,
            reason_code=line.reason_code,
            note=line.note.strip()[:500],
        )
        if line.attachment:
            # Checked with the lines; stored under a random name, the uploader's kept aside.
            receipt_line.attachment, receipt_line.attachment_name = accept_upload(
                line.attachment, allowed=EVIDENCE
            )
        receipt_lines.append(receipt_line)
    # One INSERT for all lines (the FileField still stores each attachment in pre_save).
    ReceiptLine.objects.bulk_create(receipt_lines)
    return receipt, receipt_lines


def _apply_to_ledger(
    scope: Scope, asn: ASN, receipt: Receipt, receipt_lines: Sequence[ReceiptLine]
) -> int:
    """Post the good (received, not damaged) units into the owner's stock at the destination;
    the number of postings."""
    shipment = asn.shipment
    assert shipment.destination_id is not None, "only a shipment to a location has an ASN"
    postings = [
        Posting(
            owner_id=shipment.owner_id,
            product_id=rl.asn_line.product_id,
            location_id=shipment.destination_id,
            quantity=rl.received_quantity - rl.damaged_quantity,
            lot=rl.asn_line.lot,
            expiry=rl.asn_line.expiry,
        )
        for rl in receipt_lines
        if rl.received_quantity - rl.damaged_quantity > 0
    ]
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
    return len(postings)


def _mark_received(scope: Scope, asn: ASN, *, lines: int, posted: int) -> None:
    shipment = asn.shipment
    asn.status = ASNStatus.RECEIVED
    asn.save(update_fields=["status", "updated_at"])
    shipment.status = ShipmentStatus.RECEIVED
    shipment.received_at = timezone.now()
    shipment.save(update_fields=["status", "received_at", "updated_at"])
    audit(
        scope=scope,
        action="asn.confirm_receipt",
        target=asn,
        after={"lines": lines, "posted": posted},
    )


def _differs(receipt_line: ReceiptLine) -> bool:
    return (
        receipt_line.received_quantity != receipt_line.asn_line.expected_quantity
        or receipt_line.damaged_quantity > 0
    )


def _notify_received(scope: Scope, asn: ASN, cases: Sequence[DiscrepancyCase]) -> None:
    shipment = asn.shipment
    notify_status(scope, shipment)
    senders = {shipment.owner_id, shipment.shipper_id} - {shipment.receiver_id}
    # One email per sending organization: each sees the destination as its own scope allows
    # (a supplier that dispatched to an internal site reads the receiving organization).
    for org in unscoped_organizations_to_address(senders):
        notify.email(
            org_ids=[org.pk],
            kind=NotificationKind.SHIPMENT_STATUS,
            template="shipments/email/shipment_received",
            context={
                "shipment": shipment,
                "asn": asn,
                "cases": len(cases),
                "destination_end": location_end_for_org(org, shipment.destination),
            },
        )
    if not cases:
        return
    notify_sides_after_commit(
        shipment,
        kind=NotificationKind.DISCREPANCY_OPENED,
        title=f"{len(cases)} discrepanc{'y' if len(cases) == 1 else 'ies'} on {asn.number}",
        url=f"/asns/cases/{cases[0].public_id}/",
        scope=scope,
    )
    notify.email(
        org_ids=shipment_sides(shipment),
        kind=NotificationKind.DISCREPANCY_OPENED,
        template="shipments/email/discrepancy_opened",
        context={"asn": asn, "shipment": shipment, "cases": cases},
    )


def unscoped_organizations_to_address(org_ids: set[int]) -> QuerySet[Organization]:
    """The sending organizations of a received shipment, to address their emails, by pk.

    Unscoped, and safe: the receiving side may not see a sender it has no partnership with
    (docs/visibility.md), but these rows only address the email; each is rendered for its
    recipient organization (`location_end_for_org`), and nothing of them is shown to the
    receiver."""
    return Organization.objects.filter(pk__in=org_ids).order_by("pk")
