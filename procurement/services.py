"""Every write on purchase orders: one function per use case, atomic and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from core.email import queue_email
from core.numbering import format_code
from inventory.models import Product
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.ends import location_end_for_org
from orgs.models import ADMIN_ROLES, Location, Membership, Organization, Party
from orgs.policy import Action, require
from rls.context import bypass

from . import selectors
from .models import POStatus, PurchaseOrder, PurchaseOrderLine

MAX_LINES = 50


@dataclass(frozen=True)
class LineInput:
    product: Product
    quantity: Decimal
    unit_price: Decimal


def _lock_numbering(buyer_id: int) -> None:
    # Numbers are per buyer and human-facing; a transaction-scoped advisory lock on the buyer
    # keeps two concurrent creations from taking the same number or replaying the same key.
    with connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('procurement.po'), %s)", [buyer_id])


def _next_number(buyer_id: int) -> str:
    # Per buyer, so not a sequence (core.numbering): each buyer's first order is PO-000001
    # and its numbers have no gaps; the caller holds the buyer's advisory lock.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT COALESCE(MAX(CAST(SUBSTRING(number FROM 4) AS integer)), 0) "
            "FROM procurement_purchaseorder WHERE buyer_id = %s AND number ~ '^PO-[0-9]+$'",
            [buyer_id],
        )
        n = cur.fetchone()[0] + 1
    return format_code("PO", n, 6)


def _locked(po: PurchaseOrder) -> PurchaseOrder:
    return unscoped_relock(po)


def _check_supplier(
    scope: Scope, supplier_org: Organization | None, supplier_party: Party | None
) -> None:
    """Exactly one supplier, and one the buyer may order from (a partner or a managed party)."""
    if (supplier_org is None) == (supplier_party is None):
        raise ValidationError("Choose one supplier.")
    if supplier_org is not None and supplier_org.pk not in selectors.supplier_org_ids(scope):
        raise ValidationError("Purchase orders go to one of your suppliers.")
    if (
        supplier_party is not None
        and not selectors.supplier_parties_for(scope).filter(pk=supplier_party.pk).exists()
    ):
        raise ValidationError("Choose a supplier your organization manages.")


def _check_ship_to(scope: Scope, ship_to: Location) -> None:
    if ship_to.operator_id not in scope.org_ids or ship_to.pk not in scope.location_ids:
        raise ValidationError("Ship to a location your organization operates.")


def _check_lines(buyer_id: int, lines: Sequence[LineInput]) -> None:
    """One line per product of the buyer's own catalog, positive quantities, prices ≥ 0."""
    if not lines:
        raise ValidationError("Add at least one line.")
    if len(lines) > MAX_LINES:
        raise ValidationError(f"A purchase order has at most {MAX_LINES} lines.")
    seen: set[int] = set()
    for n, line in enumerate(lines, start=1):
        if line.product.owner_id != buyer_id:
            raise ValidationError(f"Line {n}: order products of your own catalog.")
        if line.product.pk in seen:
            raise ValidationError(f"Line {n}: {line.product.sku} is already on the order.")
        seen.add(line.product.pk)
        if line.quantity <= 0:
            raise ValidationError(f"Line {n}: the quantity must be more than zero.")
        if line.unit_price < 0:
            raise ValidationError(f"Line {n}: the unit price cannot be negative.")


