"""Billing reads, through the access layer. Network billing and metrics run a constant number
of queries whatever the size of the network."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.db.models import Count, F, Model, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.entitlements import (
    ADVANCED_FORECASTING_PRICE,
    EXTRA_LOCATION_PRICE,
    PLAN_PRICES,
    Limits,
    monthly_amount,
)
from core.enums import PlanTier
from orgs.access import Scope
from orgs.models import (
    OWNING_TYPES,
    BillingMode,
    Organization,
    OrganizationRelationship,
    TenantQuerySet,
)
from orgs.selectors import unscoped_locations_in_use
from rls.context import bypass

from .models import (
    SETTABLE_MODES,
    Checkout,
    PlanChange,
    SponsoredUpgradeRequest,
    SponsoredUpgradeStatus,
    Subscription,
)


def _visible_through(model: type[Model], related_name: str, scope: Scope) -> QuerySet[Any]:
    """The rows of a model from an app above billing, reached by its reverse relation on an
    orgs model, that `scope` may see under that model's own rule.

    Billing sits below inventory and partnerships (docs/architecture.md) and imports neither;
    their models hang off orgs' models by related name, and counting through their own
    `visible_to` keeps the count exactly what the owning app would give."""
    related = model._meta.get_field(related_name).related_model
    assert isinstance(related, type)  # a concrete model, never the lazy "self"
    rows = related._default_manager.all()
    assert isinstance(rows, TenantQuerySet), related
    return rows.visible_to(scope)


# --- The plan page ---------------------------------------------------------------------------


@dataclass
class Usage:
    skus: int
    locations: int
    sku_limit: int | None
    location_limit: int | None

    @property
    def skus_over(self) -> bool:
        return self.sku_limit is not None and self.skus > self.sku_limit

    @property
    def locations_over(self) -> bool:
        return self.location_limit is not None and self.locations > self.location_limit


def plan_usage(scope: Scope) -> Usage:
    """What the active organization uses against its plan's limits (two counts)."""
    products = _visible_through(Organization, "products", scope)  # inventory.Product
    skus = products.filter(owner_id=scope.org_id, is_active=True).count()
    locations = unscoped_locations_in_use(scope.org_id) if scope.org_id is not None else 0
    limits = cast(Limits, scope.limits)
    return Usage(skus, locations, limits.skus, limits.locations)


def own_organization(scope: Scope) -> Organization | None:
    """The active organization, as its plan page and billing checks read it."""
    return Organization.objects.visible_to(scope).filter(pk=scope.org_id).first()


def own_subscription(scope: Scope) -> Subscription | None:
    return (
        Subscription.objects.visible_to(scope)
        .filter(organization_id=scope.org_id)
        .select_related("payer")
        .first()
    )


def checkout_for(scope: Scope, public_id) -> Checkout:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Checkout.objects.visible_to(scope).select_related("organization"), public_id=public_id
    )


# --- Sponsored upgrades ----------------------------------------------------------------------


@dataclass(frozen=True)
class PayerBrief:
    code: str
    name: str


@bypass(reason="billing: the name of the network root asked to pay, shown to the asker")
def unscoped_payer_brief(org_id: int) -> PayerBrief:
    """Code and name of the network root a sponsored request asks to pay.

    Unscoped, and safe: the asking partner may not see the root's row (it partners with a
    subsidiary), yet it chose to ask that network and reads only its code and name."""
    code, name = Organization.objects.filter(pk=org_id).values_list("code", "name").get()
    return PayerBrief(code, name)


def _with_payer(upgrade: SponsoredUpgradeRequest) -> SponsoredUpgradeRequest:
    upgrade.payer = unscoped_payer_brief(upgrade.network_id)  # type: ignore[attr-defined]
    return upgrade


def sponsored_request_for(scope: Scope, public_id: Any) -> SponsoredUpgradeRequest:
    """A request the viewer may see (the asking org's or the paying network's admins), else 404.
    `.payer` is the network's code and name (the asker may not see the root's row)."""
    from django.shortcuts import get_object_or_404

    return _with_payer(
        get_object_or_404(
            SponsoredUpgradeRequest.objects.visible_to(scope).select_related(
                "organization", "requested_by", "decided_by"
            ),
            public_id=public_id,
        )
    )


def sponsored_requests_to_decide(scope: Scope) -> list[SponsoredUpgradeRequest]:
    """The pending requests asking the viewer's organization (a network root) to pay."""
    return list(
        SponsoredUpgradeRequest.objects.visible_to(scope)
        .filter(network_id=scope.org_id, status=SponsoredUpgradeStatus.PENDING)
        .select_related("organization", "requested_by")
        .order_by("created_at", "pk")
    )


