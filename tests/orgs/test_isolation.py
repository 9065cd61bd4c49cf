"""Isolation matrix: every demo persona × every organization-side page and object.

The expected sets are tests/personas.py's (the seeds' CAN / CANNOT lists, DESIGN.md §5 and §7).
"""

from __future__ import annotations

import re

import pytest

from orgs.models import Location, Membership, Organization

from ..personas import ALL_LOCATIONS, ALL_ORGS, ORG_NAMES, PERSONAS

# persona → organizations and locations visible: the one table in tests/personas.py
EXPECTED = {email: (set(p.orgs), set(p.locations)) for email, p in PERSONAS.items()}
INTERNAL_LOCATION_WORDS = {
    "LOC-001": "Dallas",
    "LOC-002": "Los Angeles",
    "LOC-003": "Edison",
    "LOC-004": "Miami",
}

codes = re.compile(r"\b(?:ORG|LOC)-\d{3}\b")


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_scope_sets_match_the_seed(email, scope_of):
    scope = scope_of(email)
    orgs, locations = EXPECTED[email]
    visible_orgs = set(Organization.objects.visible_to(scope).values_list("code", flat=True))
    visible_locations = set(Location.objects.visible_to(scope).values_list("code", flat=True))
    assert visible_orgs == orgs
    assert visible_locations == locations


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_network_page_shows_exactly_what_the_persona_may_see(email, login):
    html = page_text(login(email), "/network/")
    orgs, _ = EXPECTED[email]
    for code in ALL_ORGS - orgs:
        assert ORG_NAMES[code] not in html, f"{email} sees {code} on /network/"
    for code in orgs:
        assert ORG_NAMES[code] in html, f"{email} misses {code} on /network/"
    # Codes (and so plans and billing) are shown for the persona's own side only, plus the
    # partners an admin manages; a partner sees its counterpart by name, not by code.
    shown_codes = set(codes.findall(html))
    assert shown_codes <= orgs | ALL_LOCATIONS


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_locations_page_lists_exactly_the_visible_locations(email, login):
    html = page_text(login(email), "/locations/")
    _, locations = EXPECTED[email]
    shown = {c for c in codes.findall(html) if c.startswith("LOC-")}
    assert shown == locations
    for code, word in INTERNAL_LOCATION_WORDS.items():
        if code not in locations:
            assert word not in html


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_guessed_ids_of_invisible_objects_are_404(email, login, demo):
    client = login(email)
    orgs, locations = EXPECTED[email]
    for org in Organization.objects.exclude(code__in=orgs):
        assert client.get(f"/network/orgs/{org.public_id}/").status_code == 404, org.code
    for loc in Location.objects.exclude(code__in=locations):
        assert client.get(f"/locations/{loc.public_id}/").status_code == 404, loc.code
    for org in Organization.objects.filter(code__in=orgs):
        assert client.get(f"/network/orgs/{org.public_id}/").status_code == 200
    for loc in Location.objects.filter(code__in=locations):
        assert client.get(f"/locations/{loc.public_id}/").status_code == 200


@pytest.mark.parametrize("email", sorted(EXPECTED))
def test_members_are_listed_only_for_administered_orgs(email, login, scope_of):
    client = login(email)
    scope = scope_of(email)
    for org in Organization.objects.visible_to(scope):
        html = page_text(client, f"/network/orgs/{org.public_id}/")
        member_emails = set(
            Membership.objects.filter(organization=org).values_list("user__email", flat=True)
        )
        others = member_emails - {email}
        if scope.can_administer(org.pk):
            assert all(e in html for e in member_emails), org.code
        else:
            assert not any(e in html for e in others), f"{email} sees members of {org.code}"
    # Memberships of orgs the persona does not administer: 404 by guessed id.
    for membership in Membership.objects.exclude(organization_id__in=scope.administered_org_ids):
        if membership.user.email == email:
            continue
        response = client.get(f"/network/members/{membership.public_id}/")
        assert response.status_code in (403, 404)
        if not scope.is_admin:
            continue
        assert response.status_code == 404