def _lines_create(po: PurchaseOrder, lines: Sequence[LineInput]) -> None:
    PurchaseOrderLine.objects.bulk_create(
        PurchaseOrderLine(
            purchase_order=po,
            line_no=n,
            product=line.product,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for n, line in enumerate(lines, start=1)
    )


@transaction.atomic
def purchase_order_create(
    *,
    scope: Scope,
    ship_to: Location,
    lines: Sequence[LineInput],
    request_key: str,
    supplier_org: Organization | None = None,
    supplier_party: Party | None = None,
    expected_date: dt.date | None = None,
    notes: str = "",
) -> tuple[PurchaseOrder, bool]:
    """Create a DRAFT PO from the viewer's active organization. Returns (po, created).

    The same request key (one per rendered form) returns the first PO: a double click or a
    retried POST creates nothing twice.
    """
    require(scope, Action.PO_CREATE)
    buyer_id = scope.org_id
    if buyer_id is None:
        raise PermissionDenied("Purchase orders are created by an organization.")
    request_key = (request_key or "").strip()[:64]
    if not request_key:
        raise ValidationError("The form expired; reload the page and try again.")
    _lock_numbering(buyer_id)
    existing = (
        PurchaseOrder.objects.visible_to(scope)
        .filter(buyer_id=buyer_id, request_key=request_key)
        .first()
    )
    if existing is not None:
        return existing, False

    _check_supplier(scope, supplier_org, supplier_party)
    _check_ship_to(scope, ship_to)
    _check_lines(buyer_id, lines)

    po = PurchaseOrder.objects.create(
        number=_next_number(buyer_id),
        buyer_id=buyer_id,
        supplier_org=supplier_org,
        supplier_party=supplier_party,
        ship_to=ship_to,
        expected_date=expected_date,
        notes=notes.strip(),
        request_key=request_key,
        created_by_id=scope.user_id,
    )
    _lines_create(po, lines)
    audit(
        scope=scope,
        action="purchase_order.create",
        target=po,
        after={"number": po.number, "lines": len(lines), "supplier": po.supplier_name},
    )
    return po, True


@bypass(reason="purchase order: addressing the supplier's admins, nothing is shown")
def _supplier_admin_emails(po: PurchaseOrder) -> list[str]:
    # unscoped on purpose: who to notify is decided by the system, nothing is shown to the buyer.
    if po.supplier_org_id is None:
        return []
    return list(
        Membership.objects.filter(
            organization_id=po.supplier_org_id, is_active=True, role__in=ADMIN_ROLES
        ).values_list("user__email", flat=True)
    )


@transaction.atomic
def purchase_order_send(*, scope: Scope, po: PurchaseOrder, notify: bool = True) -> PurchaseOrder:
    """DRAFT → SENT; the supplier organization's admins get an email. Sending twice is a no-op.

    `notify=False` is for the demo seed only, which must not mail the demo personas.
    """
    po = _locked(po)
    require(scope, Action.PO_SEND, po)
    if po.status == POStatus.SENT:
        return po
    if po.status != POStatus.DRAFT:
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}; only a draft can be sent."
        )
    po.status = POStatus.SENT
    po.sent_at = timezone.now()
    po.save(update_fields=["status", "sent_at", "updated_at"])
    audit(
        scope=scope,
        action="purchase_order.send",
        target=po,
        before={"status": POStatus.DRAFT},
        after={"status": POStatus.SENT},
    )
    if notify and po.supplier_org is not None:
        recipients = _supplier_admin_emails(po)
        if recipients:
            queue_email(
                to=recipients,
                template="procurement/email/po_sent",
                context={
                    "po": po,
                    "buyer": po.buyer,
                    # The supplier sees where to deliver as its scope allows: the buyer
                    # organization, never an internal location it cannot see.
                    "ship_to_end": location_end_for_org(po.supplier_org, po.ship_to),
                    "lines": po.lines.count(),
                    "site_url": settings.SITE_URL,
                },
            )
    return po


@transaction.atomic
def purchase_order_acknowledge(*, scope: Scope, po: PurchaseOrder) -> PurchaseOrder:
    """The supplier confirms it received the PO (any plan, FREE included). Idempotent."""
    po = _locked(po)
    require(scope, Action.PO_ACKNOWLEDGE, po)
    if po.status == POStatus.ACKNOWLEDGED:
        return po
    if po.status != POStatus.SENT:
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}; it cannot be acknowledged."
        )
    po.status = POStatus.ACKNOWLEDGED
    po.acknowledged_at = timezone.now()
    po.save(update_fields=["status", "acknowledged_at", "updated_at"])
    audit(
        scope=scope,
        action="purchase_order.acknowledge",
        target=po,
        before={"status": POStatus.SENT},
        after={"status": POStatus.ACKNOWLEDGED},
    )
    return po


@transaction.atomic
def purchase_order_cancel(*, scope: Scope, po: PurchaseOrder, reason: str = "") -> PurchaseOrder:
    """The buyer cancels an open PO. Cancelling twice is a no-op; a closed PO stays closed."""
    po = _locked(po)
    require(scope, Action.PO_CANCEL, po)
    if po.status == POStatus.CANCELLED:
        return po
    if po.status == POStatus.CLOSED:
        raise ValidationError(f"{po.number} is closed; it cannot be cancelled.")
    before = po.status
    po.status = POStatus.CANCELLED
    po.cancelled_at = timezone.now()
    po.cancel_reason = reason.strip()[:300]
    po.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    audit(
        scope=scope,
        action="purchase_order.cancel",
        target=po,
        before={"status": before},
        after={"status": POStatus.CANCELLED, "reason": po.cancel_reason},
    )
    return po


@transaction.atomic
def purchase_order_close(*, scope: Scope, po: PurchaseOrder) -> PurchaseOrder:
    """The buyer closes an acknowledged PO once it is fulfilled. Idempotent."""
    po = _locked(po)
    require(scope, Action.PO_CLOSE, po)
    if po.status == POStatus.CLOSED:
        return po
    if po.status != POStatus.ACKNOWLEDGED:
        raise ValidationError(
            f"{po.number} is {po.get_status_display().lower()}; only an acknowledged PO can be closed."
        )
    po.status = POStatus.CLOSED
    po.closed_at = timezone.now()
    po.save(update_fields=["status", "closed_at", "updated_at"])
    audit(
        scope=scope,
        action="purchase_order.close",
        target=po,
        before={"status": POStatus.ACKNOWLEDGED},
        after={"status": POStatus.CLOSED},
    )
    return po
