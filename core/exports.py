"""Downloads: one way to answer with a CSV file and one with a PDF (WeasyPrint).

The filename goes through Django's Content-Disposition builder, so a name with quotes or
non-ASCII characters (an organization's code or a month) cannot break the header.

Every CSV cell goes through `csv_cell`, which neutralises spreadsheet formulas (CSV injection,
OWASP): a *text* cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading single quote, so `=cmd|' /C calc'!A0` in a product name is shown as text, never run.
The decision is by type, not by look: numbers (int, Decimal, float, and `Number`, the text
`plain_number` makes of a quantity) are written as they are, so a negative quantity `-5` or
amount `-12.50` stays a number; a name that merely looks like one (`-2+3`) is text and escaped.
Nothing else in the code base may call `csv.writer` (tests/core/test_csv_exports.py).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Literal, overload

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
PDF_CONTENT_TYPE = "application/pdf"


# Leading characters a spreadsheet reads as the start of a formula (or that hide one: a tab or
# carriage return before `=`).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class Number(str):
    """A number already formatted as text (`plain_number`, an amount with two decimals): written
    as it is, never escaped. Only code makes these, from numeric values; user text never is one."""

    __slots__ = ()


_FORMULA_START = frozenset(FORMULA_PREFIXES)
_WRITTEN_AS_IS = (Number, int, float, Decimal, type(None))


def csv_cell(value: Any) -> Any:
    """One cell as it is safe to write: numbers as they are, text with a formula prefix quoted."""
    if type(value) is not str:  # plain text is the common case: one check
        if isinstance(value, _WRITTEN_AS_IS):
            return value
        value = str(value)
    return "'" + value if value[:1] in _FORMULA_START else value


def csv_row(row: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in row]


class _Echo:
    """A file whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="…"` (a download) or `inline; …` (shown in the browser)."""
    header = content_disposition_header(as_attachment=not inline, filename=filename)
    assert header is not None  # only None without a filename
    return header


def plain_number(value: Any) -> str:
    """A number as a spreadsheet reads it: 1200.000 → "1200", 12.50 → "12.5", None → ""."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return Number(f"{value.normalize():f}")
    if isinstance(value, int | float):
        return Number(value)
    return str(value)


def money(value: Decimal) -> str:
    """An amount with two decimals as a CSV number: Decimal("-12.5") → "-12.50"."""
    return Number(f"{value:.2f}")


@overload
def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    stream: Literal[False] = ...,
) -> HttpResponse: ...


@overload
def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    stream: Literal[True],
) -> StreamingHttpResponse: ...


def csv_response(
    filename: str,
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    *,
    stream: bool = False,
) -> HttpResponse | StreamingHttpResponse:
    """A CSV download: `header`, then one line per row.

    `stream=True` writes lines as the rows iterator yields them (large exports read with
    `.iterator()`); otherwise the file is built in memory first, so an error while building
    it is still a normal error page rather than a truncated download. Every cell, the header
    included, goes through `csv_cell` (formula neutralising, module docstring).
    """
    response: HttpResponse | StreamingHttpResponse
    if stream:
        writer = csv.writer(_Echo())

        def lines() -> Iterable[str]:
            yield writer.writerow(csv_row(header))
            for row in rows:
                yield writer.writerow(csv_row(row))

        response = StreamingHttpResponse(lines(), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(content_type=CSV_CONTENT_TYPE)
        writer = csv.writer(response)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)
    response["Content-Disposition"] = disposition(filename)
    return response


def render_pdf(html: str, *, base_url: str) -> bytes:
    # Imported on use: a heavy import (cairo, pango) that most requests never need.
    from weasyprint import HTML

    return HTML(string=html, base_url=base_url).write_pdf()


def pdf_response(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    filename: str,
    inline: bool = False,
) -> HttpResponse:
    """Render `template` with the request's context processors and answer it as a PDF."""
    html = render_to_string(template, context, request=request)
    document = render_pdf(html, base_url=request.build_absolute_uri("/"))
    response = HttpResponse(document, content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = disposition(filename, inline=inline)
    return response
