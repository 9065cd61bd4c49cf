"""Random supply-chain networks for the isolation matrix.

`networks()` draws a plain description (counts and index choices); `build(spec)` turns it into
rows through the project's services, acting as the admin of the org that would really do each
step (invitations accepted by the partner, shipments confirmed by the receiver, ...). Models are
written directly only where no service exists: a network root (the platform signs those up), a
3PL partner's own warehouse on a FREE plan, and a partner-operated location shared by the
network side (the seed does the same for Amazon's FBA centres).

Every generated identifier is unique and greppable: org and location codes come from the
services (ORG-…/LOC-…, matched on word boundaries), SKUs, terms, reasons and e-mails carry a
per-example tag (ZQ<n>…).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import strategies as st

from core.numbering import LOCATION_CODE, ORGANIZATION_CODE, next_code

_tags = itertools.count(1)

# --- the description ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    roots: int  # separate networks
    subs: tuple[int, ...]  # root index of each subsidiary
    net_locations: tuple[int, ...]  # locations per network org (roots first, then subs)
    partner_plans: tuple[str, ...]  # FREE or PRO per partner
    partner_has_location: tuple[bool, ...]
    # (network org index, partner index, role, shared location picks, share partner's location)
    links: tuple[tuple[int, int, str, tuple[int, ...], bool], ...]
    # (kind, a, b, c, stage) resolved modulo what exists; see build()
    documents: tuple[tuple[str, int, int, int, int], ...]
    member_org: int  # network org index that gets a MEMBER with one granted location


DOC_KINDS = ("shipment", "shipment", "po", "transfer", "count", "adjustment", "partner_shipment")
ROLES = ("SUPPLIER", "THREE_PL", "CUSTOMER", "VMI_RETAILER")


@st.composite
def networks(draw) -> Spec:
    roots = draw(st.integers(1, 2))
    subs = tuple(draw(st.lists(st.integers(0, roots - 1), max_size=2)))
    n_net = roots + len(subs)
    net_locations = tuple(draw(st.lists(st.integers(1, 2), min_size=n_net, max_size=n_net)))
    n_partners = draw(st.integers(2, 4))
    plans = draw(
        st.lists(st.sampled_from(["FREE", "PRO"]), min_size=n_partners, max_size=n_partners)
    )
    has_loc = draw(st.lists(st.booleans(), min_size=n_partners, max_size=n_partners))
    # Two partners always share the first location of the first network org (finding 1), and
    # partner 0 is a PRO 3PL running a location the network shares with it (finding 4).
    plans[0], has_loc[0] = "PRO", True
    links = [(0, 0, "THREE_PL", (0,), True), (0, 1, "SUPPLIER", (0,), False)]
    for p in range(n_partners):
        for org in draw(st.lists(st.integers(0, n_net - 1), max_size=2, unique=True)):
            if (org, p) not in {(link[0], link[1]) for link in links}:
                picks = tuple(draw(st.lists(st.integers(0, 3), max_size=2, unique=True)))
                links.append((org, p, draw(st.sampled_from(ROLES)), picks, draw(st.booleans())))
    # A partner with a customer in another network (what finding 2's preview leaked).
    if roots == 2 and (1, 0) not in {(link[0], link[1]) for link in links}:
        links.append((1, 0, "CUSTOMER", (0,), False))
    documents = tuple(
        draw(
            st.lists(
                st.tuples(
                    st.sampled_from(DOC_KINDS),
                    st.integers(0, 7),
                    st.integers(0, 7),
                    st.integers(0, 7),
                    st.integers(0, 4),
                ),
                min_size=4,
                max_size=9,
            )
        )
    )
    # Always: the owner's shipment at the shared location with partner 1, a transfer into
    # partner 0's location and a count there (the documents the findings were about).
    documents = (("shipment", 0, 0, 0, 3), ("transfer", 0, 0, 0, 0), ("count", 0, 0, 0, 0)) + (
        documents
    )
    return Spec(
        roots=roots,
        subs=subs,
        net_locations=net_locations,
        partner_plans=tuple(plans),
        partner_has_location=tuple(has_loc),
        links=tuple(links),
        documents=documents,
        member_org=draw(st.integers(0, n_net - 1)),
    )


# The network every run starts with (hypothesis's explicit example): two networks, a subsidiary,
# a location shared with two partners who each have documents there, a PRO 3PL running a site
# the network keeps stock at, and a partner that is also a customer of the other network.
ANCHOR = Spec(
    roots=2,
    subs=(0,),
    net_locations=(2, 1, 1),
    partner_plans=("PRO", "PRO", "FREE"),
    partner_has_location=(True, True, False),
    links=(
        (0, 0, "THREE_PL", (0,), True),
        (0, 1, "SUPPLIER", (0,), False),
        (2, 2, "VMI_RETAILER", (0,), False),
        (1, 1, "CUSTOMER", (0,), False),
        (1, 0, "SUPPLIER", (0,), False),
    ),
    documents=(
        ("shipment", 0, 0, 0, 4),  # root 0 ships from the shared site, received short, credited
        ("partner_shipment", 1, 0, 0, 3),  # partner 1 delivers to the shared site
        ("partner_shipment", 0, 0, 1, 2),  # partner 0 ships its own goods
        ("transfer", 0, 0, 0, 0),  # root 0 moves stock into partner 0's site
        ("count", 0, 0, 0, 0),  # and counts it there
        ("adjustment", 0, 0, 0, 0),
        ("po", 0, 0, 0, 2),  # root 0 orders from a supplier, acknowledged
        ("po", 1, 1, 0, 1),  # the other network orders from the shared partner
        ("po", 3, 0, 0, 1),  # partner buys as a customer
        ("shipment", 1, 0, 0, 2),  # the other network's shipment
    ),
    member_org=0,
)


# --- the built world ---------------------------------------------------------------------------


@dataclass
class Persona:
    key: str  # readable label for failure messages
    user: object
    org: object
    role: str
    locations: tuple[int, ...] = ()  # MEMBER grants (location ids)


@dataclass
class World:
    tag: str
    orgs: list = field(default_factory=list)  # every generated Organization
    roots: list = field(default_factory=list)
    network_orgs: list = field(default_factory=list)  # roots then subsidiaries
    partners: list = field(default_factory=list)
    personas: list[Persona] = field(default_factory=list)
    partnerships: list = field(default_factory=list)
    admin_of: dict = field(default_factory=dict)  # org id -> Persona (its admin)

    @property
    def org_ids(self) -> set[int]:
        return {o.pk for o in self.orgs}


def _scope(persona: Persona):
    from orgs.access import scope_for_user

    return scope_for_user(persona.user, str(persona.org.public_id))


def _user(email: str, name: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create(email=email, full_name=name)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _invited_member(scope, org, email: str, role: str):
    """A person joins `org` the only way there is: invited by its admin, then accepting."""
    from orgs.services import membership_invitations as invites

    _, token = invites.membership_invite(scope=scope, organization=org, email=email, role=role)
    return invites.membership_invitation_accept_new_account(
        token=token, full_name=email.split("@")[0], password="Zq-Generated-Pass-42"
    )


def build(spec: Spec) -> World:
    """Create the network described by `spec`; every step through a service where one exists."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from billing.services.plans import organization_change_plan
    from inventory.ledger import Posting, stock_post
    from inventory.models import MovementKind
    from inventory.services import catalog, counts, operations
    from orgs.models import Location, Membership, Organization, Role
    from orgs.services import organizations as org_services
    from partnerships.services import acceptance, invitations
    from procurement import services as po_services
    from shipments.models import ShipmentStatus

    tag = f"ZQ{next(_tags):04d}"
    w = World(tag=tag)
    seq = itertools.count(1)

    def token(kind: str) -> str:
        return f"{tag}{kind}{next(seq):03d}"

    # Roots: signed up by the platform (no service), each with its ORG_SUPER_ADMIN.
    for r in range(spec.roots):
        org = Organization.objects.create(
            code=next_code(ORGANIZATION_CODE),
            name=f"{token('ROOT')} Holdings",
            org_type="PARENT_COMPANY",
            plan_tier="ENTERPRISE",
            partnership_tier="FULL",
            billing_mode="MASTER",
        )
        user = _user(f"{token('super').lower()}@root{r}.example", f"Super {r}")
        Membership.objects.create(user=user, organization=org, role=Role.ORG_SUPER_ADMIN)
        persona = Persona(f"super-admin of {org.code}", user, org, Role.ORG_SUPER_ADMIN)
        w.roots.append(org)
        w.network_orgs.append(org)
        w.personas.append(persona)
        w.admin_of[org.pk] = persona
    for root_index in spec.subs:
        root = w.roots[root_index]
        boss = _scope(w.admin_of[root.pk])
        sub = org_services.organization_create_child(
            scope=boss,
            parent=root,
            name=f"{token('SUB')} LLC",
            org_type="DISTRIBUTOR",
            relationship_type="SUBSIDIARY",
        )
        boss = _scope(w.admin_of[root.pk])  # the new subsidiary is now in the root's subtree
        m = _invited_member(boss, sub, f"{token('admin').lower()}@sub.example", Role.ORG_ADMIN)
        w.network_orgs.append(sub)
        persona = Persona(f"admin of subsidiary {sub.code}", m.user, sub, Role.ORG_ADMIN)
        w.personas.append(persona)
        w.admin_of[sub.pk] = persona
    w.orgs.extend(w.network_orgs)

    locations: dict[int, list] = {}  # org id -> its locations
    for org, count in zip(w.network_orgs, spec.net_locations, strict=True):
        scope = _scope(w.admin_of[org.pk])
        locations[org.pk] = [
            org_services.location_create(
                scope=scope, operator=org, name=f"{token('WH')} warehouse", kind="WAREHOUSE"
            )
            for _ in range(count)
        ]

    # Products and opening stock of each network org at its own locations.
    products: dict[int, list] = {}
    stock: list[tuple[object, object, object]] = []  # (owner, product, location)

    def open_stock(owner, product, location, qty=Decimal(50)):
        stock_post(
            scope=_scope(w.admin_of[owner.pk]),
            postings=[Posting(owner.pk, product.pk, location.pk, qty, "", None)],
            kind=MovementKind.OPENING,
            idempotency_key=f"{tag}-open-{owner.pk}-{product.pk}-{location.pk}",
            reason=token("OPEN"),
        )
        stock.append((owner, product, location))

    def make_products(org):
        scope = _scope(w.admin_of[org.pk])
        products[org.pk] = [
            catalog.product_create(
                scope=scope, sku=token("SKU"), name="Serum", price=Decimal(10), cost=Decimal(4)
            )
            for _ in range(2)
        ]

    for org in w.network_orgs:
        make_products(org)
        for loc in locations[org.pk]:
            open_stock(org, products[org.pk][0], loc)

    # Partners: the first invitation creates the partner's account and FREE org; later ones are
    # accepted by the same admin for the existing org.
    partner_admin: dict[int, object] = {}
    for network_index, p, role, picks, share_partner_loc in spec.links:
        network_org = w.network_orgs[network_index % len(w.network_orgs)]
        inviter = w.admin_of[network_org.pk]
        own = locations[network_org.pk]
        shared = sorted({own[i % len(own)] for i in picks}, key=lambda loc: loc.pk)
        email = f"{tag.lower()}partner{p}@partner.example"
        invitation, raw = invitations.invitation_create(
            scope=_scope(inviter),
            network_org=network_org,
            company_name=f"{tag} Partner {p}",
            email=email,
            relationship_type="PARTNER",
            role=role,
            terms=token("TERMS"),
            shared_locations=shared,
        )
        del invitation
        if p not in partner_admin:
            result = acceptance.invitation_accept_new_account(
                token=raw,
                full_name=f"Partner {p}",
                password="x-Matrix-pass-9",
                organization_name="",
            )
            partner = result.organization
            partner_admin[p] = result.user
            if spec.partner_plans[p] == "PRO":
                organization_change_plan(
                    scope=None, org=partner, plan="PRO", source="OVERRIDE", reason="matrix"
                )
                partner.refresh_from_db()
            persona = Persona(
                f"admin of partner {partner.code}", result.user, partner, Role.ORG_ADMIN
            )
            w.partners.append(partner)
            w.orgs.append(partner)
            w.personas.append(persona)
            w.admin_of[partner.pk] = persona
            if spec.partner_has_location[p]:
                if spec.partner_plans[p] == "PRO":
                    loc = org_services.location_create(
                        scope=_scope(persona),
                        operator=partner,
                        name=f"{token('FC')} centre",
                        kind="FBA",
                    )
                else:  # FREE plans cannot add locations in the app; a 3PL's site is seeded
                    loc = Location.objects.create(
                        code=next_code(LOCATION_CODE),
                        name=f"{token('FC')} centre",
                        kind="FBA",
                        operator=partner,
                    )
                locations[partner.pk] = [loc]
                if spec.partner_plans[p] == "PRO":
                    make_products(partner)
                    open_stock(partner, products[partner.pk][0], loc)
            partner_of_index = partner
        else:
            partner_of_index = next(
                o for o in w.partners if w.admin_of[o.pk].user == partner_admin[p]
            )
            result = acceptance.invitation_accept_existing(
                token=raw, user=partner_admin[p], organization=partner_of_index
            )
        partnership = result.partnership
        w.partnerships.append(partnership)
        if share_partner_loc and locations.get(partner_of_index.pk):
            # The network keeps stock at the partner's site (3PL); no service shares a location
            # the network does not operate, so this is set as the seed sets Amazon's.
            site = locations[partner_of_index.pk][0]
            partnership.shared_locations.add(site)
            open_stock(network_org, products[network_org.pk][0], site)

    # A MEMBER with rights at one location of one network org.
    member_org = w.network_orgs[spec.member_org % len(w.network_orgs)]
    boss = _scope(w.admin_of[member_org.pk])
    m = _invited_member(boss, member_org, f"{token('member').lower()}@member.example", Role.MEMBER)
    granted = locations[member_org.pk][-1]
    org_services.membership_set_locations(scope=boss, membership=m, locations=[granted])
    w.personas.append(
        Persona(
            f"member of {member_org.code} at {granted.code}",
            m.user,
            member_org,
            Role.MEMBER,
            (granted.pk,),
        )
    )

    # Documents between random parties, each created and moved on by the side that does it.
    def pick(seq_, i):
        return seq_[i % len(seq_)] if seq_ else None

    def visible_locations(org):
        from orgs.access import build_scope

        return sorted(
            (
                loc
                for locs in locations.values()
                for loc in locs
                if loc.pk in build_scope(org=org, role=Role.ORG_ADMIN, user_id=None).location_ids
            ),
            key=lambda loc: loc.pk,
        )

    for kind, a, b, c, stage in spec.documents:
        try:
            if kind in ("shipment", "partner_shipment"):
                pro_partners = [o for o in w.partners if o.pk in products]
                owners = pro_partners if kind == "partner_shipment" else w.network_orgs
                owner = pick(owners, a)
                if owner is None:
                    continue
                held = [(p_, loc) for o, p_, loc in stock if o.pk == owner.pk]
                product, origin = pick(held, b)
                targets = [loc for loc in visible_locations(owner) if loc.pk != origin.pk]
                destination = pick(targets, c)
                if destination is None:
                    continue
                _move_shipment(w, ShipmentStatus, owner, product, origin, destination, stage, token)
            elif kind == "po":
                buyer = pick(w.network_orgs + [o for o in w.partners if o.pk in products], a)
                scope = _scope(w.admin_of[buyer.pk])
                from procurement.selectors import supplier_org_ids

                suppliers = sorted(supplier_org_ids(scope))
                ship_to = pick(locations.get(buyer.pk, []), c)
                if not suppliers or ship_to is None:
                    continue
                from orgs.models import Organization as Org

                po, _ = po_services.purchase_order_create(
                    scope=scope,
                    ship_to=ship_to,
                    supplier_org=Org.objects.get(pk=pick(suppliers, b)),
                    lines=[po_services.LineInput(products[buyer.pk][1], Decimal(5), Decimal(3))],
                    request_key=token("POKEY"),
                    notes=token("PONOTE"),
                )
                if stage >= 1:
                    po_services.purchase_order_send(scope=scope, po=po, notify=False)
                if stage >= 2:
                    supplier = w.admin_of[po.supplier_org_id]
                    po_services.purchase_order_acknowledge(scope=_scope(supplier), po=po)
            elif kind == "transfer":
                owner = pick(w.network_orgs, a)
                held = [(p_, loc) for o, p_, loc in stock if o.pk == owner.pk]
                product, origin = pick(held, b)
                scope = _scope(w.admin_of[owner.pk])
                targets = [
                    loc
                    for loc in visible_locations(owner)
                    if loc.pk != origin.pk and loc.pk in scope.location_ids
                ]
                # Prefer a partner-run site the owner keeps stock at (finding 4's transfer).
                partner_sites = [
                    loc
                    for loc in targets
                    if loc.operator_id != owner.pk
                    and any(o.pk == owner.pk and l_.pk == loc.pk for o, _, l_ in stock)
                ]
                destination = pick(partner_sites or targets, c)
                if destination is None:
                    continue
                operations.transfer_create(
                    scope=scope,
                    from_location=origin,
                    to_location=destination,
                    lines=[(product, Decimal(2))],
                    idempotency_key=token("TRKEY"),
                    note=token("TRF"),
                )
            elif kind == "count":
                owner = pick(w.network_orgs, a)
                held = [loc for o, _, loc in stock if o.pk == owner.pk]
                partner_sites = [loc for loc in held if loc.operator_id != owner.pk]
                location = pick(partner_sites or held, b)
                counts.count_create(scope=_scope(w.admin_of[owner.pk]), location=location)
            elif kind == "adjustment":
                owner, product, location = pick(stock, a)
                operations.stock_adjust(
                    scope=_scope(w.admin_of[owner.pk]),
                    location=location,
                    product=product,
                    quantity=Decimal(1),
                    reason_code="FOUND",
                    note=token("ADJ"),
                    idempotency_key=token("ADJKEY"),
                )
        except (ValidationError, PermissionDenied):
            # A random pick the app rightly refuses (a limit, a wrong side): no document.
            continue
    w.locations = locations
    w.products = products
    w.stock = stock
    return w


