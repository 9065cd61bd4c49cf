"""The audit log page (docs/security-audit.md): each organization's admins read what their
organizations did and what partners and the network root did to their data; nobody else does."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orgs.audit import action_label, object_type_label, subject_org_ids_of
from orgs.models import AuditEvent, AuditEventOrg
from rls.context import activate
from tests.personas import EMAILS as PERSONAS

pytestmark = pytest.mark.django_db

SUPER = "super@luxebond.example"
DIST = "admin@dist.luxebond.example"
MFG = "admin@mfg.luxebond.example"
MEMBER = "member@dist.luxebond.example"
AMAZON = "ops@amazon.example"
SEPHORA = "vmi@sephora.example"
VITASOURCE = "admin@vitasource.example"
URL = "/network/audit/"
PAGE_QUERIES = 15
EXPORT = "/network/audit/export/"


def _shipment(key):
    from shipments.models import Shipment

    return Shipment.objects.get(create_key=f"demo:{key}")


def _log(client, **params) -> str:
    """The listed events (the page below its filter form, whose options name every action)."""
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    page = response.content.decode()
    return page.split('data-testid="audit-filters"', 1)[1].split("</form>", 1)[1]


def _csv(client, **params) -> list[dict[str, str]]:
    response = client.get(EXPORT, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def amazon_receipt(login):
    """Amazon confirms the ASN of ORG-003's shipment into its FBA site: the goods post into
    ORG-003's stock (a receipt and a ledger batch)."""
    from shipments.models import ASN, ASNStatus

    asn = ASN.objects.get(shipment=_shipment("fba-in-1"))
    data = {"idempotency_key": f"k-{uuid.uuid4()}", "note": ""}
    for line in asn.lines.all():
        data |= {
            f"received_{line.pk}": str(line.expected_quantity),
            f"damaged_{line.pk}": "0",
            f"lot_{line.pk}": line.lot,
            f"reason_{line.pk}": "",
            f"note_{line.pk}": "",
        }
    response = login(AMAZON).post(f"/asns/{asn.public_id}/", data)
    assert response.status_code == 302
    asn.refresh_from_db()
    assert asn.status == ASNStatus.RECEIVED
    return asn


@pytest.fixture
def own_adjustment(demo, scope_of):
    """ORG-003 adjusts its own stock at Amazon's LOC-101: internal to ORG-003."""
    from inventory.models import StockBalance
    from inventory.services.operations import stock_adjust

    balance = StockBalance.objects.filter(
        owner__code="ORG-003", location__code="LOC-101", quantity__gt=2
    ).first()
    return stock_adjust(
        scope=scope_of(DIST),
        location=balance.location,
        product=balance.product,
        quantity=Decimal(-1),
        reason_code="DAMAGED",
        idempotency_key=f"adj-{uuid.uuid4()}",
        lot=balance.lot,
        expiry=balance.expiry,
        note="Audit-log test: crushed carton",
    )


@pytest.fixture
def vitasource_ack(login):
    """VitaSource, a supplier, acknowledges ORG-002's purchase order."""
    from procurement.models import POStatus, PurchaseOrder

    po = PurchaseOrder.objects.get(number="PO-000002")
    response = login(VITASOURCE).post(f"/purchase-orders/{po.public_id}/acknowledge/")
    assert response.status_code == 302
    po.refresh_from_db()
    assert po.status == POStatus.ACKNOWLEDGED
    return po


# --- what each side reads ---------------------------------------------------------------------


def test_org_003_sees_amazons_receipt_into_its_stock(amazon_receipt, login, demo):
    events = AuditEvent.objects.filter(acting_org=demo.org("ORG-101"), action="stock.receipt")
    assert demo.org("ORG-003").pk in events.get().subject_org_ids
    page = _log(login(DIST))
    assert "Confirmed a receipt" in page and "Received stock" in page
    assert amazon_receipt.number in page
    assert "Priya Natarajan" in page and "Amazon Fulfillment Services LLC" in page
    assert "Partner" in page
    # The object opens for the viewer: ORG-003 sees the ASN of its own shipment.
    assert f"/asns/{amazon_receipt.public_id}/" in page
    # Amazon's person is named; its email is Amazon's own business.
    assert "ops@amazon.example" not in page
    # The root administers ORG-003: it reads the receipt too.
    assert amazon_receipt.number in _log(login(SUPER, c=None))


