"""Catalog writes: products and their bills of materials.

Products belong to the active organization and are created by its admins; partners see
shared products read-only, so every edit is refused for them by the policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from core.entitlements import check_sku_limit
from core.uploads import IMAGES, accept_upload, check_upload, removes_files_on_error
from orgs.access import Scope, unscoped_relock
from orgs.audit import audit
from orgs.models import Organization
from orgs.policy import Action, require

from ..models import BomLine, Product

PRODUCT_FIELDS = (
    "name",
    "description",
    "specifications",
    "unit_of_measure",
    "price",
    "cost",
    "is_active",
)


def catalog_owner(scope: Scope) -> Organization:
    """The organization whose catalog a write changes: the active one, locked, for its admins
    (the CSV import shares it)."""
    require(scope, Action.PRODUCT_CREATE)
    return Organization.objects.visible_to(scope).select_for_update().get(pk=scope.org_id)


@removes_files_on_error
@transaction.atomic
def product_create(
    *,
    scope: Scope,
    sku: str,
    name: str,
    price: Decimal,
    cost: Decimal = Decimal("0"),
    description: str = "",
    specifications: dict[str, Any] | None = None,
    unit_of_measure: str = "EA",
    is_active: bool = True,
    image: File | None = None,
) -> Product:
    owner = catalog_owner(scope)
    if image:
        check_upload(image, allowed=IMAGES)
    sku = sku.strip().upper()
    if not sku:
        raise ValidationError("Enter a SKU.")
    if price < 0 or cost < 0:
        raise ValidationError("Price and cost cannot be negative.")
    in_use = Product.objects.visible_to(scope).filter(owner=owner).count()
    check_sku_limit(scope, in_use)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                owner=owner,
                sku=sku,
                name=name.strip(),
                description=description,
                specifications=specifications or {},
                unit_of_measure=unit_of_measure.strip() or "EA",
                price=price,
                cost=cost,
                is_active=is_active,
            )
    except IntegrityError:
        raise ValidationError(f"SKU {sku} already exists in your catalog.") from None
    if image:
        _save_image(product, image)
    audit(scope=scope, action="product.create", target=product, after={"sku": sku})
    return product


@removes_files_on_error
@transaction.atomic
def product_update(
    *, scope: Scope, product: Product, image: File | None = None, **changes: Any
) -> Product:
    # Partners see shared products read-only; editing them is simply not there.
    require(scope, Action.PRODUCT_EDIT, product)
    if image:
        check_upload(image, allowed=IMAGES)
    product = unscoped_relock(product)
    unknown = set(changes) - set(PRODUCT_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    before = {k: str(getattr(product, k)) for k in changes}
    for key, value in changes.items():
        setattr(product, key, value)
    if product.price < 0 or product.cost < 0:
        raise ValidationError("Price and cost cannot be negative.")
    product.save()
    if image:
        _save_image(product, image)
    audit(
        scope=scope,
        action="product.update",
        target=product,
        before=before,
        after={k: str(getattr(product, k)) for k in changes},
    )
    return product


@transaction.atomic
def bom_set(
    *, scope: Scope, product: Product, lines: Sequence[tuple[Product, Decimal]]
) -> list[BomLine]:
    """Replace a product's bill of materials; components must be the owner's products."""
    # Partners see shared products read-only; editing them is simply not there.
    require(scope, Action.PRODUCT_EDIT, product)
    seen = set()
    for component, quantity in lines:
        if component.pk == product.pk:
            raise ValidationError("A product cannot be a component of itself.")
        if component.owner_id != product.owner_id:
            raise ValidationError(f"{component.sku} is not in your catalog.")
        if quantity <= 0:
            raise ValidationError(f"Quantity of {component.sku} must be positive.")
        if component.pk in seen:
            raise ValidationError(f"{component.sku} is listed twice.")
        seen.add(component.pk)
    BomLine.objects.filter(product=product).delete()
    created = BomLine.objects.bulk_create(
        [BomLine(product=product, component=c, quantity=q) for c, q in lines]
    )
    audit(
        scope=scope,
        action="product.bom_set",
        target=product,
        after={"components": [[c.sku, str(q)] for c, q in lines]},
    )
    return created


def _save_image(product: Product, image: File) -> None:
    # PNG, JPEG or WebP by content; stored under a random name (core/uploads.py).
    stored, _ = accept_upload(image, allowed=IMAGES)
    replaced = product.image.name if product.image else ""
    storage = product.image.storage
    product.image.save(str(stored.name), stored, save=True)
    if replaced and replaced != product.image.name:
        # The old image goes once the new one is committed (a rollback keeps it, still in use).
        transaction.on_commit(lambda: storage.delete(replaced))
