"""The product CSV import: every row is checked first, and one bad row imports nothing.

The steps read in order: decode the upload, read and check each row, check the plan's SKU
limit, then create or update in bulk and audit once. The caller shows `ImportRejected.row_errors`
as a per-row report.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from core.entitlements import LimitReached, check_sku_limit
from orgs.access import Scope
from orgs.audit import audit
from orgs.models import Organization

from ..models import Product
from .catalog import catalog_owner

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5_000
IMPORT_COLUMNS = ("sku", "name", "description", "unit_of_measure", "price", "cost", "is_active")
REQUIRED_COLUMNS = frozenset({"sku", "name", "price"})
UPDATED_FIELDS = ["name", "description", "unit_of_measure", "price", "cost", "is_active"]
ACTIVE_WORDS = {"yes", "no", "true", "false", "1", "0", ""}
ACTIVE_YES = {"yes", "true", "1", ""}

RowErrors = list[tuple[int, str]]
ProductValues = dict[str, Any]


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: RowErrors = field(default_factory=list)


class ImportRejected(ValidationError):
    """The file had errors; nothing was imported. `.row_errors` lists (row number, message)."""

    def __init__(self, errors: RowErrors):
        self.row_errors = errors
        super().__init__(f"{len(errors)} row(s) have errors; nothing was imported.")


@transaction.atomic
def product_import_csv(*, scope: Scope, data: bytes) -> ImportResult:
    """Create or update products from CSV. All rows are checked first: one bad row and
    nothing is imported (the caller shows the per-row report)."""
    owner = catalog_owner(scope)
    rows, errors = _read_rows(_decode(data))
    if not rows and not errors:
        errors.append((0, "The file has no product rows."))
    catalog = Product.objects.visible_to(scope).filter(owner=owner)
    existing = {p.sku: p for p in catalog.filter(sku__in=list(rows))}
    if not errors:
        errors += _sku_limit_errors(scope, catalog, new_count=len(set(rows) - set(existing)))
    if errors:
        raise ImportRejected(errors)
    result = _apply(owner, rows, existing)
    audit(
        scope=scope,
        action="product.import",
        target=owner,
        after={"created": result.created, "updated": result.updated},
    )
    return result


def _decode(data: bytes) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRejected([(0, f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB.")])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([(0, "The file is not UTF-8 text (save it as CSV UTF-8).")]) from None


def _read_rows(text: str) -> tuple[dict[str, ProductValues], RowErrors]:
    """The checked rows by SKU, and every problem found (row number, message)."""
    reader = csv.DictReader(io.StringIO(text), strict=True)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise ImportRejected([(1, f"Missing column(s): {', '.join(sorted(missing))}.")])
    reader.fieldnames = header
    errors: RowErrors = []
    rows: dict[str, ProductValues] = {}
    try:
        for number, raw in enumerate(reader, start=2):
            if number - 1 > MAX_IMPORT_ROWS:
                errors.append((number, f"More than {MAX_IMPORT_ROWS:,} rows; split the file."))
                break
            if None in raw:
                errors.append((number, "More values than columns."))
                continue
            sku, values, problems = _check_row(raw, seen=rows)
            if problems:
                errors.append((number, "; ".join(problems) + "."))
            else:
                rows[sku] = values
    except csv.Error as exc:
        errors.append((reader.line_num, f"Malformed CSV: {exc}."))
    return rows, errors


def _check_row(
    raw: dict[str, str], *, seen: dict[str, ProductValues]
) -> tuple[str, ProductValues, list[str]]:
    """One row's SKU, its product values, and its problems (all of them, not the first)."""
    sku = (raw.get("sku") or "").strip().upper()
    name = (raw.get("name") or "").strip()
    problems = []
    if not sku:
        problems.append("SKU is empty")
    elif len(sku) > 64:
        problems.append("SKU is longer than 64 characters")
    elif sku in seen:
        problems.append(f"SKU {sku} appears twice")
    if not name:
        problems.append("name is empty")
    if not (raw.get("price") or "").strip():
        problems.append("price is empty")
    amounts = {}
    for column in ("price", "cost"):
        try:
            amounts[column] = _parse_amount(raw.get(column) or "0", column)
        except ValueError as exc:
            problems.append(str(exc))
    active = (raw.get("is_active") or "yes").strip().lower()
    if active not in ACTIVE_WORDS:
        problems.append(f"is_active '{active}' should be yes or no")
    if problems:
        return sku, {}, problems
    values = {
        "name": name[:200],
        "description": (raw.get("description") or "").strip(),
        "unit_of_measure": ((raw.get("unit_of_measure") or "").strip() or "EA")[:16],
        "price": amounts["price"],
        "cost": amounts["cost"],
        "is_active": active in ACTIVE_YES,
    }
    return sku, values, []


def _parse_amount(value: str, label: str) -> Decimal:
    try:
        number = Decimal((value or "0").strip().replace(",", "").lstrip("$") or "0")
    except InvalidOperation:
        raise ValueError(f"{label} '{value}' is not a number") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{label} must be zero or more")
    if number >= Decimal("1e10"):
        raise ValueError(f"{label} is too large")
    return number.quantize(Decimal("0.01"))


def _sku_limit_errors(scope: Scope, catalog: QuerySet[Product], *, new_count: int) -> RowErrors:
    try:
        check_sku_limit(scope, catalog.count(), new_count)
    except LimitReached as exc:
        return [(0, str(exc))]
    return []


def _apply(
    owner: Organization, rows: dict[str, ProductValues], existing: dict[str, Product]
) -> ImportResult:
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
        Product.objects.bulk_update(list(existing.values()), UPDATED_FIELDS)
    return ImportResult(created=len(to_create), updated=len(existing))
