"""Pages run a constant number of queries whatever the number of organizations and locations."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs.models import Location, Organization, OrganizationRelationship
from partnerships.models import Partnership

# Upper bounds: session, user, scope (5), the page's own reads; the dashboard composes a panel
# per app (network, partnerships, inventory, shipments, POs, billing); + 1: the two-factor
# standing of a session not verified by a code (orgs/two_factor.py).
PAGES = {"/network/": 13, "/locations/": 13, "/dashboard/": 31}


def grow_network(demo, n: int) -> None:
    """Add n subsidiaries under ORG-003, n partners of ORG-003 and 3n locations."""
    root = demo.org("ORG-003")
    fba = demo.loc("LOC-101")
    start = Organization.objects.count()
    for i in range(n):
        sub = Organization.objects.create(
            code=f"ORG-9{start + i:04d}",
            name=f"Branch {i}",
            plan_tier="ENTERPRISE",
            partnership_tier="FULL",
            billing_mode="INCLUDED",
        )
        OrganizationRelationship.objects.create(parent=root, child=sub, type="BRANCH")
        partner = Organization.objects.create(code=f"ORG-8{start + i:04d}", name=f"Partner {i}")
        rel = OrganizationRelationship.objects.create(parent=root, child=partner, type="PARTNER")
        Partnership.objects.create(
            relationship=rel, role="SUPPLIER", status="ACTIVE"
        ).shared_locations.add(fba)
        for j in range(3):
            Location.objects.create(
                code=f"LOC-9{start + i:03d}{j}", name=f"Site {i}-{j}", operator=sub
            )


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "email", ["super@luxebond.example", "admin@dist.luxebond.example", "ops@amazon.example"]
)
def test_query_count_is_constant_in_network_size(email, login, demo, django_assert_max_num_queries):
    client = login(email)
    small = {url: count_queries(client, url) for url in PAGES}
    grow_network(demo, 40)
    large = {url: count_queries(client, url) for url in PAGES}
    assert large == small, (small, large)
    for url, bound in PAGES.items():
        with django_assert_max_num_queries(bound):
            client.get(url)
