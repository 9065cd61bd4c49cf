"""The write policy as a table: for every Action, a representative object and every demo
persona, `can()` equals the matrix written out here; the matching HTTP endpoints agree (the
allowed personas succeed, the others get 403/404 and nothing changes)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from orgs.policy import POLICY, Action, can
from tests.personas import EMAILS as PERSONAS

from ._policy_objects import OBJECTS

pytestmark = pytest.mark.django_db

SUPER = "super@luxebond.example"
DIST = "admin@dist.luxebond.example"
MFG = "admin@mfg.luxebond.example"
MEMBER = "member@dist.luxebond.example"
AMAZON = "ops@amazon.example"
SEPHORA = "vmi@sephora.example"
PACKAGEPRO = "admin@packagepro.example"
VITASOURCE = "admin@vitasource.example"
SALONLUXE = "admin@salonluxe.example"
MEDSUPPLY = "admin@medsupply.example"
ADMINS = {SUPER, DIST, MFG, AMAZON, SEPHORA, PACKAGEPRO, VITASOURCE, SALONLUXE, MEDSUPPLY}
OWNERS_OF_ORG_003 = {SUPER, DIST}  # LUXE BOND's root super admin and ORG-003's admin

# Who may do each action on its representative object (tests/orgs/_policy_objects.py).
# ORG-003's stock at Amazon's LOC-101 is written only by its owner: Amazon, which operates the
# location, is in no stock row; it appears only where it is a party (receiver, partner side).
EXPECTED: dict[Action, set[str]] = {
    Action.PRODUCT_CREATE: {SUPER, DIST, MFG, PACKAGEPRO, SALONLUXE, MEDSUPPLY},
    Action.PRODUCT_EDIT: OWNERS_OF_ORG_003,
    Action.LOCATION_CREATE: OWNERS_OF_ORG_003,
    Action.LOCATION_EDIT: OWNERS_OF_ORG_003,
    Action.STOCK_ADJUST: OWNERS_OF_ORG_003,
    Action.STOCK_COUNT_CREATE: OWNERS_OF_ORG_003,
    Action.STOCK_COUNT_EDIT: OWNERS_OF_ORG_003,
    Action.STOCK_COUNT_POST: OWNERS_OF_ORG_003,
    Action.TRANSFER_CREATE: OWNERS_OF_ORG_003 | {MEMBER},  # at LOC-001, the member's grant
    Action.TRANSFER_RECEIVE: OWNERS_OF_ORG_003,
    Action.SHIPMENT_CREATE: OWNERS_OF_ORG_003 | {MEMBER},
    Action.SHIPMENT_BOOK: OWNERS_OF_ORG_003,
    Action.SHIPMENT_SHIP: OWNERS_OF_ORG_003,
    Action.SHIPMENT_CANCEL: OWNERS_OF_ORG_003,
    Action.SHIPMENT_DELIVER: OWNERS_OF_ORG_003,
    Action.SHIPMENT_RECEIVE: {AMAZON},
    Action.ASN_CONFIRM_RECEIPT: {AMAZON},
    Action.DISCREPANCY_MESSAGE: OWNERS_OF_ORG_003 | {MEMBER, AMAZON},
    Action.DISCREPANCY_DISPUTE: OWNERS_OF_ORG_003 | {MEMBER, AMAZON},
    Action.DISCREPANCY_RESOLVE: OWNERS_OF_ORG_003 | {MEMBER, AMAZON},
    Action.DISCREPANCY_ACCEPT_SHORTAGE: OWNERS_OF_ORG_003 | {MEMBER},
    Action.DISCREPANCY_REPORT_FOUND: {AMAZON},
    Action.PO_CREATE: {SUPER, DIST, MFG, MEMBER, PACKAGEPRO, SALONLUXE, MEDSUPPLY},
    Action.PO_SEND: {SUPER, MFG},
    Action.PO_CANCEL: {SUPER, MFG},
    Action.PO_CLOSE: {SUPER, MFG},
    Action.PO_ACKNOWLEDGE: {VITASOURCE},
    Action.PARTNERSHIP_EDIT_TERMS: OWNERS_OF_ORG_003,
    Action.PARTNERSHIP_END: OWNERS_OF_ORG_003 | {AMAZON},
    Action.PARTNERSHIP_PREVIEW: OWNERS_OF_ORG_003,
    Action.PARTNERSHIP_MESSAGE: OWNERS_OF_ORG_003 | {MEMBER, AMAZON},
    Action.INVITATION_SEND: OWNERS_OF_ORG_003,
    Action.INVITATION_MANAGE: OWNERS_OF_ORG_003,
    Action.PARTY_CREATE: OWNERS_OF_ORG_003,
    Action.PARTY_EDIT: OWNERS_OF_ORG_003,
    Action.ORGANIZATION_LINK: OWNERS_OF_ORG_003,
    Action.ORGANIZATION_REQUIRE_TWO_FACTOR: OWNERS_OF_ORG_003,
    Action.NETWORK_REQUIRE_TWO_FACTOR: {SUPER},  # on the network root, ORG-001
    Action.ORGANIZATION_EDIT: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_INVITE: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_INVITATION_MANAGE: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_GRANT_SUPER_ADMIN: {SUPER},
    Action.MEMBERSHIP_CHANGE_ROLE: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_DEACTIVATE: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_REACTIVATE: OWNERS_OF_ORG_003,
    Action.MEMBERSHIP_SET_LOCATIONS: OWNERS_OF_ORG_003,
    Action.ORGANIZATION_CHANGE_PLAN: ADMINS,
    Action.ORGANIZATION_SET_BILLING_MODE: {SUPER},
    Action.API_TOKEN_CREATE: {SUPER, DIST, MFG, MEDSUPPLY},
    Action.API_TOKEN_REVOKE: ADMINS,
    Action.NOTIFICATION_PREFERENCES_SET: set(PERSONAS),
    Action.AUDIT_LOG_VIEW: ADMINS,
}


def test_the_table_and_the_matrix_cover_every_action():
    assert set(POLICY) == set(Action) == set(EXPECTED) == set(OBJECTS)


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_can_matches_the_matrix(action, scope_of):
    obj = OBJECTS[action]()
    allowed = {email for email in PERSONAS if can(scope_of(email), action, obj)}
    assert allowed == EXPECTED[action]


@pytest.mark.parametrize("action", list(Action), ids=str)
def test_a_read_only_preview_can_do_nothing(action, scope_of):
    from dataclasses import replace

    obj = OBJECTS[action]()
    for email in EXPECTED[action]:
        assert not can(replace(scope_of(email), read_only=True), action, obj)


# --- The HTTP endpoints agree ----------------------------------------------------------------


def _refused(status: int) -> bool:
    return status in (403, 404)


@pytest.fixture
def owners_count(demo, scope_of):
    from inventory.services import counts

    return counts.count_create(scope=scope_of(DIST), location=demo.loc("LOC-101"))


@pytest.fixture
def owners_transfer(demo, scope_of):
    from inventory.models import StockBalance
    from inventory.services import operations

    balance = StockBalance.objects.filter(  # unscoped: a lot the owner holds there
        owner__code="ORG-003", location__code="LOC-101", quantity__gt=5
    ).first()
    return operations.transfer_create(
        scope=scope_of(DIST),
        from_location=demo.loc("LOC-101"),
        to_location=demo.loc("LOC-102"),
        lines=[(balance.product, Decimal(5))],
        idempotency_key=f"test-transfer:{uuid.uuid4()}",
    )


@pytest.mark.parametrize("email", PERSONAS)
def test_posting_a_count_over_http_follows_the_policy(email, login, owners_count):
    from inventory.models import CountStatus

    count = owners_count
    data = {f"line-{line.pk}": str(line.expected) for line in count.lines.all()}
    r = login(email).post(f"/inventory/counts/{count.public_id}/", data | {"action": "post"})
    count.refresh_from_db()
    if email in EXPECTED[Action.STOCK_COUNT_POST]:
        assert r.status_code == 302 and count.status == CountStatus.POSTED
    else:
        assert _refused(r.status_code) and count.status == CountStatus.OPEN


@pytest.mark.parametrize("email", PERSONAS)
def test_receiving_a_transfer_over_http_follows_the_policy(email, login, owners_transfer):
    from inventory.models import TransferStatus

    transfer = owners_transfer
    r = login(email).post(f"/inventory/transfers/{transfer.public_id}/")
    transfer.refresh_from_db()
    if email in EXPECTED[Action.TRANSFER_RECEIVE]:
        assert r.status_code == 302 and transfer.status == TransferStatus.RECEIVED
    else:
        assert _refused(r.status_code) and transfer.status == TransferStatus.IN_TRANSIT


@pytest.mark.parametrize("email", PERSONAS)
def test_confirming_a_receipt_over_http_follows_the_policy(email, login):
    from shipments.models import ASN, ASNStatus

    asn = OBJECTS[Action.ASN_CONFIRM_RECEIPT]()
    data = {"idempotency_key": "k-matrix", "note": ""}
    for line in asn.lines.all():
        data |= {
            f"received_{line.pk}": str(line.expected_quantity),
            f"damaged_{line.pk}": "0",
            f"lot_{line.pk}": line.lot,
            f"reason_{line.pk}": "",
            f"note_{line.pk}": "",
        }
    r = login(email).post(f"/asns/{asn.public_id}/", data)
    asn = ASN.objects.get(pk=asn.pk)
    if email in EXPECTED[Action.ASN_CONFIRM_RECEIPT]:
        assert r.status_code == 302 and asn.status == ASNStatus.RECEIVED
    else:
        assert _refused(r.status_code) and asn.status == ASNStatus.AWAITING


@pytest.mark.parametrize("email", PERSONAS)
def test_acknowledging_a_purchase_order_over_http_follows_the_policy(email, login):
    from procurement.models import POStatus

    po = OBJECTS[Action.PO_ACKNOWLEDGE]()
    r = login(email).post(f"/purchase-orders/{po.public_id}/acknowledge/")
    po.refresh_from_db()
    if email in EXPECTED[Action.PO_ACKNOWLEDGE]:
        assert r.status_code == 302 and po.status == POStatus.ACKNOWLEDGED
    else:
        assert _refused(r.status_code) and po.status == POStatus.SENT


@pytest.mark.parametrize("email", PERSONAS)
def test_ending_a_partnership_over_http_follows_the_policy(email, login):
    from partnerships.models import PartnershipStatus

    partnership = OBJECTS[Action.PARTNERSHIP_END]()
    r = login(email).post(f"/partnerships/{partnership.public_id}/end/")
    partnership.refresh_from_db()
    if email in EXPECTED[Action.PARTNERSHIP_END]:
        assert r.status_code == 302 and partnership.status == PartnershipStatus.ENDED
    else:
        assert _refused(r.status_code) and partnership.status == PartnershipStatus.ACTIVE


@pytest.mark.parametrize("email", PERSONAS)
def test_setting_a_billing_mode_over_http_follows_the_policy(email, login, demo):
    amazon = OBJECTS[Action.ORGANIZATION_SET_BILLING_MODE]()
    before = amazon.billing_mode
    r = login(email).post(
        f"/billing/orgs/{amazon.public_id}/mode/", {"billing_mode": "ADD_ON", "confirm": "1"}
    )
    amazon.refresh_from_db()
    if email in EXPECTED[Action.ORGANIZATION_SET_BILLING_MODE]:
        assert r.status_code in (200, 302) and amazon.billing_mode == "ADD_ON"
    else:
        assert _refused(r.status_code) and amazon.billing_mode == before
