"""Inventory reads, always through the access layer.

Value is shown two ways: at the product's price (what partners see, "value") and at cost
(the owner's own rows only: `cost_value` is NULL for any row the viewer does not own, so a
partner's page, CSV or PDF never even receives a cost from the database).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import cast

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)

from core.entitlements import Limits
from orgs.access import Scope
from orgs.models import Location
from rls.context import bypass

from .models import Product, StockBalance, StockMovement

COST_METHOD = "Standard cost: each product's current unit cost × quantity on hand."
MONEY = DecimalField(max_digits=20, decimal_places=2)


@dataclass(frozen=True)
class StockFilter:
    location: str = ""  # LOC-101
    product: str = ""  # SKU (exact, case-insensitive) or part of the name
    lot: str = ""
    expiring_before: dt.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.location or self.product or self.lot or self.expiring_before)


def _own_q(scope: Scope, owner_field: str = "owner_id") -> Q:
    if scope.is_platform_staff:
        return Q()
    return Q(**{f"{owner_field}__in": scope.org_ids})


def _cost_expr(scope: Scope, quantity: str = "quantity") -> Case:
    return Case(
        When(_own_q(scope), then=ExpressionWrapper(F(quantity) * F("product__cost"), MONEY)),
        default=Value(None),
        output_field=MONEY,
    )


def sees_cost(scope: Scope) -> bool:
    """Whether the viewer has own stock at all (cost columns appear only then)."""
    return scope.is_platform_staff or scope.has("inventory.manage_own")


def _apply(qs: QuerySet, f: StockFilter, *, quantity_field: str = "quantity") -> QuerySet:
    if f.location:
        qs = qs.filter(location__code=f.location.upper())
    if f.product:
        qs = qs.filter(Q(product__sku=f.product.upper()) | Q(product__name__icontains=f.product))
    if f.lot:
        qs = qs.filter(lot=f.lot)
    if f.expiring_before:
        qs = qs.filter(expiry__lt=f.expiring_before)
    return qs


def stock_rows(scope: Scope, f: StockFilter = StockFilter()) -> QuerySet:
    """On-hand rows (one per owner, product, location, lot), newest activity first per
    location: the order matches the (location, updated_at, id) index, so the first page stays
    cheap however many rows the viewer may see."""
    qs = _apply(StockBalance.objects.visible_to(scope).exclude(quantity=0), f)
    return (
        qs.select_related("product", "location", "owner")
        .only(
            "lot",
            "expiry",
            "quantity",
            "updated_at",
            "owner_id",
            "product_id",
            "location_id",
            "product__sku",
            "product__name",
            "product__price",
            "product__unit_of_measure",
            "product__public_id",
            "location__code",
            "location__name",
            "location__public_id",
            "owner__code",
            "owner__name",
        )
        .annotate(
            value=ExpressionWrapper(F("quantity") * F("product__price"), MONEY),
            cost_value=_cost_expr(scope),
        )
        .order_by("location_id", "-updated_at", "-id")
    )


# A viewer who sees few locations (a partner) gets its page as a union of per-location top-N
# ordered index scans: PostgreSQL 15 would otherwise sort every visible row of the first
# location (an OR of own and shared rows, or `location_id = ANY(...)`, is not index-ordered).
PER_LOCATION_MAX_LOCATIONS = 50


def stock_rows_window(scope: Scope, rows: QuerySet, start: int, stop: int) -> list | None:
    """Rows [start:stop] of `stock_rows(...)` in two bounded queries, or None when the general
    path is the better one (admins with own stock are served by the ordered index directly)."""
    if scope.is_platform_staff or scope.has("inventory.manage_own"):
        return None
    locations = sorted(scope.location_ids)
    if not locations or len(locations) > PER_LOCATION_MAX_LOCATIONS:
        return None
    branches = [
        rows.filter(location_id=loc)
        .order_by("-updated_at", "-id")
        .values_list("id", flat=True)[:stop]
        for loc in locations
    ]
    ids = (
        list(branches[0].union(*branches[1:], all=True)) if len(branches) > 1 else list(branches[0])
    )
    return list(rows.filter(pk__in=ids)[start:stop])


def totals_by_location(scope: Scope, f: StockFilter = StockFilter()) -> list[dict]:
    rows = (
        _apply(StockBalance.objects.visible_to(scope).exclude(quantity=0), f)
        .values("location_id", "location__code", "location__name", "location__kind")
        .annotate(
            units=Sum("quantity"),
            value=Sum(F("quantity") * F("product__price"), output_field=MONEY),
            cost_value=Sum(_cost_expr(scope)),
        )
        .order_by("location__code")
    )
    return list(rows)


def totals_by_product(scope: Scope, f: StockFilter = StockFilter()) -> QuerySet:
    return (
        _apply(StockBalance.objects.visible_to(scope).exclude(quantity=0), f)
        .values("product_id", "product__sku", "product__name", "product__public_id", "owner__code")
        .annotate(
            units=Sum("quantity"),
            value=Sum(F("quantity") * F("product__price"), output_field=MONEY),
            cost_value=Sum(_cost_expr(scope)),
        )
        .order_by("product__sku", "owner__code")
    )


def grand_total(rows: list[dict]) -> dict:
    units = sum((r["units"] for r in rows), Decimal(0))
    value = sum((r["value"] or 0 for r in rows), Decimal(0))
    costs = [r["cost_value"] for r in rows if r["cost_value"] is not None]
    return {"units": units, "value": value, "cost_value": sum(costs) if costs else None}


HISTORICAL_BALANCES = "balances as of a date: movements summed into balances the viewer may see"


def snapshot_at(scope: Scope, at: dt.date, f: StockFilter = StockFilter()) -> list[dict]:
    """Stock as it stood at the end of `at`, replayed from the movements (not from balances).

    A snapshot is balances as of a date, so it sums the movements behind the balances the
    viewer may see (a partner: the owner's stock at its shared locations); it never lists them."""
    end = dt.datetime.combine(at + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    qs = _apply(
        StockMovement.objects.summed_into_visible_balances(scope).filter(occurred_at__lt=end), f
    )
    rows = (
        qs.values(
            "owner__code",
            "location__code",
            "location__name",
            "product__sku",
            "product__name",
            "lot",
            "expiry",
            "owner_id",
        )
        .annotate(
            units=Sum("quantity"),
            value=Sum(F("quantity") * F("product__price"), output_field=MONEY),
            cost_value=Sum(_cost_expr(scope)),
        )
        .exclude(units=0)
        .order_by("location__code", "product__sku", "expiry", "lot")
    )
    # The app filter above already narrowed the rows to the viewer's balances; PostgreSQL's
    # policy follows the movement log's stricter rule (a partner lists only what it posted), so
    # the sums are read past it, and only the sums leave this function.
    with bypass(reason=HISTORICAL_BALANCES):
        return list(rows)


def movements_for(scope: Scope, f: StockFilter = StockFilter()) -> QuerySet:
    return (
        _apply(StockMovement.objects.visible_to(scope), f)
        .select_related("product", "location__operator", "owner", "batch")
        .order_by("-occurred_at", "-id")
    )


def expiring_lots(scope: Scope, days: int, f: StockFilter = StockFilter()) -> QuerySet:
    today = dt.date.today()
    return (
        _apply(StockBalance.objects.visible_to(scope).filter(quantity__gt=0), f)
        .filter(expiry__isnull=False, expiry__lte=today + dt.timedelta(days=days))
        .select_related("product", "location", "owner")
        .annotate(value=ExpressionWrapper(F("quantity") * F("product__price"), MONEY))
        .order_by("expiry", "location__code", "product__sku")
    )


def products_for(scope: Scope, query: str = "") -> QuerySet:
    qs = Product.objects.visible_to(scope).select_related("owner")
    if query:
        qs = qs.filter(Q(sku__icontains=query) | Q(name__icontains=query))
    return qs.order_by("sku", "owner__code")


def product_stock(scope: Scope, product: Product) -> list[dict]:
    return list(
        StockBalance.objects.visible_to(scope)
        .filter(product=product)
        .exclude(quantity=0)
        .values("location__code", "location__name", "lot", "expiry")
        .annotate(units=Sum("quantity"))
        .order_by("location__code", "expiry", "lot")
    )


def managed_location_ids(scope: Scope) -> list[int]:
    """Own locations within the plan's allowance (PRO: 1 + add-ons; ENTERPRISE: all), by code."""
    own = list(
        Location.objects.visible_to(scope)
        .filter(operator_id__in=scope.org_ids, is_active=True)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    limit = cast(Limits, scope.limits).locations
    return own if limit is None else own[:limit]


def default_stock_owner(scope: Scope, location: Location) -> int | None:
    """Whose stock a write at a location is about when the caller does not say: the
    operator's at the viewer's own locations; otherwise the active organization's own stock
    placed there (LUXE BOND at Amazon FBA). The policy then checks the viewer owns it."""
    if location.operator_id in scope.org_ids:
        return location.operator_id
    return scope.org_id


def fefo_allocate(
    *, scope: Scope, owner_id: int, product: Product, location: Location, quantity: Decimal
) -> list[tuple[str, dt.date | None, Decimal]]:
    """First expired, first out: which lots to take `quantity` from (no expiry goes last).
    Raises ValidationError when there is not enough on hand."""
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


def operable_locations(scope: Scope) -> QuerySet:
    """Locations where the viewer may adjust, count or transfer (plan allowance applied)."""
    own = managed_location_ids(scope)
    qs = Location.objects.visible_to(scope)
    q = Q(pk__in=own)
    # Own stock at partner locations (LUXE BOND at Amazon FBA) can be adjusted by the owner.
    partner_sites = StockBalance.objects.visible_to(scope).filter(_own_q(scope))
    q |= Q(pk__in=partner_sites.values("location_id"))
    if scope.member_location_ids is not None:
        q &= Q(pk__in=scope.member_location_ids)
    return qs.filter(q).order_by("code")


def own_products(scope: Scope) -> QuerySet:
    return Product.objects.visible_to(scope).filter(_own_q(scope)).order_by("sku")


def product_bom(scope: Scope, product: Product) -> list:
    """The bill of materials of a product the viewer owns (components are its own products)."""
    if not scope.owns(product.owner_id):
        return []
    return list(product.bom_lines.select_related("component"))