def test_the_root_sees_a_partners_upgrade_billed_to_it(login, demo, scope_of):
    from billing.models import PlanChangeSource
    from billing.services.plans import organization_change_plan

    amazon = demo.org("ORG-101")
    organization_change_plan(
        scope=scope_of(AMAZON),
        org=amazon,
        plan="PRO",
        billing_mode="ADD_ON",
        source=PlanChangeSource.CHECKOUT,
    )
    event = AuditEvent.objects.filter(action="billing.plan_change", acting_org=amazon).latest(
        "created_at"
    )
    assert demo.org("ORG-001").pk in event.subject_org_ids
    page = _log(login(SUPER), action="billing.plan_change")
    assert "Changed the plan" in page and "Amazon Fulfillment Services LLC" in page
    assert "plan: FREE → PRO" in page
    # ORG-003's admin does not administer the bill: not in its log.
    assert "Changed the plan" not in _log(login(DIST), action="billing.plan_change")


def test_the_buyer_sees_its_suppliers_acknowledgement(vitasource_ack, login):
    page = _log(login(MFG))
    assert "Acknowledged a purchase order" in page
    assert vitasource_ack.number in page and "VitaSource Ltd" in page
    assert "status: SENT → ACKNOWLEDGED" in page
    assert f"/purchase-orders/{vitasource_ack.public_id}/" in page
    assert "Acknowledged a purchase order" in _log(login(SUPER, c=None))


def test_amazon_sees_neither_org_003s_internal_events_nor_another_partners(
    amazon_receipt, own_adjustment, vitasource_ack, login, scope_of
):
    rows = AuditEvent.objects.visible_to(scope_of(AMAZON))
    actions = set(rows.values_list("action", flat=True))
    assert "stock.adjustment" not in actions  # ORG-003's own, at Amazon's site
    assert "purchase_order.acknowledge" not in actions  # VitaSource and ORG-002's
    assert {"asn.confirm_receipt", "stock.receipt"} <= actions  # its own actions
    page = _log(login(AMAZON))
    assert "Adjusted stock" not in page and "crushed carton" not in page
    assert vitasource_ack.number not in page
    # ORG-003 reads its adjustment; Sephora reads none of it.
    assert "Adjusted stock" in _log(login(DIST, c=None), action="stock.adjustment")
    sephora = _log(login(SEPHORA, c=None))
    assert amazon_receipt.number not in sephora and "Adjusted stock" not in sephora


def test_a_receiving_partner_never_reads_the_senders_internal_origin(login, demo, scope_of):
    """ORG-003 creates a shipment from Dallas to Amazon's FBA site: Amazon, the receiver, reads
    the event; the origin (an internal location) is shown only to ORG-003."""
    from orgs.audit import audit

    shipment = _shipment("fba-in-1")
    audit(
        scope=scope_of(DIST),
        action="shipment.create",
        target=shipment,
        after={"lines": 2, "origin": "LOC-001"},
    )
    amazon = _log(login(AMAZON), action="shipment.create")
    assert shipment.number in amazon and "LOC-001" not in amazon and "lines: 2" in amazon
    assert "origin: LOC-001" in _log(login(DIST, c=None), action="shipment.create")


def test_the_roots_action_on_a_subsidiary_is_labelled_as_the_network_root(login, demo, scope_of):
    from orgs.audit import audit

    audit(
        scope=scope_of(SUPER),
        action="organization.update",
        target=demo.org("ORG-003"),
        before={"name": "LUXE BOND Distribution LLC"},
        after={"name": "LUXE BOND Distribution"},
    )
    page = _log(login(DIST), action="organization.update")
    assert "Changed organization settings" in page and "Sofia Laurent" in page
    assert "Network root" in page
    assert "name: LUXE BOND Distribution LLC → LUXE BOND Distribution" in page
    assert "super@luxebond.example" not in page  # another organization's person: by name


def test_rls_alone_shows_the_same_events(amazon_receipt, own_adjustment, scope_of):
    for email in (DIST, AMAZON, MFG):
        scope = scope_of(email)
        allowed = set(AuditEvent.objects.visible_to(scope).values_list("pk", flat=True))
        with activate(scope):
            rows = set(AuditEvent.objects.values_list("pk", flat=True))
        assert rows == allowed and rows


