"""Which buttons show: templates ask the write policy (orgs/policy.py), never the role.

{% if scope|can:"stock.adjust" %}            — on some object of the viewer's own
{% can_do scope "stock.count.post" count as ok %}{% if ok %}…{% endif %}  — on this object
"""

from django import template

from orgs.policy import can as _can

register = template.Library()


@register.filter
def can(scope, action: str) -> bool:
    return _can(scope, action)


@register.simple_tag
def can_do(scope, action: str, obj=None) -> bool:
    return _can(scope, action, obj)
