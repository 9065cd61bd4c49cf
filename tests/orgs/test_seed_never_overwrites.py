"""Demo data never overwrites a user (issue 13): seeding again — what `make run`, `make seed` and a
compose start do — creates what is missing and leaves every existing row as the user left it,
without writing an audit event; `make run` and compose seed only an empty database; `--reset`
deletes only after a confirmation."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from inventory.models import Product
from inventory.services.catalog import product_update
from orgs.models import AuditEvent, Membership, Organization, PartyContact, RelationshipStatus
from orgs.services.organizations import membership_deactivate, user_update_profile
from partnerships.models import Partnership, PartnershipStatus
from partnerships.services.partnerships import partnership_end, partnership_update
from rls.context import bypass
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db

DIST, AMAZON, SEPHORA = "ORG-003", "ORG-101", "ORG-102"
DIST_ADMIN, MEMBER = "admin@dist.luxebond.example", "member@dist.luxebond.example"


def _row_counts() -> dict[str, int]:
    """Rows of every model's table, read past row-level security (the whole database)."""
    with bypass(reason="tests: count every table"):
        return {
            model._meta.label: model._base_manager.count()
            for model in apps.get_models(include_auto_created=True)
            if model._meta.managed and not model._meta.proxy
        }


def _partnership(demo, parent: str, child: str) -> Partnership:
    return Partnership.objects.select_related("relationship").get(
        relationship__parent=demo.org(parent), relationship__child=demo.org(child)
    )


def _seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", force=True, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_a_second_seed_keeps_every_edit_and_writes_nothing(demo, scope_of):
    admin = scope_of(DIST_ADMIN)
    # The user's edits, each through its service (so each is audited once, by the user).
    partnership_end(scope=admin, partnership=_partnership(demo, DIST, AMAZON))
    sephora = _partnership(demo, DIST, SEPHORA)
    partnership_update(
        scope=admin,
        partnership=sephora,
        terms="Renegotiated: consignment, monthly invoices.",
        role=sephora.role,
        shared_locations=[],
    )
    membership = Membership.objects.get(user=demo.user(MEMBER), organization=demo.org(DIST))
    membership_deactivate(scope=admin, membership=membership)
    serum = Product.objects.get(owner=demo.org(DIST), sku="LB-SER-001")
    product_update(scope=admin, product=serum, price=Decimal("61.50"), name="Serum, relaunched")
    user_update_profile(user=demo.user(DIST_ADMIN), full_name="Dani Ortiz-Reyes")
    with bypass(reason="tests: audit count"):
        audited = AuditEvent.objects.count()
    before = _row_counts()

    _seed()  # what a restart with the old serve_demo did, and what `make seed` does

    amazon = _partnership(demo, DIST, AMAZON)
    assert amazon.status == PartnershipStatus.ENDED and amazon.ended_at is not None
    assert amazon.relationship.status == RelationshipStatus.INACTIVE
    sephora = _partnership(demo, DIST, SEPHORA)
    assert sephora.terms == "Renegotiated: consignment, monthly invoices."
    assert list(sephora.shared_locations.all()) == []
    assert not Membership.objects.get(pk=membership.pk).is_active
    serum.refresh_from_db()
    assert (serum.price, serum.name) == (Decimal("61.50"), "Serum, relaunched")
    assert demo.user(DIST_ADMIN).full_name == "Dani Ortiz-Reyes"
    # No duplicates, no new rows of any kind, and no audit event from the seed.
    assert _row_counts() == before
    with bypass(reason="tests: audit count"):
        assert AuditEvent.objects.count() == audited


def test_a_seed_on_the_seeded_database_creates_no_duplicates():
    before = _row_counts()
    _seed()
    assert _row_counts() == before


def test_a_missing_demo_row_is_created_again():
    """Create-if-absent: a demo row that is gone comes back (only an explicit seed does this)."""
    with bypass(reason="tests: remove a demo contact"):
        PartyContact.objects.filter(name="Ava Torres").delete()
        _seed()
        assert PartyContact.objects.filter(name="Ava Torres").count() == 1


def test_make_run_and_compose_seed_only_an_empty_database(demo, scope_of):
    """`--if-empty` (serve_demo, compose with SEED_DEMO=1) leaves a database with data alone."""
    partnership_end(scope=scope_of(DIST_ADMIN), partnership=_partnership(demo, DIST, AMAZON))
    with bypass(reason="tests: remove a demo contact"):
        PartyContact.objects.filter(name="Ava Torres").delete()
    before = _row_counts()
    out = _seed(if_empty=True)
    assert "not seeding" in out
    assert "super@luxebond.example" in out  # a restart still tells the person how to log in
    assert _row_counts() == before
    assert _partnership(demo, DIST, AMAZON).status == PartnershipStatus.ENDED


def test_reset_without_confirmation_deletes_nothing(monkeypatch):
    mine = OrganizationFactory(name="My own company")
    before = _row_counts()
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))  # not a terminal
    with pytest.raises(CommandError, match="--yes"):
        _seed(reset=True)

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    with pytest.raises(CommandError, match="nothing was deleted"):
        _seed(reset=True)
    assert _row_counts() == before
    assert Organization.objects.filter(pk=mine.pk).exists()


def test_reset_with_yes_starts_over_from_the_demo(demo, scope_of):
    mine = OrganizationFactory(name="My own company")
    partnership_end(scope=scope_of(DIST_ADMIN), partnership=_partnership(demo, DIST, AMAZON))
    # The command runs in a transaction of its own; this test's holds deferred foreign-key
    # checks, which PostgreSQL must run before it may TRUNCATE.
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _seed(reset=True, yes=True, quiet=True)
    assert not Organization.objects.filter(name=mine.name).exists()
    assert _partnership(demo, DIST, AMAZON).status == PartnershipStatus.ACTIVE
    with bypass(reason="tests: audit count"):
        assert not AuditEvent.objects.filter(action="partnership.end").exists()
