"""docs/visibility.md, a second time, in plain Python.

`Facts.load()` reads the generated rows with plain unscoped queries (never `visible_to`, never a
Scope); everything after that is sets and loops over those facts, so a bug in the access layer
cannot also be a bug here. Each function below is one row of the visibility table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

OWNING = {"SUBSIDIARY", "DIVISION", "BRANCH"}
ADMIN_ROLES = {"ORG_SUPER_ADMIN", "ORG_ADMIN"}
PAID_PLANS = {"PRO", "ENTERPRISE"}


@dataclass(frozen=True)
class Viewer:
    label: str
    user_id: int | None
    org_id: int
    role: str
    granted: frozenset[int] | None = None  # MEMBER location rights; None for admins


@dataclass
class Facts:
    orgs: dict[int, dict] = field(default_factory=dict)  # id -> code, public_id, plan
    owning_parent: dict[int, int] = field(default_factory=dict)
    partnerships: dict[int, dict] = field(default_factory=dict)
    locations: dict[int, dict] = field(default_factory=dict)
    products: dict[int, dict] = field(default_factory=dict)
    balances: list[dict] = field(default_factory=list)
    movements: list[dict] = field(default_factory=list)
    batches: dict[int, dict] = field(default_factory=dict)
    shipments: dict[int, dict] = field(default_factory=dict)
    asns: dict[int, dict] = field(default_factory=dict)
    cases: dict[int, dict] = field(default_factory=dict)
    pos: dict[int, dict] = field(default_factory=dict)
    transfers: dict[int, dict] = field(default_factory=dict)
    counts: dict[int, dict] = field(default_factory=dict)
    members: list[dict] = field(default_factory=list)  # non-partner-admin people

    @classmethod
    def load(cls, org_ids: set[int]) -> Facts:
        """Every row of the generated orgs, read directly (this is the test's own ground truth)."""
        from inventory.models import (
            LedgerBatch,
            Product,
            StockBalance,
            StockCount,
            StockMovement,
            Transfer,
        )
        from orgs.models import Location, Membership, Organization, OrganizationRelationship
        from partnerships.models import Partnership
        from procurement.models import PurchaseOrder
        from shipments.models import ASN, DiscrepancyCase, Shipment

        f = cls()
        for o in Organization.objects.filter(pk__in=org_ids):
            f.orgs[o.pk] = {"code": o.code, "public_id": str(o.public_id), "plan": o.plan_tier}
        for r in OrganizationRelationship.objects.filter(child_id__in=org_ids, status="ACTIVE"):
            if r.type in OWNING:
                f.owning_parent[r.child_id] = r.parent_id
        for p in Partnership.objects.filter(relationship__parent_id__in=org_ids).select_related(
            "relationship"
        ):
            f.partnerships[p.pk] = {
                "public_id": str(p.public_id),
                "parent": p.relationship.parent_id,
                "child": p.relationship.child_id,
                "active": p.status == "ACTIVE" and p.relationship.status == "ACTIVE",
                "shared": set(p.shared_locations.values_list("pk", flat=True)),
                "terms": p.terms,
            }
        for loc in Location.objects.filter(operator_id__in=org_ids):
            f.locations[loc.pk] = {
                "code": loc.code,
                "name": loc.name,
                "public_id": str(loc.public_id),
                "operator": loc.operator_id,
            }
        for p in Product.objects.filter(owner_id__in=org_ids):
            f.products[p.pk] = {"sku": p.sku, "public_id": str(p.public_id), "owner": p.owner_id}
        for b in StockBalance.objects.filter(owner_id__in=org_ids).exclude(quantity=0):
            f.balances.append(
                {"owner": b.owner_id, "product": b.product_id, "location": b.location_id}
            )
        for m in StockMovement.objects.filter(owner_id__in=org_ids):
            f.movements.append(
                {"batch": m.batch_id, "owner": m.owner_id, "location": m.location_id}
            )
        for b in LedgerBatch.objects.filter(pk__in={m["batch"] for m in f.movements}):
            f.batches[b.pk] = {"acting_org": b.acting_org_id, "reason": b.reason, "kind": b.kind}
        for s in Shipment.objects.filter(owner_id__in=org_ids).prefetch_related("lines"):
            f.shipments[s.pk] = {
                "number": s.number,
                "public_id": str(s.public_id),
                "owner": s.owner_id,
                "shipper": s.shipper_id,
                "receiver": s.receiver_id,
                "origin": s.origin_id,
                "destination": s.destination_id,
                "status": s.status,
                "note": s.note,
                "products": {line.product_id for line in s.lines.all()},
            }
        for a in ASN.objects.filter(shipment_id__in=f.shipments):
            f.asns[a.pk] = {
                "number": a.number,
                "public_id": str(a.public_id),
                "shipment": a.shipment_id,
            }
        for c in DiscrepancyCase.objects.filter(shipment_id__in=f.shipments):
            f.cases[c.pk] = {
                "number": c.number,
                "public_id": str(c.public_id),
                "shipment": c.shipment_id,
                "credit_note": c.credit_note_number,
                "status": c.status,
            }
        for po in PurchaseOrder.objects.filter(buyer_id__in=org_ids).prefetch_related("lines"):
            f.pos[po.pk] = {
                "public_id": str(po.public_id),
                "buyer": po.buyer_id,
                "supplier": po.supplier_org_id,
                "status": po.status,
                "notes": po.notes,
                "ship_to": po.ship_to_id,
                "products": {line.product_id for line in po.lines.all()},
            }
        for t in Transfer.objects.filter(owner_id__in=org_ids):
            f.transfers[t.pk] = {
                "public_id": str(t.public_id),
                "owner": t.owner_id,
                "from": t.from_location_id,
                "to": t.to_location_id,
                "note": t.note,
                "status": t.status,
            }
        for c in StockCount.objects.filter(owner_id__in=org_ids):
            f.counts[c.pk] = {
                "public_id": str(c.public_id),
                "owner": c.owner_id,
                "location": c.location_id,
                "status": c.status,
            }
        for m in Membership.objects.filter(organization_id__in=org_ids).select_related("user"):
            f.members.append(
                {"user": m.user_id, "email": m.user.email, "org": m.organization_id, "role": m.role}
            )
        return f

    # --- the scope sets, from the table's first section -------------------------------------

    def subtree(self, org_id: int) -> set[int]:
        out, frontier = {org_id}, [org_id]
        while frontier:
            parent = frontier.pop()
            for child, p in self.owning_parent.items():
                if p == parent and child not in out:
                    out.add(child)
                    frontier.append(child)
        return out

    def org_ids(self, v: Viewer) -> set[int]:
        """The viewer's own organization; for admins, plus its owned subtree."""
        return self.subtree(v.org_id) if v.role in ADMIN_ROLES else {v.org_id}

    def administered(self, v: Viewer) -> set[int]:
        return self.org_ids(v) if v.role in ADMIN_ROLES else set()

    def active_partnerships(self, v: Viewer) -> list[dict]:
        mine = self.org_ids(v)
        return [
            p
            for p in self.partnerships.values()
            if p["active"] and (p["parent"] in mine or p["child"] in mine)
        ]

    def partner_org_ids(self, v: Viewer) -> set[int]:
        mine = self.org_ids(v)
        out = set()
        for p in self.active_partnerships(v):
            out |= {p["parent"], p["child"]} - mine
        return out

    def _member_cut(self, v: Viewer, ids: set[int]) -> set[int]:
        return ids if v.granted is None else ids & v.granted

    def operated(self, v: Viewer) -> set[int]:
        mine = self.org_ids(v)
        return self._member_cut(
            v, {i for i, loc in self.locations.items() if loc["operator"] in mine}
        )

    def location_ids(self, v: Viewer) -> set[int]:
        """Operated plus locations shared through active partnerships."""
        mine = self.org_ids(v)
        shared = set()
        for p in self.active_partnerships(v):
            shared |= p["shared"]
        own = {i for i, loc in self.locations.items() if loc["operator"] in mine}
        return self._member_cut(v, own | shared)

    def shared_grants(self, v: Viewer) -> set[tuple[int, int]]:
        """(owner, location): another org's stock shared with the viewer."""
        mine = self.org_ids(v)
        out = set()
        for p in self.active_partnerships(v):
            if p["child"] in mine and p["parent"] not in mine:
                out |= {(p["parent"], loc) for loc in self._member_cut(v, p["shared"])}
        return out

    def at_granted(self, v: Viewer, *locations) -> bool:
        """'Members: at granted locations'."""
        return v.granted is None or any(loc in v.granted for loc in locations if loc)

    # --- the table, one row at a time ---------------------------------------------------------

    def sees_balance(self, v: Viewer, b: dict) -> bool:
        if b["owner"] in self.org_ids(v) and self.at_granted(v, b["location"]):
            return True
        return (b["owner"], b["location"]) in self.shared_grants(v)

    def sees_movement(self, v: Viewer, m: dict) -> bool:
        """Own stock's movements; otherwise only batches the viewer's own organization posted —
        never the owner's adjustments, counts or transfers."""
        if m["owner"] in self.org_ids(v) and self.at_granted(v, m["location"]):
            return True
        return self.batches[m["batch"]]["acting_org"] in self.org_ids(v)

    def sees_transfer(self, v: Viewer, t: dict) -> bool:
        """Internal: the owner only, never a partner, even the operator of one end."""
        return t["owner"] in self.org_ids(v) and self.at_granted(v, t["from"], t["to"])

    def sees_count(self, v: Viewer, c: dict) -> bool:
        return c["owner"] in self.org_ids(v) and self.at_granted(v, c["location"])

    def sees_shipment(self, v: Viewer, s: dict) -> bool:
        """Documents follow parties: owner, shipper, receiver, or the operator of one end."""
        mine = self.org_ids(v)
        party = {s["owner"], s["shipper"], s["receiver"]} & mine
        if party and self.at_granted(v, s["origin"], s["destination"]):
            return True
        return bool({s["origin"], s["destination"]} & self.operated(v))

    def sees_po(self, v: Viewer, po: dict) -> bool:
        """Buyer; supplier once sent (drafts are the buyer's)."""
        mine = self.org_ids(v)
        return po["buyer"] in mine or (po["supplier"] in mine and po["status"] != "DRAFT")

    def sees_partnership(self, v: Viewer, p: dict) -> bool:
        return bool({p["parent"], p["child"]} & self.org_ids(v))

    def sees_product(self, v: Viewer, product_id: int) -> bool:
        """Own products; another owner's only when a visible balance or a line of a visible
        shipment or purchase order refers to it."""
        if self.products[product_id]["owner"] in self.org_ids(v):
            return True
        if any(b["product"] == product_id and self.sees_balance(v, b) for b in self.balances):
            return True
        if any(
            product_id in s["products"] and self.sees_shipment(v, s)
            for s in self.shipments.values()
        ):
            return True
        return any(product_id in po["products"] and self.sees_po(v, po) for po in self.pos.values())

    def sees_member(self, v: Viewer, m: dict) -> bool:
        """Membership: orgs the viewer administers; each user its own."""
        return m["org"] in self.administered(v) or m["user"] == v.user_id

    # --- identifiers --------------------------------------------------------------------------

    def allowed_tokens(self, v: Viewer) -> set[str]:
        """Every generated identifier the viewer may meet somewhere."""
        mine = self.org_ids(v)
        out: set[str] = set()
        orgs = mine | self.partner_org_ids(v)
        for s in self.shipments.values():
            if self.sees_shipment(v, s):
                out |= {s["number"], s["public_id"], s["note"]}
                orgs |= {s["owner"], s["shipper"], s["receiver"]} - {None}  # shown by name
        for a in self.asns.values():
            if self.sees_shipment(v, self.shipments[a["shipment"]]):
                out |= {a["number"], a["public_id"]}
        for c in self.cases.values():
            if self.sees_shipment(v, self.shipments[c["shipment"]]):
                out |= {c["number"], c["public_id"], c["credit_note"]}
        for po in self.pos.values():
            if self.sees_po(v, po):
                out |= {po["public_id"], po["notes"]}
                orgs |= {po["buyer"], po["supplier"]} - {None}
        out |= {t["public_id"] for t in self.transfers.values() if self.sees_transfer(v, t)}
        out |= {t["note"] for t in self.transfers.values() if self.sees_transfer(v, t)}
        out |= {c["public_id"] for c in self.counts.values() if self.sees_count(v, c)}
        for p in self.partnerships.values():
            if self.sees_partnership(v, p):
                out |= {p["public_id"], p["terms"]}
        out |= {self.locations[i]["code"] for i in self.location_ids(v) if i in self.locations}
        out |= {self.locations[i]["public_id"] for i in self.location_ids(v) if i in self.locations}
        for pid, p in self.products.items():
            if self.sees_product(v, pid):
                out |= {p["sku"], p["public_id"]}
        for m in self.movements:
            if self.sees_movement(v, m):
                out.add(self.batches[m["batch"]]["reason"])
        out |= {self.orgs[o]["code"] for o in orgs if o in self.orgs}
        out |= {self.orgs[o]["public_id"] for o in orgs if o in self.orgs}
        out |= {m["email"] for m in self.members if self.sees_member(v, m)}
        return {t for t in out if t}

    def all_tokens(self) -> dict[str, str]:
        """Every generated identifier → what it is (for failure messages)."""
        out: dict[str, str] = {}
        for o in self.orgs.values():
            out[o["code"]] = out[o["public_id"]] = f"organization {o['code']}"
        for loc in self.locations.values():
            out[loc["code"]] = out[loc["public_id"]] = f"location {loc['code']}"
        for p in self.products.values():
            out[p["sku"]] = out[p["public_id"]] = f"product {p['sku']}"
        for s in self.shipments.values():
            out[s["number"]] = out[s["public_id"]] = out[s["note"]] = f"shipment {s['number']}"
        for a in self.asns.values():
            out[a["number"]] = out[a["public_id"]] = f"ASN {a['number']}"
        for c in self.cases.values():
            out[c["number"]] = out[c["public_id"]] = f"discrepancy case {c['number']}"
            if c["credit_note"]:
                out[c["credit_note"]] = f"credit note {c['credit_note']} of {c['number']}"
        for po in self.pos.values():
            out[po["public_id"]] = out[po["notes"]] = f"purchase order {po['public_id']}"
        for t in self.transfers.values():
            out[t["public_id"]] = out[t["note"]] = f"transfer {t['note']}"
        for c in self.counts.values():
            out[c["public_id"]] = f"stock count {c['public_id']}"
        for p in self.partnerships.values():
            out[p["public_id"]] = out[p["terms"]] = f"partnership {p['terms']}"
        for b in self.batches.values():
            if b["reason"]:
                out[b["reason"]] = f"{b['kind'].lower()} movement '{b['reason']}'"
        for m in self.members:
            if m["role"] == "MEMBER" or m["org"] in self.owning_parent:
                out[m["email"]] = f"member {m['email']}"
        return {t: what for t, what in out.items() if t}

    # --- writes: who may do what (DESIGN.md §5 "Writes follow ownership") -----------------------

    def paid(self, v: Viewer) -> bool:
        return self.orgs[v.org_id]["plan"] in PAID_PLANS

    def may(self, v: Viewer, action: str, obj: dict) -> bool:
        mine = self.org_ids(v)
        if action in ("shipment.book", "shipment.ship", "shipment.cancel"):
            return (
                self.paid(v)
                and obj["shipper"] in mine
                and self.at_granted(v, obj["origin"], obj["destination"])
            )
        if action == "shipment.receive":
            return obj["receiver"] in mine and self.at_granted(v, obj["destination"])
        if action == "transfer.receive":
            return self.paid(v) and obj["owner"] in mine and self.at_granted(v, obj["to"])
        if action in ("count.record", "count.post"):
            return self.paid(v) and obj["owner"] in mine and self.at_granted(v, obj["location"])
        if action == "stock.adjust":  # obj: a balance (owner, product, location)
            return self.paid(v) and obj["owner"] in mine and self.at_granted(v, obj["location"])
        if action in ("po.send", "po.cancel", "po.close"):
            return self.paid(v) and obj["buyer"] in mine
        if action == "po.acknowledge":
            return obj["supplier"] in mine
        if action == "partnership.edit":
            return obj["parent"] in self.administered(v)
        if action == "partnership.end":
            return bool({obj["parent"], obj["child"]} & self.administered(v))
        if action == "partnership.message":
            return bool({obj["parent"], obj["child"]} & mine)
        if action == "admin.save":  # obj: {"org": the organization the saved row points at}
            return obj["org"] in self.administered(v)
        raise KeyError(action)


def tokens_by_length(tokens: dict[str, str]) -> list[str]:
    return sorted(tokens, key=len, reverse=True)


def group(rows, key):
    out = defaultdict(list)
    for r in rows:
        out[key(r)].append(r)
    return out
