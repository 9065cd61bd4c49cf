"""What each demo persona may see: the one table the persona visibility tests read.

The seeded demo network (`manage.py seed_demo`, its CAN / CANNOT lists, DESIGN.md §5 and §7)
is used only by those tests; every other test makes its own rows with tests/factories.py.
Each row names codes of the seed: organizations (ORG-…), locations (LOC-…), demo shipments by
their seed key (`shipments.demo.SHIPMENTS`), and ORG-002's demo purchase orders by supplier.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orgs.demo import LOCATIONS as _DEMO_LOCATIONS
from orgs.demo import ORGANIZATIONS as _DEMO_ORGANIZATIONS
from shipments.demo import SHIPMENTS as _DEMO_SHIPMENTS

ALL_ORGS = frozenset(o[0] for o in _DEMO_ORGANIZATIONS)
ALL_LOCATIONS = frozenset(loc[0] for loc in _DEMO_LOCATIONS)
ORG_NAMES = {o[0]: o[1] for o in _DEMO_ORGANIZATIONS}
ALL_SHIPMENTS = frozenset(s[0] for s in _DEMO_SHIPMENTS)
# Partnerships of the seed, as (network side, partner) org codes.
ALL_PARTNERSHIPS = frozenset(
    {
        ("ORG-003", "ORG-101"),
        ("ORG-003", "ORG-102"),
        ("ORG-003", "ORG-202"),
        ("ORG-003", "ORG-301"),
        ("ORG-002", "ORG-201"),
        ("ORG-002", "ORG-202"),
        ("ORG-002", "ORG-203"),
        ("ORG-002", "ORG-204"),
        ("ORG-002", "ORG-205"),
        ("ORG-002", "ORG-301"),
        ("ORG-401", "ORG-201"),
        ("ORG-402", "ORG-201"),
    }
)
# Suppliers of ORG-002's demo purchase orders (ORG-205's is still a draft).
ALL_PO_SUPPLIERS = frozenset({"ORG-201", "ORG-202", "ORG-203", "ORG-204", "ORG-205"})


@dataclass(frozen=True)
class Persona:
    email: str
    org: str  # the organization the persona logs in to
    role: str
    plan: str
    orgs: frozenset[str]  # organizations visible at all (the network page, guessed ids)
    full_orgs: frozenset[str]  # organizations whose own data (codes, plan) it sees in full
    locations: frozenset[str]  # locations visible (the locations page, guessed ids)
    stock_locations: frozenset[str]  # locations whose stock the inventory pages show
    partnerships: frozenset[tuple[str, str]]  # (network, partner) pairs listed
    shipments: frozenset[str]  # demo shipment keys (with their ASNs and cases)
    purchase_orders: frozenset[str]  # suppliers of ORG-002's demo POs it sees
    never: tuple[str, ...] = ()  # words a partner never reads on the shipment pages

    @property
    def is_partner(self) -> bool:
        """Outside LUXE BOND's own network (a company that joined by invitation)."""
        return not self.email.endswith("luxebond.example")


def _f(*items) -> frozenset:
    return frozenset(items)


_LUXE_PARTNERS = _f(
    "ORG-101", "ORG-102", "ORG-201", "ORG-202", "ORG-203", "ORG-204", "ORG-205", "ORG-301"
)
_LUXE_INTERNAL = _f("LOC-001", "LOC-002", "LOC-003", "LOC-004")
_FBA = _f("LOC-101", "LOC-102", "LOC-103")
_DIST_ORGS = _f("ORG-003", "ORG-101", "ORG-102", "ORG-202", "ORG-301")
_LUXE_PAIRS = frozenset(p for p in ALL_PARTNERSHIPS if p[0] in ("ORG-002", "ORG-003"))
_DIST_PAIRS = frozenset(p for p in _LUXE_PAIRS if p[0] == "ORG-003")
# Everything ORG-003 owns: all demo shipments but the supplier deliveries and Salon Luxe's.
_DIST_SHIPMENTS = frozenset(k for k in ALL_SHIPMENTS if not k.startswith(("supplier", "salon")))

