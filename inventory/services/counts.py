"""Stock counts: open a sheet with the expected quantities frozen, record counts, post the
variances as one COUNT_CORRECTION batch."""

from __future__ import annotations

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
    CountKind,
    CountStatus,
    MovementKind,
    Product,
    StockBalance,
    StockCount,
    StockCountLine,
)
from .guards import require_operable, require_operable_new, require_owner_product


@transaction.atomic
def count_create(
    *,
    scope: Scope,
    location: Location,
    kind: str = CountKind.STOCK_TAKE,
    products: Sequence[Product] = (),
    owner: Organization | None = None,
) -> StockCount:
    """Open a count sheet: every lot on hand at the location (stock take) or for the chosen
    products (cycle count), with the expected quantity frozen now."""
    owner_id = require_operable_new(scope, Action.STOCK_COUNT_CREATE, location, owner)
    if kind not in CountKind.values:
        raise ValidationError("Choose a count type.")
    if kind == CountKind.CYCLE and not products:
        raise ValidationError("Choose the products to cycle-count.")
    count = StockCount.objects.create(
        owner_id=owner_id, location=location, kind=kind, created_by_id=scope.user_id
    )
    lines = _sheet_lines(scope, count, products)
    StockCountLine.objects.bulk_create(lines)
    audit(scope=scope, action="count.create", target=count, after={"lines": len(lines)})
    return count


def _sheet_lines(
    scope: Scope, count: StockCount, products: Sequence[Product]
) -> list[StockCountLine]:
    """One line per lot on hand (of `products` for a cycle count), expected = on hand now."""
    # The viewer owns this stock (the policy, checked by the caller): its balances are visible.
    balances = (
        StockBalance.objects.visible_to(scope)
        .filter(owner_id=count.owner_id, location=count.location)
        .exclude(quantity=0)
    )
    cycle = count.kind == CountKind.CYCLE
    if cycle:
        for product in products:
            require_owner_product(product, count.owner_id)
        balances = balances.filter(product__in=products)
    lines = [
        StockCountLine(
            count=count, product_id=b.product_id, lot=b.lot, expiry=b.expiry, expected=b.quantity
        )
        for b in balances
    ]
    if cycle:  # a counted product with nothing on hand still gets a line
        present = {line.product_id for line in lines}
        lines += [
            StockCountLine(count=count, product=p, expected=Decimal(0))
            for p in products
            if p.pk not in present
        ]
    return lines


@transaction.atomic
def count_record(
    *, scope: Scope, count: StockCount, counted: dict[int, Decimal | None]
) -> StockCount:
    """Save counted quantities (line id → quantity) on an open sheet."""
    count = unscoped_relock(count)
    require_operable(scope, Action.STOCK_COUNT_EDIT, count, count.location, count.owner_id)
    if count.status != CountStatus.OPEN:
        raise ValidationError("This count is already posted.")
    lines = {line.pk: line for line in count.lines.all()}
    for line_id, quantity in counted.items():
        if line_id not in lines:
            raise ValidationError("Unknown count line.")
        if quantity is not None and quantity < 0:
            raise ValidationError("A counted quantity cannot be negative.")
        lines[line_id].counted = quantity
    StockCountLine.objects.bulk_update(list(lines.values()), ["counted"])
    audit(scope=scope, action="count.record", target=count, after={"lines": len(counted)})
    return count


@transaction.atomic
def count_post(*, scope: Scope, count: StockCount) -> StockCount:
    """Post every variance as one COUNT_CORRECTION batch; a second post does nothing.

    The correction is counted − expected, where expected was frozen when the sheet opened:
    movements during the count (a receipt, a pick) are not overwritten by it.
    """
    count = unscoped_relock(count)
    require_operable(scope, Action.STOCK_COUNT_POST, count, count.location, count.owner_id)
    if count.status == CountStatus.POSTED:
        return count
    if count.status != CountStatus.OPEN:
        raise ValidationError("This count was cancelled.")
    lines = list(count.lines.all())
    if any(line.counted is None for line in lines):
        raise ValidationError("Enter a counted quantity on every line before posting.")
    postings = [
        Posting(
            count.owner_id, line.product_id, count.location_id, line.variance, line.lot, line.expiry
        )
        for line in lines
        if line.variance
    ]
    if postings:
        count.batch, _ = stock_post(
            scope=scope,
            postings=postings,
            kind=MovementKind.COUNT_CORRECTION,
            idempotency_key=f"count:{count.public_id}",
            reason=f"{count.get_kind_display()} variance",
            reference=count.location.code,
        )
    count.status = CountStatus.POSTED
    count.posted_at = timezone.now()
    count.save(update_fields=["status", "batch", "posted_at"])
    audit(scope=scope, action="count.post", target=count, after={"corrections": len(postings)})
    return count
