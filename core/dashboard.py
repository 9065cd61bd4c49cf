"""The dashboard is composed of panels; each app offers its own in `<app>/dashboard.py`.

An app's module defines `panels(scope) -> list[Panel]`; the order of INSTALLED_APPS decides
the order on the page. Apps never edit each other's panels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from django.apps import apps


@dataclass
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


def dashboard_panels(scope) -> list[Panel]:
    panels: list[Panel] = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.dashboard")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.dashboard":
                raise
            continue
        if module.__name__ == __name__:
            continue
        panels.extend(module.panels(scope))
    return sorted(panels, key=lambda p: p.order)
