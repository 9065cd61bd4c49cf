"""Inventory and catalog pages: thin views (parse, call a selector or a service, render)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.entitlements import Feature, LimitReached, require_feature
from orgs.decorators import admin_view, scoped_view
from orgs.ends import location_end
from orgs.policy import Action, can, require

from . import exports, selectors, services
from .forms import (
    AdjustmentForm,
    BomForm,
    CountForm,
    ImportForm,
    ProductForm,
    TransferForm,
    specs_as_text,
)
from .models import CountStatus, Product, StockCount, Transfer
from .paging import CappedPaginator, StockPaginator
from .selectors import StockFilter, sees_cost

PAGE_SIZE = 50


def _parse_date(value: str, label: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(f"{label}: '{value[:20]}' is not a date (use YYYY-MM-DD).")
        return None


def _filter_from(request, errors: list[str]) -> StockFilter:
    g = request.GET
    return StockFilter(
        location=g.get("location", "").strip()[:20],
        product=g.get("product", "").strip()[:64],
        lot=g.get("lot", "").strip()[:64],
        expiring_before=_parse_date(
            g.get("expiring_before", "").strip(), "Expiring before", errors
        ),
    )


def _common(request, f: StockFilter, errors: list[str]) -> dict:
    return {
        "filter": f,
        "errors": errors,
        "show_cost": sees_cost(request.scope),
        "own_org_ids": request.scope.org_ids,
        "query_string": request.GET.urlencode(),
        "cost_method": selectors.COST_METHOD,
    }


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_list(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    rows = selectors.stock_rows(request.scope, f)
    if request.GET.get("format") == "csv" and not errors:
        return exports.stock_csv(request.scope, rows)
    page = StockPaginator(rows, PAGE_SIZE, scope=request.scope).get_page(request.GET.get("page"))
    context = _common(request, f, errors) | {"page": page}
    return render(request, "inventory/stock_list.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_by_location(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    rows = selectors.totals_by_location(request.scope, f)
    context = _common(request, f, errors) | {
        "rows": rows,
        "total": selectors.grand_total(rows),
    }
    return render(request, "inventory/by_location.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def inventory_by_product(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    page = Paginator(selectors.totals_by_product(request.scope, f), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = _common(request, f, errors) | {"page": page}
    return render(request, "inventory/by_product.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def expiring(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    try:
        days = max(0, min(int(request.GET.get("days", "60")), 3650))
    except ValueError:
        errors.append("Days must be a whole number.")
        days = 60
    rows = selectors.expiring_lots(request.scope, days, f)
    if request.GET.get("format") == "csv" and not errors:
        return exports.expiring_csv(rows)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _common(request, f, errors) | {"page": page, "days": days}
    return render(request, "inventory/expiring.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.INVENTORY_VIEW_SHARED)
def movements(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    page = CappedPaginator(selectors.movements_for(request.scope, f), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = _common(request, f, errors) | {"page": page}
    return render(request, "inventory/movements.html", context, status=400 if errors else 200)


# ---- reports --------------------------------------------------------------------------------


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def report_snapshot(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    at = _parse_date(request.GET.get("date", "").strip(), "Date", errors) or dt.date.today()
    if at > dt.date.today():
        errors.append("The snapshot date cannot be in the future.")
        at = dt.date.today()
    rows = selectors.snapshot_at(request.scope, at, f) if not errors else []
    context = _common(request, f, errors) | {
        "rows": rows,
        "at": at,
        "total": selectors.grand_total(rows),
        "title": f"Inventory snapshot at {at:%Y-%m-%d}",
    }
    fmt = request.GET.get("format")
    if fmt == "csv" and not errors:
        return exports.snapshot_csv(request.scope, rows, at)
    if fmt == "pdf" and not errors:
        return exports.pdf(
            request, "inventory/pdf/snapshot.html", context, f"inventory-snapshot-{at:%Y%m%d}.pdf"
        )
    return render(request, "inventory/report_snapshot.html", context, status=400 if errors else 200)


@scoped_view
@require_feature(Feature.REPORTS_BASIC)
def report_valuation(request):
    errors: list[str] = []
    f = _filter_from(request, errors)
    by_location = selectors.totals_by_location(request.scope, f)
    by_product = list(selectors.totals_by_product(request.scope, f)[:2000])
    context = _common(request, f, errors) | {
        "by_location": by_location,
        "by_product": by_product,
        "total": selectors.grand_total(by_location),
        "title": f"Inventory valuation at {dt.date.today():%Y-%m-%d}",
    }
    fmt = request.GET.get("format")
    if fmt == "csv" and not errors:
        return exports.valuation_csv(request.scope, by_location, by_product)
    if fmt == "pdf" and not errors:
        return exports.pdf(
            request,
            "inventory/pdf/valuation.html",
            context,
            f"inventory-valuation-{dt.date.today():%Y%m%d}.pdf",
        )
    return render(
        request, "inventory/report_valuation.html", context, status=400 if errors else 200
    )


# ---- own inventory: adjustments, transfers, counts -----------------------------------------


def _key() -> str:
    return uuid.uuid4().hex


def _prefill(request, *names: str) -> dict:
    """Initial values from the links on the stock list (location, product)."""
    return {n: request.GET[n] for n in names if request.GET.get(n)} | {"key": _key()}


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def adjust(request):
    form = AdjustmentForm(
        request.POST or None, scope=request.scope, initial=_prefill(request, "location", "product")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.stock_adjust(
                scope=request.scope,
                location=data["location"],
                product=data["product"],
                quantity=data["quantity"],
                reason_code=data["reason_code"],
                lot=data["lot"],
                expiry=data["expiry"],
                note=data["note"],
                idempotency_key=f"adjust:{request.scope.org_id}:{data['key']}",
            )
        except LimitReached as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Adjusted {data['product'].sku} at {data['location'].code} by "
                f"{data['quantity'].normalize():f}.",
            )
            return redirect(f"{reverse('inventory:list')}?location={data['location'].code}")
    status = 400 if request.method == "POST" else 200
    return render(request, "inventory/adjust.html", {"form": form}, status=status)


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_list(request):
    qs = Transfer.objects.visible_to(request.scope).select_related(
        "from_location__operator", "to_location__operator"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inventory/transfers.html", {"page": page})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_create(request):
    form = TransferForm(
        request.POST or None,
        scope=request.scope,
        initial=_prefill(request, "from_location", "product"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.transfer_create(
                scope=request.scope,
                from_location=data["from_location"],
                to_location=data["to_location"],
                lines=[(data["product"], data["quantity"])],
                note=data["note"],
                idempotency_key=f"transfer:{request.scope.org_id}:{data['key']}",
            )
        except LimitReached as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Transfer dispatched; it is in transit until received.")
            return redirect("inventory:transfer_detail", public_id=transfer.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "inventory/transfer_form.html", {"form": form}, status=status)


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def transfer_detail(request, public_id):
    transfer = get_object_or_404(
        Transfer.objects.visible_to(request.scope).select_related(
            "from_location__operator", "to_location__operator"
        ),
        public_id=public_id,
    )
    if request.method == "POST":
        try:
            services.transfer_receive(scope=request.scope, transfer=transfer)
        except LimitReached as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Received at {location_end(request.scope, transfer.to_location).text}."
            )
        return redirect("inventory:transfer_detail", public_id=transfer.public_id)
    lines = transfer.lines.select_related("product")
    return render(request, "inventory/transfer_detail.html", {"transfer": transfer, "lines": lines})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_list(request):
    qs = StockCount.objects.visible_to(request.scope).select_related("location")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inventory/counts.html", {"page": page})


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_create(request):
    form = CountForm(
        request.POST or None, scope=request.scope, initial=_prefill(request, "location")
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            count = services.count_create(
                scope=request.scope,
                location=data["location"],
                kind=data["kind"],
                products=list(data["products"]),
            )
        except LimitReached as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("inventory:count_detail", public_id=count.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "inventory/count_form.html", {"form": form}, status=status)


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def count_detail(request, public_id):
    count = get_object_or_404(
        StockCount.objects.visible_to(request.scope).select_related("location"),
        public_id=public_id,
    )
    lines = list(count.lines.select_related("product"))
    status = 200
    if request.method == "POST":
        counted, bad = {}, []
        for line in lines:
            raw = request.POST.get(f"line-{line.pk}", "").strip()
            if raw == "":
                counted[line.pk] = None
                continue
            try:
                counted[line.pk] = Decimal(raw)
                if not counted[line.pk].is_finite():
                    raise ValueError
            except (ArithmeticError, ValueError):
                bad.append(f"{line.product.sku} {line.lot}: '{raw[:20]}' is not a number.")
        try:
            if bad:
                raise ValidationError(bad)
            services.count_record(scope=request.scope, count=count, counted=counted)
            if request.POST.get("action") == "post":
                services.count_post(scope=request.scope, count=count)
                messages.success(request, "Count posted: variances corrected in one batch.")
            else:
                messages.success(request, "Counts saved. Review the variances, then post.")
            return redirect("inventory:count_detail", public_id=count.public_id)
        except LimitReached as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        status = 400
        lines = list(count.lines.select_related("product"))
    is_open = count.status == CountStatus.OPEN
    return render(
        request,
        "inventory/count_detail.html",
        {
            "count": count,
            "lines": lines,
            "open": is_open,
            "can_edit": is_open and can(request.scope, Action.STOCK_COUNT_EDIT, count),
            "can_post": is_open and can(request.scope, Action.STOCK_COUNT_POST, count),
        },
        status=status,
    )


@scoped_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def pick(request):
    """FEFO picking suggestion: which lots to take a quantity from, first-expiring first."""
    form = TransferForm(scope=request.scope)
    picks, error = None, ""
    location_code = request.GET.get("location", "")
    product_id = request.GET.get("product", "")
    quantity = request.GET.get("quantity", "")
    if location_code and product_id and quantity:
        try:
            location = form.fields["from_location"].queryset.filter(code=location_code).first()
            product = (
                form.fields["product"].queryset.filter(public_id=uuid.UUID(product_id)).first()
            )
            if location is None or product is None:
                raise ValidationError("Choose one of your locations and products.")
            qty = Decimal(quantity)
            if not qty.is_finite() or qty <= 0:
                raise ValidationError("Enter a positive quantity.")
            owner_id = services.default_stock_owner(request.scope, location)
            picks = services.fefo_allocate(
                scope=request.scope,
                owner_id=owner_id,
                product=product,
                location=location,
                quantity=qty,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except (ValueError, ArithmeticError):
            error = "Enter a valid product and quantity."
    return render(
        request,
        "inventory/pick.html",
        {
            "form": form,
            "picks": picks,
            "error": error,
            "location_code": location_code,
            "product_id": product_id,
            "quantity": quantity,
        },
        status=400 if error else 200,
    )


# ---- products -------------------------------------------------------------------------------


@scoped_view
@require_feature(Feature.PRODUCTS_VIEW_SHARED)
def product_list(request):
    query = request.GET.get("q", "").strip()[:64]
    qs = selectors.products_for(request.scope, query)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/product_list.html",
        {"page": page, "query": query, "own_org_ids": request.scope.org_ids},
    )


def _product(request, public_id) -> Product:
    return get_object_or_404(
        Product.objects.visible_to(request.scope).select_related("owner"), public_id=public_id
    )


@scoped_view
@require_feature(Feature.PRODUCTS_VIEW_SHARED)
def product_detail(request, public_id):
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
def product_create(request):
    form = ProductForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(scope=request.scope, **form.cleaned_data)
        except LimitReached as exc:
            form.add_error(None, exc.message)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{product.sku} {product.name} was created.")
            return redirect("inventory:product_detail", public_id=product.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "inventory/product_form.html", {"form": form, "new": True}, status=status
    )


@admin_view
@require_feature(Feature.PRODUCTS_CREATE)
def product_edit(request, public_id):
    product = _product(request, public_id)
    require(request.scope, Action.PRODUCT_EDIT, product)
    initial = {
        "sku": product.sku,
        "name": product.name,
        "description": product.description,
        "specifications": specs_as_text(product.specifications),
        "unit_of_measure": product.unit_of_measure,
        "price": product.price,
        "cost": product.cost,
        "is_active": product.is_active,
    }
    form = ProductForm(request.POST or None, request.FILES or None, initial=initial)
    form.fields["sku"].disabled = True
    bom_form = BomForm(
        initial={
            "lines": "\n".join(
                f"{b.component.sku} {b.quantity.normalize():f}"
                for b in selectors.product_bom(request.scope, product)
            )
        }
    )
    if request.method == "POST" and request.POST.get("action") == "bom":
        bom_form = BomForm(request.POST)
        if bom_form.is_valid():
            try:
                services.bom_set(
                    scope=request.scope,
                    product=product,
                    lines=_parse_bom(request, product, bom_form.cleaned_data["lines"]),
                )
            except ValidationError as exc:
                bom_form.add_error(None, exc)
            else:
                messages.success(request, "Bill of materials saved.")
                return redirect("inventory:product_detail", public_id=product.public_id)
    elif request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("sku")
        image = data.pop("image")
        try:
            services.product_update(scope=request.scope, product=product, image=image, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"{product.sku} was saved.")
            return redirect("inventory:product_detail", public_id=product.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "inventory/product_form.html",
        {"form": form, "bom_form": bom_form, "product": product, "new": False},
        status=status,
    )


def _parse_bom(request, product: Product, text: str) -> list[tuple[Product, Decimal]]:
    wanted: list[tuple[str, str]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValidationError(f'"{line.strip()}" should be "SKU quantity".')
        wanted.append((parts[0].upper(), parts[1]))
    catalog = {
        p.sku: p
        for p in Product.objects.visible_to(request.scope).filter(
            owner_id=product.owner_id, sku__in=[s for s, _ in wanted]
        )
    }
    lines = []
    for sku, qty in wanted:
        if sku not in catalog:
            raise ValidationError(f"Unknown SKU {sku}.")
        try:
            quantity = Decimal(qty)
            if not quantity.is_finite():
                raise ArithmeticError
        except ArithmeticError:
            raise ValidationError(f"Quantity '{qty}' of {sku} is not a number.") from None
        lines.append((catalog[sku], quantity))
    return lines


@admin_view
@require_feature(Feature.PRODUCTS_CREATE)
def product_import(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    row_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_IMPORT_BYTES:
            row_errors = [(0, f"The file is larger than {services.MAX_IMPORT_BYTES // 1024} KB.")]
        else:
            try:
                result = services.product_import_csv(scope=request.scope, data=upload.read())
            except services.ImportRejected as exc:
                row_errors = exc.row_errors
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, f"Imported: {result.created} created, {result.updated} updated."
                )
                return redirect("inventory:product_list")
        if row_errors:
            form.add_error(None, "Nothing was imported; fix the rows below and upload again.")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "inventory/product_import.html",
        {"form": form, "row_errors": row_errors},
        status=status,
    )
