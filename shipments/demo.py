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
from decimal import Decimal

from django.db import connection
from django.utils import timezone

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

# Raw materials and packaging LUXE BOND Manufacturing receives at LOC-005 come from its catalog
# (inventory/demo.py MFG_CATALOG); finished goods (LB-…) from LUXE BOND Distribution's.

T, R, D, B, C = (
    ShipmentStatus.IN_TRANSIT,
    ShipmentStatus.RECEIVED,
    ShipmentStatus.DRAFT,
    ShipmentStatus.BOOKED,
    ShipmentStatus.CANCELLED,
)

SHIPMENTS = [
    # key, owner, shipper, origin, destination (LOC or "ULTA"), status, carrier, days, lines
    (
        "fba-in-1",
        "ORG-003",
        "ORG-003",
        "LOC-001",
        "LOC-101",
        T,
        "UPS Freight",
        2,
        [
            ("LB-SER-001", 240, "L2406A"),
            ("LB-CRM-001", 120, "L2405C"),
            ("LB-SUN-001", 180, "L2407B"),
        ],
    ),
    (
        "fba-in-2",
        "ORG-003",
        "ORG-003",
        "LOC-002",
        "LOC-102",
        T,
        "FedEx Freight",
        3,
        [("LB-SER-002", 200, "L2406D"), ("LB-EYE-001", 96, "L2404A")],
    ),
    (
        "fba-in-3",
        "ORG-003",
        "ORG-003",
        "LOC-002",
        "LOC-103",
        T,
        "XPO Logistics",
        4,
        [("LB-CLN-001", 300, "L2407A"), ("LB-TON-001", 150, "L2406B"), ("LB-MSK-001", 90, "")],
    ),
    (
        "fba-in-recv",
        "ORG-003",
        "ORG-003",
        "LOC-001",
        "LOC-101",
        R,
        "UPS Freight",
        -6,
        [("LB-OIL-001", 120, "L2405A"), ("LB-HAI-001", 100, "L2406C")],
    ),
    (
        "fba-in-draft",
        "ORG-003",
        "ORG-003",
        "LOC-003",
        "LOC-102",
        B,
        "FedEx Freight",
        9,
        [("LB-BOD-001", 160, "L2407C")],
    ),
    (
        "fba-return-1",
        "ORG-003",
        "ORG-003",
        "LOC-101",
        "LOC-001",
        T,
        "UPS Freight",
        3,
        [("LB-CRM-002", 24, "L2403B")],
    ),
    (
        "fba-return-2",
        "ORG-003",
        "ORG-003",
        "LOC-103",
        "LOC-002",
        R,
        "XPO Logistics",
        -12,
        [("LB-SUN-001", 18, "L2402A")],
    ),
    (
        "transfer-1",
        "ORG-003",
        "ORG-003",
        "LOC-001",
        "LOC-002",
        T,
        "LUXE BOND fleet",
        1,
        [("LB-SER-001", 400, "L2406A"), ("LB-CRM-001", 200, "L2405C")],
    ),
    (
        "transfer-2",
        "ORG-003",
        "ORG-003",
        "LOC-003",
        "LOC-004",
        D,
        "LUXE BOND fleet",
        7,
        [("LB-BOD-001", 120, "")],
    ),
    (
        "transfer-3",
        "ORG-003",
        "ORG-003",
        "LOC-001",
        "LOC-002",
        R,
        "LUXE BOND fleet",
        -20,
        [("LB-TON-001", 250, "L2405B")],
    ),
    (
        "vmi-1",
        "ORG-003",
        "ORG-003",
        "LOC-001",
        "LOC-104",
        T,
        "Sephora routing (JB Hunt)",
        2,
        [("LB-SER-001", 180, "L2406A"), ("LB-EYE-001", 72, "L2404A")],
    ),
    (
        "vmi-2",
        "ORG-003",
        "ORG-003",
        "LOC-004",
        "LOC-104",
        R,
        "Sephora routing (JB Hunt)",
        -9,
        [("LB-CRM-002", 144, "L2404D")],
    ),
    (
        "supplier-pp",
        "ORG-002",
        "ORG-201",
        "LOC-201",
        "LOC-005",
        T,
        "COSCO / Maersk",
        11,
        [("PK-BTL-030", 20000, "PP-24-118"), ("PK-JAR-050", 8000, "PP-24-119")],
    ),
    (
        "supplier-vita",
        "ORG-002",
        "ORG-202",
        None,
        "LOC-005",
        T,
        "DHL Express",
        5,
        [("RM-VITC-001", 40, "VS-7731")],
    ),
    (
        "supplier-pump",
        "ORG-002",
        "ORG-204",
        None,
        "LOC-005",
        R,
        "DB Schenker",
        -15,
        [("PK-PMP-030", 12000, "PT-5520")],
    ),
    (
        "salon-1",
        "ORG-002",
        "ORG-002",
        "LOC-005",
        "LOC-301",
        T,
        "FedEx Freight",
        4,
        [("LB-HAI-001", 60, "L2406C")],
    ),
    (
        "ulta-1",
        "ORG-003",
        "ORG-003",
        "LOC-002",
        "ULTA",
        T,
        "Ulta routing (Schneider)",
        3,
        [("LB-SER-002", 240, "L2406D"), ("LB-CLN-001", 180, "L2407A")],
    ),
    (
        "ulta-2",
        "ORG-003",
        "ORG-003",
        "LOC-004",
        "ULTA",
        R,
        "Ulta routing (Schneider)",
        -18,
        [("LB-MSK-001", 96, "")],
    ),
    # LOC-002 (Los Angeles DC) is shared with Salon Luxe (pick-ups) and VitaSource
    # (deliveries): each sees its own documents there, never the other's.
    (
        "la-pickup-1",
        "ORG-003",
        "ORG-003",
        "LOC-002",
        "LOC-301",
        T,
        "Salon Luxe pick-up",
        1,
        [("LB-HAI-001", 36, "L2406C")],
    ),
    (
        "la-pickup-recv",
        "ORG-003",
        "ORG-003",
        "LOC-002",
        "LOC-301",
        R,
        "Salon Luxe pick-up",
        -4,
        [("LB-OIL-001", 24, "L2405A")],
    ),
    (
        "la-vita-1",
        "ORG-003",
        "ORG-202",
        None,
        "LOC-002",
        T,
        "DHL Express",
        6,
        [("LB-SER-001", 120, "VS-LA-02")],
    ),
    (
        "la-vita-recv",
        "ORG-003",
        "ORG-202",
        None,
        "LOC-002",
        R,
        "DHL Express",
        -8,
        [("LB-SER-001", 96, "VS-LA-01")],
    ),
]

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


