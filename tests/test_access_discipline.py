"""Reads in the read paths of procurement, analytics and api go through `visible_to(scope)`;
the only exception is named `unscoped_*`. This fails when a view or selector forgets."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READ_PATHS = [
    "procurement/views.py",
    "procurement/selectors.py",
    "procurement/forms.py",
    "procurement/dashboard.py",
    "analytics/views.py",
    "analytics/selectors.py",
    "api/views.py",
    "api/selectors.py",
    "api/auth.py",
]


@pytest.mark.parametrize("path", READ_PATHS)
def test_every_manager_call_is_scoped(path):
    source = (ROOT / path).read_text()
    calls = re.findall(r"\b[A-Z]\w*\.objects\s*\.\s*(\w+)", source)
    unscoped = [c for c in calls if c != "visible_to" and not c.startswith("unscoped_")]
    assert not unscoped, f"{path}: .objects.{unscoped} without visible_to(scope)"
