from core.dashboard import Panel

from .models import Location, Organization


def panels(scope) -> list[Panel]:
    if scope.is_platform_staff:
        return []
    context = {
        "org_count": Organization.objects.visible_to(scope).filter(pk__in=scope.org_ids).count(),
        "partner_count": len(scope.partner_org_ids),
        "locations": list(Location.objects.visible_to(scope).order_by("code")[:12]),
        "location_count": len(scope.location_ids),
    }
    return [Panel("orgs/_dashboard_network.html", context, order=0)]