def test_partner_sees_counterpart_by_name_without_codes_or_plan(login, demo):
    html = page_text(login("ops@amazon.example"), f"/network/orgs/{demo.org('ORG-003').public_id}/")
    assert "LUXE BOND Distribution LLC" in html
    assert "ORG-003" not in html and "ENTERPRISE" not in html and "INCLUDED" not in html
    # Amazon sees the FBA locations the partnership shares, not Dallas/LA/Edison/Miami.
    assert "LOC-101" in html
    for word in INTERNAL_LOCATION_WORDS.values():
        assert word not in html


def test_member_sees_only_granted_location_on_dashboard(login):
    html = page_text(login("member@dist.luxebond.example"), "/dashboard/")
    assert "LOC-001" in html
    assert "LOC-002" not in html and "LOC-101" not in html


ADMIN_CHANGELISTS = {
    "orgs/organization": ("ORG-", {"ORG-001", "ORG-002", "ORG-003"}),
    "orgs/location": ("LOC-", {"LOC-001", "LOC-002", "LOC-003", "LOC-004", "LOC-005"}),
}


@pytest.mark.parametrize("model", sorted(ADMIN_CHANGELISTS))
def test_network_super_admin_sees_only_its_network_in_admin(model, login):
    html = page_text(login("super@luxebond.example"), f"/admin/{model}/")
    prefix, expected = ADMIN_CHANGELISTS[model]
    assert {c for c in codes.findall(html) if c.startswith(prefix)} == expected


def test_admin_memberships_and_relationships_are_scoped(login):
    client = login("super@luxebond.example")
    members = page_text(client, "/admin/orgs/membership/")
    assert "admin@dist.luxebond.example" in members
    for outsider in ("ops@amazon.example", "admin@medsupply.example", "admin@packagepro.example"):
        assert outsider not in members
    rels = page_text(client, "/admin/orgs/organizationrelationship/")
    assert "Amazon Fulfillment Services LLC" in rels  # LUXE BOND's own partner link
    assert "MedSupply Co" not in rels and "TechComponents" not in rels


def test_medsupply_admin_sees_nothing_of_luxe_bond_in_admin(login, demo):
    client = login("admin@medsupply.example")
    html = page_text(client, "/admin/orgs/organization/")
    assert {c for c in codes.findall(html) if c.startswith("ORG-")} == {"ORG-401"}
    org3 = demo.org("ORG-003")
    assert client.get(f"/admin/orgs/organization/{org3.pk}/change/").status_code in (302, 404)
    loc = demo.loc("LOC-001")
    assert client.get(f"/admin/orgs/location/{loc.pk}/change/").status_code in (302, 404)


def test_admin_foreign_key_choices_are_scoped(login):
    html = page_text(login("super@luxebond.example"), "/admin/orgs/location/add/")
    # The operator field uses autocomplete: its endpoint must only offer network orgs.
    client = login("super@luxebond.example")
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "orgs", "model_name": "location", "field_name": "operator", "term": ""},
    )
    assert response.status_code == 200
    names = {r["text"] for r in response.json()["results"]}
    assert names and all("LUXE BOND" in n for n in names), names
    assert "add" in html.lower()


@pytest.mark.parametrize(
    "email", ["admin@dist.luxebond.example", "member@dist.luxebond.example", "ops@amazon.example"]
)
def test_non_super_admins_cannot_use_django_admin(email, login):
    response = login(email).get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_platform_staff_see_everything_in_admin(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        email="staff@betterdata.example", password="x-very-long-1"
    )
    client.force_login(staff)
    html = page_text(client, "/admin/orgs/organization/")
    assert {c for c in codes.findall(html) if c.startswith("ORG-")} == ALL_ORGS


def test_a_subsidiary_admin_does_not_see_its_organization_labelled_root(login):
    """Noticed by the adversarial tester: ORG-003's admin saw its own org badged "Root"."""
    page = login("admin@dist.luxebond.example").get("/network/").content.decode()
    assert "Your organization" in page and ">Root<" not in page
    root_page = login("super@luxebond.example").get("/network/").content.decode()
    assert ">Root<" in root_page
