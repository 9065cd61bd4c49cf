from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def qty(value) -> str:
    """1200.000 → "1200", 12.500 → "12.5" (never scientific notation)."""
    if value is None or value == "":
        return ""
    return f"{Decimal(value).normalize():f}"
