"""Demo shipments: documents only, no stock postings (the inventory seed owns the figures).

Each persona gets a realistic view: Amazon has inbound ASNs to receive, a received shipment
with an open discrepancy case and returns to LUXE BOND; LUXE BOND also has internal transfers
(Dallas → LA) that Amazon must never see, Sephora VMI replenishments, supplier deliveries to
the Fort Worth plant (LOC-005), a wholesale delivery to Salon Luxe and shipments to Ulta.
At the Los Angeles DC (LOC-002), shared with Salon Luxe and with VitaSource, each of the two
has its own documents (pick-ups; deliveries with a receipt and a discrepancy case).
"""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from core.numbering import next_code
from inventory.models import Product
from orgs.models import Location, Organization, Party
from partnerships.models import Partnership

from .models import (
    ASN,
    ASNLine,
    ASNStatus,
    CaseMessage,
    DiscrepancyCase,
    ReasonCode,
    Receipt,
    ReceiptLine,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    StorageRate,
)
from .services.common import ASN_NUMBER, CASE_NUMBER, SHIPMENT_NUMBER

# Raw materials and packaging LUXE BOND Manufacturing receives at LOC-005 come from its catalog
# (inventory/demo.py MFG_CATALOG); finished goods (LB-…) from LUXE BOND Distribution's.

T, R, D, B, C = (
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.RECEIVED,
    ShipmentStatus.DRAFT,
    ShipmentStatus.BOOKED,
    ShipmentStatus.CANCELLED,
)

# key, owner, shipper, origin (None: the supplier's own dispatch point), destination (a LOC, or
# "ULTA": the Ulta Beauty party), status, carrier, days until expected (negative: past). The
# seed creates them in this order, so their numbers are stable.
SHIPMENTS = [
    ("fba-in-1", "ORG-003", "ORG-003", "LOC-001", "LOC-101", T, "UPS Freight", 2),
    ("fba-in-2", "ORG-003", "ORG-003", "LOC-002", "LOC-102", T, "FedEx Freight", 3),
    ("fba-in-3", "ORG-003", "ORG-003", "LOC-002", "LOC-103", T, "XPO Logistics", 4),
    ("fba-in-recv", "ORG-003", "ORG-003", "LOC-001", "LOC-101", R, "UPS Freight", -6),
    ("fba-in-draft", "ORG-003", "ORG-003", "LOC-003", "LOC-102", B, "FedEx Freight", 9),
    ("fba-return-1", "ORG-003", "ORG-003", "LOC-101", "LOC-001", T, "UPS Freight", 3),
    ("fba-return-2", "ORG-003", "ORG-003", "LOC-103", "LOC-002", R, "XPO Logistics", -12),
    ("transfer-1", "ORG-003", "ORG-003", "LOC-001", "LOC-002", T, "LUXE BOND fleet", 1),
    ("transfer-2", "ORG-003", "ORG-003", "LOC-003", "LOC-004", D, "LUXE BOND fleet", 7),
    ("transfer-3", "ORG-003", "ORG-003", "LOC-001", "LOC-002", R, "LUXE BOND fleet", -20),
    ("vmi-1", "ORG-003", "ORG-003", "LOC-001", "LOC-104", T, "Sephora routing (JB Hunt)", 2),
    ("vmi-2", "ORG-003", "ORG-003", "LOC-004", "LOC-104", R, "Sephora routing (JB Hunt)", -9),
    ("supplier-pp", "ORG-002", "ORG-201", "LOC-201", "LOC-005", T, "COSCO / Maersk", 11),
    ("supplier-vita", "ORG-002", "ORG-202", None, "LOC-005", T, "DHL Express", 5),
    ("supplier-pump", "ORG-002", "ORG-204", None, "LOC-005", R, "DB Schenker", -15),
    ("salon-1", "ORG-002", "ORG-002", "LOC-005", "LOC-301", T, "FedEx Freight", 4),
    ("ulta-1", "ORG-003", "ORG-003", "LOC-002", "ULTA", T, "Ulta routing (Schneider)", 3),
    ("ulta-2", "ORG-003", "ORG-003", "LOC-004", "ULTA", R, "Ulta routing (Schneider)", -18),
    # LOC-002 (Los Angeles DC) is shared with Salon Luxe (pick-ups) and VitaSource
    # (deliveries): each sees its own documents there, never the other's.
    ("la-pickup-1", "ORG-003", "ORG-003", "LOC-002", "LOC-301", T, "Salon Luxe pick-up", 1),
    ("la-pickup-recv", "ORG-003", "ORG-003", "LOC-002", "LOC-301", R, "Salon Luxe pick-up", -4),
    ("la-vita-1", "ORG-003", "ORG-202", None, "LOC-002", T, "DHL Express", 6),
    ("la-vita-recv", "ORG-003", "ORG-202", None, "LOC-002", R, "DHL Express", -8),
]

