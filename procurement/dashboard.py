from core.dashboard import Panel

from .selectors import open_counts


def panels(scope) -> list[Panel]:
    if not scope.has("purchase_orders.view"):
        return []
    counts = open_counts(scope)
    if not (counts["outgoing_open"] or counts["incoming_to_acknowledge"]):
        return []
    return [Panel("procurement/_dashboard_purchase_orders.html", {"po_counts": counts}, order=40)]