PERSONAS: dict[str, Persona] = {
    p.email: p
    for p in [
        Persona(
            email="super@luxebond.example",
            org="ORG-001",
            role="ORG_SUPER_ADMIN",
            plan="ENTERPRISE",
            orgs=_f("ORG-001", "ORG-002", "ORG-003") | _LUXE_PARTNERS,
            full_orgs=_f("ORG-001", "ORG-002", "ORG-003"),
            locations=_LUXE_INTERNAL | _f("LOC-005", "LOC-104") | _FBA,
            stock_locations=_LUXE_INTERNAL | _f("LOC-005", "LOC-104") | _FBA,
            partnerships=_LUXE_PAIRS,
            shipments=ALL_SHIPMENTS,
            purchase_orders=ALL_PO_SUPPLIERS,
        ),
        Persona(
            email="admin@dist.luxebond.example",
            org="ORG-003",
            role="ORG_ADMIN",
            plan="ENTERPRISE",
            orgs=_DIST_ORGS,
            full_orgs=_f("ORG-003"),
            locations=_LUXE_INTERNAL | _FBA | _f("LOC-104"),
            stock_locations=_LUXE_INTERNAL | _FBA | _f("LOC-104"),
            partnerships=_DIST_PAIRS,
            shipments=_DIST_SHIPMENTS,
            purchase_orders=_f(),
        ),
        Persona(
            email="admin@mfg.luxebond.example",
            org="ORG-002",
            role="ORG_ADMIN",
            plan="ENTERPRISE",
            orgs=_f("ORG-002", "ORG-201", "ORG-202", "ORG-203", "ORG-204", "ORG-205", "ORG-301"),
            full_orgs=_f("ORG-002"),
            locations=_f("LOC-005"),
            stock_locations=_f("LOC-005"),
            partnerships=frozenset(p for p in _LUXE_PAIRS if p[0] == "ORG-002"),
            shipments=_f("supplier-pp", "supplier-vita", "supplier-pump", "salon-1"),
            purchase_orders=ALL_PO_SUPPLIERS,
        ),
        Persona(
            email="member@dist.luxebond.example",
            org="ORG-003",
            role="MEMBER",
            plan="ENTERPRISE",
            orgs=_DIST_ORGS,
            full_orgs=_f("ORG-003"),
            locations=_f("LOC-001"),
            stock_locations=_f("LOC-001"),
            partnerships=_DIST_PAIRS,
            shipments=_f(
                "fba-in-1", "fba-in-recv", "fba-return-1", "transfer-1", "transfer-3", "vmi-1"
            ),
            purchase_orders=_f(),
        ),
        Persona(
            email="ops@amazon.example",
            org="ORG-101",
            role="ORG_ADMIN",
            plan="FREE",
            orgs=_f("ORG-101", "ORG-003"),
            full_orgs=_f("ORG-101"),
            locations=_FBA,
            stock_locations=_FBA,
            partnerships=_f(("ORG-003", "ORG-101")),
            shipments=_f(
                "fba-in-1",
                "fba-in-2",
                "fba-in-3",
                "fba-in-recv",
                "fba-in-draft",
                "fba-return-1",
                "fba-return-2",
            ),
            purchase_orders=_f(),
            never=(
                *sorted(_LUXE_INTERNAL),
                "Dallas",
                "Los Angeles",
                "Edison",
                "Miami",
                "LOC-104",
                "Sephora",
                "Ulta",
                "PackagePro",
                "VitaSource",
            ),
        ),
        Persona(
            email="vmi@sephora.example",
            org="ORG-102",
            role="ORG_ADMIN",
            plan="FREE",
            orgs=_f("ORG-102", "ORG-003"),
            full_orgs=_f("ORG-102"),
            locations=_f("LOC-104"),
            stock_locations=_f("LOC-104"),
            partnerships=_f(("ORG-003", "ORG-102")),
            shipments=_f("vmi-1", "vmi-2"),
            purchase_orders=_f(),
            never=("LOC-001", "LOC-004", "Dallas", "Miami", "LOC-101", "Amazon", "Ulta"),
        ),
        Persona(
            email="admin@packagepro.example",
            org="ORG-201",
            role="ORG_ADMIN",
            plan="PRO",
            orgs=_f("ORG-201", "ORG-002", "ORG-401", "ORG-402"),
            full_orgs=_f("ORG-201"),
            locations=_f("LOC-201", "LOC-202"),
            stock_locations=_f("LOC-201", "LOC-202"),
            partnerships=_f(("ORG-002", "ORG-201"), ("ORG-401", "ORG-201"), ("ORG-402", "ORG-201")),
            shipments=_f("supplier-pp"),
            purchase_orders=_f("ORG-201"),
            never=("LOC-005", "Fort Worth", "VitaSource", "Amazon"),
        ),
        # VitaSource and Salon Luxe are also partners of ORG-003, which shares LOC-002 (Los
        # Angeles DC) with both: they see LUXE BOND's stock there and only their own documents.
        Persona(
            email="admin@vitasource.example",
            org="ORG-202",
            role="ORG_ADMIN",
            plan="FREE",
            orgs=_f("ORG-202", "ORG-002", "ORG-003"),
            full_orgs=_f("ORG-202"),
            locations=_f("LOC-002"),
            stock_locations=_f("LOC-002"),
            partnerships=_f(("ORG-002", "ORG-202"), ("ORG-003", "ORG-202")),
            shipments=_f("supplier-vita", "la-vita-1", "la-vita-recv"),
            purchase_orders=_f("ORG-202"),
            never=("LOC-005", "Fort Worth", "PackagePro", "Salon Luxe", "Dallas"),
        ),
        Persona(
            email="admin@salonluxe.example",
            org="ORG-301",
            role="ORG_ADMIN",
            plan="PRO",
            orgs=_f("ORG-301", "ORG-002", "ORG-003"),
            full_orgs=_f("ORG-301"),
            locations=_f("LOC-301", "LOC-002"),
            stock_locations=_f("LOC-002"),
            partnerships=_f(("ORG-002", "ORG-301"), ("ORG-003", "ORG-301")),
            shipments=_f("salon-1", "la-pickup-1", "la-pickup-recv"),
            purchase_orders=_f(),
            never=("LOC-001", "Amazon", "Ulta", "VitaSource", "carton 4", "Dallas"),
        ),
        Persona(
            email="admin@medsupply.example",
            org="ORG-401",
            role="ORG_ADMIN",
            plan="ENTERPRISE",
            orgs=_f("ORG-401", "ORG-201"),
            full_orgs=_f("ORG-401"),
            locations=_f("LOC-401"),
            stock_locations=_f(),
            partnerships=_f(("ORG-401", "ORG-201")),
            shipments=_f(),
            purchase_orders=_f(),
            never=("LUXE BOND", "SHP-0", "ASN-0", "DSC-0"),
        ),
    ]
}
EMAILS = list(PERSONAS)
# Every location whose stock some persona sees: the inventory pages' universe of codes.
ALL_STOCK_LOCATIONS = frozenset().union(*(p.stock_locations for p in PERSONAS.values()))


def emails(*, plan: str | None = None, never: bool = False) -> list[str]:
    """Persona emails, optionally those on one plan, or those with a `never` list."""
    return [
        p.email
        for p in PERSONAS.values()
        if (plan is None or p.plan == plan) and (not never or p.never)
    ]


@pytest.fixture
def demo_po(db):
    """demo_po("ORG-202") → the demo purchase order ORG-002 sent to that supplier."""
    from procurement.models import PurchaseOrder

    def _po(supplier_code: str) -> PurchaseOrder:
        return PurchaseOrder.objects.get(
            buyer__code="ORG-002", supplier_org__code=supplier_code, request_key__startswith="demo-"
        )

    return _po
