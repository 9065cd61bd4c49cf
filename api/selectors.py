"""What the API reads, always through `visible_to(scope)`, serialised to plain dicts."""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from inventory.models import Product, StockBalance
from inventory.selectors import products_for
from orgs.access import Scope
from orgs.models import Location, LocationKind
from orgs.selectors import locations_for

from .problems import bad_request


def locations(scope: Scope, *, kind: str = "") -> QuerySet[Location]:
    qs = locations_for(scope)
    if kind:
        if kind not in LocationKind.values:
            raise bad_request(
                "Unknown location kind.", kind=f"one of {', '.join(LocationKind.values)}"
            )
        qs = qs.filter(kind=kind)
    return qs


def location(scope: Scope, public_id: UUID) -> Location | None:
    """One location as orgs shows it to the viewer; None when missing or not visible."""
    return locations_for(scope).filter(public_id=public_id).first()


def location_json(loc: Location) -> dict:
    return {
        "id": str(loc.public_id),
        "code": loc.code,
        "name": loc.name,
        "kind": loc.kind,
        "city": loc.city,
        "country": loc.country,
        "operator": {"code": loc.operator.code, "name": loc.operator.name},
    }


def products(scope: Scope, *, sku: str = "") -> QuerySet[Product]:
    # (owner_id, sku) is the unique index: the page is read in index order, not sorted.
    qs = products_for(scope).order_by("owner_id", "sku")
    if sku:
        qs = qs.filter(sku=sku[:64])
    return qs


def product(scope: Scope, public_id: UUID) -> Product | None:
    """One product as inventory shows it to the viewer; None when missing or not visible."""
    return products_for(scope).filter(public_id=public_id).first()


def product_json(scope: Scope, p: Product) -> dict:
    data = {
        "id": str(p.public_id),
        "sku": p.sku,
        "name": p.name,
        "unit_of_measure": p.unit_of_measure,
        "price": str(p.price),
        "owner": {"code": p.owner.code, "name": p.owner.name},
        "is_active": p.is_active,
    }
    # Cost is the owner's secret: only the owner's own orgs ever get it.
    if scope.owns(p.owner_id):
        data["cost"] = str(p.cost)
    return data


def stock(scope: Scope, *, location: str = "", sku: str = "") -> QuerySet[StockBalance]:
    qs = StockBalance.objects.visible_to(scope).exclude(quantity=0)
    if location:
        loc = Location.objects.visible_to(scope).filter(code=location[:20]).first()
        if loc is None:
            # Same answer for "does not exist" and "not yours": existence is not revealed.
            raise bad_request(
                f"No location {location[:20]} is visible to you.", location="unknown location code"
            )
        qs = qs.filter(location=loc)
    if sku:
        qs = qs.filter(product__sku=sku[:64])
    # Ordered by id: stable pages, and the primary key index serves the top of the list
    # without sorting every visible balance (a sort by location code and SKU grew with them).
    return qs.select_related("product", "location", "owner").order_by("id")


def stock_json(b: StockBalance) -> dict:
    return {
        "location": b.location.code,
        "sku": b.product.sku,
        "product": b.product.name,
        "owner": b.owner.code,
        "lot": b.lot,
        "expiry": b.expiry.isoformat() if b.expiry else None,
        "quantity": f"{b.quantity.normalize():f}",
    }