def sponsored_requests_decided(scope: Scope, limit: int = 10) -> list[SponsoredUpgradeRequest]:
    """The latest decided requests to the viewer's network (the history under the list)."""
    return list(
        SponsoredUpgradeRequest.objects.visible_to(scope)
        .filter(network_id=scope.org_id)
        .exclude(status=SponsoredUpgradeStatus.PENDING)
        .select_related("organization", "decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def own_latest_sponsored_request(scope: Scope) -> SponsoredUpgradeRequest | None:
    """The active organization's latest request (pending, or the last decision), for its plan
    page."""
    upgrade = (
        SponsoredUpgradeRequest.objects.visible_to(scope)
        .filter(organization_id=scope.org_id)
        .order_by("-created_at", "-pk")
        .first()
    )
    return _with_payer(upgrade) if upgrade is not None else None


# --- Network billing -------------------------------------------------------------------------


@dataclass
class Line:
    description: str
    amount: Decimal


@dataclass
class NetworkRow:
    org_id: int
    public_id: str
    code: str
    name: str
    relationship: str  # Root, SUBSIDIARY, PARTNER…
    via: str  # the network org it is linked to (ORG-003)
    plan: str
    billing_mode: str
    list_amount: Decimal  # what the plan and add-ons cost
    billed_here: Decimal  # what lands on this network's consolidated bill
    note: str
    lines: list[Line] = field(default_factory=list)
    owned: bool = False
    settable_modes: tuple[str, ...] = ()


@dataclass
class NetworkBilling:
    root_code: str
    root_name: str
    rows: list[NetworkRow]
    plans_total: Decimal
    addons_total: Decimal
    lines: list[tuple[NetworkRow, Line]]

    @property
    def total(self) -> Decimal:
        return self.plans_total + self.addons_total


def network_billing(scope: Scope) -> NetworkBilling:
    """Every organization linked to the viewer's network, with plan, billing mode and monthly
    amount, and the consolidated bill. Three queries: orgs, relationships, subscriptions."""
    orgs = list(
        Organization.objects.visible_to(scope).values(
            "pk",
            "public_id",
            "code",
            "name",
            "plan_tier",
            "billing_mode",
            "extra_location_addons",
            "advanced_forecasting_addon",
        )
    )
    link = _network_links(scope)
    payers = dict(
        Subscription.objects.visible_to(scope)
        .filter(organization_id__in=[o["pk"] for o in orgs])
        .values_list("organization_id", "payer_id")
    )
    rows: list[NetworkRow] = []
    plans_total = addons_total = Decimal("0")
    all_lines: list[tuple[NetworkRow, Line]] = []
    for o in orgs:
        if o["pk"] == scope.org_id:
            relationship, via = "Root", ""
        elif o["pk"] in link:
            relationship, via = link[o["pk"]]
        else:
            continue
        row = _network_row(scope, o, relationship, via, payers.get(o["pk"]))
        for i, line in enumerate(row.lines):
            if i == 0:
                plans_total += line.amount
            else:
                addons_total += line.amount
            all_lines.append((row, line))
        rows.append(row)
    rows.sort(key=lambda r: (r.relationship != "Root", not r.owned, r.code))
    root = next((o for o in orgs if o["pk"] == scope.org_id), None)
    return NetworkBilling(
        root_code=root["code"] if root else scope.org_code,
        root_name=root["name"] if root else scope.org_name,
        rows=rows,
        plans_total=plans_total,
        addons_total=addons_total,
        lines=all_lines,
    )


def _network_links(scope: Scope) -> dict[int, tuple[str, str]]:
    """How each linked organization hangs off the network: (relationship type, parent code),
    the first active link by age."""
    rels = (
        OrganizationRelationship.objects.active()
        .visible_to(scope)
        .values_list("parent_id", "child_id", "type", "parent__code")
        .order_by("created_at", "pk")
    )
    link: dict[int, tuple[str, str]] = {}
    for parent_id, child_id, rel_type, parent_code in rels:
        if child_id in scope.org_ids and rel_type not in OWNING_TYPES:
            continue  # the network's own orgs are shown by their owning link
        if parent_id in scope.org_ids or rel_type in OWNING_TYPES:
            link.setdefault(child_id, (rel_type, parent_code))
    return link


def _network_row(
    scope: Scope, o: dict[str, Any], relationship: str, via: str, payer: int | None
) -> NetworkRow:
    """One organization's line on the network bill: what its plan costs, what of it lands on
    this network's bill (with the bill lines), and the billing modes the root may set."""
    root_id = scope.org_id
    owned = o["pk"] in scope.org_ids
    plan, mode = o["plan_tier"], o["billing_mode"]
    extra, forecasting = o["extra_location_addons"], o["advanced_forecasting_addon"]
    amount = monthly_amount(plan, extra, forecasting)
    billed_here = Decimal("0")
    if mode == BillingMode.MASTER and o["pk"] == root_id:
        billed_here, note = amount, "Master account"
    elif mode == BillingMode.ADD_ON and (payer == root_id or (owned and payer is None)):
        billed_here, note = amount, "Add-on under this network"
    elif mode == BillingMode.ADD_ON:
        note = "Billed under another network"
    elif mode == BillingMode.INCLUDED:
        note = "Included in the network plan"
    elif mode == BillingMode.SELF_PAY:
        note = "Pays its own subscription"
    else:
        note = "Free partner access"
    row = NetworkRow(
        org_id=o["pk"],
        public_id=str(o["public_id"]),
        code=o["code"],
        name=o["name"],
        relationship=relationship,
        via=via,
        plan=plan,
        billing_mode=mode,
        list_amount=amount,
        billed_here=billed_here,
        note=note,
        lines=_bill_lines(plan, extra, forecasting) if billed_here else [],
        owned=owned,
    )
    if (
        o["pk"] != root_id
        and mode != BillingMode.SELF_PAY
        and (owned or payer in (None, root_id) or mode == BillingMode.FREE)
    ):
        row.settable_modes = tuple(
            m for m in SETTABLE_MODES["owned" if owned else "partner"] if m != mode
        )
    return row


def _bill_lines(plan: str, extra: int, forecasting: bool) -> list[Line]:
    """The plan, then its add-ons (PRO only), as lines of the consolidated bill."""
    lines = [Line(f"{plan} plan", PLAN_PRICES[plan])]
    if plan == PlanTier.PRO and extra:
        lines.append(
            Line(
                f"{extra} additional location{'s' if extra > 1 else ''}",
                EXTRA_LOCATION_PRICE * extra,
            )
        )
    if plan == PlanTier.PRO and forecasting:
        lines.append(Line("Advanced forecasting", ADVANCED_FORECASTING_PRICE))
    return lines


# --- Network metrics -------------------------------------------------------------------------


@dataclass
class MonthPoint:
    month: date
    value: Decimal


@dataclass
class NetworkMetrics:
    by_plan: list[tuple[str, int]]
    by_relationship: list[tuple[str, int]]
    by_mode: list[tuple[str, int]]
    organizations: int
    active_partnerships: int
    conversions: list[tuple[date, int]]
    conversions_total: int
    mrr: list[MonthPoint]
    mrr_now: Decimal


def _months(start: date, end: date) -> list[date]:
    out, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def network_metrics(scope: Scope) -> NetworkMetrics:
    billing = network_billing(scope)
    by_plan = Counter(r.plan for r in billing.rows)
    by_rel = Counter(r.relationship for r in billing.rows)
    by_mode = Counter(r.billing_mode for r in billing.rows)
    partnerships = (  # partnerships.Partnership, ACTIVE (PartnershipStatus.ACTIVE)
        _visible_through(OrganizationRelationship, "partnership", scope)
        .filter(status="ACTIVE")
        .count()
    )
    history = PlanChange.objects.visible_to(scope).filter(network_id=scope.org_id)
    conversions = list(
        history.filter(from_plan=PlanTier.FREE, to_plan=PlanTier.PRO)
        .annotate(month=TruncMonth("at"))
        .values_list("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    deltas = dict(
        history.annotate(month=TruncMonth("at"))
        .values_list("month")
        .annotate(delta=Sum(F("network_amount_after") - F("network_amount_before")))
        .order_by("month")
    )
    mrr: list[MonthPoint] = []
    if deltas:
        first = min(deltas).date() if hasattr(min(deltas), "date") else min(deltas)
        running = Decimal("0")
        by_month: dict[date, Decimal] = defaultdict(Decimal)
        for month, delta in deltas.items():
            by_month[month.date() if hasattr(month, "date") else month] += delta or 0
        for month in _months(first, timezone.now().date()):
            running += by_month.get(month, Decimal("0"))
            mrr.append(MonthPoint(month, running))
    conv = [(m.date() if hasattr(m, "date") else m, n) for m, n in conversions]
    return NetworkMetrics(
        by_plan=[
            (p, by_plan.get(p, 0)) for p in (PlanTier.FREE, PlanTier.PRO, PlanTier.ENTERPRISE)
        ],
        by_relationship=sorted(by_rel.items()),
        by_mode=sorted(by_mode.items()),
        organizations=len(billing.rows),
        active_partnerships=partnerships,
        conversions=conv,
        conversions_total=sum(n for _, n in conv),
        mrr=mrr,
        mrr_now=billing.total,
    )
