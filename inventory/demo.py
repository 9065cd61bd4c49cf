"""Demo inventory: LUXE BOND's Health & Beauty catalog with lots and expiries, stock at every
internal and partner location (the seed's figures at LOC-101..104), LUXE BOND Manufacturing's
raw materials at the plant, PackagePro's own catalog at LOC-201/202, and 12 months of movement
history (monthly receipts and outflows) for later forecasting.

Every posting goes through `stock_post` with a fixed idempotency key, so a second run posts
nothing. Lot expiries are set relative to the first run's date.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from orgs.models import Location, Organization

from .ledger import Posting, stock_post
from .models import (
    BomLine,
    LedgerBatch,
    MovementKind,
    Product,
    Transfer,
    TransferLine,
    TransferStatus,
)

CATALOG_OWNER = "ORG-003"
CATALOG = [
    # sku, name, price (shared with partners), cost (never shown to partners)
    ("LB-SER-001", "Radiance Vitamin C Serum 30ml", "58.00", "14.20"),
    ("LB-SER-002", "Hyaluronic Hydration Serum 30ml", "54.00", "12.90"),
    ("LB-CRM-001", "Peptide Night Cream 50ml", "64.00", "16.40"),
    ("LB-CRM-002", "Daily Defense Moisturizer SPF 30 50ml", "46.00", "11.10"),
    ("LB-CLN-001", "Gentle Foaming Cleanser 150ml", "28.00", "6.30"),
    ("LB-TON-001", "Botanical Balancing Toner 200ml", "32.00", "7.40"),
    ("LB-MSK-001", "Clay Detox Mask 75ml", "38.00", "8.80"),
    ("LB-EYE-001", "Caffeine Eye Cream 15ml", "44.00", "10.50"),
    ("LB-OIL-001", "Rosehip Facial Oil 30ml", "52.00", "12.00"),
    ("LB-SUN-001", "Mineral Sunscreen SPF 50 100ml", "36.00", "8.20"),
    ("LB-HAI-001", "Bond Repair Hair Treatment 100ml", "48.00", "11.60"),
    ("LB-BOD-001", "Shea Body Butter 200ml", "34.00", "7.90"),
]

# LUXE BOND Manufacturing (ORG-002): raw materials and packaging at the plant, one finished
# bulk product with a bill of materials. The one list of ORG-002's catalog: the procurement
# and shipments seeds order and ship these SKUs.
MFG_CATALOG = [
    ("RM-VITC-001", "L-Ascorbic acid, cosmetic grade (kg)", "KG", "96.00", "96.00"),
    ("RM-HYAL-001", "Sodium hyaluronate (kg)", "KG", "410.00", "410.00"),
    ("RM-ROSE-001", "Cold-pressed rosehip oil (L)", "L", "38.00", "38.00"),
    ("PK-BTL-030", "Amber dropper bottle 30ml", "EA", "0.42", "0.42"),
    ("PK-LBL-001", "Printed front label", "EA", "0.05", "0.05"),
    ("PK-BOX-030", "Printed folding carton 30ml", "EA", "0.47", "0.47"),
    ("PK-PMP-030", "Airless pump 30ml, matte gold", "EA", "0.37", "0.37"),
    ("PK-JAR-050", "Frosted glass jar 50ml", "EA", "0.55", "0.55"),
    (
        "FG-SER-001-BULK",
        "Radiance Vitamin C Serum, filled unit (pre-release)",
        "EA",
        "9.80",
        "9.80",
    ),
]
MFG_BOM = {"FG-SER-001-BULK": [("RM-VITC-001", "0.003"), ("PK-BTL-030", "1"), ("PK-LBL-001", "1")]}

PACKAGEPRO_CATALOG = [
    ("PP-BTL-030", "Amber glass dropper bottle 30ml", "EA", "0.48", "0.31"),
    ("PP-DRP-018", "Dropper cap 18/410", "EA", "0.16", "0.09"),
    ("PP-JAR-050", "Acrylic double-wall jar 50ml", "EA", "0.92", "0.58"),
    ("PP-PMP-030", "Airless pump bottle 30ml", "EA", "1.35", "0.84"),
    ("PP-CTN-001", "Folding carton, 350gsm", "EA", "0.22", "0.12"),
]

# LUXE BOND stock at partner locations: units and value at price match the seed exactly
# (LOC-101 3,100 ≈ $178K, LOC-102 2,450 ≈ $142K, LOC-103 1,650 ≈ $98K, LOC-104 1,984 ≈ $89K).
PARTNER_STOCK = {
    "LOC-101": {
        "LB-CRM-001": 1025,
        "LB-SER-002": 810,
        "LB-OIL-001": 310,
        "LB-HAI-001": 215,
        "LB-EYE-001": 50,
        "LB-SER-001": 690,
    },
    "LOC-102": {
        "LB-CRM-001": 635,
        "LB-SER-002": 160,
        "LB-OIL-001": 155,
        "LB-CRM-002": 100,
        "LB-HAI-001": 115,
        "LB-SER-001": 1285,
    },
    "LOC-103": {"LB-CRM-001": 525, "LB-SER-002": 135, "LB-OIL-001": 50, "LB-SER-001": 940},
    "LOC-104": {
        "LB-SER-001": 100,
        "LB-CRM-002": 285,
        "LB-CLN-001": 80,
        "LB-TON-001": 60,
        "LB-MSK-001": 50,
        "LB-SUN-001": 85,
        "LB-BOD-001": 95,
        "LB-EYE-001": 315,
        "LB-HAI-001": 914,
    },
}
INTERNAL_LOCATIONS = ["LOC-001", "LOC-002", "LOC-003", "LOC-004"]


def _lots(sku: str, index: int, today: dt.date) -> list[tuple[str, dt.date | None, Decimal]]:
    """Two lots per product: an older one expiring soon (first out), a fresh one later."""
    code = sku.replace("-", "")[2:]
    soon = today + dt.timedelta(days=25 + 9 * index)
    later = today + dt.timedelta(days=330 + 15 * index)
    return [
        (f"{code}-L24{index:02d}", soon, Decimal("0.4")),
        (f"{code}-L25{index:02d}", later, Decimal("0.6")),
    ]


def _split(total: int, shares: list[Decimal]) -> list[int]:
    parts = [int(total * s) for s in shares[:-1]]
    return parts + [total - sum(parts)]


def _history(
    *,
    location: Location,
    owner: Organization,
    finals: list[tuple[Product, str, dt.date | None, int]],
    outflow_kind: str,
    rnd: random.Random,
    now: dt.datetime,
    posted_by: Organization | None = None,
) -> None:
    """12 months of movements ending at `finals`: an opening receipt a year ago, monthly
    outflows, a replenishment six months ago. One batch per location and month.

    `posted_by` is the organization that posted them: at a partner's location that is the
    partner (Amazon confirms receipts and ships orders at its FBA sites, Sephora reports its
    sell-through), so each partner's movement log shows what it took part in."""
    months = range(11, 0, -1)
    outs = {
        key: {m: rnd.randint(2, 12) * max(1, q // 60) for m in months}
        for key, q in ((i, f[3]) for i, f in enumerate(finals))
    }
    refill = {i: sum(outs[i][m] for m in months if m < 6) // 2 for i in outs}
    opening = {i: finals[i][3] + sum(outs[i].values()) - refill[i] for i in outs}

    def post(tag: str, when: dt.datetime, kind: str, quantities: dict[int, int]) -> None:
        postings = [
            Posting(owner.pk, finals[i][0].pk, location.pk, Decimal(q), finals[i][1], finals[i][2])
            for i, q in quantities.items()
            if q
        ]
        if postings:
            batch, _ = stock_post(
                scope=None,
                postings=postings,
                kind=kind,
                idempotency_key=f"demo:stock:{location.code}:{owner.code}:{tag}",
                reason="Demo history",
                reference=location.code,
                occurred_at=when,
            )
            if posted_by is not None and batch.acting_org_id != posted_by.pk:
                LedgerBatch.objects.filter(pk=batch.pk).update(acting_org=posted_by)

    post("m12-opening", now - dt.timedelta(days=360), MovementKind.RECEIPT, opening)
    for m in months:
        when = now - dt.timedelta(days=30 * m)
        post(f"m{m:02d}-out", when, outflow_kind, {i: -outs[i][m] for i in outs})
        if m == 6:
            post("m06-refill", when + dt.timedelta(days=2), MovementKind.RECEIPT, refill)


def _catalog(owner: Organization, rows, with_uom: bool) -> dict[str, Product]:
    products = {}
    for row in rows:
        if with_uom:
            sku, name, uom, price, cost = row
        else:
            (sku, name, price, cost), uom = row, "EA"
        # Create-if-absent: an edited name, price or cost is the user's and stays.
        products[sku], _ = Product.objects.get_or_create(
            owner=owner,
            sku=sku,
            defaults={
                "name": name,
                "price": Decimal(price),
                "cost": Decimal(cost),
                "unit_of_measure": uom,
            },
        )
    return products


# Long on purpose: the demo catalog and stock read top to bottom as data, one block per
# organization; splitting it would scatter the demo network across helpers.
def seed(stdout=None) -> dict[str, Product]:
    # unscoped: the seed builds the world
    orgs = {o.code: o for o in Organization.objects.all()}
    locations = {loc.code: loc for loc in Location.objects.all()}
    products = _catalog(orgs[CATALOG_OWNER], CATALOG, with_uom=False)
    mfg = _catalog(orgs["ORG-002"], MFG_CATALOG, with_uom=True)
    for fg, components in MFG_BOM.items():
        for sku, qty in components:
            BomLine.objects.get_or_create(
                product=mfg[fg], component=mfg[sku], defaults={"quantity": Decimal(qty)}
            )
    packagepro = _catalog(orgs["ORG-201"], PACKAGEPRO_CATALOG, with_uom=True)

    today = timezone.localdate()
    now = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    rnd = random.Random(2024)
    lots = {sku: _lots(sku, i, today) for i, (sku, *_rest) in enumerate(CATALOG)}

    def lotted(skus: dict[str, int]) -> list:
        finals = []
        for sku, units in skus.items():
            shares = [s for _, _, s in lots[sku]]
            for (lot, expiry, _), part in zip(lots[sku], _split(units, shares), strict=True):
                finals.append((products[sku], lot, expiry, part))
        return finals

    for code, skus in PARTNER_STOCK.items():
        kind = MovementKind.SELL_THROUGH if code == "LOC-104" else MovementKind.SHIPMENT
        _history(
            location=locations[code],
            owner=orgs[CATALOG_OWNER],
            finals=lotted(skus),
            outflow_kind=kind,
            rnd=rnd,
            now=now,
            posted_by=locations[code].operator,
        )
    for n, code in enumerate(INTERNAL_LOCATIONS):
        skus = {sku: 300 + ((i * 7 + n * 13) % 10) * 90 for i, (sku, *_r) in enumerate(CATALOG)}
        _history(
            location=locations[code],
            owner=orgs[CATALOG_OWNER],
            finals=lotted(skus),
            outflow_kind=MovementKind.SHIPMENT,
            rnd=rnd,
            now=now,
        )
    plant = [
        (mfg[sku], f"{sku[:7]}-B01", None, q)
        for sku, q in [
            ("RM-VITC-001", 180),
            ("RM-HYAL-001", 24),
            ("RM-ROSE-001", 350),
            ("PK-BTL-030", 40000),
            ("PK-LBL-001", 65000),
            ("FG-SER-001-BULK", 6000),
        ]
    ]
    _history(
        location=locations["LOC-005"],
        owner=orgs["ORG-002"],
        finals=plant,
        outflow_kind=MovementKind.SHIPMENT,
        rnd=rnd,
        now=now,
    )
    for code, factor in (("LOC-201", 3), ("LOC-202", 1)):
        finals = [
            (p, f"{p.sku}-{code[-3:]}", None, (20000 + 7000 * i) * factor // 3)
            for i, p in enumerate(packagepro.values())
        ]
        _history(
            location=locations[code],
            owner=orgs["ORG-201"],
            finals=finals,
            outflow_kind=MovementKind.SHIPMENT,
            rnd=rnd,
            now=now,
        )
    _seed_la_internal(orgs["ORG-003"], locations, products["LB-SER-001"], now)
    return products


# LOC-002 (Los Angeles DC) is shared with two partners (Salon Luxe for pick-ups, VitaSource for
# deliveries); LUXE BOND's internal work there is theirs to never see: a transfer from Dallas
# and a write-off. A dedicated lot nets to zero (received at Dallas, transferred, written off),
# so every figure the seed names is unchanged.
LA_LOT = ("SER001-LA-TST", 48)


# Long on purpose: one worked example (a count, an adjustment, a transfer) spelled out in order.
def _seed_la_internal(owner: Organization, locations, product: Product, now: dt.datetime) -> None:
    dallas, la = locations["LOC-001"], locations["LOC-002"]
    lot, units = LA_LOT
    expiry = (now + dt.timedelta(days=400)).date()
    known = product.balances.filter(owner=owner, lot=lot).values_list("expiry", flat=True).first()
    expiry = known or expiry

    def post(tag, when, kind, location, quantity, reason, reference=""):
        batch, _ = stock_post(
            scope=None,
            postings=[Posting(owner.pk, product.pk, location.pk, Decimal(quantity), lot, expiry)],
            kind=kind,
            idempotency_key=f"demo:la-internal:{tag}",
            reason=reason,
            reference=reference or location.code,
            occurred_at=when,
        )
        if batch.acting_org_id != owner.pk:
            LedgerBatch.objects.filter(pk=batch.pk).update(acting_org=owner)
            batch.acting_org = owner
        return batch

    post("receipt", now - dt.timedelta(days=9), MovementKind.RECEIPT, dallas, units, "Tester run")
    reference = f"{dallas.code}→{la.code}"
    out_batch = post(
        "out",
        now - dt.timedelta(days=8),
        MovementKind.TRANSFER_OUT,
        dallas,
        -units,
        "Testers for the LA showroom",
        reference,
    )
    in_batch = post(
        "in",
        now - dt.timedelta(days=6),
        MovementKind.TRANSFER_IN,
        la,
        units,
        "Testers for the LA showroom",
        reference,
    )
    post(
        "write-off",
        now - dt.timedelta(days=5),
        MovementKind.ADJUSTMENT,
        la,
        -units,
        "SAMPLE: testers opened for the LA showroom",
    )
    if not Transfer.objects.filter(out_batch=out_batch).exists():
        transfer = Transfer.objects.create(
            owner=owner,
            from_location=dallas,
            to_location=la,
            status=TransferStatus.RECEIVED,
            note="Testers for the LA showroom",
            out_batch=out_batch,
            in_batch=in_batch,
            received_at=in_batch.created_at,
        )
        TransferLine.objects.create(
            transfer=transfer, product=product, lot=lot, expiry=expiry, quantity=units
        )
