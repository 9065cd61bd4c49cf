"""core.exports: CSV (in memory or streamed) and PDF responses, with a safe filename."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.test import RequestFactory, override_settings

from core.exports import csv_response, disposition, pdf_response, plain_number

LOCMEM_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "loaders": [
                (
                    "django.template.loaders.locmem.Loader",
                    {"doc.html": "<html><body><h1>{{ title }}</h1></body></html>"},
                )
            ]
        },
    }
]


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def test_csv_in_memory():
    response = csv_response("fees.csv", ["a", "b"], [[1, "x,y"], ["", 'say "hi"']])
    assert not response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="fees.csv"'
    assert _rows(response) == [["a", "b"], ["1", "x,y"], ["", 'say "hi"']]


def test_csv_streamed_from_a_generator():
    response = csv_response("big.csv", ["n"], ([n] for n in range(3)), stream=True)
    assert response.streaming
    assert _rows(response) == [["n"], ["0"], ["1"], ["2"]]


def test_a_filename_cannot_break_the_header():
    assert disposition('a"b.csv') == 'attachment; filename="a\\"b.csv"'
    assert disposition("état.pdf", inline=True).startswith("inline; filename*=utf-8''")


def test_plain_number():
    assert plain_number(Decimal("1200.000")) == "1200"
    assert plain_number(Decimal("12.500")) == "12.5"
    assert plain_number(None) == "" and plain_number(7) == "7"


@override_settings(TEMPLATES=LOCMEM_TEMPLATES)
def test_pdf_attachment_and_inline():
    request = RequestFactory().get("/x/")
    response = pdf_response(request, "doc.html", {"title": "PO-000001"}, filename="PO-1.pdf")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="PO-1.pdf"'
    assert response.content.startswith(b"%PDF")
    inline = pdf_response(request, "doc.html", {}, filename="PO-1.pdf", inline=True)
    assert inline["Content-Disposition"] == 'inline; filename="PO-1.pdf"'
