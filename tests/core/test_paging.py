"""core.paging: one count rule, bad ?page= values never fail, two queries a page."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core.paging import CappedPaginator, capped_count, paginate
from orgs.models import Organization

pytestmark = pytest.mark.django_db


class SmallCap(CappedPaginator):
    cap = 5


def _orgs():
    return Organization.objects.order_by("code")


def test_count_is_exact_below_the_cap_and_stops_past_it():
    total = _orgs().count()
    assert total > 5
    assert capped_count(_orgs(), cap=total + 10) == total
    assert capped_count(_orgs(), cap=5) == 6
    paginator = SmallCap(_orgs(), 2)
    assert paginator.capped and paginator.count_label == "5+" and paginator.num_pages == 3
    exact = CappedPaginator(_orgs().filter(code="ORG-001"), 2)
    assert not exact.capped and exact.count_label == "1"


def test_a_list_is_counted_exactly():
    paginator = SmallCap(list(range(12)), 5)
    assert paginator.count == 12 and paginator.num_pages == 3


def test_the_count_drops_ordering_and_display_joins():
    with CaptureQueriesContext(connection) as ctx:
        capped_count(Organization.objects.select_related(None).order_by("name"), cap=100)
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "ORDER BY" not in sql and "LIMIT 101" in sql


def test_a_grouped_query_counts_its_groups():
    groups = Organization.objects.values("org_type").annotate(n=Count("id")).order_by("org_type")
    assert capped_count(groups) == len(list(groups))


@pytest.mark.parametrize(
    "value", [None, "", "abc", "0", "-1", "1.5", "1e3", "99999999999999999999", "\x00", "2"]
)
def test_bad_page_values_fall_back_to_a_real_page(value):
    request = RequestFactory().get("/", {"page": value} if value is not None else {})
    page = paginate(request, _orgs(), 3)
    assert 1 <= page.number <= page.paginator.num_pages
    assert len(page.object_list) > 0


def test_a_page_costs_two_queries_however_it_is_used(django_assert_num_queries):
    request = RequestFactory().get("/", {"page": "2"})
    with django_assert_num_queries(2):
        page = paginate(request, _orgs(), 3)
        assert len(page) == 3 and bool(page.object_list)
        assert [o.code for o in page] == [o.code for o in page.object_list]
        assert page.has_next() and page.paginator.count_label


def test_an_empty_list_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        page = paginate(RequestFactory().get("/"), _orgs().filter(code="nothing"))
        assert list(page) == [] and page.number == 1
