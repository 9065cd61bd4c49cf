"""Bad input on every organization-side form: a clear error, a 4xx, nothing written."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Location, Membership, Organization, OrganizationRelationship


def counts():
    return (
        Location.objects.count(),
        Organization.objects.count(),
        OrganizationRelationship.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "WAREHOUSE"}, "This field is required"),
        ({"name": "   ", "kind": "WAREHOUSE"}, "This field is required"),
        ({"name": "x" * 201, "kind": "WAREHOUSE"}, "at most 200 characters"),
        ({"name": "Ok", "kind": "CASTLE"}, "Select a valid choice"),
        ({"name": "Ok", "kind": "WAREHOUSE", "country": "USA"}, "two-letter country code"),
        ({"name": "Bad\x00name", "kind": "WAREHOUSE"}, "Null characters are not allowed"),
        ({"name": "Ok", "kind": "WAREHOUSE", "operator": "not-a-number"}, "Select a valid choice"),
    ],
)
def test_location_form_rejects_bad_input(data, message, login, demo):
    data = {"operator": demo.org("ORG-003").pk, **data}
    before = counts()
    response = login("super@luxebond.example").post("/locations/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_location_form_refuses_an_operator_outside_the_network(login, demo):
    before = counts()
    response = login("super@luxebond.example").post(
        "/locations/new/",
        {"operator": demo.org("ORG-101").pk, "name": "Hijack", "kind": "WAREHOUSE"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert counts() == before


def test_location_form_accepts_unicode_names(login, demo):
    response = login("super@luxebond.example").post(
        "/locations/new/",
        {
            "operator": demo.org("ORG-003").pk,
            "name": "Zürich Lager – 東京倉庫 🏭",
            "kind": "WAREHOUSE",
            "country": "ch",
        },
    )
    assert response.status_code == 302
    location = Location.objects.get(name="Zürich Lager – 東京倉庫 🏭")
    assert location.country == "CH" and location.code.startswith("LOC-")
    assert AuditEvent.objects.filter(
        action="location.create", target_id=str(location.public_id)
    ).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "", "role": "MEMBER"}, "This field is required"),
        ({"email": "not-an-email", "role": "MEMBER"}, "Enter a valid email address"),
        ({"email": "a" * 250 + "@x.example", "role": "MEMBER"}, "at most 254 characters"),
        ({"email": "ok@x.example", "role": "KING"}, "Select a valid choice"),
        ({"email": "admin@dist.luxebond.example", "role": "MEMBER"}, "already a member"),
    ],
)
def test_member_invite_rejects_bad_input(data, message, login, demo):
    before = counts()
    response = login("admin@dist.luxebond.example").post(
        f"/network/orgs/{demo.org('ORG-003').public_id}/members/invite/", data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"name": "", "org_type": "DISTRIBUTOR", "relationship_type": "SUBSIDIARY"},
            "This field is required",
        ),
        (
            {"name": "x" * 201, "org_type": "DISTRIBUTOR", "relationship_type": "SUBSIDIARY"},
            "at most 200",
        ),
        (
            {"name": "Ok", "org_type": "DISTRIBUTOR", "relationship_type": "PARTNER"},
            "Select a valid choice",
        ),
        (
            {"name": "Ok", "org_type": 42, "relationship_type": "SUBSIDIARY"},
            "Select a valid choice",
        ),
    ],
)
def test_add_child_org_rejects_bad_input(data, message, login, demo):
    before = counts()
    response = login("super@luxebond.example").post(
        f"/network/orgs/{demo.org('ORG-001').public_id}/add/", data
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_relationship_that_would_create_a_cycle_is_refused(login, demo):
    before = counts()
    response = login("super@luxebond.example").post(
        "/network/link/",
        {"parent": demo.org("ORG-003").pk, "child": demo.org("ORG-001").pk, "type": "DIVISION"},
    )
    assert response.status_code == 400
    assert "would make a cycle" in response.content.decode()
    assert counts() == before


def test_self_link_and_second_owning_parent_are_refused(login, demo):
    client = login("super@luxebond.example")
    before = counts()
    same = client.post(
        "/network/link/",
        {"parent": demo.org("ORG-002").pk, "child": demo.org("ORG-002").pk, "type": "DIVISION"},
    )
    assert same.status_code == 400 and "its own parent" in same.content.decode()
    second = client.post(
        "/network/link/",
        {"parent": demo.org("ORG-002").pk, "child": demo.org("ORG-003").pk, "type": "BRANCH"},
    )
    assert second.status_code == 400 and "already has an owning parent" in second.content.decode()
    assert counts() == before


def test_database_refuses_a_cycle_even_without_the_service(demo):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationRelationship.objects.create(
            parent=demo.org("ORG-002"), child=demo.org("ORG-001"), type="DIVISION"
        )


def test_profile_rejects_too_long_name(login, demo):
    response = login("member@dist.luxebond.example").post(
        "/accounts/profile/", {"full_name": "n" * 151}
    )
    assert response.status_code == 400
    assert demo.user("member@dist.luxebond.example").full_name == "Marcus Reed"


def test_member_edits_own_profile(login, demo):
    response = login("member@dist.luxebond.example").post(
        "/accounts/profile/", {"full_name": "Marcus Q. Reed"}
    )
    assert response.status_code == 302
    assert demo.user("member@dist.luxebond.example").full_name == "Marcus Q. Reed"


def test_free_partner_cannot_add_locations_and_sees_upgrade_page(login, demo):
    before = counts()
    client = login("ops@amazon.example")
    for response in (
        client.get("/locations/new/"),
        client.post(
            "/locations/new/",
            {"operator": demo.org("ORG-101").pk, "name": "X", "kind": "WAREHOUSE"},
        ),
    ):
        assert response.status_code == 403
        html = response.content.decode()
        assert "Upgrade to PRO" in html and "Manage own inventory" in html
    assert counts() == before


def test_pro_plan_location_limit_names_the_add_on(login, demo):
    # PackagePro: PRO with one $49 add-on = 2 locations, both in use.
    before = counts()
    response = login("admin@packagepro.example").post(
        "/locations/new/",
        {"operator": demo.org("ORG-201").pk, "name": "Third site", "kind": "WAREHOUSE"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "includes 2 locations" in html and "$49/mo" in html
    assert counts() == before


def test_htmx_request_gets_the_upgrade_partial(login):
    response = login("ops@amazon.example").get("/locations/new/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<html" not in html and 'data-testid="upgrade-required"' in html
