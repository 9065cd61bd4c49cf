from core.dashboard import Panel

from . import selectors


def panels(scope) -> list[Panel]:
    if scope.is_platform_staff:
        return []
    result = []
    if scope.has("shipments.view"):
        recent = list(selectors.shipments_for(scope)[:5])
        selectors.decorate_many(scope, recent)
        result.append(Panel("shipments/_dashboard_shipments.html", {"shipments": recent}, order=40))
    if scope.has("asns.receive"):
        asns, count = selectors.awaiting_receipt(scope)
        open_cases = selectors.cases_for(scope, open_only=True).count()
        result.append(
            Panel(
                "shipments/_dashboard_asns.html",
                {"asns": asns, "count": count, "open_cases": open_cases},
                order=30,
            )
        )
    return result
