"""CSV and PDF exports. Cost columns exist only for a viewer with own stock, and are filled
only on the viewer's own rows (the selectors return NULL cost for anything else)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, StreamingHttpResponse

from core.exports import csv_response, pdf_response, plain_number
from orgs.access import Scope

from .selectors import COST_METHOD, sees_cost


def _stream(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    return csv_response(filename, header, rows, stream=True)


def stock_rows_csv_lines(scope: Scope, rows):
    """(header, row iterator) for the stock list; also used by the bench."""
    cost = sees_cost(scope)
    header = [
        "location",
        "location_name",
        "owner",
        "sku",
        "product",
        "lot",
        "expiry",
        "quantity",
        "uom",
        "value_at_price",
    ] + (["value_at_cost"] if cost else [])

    fields = [
        "location__code",
        "location__name",
        "owner__code",
        "product__sku",
        "product__name",
        "lot",
        "expiry",
        "quantity",
        "product__unit_of_measure",
        "value",
    ]
    if cost:
        fields.append("cost_value")

    def gen():
        for values in rows.values_list(*fields).iterator(chunk_size=5000):
            row = list(values)
            row[6] = row[6] or ""
            row[7] = plain_number(row[7])
            row[9] = plain_number(row[9])
            if cost:
                row[10] = plain_number(row[10])
            yield row

    return header, gen()


def stock_csv(scope: Scope, rows) -> StreamingHttpResponse:
    header, gen = stock_rows_csv_lines(scope, rows)
    return _stream(f"inventory-{dt.date.today():%Y%m%d}.csv", header, gen)


def expiring_csv(rows) -> StreamingHttpResponse:
    header = ["expiry", "location", "owner", "sku", "product", "lot", "quantity", "value_at_price"]
    gen = (
        [
            b.expiry,
            b.location.code,
            b.owner.code,
            b.product.sku,
            b.product.name,
            b.lot,
            plain_number(b.quantity),
            plain_number(b.value),
        ]
        for b in rows.iterator(chunk_size=2000)
    )
    return _stream(f"expiring-lots-{dt.date.today():%Y%m%d}.csv", header, gen)


def snapshot_csv(scope: Scope, rows: list[dict], at: dt.date) -> StreamingHttpResponse:
    cost = sees_cost(scope)
    header = [
        "date",
        "location",
        "owner",
        "sku",
        "product",
        "lot",
        "expiry",
        "quantity",
        "value_at_price",
    ] + (["value_at_cost"] if cost else [])
    gen = (
        [
            at,
            r["location__code"],
            r["owner__code"],
            r["product__sku"],
            r["product__name"],
            r["lot"],
            r["expiry"] or "",
            plain_number(r["units"]),
            plain_number(r["value"]),
        ]
        + ([plain_number(r["cost_value"])] if cost else [])
        for r in rows
    )
    return _stream(f"inventory-snapshot-{at:%Y%m%d}.csv", header, gen)


def valuation_csv(scope: Scope, by_location: list[dict], by_product: list[dict]):
    cost = sees_cost(scope)
    header = ["section", "code", "name", "units", "value_at_price"] + (
        ["value_at_cost"] if cost else []
    )

    def gen():
        for r in by_location:
            yield [
                "location",
                r["location__code"],
                r["location__name"],
                plain_number(r["units"]),
                plain_number(r["value"]),
            ] + ([plain_number(r["cost_value"])] if cost else [])
        for r in by_product:
            yield [
                "product",
                r["product__sku"],
                r["product__name"],
                plain_number(r["units"]),
                plain_number(r["value"]),
            ] + ([plain_number(r["cost_value"])] if cost else [])
        if cost:
            yield ["note", "", COST_METHOD, "", ""] + [""]

    return _stream(f"inventory-valuation-{dt.date.today():%Y%m%d}.csv", header, gen())


def pdf(request, template: str, context: dict, filename: str) -> HttpResponse:
    return pdf_response(request, template, context | {"scope": request.scope}, filename=filename)
