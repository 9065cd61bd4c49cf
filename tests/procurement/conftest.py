"""Procurement fixtures: the demo purchase orders (persona tests) and a system scope."""

from __future__ import annotations

import pytest

from ..personas import demo_po  # noqa: F401  (the persona tests' demo purchase orders)


@pytest.fixture
def as_org():
    """as_org(org) → an ORG_ADMIN scope of that organization with no user (system scope)."""
    from orgs.access import scope_for_org_as_role

    return scope_for_org_as_role
