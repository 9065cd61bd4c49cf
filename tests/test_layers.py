"""No app imports another app's private (`_underscore`) names: what an app offers the others
is its public selectors, services and models. The layers themselves are checked by
`lint-imports` (pyproject.toml, docs/architecture.md); import-linter sees modules, not names,
so this rule is checked here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = {
    "accounts",
    "analytics",
    "api",
    "betterdata",
    "billing",
    "core",
    "inventory",
    "orgs",
    "partnerships",
    "procurement",
    "rls",
    "shipments",
}


def private_imports(tree: ast.AST, app: str) -> list[tuple[int, str]]:
    """(line, "module.name") for each private name `app` imports from another app."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
            continue
        source = node.module.split(".")[0]
        if source in APPS and source != app:
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return [(line, name) for line, name in found if name.rsplit(".", 1)[1].startswith("_")]


def test_no_app_imports_another_apps_private_names():
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {name}"
        for app in sorted(APPS)
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for line, name in private_imports(ast.parse(path.read_text()), app)
    ]
    assert not offenders, "Private names imported across apps:\n" + "\n".join(offenders)


def test_the_check_sees_a_private_import_and_spares_public_and_own_ones():
    source = """
from orgs.services import _next_code, party_create
from .models import _local
from inventory.selectors import _own_q
from partnerships.models import _same_app
"""
    assert private_imports(ast.parse(source), "partnerships") == [
        (2, "orgs.services._next_code"),
        (4, "inventory.selectors._own_q"),
    ]
