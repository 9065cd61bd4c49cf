"""Catalog pages: products, their bill of materials, the CSV import."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_safe

from core.entitlements import Feature, require_feature
from core.forms import add_service_error, render_form
from core.paging import paginate
from core.uploads import IMAGES, file_download
from orgs.decorators import admin_view, scoped_view
from orgs.policy import Action, can, require

from .. import selectors
from ..forms import BomForm, ImportForm, ProductForm, specs_as_text
from ..models import Product
from ..services import catalog, csv_import


@scoped_view
@require_feature(Feature.PRODUCTS_VIEW_SHARED)
def product_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:64]
    qs = selectors.products_for(request.scope, query)
    page = paginate(request, qs)
    return render(
        request,
        "inventory/product_list.html",
        {"page": page, "query": query, "own_org_ids": request.scope.org_ids},
    )


def _product(request: HttpRequest, public_id: str) -> Product:
    return get_object_or_404(
        Product.objects.visible_to(request.scope).select_related("owner"), public_id=public_id
    )


@require_safe
@scoped_view
@require_feature(Feature.PRODUCTS_VIEW_SHARED)
def product_image(request: HttpRequest, public_id: str) -> HttpResponse:
    """The product's image, to whoever may see the product (never from MEDIA_URL)."""
    product = _product(request, public_id)
    # An attachment like every stored upload: an <img> still shows it, opening the URL saves it.
    return file_download(product.image, original_name=f"{product.sku}", allowed=IMAGES)


@scoped_view
@require_feature(Feature.PRODUCTS_VIEW_SHARED)
def product_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    product = _product(request, public_id)
    own = request.scope.owns(product.owner_id)
    context = {
        "product": product,
        "own": own,
        "can_edit": can(request.scope, Action.PRODUCT_EDIT, product),
        "margin": product.price - product.cost if own else None,
        "stock": selectors.product_stock(request.scope, product),
        "bom": selectors.product_bom(request.scope, product) if own else [],
    }
    return render(request, "inventory/product_detail.html", context)


@admin_view
@require_feature(Feature.PRODUCTS_CREATE)
def product_create(request: HttpRequest) -> HttpResponse:
    form = ProductForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = catalog.product_create(scope=request.scope, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{product.sku} {product.name} was created.")
            return redirect("inventory:product_detail", public_id=product.public_id)
    return render_form(request, "inventory/product_form.html", {"form": form, "new": True})


@admin_view
@require_feature(Feature.PRODUCTS_CREATE)
def product_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """One page, two forms: the product's fields and its bill of materials (action=bom)."""
    product = _product(request, public_id)
    require(request.scope, Action.PRODUCT_EDIT, product)
    form = ProductForm(request.POST or None, request.FILES or None, initial=_initial(product))
    form.fields["sku"].disabled = True
    bom_text = BomForm.as_text(selectors.product_bom(request.scope, product))
    bom_form = BomForm(scope=request.scope, product=product, initial={"lines": bom_text})
    if request.method == "POST" and request.POST.get("action") == "bom":
        bom_form = BomForm(request.POST, scope=request.scope, product=product)
        if bom_form.is_valid():
            try:
                catalog.bom_set(
                    scope=request.scope, product=product, lines=bom_form.cleaned_data["lines"]
                )
            except ValidationError as exc:
                add_service_error(bom_form, exc)
            else:
                messages.success(request, "Bill of materials saved.")
                return redirect("inventory:product_detail", public_id=product.public_id)
    elif request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("sku")
        image = data.pop("image")
        try:
            catalog.product_update(scope=request.scope, product=product, image=image, **data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{product.sku} was saved.")
            return redirect("inventory:product_detail", public_id=product.public_id)
    return render_form(
        request,
        "inventory/product_form.html",
        {"form": form, "bom_form": bom_form, "product": product, "new": False},
    )


def _initial(product: Product) -> dict[str, object]:
    return {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "specifications": specs_as_text(product.specifications),
        "unit_of_measure": product.unit_of_measure,
        "price": product.price,
        "cost": product.cost,
        "is_active": product.is_active,
    }


@admin_view
@require_feature(Feature.PRODUCTS_CREATE)
def product_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = csv_import.product_import_csv(scope=request.scope, data=upload.read())
        except csv_import.ImportRejected as exc:
            row_errors = exc.row_errors
            form.add_error(None, "Nothing was imported; fix the rows below and upload again.")
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, f"Imported: {result.created} created, {result.updated} updated."
            )
            return redirect("inventory:product_list")
    return render_form(
        request, "inventory/product_import.html", {"form": form, "row_errors": row_errors}
    )
