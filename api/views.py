from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.entitlements import Feature, require_feature
from core.forms import add_service_error
from core.paging import COUNT_CAP, capped_count, paginate
from inventory.models import Product
from orgs.decorators import admin_view
from orgs.models import Location

from . import selectors, services
from .auth import api_endpoint
from .forms import ApiTokenForm
from .models import ApiToken
from .problems import bad_request, not_found

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    value = request.GET.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        raise bad_request(f"{name} must be a whole number.", **{name: "not a whole number"})
    if not lo <= number <= hi:
        raise bad_request(f"{name} must be between {lo} and {hi}.", **{name: "out of range"})
    return number


def _paginated(request, queryset, serialize) -> JsonResponse:
    """Offset pages without an unbounded COUNT: the page is read with one extra row to know
    whether a next page exists, and `count` is exact up to COUNT_CAP (then `count_capped`)."""
    size = _int_param(request, "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    number = _int_param(request, "page", 1, 1, 1_000_000)
    offset = (number - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    if number > 1 and not rows:
        raise not_found(f"Page {number} does not exist.")
    has_next = len(rows) > size
    count = capped_count(queryset)

    def link(n: int) -> str:
        params = {k: v for k, v in request.GET.items() if k != "page"}
        params["page"] = n
        return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")

    return JsonResponse(
        {
            "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP,
            "page": number,
            "page_size": size,
            "next": link(number + 1) if has_next else None,
            "previous": link(number - 1) if number > 1 else None,
            "results": [serialize(obj) for obj in rows[:size]],
        }
    )


def _uuid_or_404(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        raise not_found()


@api_endpoint
def index(request, scope):
    base = request.build_absolute_uri("/api/v1/")
    return JsonResponse(
        {
            "organization": {"code": scope.org_code, "name": scope.org_name, "plan": scope.plan},
            "endpoints": {
                "locations": base + "locations/",
                "products": base + "products/",
                "stock": base + "stock/",
            },
        }
    )


@api_endpoint
def location_list(request, scope):
    qs = selectors.locations(scope, kind=request.GET.get("kind", "").strip())
    return _paginated(request, qs, selectors.location_json)


@api_endpoint
def location_detail(request, scope, public_id):
    loc = (
        Location.objects.visible_to(scope)
        .select_related("operator")
        .filter(public_id=_uuid_or_404(public_id))
        .first()
    )
    if loc is None:
        raise not_found("No such location.")
    return JsonResponse(selectors.location_json(loc))


@api_endpoint
def product_list(request, scope):
    qs = selectors.products(scope, sku=request.GET.get("sku", "").strip())
    return _paginated(request, qs, lambda p: selectors.product_json(scope, p))


@api_endpoint
def product_detail(request, scope, public_id):
    product = (
        Product.objects.visible_to(scope)
        .select_related("owner")
        .filter(public_id=_uuid_or_404(public_id))
        .first()
    )
    if product is None:
        raise not_found("No such product.")
    return JsonResponse(selectors.product_json(scope, product))


@api_endpoint
def stock_list(request, scope):
    qs = selectors.stock(
        scope,
        location=request.GET.get("location", "").strip(),
        sku=request.GET.get("sku", "").strip(),
    )
    return _paginated(request, qs, selectors.stock_json)


@api_endpoint
def unknown(request, scope, rest=""):
    raise not_found(f"No API endpoint at {request.path}.")


# --- the browser page where admins manage tokens ------------------------------------------


def _tokens(request):
    return ApiToken.objects.visible_to(request.scope).filter(organization_id=request.scope.org_id)


@admin_view
@require_feature(Feature.API_ACCESS)
def token_list(request):
    form = ApiTokenForm(request.POST or None)
    new_token = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, new_token = services.api_token_create(
                    scope=request.scope, name=form.cleaned_data["name"]
                )
            except ValidationError as exc:
                add_service_error(form, exc)
                status = 400
            else:
                status = 201
                form = ApiTokenForm()
        else:
            status = 400
    page = paginate(request, _tokens(request).select_related("created_by"))
    response = render(
        request,
        "api/token_list.html",
        {"form": form, "page": page, "new_token": new_token},
        status=status,
    )
    if new_token:
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@admin_view
@require_feature(Feature.API_ACCESS)
def token_revoke(request, public_id):
    token = get_object_or_404(_tokens(request), public_id=public_id)
    services.api_token_revoke(scope=request.scope, token=token)
    messages.success(request, f"Token “{token.name}” was revoked.")
    return redirect("api:token_list")
