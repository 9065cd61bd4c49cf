from django import template

from ..selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell_inner.html", takes_context=True)
def notification_bell(context) -> dict:
    """The header bell: unread count for the viewer (one query); a stop button in a preview."""
    scope = context.get("scope")
    request = context.get("request")
    if scope is None:
        return {"show": False}
    if scope.read_only:
        return {"read_only": True, "csrf_token": context.get("csrf_token"), "request": request}
    show = scope.user_id is not None
    return {"show": show, "unread": unread_count(scope) if show else 0}
