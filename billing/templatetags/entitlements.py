from django import template

register = template.Library()


@register.filter
def has_feature(scope, feature: str) -> bool:
    """{% if scope|has_feature:"products.create" %} — asks the entitlements table."""
    return bool(scope) and scope.has(feature)
