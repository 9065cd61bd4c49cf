"""The adversarial isolation matrix.

Hypothesis generates whole networks (tests/isolation/generators.py); for every persona and
every page — list, detail, CSV, PDF, API, admin changelist and "view as partner" — the response
may contain no generated identifier that the visibility table (tests/isolation/oracle.py, an
independent reading of docs/visibility.md) keeps from that persona, and a detail page answers
200 exactly when the table lets the persona see the object (else 404). Every write endpoint and
admin form is then tried by every persona on every object: a write that changed anything must
have come from an actor the policy allows.

ISOLATION_EXAMPLES=<n> runs more networks (default keeps the run under three minutes on two
cores). The figures are printed at the end of the test (pytest -s shows them; they are also in
the terminal summary).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import time
import uuid
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, Phase, example, given, settings

from .generators import ANCHOR, build, networks
from .oracle import Facts, Viewer

pytestmark = pytest.mark.django_db

# Generated networks on top of the fixed ANCHOR network (about a minute each on two cores).
EXAMPLES = int(os.environ.get("ISOLATION_EXAMPLES", "1"))
STATS: Counter = Counter()
TIMES: Counter = Counter()
MAX_REPORTED = 60

LIST_PAGES = [
    "/dashboard/",
    "/shipments/",
    "/asns/?tab=all",
    "/asns/cases/",
    "/asns/receipts/",
    "/asns/receipts/?format=csv",
    "/asns/storage-fees/?format=csv",
    "/inventory/",
    "/inventory/?format=csv",
    "/inventory/locations/",
    "/inventory/products/",
    "/inventory/expiring/?days=3650",
    "/inventory/expiring/?days=3650&format=csv",
    "/inventory/movements/",
    "/inventory/transfers/",
    "/inventory/counts/",
    "/inventory/reports/snapshot/",
    "/inventory/reports/snapshot/?format=csv",
    "/inventory/reports/snapshot/?format=pdf",
    "/inventory/reports/valuation/?format=csv",
    "/inventory/adjust/",
    "/inventory/transfers/new/",
    "/inventory/counts/new/",
    "/shipments/new/",
    "/purchase-orders/",
    "/purchase-orders/new/",
    "/partnerships/",
    "/partnerships/parties/",
    "/locations/",
    "/network/",
    "/products/",
    "/notifications/",
]
ADMIN_CHANGELISTS = [
    "/admin/orgs/organization/",
    "/admin/orgs/organizationrelationship/",
    "/admin/orgs/location/",
    "/admin/orgs/membership/",
    "/admin/orgs/party/",
    "/admin/orgs/auditevent/",
    "/admin/partnerships/partnership/",
    "/admin/partnerships/invitation/",
    "/admin/partnerships/message/",
    "/admin/procurement/purchaseorder/",
    "/admin/shipments/shipment/",
    "/admin/shipments/asn/",
    "/admin/shipments/discrepancycase/",
    "/admin/api/apitoken/",
    "/admin/orgs/location/add/",
    "/admin/orgs/membership/add/",
    "/admin/orgs/party/add/",
    "/admin/orgs/organizationrelationship/add/",
]


SHIPMENT_MOVES = {
    "DRAFT": ("book", "cancel"),
    "BOOKED": ("ship", "cancel"),
    "IN_TRANSIT": ("receive",),
    "RECEIVED": (),
    "CANCELLED": (),
}
PO_STEPS = {
    "DRAFT": ("send", "cancel"),
    "SENT": ("acknowledge", "cancel"),
    "ACKNOWLEDGED": ("close", "cancel"),
    "CLOSED": (),
    "CANCELLED": (),
}


class _Rollback(Exception):
    """Raised at the end of each example so its rows vanish before the next one."""


# --- reading responses --------------------------------------------------------------------------


def _text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/pdf"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    return body.decode("utf-8", "replace")


def _leaks(text: str, forbidden: dict[str, str]) -> list[str]:
    found = []
    for token, what in forbidden.items():
        if token in text and re.search(rf"(?<![\w-]){re.escape(token)}(?![\w])", text):
            found.append(f"{what} ({token})")
    return found


class Matrix:
    def __init__(self, world, facts: Facts):
        self.w, self.f = world, facts
        self.tokens = facts.all_tokens()
        self.failures: list[str] = []

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def viewer(self, persona) -> Viewer:
        granted = frozenset(persona.locations) if persona.role == "MEMBER" else None
        return Viewer(persona.key, persona.user.pk, persona.org.pk, persona.role, granted)

    def client(self, persona) -> Client:
        c = Client(raise_request_exception=False)
        c.force_login(persona.user)
        return c

    # --- reads ----------------------------------------------------------------------------------

    def check_page(self, who: str, c: Client, url: str, allowed: set[str], **extra) -> int:
        started = time.monotonic()
        r = c.get(url, **extra)
        TIMES[re.sub(r"[0-9a-f-]{36}", "<id>", url)] += time.monotonic() - started
        STATS["read cells"] += 1
        if r.status_code >= 500:
            self.fail(f"{who}: GET {url} → {r.status_code}")
            return r.status_code
        if r.status_code == 200:
            forbidden = {t: w for t, w in self.tokens.items() if t not in allowed}
            for leak in _leaks(_text(r), forbidden):
                self.fail(f"{who}: GET {url} shows {leak}")
        return r.status_code

    def details(self, v: Viewer) -> list[tuple[str, bool, str]]:
        """(url, may see, what) for every generated object with a page of its own."""
        f = self.f
        out = []
        for s in f.shipments.values():
            out.append((f"/shipments/{s['public_id']}/", f.sees_shipment(v, s), s["number"]))
        for a in f.asns.values():
            out.append(
                (
                    f"/asns/{a['public_id']}/",
                    f.sees_shipment(v, f.shipments[a["shipment"]]),
                    a["number"],
                )
            )
        for c in f.cases.values():
            sees = f.sees_shipment(v, f.shipments[c["shipment"]])
            out.append((f"/asns/cases/{c['public_id']}/", sees, c["number"]))
            if c["credit_note"]:
                out.append(
                    (f"/asns/cases/{c['public_id']}/credit-note.pdf", sees, c["credit_note"])
                )
        for po in f.pos.values():
            out.append((f"/purchase-orders/{po['public_id']}/", f.sees_po(v, po), po["notes"]))
        for t in f.transfers.values():
            out.append(
                (f"/inventory/transfers/{t['public_id']}/", f.sees_transfer(v, t), t["note"])
            )
        for c in f.counts.values():
            out.append((f"/inventory/counts/{c['public_id']}/", f.sees_count(v, c), "count"))
        for p in f.partnerships.values():
            out.append((f"/partnerships/{p['public_id']}/", f.sees_partnership(v, p), p["terms"]))
        location_ids = f.location_ids(v)
        for i, loc in f.locations.items():
            out.append((f"/locations/{loc['public_id']}/", i in location_ids, loc["code"]))
        for i, p in f.products.items():
            out.append((f"/products/{p['public_id']}/", f.sees_product(v, i), p["sku"]))
        return out

    def check_details(self, who: str, c: Client, v: Viewer, allowed: set[str], sees=None) -> None:
        for url, may, what in self.details(v):
            if sees is not None:
                may = sees(url, may)
            status = self.check_page(who, c, url, allowed)
            if may and status == 404:
                self.fail(f"{who}: GET {url} ({what}) → 404, but the table lets it see this")
            if not may and status == 200:
                self.fail(f"{who}: GET {url} ({what}) → 200, but the table forbids it")

    def reads(self, persona) -> None:
        v = self.viewer(persona)
        allowed = self.f.allowed_tokens(v)
        c = self.client(persona)
        for url in LIST_PAGES:
            self.check_page(persona.key, c, url, allowed)
        self.check_details(persona.key, c, v, allowed)
        if persona.role == "ORG_SUPER_ADMIN":
            for url in ADMIN_CHANGELISTS:
                self.check_page(persona.key, c, url, allowed)
        if self.f.orgs[persona.org.pk]["plan"] == "ENTERPRISE" and persona.role != "MEMBER":
            self.api(persona, v, allowed)

    def api(self, persona, v: Viewer, allowed: set[str]) -> None:
        from api.services import api_token_create
        from orgs.access import scope_for_user

        scope = scope_for_user(persona.user, str(persona.org.public_id))
        _, raw = api_token_create(scope=scope, name="matrix")
        c = Client(raise_request_exception=False)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
        who = f"{persona.key} (API)"
        urls = ["/api/v1/locations/", "/api/v1/products/", "/api/v1/stock/"]
        for url in urls:
            self.check_page(who, c, url, allowed, **auth)
        location_ids = self.f.location_ids(v)
        for i, loc in self.f.locations.items():
            status = self.check_page(
                who, c, f"/api/v1/locations/{loc['public_id']}/", allowed, **auth
            )
            if (status == 200) != (i in location_ids):
                self.fail(f"{who}: /api/v1/locations/{loc['code']} → {status}")
        for i, p in self.f.products.items():
            url = f"/api/v1/products/{p['public_id']}/"
            status = self.check_page(who, c, url, allowed, **auth)
            if status == 200 and not self.f.sees_product(v, i):
                self.fail(f"{who}: {url} ({p['sku']}) → 200, but the table forbids it")

    def previews(self, persona) -> None:
        """'View as partner' shows at most what the partner sees AND the viewer sees."""
        if persona.role != "ORG_SUPER_ADMIN":  # it administers every partnership of its network
            return
        viewer = self.viewer(persona)
        for p in self.f.partnerships.values():
            if not p["active"] or p["parent"] not in self.f.administered(viewer):
                continue
            partner = Viewer(f"partner {p['child']}", None, p["child"], "ORG_ADMIN")
            allowed = self.f.allowed_tokens(partner) & self.f.allowed_tokens(viewer)
            allowed.add(persona.user.email)  # the header still names the person previewing
            c = self.client(persona)
            if c.post(f"/partnerships/{p['public_id']}/preview/").status_code != 302:
                self.fail(f"{persona.key}: could not preview partnership {p['terms']}")
                continue
            STATS["previews"] += 1
            who = f"{persona.key} previewing {self.f.orgs[p['child']]['code']}"
            for url in LIST_PAGES:
                if url.startswith(
                    (
                        "/inventory/adjust",
                        "/inventory/transfers/new",
                        "/inventory/counts/new",
                        "/shipments/new",
                        "/purchase-orders/new",
                    )
                ):
                    continue
                self.check_page(who, c, url, allowed)
            seen_by_viewer = {url for url, may, _ in self.details(viewer) if may}
            self.check_details(
                who, c, partner, allowed, sees=lambda url, may, s=seen_by_viewer: may and url in s
            )
            c.post("/partnerships/preview/stop/")

    # --- writes ---------------------------------------------------------------------------------

    def attempt(self, who: str, c: Client, url: str, data: dict, allowed: bool, check=None) -> None:
        """POST inside a savepoint; if any business row changed, the policy must allow it."""
        sid = transaction.savepoint()
        try:
            before = fingerprint()
            r = c.post(url, data)
            changed = fingerprint() != before
            extra = check() if (check and changed) else None
        finally:
            transaction.savepoint_rollback(sid)
        STATS["write attempts"] += 1
        STATS["writes that succeeded"] += changed
        if r.status_code >= 500:
            self.fail(f"{who}: POST {url} → {r.status_code}")
        if changed and not allowed:
            self.fail(f"{who}: POST {url} changed data, but the policy refuses it")
        if extra:
            self.fail(f"{who}: POST {url}: {extra}")

    def writes(self, persona) -> None:
        from inventory.models import StockCountLine

        f, v, c, who = self.f, self.viewer(persona), self.client(persona), persona.key
        for s in f.shipments.values():
            # Only the moves its status allows: a refusal then means "not your document".
            for action in SHIPMENT_MOVES[s["status"]]:
                policy = "shipment.receive" if action == "receive" else f"shipment.{action}"
                self.attempt(
                    f"{who} [{action} {s['number']}]",
                    c,
                    f"/shipments/{s['public_id']}/{action}/",
                    {"cartons": "1", "idempotency_key": uuid.uuid4().hex},
                    f.may(v, policy, s),
                )
        for t in f.transfers.values():
            self.attempt(
                f"{who} [receive transfer {t['note']}]",
                c,
                f"/inventory/transfers/{t['public_id']}/",
                {},
                f.may(v, "transfer.receive", t),
            )
        for cid, count in f.counts.items():
            lines = StockCountLine.objects.filter(count_id=cid)  # the test's own ground truth
            data = {f"line-{line.pk}": str(line.expected + 1) for line in lines}
            data["action"] = "post"
            self.attempt(
                f"{who} [post count at {f.locations[count['location']]['code']}]",
                c,
                f"/inventory/counts/{count['public_id']}/",
                data,
                f.may(v, "count.post", count),
            )
        for b in f.balances:
            loc, product = f.locations.get(b["location"]), f.products[b["product"]]
            if loc is None:
                continue
            self.attempt(
                f"{who} [adjust {product['sku']} of {f.orgs[b['owner']]['code']} at {loc['code']}]",
                c,
                "/inventory/adjust/",
                {
                    "location": loc["code"],
                    "product": product["public_id"],
                    "quantity": "3",
                    "reason_code": "FOUND",
                    "key": uuid.uuid4().hex,
                },
                f.may(v, "stock.adjust", b),
            )
        for po in f.pos.values():
            for action in PO_STEPS[po["status"]]:
                policy = "po.acknowledge" if action == "acknowledge" else f"po.{action}"
                self.attempt(
                    f"{who} [{action} PO {po['notes']}]",
                    c,
                    f"/purchase-orders/{po['public_id']}/{action}/",
                    {"reason": "matrix"},
                    f.may(v, policy, po),
                )
        for p in f.partnerships.values():
            url = f"/partnerships/{p['public_id']}/"
            self.attempt(
                f"{who} [edit {p['terms']}]",
                c,
                url + "edit/",
                {"role": "OTHER", "terms": "changed"},
                f.may(v, "partnership.edit", p),
            )
            self.attempt(
                f"{who} [message {p['terms']}]",
                c,
                url + "messages/",
                {"body": "hello"},
                f.may(v, "partnership.message", p),
            )
            self.attempt(
                f"{who} [end {p['terms']}]", c, url + "end/", {}, f.may(v, "partnership.end", p)
            )
        for org_id, org in f.orgs.items():
            self.attempt(
                f"{who} [invite a member to {org['code']}]",
                c,
                f"/network/orgs/{org['public_id']}/members/invite/",
                {"email": f"new-{uuid.uuid4().hex[:8]}@x.example", "role": "MEMBER"},
                f.may(v, "admin.save", {"org": org_id}),
            )
        for loc_id, loc in f.locations.items():
            self.attempt(
                f"{who} [open a count at {loc['code']}]",
                c,
                "/inventory/counts/new/",
                {"location": loc["code"], "kind": "STOCK_TAKE"},
                f.paid(v),
                check=lambda loc_id=loc_id: self._new_counts_owned_by(v, loc_id),
            )
        if persona.role == "ORG_SUPER_ADMIN":
            self.admin_writes(persona, v, c)

    def _new_counts_owned_by(self, v: Viewer, location_id: int) -> str | None:
        from inventory.models import StockCount

        mine = self.f.org_ids(v)
        new = StockCount.objects.filter(location_id=location_id).exclude(pk__in=self.f.counts)
        bad = [c for c in new if c.owner_id not in mine]
        return f"opened a count of {self.f.orgs[bad[0].owner_id]['code']}'s stock" if bad else None

    def admin_writes(self, persona, v: Viewer, c: Client) -> None:
        """Admin forms may only point at organizations the admin's network administers."""
        for org_id, org in self.f.orgs.items():
            allowed = self.f.may(v, "admin.save", {"org": org_id})
            n = uuid.uuid4().hex[:6].upper()
            forms = {
                "/admin/orgs/location/add/": {
                    "code": f"LX-{n}",
                    "name": "Admin site",
                    "kind": "WAREHOUSE",
                    "operator": org_id,
                    "is_active": "on",
                },
                "/admin/orgs/membership/add/": {
                    "user": persona.user.pk,
                    "organization": org_id,
                    "role": "MEMBER",
                    "is_active": "on",
                },
                "/admin/orgs/party/add/": {
                    "owner": org_id,
                    "name": f"Party {n}",
                    "kind": "RETAILER",
                },
                "/admin/orgs/organizationrelationship/add/": {
                    "parent": persona.org.pk,
                    "child": org_id,
                    "type": "SUBSIDIARY",
                    "status": "ACTIVE",
                },
            }
            for url, data in forms.items():
                self.attempt(f"{persona.key} [admin {url} → {org['code']}]", c, url, data, allowed)
            # Only the operator differs from the stored row: a save is the operator moving.
            for loc_id, loc in self.f.locations.items():
                if loc["operator"] in self.f.administered(v):
                    self.attempt(
                        f"{persona.key} [admin change {loc['code']} operator → {org['code']}]",
                        c,
                        f"/admin/orgs/location/{loc_id}/change/",
                        {
                            "code": loc["code"],
                            "name": loc["name"],
                            "kind": "WAREHOUSE",
                            "operator": org_id,
                            "is_active": "on",
                        },
                        allowed,
                    )
                    break


