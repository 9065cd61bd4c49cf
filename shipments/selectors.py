"""Reads for shipments, ASNs, receipts and cases, always through `visible_to(scope)`.

The other end of a shipment is shown as the organization when the viewer may not see that
location: Amazon sees "LUXE BOND Distribution LLC", never Dallas or LOC-001.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.shortcuts import get_object_or_404
from django.utils import timezone

from core.paging import PAGE_SIZE, CappedPaginator
from inventory.models import Product, StockBalance, StockMovement
from inventory.selectors import HISTORICAL_BALANCES
from orgs.access import Scope
from orgs.ends import End, location_end, party_end
from orgs.models import Location, Organization, Party
from orgs.policy import Action, can
from partnerships.models import Partnership, PartnershipStatus
from rls.context import bypass

from .models import (
    ASN,
    ASNStatus,
    CaseMessage,
    CaseStatus,
    DiscrepancyCase,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentStatus,
)


def decorate(scope: Scope, shipment: Shipment) -> Shipment:
    """Attach what the viewer may see of both ends, and what it may do."""
    shipment.origin_end = location_end(scope, shipment.origin, shipment.shipper.name)
    if shipment.destination_party is not None:
        shipment.destination_end = party_end(scope, shipment.destination_party)
    else:
        shipment.destination_end = location_end(scope, shipment.destination, "")
    return shipment


def decorate_many(scope: Scope, shipments: list[Shipment]) -> None:
    """`decorate` for a page of rows in three small queries, so the page query itself joins
    nothing (its planning time stays flat): the ends' locations, the shippers, the parties.

    The location rows are read unscoped on purpose: `location_end` reduces any location the
    viewer may not see to its operator's name, which is all that is rendered."""
    location_ids = {i for s in shipments for i in (s.origin_id, s.destination_id) if i}
    locations = unscoped_locations_with_operator(location_ids)
    shippers = Organization.objects.visible_to(scope).in_bulk({s.shipper_id for s in shipments})
    parties = Party.objects.visible_to(scope).in_bulk(
        {s.destination_party_id for s in shipments if s.destination_party_id}
    )
    for shipment in shipments:
        shipper = shippers.get(shipment.shipper_id)
        origin = locations.get(shipment.origin_id) if shipment.origin_id else None
        shipment.origin_end = location_end(scope, origin, shipper.name if shipper else "")
        if shipment.destination_party_id:
            party = parties.get(shipment.destination_party_id)
            shipment.destination_end = (
                party_end(scope, party) if party else End("", "External party", is_org=True)
            )
        else:
            destination = (
                locations.get(shipment.destination_id) if shipment.destination_id else None
            )
            shipment.destination_end = location_end(scope, destination, "")


@bypass(reason="shipment ends: reduced to the operator's name when not visible")
def unscoped_locations_with_operator(ids: set[int]) -> dict[int, Location]:
    return Location.objects.select_related("operator").in_bulk(ids)  # unscoped: see above


def _shipments(scope: Scope) -> QuerySet[Shipment]:
    return Shipment.objects.visible_to(scope).select_related(
        "origin__operator", "destination__operator", "destination_party", "shipper", "owner"
    )


def shipments_for(scope: Scope, *, status: str = "", query: str = "") -> QuerySet[Shipment]:
    qs = Shipment.objects.visible_to(scope)
    if status in ShipmentStatus.values:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(number__iexact=query) | Q(tracking_number__iexact=query))
    return qs.order_by("-updated_at", "-id")


def shipment_page(scope: Scope, *, status: str, query: str, page: str | None):
    paginator = CappedPaginator(shipments_for(scope, status=status, query=query), PAGE_SIZE)
    result = paginator.get_page(page)
    result.object_list = list(result.object_list)
    decorate_many(scope, result.object_list)
    return result


def shipment_detail(scope: Scope, public_id) -> Shipment:
    shipment = get_object_or_404(_shipments(scope), public_id=public_id)
    decorate(scope, shipment)
    shipment.line_list = list(shipment.lines.select_related("product"))
    shipment.asn_or_none = ASN.objects.visible_to(scope).filter(shipment=shipment).first()
    shipment.can_send = can(scope, Action.SHIPMENT_SHIP, shipment)
    shipment.can_receive = can(scope, Action.SHIPMENT_RECEIVE, shipment)
    return shipment


def _asns(scope: Scope) -> QuerySet[ASN]:
    return ASN.objects.visible_to(scope).select_related(
        "shipment__origin__operator",
        "shipment__destination__operator",
        "shipment__destination_party",
        "shipment__shipper",
    )


def asns_for(scope: Scope, *, tab: str = "awaiting") -> QuerySet[ASN]:
    qs = ASN.objects.visible_to(scope).select_related("shipment")
    if tab == "awaiting":
        qs = qs.filter(status=ASNStatus.AWAITING)
        if not scope.is_platform_staff:
            # ASNs the viewer must receive: addressed to its organizations' locations.
            qs = qs.filter(shipment__receiver_id__in=scope.org_ids)
    elif tab == "received":
        qs = qs.filter(status=ASNStatus.RECEIVED)
    # Ordered by the shipment's recency: PostgreSQL walks the shipment (updated_at, id) index
    # and stops after a page, instead of joining and sorting every visible ASN.
    return qs.order_by("-shipment__updated_at", "-shipment__id")


