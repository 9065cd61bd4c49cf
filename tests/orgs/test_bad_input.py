"""Bad input on every organization-side form: a clear error, a 4xx, nothing written."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model

from orgs.models import AuditEvent, Location, Membership, Organization, OrganizationRelationship

from ..factories import (
    LocationFactory,
    OrganizationFactory,
    PartnershipFactory,
    admin_of,
    child_org,
    logged_in,
    member_of,
)


@dataclass
class Network:
    root: Organization  # ENTERPRISE network root: its super admin manages the network
    dist: Organization  # a subsidiary (owning parent: root)
    mfg: Organization  # another subsidiary
    partner: Organization  # a FREE partner of dist
    pro: Organization  # a PRO organization with one location add-on, both locations in use
    people: dict[str, object]


@pytest.fixture
def net(db) -> Network:
    root = OrganizationFactory(root=True)
    dist, mfg = child_org(root), child_org(root)
    partner = OrganizationFactory(plan_tier="FREE")
    PartnershipFactory(network=dist, partner=partner)
    pro = OrganizationFactory(plan_tier="PRO", extra_location_addons=1)
    LocationFactory.create_batch(2, operator=pro)
    people = {
        "super": admin_of(root, role="ORG_SUPER_ADMIN"),
        "dist": admin_of(dist),
        "member": member_of(dist, full_name="Marcus Reed"),
        "partner": admin_of(partner),
        "pro": admin_of(pro),
    }
    return Network(root, dist, mfg, partner, pro, people)


@pytest.fixture
def login(client, net):
    """login("super") → the client logged in as that person of the network."""
    return lambda who: logged_in(client, net.people[who])


User = get_user_model()


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
def test_location_form_rejects_bad_input(data, message, login, net):
    data = {"operator": net.dist.pk, **data}
    before = counts()
    response = login("super").post("/locations/new/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


def test_location_form_refuses_an_operator_outside_the_network(login, net):
    before = counts()
    response = login("super").post(
        "/locations/new/",
        {"operator": net.partner.pk, "name": "Hijack", "kind": "WAREHOUSE"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert counts() == before


def test_location_form_accepts_unicode_names(login, net):
    response = login("super").post(
        "/locations/new/",
        {
            "operator": net.dist.pk,
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
        ({"email": "DIST_ADMIN", "role": "MEMBER"}, "already a member"),
    ],
)
def test_member_invite_rejects_bad_input(data, message, login, net):
    if data["email"] == "DIST_ADMIN":
        data = {**data, "email": net.people["dist"].email}
    before = counts()
    response = login("dist").post(f"/network/orgs/{net.dist.public_id}/members/invite/", data)
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
def test_add_child_org_rejects_bad_input(data, message, login, net):
    before = counts()
    response = login("super").post(f"/network/orgs/{net.root.public_id}/add/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert counts() == before


@pytest.mark.parametrize("relationship_type", ["SUBSIDIARY", "BRANCH"])
def test_add_child_org_creates_it(relationship_type, login, net):
    """Found by a tenant-style attack: every valid "add subsidiary/branch" answered 500, because
    the new organization row is not yet in the admin's subtree when it is inserted (row-level
    security refused the INSERT ... RETURNING). The admin gets the new org, under the parent."""
    from orgs.models import Organization, OrganizationRelationship

    data = {"name": "Normal Branch", "org_type": "DISTRIBUTOR"}
    response = login("super").post(
        f"/network/orgs/{net.root.public_id}/add/",
        data | {"relationship_type": relationship_type},
    )
    assert response.status_code == 302
    created = Organization.objects.get(name="Normal Branch")
    assert OrganizationRelationship.objects.filter(
        parent=net.root, child=created, type=relationship_type
    ).exists()
    assert "Normal Branch" in login("super").get("/network/").content.decode()


def test_relationship_that_would_create_a_cycle_is_refused(login, net):
    before = counts()
    response = login("super").post(
        "/network/link/",
        {"parent": net.dist.pk, "child": net.root.pk, "type": "DIVISION"},
    )
    assert response.status_code == 400
    assert "would make a cycle" in response.content.decode()
    assert counts() == before


def test_self_link_and_second_owning_parent_are_refused(login, net):
    client = login("super")
    before = counts()
    same = client.post(
        "/network/link/",
        {"parent": net.mfg.pk, "child": net.mfg.pk, "type": "DIVISION"},
    )
    assert same.status_code == 400 and "its own parent" in same.content.decode()
    second = client.post(
        "/network/link/",
        {"parent": net.mfg.pk, "child": net.dist.pk, "type": "BRANCH"},
    )
    assert second.status_code == 400 and "already has an owning parent" in second.content.decode()
    assert counts() == before


def test_database_refuses_a_cycle_even_without_the_service(net):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        OrganizationRelationship.objects.create(parent=net.mfg, child=net.root, type="DIVISION")


def test_profile_rejects_too_long_name(login, net):
    response = login("member").post("/accounts/profile/", {"full_name": "n" * 151})
    assert response.status_code == 400
    assert User.objects.get(pk=net.people["member"].pk).full_name == "Marcus Reed"


def test_member_edits_own_profile(login, net):
    response = login("member").post("/accounts/profile/", {"full_name": "Marcus Q. Reed"})
    assert response.status_code == 302
    assert User.objects.get(pk=net.people["member"].pk).full_name == "Marcus Q. Reed"


def test_free_partner_cannot_add_locations_and_sees_upgrade_page(login, net):
    before = counts()
    client = login("partner")
    for response in (
        client.get("/locations/new/"),
        client.post(
            "/locations/new/",
            {"operator": net.partner.pk, "name": "X", "kind": "WAREHOUSE"},
        ),
    ):
        assert response.status_code == 403
        html = response.content.decode()
        assert "Upgrade to PRO" in html and "Manage own inventory" in html
    assert counts() == before


def test_pro_plan_location_limit_names_the_add_on(login, net):
    # PRO with one $49 add-on = 2 locations, both in use.
    before = counts()
    response = login("pro").post(
        "/locations/new/",
        {"operator": net.pro.pk, "name": "Third site", "kind": "WAREHOUSE"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "includes 2 locations" in html and "$49/mo" in html
    assert counts() == before


def test_htmx_request_gets_the_upgrade_partial(login):
    response = login("partner").get("/locations/new/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    html = response.content.decode()
    assert "<html" not in html and 'data-testid="upgrade-required"' in html
