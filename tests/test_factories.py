"""The factories make rows the app itself would accept: scopes see them as the app would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.models import StockMovement
from orgs.models import Location, Organization

from .factories import (
    Line,
    LocationFactory,
    OrganizationFactory,
    PartnershipFactory,
    ProductFactory,
    StockBalanceFactory,
    SubscriptionFactory,
    admin_of,
    child_org,
    invitation,
    member_of,
    purchase_order,
    scope_of_user,
    shipment,
    supplier_partnership,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("plan", ["FREE", "PRO", "ENTERPRISE"])
def test_organization_tier_follows_plan(plan):
    org = OrganizationFactory(plan_tier=plan)
    assert org.partnership_tier == {"FREE": "PARTNER_ONLY", "PRO": "BASIC"}.get(plan, "FULL")


def test_network_admin_sees_subsidiary_and_partner_sees_only_shared_location():
    root = OrganizationFactory(root=True)
    dist = child_org(root)
    shared, internal = LocationFactory(operator=dist), LocationFactory(operator=dist)
    partner = OrganizationFactory()
    PartnershipFactory(network=dist, partner=partner, shared_locations=[shared])
    root_scope = scope_of_user(admin_of(root))
    assert {dist.pk, root.pk} <= set(
        Organization.objects.visible_to(root_scope).values_list("pk", flat=True)
    )
    partner_scope = scope_of_user(admin_of(partner))
    assert set(Location.objects.visible_to(partner_scope)) == {shared}
    assert internal not in Location.objects.visible_to(partner_scope)
    assert dist.pk in partner_scope.partner_org_ids


def test_member_sees_only_granted_locations():
    org = OrganizationFactory(plan_tier="ENTERPRISE")
    granted, other = LocationFactory(operator=org), LocationFactory(operator=org)
    scope = scope_of_user(member_of(org, locations=[granted]))
    assert set(Location.objects.visible_to(scope)) == {granted}
    assert other.pk not in scope.location_ids


def test_stock_comes_from_one_ledger_movement():
    balance = StockBalanceFactory(quantity=40, lot="L1")
    assert balance.quantity == Decimal(40) and balance.owner_id == balance.product.owner_id
    assert StockMovement.objects.get(product=balance.product).quantity == Decimal(40)


def test_shipment_in_transit_has_its_asn_and_left_the_origin():
    owner = OrganizationFactory(plan_tier="ENTERPRISE")
    origin, destination = LocationFactory(operator=owner), LocationFactory(operator=owner)
    product = ProductFactory(owner=owner)
    made = shipment(origin=origin, destination=destination, lines=[Line(product, 10, "L1")])
    assert made.status == "IN_TRANSIT" and made.asn.lines.get().expected_quantity == 10
    assert product.balances.get(location=origin).quantity == 0


def test_purchase_order_goes_to_a_supplier_partner():
    buyer = OrganizationFactory(plan_tier="ENTERPRISE")
    supplier = OrganizationFactory(plan_tier="PRO")
    supplier_partnership(buyer, supplier)
    po = purchase_order(
        buyer=buyer,
        supplier=supplier,
        ship_to=LocationFactory(operator=buyer),
        lines=[(ProductFactory(owner=buyer), 5, "2.50")],
        send=True,
    )
    assert po.status == "SENT" and po.number == "PO-000001"


def test_invitation_is_sent_by_email(mailoutbox, django_capture_on_commit_callbacks):
    network = OrganizationFactory(root=True)
    with django_capture_on_commit_callbacks(execute=True):
        invite, token = invitation(inviter=admin_of(network), network_org=network)
    assert invite.status == "PENDING" and token
    assert mailoutbox and mailoutbox[-1].to == ["ops@invited.example"]


def test_subscription_pays_for_its_own_plan():
    sub = SubscriptionFactory()
    assert sub.plan == "PRO" and sub.payer_id == sub.organization_id
