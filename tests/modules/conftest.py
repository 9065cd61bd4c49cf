"""Fixtures for the procurement, analytics and api tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def demo_po(db):
    """demo_po("ORG-202") → the demo purchase order ORG-002 sent to that supplier."""
    from procurement.models import PurchaseOrder

    def _po(supplier_code: str) -> PurchaseOrder:
        return PurchaseOrder.objects.get(
            buyer__code="ORG-002", supplier_org__code=supplier_code, request_key__startswith="demo-"
        )

    return _po


@pytest.fixture
def as_org():
    """as_org(org) → an ORG_ADMIN scope of that organization with no user (system scope)."""
    from orgs.access import scope_for_org_as_role

    return scope_for_org_as_role
