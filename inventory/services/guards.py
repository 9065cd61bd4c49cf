"""Where a stock write may happen, shared by the adjustment, transfer and count services.

The write policy comes first (the viewer must OWN the stock; operating the location is not
enough), then where the viewer may work, then the plan's location allowance.
"""

from __future__ import annotations

from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError

from core.entitlements import EXTRA_LOCATION_PRICE, LimitReached, Limits
from orgs.access import Scope
from orgs.models import Location, Organization
from orgs.policy import Action, StockAt, require

from ..models import Product
from ..selectors import default_stock_owner, managed_location_ids


def require_operable(
    scope: Scope, action: Action, target: object, location: Location, owner_id: int
) -> int:
    """Refuse unless the viewer may do `action` on `target` at `location`. Returns the owner
    id, so a caller can chain it."""
    require(scope, action, target)
    if location.pk not in scope.location_ids and not scope.is_platform_staff:
        raise PermissionDenied("You cannot work at this location.")
    if location.operator_id in scope.org_ids and location.pk not in managed_location_ids(scope):
        limit = cast(Limits, scope.limits).locations
        raise LimitReached(
            f"Your plan manages inventory at {limit} location{'s' if limit != 1 else ''}; "
            f"{location.code} is beyond it. Add a location for ${EXTRA_LOCATION_PRICE}/mo, or "
            "upgrade to ENTERPRISE for unlimited locations."
        )
    return owner_id


def require_operable_new(
    scope: Scope, action: Action, location: Location, owner: Organization | None
) -> int:
    """A new stock document (adjustment, count, transfer leg) for `owner`'s stock (by default
    the stock the location holds for the viewer). Returns the owner id."""
    owner_id = owner.pk if owner is not None else default_stock_owner(scope, location)
    if owner_id is None:  # a platform-staff scope outside any organization owns no stock
        raise PermissionDenied("Choose whose stock this is.")
    return require_operable(scope, action, StockAt(owner_id, location.pk), location, owner_id)


def require_owner_product(product: Product, owner_id: int) -> None:
    if product.owner_id != owner_id:
        raise ValidationError(f"{product.sku} is not a product of the stock owner.")
