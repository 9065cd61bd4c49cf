"""Factories: each test makes the rows it needs, shaped the way the app makes them.

Codes are `ORG-T001` / `LOC-T001`: unique, and never of the `ORG-123` form that the seed uses
and `core.numbering` sequences hand out, so factory rows cannot collide with either.

Rows that the app only ever makes through a service are made through that service here too:
stock through the ledger (`stock_post`), shipments, purchase orders and invitations through
their services, under a scope of the owning organization's admin. Plain reference rows
(organizations, locations, memberships, partnerships) are model rows, with the invariants the
database checks (plan ↔ tier, one owning parent) kept by the factory.

    org = OrganizationFactory(plan_tier="PRO")
    admin = admin_of(org)                       # a user with an ORG_ADMIN membership
    client = logged_in(client, admin)
    loc = LocationFactory(operator=org)
    serum = ProductFactory(owner=org)
    StockBalanceFactory(product=serum, location=loc, quantity=100, lot="L1")
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.models import Subscription, SubscriptionStatus
from core.enums import TIER_FOR_PLAN, PlanTier
from inventory.models import MovementKind, Product, StockBalance
from orgs.models import (
    BillingMode,
    Location,
    Membership,
    Organization,
    OrganizationRelationship,
    OrgType,
    RelationshipType,
    Role,
)
from partnerships.models import Invitation, Partnership, PartnershipRole, PartnershipStatus

User = get_user_model()

# Every factory user can log in through the form with this password.
PASSWORD = "factory-password-1"

_BILLING_FOR_PLAN = {
    PlanTier.FREE: BillingMode.FREE,
    PlanTier.PRO: BillingMode.SELF_PAY,
    PlanTier.ENTERPRISE: BillingMode.SELF_PAY,
}


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@factory.example")
    full_name = factory.Faker("name")

    @classmethod
    def _create(cls, model_class, *args: Any, **kwargs: Any):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


class OrganizationFactory(DjangoModelFactory):
    """An organization; the access tier follows the plan (a check constraint requires it).

    Traits: `root=True` makes a network root (ENTERPRISE, MASTER billing, parent company).
    """

    class Meta:
        model = Organization

    code = factory.Sequence(lambda n: f"ORG-T{n:03d}")
    name = factory.Sequence(lambda n: f"Factory Org {n}")
    org_type = OrgType.DISTRIBUTOR
    plan_tier = PlanTier.FREE
    partnership_tier = factory.LazyAttribute(lambda o: TIER_FOR_PLAN[o.plan_tier])
    billing_mode = factory.LazyAttribute(lambda o: _BILLING_FOR_PLAN[o.plan_tier])

    class Params:
        root = factory.Trait(
            plan_tier=PlanTier.ENTERPRISE,
            billing_mode=BillingMode.MASTER,
            org_type=OrgType.PARENT_COMPANY,
        )


class OrganizationRelationshipFactory(DjangoModelFactory):
    class Meta:
        model = OrganizationRelationship

    parent = factory.SubFactory(OrganizationFactory, root=True)
    child = factory.SubFactory(OrganizationFactory)
    type = RelationshipType.PARTNER


def child_org(
    parent: Organization,
    *,
    relationship_type: str = RelationshipType.SUBSIDIARY,
    **fields: Any,
) -> Organization:
    """A subsidiary (division, branch) of `parent`, billed on the network's plan, as
    `orgs.services.organization_create_child` makes one."""
    fields.setdefault("plan_tier", PlanTier.ENTERPRISE)
    fields.setdefault("billing_mode", BillingMode.INCLUDED)
    org = OrganizationFactory(**fields)
    OrganizationRelationship.objects.create(parent=parent, child=org, type=relationship_type)
    return org


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = Location

    code = factory.Sequence(lambda n: f"LOC-T{n:03d}")
    name = factory.Sequence(lambda n: f"Factory Warehouse {n}")
    operator = factory.SubFactory(OrganizationFactory)
    city = "Springfield"
    country = "US"


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Role.ORG_ADMIN


class PartnershipFactory(DjangoModelFactory):
    """An ACTIVE partnership: `network` (the relationship's parent) shares `shared_locations`
    with `partner` (the child), as an accepted invitation leaves it."""

    class Meta:
        model = Partnership
        skip_postgeneration_save = True

    class Params:
        network = factory.SubFactory(OrganizationFactory, root=True)
        partner = factory.SubFactory(OrganizationFactory)

    relationship = factory.LazyAttribute(
        lambda o: OrganizationRelationship.objects.create(
            parent=o.network, child=o.partner, type=RelationshipType.PARTNER
        )
    )
    role = PartnershipRole.THREE_PL
    status = PartnershipStatus.ACTIVE
    terms = "Net 30."
    started_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def shared_locations(obj: Partnership, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            obj.shared_locations.set(extracted)


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = Product

    owner = factory.SubFactory(OrganizationFactory, plan_tier=PlanTier.PRO)
    sku = factory.Sequence(lambda n: f"SKU-T{n:04d}")
    name = factory.Sequence(lambda n: f"Factory product {n}")
    price = Decimal("10.00")
    cost = Decimal("4.00")


class StockBalanceFactory(factory.Factory):
    """Stock on hand, posted through the ledger as an OPENING movement (the only way stock
    changes); returns the resulting balance. `owner` defaults to the product's owner."""

    class Meta:
        model = StockBalance

    product = factory.SubFactory(ProductFactory)
    location = factory.SubFactory(
        LocationFactory, operator=factory.SelfAttribute("..product.owner")
    )
    owner = factory.SelfAttribute("product.owner")
    quantity = Decimal("100")
    lot = ""
    expiry = None
    occurred_at = None  # when the opening stock arrived (default: now)

    @classmethod
    def _build(cls, model_class, *args: Any, **kwargs: Any):
        raise TypeError("Stock comes from ledger movements; use StockBalanceFactory(...) (create).")

    @classmethod
    def _create(cls, model_class, *args: Any, **kwargs: Any) -> StockBalance:
        from inventory.ledger import Posting, stock_post

        stock_post(
            scope=None,
            postings=[
                Posting(
                    owner_id=kwargs["owner"].pk,
                    product_id=kwargs["product"].pk,
                    location_id=kwargs["location"].pk,
                    quantity=Decimal(kwargs["quantity"]),
                    lot=kwargs["lot"],
                    expiry=kwargs["expiry"],
                )
            ],
            kind=MovementKind.OPENING,
            idempotency_key=f"factory-opening:{uuid.uuid4()}",
            occurred_at=kwargs["occurred_at"],
        )
        return model_class.objects.get(
            owner=kwargs["owner"],
            product=kwargs["product"],
            location=kwargs["location"],
            lot=kwargs["lot"],
            expiry=kwargs["expiry"],
        )


class SubscriptionFactory(DjangoModelFactory):
    """A paid organization's Stripe subscription, ACTIVE, paid by the organization itself."""

    class Meta:
        model = Subscription

    organization = factory.SubFactory(OrganizationFactory, plan_tier=PlanTier.PRO)
    payer = factory.SelfAttribute("organization")
    plan = factory.SelfAttribute("organization.plan_tier")
    status = SubscriptionStatus.ACTIVE
    stripe_customer_id = factory.Sequence(lambda n: f"cus_factory_{n}")
    stripe_subscription_id = factory.Sequence(lambda n: f"sub_factory_{n}")


# --- people and scopes ------------------------------------------------------------------------


def admin_of(org: Organization, *, role: str = Role.ORG_ADMIN, **user_fields: Any):
    """A new user who is `role` (admin by default) of `org`."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, organization=org, role=role)
    return user


def member_of(org: Organization, *, locations: Sequence[Location] = (), **user_fields: Any):
    """A new MEMBER of `org`, with the right to work at `locations` (django-guardian)."""
    from guardian.shortcuts import assign_perm

    user = admin_of(org, role=Role.MEMBER, **user_fields)
    for location in locations:
        assign_perm("orgs.operate_location", user, location)
    return user


def scope_of_user(user, org: Organization | None = None):
    """The Scope the middleware builds for `user` (in `org`, else their first organization)."""
    from orgs.access import scope_for_user

    return scope_for_user(user, str(org.public_id) if org else None)


def logged_in(client, user):
    """The test client, logged in as `user`."""
    client.force_login(user)
    return client


# --- documents made through their services ------------------------------------------------------


def admin_scope(org: Organization):
    """An admin scope of `org` with no user: what a system job or a fixture acts as."""
    from orgs.access import scope_for_org_as_role

    return scope_for_org_as_role(org)


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: Decimal | int | str
    lot: str = ""


def shipment(
    *,
    origin: Location,
    destination: Location,
    lines: Sequence[Line],
    status: str = "IN_TRANSIT",
    scope=None,
    stock: bool = True,
    cartons: int = 1,
):
    """A shipment of the lines' owner from `origin` to `destination`, made by that owner's
    admin through the services. `status` DRAFT, BOOKED or IN_TRANSIT (which also creates the
    ASN); with `stock`, the stock to ship is posted at the origin first."""
    from shipments.services import shipments as services

    owner = lines[0].product.owner
    scope = scope or admin_scope(owner)
    if stock:
        for line in lines:
            StockBalanceFactory(
                product=line.product,
                owner=owner,
                location=origin,
                quantity=Decimal(line.quantity),
                lot=line.lot,
            )
    made = services.shipment_create(
        scope=scope,
        origin=origin,
        destination=destination,
        lines=[
            services.LineInput(product=line.product, quantity=Decimal(line.quantity), lot=line.lot)
            for line in lines
        ],
        carrier="UPS",
    )
    if status in ("BOOKED", "IN_TRANSIT"):
        services.shipment_book(scope=scope, shipment=made)
    if status == "IN_TRANSIT":
        services.shipment_ship(scope=scope, shipment=made, cartons=cartons)
    made.refresh_from_db()
    return made


def purchase_order(
    *,
    buyer: Organization,
    supplier: Organization,
    ship_to: Location,
    lines: Sequence[tuple[Product, Decimal | int | str, Decimal | int | str]],
    send: bool = False,
    scope=None,
):
    """A DRAFT (or, with `send`, SENT) purchase order from `buyer` to `supplier`; lines are
    (product, quantity, unit price). The buyer must already have `supplier` as a SUPPLIER
    partner (see `supplier_partnership`)."""
    from procurement import services

    scope = scope or admin_scope(buyer)
    po, _ = services.purchase_order_create(
        scope=scope,
        ship_to=ship_to,
        supplier_org=supplier,
        lines=[
            services.LineInput(product=p, quantity=Decimal(q), unit_price=Decimal(price))
            for p, q, price in lines
        ],
        request_key=f"factory-{uuid.uuid4().hex}",
    )
    if send:
        po = services.purchase_order_send(scope=scope, po=po, notify=False)
    return po


def supplier_partnership(buyer: Organization, supplier: Organization, **fields: Any):
    """`supplier` takes part in `buyer`'s network as its SUPPLIER (buyer is the network side)."""
    return PartnershipFactory(
        network=buyer, partner=supplier, role=PartnershipRole.SUPPLIER, **fields
    )


def invitation(
    *,
    inviter,
    network_org: Organization,
    email: str = "ops@invited.example",
    company_name: str = "Invited Co",
    role: str = PartnershipRole.THREE_PL,
    shared_locations: Sequence[Location] = (),
    **fields: Any,
) -> tuple[Invitation, str]:
    """An invitation sent by `inviter` (an admin of `network_org`) through the service, as
    the invite form sends it; returns (invitation, the token in the emailed link)."""
    from partnerships.services import invitations

    return invitations.invitation_create(
        scope=scope_of_user(inviter, network_org),
        network_org=network_org,
        company_name=company_name,
        email=email,
        relationship_type=fields.pop("relationship_type", RelationshipType.PARTNER),
        role=role,
        shared_locations=shared_locations,
        **fields,
    )


# --- a small network: what most multi-organization tests need -----------------------------------


@dataclass
class Network:
    """A network root with a distribution subsidiary (its admin, three internal sites, three
    products), a FREE 3PL partner sharing its two FBA sites with the subsidiary, a FREE retailer
    partner sharing its DC, a supplier in another network, and an unrelated network."""

    root: Organization
    super_admin: Any  # ORG_SUPER_ADMIN of the root
    dist: Organization
    admin: Any  # ORG_ADMIN of the subsidiary
    dallas: Location
    la: Location
    edison: Location
    serum: Product
    cream: Product
    sun: Product
    amazon: Organization  # the 3PL partner
    amazon_admin: Any
    fba: Location
    fba2: Location
    sephora: Organization  # the retailer partner
    sephora_admin: Any
    sephora_dc: Location
    other_root: Organization  # another network's root
    supplier: Organization  # a partner of another network (other_root)
    supplier_admin: Any
    stranger: Organization  # a network with no link to this one
    stranger_admin: Any
    stranger_loc: Location


def network() -> Network:
    """A fresh Network (see the class). Names and cities are distinct so a test can assert that
    a page or an email does not show them."""
    root = OrganizationFactory(root=True, name="Factory Holdings")
    dist = child_org(root, name="Factory Distribution LLC")
    dallas = LocationFactory(operator=dist, name="Dallas Distribution Center", city="Dallas")
    la = LocationFactory(operator=dist, name="Los Angeles DC", city="Los Angeles")
    edison = LocationFactory(operator=dist, name="Edison Warehouse", city="Edison")
    amazon = OrganizationFactory(name="Amazon Fulfillment Services LLC", org_type="THREE_PL")
    fba = LocationFactory(operator=amazon, name="FBA PHX5", city="Phoenix")
    fba2 = LocationFactory(operator=amazon, name="FBA MDW2", city="Joliet")
    PartnershipFactory(network=dist, partner=amazon, shared_locations=[fba, fba2])
    sephora = OrganizationFactory(name="Sephora Inc.", org_type="VMI_RETAILER")
    sephora_dc = LocationFactory(operator=sephora, name="Sephora DC", city="Olive Branch")
    PartnershipFactory(
        network=dist,
        partner=sephora,
        role=PartnershipRole.VMI_RETAILER,
        shared_locations=[sephora_dc],
    )
    other_root = OrganizationFactory(root=True, name="Other Holdings")
    supplier = OrganizationFactory(
        plan_tier=PlanTier.PRO, name="PackagePro Ltd", org_type="SUPPLIER"
    )
    supplier_partnership(other_root, supplier)
    stranger = OrganizationFactory(root=True, name="MedSupply Co")
    return Network(
        root=root,
        super_admin=admin_of(root, role=Role.ORG_SUPER_ADMIN),
        dist=dist,
        admin=admin_of(dist),
        dallas=dallas,
        la=la,
        edison=edison,
        serum=ProductFactory(owner=dist, sku="LB-SER-001", name="Serum", price=Decimal("58.00")),
        cream=ProductFactory(owner=dist, sku="LB-CRM-001", name="Cream", price=Decimal("42.00")),
        sun=ProductFactory(owner=dist, sku="LB-SUN-001", name="Sunscreen", price=Decimal("30.00")),
        amazon=amazon,
        amazon_admin=admin_of(amazon),
        fba=fba,
        fba2=fba2,
        sephora=sephora,
        sephora_admin=admin_of(sephora),
        sephora_dc=sephora_dc,
        other_root=other_root,
        supplier=supplier,
        supplier_admin=admin_of(supplier),
        stranger=stranger,
        stranger_admin=admin_of(stranger, role=Role.ORG_SUPER_ADMIN),
        stranger_loc=LocationFactory(operator=stranger, city="Columbus"),
    )


def party(owner: Organization, *, name: str = "Ulta Beauty Inc.", contacts: int = 2, **fields: Any):
    """An external party (no account) that `owner` manages, with `contacts` people on file."""
    from orgs.models import Party, PartyContact

    fields.setdefault("kind", OrgType.RETAILER)
    fields.setdefault("contact_name", "Vendor Operations")
    fields.setdefault("contact_email", "vendorops@ulta.example")
    made = Party.objects.create(owner=owner, name=name, **fields)
    for i in range(contacts):
        PartyContact.objects.create(party=made, name=f"Contact {i}", email=f"c{i}@ulta.example")
    return made
