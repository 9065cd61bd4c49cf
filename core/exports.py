"""Downloads: one way to answer with a CSV file and one with a PDF (WeasyPrint).

The filename goes through Django's Content-Disposition builder, so a name with quotes or
non-ASCII characters (an organization's code or a month) cannot break the header.
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
        return f"{value.normalize():f}"
    return str(value)


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
    it is still a normal error page rather than a truncated download.
    """
    response: HttpResponse | StreamingHttpResponse
    if stream:
        writer = csv.writer(_Echo())

        def lines() -> Iterable[str]:
            yield writer.writerow(header)
            for row in rows:
                yield writer.writerow(row)

        response = StreamingHttpResponse(lines(), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(content_type=CSV_CONTENT_TYPE)
        writer = csv.writer(response)
        writer.writerow(header)
        writer.writerows(rows)
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
