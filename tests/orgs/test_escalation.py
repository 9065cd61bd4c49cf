"""Role escalation attempts are refused (403/404) and change nothing."""

from __future__ import annotations

from orgs.models import AuditEvent, Membership, Role


def membership(demo, email: str, org: str) -> Membership:
    return Membership.objects.get(user__email=email, organization__code=org)


def snapshot():
    return sorted(
        Membership.objects.values_list("user__email", "organization__code", "role", "is_active")
    )


def test_org_admin_cannot_invite_a_super_admin(login, demo):
    before = snapshot()
    response = login("admin@dist.luxebond.example").post(
        f"/network/orgs/{demo.org('ORG-003').public_id}/members/invite/",
        {"email": "new@dist.luxebond.example", "role": Role.ORG_SUPER_ADMIN},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert snapshot() == before


def test_org_admin_cannot_promote_a_member_to_super_admin(login, demo):
    target = membership(demo, "member@dist.luxebond.example", "ORG-003")
    response = login("admin@dist.luxebond.example").post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_SUPER_ADMIN}
    )
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_org_admin_cannot_touch_another_orgs_member(login, demo):
    before = snapshot()
    other = membership(demo, "admin@mfg.luxebond.example", "ORG-002")
    client = login("admin@dist.luxebond.example")
    for data in ({"action": "role", "role": Role.MEMBER}, {"action": "deactivate"}):
        assert client.post(f"/network/members/{other.public_id}/", data).status_code == 404
    assert (
        client.post(
            f"/network/orgs/{demo.org('ORG-002').public_id}/members/invite/",
            {"email": "x@example.com", "role": Role.MEMBER},
        ).status_code
        == 404
    )
    assert snapshot() == before


def test_subsidiary_admin_cannot_touch_the_root_super_admin(login, demo):
    before = snapshot()
    root_admin = membership(demo, "super@luxebond.example", "ORG-001")
    response = login("admin@mfg.luxebond.example").post(
        f"/network/members/{root_admin.public_id}/", {"action": "deactivate"}
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_member_cannot_post_admin_forms(login, demo):
    before = snapshot()
    client = login("member@dist.luxebond.example")
    org3 = demo.org("ORG-003")
    assert (
        client.post(
            f"/network/orgs/{org3.public_id}/members/invite/",
            {"email": "x@example.com", "role": "MEMBER"},
        ).status_code
        == 403
    )
    own = membership(demo, "member@dist.luxebond.example", "ORG-003")
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


def test_super_admin_role_only_exists_at_the_root(login, demo):
    target = membership(demo, "member@dist.luxebond.example", "ORG-003")
    response = login("super@luxebond.example").post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_SUPER_ADMIN}
    )
    assert response.status_code == 400
    assert "only at the root" in response.content.decode()
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_admin_cannot_change_or_deactivate_themselves(login, demo):
    own = membership(demo, "admin@dist.luxebond.example", "ORG-003")
    client = login("admin@dist.luxebond.example")
    response = client.post(f"/network/members/{own.public_id}/", {"action": "deactivate"})
    assert response.status_code == 400
    own.refresh_from_db()
    assert own.is_active and own.role == Role.ORG_ADMIN


def test_super_admin_changes_a_role_and_it_is_audited(login, demo):
    target = membership(demo, "member@dist.luxebond.example", "ORG-003")
    response = login("super@luxebond.example").post(
        f"/network/members/{target.public_id}/", {"action": "role", "role": Role.ORG_ADMIN}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.role == Role.ORG_ADMIN
    event = AuditEvent.objects.get(action="membership.change_role", target_id=str(target.public_id))
    assert event.before == {"role": "MEMBER"} and event.after == {"role": "ORG_ADMIN"}
    assert event.actor.email == "super@luxebond.example"


def test_deactivated_member_loses_access(login, demo, client):
    target = membership(demo, "member@dist.luxebond.example", "ORG-003")
    login("admin@dist.luxebond.example").post(
        f"/network/members/{target.public_id}/", {"action": "deactivate"}
    )
    target.refresh_from_db()
    assert not target.is_active
    client.force_login(demo.user("member@dist.luxebond.example"))
    assert client.get("/locations/").status_code == 403


def test_member_location_rights_follow_guardian_grants(login, demo, scope_of):
    target = membership(demo, "member@dist.luxebond.example", "ORG-003")
    loc2 = demo.loc("LOC-002")
    response = login("admin@dist.luxebond.example").post(
        f"/network/members/{target.public_id}/", {"action": "locations", "locations": [loc2.pk]}
    )
    assert response.status_code == 302
    scope = scope_of("member@dist.luxebond.example")
    assert scope.location_ids == {loc2.pk}


def test_switching_to_an_org_you_do_not_belong_to_is_refused(login, demo):
    client = login("buyer@luxebond.example")
    response = client.post("/accounts/switch/", {"org": str(demo.org("ORG-001").public_id)})
    assert response.status_code == 302
    html = client.get("/dashboard/").content.decode()
    assert "not a member of that organization" in html
    # A legitimate switch changes what the header and the locations page show.
    client.post(
        "/accounts/switch/", {"org": str(demo.org("ORG-003").public_id), "next": "/locations/"}
    )
    html = client.get("/locations/").content.decode()
    assert "LOC-002" in html and "LOC-005" not in html
    client.post("/accounts/switch/", {"org": str(demo.org("ORG-002").public_id)})
    html = client.get("/locations/").content.decode()
    assert "LOC-005" in html and "LOC-002" not in html
