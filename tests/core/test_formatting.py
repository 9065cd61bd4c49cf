"""core.templatetags.formatting: the one qty and money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from core.templatetags.formatting import kmoney, money, qty


@pytest.mark.parametrize(
    "value, shown",
    [
        (Decimal("1200.000"), "1,200"),
        (Decimal("3100"), "3,100"),
        (Decimal("12.500"), "12.5"),
        (Decimal("0.003"), "0.003"),
        (Decimal("-1234.50"), "-1,234.5"),
        (Decimal("1E+3"), "1,000"),
        (Decimal("-0.000"), "0"),
        (0, "0"),
        (42, "42"),
        ("7.250", "7.25"),
        (None, ""),
        ("", ""),
        ("n/a", "n/a"),
    ],
)
def test_qty(value, shown):
    assert qty(value) == shown


@pytest.mark.parametrize(
    "value, shown",
    [
        (Decimal("178000"), "$178,000.00"),
        (Decimal("12.345"), "$12.35"),
        (Decimal("-12.5"), "-$12.50"),
        (0, "$0.00"),
        (None, ""),
    ],
)
def test_money(value, shown):
    assert money(value) == shown


def test_kmoney():
    assert kmoney(Decimal("178000")) == "$178K"
    assert kmoney(Decimal("1250000")) == "$1.2M"
    assert kmoney(Decimal("950")) == "$950"
    assert kmoney(None) == ""


def test_loaded_in_a_template():
    html = Template("{% load formatting %}{{ q|qty }} {{ m|money }}").render(
        Context({"q": Decimal("1200.000"), "m": Decimal("5")})
    )
    assert html == "1,200 $5.00"
