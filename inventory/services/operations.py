"""Stock operations on own inventory: adjustments and transfers between locations.

Stock itself only changes through `inventory.ledger.stock_post`; these services decide what to
post, check where the viewer may work (`guards`), and audit. Receipts of inbound shipments
live in `shipments`; counts in `counts`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Location, Organization
from orgs.policy import Action

from ..ledger import Posting, stock_post
from ..models import (
    AdjustmentReason,
    LedgerBatch,
    MovementKind,
    Product,
    Transfer,
    TransferLine,
    TransferStatus,
)
from ..selectors import fefo_allocate
from .guards import require_operable, require_operable_new, require_owner_product


@transaction.atomic
def stock_adjust(
    *,
    scope: Scope,
    location: Location,
    product: Product,
    quantity: Decimal,
    reason_code: str,
    idempotency_key: str,
    lot: str = "",
    expiry: dt.date | None = None,
    note: str = "",
    owner: Organization | None = None,
) -> LedgerBatch:
    """A signed adjustment with a reason code (damaged, found, …) of stock the viewer owns."""
    owner_id = require_operable_new(scope, Action.STOCK_ADJUST, location, owner)
    require_owner_product(product, owner_id)
    if reason_code not in AdjustmentReason.values:
        raise ValidationError("Choose a reason.")
    if quantity == 0:
        raise ValidationError("Enter a quantity other than zero.")
    batch, _ = stock_post(
        scope=scope,
        postings=[Posting(owner_id, product.pk, location.pk, quantity, lot.strip(), expiry)],
        kind=MovementKind.ADJUSTMENT,
        idempotency_key=idempotency_key,
        reason=f"{reason_code}: {note}".strip(": "),
        reference=location.code,
    )
    return batch


@transaction.atomic
def transfer_create(
    *,
    scope: Scope,
    from_location: Location,
    to_location: Location,
    lines: Sequence[tuple[Product, Decimal]],
    idempotency_key: str,
    note: str = "",
    owner: Organization | None = None,
) -> Transfer:
    """Dispatch stock between two own locations: lots by FEFO, posted out now, in on arrival.

    The same `idempotency_key` dispatches once: a repeat, a double click or any number of
    simultaneous twins all get the first transfer back."""
    owner_id = _transfer_owner(scope, from_location, to_location, owner)
    if existing := _transfer_by_key(scope, idempotency_key):
        return existing
    if not lines:
        raise ValidationError("Add at least one product.")
    try:
        # A savepoint: a twin that lost the key race rolls back only its own rows, and the
        # transaction stays usable to read the winner's transfer.
        with transaction.atomic():
            transfer = Transfer.objects.create(
                owner_id=owner_id,
                from_location=from_location,
                to_location=to_location,
                note=note[:200],
            )
            postings = _dispatch_lines(scope, transfer, lines)
            batch, created = stock_post(
                scope=scope,
                postings=postings,
                kind=MovementKind.TRANSFER_OUT,
                idempotency_key=idempotency_key,
                reason=note,
                reference=f"{from_location.code}→{to_location.code}",
            )
            if not created:  # a concurrent twin won the key (its insert committed first)
                raise _TwinWon
            transfer.out_batch = batch
            transfer.save(update_fields=["out_batch"])
    except (_TwinWon, ValidationError):
        # Also a ValidationError: the twin may have committed between the check above and the
        # FEFO read here, leaving "not enough stock" for what is in fact the same transfer.
        if winner := _transfer_by_key(scope, idempotency_key):
            return winner
        raise
    audit(scope=scope, action="transfer.create", target=transfer, after={"lines": len(postings)})
    return transfer


class _TwinWon(Exception):
    """Rolls back the savepoint of a transfer whose key another request posted first."""


def _transfer_by_key(scope: Scope, idempotency_key: str) -> Transfer | None:
    return (
        Transfer.objects.visible_to(scope)
        .filter(out_batch__idempotency_key=idempotency_key)
        .first()
    )


def _transfer_owner(
    scope: Scope, from_location: Location, to_location: Location, owner: Organization | None
) -> int:
    """Both ends must be operable by the viewer and hold the same owner's stock."""
    if from_location.pk == to_location.pk:
        raise ValidationError("Choose two different locations.")
    owner_id = require_operable_new(scope, Action.TRANSFER_CREATE, from_location, owner)
    if require_operable_new(scope, Action.TRANSFER_CREATE, to_location, owner) != owner_id:
        raise ValidationError("Both locations must hold the same owner's stock.")
    return owner_id


def _dispatch_lines(
    scope: Scope, transfer: Transfer, lines: Sequence[tuple[Product, Decimal]]
) -> list[Posting]:
    """Pick each product's lots by FEFO at the origin: the transfer's lines are saved, and the
    TRANSFER_OUT postings are returned for the caller to post."""
    postings, transfer_lines = [], []
    for product, quantity in lines:
        require_owner_product(product, transfer.owner_id)
        if quantity <= 0:
            raise ValidationError(f"Quantity of {product.sku} must be positive.")
        for lot, expiry, take in fefo_allocate(
            scope=scope,
            owner_id=transfer.owner_id,
            product=product,
            location=transfer.from_location,
            quantity=quantity,
        ):
            postings.append(
                Posting(
                    transfer.owner_id, product.pk, transfer.from_location.pk, -take, lot, expiry
                )
            )
            transfer_lines.append(
                TransferLine(
                    transfer=transfer, product=product, lot=lot, expiry=expiry, quantity=take
                )
            )
    TransferLine.objects.bulk_create(transfer_lines)
    return postings


@transaction.atomic
def transfer_receive(*, scope: Scope, transfer: Transfer) -> Transfer:
    """Arrival at the destination: the TRANSFER_IN half, posted once."""
    transfer = unscoped_relock(transfer)
    require_operable(
        scope, Action.TRANSFER_RECEIVE, transfer, transfer.to_location, transfer.owner_id
    )
    if transfer.status == TransferStatus.RECEIVED:
        return transfer
    postings = [
        Posting(
            transfer.owner_id,
            line.product_id,
            transfer.to_location_id,
            line.quantity,
            line.lot,
            line.expiry,
        )
        for line in transfer.lines.all()
    ]
    batch, _ = stock_post(
        scope=scope,
        postings=postings,
        kind=MovementKind.TRANSFER_IN,
        idempotency_key=f"transfer:{transfer.public_id}:in",
        reference=f"{transfer.from_location.code}→{transfer.to_location.code}",
    )
    transfer.status = TransferStatus.RECEIVED
    transfer.in_batch = batch
    transfer.received_at = timezone.now()
    transfer.save(update_fields=["status", "in_batch", "received_at"])
    audit(scope=scope, action="transfer.receive", target=transfer)
    return transfer