# Each shipment's lines: (SKU, units, lot).
LINES = {
    "fba-in-1": [
        ("LB-SER-001", 240, "L2406A"),
        ("LB-CRM-001", 120, "L2405C"),
        ("LB-SUN-001", 180, "L2407B"),
    ],
    "fba-in-2": [("LB-SER-002", 200, "L2406D"), ("LB-EYE-001", 96, "L2404A")],
    "fba-in-3": [
        ("LB-CLN-001", 300, "L2407A"),
        ("LB-TON-001", 150, "L2406B"),
        ("LB-MSK-001", 90, ""),
    ],
    "fba-in-recv": [("LB-OIL-001", 120, "L2405A"), ("LB-HAI-001", 100, "L2406C")],
    "fba-in-draft": [("LB-BOD-001", 160, "L2407C")],
    "fba-return-1": [("LB-CRM-002", 24, "L2403B")],
    "fba-return-2": [("LB-SUN-001", 18, "L2402A")],
    "transfer-1": [("LB-SER-001", 400, "L2406A"), ("LB-CRM-001", 200, "L2405C")],
    "transfer-2": [("LB-BOD-001", 120, "")],
    "transfer-3": [("LB-TON-001", 250, "L2405B")],
    "vmi-1": [("LB-SER-001", 180, "L2406A"), ("LB-EYE-001", 72, "L2404A")],
    "vmi-2": [("LB-CRM-002", 144, "L2404D")],
    "supplier-pp": [("PK-BTL-030", 20000, "PP-24-118"), ("PK-JAR-050", 8000, "PP-24-119")],
    "supplier-vita": [("RM-VITC-001", 40, "VS-7731")],
    "supplier-pump": [("PK-PMP-030", 12000, "PT-5520")],
    "salon-1": [("LB-HAI-001", 60, "L2406C")],
    "ulta-1": [("LB-SER-002", 240, "L2406D"), ("LB-CLN-001", 180, "L2407A")],
    "ulta-2": [("LB-MSK-001", 96, "")],
    "la-pickup-1": [("LB-HAI-001", 36, "L2406C")],
    "la-pickup-recv": [("LB-OIL-001", 24, "L2405A")],
    "la-vita-1": [("LB-SER-001", 120, "VS-LA-02")],
    "la-vita-recv": [("LB-SER-001", 96, "VS-LA-01")],
}

# Receipts that came up short on their first line: (units missing, receipt note, the case's
# messages as (author org, body); None = the receipt note, written by the receiving side).
SHORT_RECEIPTS = {
    "fba-in-recv": (
        12,
        "Pallet 2 arrived with one carton missing (12 units).",
        [
            ("ORG-101", None),
            (
                "ORG-003",
                "Our packing list shows 10 cartons sealed at our DC; checking the dock camera "
                "footage.",
            ),
        ],
    ),
    "la-vita-recv": (
        10,
        "10 units missing, carton 4 crushed.",
        [
            ("ORG-003", None),
            ("ORG-202", "Carton 4 left our dock intact; we are claiming with DHL."),
        ],
    ),
}


@dataclass(frozen=True)
class _World:
    """What the other seeds made that these documents refer to, by code or SKU."""

    orgs: dict[str, Organization]
    locs: dict[str, Location]
    ulta: Party
    products: dict[str, Product]  # LUXE BOND Distribution's LB-… and Manufacturing's materials
    now: dt.datetime
    today: dt.date

    @classmethod
    def load(cls) -> _World:
        # unscoped: the seed builds the world
        orgs = {o.code: o for o in Organization.objects.all()}
        products = Product.objects.filter(owner__code__in=["ORG-002", "ORG-003"]).select_related(
            "owner"
        )
        return cls(
            orgs=orgs,
            locs={loc.code: loc for loc in Location.objects.all()},
            ulta=Party.objects.get(owner=orgs["ORG-003"], name="Ulta Beauty Inc."),
            products={
                p.sku: p
                for p in products
                if p.owner.code == ("ORG-003" if p.sku.startswith("LB-") else "ORG-002")
            },
            now=timezone.now(),
            today=timezone.localdate(),
        )