def _next(prefix: str, sequence: str) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(%s)", [sequence])
        return f"{prefix}-{cur.fetchone()[0]:06d}"


def seed(stdout=None) -> None:
    # unscoped: the seed builds the world
    orgs = {o.code: o for o in Organization.objects.all()}
    locs = {loc.code: loc for loc in Location.objects.all()}
    ulta = Party.objects.get(owner=orgs["ORG-003"], name="Ulta Beauty Inc.")
    products = {
        (p.owner_id, p.sku): p
        for p in Product.objects.filter(owner__code__in=["ORG-002", "ORG-003"])
    }
    catalog = {p.sku: p for p in products.values() if p.owner.code == "ORG-003"}
    raw = {p.sku: p for p in products.values() if p.owner.code == "ORG-002"}
    now = timezone.now()
    today = timezone.localdate()
    for key, owner, shipper, origin, dest, status, carrier, days, lines in SHIPMENTS:
        create_key = f"demo:{key}"
        if Shipment.objects.filter(create_key=create_key).exists():
            continue
        destination = None if dest == "ULTA" else locs[dest]
        shipment = Shipment.objects.create(
            number=_next("SHP", "shipments_shp_seq"),
            owner=orgs[owner],
            shipper=orgs[shipper],
            receiver=destination.operator if destination else None,
            origin=locs[origin] if origin else None,
            destination=destination,
            destination_party=ulta if destination is None else None,
            posts_origin=origin is not None and owner == shipper,
            status=status,
            carrier=carrier,
            tracking_number=f"1Z{zlib.crc32(key.encode()):010d}",
            expected_date=today + dt.timedelta(days=days),
            shipped_at=now - dt.timedelta(days=3) if status in (T, R) else None,
            received_at=now + dt.timedelta(days=days) if status == R else None,
            create_key=create_key,
        )
        shipment_lines = ShipmentLine.objects.bulk_create(
            ShipmentLine(
                shipment=shipment,
                product=(catalog if sku.startswith("LB-") else raw)[sku],
                quantity=Decimal(qty),
                lot=lot,
                expiry=today + dt.timedelta(days=540) if lot else None,
            )
            for sku, qty, lot in lines
        )
        if destination is None or status not in (T, R):
            continue
        asn = ASN.objects.create(
            number=_next("ASN", "shipments_asn_seq"),
            shipment=shipment,
            status=ASNStatus.AWAITING if status == T else ASNStatus.RECEIVED,
            cartons=sum(int(line.quantity) for line in shipment_lines) // 24 or 1,
        )
        asn_lines = ASNLine.objects.bulk_create(
            ASNLine(
                asn=asn,
                product=line.product,
                lot=line.lot,
                expiry=line.expiry,
                expected_quantity=line.quantity,
            )
            for line in shipment_lines
        )
        if status != R:
            continue
        receipt = Receipt.objects.create(
            asn=asn,
            idempotency_key=f"demo:{key}",
            confirming_org=destination.operator,
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
            if short:
                case = DiscrepancyCase.objects.create(
                    number=_next("DSC", "shipments_dsc_seq"),
                    shipment=shipment,
                    receipt_line=receipt_line,
                    expected_quantity=line.expected_quantity,
                    received_quantity=receipt_line.received_quantity,
                    reason_code=ReasonCode.SHORT,
                    due_date=today + dt.timedelta(days=8),
                )
                for author, body in thread:
                    CaseMessage.objects.create(
                        case=case, author_org=orgs[author], body=body or receipt_line.note
                    )
    partnership = Partnership.objects.filter(
        relationship__parent=orgs["ORG-003"], relationship__child=orgs["ORG-101"]
    ).first()
    if partnership:
        StorageRate.objects.update_or_create(
            partnership=partnership,
            defaults={"per_unit_month": Decimal("0.45"), "per_cubic_metre_month": Decimal("26.00")},
        )
