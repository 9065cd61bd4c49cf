from django import template

from orgs.ends import End
from orgs.ends import location_end as _location_end

register = template.Library()


@register.inclusion_tag("orgs/_end.html", takes_context=True)
def location_end(context, location) -> dict:
    """{% location_end po.ship_to %}: the location, or its operating organization when the
    viewer's scope does not include it (the location's operator must be loaded with it)."""
    scope = context.get("scope")
    end = _location_end(scope, location) if scope is not None else End("", "", is_org=True)
    return {"end": end}
