"""The cached Scope (orgs/access.py `scope_for_user`) is never stale after a commit.

The scope version changes at commit through database triggers on every table a Scope is built
from, so these tests commit (transaction=True) and turn the cache on (tests/settings.py turns it
off for the tests that never commit)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from orgs.access import NoMembership, scope_for_user, unscoped_scope_version
from orgs.models import Location, Membership, Organization
from partnerships.models import Partnership
from rls.context import bypass
from tests.factories import admin_scope, member_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def scope_cache(settings):
    settings.SCOPE_CACHE_SECONDS = 300
    caches["scopes"].clear()
    yield
    caches["scopes"].clear()


def user(email: str):
    return get_user_model().objects.get(email=email)


def org(code: str) -> Organization:
    with bypass(reason="test setup"):
        return Organization.objects.get(code=code)


def test_a_cached_scope_costs_one_query_and_equals_a_fresh_build(settings):
    amazon_ops = user("ops@amazon.example")
    first = scope_for_user(amazon_ops)
    with CaptureQueriesContext(connection) as ctx:
        again = scope_for_user(amazon_ops)
    assert len(ctx.captured_queries) == 1  # the version
    settings.SCOPE_CACHE_SECONDS = 0
    assert again == first == scope_for_user(amazon_ops)


def test_ending_a_partnership_is_seen_by_the_next_request_of_the_partner():
    amazon_ops = user("ops@amazon.example")
    luxe, amazon = org("ORG-003"), org("ORG-101")
    before = scope_for_user(amazon_ops)
    assert luxe.pk in before.partner_org_ids and before.shared_grants
    from partnerships.services.partnerships import partnership_end

    with bypass(reason="test setup"):
        partnership = Partnership.objects.get(relationship__parent=luxe, relationship__child=amazon)
    partnership_end(scope=admin_scope(luxe), partnership=partnership)

    after = scope_for_user(amazon_ops)
    assert luxe.pk not in after.partner_org_ids
    assert after.shared_grants == ()


def test_a_deactivated_member_has_no_scope_at_the_next_request():
    sephora_vmi = user("vmi@sephora.example")
    scope_for_user(sephora_vmi)
    with bypass(reason="test setup"):
        Membership.objects.filter(user=sephora_vmi).update(is_active=False)
    with pytest.raises(NoMembership):
        scope_for_user(sephora_vmi)


def test_a_new_location_and_a_members_new_right_show_at_once():
    luxe = org("ORG-003")
    admin = user("super@luxebond.example")
    with bypass(reason="test setup"):
        before = scope_for_user(admin)
        site = Location.objects.create(code="LOC-990", name="Reno", operator=luxe, kind="WAREHOUSE")
    assert site.pk not in before.location_ids
    assert site.pk in scope_for_user(admin).location_ids

    with bypass(reason="test setup"):
        member = member_of(luxe)
    assert site.pk not in scope_for_user(member).location_ids
    from guardian.shortcuts import assign_perm

    with bypass(reason="test setup"):
        assign_perm("orgs.operate_location", member, site)
    assert site.pk in scope_for_user(member).location_ids


def test_a_plan_change_changes_the_features_at_once():
    sephora_vmi = user("vmi@sephora.example")
    sephora = org("ORG-102")
    before = scope_for_user(sephora_vmi)
    with bypass(reason="test setup"):
        Organization.objects.filter(pk=sephora.pk).update(
            plan_tier="ENTERPRISE", partnership_tier="FULL"
        )
    after = scope_for_user(sephora_vmi)
    assert after.tier == "FULL" != before.tier
    assert after.features > before.features


def test_a_rolled_back_change_leaves_the_version_and_the_scope_alone():
    amazon_ops = user("ops@amazon.example")
    version = unscoped_scope_version()
    before = scope_for_user(amazon_ops)
    with pytest.raises(RuntimeError), transaction.atomic(), bypass(reason="test setup"):
        Membership.objects.filter(user=amazon_ops).update(is_active=False)
        raise RuntimeError("rolled back")
    assert unscoped_scope_version() == version
    assert scope_for_user(amazon_ops) == before


def test_one_commit_changing_many_rows_moves_the_version_once_and_never_back():
    version = unscoped_scope_version()
    luxe = org("ORG-003")
    with transaction.atomic(), bypass(reason="test setup"):
        Location.objects.bulk_create(
            Location(code=f"LOC-9{i:02d}", name=f"Site {i}", operator=luxe, kind="WAREHOUSE")
            for i in range(20)
        )
    moved = unscoped_scope_version()
    assert moved > version
    with transaction.atomic(), bypass(reason="test setup"):
        Location.objects.filter(code="LOC-900").update(name="Site zero")
    assert unscoped_scope_version() > moved
