"""Inventory fixtures: the persona table's stock locations, the seed's figures, PDF text,
a unique idempotency key."""

from __future__ import annotations

import io
import uuid

import pytest

from ..personas import PERSONAS

# What each persona may see on the inventory pages: tests/personas.py's table.
VISIBLE_LOCATIONS = {email: set(p.stock_locations) for email, p in PERSONAS.items()}
PARTNERS = ("ops@amazon.example", "vmi@sephora.example")
SEED_FIGURES = {
    # location: (units, value at price, the seed's rounded figure)
    "LOC-101": ("3,100", "$178,000.00", "$178K"),
    "LOC-102": ("2,450", "$141,990.00", "$142K"),
    "LOC-103": ("1,650", "$98,010.00", "$98K"),
    "LOC-104": ("1,984", "$88,992.00", "$89K"),
}


def pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def key():
    return lambda: uuid.uuid4().hex