# --- who may open it --------------------------------------------------------------------------


@pytest.mark.parametrize("email", PERSONAS)
def test_every_admin_opens_its_audit_log_and_a_member_gets_403(login, email):
    expected = 403 if email == MEMBER else 200
    client = login(email)
    assert client.get(URL).status_code == expected
    assert client.get(EXPORT).status_code == expected


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_members_card_links_the_audit_log(login, demo):
    org = demo.org("ORG-003")
    page = login(DIST).get(f"/network/orgs/{org.public_id}/").content.decode()
    assert 'data-testid="audit-log-link"' in page and URL in page


# --- filters, CSV, empty state ----------------------------------------------------------------


def test_filters_by_actor_object_action_dates_and_text(amazon_receipt, own_adjustment, login, demo):
    client = login(DIST)
    by_amazon = _log(client, actor="amazon")
    assert amazon_receipt.number in by_amazon and "Adjusted stock" not in by_amazon
    by_partners = _log(client, side="others")
    assert "Confirmed a receipt" in by_partners and "Adjusted stock" not in by_partners
    ours = _log(client, side="ours", action="stock.adjustment")
    assert "Adjusted stock" in ours and "Confirmed a receipt" not in ours
    asns = _log(client, type="shipments.asn")
    assert "Confirmed a receipt" in asns and "Received stock" not in asns
    assert amazon_receipt.number in _log(client, q=amazon_receipt.number.lower())
    today = timezone.localdate()
    assert amazon_receipt.number in _log(client, start=today.isoformat(), end=today.isoformat())
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    empty = _log(client, start=tomorrow)
    assert "No events match these filters." in empty and amazon_receipt.number not in empty


@pytest.mark.parametrize(
    "params,message",
    [
        ({"start": "2026-13-45"}, "From: Enter a valid date."),
        ({"start": "2026-05-02", "end": "2026-05-01"}, "before the start date"),
        ({"type": "nope.nothing"}, "Select a valid choice."),
        ({"q": "a\x00b"}, ""),  # refused before the view (betterdata.middleware)
    ],
)
def test_bad_filters_answer_400_with_a_message(login, params, message):
    client = login(DIST)
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert client.get(EXPORT, params).status_code == 400


def test_csv_export_follows_the_filters(amazon_receipt, own_adjustment, login):
    client = login(DIST)
    rows = _csv(client, actor="amazon")
    assert rows and {r["side"] for r in rows} == {"partner"}
    assert {r["action_code"] for r in rows} >= {"asn.confirm_receipt", "stock.receipt"}
    receipt = next(r for r in rows if r["action_code"] == "asn.confirm_receipt")
    assert receipt["object"] == amazon_receipt.number
    assert receipt["organization"].endswith("Amazon Fulfillment Services LLC")
    assert receipt["action"] == "Confirmed a receipt"
    own = _csv(client, action="stock.adjustment", side="ours")
    assert own and all(r["side"] == "yours" for r in own)
    assert any("crushed carton" in r["changes"] for r in own)
    assert own[0]["person_email"] == DIST  # newest first; a colleague's email is shown
    assert not _csv(login(AMAZON, c=None), action="stock.adjustment")


def test_csv_export_neutralises_formulas(login, demo, scope_of):
    """A partner that names itself `=2+3 Partner Co` and an object named like a formula reach
    the audit CSV as text (core.exports.csv_response)."""
    from orgs.audit import audit

    amazon = demo.org("ORG-101")
    amazon.name = "=2+3 Partner Co"
    amazon.save(update_fields=["name"])
    shipment = _shipment("fba-in-1")
    shipment.number = "@SUM(A1)"
    audit(scope=scope_of(AMAZON), action="shipment.receive", target=shipment)
    rows = _csv(login(DIST), actor="amazon")
    row = next(r for r in rows if r["action_code"] == "shipment.receive")
    assert row["object"] == "'@SUM(A1)"
    assert row["organization"].startswith("ORG-101 =2+3")  # not a leading formula character


