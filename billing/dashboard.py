from core.dashboard import Panel

from . import selectors


def panels(scope) -> list[Panel]:
    """A past-due warning for the org's admins (the FREE upgrade banner lives in base.html)."""
    if scope.is_platform_staff or not scope.is_admin:
        return []
    subscription = selectors.own_subscription(scope)
    if subscription is None or subscription.status != "PAST_DUE":
        return []
    return [Panel("billing/_dashboard_past_due.html", {"subscription": subscription}, order=-10)]
