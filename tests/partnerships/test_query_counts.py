"""Pages run a constant number of queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import Notification
from orgs.models import Organization, OrganizationRelationship
from partnerships.models import Message, Partnership

pytestmark = pytest.mark.django_db

# + 2: every request sets the viewer's scope for the RLS policies and resets it (docs/rls.md);
# + 1: the two-factor standing of a session not verified by a code (orgs/two_factor.py).
MAX_LIST = 12 + 2 + 1
MAX_DETAIL = 12 + 2 + 1


def grow(demo, partners: int, messages: int) -> Partnership:
    """Add `partners` FREE partners of ORG-003 sharing LOC-003, and `messages` on Amazon's."""
    dist = demo.org("ORG-003")
    start = Organization.objects.filter(code__startswith="ORG-9").count()
    orgs = Organization.objects.bulk_create(
        Organization(code=f"ORG-9{start + i:04d}", name=f"Synthetic Partner {start + i}")
        for i in range(partners)
    )
    rels = OrganizationRelationship.objects.bulk_create(
        OrganizationRelationship(parent=dist, child=o, type="PARTNER") for o in orgs
    )
    created = Partnership.objects.bulk_create(
        Partnership(relationship=r, role="SUPPLIER", status="ACTIVE", started_at=timezone.now())
        for r in rels
    )
    through = Partnership.shared_locations.through
    through.objects.bulk_create(
        through(partnership_id=p.pk, location_id=demo.loc("LOC-003").pk) for p in created
    )
    amazon = Partnership.objects.get(relationship__parent=dist, relationship__child__code="ORG-101")
    admin = demo.user("admin@dist.luxebond.example")
    Message.objects.bulk_create(
        Message(partnership=amazon, author=admin, author_org=dist, body=f"Update {i}")
        for i in range(messages)
    )
    Notification.objects.bulk_create(
        Notification(user=admin, organization=dist, kind="message_posted", title=f"N{i}")
        for i in range(messages)
    )
    return amazon


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url, limit",
    [
        ("/partnerships/", MAX_LIST),
        ("/partnerships/{amazon}/", MAX_DETAIL),
        ("/notifications/", MAX_LIST),
        ("/partnerships/parties/", MAX_LIST),
    ],
)
def test_constant_queries_at_two_sizes(login, demo, django_assert_max_num_queries, url, limit):
    client = login("admin@dist.luxebond.example")
    amazon = grow(demo, partners=3, messages=3)
    small = _count(client, url.format(amazon=amazon.public_id))
    grow(demo, partners=120, messages=120)
    with django_assert_max_num_queries(limit):
        large = _count(client, url.format(amazon=amazon.public_id))
    assert small == large
    print(f"\n{url}: {large} queries at both sizes")
