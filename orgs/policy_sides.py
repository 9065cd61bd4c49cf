"""Who an organization is relative to an object: the actor predicates the write policy's
table (orgs/policy.py) names, one small function per side (shipper, receiver, buyer, …)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .access import Scope
from .models import Role

# ---- who: small predicates over (scope, object) ----------------------------------------------


def _at_member_locations(scope: Scope, *location_ids: int | None) -> bool:
    """A MEMBER acts only where it holds a grant; admins everywhere in their orgs."""
    if scope.member_location_ids is None:
        return True
    return any(loc in scope.member_location_ids for loc in location_ids if loc)


def _stock_locations(obj: Any) -> tuple[int | None, ...]:
    if hasattr(obj, "from_location_id"):  # a Transfer: either end
        return (obj.from_location_id, obj.to_location_id)
    return (obj.location_id,)


def stock_owner(scope: Scope, obj: Any) -> bool:
    """Owner of the stock (StockAt, StockCount, Transfer): the owner is one of the viewer's
    organizations (a MEMBER: with a grant at the location). Operating the location is not
    enough."""
    if obj is None:
        return scope.is_platform_staff or bool(scope.org_ids)
    return scope.owns(obj.owner_id) and _at_member_locations(scope, *_stock_locations(obj))


def shipper(scope: Scope, shipment: Any) -> bool:
    """The shipping side: the shipper's organization (a member only at its locations)."""
    if shipment is None:
        return bool(scope.org_ids)
    if scope.is_platform_staff:
        return False
    return shipment.shipper_id in scope.org_ids and _at_member_locations(
        scope, shipment.origin_id, shipment.destination_id
    )


def receiver(scope: Scope, shipment: Any) -> bool:
    """The receiving side: the operator of the destination location (Amazon receiving the
    owner's goods into its FBA site is a party to that document)."""
    if shipment is None:
        return bool(scope.org_ids)
    if scope.is_platform_staff or shipment.receiver_id is None:
        return False
    return shipment.receiver_id in scope.org_ids and _at_member_locations(
        scope, shipment.destination_id
    )


def goods_owner(scope: Scope, shipment: Any) -> bool:
    """The owner of the goods on a shipment (it may differ from the shipper)."""
    if scope.is_platform_staff or shipment is None:
        return False
    return shipment.owner_id in scope.org_ids and _at_member_locations(
        scope, shipment.origin_id, shipment.destination_id
    )


def _shipment_of(obj: Any) -> Any:
    """An ASN or a discrepancy case acts through its shipment."""
    return getattr(obj, "shipment", obj)


def case_sender(scope: Scope, case: Any) -> bool:
    shipment = _shipment_of(case)
    return goods_owner(scope, shipment) or shipper(scope, shipment)


def case_receiver(scope: Scope, case: Any) -> bool:
    return receiver(scope, _shipment_of(case))


def case_side(scope: Scope, case: Any) -> bool:
    return case_sender(scope, case) or case_receiver(scope, case)


def buyer(scope: Scope, po: Any) -> bool:
    if po is None:
        return scope.is_platform_staff or scope.org_id is not None
    return scope.owns(po.buyer_id)


def supplier(scope: Scope, po: Any) -> bool:
    if po is None:
        return bool(scope.org_ids)
    return po.supplier_org_id is not None and po.supplier_org_id in scope.org_ids


def admin_of(org_id_of: Callable[[Any], int | None]) -> Callable[[Scope, Any], bool]:
    """An admin of the organization the object belongs to (its subtree's admins too)."""

    def rule(scope: Scope, obj: Any) -> bool:
        if not scope.is_admin:
            return False
        if obj is None:
            return scope.is_platform_staff or scope.org_id is not None
        org_id = org_id_of(obj)
        return org_id is not None and scope.can_administer(org_id)

    rule.__name__ = "admin_of"
    return rule


def pk_of(obj: Any) -> int | None:
    return obj.pk


def parent_side_of(partnership: Any) -> int:
    return partnership.relationship.parent_id


def either_side_admin(scope: Scope, partnership: Any) -> bool:
    if not scope.is_admin:
        return False
    if partnership is None:
        return True
    rel = partnership.relationship
    return scope.can_administer(rel.parent_id) or scope.can_administer(rel.child_id)


def either_side(scope: Scope, partnership: Any) -> bool:
    if partnership is None:
        return bool(scope.org_ids)
    rel = partnership.relationship
    return rel.parent_id in scope.org_ids or rel.child_id in scope.org_ids


def own_org_admin(scope: Scope, obj: Any) -> bool:
    """An admin acting for its active organization (plans, API tokens)."""
    return not scope.is_platform_staff and scope.is_admin and scope.org_id is not None


def member_manager(scope: Scope, membership: Any) -> bool:
    """An admin of the membership's organization; only a super admin touches a super admin."""
    if membership is None:
        return scope.is_admin
    if not (scope.is_admin and scope.can_administer(membership.organization_id)):
        return False
    return membership.role != Role.ORG_SUPER_ADMIN or scope.is_super_admin


def network_root_super_admin(scope: Scope, org: Any) -> bool:
    """The network root's super admin, about an organization linked to its network."""
    if not scope.is_network_root_super_admin:
        return False
    if org is None:
        return True
    return org.pk in scope.org_ids or org.pk in scope.partner_org_ids