_FINGERPRINT_SQL = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM shipments_shipment),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM shipments_asn),
  (SELECT count(*) FROM shipments_receipt),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM shipments_discrepancycase),
  (SELECT count(*) FROM shipments_casemessage),
  (SELECT string_agg(id || ':' || quantity, ',' ORDER BY id) FROM inventory_stockbalance),
  (SELECT count(*) FROM inventory_stockmovement),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM inventory_transfer),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM inventory_stockcount),
  (SELECT string_agg(id || ':' || coalesce(counted::text, '-'), ',' ORDER BY id)
     FROM inventory_stockcountline),
  (SELECT string_agg(id || status, ',' ORDER BY id) FROM procurement_purchaseorder),
  (SELECT string_agg(id || status || role || md5(terms), ',' ORDER BY id)
     FROM partnerships_partnership),
  (SELECT string_agg(partnership_id || ':' || location_id, ',' ORDER BY id)
     FROM partnerships_partnership_shared_locations),
  (SELECT count(*) FROM partnerships_message),
  (SELECT string_agg(id || ':' || operator_id || name, ',' ORDER BY id) FROM orgs_location),
  (SELECT string_agg(id || ':' || organization_id || role || is_active, ',' ORDER BY id)
     FROM orgs_membership),
  (SELECT count(*) FROM orgs_party),
  (SELECT string_agg(id || ':' || parent_id || child_id || type || status, ',' ORDER BY id)
     FROM orgs_organizationrelationship)
))
"""


_FLOORS: dict[str, int] = {}


def _floors() -> dict[str, int]:
    """The highest id of each fingerprinted table before the example: the demo network's rows
    are never a write target, so only the example's own rows are hashed (it keeps each
    fingerprint to a few hundred rows)."""
    out = {}
    with connection.cursor() as cur:
        for table in sorted(set(re.findall(r"FROM (\w+)", _FINGERPRINT_SQL))):
            cur.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            out[table] = cur.fetchone()[0]
    return out


def fingerprint() -> str:
    sql = re.sub(
        r"FROM (\w+)\)", lambda m: f"FROM {m[1]} WHERE id > {_FLOORS[m[1]]})", _FINGERPRINT_SQL
    )
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


# --- the test -----------------------------------------------------------------------------------


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: one example takes seconds
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@pytest.mark.timeout(600 + 300 * EXAMPLES)
@given(spec=networks())
@example(spec=ANCHOR)
def test_nobody_sees_or_changes_what_the_table_forbids(spec):
    failures: list[str] = []
    try:
        with transaction.atomic():
            floors = _floors()
            started = time.monotonic()
            world = build(spec)
            facts = Facts.load(world.org_ids)
            STATS["seconds building"] += round(time.monotonic() - started, 1)
            STATS["networks"] += 1
            STATS["personas"] += len(world.personas)
            STATS["generated objects"] += len(facts.all_tokens())
            matrix = Matrix(world, facts)
            _FLOORS.update(floors)
            for phase in ("reads", "previews", "writes"):
                started = time.monotonic()
                for persona in world.personas:
                    getattr(matrix, phase)(persona)
                STATS[f"seconds {phase}"] += round(time.monotonic() - started, 1)
            failures = matrix.failures
            raise _Rollback
    except _Rollback:
        pass
    _print_figures()
    if failures and os.environ.get("ISOLATION_REPORT"):
        with open(os.environ["ISOLATION_REPORT"], "a") as out:
            out.write("\n".join(sorted(set(failures))) + "\n")
    if failures:
        shown = "\n  ".join(sorted(set(failures))[:MAX_REPORTED])
        digest = hashlib.sha1(repr(spec).encode()).hexdigest()[:8]
        pytest.fail(
            f"{len(set(failures))} isolation failures in network {digest} "
            f"({len(world.personas)} personas):\n  {shown}",
            pytrace=False,
        )


def _print_figures() -> None:
    figures = ", ".join(f"{k}: {v}" for k, v in STATS.items())
    print(f"\n[isolation matrix] {figures}")
    if os.environ.get("ISOLATION_TIMES"):
        for url, seconds in TIMES.most_common(15):
            print(f"  {seconds:6.2f}s {url}")
