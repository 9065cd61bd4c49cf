"""The only way stock changes: `stock_post`. Every other app (shipments, receipts, counts,
VMI sell-through) calls it; nothing writes StockBalance or StockMovement directly."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
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


def _post_group(
    batch: LedgerBatch,
    group: list[Posting],
    *,
    kind: str,
    when: dt.datetime,
    allow_negative: dict[int, bool],
) -> None:
    """One balance's postings of a batch: netted for the negative check (a batch that moves 1
    out and 1 back in is valid), each still its own movement. The caller holds the lock order."""
    first = group[0]
    net = sum((p.quantity for p in group), Decimal(0))
    balance = unscoped_locked_balance(first)
    new_quantity = balance.quantity + net
    if new_quantity < 0 and not allow_negative.get(first.location_id, False):
        raise InsufficientStock(
            f"Not enough stock: {balance.quantity.normalize():f} on hand"
            f"{f' in lot {first.lot}' if first.lot else ''}, "
            f"{(-net).normalize():f} requested."
        )
    if abs(new_quantity) > MAX_BALANCE:
        raise ValidationError(
            f"That would leave {new_quantity.normalize():,f} on hand, more than a balance can hold "
            f"({MAX_BALANCE:,f}). Check the quantity."
        )
    if net:
        unscoped_balance_add(balance, net, when)
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
            for p in group
        ]
    )


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
        allow_negative = unscoped_allow_negative({p.location_id for p in postings})
        by_key: dict[tuple, list[Posting]] = {}
        for posting in postings:
            by_key.setdefault(posting.key, []).append(posting)
        for key in sorted(by_key):
            _post_group(batch, by_key[key], kind=kind, when=when, allow_negative=allow_negative)
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


def unscoped_allow_negative(location_ids: set[int]) -> dict[int, bool]:
    """Whether each posted-to location lets stock go below zero."""
    from orgs.models import Location

    return dict(
        Location.objects.filter(pk__in=location_ids).values_list("pk", "allow_negative_stock")
    )


def unscoped_check_lot_expiry(postings: Sequence[Posting]) -> None:
    """A lot has one expiry per owner and product: a posting naming a known lot with another
    expiry is a data-entry error (refused, nothing written)."""
    lotted = {(p.owner_id, p.product_id, p.lot): p.expiry for p in postings if p.lot}
    for (owner_id, product_id, lot), expiry in lotted.items():
        known = set(
            StockBalance.objects.filter(owner_id=owner_id, product_id=product_id, lot=lot)
            .values_list("expiry", flat=True)
            .distinct()[:2]
        )
        if known and expiry not in known:
            other = next(iter(known))
            shown = f"{other:%Y-%m-%d}" if other else "no expiry"
            raise ValidationError(
                f"Lot {lot} is already recorded with {shown}; "
                f"{f'{expiry:%Y-%m-%d}' if expiry else 'no expiry'} does not match."
            )


def unscoped_locked_balance(p: Posting) -> StockBalance:
    """The balance a posting moves, locked (created at zero when new)."""
    lookup = dict(
        owner_id=p.owner_id,
        product_id=p.product_id,
        location_id=p.location_id,
        lot=p.lot,
        expiry=p.expiry,
    )
    balance = StockBalance.objects.select_for_update().filter(**lookup).first()
    if balance is None:
        # Two transactions may race to create the same balance row: the unique constraint
        # lets one win; the other re-reads it under lock.
        try:
            with transaction.atomic():
                StockBalance.objects.create(**lookup, quantity=0)
        except IntegrityError:
            pass
        balance = StockBalance.objects.select_for_update().get(**lookup)
    return balance


def unscoped_balance_add(balance: StockBalance, net: Decimal, when: dt.datetime) -> None:
    """Add the netted postings to a balance this transaction holds locked."""
    StockBalance.objects.filter(pk=balance.pk).update(quantity=F("quantity") + net, updated_at=when)
