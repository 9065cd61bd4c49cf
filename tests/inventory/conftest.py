"""Inventory fixtures: the seed's figures, PDF text, a unique idempotency key."""

from __future__ import annotations

import io
import uuid

import pytest

# What each persona may see on the inventory pages (the seed's CAN/CANNOT lists).
VISIBLE_LOCATIONS = {
    "super@luxebond.example": {
        "LOC-001",
        "LOC-002",
        "LOC-003",
        "LOC-004",
        "LOC-005",
        "LOC-101",
        "LOC-102",
        "LOC-103",
        "LOC-104",
    },
    "admin@dist.luxebond.example": {
        "LOC-001",
        "LOC-002",
        "LOC-003",
        "LOC-004",
        "LOC-101",
        "LOC-102",
        "LOC-103",
        "LOC-104",
    },
    "admin@mfg.luxebond.example": {"LOC-005"},
    "member@dist.luxebond.example": {"LOC-001"},
    "ops@amazon.example": {"LOC-101", "LOC-102", "LOC-103"},
    "vmi@sephora.example": {"LOC-104"},
    "admin@packagepro.example": {"LOC-201", "LOC-202"},
    # LOC-002 is shared with both (deliveries, pick-ups): LUXE BOND's stock there.
    "admin@vitasource.example": {"LOC-002"},
    "admin@salonluxe.example": {"LOC-002"},
    "admin@medsupply.example": set(),
}
ALL_STOCK_LOCATIONS = set().union(*VISIBLE_LOCATIONS.values())
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
