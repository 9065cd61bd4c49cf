"""Role escalation attempts are refused (403/404) and change nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from guardian.shortcuts import assign_perm

from orgs.models import AuditEvent, Location, Membership, Organization, Role

from ..factories import (
    LocationFactory,
    Network,
    admin_of,
    child_org,
    logged_in,
    member_of,
    network,
    scope_of_user,
)


@dataclass
class World:
    net: Network  # root + super_admin, the subsidiary `dist` + its admin, Dallas, LA
    member: Any  # a MEMBER of the subsidiary, granted Dallas
    mfg: Organization  # a sibling subsidiary
    mfg_admin: Any
    plant: Location  # the sibling's
    buyer: Any  # a MEMBER of both subsidiaries: LA in one, the plant in the other


@pytest.fixture
def w(db) -> World:
    net = network()
    mfg = child_org(net.root, org_type="MANUFACTURER", name="Factory Manufacturing LLC")
    plant = LocationFactory(operator=mfg, name="Fort Worth Plant", city="Fort Worth")
    buyer = member_of(mfg, locations=[plant])
    Membership.objects.create(user=buyer, organization=net.dist, role=Role.MEMBER)
    assign_perm("orgs.operate_location", buyer, net.la)
    return World(
        net=net,
        member=member_of(net.dist, locations=[net.dallas]),
        mfg=mfg,
        mfg_admin=admin_of(mfg),
        plant=plant,
        buyer=buyer,
    )


@pytest.fixture
def login(client):
    return lambda user: logged_in(client, user)


def membership(user, org: Organization) -> Membership:
    return Membership.objects.get(user=user, organization=org)


def snapshot():
    return sorted(
        Membership.objects.values_list("user__email", "organization__code", "role", "is_active")
    )


def test_org_admin_cannot_invite_a_super_admin(login, w):
    before = snapshot()
    response = login(w.net.admin).post(
        f"/network/orgs/{w.net.dist.public_id}/members/invite/",
        {"email": "new@dist.factory.example", "role": Role.ORG_SUPER_ADMIN},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert snapshot() == before


def test_org_admin_cannot_promote_a_member_to_super_admin(login, w):
    target = membership(w.member, w.net.dist)
    response = login(w.net.admin).post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_SUPER_ADMIN}
    )
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_org_admin_cannot_touch_another_orgs_member(login, w):
    before = snapshot()
    other = membership(w.mfg_admin, w.mfg)
    client = login(w.net.admin)
    for data in ({"action": "role", "role": Role.MEMBER}, {"action": "deactivate"}):
        assert client.post(f"/network/members/{other.public_id}/", data).status_code == 404
    assert (
        client.post(
            f"/network/orgs/{w.mfg.public_id}/members/invite/",
            {"email": "x@example.com", "role": Role.MEMBER},
        ).status_code
        == 404
    )
    assert snapshot() == before


def test_subsidiary_admin_cannot_touch_the_root_super_admin(login, w):
    before = snapshot()
    root_admin = membership(w.net.super_admin, w.net.root)
    response = login(w.mfg_admin).post(
        f"/network/members/{root_admin.public_id}/", {"action": "deactivate"}
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_member_cannot_post_admin_forms(login, w):
    before = snapshot()
    client = login(w.member)
    org3 = w.net.dist
    assert (
        client.post(
            f"/network/orgs/{org3.public_id}/members/invite/",
            {"email": "x@example.com", "role": "MEMBER"},
        ).status_code
        == 403
    )
    own = membership(w.member, org3)
    assert (
        client.post(
            f"/network/members/{own.public_id}/", {"action": "role", "role": "ORG_ADMIN"}
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/locations/new/", {"name": "Sneaky", "kind": "WAREHOUSE", "operator": org3.pk}
        ).status_code
        == 403
    )
    assert snapshot() == before
    assert not org3.locations.filter(name="Sneaky").exists()


def test_super_admin_role_only_exists_at_the_root(login, w):
    target = membership(w.member, w.net.dist)
    response = login(w.net.super_admin).post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_SUPER_ADMIN}
    )
    assert response.status_code == 400
    assert "only at the root" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_admin_cannot_change_or_deactivate_themselves(login, w):
    own = membership(w.net.admin, w.net.dist)
    client = login(w.net.admin)
    response = client.post(f"/network/members/{own.public_id}/", {"action": "deactivate"})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.is_active and own.role == Role.ORG_ADMIN


def test_super_admin_changes_a_role_and_it_is_audited(login, w):
    target = membership(w.member, w.net.dist)
    response = login(w.net.super_admin).post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_ADMIN}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.ORG_ADMIN
    event = AuditEvent.objects.get(action="membership.change_role", target_id=str(target.public_id))
    assert event.before == {"role": "MEMBER"} and event.after == {"role": "ORG_ADMIN"}
    assert event.actor == w.net.super_admin


def test_deactivated_member_loses_access(login, w, client):
    target = membership(w.member, w.net.dist)
    login(w.net.admin).post(f"/network/members/{target.public_id}/", {"action": "deactivate"})
    target.refresh_from_db()
    assert not target.is_active
    client.force_login(w.member)
    assert client.get("/locations/").status_code == 403


def test_member_location_rights_follow_guardian_grants(login, w):
    target = membership(w.member, w.net.dist)
    loc2 = w.net.la
    response = login(w.net.admin).post(
        f"/network/members/{target.public_id}/", {"action": "locations", "locations": [loc2.pk]}
    )
    assert response.status_code == 302
    scope = scope_of_user(w.member)
    assert scope.location_ids == {loc2.pk}


def test_switching_to_an_org_you_do_not_belong_to_is_refused(login, w):
    client = login(w.buyer)
    response = client.post("/accounts/switch/", {"org": str(w.net.root.public_id)})
    assert response.status_code == 302
    html = client.get("/dashboard/").content.decode()
    assert "not a member of that organization" in html
    # A legitimate switch changes what the header and the locations page show.
    la, plant = w.net.la.code, w.plant.code
    client.post("/accounts/switch/", {"org": str(w.net.dist.public_id), "next": "/locations/"})
    html = client.get("/locations/").content.decode()
    assert la in html and plant not in html
    client.post("/accounts/switch/", {"org": str(w.mfg.public_id)})
    html = client.get("/locations/").content.decode()
    assert plant in html and la not in html
