"""Reads for analytics, always through the access layer (StockMovement/StockBalance/Product/
PurchaseOrder `visible_to`). Each page costs a fixed number of queries: one grouped aggregate
over the window, then the page's products and balances."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, DecimalField, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from inventory.models import MovementKind, Product, StockBalance, StockMovement
from orgs.access import Scope
from orgs.models import Location, Organization, Party
from procurement.models import POStatus, PurchaseOrder

# Demand is what leaves a location to a customer: shipments out and retail sell-through.
# Transfers between one's own locations, adjustments and count corrections are not demand.
DEMAND_KINDS = (MovementKind.SHIPMENT, MovementKind.SELL_THROUGH)


def month_starts(months: int, *, today: dt.date | None = None) -> list[dt.date]:
    """The first days of the `months` complete calendar months before the current one."""
    today = today or timezone.localdate()
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        starts.append(dt.date(year, month, 1))
    return starts[::-1]


@dataclass
class DemandHistory:
    months: list[dt.date]
    series: dict[int, list[float]]  # product id → units per month, zero-filled

    def total(self, product_id: int) -> float:
        return sum(self.series.get(product_id, ()))


def demand_history(scope: Scope, *, months: int) -> DemandHistory:
    """Monthly demand per product over the `months` complete months, as the viewer may see it."""
    starts = month_starts(months)
    window_start = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min))
    window_end = timezone.make_aware(
        dt.datetime.combine(
            (starts[-1].replace(day=28) + dt.timedelta(days=4)).replace(day=1), dt.time.min
        )
    )
    rows = (
        StockMovement.objects.visible_to(scope)
        .filter(
            kind__in=DEMAND_KINDS,
            quantity__lt=0,
            occurred_at__gte=window_start,
            occurred_at__lt=window_end,
        )
        .annotate(month=TruncMonth("occurred_at"))
        .values("product_id", "month")
        .annotate(units=Sum("quantity"))
        .order_by()
    )
    index = {d: i for i, d in enumerate(starts)}
    series: dict[int, list[float]] = defaultdict(lambda: [0.0] * months)
    for row in rows:
        month = row["month"]
        month = month.date() if isinstance(month, dt.datetime) else month
        if month in index:
            series[row["product_id"]][index[month]] = float(-row["units"])
    return DemandHistory(starts, dict(series))


def products_by_id(scope: Scope, ids) -> dict[int, Product]:
    # The owner's cost is never loaded: analytics shows units and list prices only.
    return {
        p.pk: p
        for p in Product.objects.visible_to(scope)
        .filter(pk__in=list(ids))
        .select_related("owner")
        .only("sku", "name", "unit_of_measure", "price", "owner__code", "owner__name")
    }


def on_hand_by_product(scope: Scope, ids) -> dict[int, Decimal]:
    rows = (
        StockBalance.objects.visible_to(scope)
        .filter(product_id__in=list(ids))
        .values("product_id")
        .annotate(q=Sum("quantity"))
        .order_by()
    )
    return {row["product_id"]: row["q"] for row in rows}


def product_prices(scope: Scope, ids) -> dict[int, Decimal]:
    return dict(
        Product.objects.visible_to(scope).filter(pk__in=list(ids)).values_list("pk", "price")
    )


@dataclass
class SupplierRow:
    code: str
    name: str
    has_account: bool
    sent: int
    acknowledged: int
    closed: int
    cancelled: int
    open_value: Decimal
    avg_hours_to_acknowledge: float | None

    @property
    def acknowledgement_rate(self) -> float | None:
        return self.acknowledged / self.sent if self.sent else None

    @property
    def completion_rate(self) -> float | None:
        decided = self.sent - self.cancelled
        return self.closed / decided if decided else None


def supplier_performance(scope: Scope) -> list[SupplierRow]:
    """Per supplier, over every PO the viewer's organizations sent (drafts excluded)."""
    line_value = F("lines__quantity") * F("lines__unit_price")
    pos = PurchaseOrder.objects.visible_to(scope).filter(buyer_id__in=scope.org_ids)
    counts = (
        pos.exclude(status=POStatus.DRAFT)
        .values("supplier_org_id", "supplier_party_id")
        .annotate(
            sent=Count("pk"),
            acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False)),
            closed=Count("pk", filter=Q(status=POStatus.CLOSED)),
            cancelled=Count("pk", filter=Q(status=POStatus.CANCELLED)),
            avg_ack=Avg(F("acknowledged_at") - F("sent_at")),
        )
        .order_by()
    )
    open_values = {
        (r["supplier_org_id"], r["supplier_party_id"]): r["value"]
        for r in pos.filter(status__in=[POStatus.SENT, POStatus.ACKNOWLEDGED])
        .values("supplier_org_id", "supplier_party_id")
        .annotate(value=Sum(line_value, output_field=DecimalField()))
        .order_by()
    }
    counts = list(counts)
    orgs = {
        o.pk: o
        for o in Organization.objects.visible_to(scope).filter(
            pk__in=[r["supplier_org_id"] for r in counts if r["supplier_org_id"]]
        )
    }
    parties = {
        p.pk: p
        for p in Party.objects.visible_to(scope).filter(
            pk__in=[r["supplier_party_id"] for r in counts if r["supplier_party_id"]]
        )
    }
    result = []
    for r in counts:
        org = orgs.get(r["supplier_org_id"])
        party = parties.get(r["supplier_party_id"])
        if org is not None:
            code, name = org.code, org.name
        elif party is not None:
            code, name = party.reference, party.name
        else:
            continue
        avg = r["avg_ack"]
        result.append(
            SupplierRow(
                code=code,
                name=name,
                has_account=org is not None,
                sent=r["sent"],
                acknowledged=r["acknowledged"],
                closed=r["closed"],
                cancelled=r["cancelled"],
                open_value=open_values.get((r["supplier_org_id"], r["supplier_party_id"]))
                or Decimal(0),
                avg_hours_to_acknowledge=avg.total_seconds() / 3600 if avg else None,
            )
        )
    return sorted(result, key=lambda row: (row.code, row.name))


@dataclass
class LocationRow:
    location: Location
    demand_units: float
    on_hand: Decimal

    @property
    def daily_demand(self) -> float:
        return self.demand_units / LOCATION_WINDOW_DAYS

    @property
    def days_of_supply(self) -> float | None:
        return float(self.on_hand) / self.daily_demand if self.daily_demand else None


LOCATION_WINDOW_DAYS = 90


def location_supply(scope: Scope) -> list[LocationRow]:
    """Per visible location: demand over the last 90 days, stock on hand, days of supply."""
    since = timezone.now() - dt.timedelta(days=LOCATION_WINDOW_DAYS)
    demand = dict(
        StockMovement.objects.visible_to(scope)
        .filter(kind__in=DEMAND_KINDS, quantity__lt=0, occurred_at__gte=since)
        .values("location_id")
        .annotate(units=Sum("quantity"))
        .order_by()
        .values_list("location_id", "units")
    )
    stock = dict(
        StockBalance.objects.visible_to(scope)
        .values("location_id")
        .annotate(q=Sum("quantity"))
        .order_by()
        .values_list("location_id", "q")
    )
    ids = set(demand) | set(stock)
    locations = Location.objects.visible_to(scope).filter(pk__in=ids).select_related("operator")
    return [
        LocationRow(loc, float(-(demand.get(loc.pk) or 0)), stock.get(loc.pk) or Decimal(0))
        for loc in locations
    ]