def _move_shipment(w, ShipmentStatus, owner, product, origin, destination, stage, token):
    """Create a shipment and move it on as its real sides would: the sender books and ships,
    the receiver confirms (stage 3: one unit short, which opens a discrepancy case; stage 4:
    the sender accepts the shortage, which issues a credit note)."""
    from shipments.models import ReasonCode
    from shipments.services import cases as case_services
    from shipments.services import receipts as receipt_services
    from shipments.services import shipments as shipment_services

    sender = _scope(w.admin_of[owner.pk])
    shipment = shipment_services.shipment_create(
        scope=sender,
        origin=origin,
        destination=destination,
        lines=[shipment_services.LineInput(product=product, quantity=Decimal(4))],
        note=token("SHPNOTE"),
        create_key=uuid.uuid4().hex,
    )
    if stage >= 1:
        shipment_services.shipment_book(scope=sender, shipment=shipment)
    if stage >= 2:
        shipment_services.shipment_ship(scope=sender, shipment=shipment, cartons=1)
    if stage >= 3 and destination.operator_id in w.admin_of:
        receiver = _scope(w.admin_of[destination.operator_id])
        asn = shipment.asn
        line = asn.lines.get()
        receipt_services.asn_confirm_receipt(
            scope=receiver,
            asn=asn,
            idempotency_key=token("RCPT"),
            lines=[
                receipt_services.ReceivedLine(
                    asn_line_id=line.pk,
                    received_quantity=Decimal(3),
                    reason_code=ReasonCode.SHORT,
                    note=token("RNOTE"),
                )
            ],
        )
        if stage >= 4:
            case = shipment.cases.first()
            if case is not None:
                case_services.case_resolve(scope=sender, case=case, resolution="ACCEPT_SHORTAGE")
