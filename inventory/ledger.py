"""The only way stock changes: `stock_post`. Every other app (shipments, receipts, counts,
VMI sell-through) calls it; nothing writes StockBalance or StockMovement directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from orgs.access import Scope
from orgs.audit import audit
from rls.context import bypass

from .models import LedgerBatch, StockBalance, StockMovement


@dataclass(frozen=True)
class Posting:
    owner_id: int
    product_id: int
    location_id: int
    quantity: Decimal  # signed: + into the location, - out of it
    lot: str = ""
    expiry: dt.date | None = None

    @property
    def key(self) -> tuple:
        return (
            self.owner_id,
            self.product_id,
            self.location_id,
            self.lot,
            self.expiry or dt.date.min,
        )


class InsufficientStock(ValidationError):
    pass


def _balances_context(scope: Scope | None, postings: Sequence[Posting]):
    if scope is not None and all(p.owner_id in scope.org_ids for p in postings):
        return nullcontext()
    return bypass(reason="ledger: posting into another owner's balances (checked by the caller)")


# StockBalance.quantity is numeric(14, 3): a posting that would leave more than this on hand is
# bad input (a typo of extra digits), refused with a message instead of a database overflow.
MAX_BALANCE = Decimal("99999999999.999")


@transaction.atomic
def stock_post(
    *,
    scope: Scope | None,
    postings: Sequence[Posting],
    kind: str,
    idempotency_key: str,
    reason: str = "",
    reference: str = "",
    occurred_at: dt.datetime | None = None,
) -> tuple[LedgerBatch, bool]:
    """Post movements and update balances in one transaction. Returns (batch, created).

    The same idempotency key posts once: a second call (a retry, a double click, or a
    concurrent call that waited for the first to commit) returns the first batch unchanged.
    Balances are locked in a fixed order so concurrent postings cannot deadlock.
    """
    if not postings:
        raise ValidationError("Nothing to post.")
    if any(p.quantity == 0 for p in postings):
        raise ValidationError("A posting quantity cannot be zero.")
    try:
        with transaction.atomic():
            batch = LedgerBatch.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                reason=reason[:200],
                reference=reference[:120],
                actor_id=scope.user_id if scope else None,
                acting_org_id=scope.org_id if scope else None,
            )
    except IntegrityError:
        return LedgerBatch.objects.get(idempotency_key=idempotency_key), False

    # The ledger is the one write path for stock and its callers checked the right to post:
    # a partner confirming a receipt posts into the owner's balance, which RLS may not let
    # it read; exactly that step runs under a named bypass.
    with _balances_context(scope, postings):
        unscoped_check_lot_expiry(postings)
        when = occurred_at or timezone.now()
        by_key: dict[tuple, list[Posting]] = {}
        for posting in postings:
            by_key.setdefault(posting.key, []).append(posting)
        keys = sorted(by_key)
        # Netted per balance for the negative check (a batch that moves 1 out and 1 back in is
        # valid), each posting still its own movement.
        nets = [sum((p.quantity for p in by_key[k]), Decimal(0)) for k in keys]
        for net in nets:
            if abs(net) > MAX_BALANCE:
                raise _too_much(net)
        try:
            rows = unscoped_upsert_balances([by_key[k][0] for k in keys], nets, when)
        except DataError as exc:
            # numeric(14, 3) overflow of balance + net: the whole posting is rolled back.
            raise ValidationError(
                f"That would leave on hand more than a balance can hold ({MAX_BALANCE:,f}). "
                "Check the quantity."
            ) from exc
        for key, net, (new_quantity, allow_negative) in zip(keys, nets, rows, strict=True):
            if new_quantity < 0 and not allow_negative:
                first = by_key[key][0]
                raise InsufficientStock(
                    f"Not enough stock: {(new_quantity - net).normalize():f} on hand"
                    f"{f' in lot {first.lot}' if first.lot else ''}, "
                    f"{(-net).normalize():f} requested."
                )
        StockMovement.objects.bulk_create(
            [
                StockMovement(
                    batch=batch,
                    owner_id=p.owner_id,
                    product_id=p.product_id,
                    location_id=p.location_id,
                    lot=p.lot,
                    expiry=p.expiry,
                    quantity=p.quantity,
                    kind=kind,
                    occurred_at=when,
                )
                for k in keys
                for p in by_key[k]
            ]
        )
    audit(
        scope=scope,
        action=f"stock.{kind.lower()}",
        target=batch,
        after={"lines": len(postings), "reference": reference, "reason": reason},
        # Whose stock moved: a partner's receipt shows in the owner's audit log.
        subject_orgs={p.owner_id for p in postings},
    )
    return batch, True


# The ledger's own reads. Unscoped, and safe: `stock_post`'s caller already obtained the
# documents through `visible_to` and the policy allowed the posting; these read (and lock) only
# the balances and locations named by its postings, to post into them, and show nothing.


def unscoped_check_lot_expiry(postings: Sequence[Posting]) -> None:
    """A lot has one expiry per owner and product: a posting naming a known lot with another
    expiry is a data-entry error (refused, nothing written)."""
    lotted = {(p.owner_id, p.product_id, p.lot): p.expiry for p in postings if p.lot}
    if not lotted:
        return
    # One query for every lot of the batch.
    known: dict[tuple, set] = {}
    rows = (
        StockBalance.objects.filter(
            Q.create(
                [Q(owner_id=o, product_id=p, lot=lot) for o, p, lot in lotted],
                connector=Q.OR,
            )
        )
        .values_list("owner_id", "product_id", "lot", "expiry")
        .distinct()
    )
    for owner_id, product_id, lot, expiry in rows:
        known.setdefault((owner_id, product_id, lot), set()).add(expiry)
    for (owner_id, product_id, lot), expiry in lotted.items():
        recorded = known.get((owner_id, product_id, lot))
        if recorded and expiry not in recorded:
            other = sorted(recorded, key=lambda e: e or dt.date.min)[0]
            shown = f"{other:%Y-%m-%d}" if other else "no expiry"
            raise ValidationError(
                f"Lot {lot} is already recorded with {shown}; "
                f"{f'{expiry:%Y-%m-%d}' if expiry else 'no expiry'} does not match."
            )


# One statement for every balance of a batch: rows are inserted (or, when the balance exists,
# updated) in key order, so two concurrent postings lock shared balances in the same order and
# cannot deadlock; the unique key settles a race to create the same balance. RETURNING gives the
# new quantity and whether the location allows negative stock, for the check in Python.
_UPSERT_BALANCES = """
WITH posted AS (
    INSERT INTO inventory_stockbalance AS b
        (owner_id, product_id, location_id, lot, expiry, quantity, updated_at)
    SELECT v.owner_id, v.product_id, v.location_id, v.lot, v.expiry, v.net, %s
    FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::varchar[], %s::date[],
                %s::numeric[]) WITH ORDINALITY AS v(owner_id, product_id, location_id, lot,
                                                    expiry, net, ord)
    ORDER BY v.ord
    ON CONFLICT ON CONSTRAINT stock_balance_unique_key DO UPDATE
        SET quantity = b.quantity + EXCLUDED.quantity,
            updated_at = CASE WHEN EXCLUDED.quantity = 0 THEN b.updated_at
                              ELSE EXCLUDED.updated_at END
    RETURNING b.owner_id, b.product_id, b.location_id, b.lot, b.expiry, b.quantity
)
SELECT posted.owner_id, posted.product_id, posted.location_id, posted.lot, posted.expiry,
       posted.quantity, location.allow_negative_stock
FROM posted JOIN orgs_location AS location ON location.id = posted.location_id
"""


def unscoped_upsert_balances(
    firsts: Sequence[Posting], nets: Sequence[Decimal], when: dt.datetime
) -> list[tuple[Decimal, bool]]:
    """Add each net to its balance (created at zero when new), in the given (key) order; per
    balance, in that order: (new quantity, whether its location allows negative stock)."""
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT_BALANCES,
            [
                when,
                [p.owner_id for p in firsts],
                [p.product_id for p in firsts],
                [p.location_id for p in firsts],
                [p.lot for p in firsts],
                [p.expiry for p in firsts],
                list(nets),
            ],
        )
        returned = {
            (owner, product, location, lot, expiry or dt.date.min): (quantity, allow_negative)
            for owner, product, location, lot, expiry, quantity, allow_negative in cursor
        }
    return [returned[p.key] for p in firsts]


def _too_much(quantity: Decimal) -> ValidationError:
    return ValidationError(
        f"That would leave {quantity.normalize():,f} on hand, more than a balance can hold "
        f"({MAX_BALANCE:,f}). Check the quantity."
    )
