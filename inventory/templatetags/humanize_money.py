from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def money(value) -> str:
    """$178,000.00 — amounts in the product's price currency (USD in the demo)."""
    if value is None or value == "":
        return ""
    value = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.2f}"


@register.filter
def kmoney(value) -> str:
    """$178K — the short form the seed and the dashboard use."""
    if value is None:
        return ""
    value = Decimal(value)
    if abs(value) >= 1_000_000:
        return f"${value / 1_000_000:,.1f}M"
    if abs(value) >= 1_000:
        return f"${(value / 1000).quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}K"
    return f"${value:,.0f}"


@register.filter
def qty(value) -> str:
    """3,100 or 0.003: quantities without trailing zeros, thousands separated."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.normalize():,f}"