def seed(stdout=None) -> None:
    world = _World.load()
    for key, owner, shipper, origin, dest, status, carrier, days in SHIPMENTS:
        if Shipment.objects.filter(create_key=f"demo:{key}").exists():
            continue
        destination = None if dest == "ULTA" else world.locs[dest]
        shipment = Shipment.objects.create(
            number=next_code(SHIPMENT_NUMBER),
            owner=world.orgs[owner],
            shipper=world.orgs[shipper],
            receiver=destination.operator if destination else None,
            origin=world.locs[origin] if origin else None,
            destination=destination,
            destination_party=world.ulta if destination is None else None,
            posts_origin=origin is not None and owner == shipper,
            status=status,
            carrier=carrier,
            tracking_number=f"1Z{zlib.crc32(key.encode()):010d}",
            expected_date=world.today + dt.timedelta(days=days),
            shipped_at=world.now - dt.timedelta(days=3) if status in (T, R) else None,
            received_at=world.now + dt.timedelta(days=days) if status == R else None,
            create_key=f"demo:{key}",
        )
        lines = _seed_lines(world, shipment, LINES[key])
        if destination is None or status not in (T, R):
            continue
        asn, asn_lines = _seed_asn(shipment, lines, received=status == R)
        if status == R:
            _seed_receipt(world, key, asn, asn_lines)
    _seed_storage_rate(world)


def _seed_lines(world: _World, shipment: Shipment, lines: list) -> list[ShipmentLine]:
    return ShipmentLine.objects.bulk_create(
        ShipmentLine(
            shipment=shipment,
            product=world.products[sku],
            quantity=Decimal(qty),
            lot=lot,
            expiry=world.today + dt.timedelta(days=540) if lot else None,
        )
        for sku, qty, lot in lines
    )


def _seed_asn(
    shipment: Shipment, lines: list[ShipmentLine], *, received: bool
) -> tuple[ASN, list[ASNLine]]:
    asn = ASN.objects.create(
        number=next_code(ASN_NUMBER),
        shipment=shipment,
        status=ASNStatus.RECEIVED if received else ASNStatus.AWAITING,
        cartons=sum(int(line.quantity) for line in lines) // 24 or 1,
    )
    asn_lines = ASNLine.objects.bulk_create(
        ASNLine(
            asn=asn,
            product=line.product,
            lot=line.lot,
            expiry=line.expiry,
            expected_quantity=line.quantity,
        )
        for line in lines
    )
    return asn, asn_lines


def _seed_receipt(world: _World, key: str, asn: ASN, asn_lines: list[ASNLine]) -> None:
    """The receipt of a received shipment; short on its first line (with a case and its
    messages) when SHORT_RECEIPTS says so."""
    shipment = asn.shipment
    receipt = Receipt.objects.create(
        asn=asn,
        idempotency_key=f"demo:{key}",
        confirming_org=shipment.destination.operator,
        note="Seeded receipt (documents only; the inventory seed holds the stock figures).",
    )
    missing, note, thread = SHORT_RECEIPTS.get(key, (0, "", []))
    for i, line in enumerate(asn_lines):
        short = bool(missing) and i == 0
        receipt_line = ReceiptLine.objects.create(
            receipt=receipt,
            asn_line=line,
            received_quantity=line.expected_quantity - (missing if short else 0),
            reason_code=ReasonCode.SHORT if short else "",
            note=note if short else "",
        )
        if not short:
            continue
        case = DiscrepancyCase.objects.create(
            number=next_code(CASE_NUMBER),
            shipment=shipment,
            receipt_line=receipt_line,
            expected_quantity=line.expected_quantity,
            received_quantity=receipt_line.received_quantity,
            reason_code=ReasonCode.SHORT,
            due_date=world.today + dt.timedelta(days=8),
        )
        for author, body in thread:
            CaseMessage.objects.create(
                case=case, author_org=world.orgs[author], body=body or receipt_line.note
            )


def _seed_storage_rate(world: _World) -> None:
    partnership = Partnership.objects.filter(
        relationship__parent=world.orgs["ORG-003"], relationship__child=world.orgs["ORG-101"]
    ).first()
    if partnership:
        StorageRate.objects.get_or_create(
            partnership=partnership,
            defaults={"per_unit_month": Decimal("0.45"), "per_cubic_metre_month": Decimal("26.00")},
        )