def asn_page(scope: Scope, *, tab: str, page: str | None):
    result = CappedPaginator(asns_for(scope, tab=tab), PAGE_SIZE).get_page(page)
    result.object_list = list(result.object_list)
    decorate_many(scope, [asn.shipment for asn in result.object_list])
    return result


def asn_detail(scope: Scope, public_id) -> ASN:
    asn = get_object_or_404(_asns(scope), public_id=public_id)
    decorate(scope, asn.shipment)
    asn.line_list = list(asn.lines.select_related("product", "receipt_line__case"))
    asn.receipt_or_none = (
        Receipt.objects.visible_to(scope).filter(asn=asn).select_related("confirmed_by").first()
    )
    _attach_on_hand(scope, asn)
    asn.can_confirm = (
        asn.status == ASNStatus.AWAITING
        and asn.shipment.status == ShipmentStatus.IN_TRANSIT
        and can(scope, Action.ASN_CONFIRM_RECEIPT, asn)
    )
    return asn


def _attach_on_hand(scope: Scope, asn: ASN) -> None:
    """The owner's stock of each line's product and lot at the destination, as the viewer may
    see it: after confirmation both sides see the receipt land there."""
    shipment = asn.shipment
    on_hand: dict[tuple[int, str], Decimal] = {}
    if shipment.destination_id:
        rows = (
            StockBalance.objects.visible_to(scope)
            .filter(
                owner_id=shipment.owner_id,
                location_id=shipment.destination_id,
                product_id__in=[line.product_id for line in asn.line_list],
            )
            .values("product_id", "lot")
            .annotate(qty=Sum("quantity"))
        )
        on_hand = {(r["product_id"], r["lot"]): r["qty"] for r in rows}
    asn.shows_on_hand = bool(shipment.destination_id) and (
        scope.is_platform_staff or shipment.destination_id in scope.location_ids
    )
    for line in asn.line_list:
        line.on_hand = on_hand.get((line.product_id, line.lot), Decimal("0"))


def awaiting_receipt(scope: Scope, limit: int = 5) -> tuple[list[ASN], int]:
    qs = asns_for(scope, tab="awaiting")
    rows = list(qs[:limit])
    decorate_many(scope, [asn.shipment for asn in rows])
    return rows, qs.count()


def _cases(scope: Scope) -> QuerySet[DiscrepancyCase]:
    return DiscrepancyCase.objects.visible_to(scope).select_related(
        "shipment__origin__operator",
        "shipment__destination__operator",
        "shipment__destination_party",
        "shipment__shipper",
        "shipment__owner",
        "shipment__asn",
        "receipt_line__asn_line__product",
    )


def cases_for(scope: Scope, *, open_only: bool = False) -> QuerySet[DiscrepancyCase]:
    qs = _cases(scope)
    if open_only:
        qs = qs.exclude(status=CaseStatus.RESOLVED)
    return qs.order_by("-opened_at", "-id")


def case_page(scope: Scope, *, open_only: bool, page: str | None):
    result = CappedPaginator(cases_for(scope, open_only=open_only), PAGE_SIZE).get_page(page)
    for case in result.object_list:
        decorate(scope, case.shipment)
    return result


def case_detail(scope: Scope, public_id) -> DiscrepancyCase:
    case = get_object_or_404(_cases(scope), public_id=public_id)
    decorate(scope, case.shipment)
    case.message_list = list(case.messages.select_related("author", "author_org"))
    is_open = case.status != CaseStatus.RESOLVED
    missing = case.missing_quantity > 0
    case.can_write = can(scope, Action.DISCREPANCY_MESSAGE, case)
    case.can_accept = is_open and missing and can(scope, Action.DISCREPANCY_ACCEPT_SHORTAGE, case)
    case.can_found = is_open and missing and can(scope, Action.DISCREPANCY_REPORT_FOUND, case)
    case.can_dispute = is_open and can(scope, Action.DISCREPANCY_DISPUTE, case)
    return case


def receipt_line_with_evidence(scope: Scope, public_id) -> ReceiptLine:
    """A receipt line that has evidence, when its receipt is visible; otherwise 404."""
    lines = ReceiptLine.objects.visible_to(scope).exclude(attachment="")
    return get_object_or_404(lines, public_id=public_id)


def case_message_with_attachment(scope: Scope, public_id) -> CaseMessage:
    """A case message that has an attachment, when its case is visible; otherwise 404."""
    messages = CaseMessage.objects.visible_to(scope).exclude(attachment="")
    return get_object_or_404(messages, public_id=public_id)


# --- receipt history and storage fees --------------------------------------------------------