def test_empty_state(login, demo):
    from django.contrib.auth import get_user_model

    from orgs.models import Membership, Organization

    org = Organization.objects.create(code="ORG-950", name="Quiet Co")
    user = get_user_model().objects.create_user(email="quiet@example.com", password="x" * 12)
    Membership.objects.create(user=user, organization=org, role="ORG_ADMIN")
    page = _log(login("quiet@example.com"))
    assert "Nothing has been recorded yet." in page


# --- cost -------------------------------------------------------------------------------------


def _events_touching_org_003(demo, n: int) -> None:
    """n events by Amazon on documents of ORG-003 (ASNs, shipments, stock), linkable."""
    from shipments.models import ASN

    org_003, amazon = demo.org("ORG-003"), demo.org("ORG-101")
    user = demo.user(AMAZON)
    asns = list(ASN.objects.filter(shipment__owner=org_003)[:5])
    shipments = [a.shipment for a in asns]
    events = AuditEvent.objects.bulk_create(
        AuditEvent(
            actor=user,
            acting_org=amazon,
            action="asn.confirm_receipt" if i % 2 else "shipment.deliver",
            target_type="shipments.asn" if i % 2 else "shipments.shipment",
            target_id=str((asns if i % 2 else shipments)[i % len(asns)].public_id),
            target_repr=f"doc {i}",
            after={"lines": i},
            subject_org_ids=[org_003.pk],
        )
        for i in range(n)
    )
    AuditEventOrg.objects.bulk_create(
        AuditEventOrg(event=e, organization=org) for e in events for org in (org_003, amazon)
    )


def test_the_page_costs_the_same_queries_for_10_or_50_rows(
    login, demo, django_assert_max_num_queries
):
    client = login(DIST)

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
            assert response.status_code == 200
            if response.streaming:
                assert len(list(response.streaming_content)) > 10
        return len(ctx.captured_queries)

    _events_touching_org_003(demo, 10)
    small = {url: count(url) for url in (URL, EXPORT)}
    _events_touching_org_003(demo, 60)
    large = {url: count(url) for url in (URL, EXPORT)}
    assert large == small, (small, large)
    # Session, user, scope, two-factor, the bell; the count, the rows, a look-up per linked kind.
    with django_assert_max_num_queries(PAGE_QUERIES):
        client.get(URL, {"page": "2"})
    with django_assert_max_num_queries(small[EXPORT]):
        b"".join(client.get(EXPORT).streaming_content)


# --- the rules underneath ---------------------------------------------------------------------


def test_a_draft_purchase_order_touches_only_the_buyer(demo):
    from procurement.models import PurchaseOrder

    po = PurchaseOrder.objects.get(number="PO-000002")
    buyer, supplier = po.buyer_id, po.supplier_org_id
    assert subject_org_ids_of(po) == sorted({buyer, supplier})
    po.sent_at = None
    assert subject_org_ids_of(po) == [buyer]


def test_a_partnership_touches_both_sides_and_extra_subjects_are_added(demo):
    from partnerships.models import Partnership

    partnership = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-101"
    )
    both = sorted([demo.org("ORG-003").pk, demo.org("ORG-101").pk])
    assert subject_org_ids_of(partnership) == both
    root = demo.org("ORG-001")
    assert subject_org_ids_of(partnership, extra=[root, None]) == sorted([*both, root.pk])


def test_actions_and_objects_read_as_words():
    assert action_label("purchase_order.acknowledge") == "Acknowledged a purchase order"
    assert action_label("widget.frobnicate_all") == "Widget frobnicate all"
    assert object_type_label("shipments.discrepancycase") == "Discrepancy case"
    assert object_type_label("things.gizmo") == "Gizmo"


def test_the_backfill_fills_events_recorded_before_subjects(amazon_receipt, vitasource_ack, demo):
    migration = importlib.import_module("orgs.migrations.0007_auditevent_subjects_backfill")
    touched = AuditEvent.objects.filter(
        action__in=["asn.confirm_receipt", "stock.receipt", "purchase_order.acknowledge"]
    )
    readers = AuditEventOrg.objects.filter(event__in=touched)

    def state():
        return (
            {e.pk: e.subject_org_ids for e in touched},
            set(readers.values_list("event_id", "organization_id")),
        )

    expected = state()
    assert all(expected[0].values()) and expected[1]
    touched.update(subject_org_ids=[])
    readers.delete()
    migration.forwards(django_apps, SimpleNamespace(connection=connection))
    assert state() == expected
