"""`{% load formatting %}`: the one way a page, a PDF or an email shows a quantity or money."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template

register = template.Library()


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def qty(value: Any) -> str:
    """3,100 or 12.5 or 0.003: thousands separated, no trailing zeros, never 1.2E+3.

    Quantities are stored with three decimals (1200.000); the page shows what was counted."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


@register.filter
def money(value: Any) -> str:
    """$178,000.00, -$12.50: amounts in the product's price currency (USD in the demo)."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    return f"{sign}${abs(number):,.2f}"


@register.filter
def kmoney(value: Any) -> str:
    """$178K, $1.2M: the short form the seed and the dashboard use."""
    number = _decimal(value)
    if number is None:
        return "" if value is None or value == "" else str(value)
    if abs(number) >= 1_000_000:
        return f"${number / 1_000_000:,.1f}M"
    if abs(number) >= 1_000:
        return f"${(number / 1000).quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}K"
    return f"${number:,.0f}"
