"""The query count of the inventory pages does not grow with the number of stock rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inventory.ledger import Posting, stock_post
from inventory.models import Product

PAGES = [
    "/inventory/",
    "/inventory/locations/",
    "/inventory/products/",
    "/inventory/movements/",
    "/inventory/expiring/?days=3650",
    "/products/",
    "/dashboard/",
]


def _add_rows(owner, location, n: int, tag: str) -> None:
    products = Product.objects.bulk_create(
        [
            Product(owner=owner, sku=f"QC-{tag}-{i:04d}", name=f"QC {i}", price=2, cost=1)
            for i in range(n)
        ]
    )
    stock_post(
        scope=None,
        postings=[Posting(owner.pk, p.pk, location.pk, Decimal(5), f"L{tag}") for p in products],
        kind="RECEIPT",
        idempotency_key=f"qc-{tag}",
    )


@pytest.mark.parametrize(
    "email, org, loc",
    [
        ("admin@dist.luxebond.example", "ORG-003", "LOC-001"),
        ("ops@amazon.example", "ORG-003", "LOC-101"),
    ],
)
@pytest.mark.parametrize("url", PAGES)
def test_query_count_constant_in_rows(
    login, demo, django_assert_max_num_queries, email, org, loc, url
):
    c = login(email)
    c.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert c.get(url).status_code == 200
    _add_rows(demo.org(org), demo.loc(loc), 120, "a")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(url).status_code == 200
    _add_rows(demo.org(org), demo.loc(loc), 400, "b")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert c.get(url).status_code == 200
    # The dashboard composes one panel per app; list pages stay small. (+ 1 in both: the
    # two-factor standing of a session not verified by a code, orgs/two_factor.py.)
    assert len(small.captured_queries) <= (31 if url == "/dashboard/" else 15)


def test_partner_page_window_matches_the_plain_ordering(scope_of):
    """The per-location path returns exactly the rows the plain ORDER BY would, page by page."""
    from inventory.selectors import stock_rows, stock_rows_window

    scope = scope_of("ops@amazon.example")
    rows = stock_rows(scope)
    everything = [b.pk for b in rows]
    assert len(everything) > 20
    for start, stop in [(0, 10), (10, 20), (5, 50), (len(everything) - 3, len(everything) + 5)]:
        window = stock_rows_window(scope, rows, start, stop)
        assert [b.pk for b in window] == everything[start:stop]
