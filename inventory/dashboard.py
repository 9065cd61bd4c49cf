"""Dashboard panels: a partner's shared-inventory summary (Amazon: its 3 FBA locations with
units and value), and for organizations with own stock, totals by location with a chart."""

from __future__ import annotations

from core.dashboard import Panel

from .selectors import grand_total, sees_cost, totals_by_location

CHART_WIDTH = 260


def _bars(rows: list[dict]) -> list[dict]:
    top = max((r["value"] or 0 for r in rows), default=0) or 1
    return [
        {
            "code": r["location__code"],
            "y": i * 22,
            "width": int(CHART_WIDTH * (r["value"] or 0) / top),
            "value": r["value"],
        }
        for i, r in enumerate(rows)
    ]


def panels(scope) -> list[Panel]:
    if scope.is_platform_staff or not scope.has("inventory.view_shared"):
        return []
    rows = totals_by_location(scope)
    own = [r for r in rows if r["cost_value"] is not None]
    shared = [r for r in rows if r["cost_value"] is None]
    panels = []
    if shared:
        panels.append(
            Panel(
                "inventory/_dashboard_shared.html",
                {"rows": shared, "total": grand_total(shared)},
                order=20,
            )
        )
    if own and sees_cost(scope):
        panels.append(
            Panel(
                "inventory/_dashboard_own.html",
                {
                    "rows": own,
                    "total": grand_total(own),
                    "bars": _bars(own),
                    "chart_height": 22 * len(own),
                    "chart_width": CHART_WIDTH,
                },
                order=21,
            )
        )
    return panels
