"""Discrepancy cases: opened by a receipt line that differs from its ASN line, discussed by
both sides, then resolved (the sender accepts the shortage, or the receiver found the units)
or disputed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from core.enums import NotificationKind
from core.numbering import next_code
from core.uploads import EVIDENCE, accept_upload, removes_files_on_error
from inventory.ledger import Posting, stock_post
from inventory.models import MovementKind
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.policy import Action, require

from .. import notify
from ..models import (
    ASNLine,
    CaseMessage,
    CaseStatus,
    DiscrepancyCase,
    ReasonCode,
    ReceiptLine,
    Resolution,
    Shipment,
)
from .common import (
    CASE_NUMBER,
    CREDIT_NOTE_NUMBER,
    acting_org_id,
    notify_sides_after_commit,
    shipment_sides,
)

CASE_DUE_DAYS = 14


def case_open(
    *, scope: Scope, shipment: Shipment, receipt_line: ReceiptLine, asn_line: ASNLine
) -> DiscrepancyCase:
    """A case for one receipt line that differs from its ASN line, with the receipt's note or
    evidence as its first message. Called by `asn_confirm_receipt` inside its transaction."""
    case = DiscrepancyCase.objects.create(
        number=next_code(CASE_NUMBER),
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
            author_org_id=acting_org_id(scope),
            body=receipt_line.note or "Evidence attached at receipt.",
            attachment=receipt_line.attachment.name if receipt_line.attachment else "",
            attachment_name=receipt_line.attachment_name,
        )
    audit(
        scope=scope,
        action="discrepancy.open",
        target=case,
        after={"expected": str(case.expected_quantity), "received": str(case.received_quantity)},
    )
    return case


@removes_files_on_error
@transaction.atomic
def case_post_message(
    *, scope: Scope, case: DiscrepancyCase, body: str, attachment: UploadedFile | None = None
) -> CaseMessage:
    require(scope, Action.DISCREPANCY_MESSAGE, case)
    body = body.strip()
    if not body:
        raise ValidationError("Write a message.")
    message = CaseMessage(
        case=case, author_id=scope.user_id, author_org_id=acting_org_id(scope), body=body[:5000]
    )
    if attachment:
        message.attachment, message.attachment_name = accept_upload(attachment, allowed=EVIDENCE)
    message.save()
    DiscrepancyCase.objects.visible_to(scope).filter(pk=case.pk).update(updated_at=timezone.now())
    audit(scope=scope, action="discrepancy.message", target=case)
    notify_sides_after_commit(
        case.shipment,
        kind=NotificationKind.DISCREPANCY_OPENED,
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
    before = case.status
    if resolution == Resolution.ACCEPT_SHORTAGE:
        _accept_shortage(scope, case)
    elif resolution == Resolution.FOUND:
        _report_found(scope, case, found_quantity)
    else:
        raise ValidationError("Choose a resolution.")
    case.status = CaseStatus.RESOLVED
    case.resolution = resolution
    case.resolved_at = timezone.now()
    case.resolved_by_id = scope.user_id
    case.save()
    if note.strip():
        CaseMessage.objects.create(
            case=case,
            author_id=scope.user_id,
            author_org_id=acting_org_id(scope),
            body=note.strip(),
        )
    audit(
        scope=scope,
        action="discrepancy.resolve",
        target=case,
        before={"status": before},
        after={"resolution": resolution, "credit_note": case.credit_note_number},
    )
    _notify_resolved(scope, case)
    return case


def _accept_shortage(scope: Scope, case: DiscrepancyCase) -> None:
    """The sender credits the missing units at the product's price."""
    require(scope, Action.DISCREPANCY_ACCEPT_SHORTAGE, case)
    if case.missing_quantity <= 0:
        raise ValidationError("Nothing is missing on this line; there is nothing to credit.")
    case.credit_note_number = next_code(CREDIT_NOTE_NUMBER)
    price = case.receipt_line.asn_line.product.price
    case.credit_amount = (case.missing_quantity * price).quantize(Decimal("0.01"))


def _report_found(scope: Scope, case: DiscrepancyCase, found_quantity: Decimal | None) -> None:
    """The receiver found missing units: a late receipt into the owner's stock, posted once."""
    require(scope, Action.DISCREPANCY_REPORT_FOUND, case)
    missing = case.missing_quantity
    if found_quantity is None or found_quantity <= 0:
        raise ValidationError("Enter how many units were found (more than zero).")
    if found_quantity > missing:
        raise ValidationError(
            f"Only {missing.normalize():f} units are missing; {found_quantity.normalize():f} "
            "cannot be found."
        )
    shipment = case.shipment
    assert shipment.destination_id is not None, "a case comes from a receipt at a location"
    asn_line = case.receipt_line.asn_line
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


def _notify_resolved(scope: Scope, case: DiscrepancyCase) -> None:
    shipment = case.shipment
    notify_sides_after_commit(
        shipment,
        kind=NotificationKind.DISCREPANCY_RESOLVED,
        title=f"{case.number} resolved: {case.get_resolution_display()}",
        url=f"/asns/cases/{case.public_id}/",
        scope=scope,
    )
    notify.email(
        org_ids=shipment_sides(shipment),
        kind=NotificationKind.DISCREPANCY_RESOLVED,
        template="shipments/email/discrepancy_resolved",
        context={"case": case, "shipment": shipment},
    )


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
        case=case,
        author_id=scope.user_id,
        author_org_id=acting_org_id(scope),
        body=body.strip()[:5000],
    )
    audit(scope=scope, action="discrepancy.dispute", target=case)
    notify_sides_after_commit(
        case.shipment,
        kind=NotificationKind.DISCREPANCY_OPENED,
        title=f"{case.number} disputed",
        url=f"/asns/cases/{case.public_id}/",
        scope=scope,
    )
    return case
