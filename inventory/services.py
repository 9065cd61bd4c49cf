"""Every inventory write: products, BOMs, CSV import, adjustments, transfers, counts.

Stock itself only changes through `inventory.ledger.stock_post`; these services decide what
to post, check the viewer's rights and the plan, and audit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.entitlements import (
    EXTRA_LOCATION_PRICE,
    LimitReached,
    check_sku_limit,
)
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Location, Organization
from orgs.policy import Action, StockAt, require

from .ledger import Posting, stock_post
from .models import (
    AdjustmentReason,
    BomLine,
    CountKind,
    CountStatus,
    MovementKind,
    Product,
    StockBalance,
    StockCount,
    StockCountLine,
    Transfer,
    TransferLine,
    TransferStatus,
)

PRODUCT_FIELDS = (
    "name",
    "description",
    "specifications",
    "unit_of_measure",
    "price",
    "cost",
    "is_active",
)
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
IMPORT_COLUMNS = ("sku", "name", "description", "unit_of_measure", "price", "cost", "is_active")


def _catalog_owner(scope: Scope) -> Organization:
    """Products are created for the active organization, by its admins."""
    require(scope, Action.PRODUCT_CREATE)
    return Organization.objects.visible_to(scope).select_for_update().get(pk=scope.org_id)


# ---- products -------------------------------------------------------------------------------


@transaction.atomic
def product_create(
    *,
    scope: Scope,
    sku: str,
    name: str,
    price: Decimal,
    cost: Decimal = Decimal("0"),
    description: str = "",
    specifications: dict | None = None,
    unit_of_measure: str = "EA",
    is_active: bool = True,
    image=None,
) -> Product:
    owner = _catalog_owner(scope)
    sku = sku.strip().upper()
    if not sku:
        raise ValidationError("Enter a SKU.")
    if price < 0 or cost < 0:
        raise ValidationError("Price and cost cannot be negative.")
    in_use = Product.objects.visible_to(scope).filter(owner=owner).count()
    check_sku_limit(scope, in_use)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                owner=owner,
                sku=sku,
                name=name.strip(),
                description=description,
                specifications=specifications or {},
                unit_of_measure=unit_of_measure.strip() or "EA",
                price=price,
                cost=cost,
                is_active=is_active,
            )
    except IntegrityError:
        raise ValidationError(f"SKU {sku} already exists in your catalog.") from None
    if image:
        product.image.save(image.name, image, save=True)
    audit(scope=scope, action="product.create", target=product, after={"sku": sku})
    return product


@transaction.atomic
def product_update(*, scope: Scope, product: Product, image=None, **changes) -> Product:
    # Partners see shared products read-only; editing them is simply not there.
    require(scope, Action.PRODUCT_EDIT, product)
    product = unscoped_relock(product)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = {k: str(getattr(product, k)) for k in changes}
    for key, value in changes.items():
        setattr(product, key, value)
    if product.price < 0 or product.cost < 0:
        raise ValidationError("Price and cost cannot be negative.")
    product.save()
    if image:
        product.image.save(image.name, image, save=True)
    audit(
        scope=scope,
        action="product.update",
        target=product,
        before=before,
        after={k: str(getattr(product, k)) for k in changes},
    )
    return product


@transaction.atomic
def bom_set(
    *, scope: Scope, product: Product, lines: Sequence[tuple[Product, Decimal]]
) -> list[BomLine]:
    """Replace a product's bill of materials; components must be the owner's products."""
    # Partners see shared products read-only; editing them is simply not there.
    require(scope, Action.PRODUCT_EDIT, product)
    seen = set()
    for component, quantity in lines:
        if component.pk == product.pk:
            raise ValidationError("A product cannot be a component of itself.")
        if component.owner_id != product.owner_id:
            raise ValidationError(f"{component.sku} is not in your catalog.")
        if quantity <= 0:
            raise ValidationError(f"Quantity of {component.sku} must be positive.")
        if component.pk in seen:
            raise ValidationError(f"{component.sku} is listed twice.")
        seen.add(component.pk)
    BomLine.objects.filter(product=product).delete()
    created = BomLine.objects.bulk_create(
        [BomLine(product=product, component=c, quantity=q) for c, q in lines]
    )
    audit(
        scope=scope,
        action="product.bom_set",
        target=product,
        after={"components": [[c.sku, str(q)] for c, q in lines]},
    )
    return created


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class ImportRejected(ValidationError):
    """The file had errors; nothing was imported. `.errors` lists (row number, message)."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.row_errors = errors
        super().__init__(f"{len(errors)} row(s) have errors; nothing was imported.")


