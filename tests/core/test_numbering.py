"""core.numbering: codes from sequences, moved past codes inserted by hand."""

from __future__ import annotations

import pytest
from django.db import connection

from core.numbering import (
    LOCATION_CODE,
    ORGANIZATION_CODE,
    Series,
    format_code,
    next_code,
    next_number,
    sync_sequences,
)
from orgs.models import Location, Organization

pytestmark = pytest.mark.django_db

# A sequence of the test's own (DDL is rolled back with the test; nextval/setval are not).
ZZ = Series("ZZ", "tests_core_zz_seq", 3, "orgs_organization", "code")


@pytest.fixture
def zz_sequence():
    with connection.cursor() as cur:
        cur.execute(f"CREATE SEQUENCE {ZZ.sequence}")


def test_format_code():
    assert format_code("ORG", 7, 3) == "ORG-007"
    assert format_code("SHP", 12, 6) == "SHP-000012"
    assert format_code("LOC", 1234, 3) == "LOC-1234"  # past the width: every digit kept


def test_numbers_increase(zz_sequence):
    first = next_number(ZZ.sequence)
    assert next_number(ZZ.sequence) == first + 1
    assert next_code(ZZ) == f"ZZ-{first + 2:03d}"


def test_sync_moves_past_codes_inserted_by_hand(zz_sequence):
    Organization.objects.create(code="ZZ-041", name="Hand-made")
    Organization.objects.create(code="ZZ-9x", name="Not a number")
    sync_sequences((ZZ,))
    assert next_code(ZZ) == "ZZ-042"


def test_sync_on_an_empty_series_starts_at_one(zz_sequence):
    sync_sequences((ZZ,))
    assert next_code(ZZ) == "ZZ-001"


def test_after_the_seed_new_codes_are_free():
    org_code, loc_code = next_code(ORGANIZATION_CODE), next_code(LOCATION_CODE)
    assert not Organization.objects.filter(code=org_code).exists()
    assert not Location.objects.filter(code=loc_code).exists()
    assert int(org_code.split("-")[1]) > 1 and int(loc_code.split("-")[1]) > 1