def receipt_history(scope: Scope) -> QuerySet[Receipt]:
    return (
        Receipt.objects.visible_to(scope)
        .select_related(
            "asn__shipment__origin__operator",
            "asn__shipment__destination__operator",
            "asn__shipment__shipper",
            "asn__shipment__destination_party",
            "confirmed_by",
        )
        .annotate(
            units=Sum("lines__received_quantity"),
            damaged=Sum("lines__damaged_quantity"),
            case_count=Count("lines__case"),
        )
        .order_by("-confirmed_at", "-id")
    )


@dataclass
class FeeMonth:
    month: dt.date
    units: Decimal
    cubic_metres: Decimal
    fee: Decimal
    basis: str


@dataclass
class FeeReport:
    partnership: Partnership
    network_org_name: str
    partner_org_name: str
    locations: list[Location]
    rate_unit: Decimal
    rate_cubic: Decimal
    months: list[FeeMonth]


def _month_starts(today: dt.date, count: int = 13) -> list[dt.date]:
    first = today.replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return months


def _volume_m3(product: Product) -> Decimal | None:
    """Cubic metres per unit when the product has dimensions (cm) in its specifications."""
    specs = product.specifications or {}
    try:
        dims = [Decimal(str(specs[k])) for k in ("length_cm", "width_cm", "height_cm")]
    except (KeyError, ArithmeticError, ValueError, TypeError):
        return None
    return dims[0] * dims[1] * dims[2] / Decimal(1_000_000)


def _fee_month(
    start: dt.date,
    per_month: dict[tuple[dt.date, int], Decimal],
    volumes: dict[int, Decimal | None],
    *,
    rate_unit: Decimal,
    rate_cubic: Decimal,
) -> FeeMonth:
    """One month's fee: by volume when every product's volume is known and a cubic rate is
    set, by units otherwise. Units are the month-end balances (movements up to its last day)."""
    end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    product_ids = {p for _, p in per_month}
    units = Decimal("0")
    cubic = Decimal("0")
    cubic_known = bool(product_ids)
    for pid in product_ids:
        qty = sum((q for (m, p), q in per_month.items() if p == pid and m <= end), Decimal(0))
        units += qty
        volume = volumes.get(pid)
        if volume is None:
            cubic_known = False
        else:
            cubic += qty * volume
    if cubic_known and rate_cubic:
        fee, basis = (cubic * rate_cubic).quantize(Decimal("0.01")), "m³"
    else:
        fee, basis = (units * rate_unit).quantize(Decimal("0.01")), "units"
    return FeeMonth(start, units, cubic.quantize(Decimal("0.001")), fee, basis)


def storage_fee_reports(scope: Scope, today: dt.date | None = None) -> list[FeeReport]:
    """Storage fees of each visible 3PL partnership: the network's units (or volume) at the
    partner's shared locations at each month end × the partnership's rate, current month and
    the last 12. Month-end units come from the ledger in one grouped query per partnership."""
    today = today or timezone.localdate()
    months = _month_starts(today)
    reports = []
    partnerships = (
        Partnership.objects.visible_to(scope)
        .filter(role="THREE_PL", status=PartnershipStatus.ACTIVE)
        .select_related("relationship__parent", "relationship__child", "storage_rate")
        .prefetch_related("shared_locations")
    )
    for partnership in partnerships:
        network = partnership.relationship.parent
        # A member sees fees only for the shared locations it holds rights at.
        locations = [
            loc
            for loc in partnership.shared_locations.all()
            if scope.is_platform_staff or loc.pk in scope.location_ids
        ]
        if not locations:
            continue
        rate = getattr(partnership, "storage_rate", None)
        rate_unit = rate.per_unit_month if rate else Decimal("0")
        rate_cubic = rate.per_cubic_metre_month if rate else Decimal("0")
        # Month-end units are balances as of a date: they follow StockBalance's rule (the
        # network's stock at the shared locations), not the movement log's.
        rows = (
            StockMovement.objects.summed_into_visible_balances(scope)
            .filter(owner_id=network.pk, location__in=locations)
            .annotate(month=TruncMonth("occurred_at"))
            .values("month", "product_id")
            .annotate(qty=Sum("quantity"))
        )
        per_month: dict[tuple[dt.date, int], Decimal] = {}
        product_ids = set()
        # Sums only, of the balances the app filter allowed (inventory.selectors.snapshot_at).
        with bypass(reason=HISTORICAL_BALANCES):
            for row in rows:
                per_month[(row["month"].date(), row["product_id"])] = row["qty"]
                product_ids.add(row["product_id"])
        volumes = {
            p.pk: _volume_m3(p)
            for p in Product.objects.visible_to(scope).filter(pk__in=product_ids)
        }
        result = [
            _fee_month(start, per_month, volumes, rate_unit=rate_unit, rate_cubic=rate_cubic)
            for start in reversed(months)
        ]
        reports.append(
            FeeReport(
                partnership=partnership,
                network_org_name=network.name,
                partner_org_name=partnership.relationship.child.name,
                locations=locations,
                rate_unit=rate_unit,
                rate_cubic=rate_cubic,
                months=list(reversed(result)),
            )
        )
    return reports