def _parse_decimal(value: str, label: str) -> Decimal:
    try:
        number = Decimal((value or "0").strip().replace(",", "").lstrip("$") or "0")
    except InvalidOperation:
        raise ValueError(f"{label} '{value}' is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{label} must be zero or more")
    if number >= Decimal("1e10"):
        raise ValueError(f"{label} is too large")
    return number.quantize(Decimal("0.01"))


@transaction.atomic
def product_import_csv(*, scope: Scope, data: bytes) -> ImportResult:
    """Create or update products from CSV. All rows are checked first: one bad row and
    nothing is imported (the caller shows the per-row report)."""
    owner = _catalog_owner(scope)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected([(0, f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB.")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([(0, "The file is not UTF-8 text (save it as CSV UTF-8).")]) from None
    reader = csv.DictReader(io.StringIO(text), strict=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = {"sku", "name", "price"} - set(header)
    if missing:
        raise ImportRejected([(1, f"Missing column(s): {', '.join(sorted(missing))}.")])
    reader.fieldnames = header
    errors: list[tuple[int, str]] = []
    rows: dict[str, dict] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_IMPORT_ROWS:
                errors.append((number, f"More than {MAX_IMPORT_ROWS:,} rows; split the file."))
                break
            if None in raw:
                errors.append((number, "More values than columns."))
                continue
            sku = (raw.get("sku") or "").strip().upper()
            name = (raw.get("name") or "").strip()
            problems = []
            if not sku:
                problems.append("SKU is empty")
            elif len(sku) > 64:
                problems.append("SKU is longer than 64 characters")
            elif sku in rows:
                problems.append(f"SKU {sku} appears twice")
            if not name:
                problems.append("name is empty")
            values = {}
            if not (raw.get("price") or "").strip():
                problems.append("price is empty")
            for column, label in (("price", "price"), ("cost", "cost")):
                try:
                    values[column] = _parse_decimal(raw.get(column) or "0", label)
                except ValueError as exc:
                    problems.append(str(exc))
            active = (raw.get("is_active") or "yes").strip().lower()
            if active not in {"yes", "no", "true", "false", "1", "0", ""}:
                problems.append(f"is_active '{active}' should be yes or no")
            if problems:
                errors.append((number, "; ".join(problems) + "."))
                continue
            rows[sku] = {
                "name": name[:200],
                "description": (raw.get("description") or "").strip(),
                "unit_of_measure": ((raw.get("unit_of_measure") or "").strip() or "EA")[:16],
                "price": values["price"],
                "cost": values["cost"],
                "is_active": active in {"yes", "true", "1", ""},
            }
    except csv.Error as exc:
        errors.append((reader.line_num, f"Malformed CSV: {exc}."))
    if not rows and not errors:
        errors.append((0, "The file has no product rows."))
    catalog = Product.objects.visible_to(scope).filter(owner=owner)
    existing = {p.sku: p for p in catalog.filter(sku__in=list(rows))}
    new_count = len(set(rows) - set(existing))
    if not errors:
        try:
            check_sku_limit(scope, catalog.count(), new_count)
        except LimitReached as exc:
            errors.append((0, exc.message))
    if errors:
        raise ImportRejected(errors)
    result = ImportResult()
    to_create = []
    for sku, values in rows.items():
        product = existing.get(sku)
        if product is None:
            to_create.append(Product(owner=owner, sku=sku, **values))
        else:
            for key, value in values.items():
                setattr(product, key, value)
    Product.objects.bulk_create(to_create)
    if existing:
        Product.objects.bulk_update(
            list(existing.values()),
            ["name", "description", "unit_of_measure", "price", "cost", "is_active"],
        )
    result.created, result.updated = len(to_create), len(existing)
    audit(
        scope=scope,
        action="product.import",
        target=owner,
        after={"created": result.created, "updated": result.updated},
    )
    return result


# ---- own inventory: where the viewer may operate ---------------------------------------------


def managed_location_ids(scope: Scope) -> list[int]:
    """Own locations within the plan's allowance (PRO: 1 + add-ons; ENTERPRISE: all), by code."""
    own = list(
        Location.objects.visible_to(scope)
        .filter(operator_id__in=scope.org_ids, is_active=True)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    limit = scope.limits.locations
    return own if limit is None else own[:limit]


def default_stock_owner(scope: Scope, location: Location) -> int | None:
    """Whose stock a write at a location is about when the caller does not say: the
    operator's at the viewer's own locations; otherwise the active organization's own stock
    placed there (LUXE BOND at Amazon FBA). The policy then checks the viewer owns it."""
    if location.operator_id in scope.org_ids:
        return location.operator_id
    return scope.org_id


def _operable(
    scope: Scope, action: Action, target: object, location: Location, owner_id: int | None
) -> int:
    """The write policy first (the viewer must OWN the stock; operating the location is not
    enough), then where the viewer may work and the plan's location allowance. Returns the
    owner id."""
    require(scope, action, target)
    if location.pk not in scope.location_ids and not scope.is_platform_staff:
        raise PermissionDenied("You cannot work at this location.")
    if location.operator_id in scope.org_ids and location.pk not in managed_location_ids(scope):
        limit = scope.limits.locations
        raise LimitReached(
            f"Your plan manages inventory at {limit} location{'s' if limit != 1 else ''}; "
            f"{location.code} is beyond it. Add a location for ${EXTRA_LOCATION_PRICE}/mo, or "
            "upgrade to ENTERPRISE for unlimited locations."
        )
    return owner_id


def _operable_new(
    scope: Scope, action: Action, location: Location, owner: Organization | None
) -> int:
    """A new stock document (adjustment, count, transfer leg) for `owner`'s stock."""
    owner_id = owner.pk if owner is not None else default_stock_owner(scope, location)
    return _operable(scope, action, StockAt(owner_id, location.pk), location, owner_id)


def _product_of_owner(product: Product, owner_id: int) -> None:
    if product.owner_id != owner_id:
        raise ValidationError(f"{product.sku} is not a product of the stock owner.")


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
):
    """A signed adjustment with a reason code (damaged, found, …) of stock the viewer owns."""
    owner_id = _operable_new(scope, Action.STOCK_ADJUST, location, owner)
    _product_of_owner(product, owner_id)
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


def fefo_allocate(
    *, scope: Scope, owner_id: int, product: Product, location: Location, quantity: Decimal
) -> list[tuple[str, dt.date | None, Decimal]]:
    """First expired, first out: which lots to take `quantity` from (no expiry goes last)."""
    balances = (
        StockBalance.objects.visible_to(scope)
        .filter(owner_id=owner_id, product=product, location=location, quantity__gt=0)
        .order_by("expiry", "lot")  # PostgreSQL sorts NULL expiry last ascending
        .values_list("lot", "expiry", "quantity")
    )
    picks, left = [], quantity
    for lot, expiry, on_hand in balances:
        if left <= 0:
            break
        take = min(on_hand, left)
        picks.append((lot, expiry, take))
        left -= take
    if left > 0:
        raise ValidationError(
            f"Not enough {product.sku} at {location.code}: "
            f"{(quantity - left).normalize():f} available, {quantity.normalize():f} requested."
        )
    return picks


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
    """Dispatch stock between two own locations: lots by FEFO, posted out now, in on arrival."""
    if from_location.pk == to_location.pk:
        raise ValidationError("Choose two different locations.")
    owner_id = _operable_new(scope, Action.TRANSFER_CREATE, from_location, owner)
    if _operable_new(scope, Action.TRANSFER_CREATE, to_location, owner) != owner_id:
        raise ValidationError("Both locations must hold the same owner's stock.")
    existing = (
        Transfer.objects.visible_to(scope)
        .filter(out_batch__idempotency_key=idempotency_key)
        .first()
    )
    if existing:
        return existing
    if not lines:
        raise ValidationError("Add at least one product.")
    transfer = Transfer.objects.create(
        owner_id=owner_id, from_location=from_location, to_location=to_location, note=note[:200]
    )
    postings, transfer_lines = [], []
    for product, quantity in lines:
        _product_of_owner(product, owner_id)
        if quantity <= 0:
            raise ValidationError(f"Quantity of {product.sku} must be positive.")
        for lot, expiry, take in fefo_allocate(
            scope=scope,
            owner_id=owner_id,
            product=product,
            location=from_location,
            quantity=quantity,
        ):
            postings.append(Posting(owner_id, product.pk, from_location.pk, -take, lot, expiry))
            transfer_lines.append(
                TransferLine(
                    transfer=transfer, product=product, lot=lot, expiry=expiry, quantity=take
                )
            )
    TransferLine.objects.bulk_create(transfer_lines)
    batch, created = stock_post(
        scope=scope,
        postings=postings,
        kind=MovementKind.TRANSFER_OUT,
        idempotency_key=idempotency_key,
        reason=note,
        reference=f"{from_location.code}→{to_location.code}",
    )
    if not created:  # a concurrent twin won the key: keep its transfer, drop this one
        transaction.set_rollback(True)
        return Transfer.objects.visible_to(scope).get(out_batch=batch)
    transfer.out_batch = batch
    transfer.save(update_fields=["out_batch"])
    audit(scope=scope, action="transfer.create", target=transfer, after={"lines": len(postings)})
    return transfer


@transaction.atomic
def transfer_receive(*, scope: Scope, transfer: Transfer) -> Transfer:
    """Arrival at the destination: the TRANSFER_IN half, posted once."""
    transfer = unscoped_relock(transfer)
    _operable(scope, Action.TRANSFER_RECEIVE, transfer, transfer.to_location, transfer.owner_id)
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


# ---- counts ----------------------------------------------------------------------------------


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
    owner_id = _operable_new(scope, Action.STOCK_COUNT_CREATE, location, owner)
    if kind not in CountKind.values:
        raise ValidationError("Choose a count type.")
    if kind == CountKind.CYCLE and not products:
        raise ValidationError("Choose the products to cycle-count.")
    count = StockCount.objects.create(
        owner_id=owner_id, location=location, kind=kind, created_by_id=scope.user_id
    )
    # The viewer owns this stock (the policy, above): its balances are visible to it.
    balances = (
        StockBalance.objects.visible_to(scope)
        .filter(owner_id=owner_id, location=location)
        .exclude(quantity=0)
    )
    if kind == CountKind.CYCLE:
        for product in products:
            _product_of_owner(product, owner_id)
        balances = balances.filter(product__in=products)
    lines = [
        StockCountLine(
            count=count, product_id=b.product_id, lot=b.lot, expiry=b.expiry, expected=b.quantity
        )
        for b in balances
    ]
    if kind == CountKind.CYCLE:  # a counted product with nothing on hand still gets a line
        present = {line.product_id for line in lines}
        lines += [
            StockCountLine(count=count, product=p, expected=Decimal(0))
            for p in products
            if p.pk not in present
        ]
    StockCountLine.objects.bulk_create(lines)
    audit(scope=scope, action="count.create", target=count, after={"lines": len(lines)})
    return count


@transaction.atomic
def count_record(
    *, scope: Scope, count: StockCount, counted: dict[int, Decimal | None]
) -> StockCount:
    """Save counted quantities (line id → quantity) on an open sheet."""
    count = unscoped_relock(count)
    _operable(scope, Action.STOCK_COUNT_EDIT, count, count.location, count.owner_id)
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
    _operable(scope, Action.STOCK_COUNT_POST, count, count.location, count.owner_id)
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
