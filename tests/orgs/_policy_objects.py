"""Representative objects per Action for the write-policy matrix (tests/orgs/test_policy.py)."""

from __future__ import annotations

from orgs.policy import Action, StockAt


def _org(code):
    from orgs.models import Organization

    return Organization.objects.get(code=code)


def _loc(code):
    from orgs.models import Location

    return Location.objects.get(code=code)


def _shipment(key):
    from shipments.models import Shipment

    return Shipment.objects.get(create_key=f"demo:{key}")


def _product():
    from inventory.models import Product

    return Product.objects.get(owner__code="ORG-003", sku="LB-SER-001")


def _count():
    # ORG-003's own stock take at Amazon's LOC-101 (the finding's object).
    from inventory.models import StockCount

    return StockCount(owner=_org("ORG-003"), location=_loc("LOC-101"))


def _transfer():
    from inventory.models import Transfer

    return Transfer(
        owner=_org("ORG-003"), from_location=_loc("LOC-101"), to_location=_loc("LOC-102")
    )


def _case():
    from shipments.models import DiscrepancyCase

    return DiscrepancyCase(shipment=_shipment("fba-in-1"))


def _asn():
    from shipments.models import ASN

    return ASN.objects.get(shipment=_shipment("fba-in-1"))


def _po():
    from procurement.models import PurchaseOrder

    return PurchaseOrder.objects.get(number="PO-000002")  # ORG-002 buys from VitaSource


def _amazon_partnership():
    from partnerships.models import Partnership

    return Partnership.objects.select_related("relationship").get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-101"
    )


def _invitation():
    from partnerships.models import Invitation

    return Invitation(inviting_org=_org("ORG-003"))


def _membership_invitation():
    from orgs.models import MembershipInvitation

    return MembershipInvitation(organization=_org("ORG-003"), role="MEMBER")


def _party():
    from orgs.models import Party

    return Party.objects.get(name="Ulta Beauty Inc.")


def _membership():
    from orgs.models import Membership

    return Membership.objects.get(
        user__email="member@dist.luxebond.example", organization__code="ORG-003"
    )


def _stock(owner, location):
    return lambda: StockAt(_org(owner).pk, _loc(location).pk)


OBJECTS = {
    Action.PRODUCT_CREATE: lambda: None,
    Action.PRODUCT_EDIT: _product,
    Action.LOCATION_CREATE: lambda: _org("ORG-003"),
    # LOC-101 is Amazon's; LOC-001 is ORG-003's own warehouse.
    Action.LOCATION_EDIT: lambda: _loc("LOC-001"),
    # ORG-003's stock at LOC-101, operated by Amazon: only the owner may touch it.
    Action.STOCK_ADJUST: _stock("ORG-003", "LOC-101"),
    Action.STOCK_COUNT_CREATE: _stock("ORG-003", "LOC-101"),
    Action.STOCK_COUNT_EDIT: _count,
    Action.STOCK_COUNT_POST: _count,
    Action.TRANSFER_CREATE: _stock("ORG-003", "LOC-001"),
    Action.TRANSFER_RECEIVE: _transfer,
    Action.SHIPMENT_CREATE: _stock("ORG-003", "LOC-001"),
    Action.SHIPMENT_BOOK: lambda: _shipment("fba-in-draft"),
    Action.SHIPMENT_SHIP: lambda: _shipment("fba-in-draft"),
    Action.SHIPMENT_CANCEL: lambda: _shipment("fba-in-draft"),
    Action.SHIPMENT_DELIVER: lambda: _shipment("ulta-1"),
    Action.SHIPMENT_RECEIVE: lambda: _shipment("fba-in-1"),
    Action.ASN_CONFIRM_RECEIPT: _asn,
    Action.DISCREPANCY_MESSAGE: _case,
    Action.DISCREPANCY_DISPUTE: _case,
    Action.DISCREPANCY_RESOLVE: _case,
    Action.DISCREPANCY_ACCEPT_SHORTAGE: _case,
    Action.DISCREPANCY_REPORT_FOUND: _case,
    Action.PO_CREATE: lambda: None,
    Action.PO_SEND: _po,
    Action.PO_CANCEL: _po,
    Action.PO_CLOSE: _po,
    Action.PO_ACKNOWLEDGE: _po,
    Action.PARTNERSHIP_EDIT_TERMS: _amazon_partnership,
    Action.PARTNERSHIP_END: _amazon_partnership,
    Action.PARTNERSHIP_PREVIEW: _amazon_partnership,
    Action.PARTNERSHIP_MESSAGE: _amazon_partnership,
    Action.INVITATION_SEND: lambda: _org("ORG-003"),
    Action.INVITATION_MANAGE: _invitation,
    Action.PARTY_CREATE: lambda: _org("ORG-003"),
    Action.PARTY_EDIT: _party,
    Action.ORGANIZATION_LINK: lambda: _org("ORG-003"),
    Action.ORGANIZATION_REQUIRE_TWO_FACTOR: lambda: _org("ORG-003"),
    Action.NETWORK_REQUIRE_TWO_FACTOR: lambda: _org("ORG-001"),
    Action.ORGANIZATION_EDIT: lambda: _org("ORG-003"),
    Action.MEMBERSHIP_INVITE: lambda: _org("ORG-003"),
    Action.MEMBERSHIP_INVITATION_MANAGE: _membership_invitation,
    Action.MEMBERSHIP_GRANT_SUPER_ADMIN: lambda: _org("ORG-001"),
    Action.MEMBERSHIP_CHANGE_ROLE: _membership,
    Action.MEMBERSHIP_DEACTIVATE: _membership,
    Action.MEMBERSHIP_REACTIVATE: _membership,
    Action.MEMBERSHIP_SET_LOCATIONS: _membership,
    Action.ORGANIZATION_CHANGE_PLAN: lambda: None,
    Action.ORGANIZATION_SET_BILLING_MODE: lambda: _org("ORG-101"),
    Action.API_TOKEN_CREATE: lambda: None,
    Action.API_TOKEN_REVOKE: lambda: None,
    Action.NOTIFICATION_PREFERENCES_SET: lambda: None,
    Action.AUDIT_LOG_VIEW: lambda: None,
}
