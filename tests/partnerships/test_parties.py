"""Parties: external companies with no account, managed by the network with their contacts."""

from __future__ import annotations

import pytest

from orgs.models import AuditEvent, Party, PartyContact

from ..factories import admin_of, child_org, invitation, logged_in, member_of, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(net):
    """The network, with a party the subsidiary manages (Ulta, two contacts), a pending
    invitation it sent, a member of the subsidiary and the admin of a sibling subsidiary."""
    net.ulta = party(net.dist, name="Ulta Beauty Inc.", reference="ORG-103")
    invitation(
        inviter=net.admin,
        network_org=net.dist,
        email="vendor@nordstrom.example",
        company_name="Nordstrom",
        role="RETAILER",
    )
    net.member = member_of(net.dist, locations=[net.dallas])
    net.mfg_admin = admin_of(child_org(net.root, name="Factory Manufacturing LLC"))
    return net


@pytest.fixture
def login(client, world):
    """login("admin") → the test client, logged in as that person of the world."""
    return lambda who: logged_in(client, getattr(world, who))


def test_network_admin_records_a_party_with_contacts(world, login):
    admin = login("admin")
    listing = admin.get("/partnerships/parties/").content.decode()
    assert "Ulta Beauty Inc." in listing and "ORG-103" in listing
    response = admin.post(
        "/partnerships/parties/",
        {"name": "Target Corp", "reference": "TGT-1", "kind": "RETAILER", "contact_email": ""},
    )
    assert response.status_code == 302
    party = Party.objects.get(name="Target Corp")
    assert party.owner == world.dist
    response = admin.post(
        f"/partnerships/parties/{party.public_id}/",
        {"action": "contact", "name": "Tom Buyer", "email": "tom@target.example"},
    )
    assert response.status_code == 302
    assert PartyContact.objects.get(party=party).email == "tom@target.example"
    assert AuditEvent.objects.filter(action="party.create", target_id=str(party.public_id)).exists()
    page = admin.get(f"/partnerships/parties/{party.public_id}/").content.decode()
    assert "Tom Buyer" in page and "Invite to Better Data" in page


@pytest.mark.parametrize(
    "data, error",
    [
        ({"name": "  ", "kind": "RETAILER"}, "This field is required."),
        ({"name": "Ulta Beauty Inc.", "kind": "RETAILER"}, "already has a party named"),
        ({"name": "X", "kind": "RETAILER", "contact_email": "nope"}, "Enter a valid email"),
        ({"name": "X", "kind": "SPACESHIP"}, "Select a valid choice"),
    ],
)
def test_party_bad_input(login, data, error):
    admin = login("admin")
    count = Party.objects.count()
    response = admin.post("/partnerships/parties/", data)
    assert response.status_code == 400 and error in response.content.decode()
    assert Party.objects.count() == count


def test_party_edit_and_contact_bad_input(world, login):
    admin = login("admin")
    ulta = world.ulta
    response = admin.post(
        f"/partnerships/parties/{ulta.public_id}/", {"action": "contact", "name": ""}
    )
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = admin.post(
        f"/partnerships/parties/{ulta.public_id}/", {"name": "", "kind": "RETAILER"}
    )
    assert response.status_code == 400
    ulta.refresh_from_db()
    assert ulta.name == "Ulta Beauty Inc." and ulta.contacts.count() == 2


@pytest.mark.parametrize(
    "who, status",
    [
        ("amazon_admin", 403),  # FREE: no party management (upgrade page)
        ("member", 403),  # not an admin
    ],
)
def test_who_may_not_add_parties(login, who, status):
    count = Party.objects.count()
    response = login(who).post("/partnerships/parties/", {"name": "Sneaky", "kind": "RETAILER"})
    assert response.status_code == status
    assert Party.objects.count() == count


@pytest.mark.parametrize(
    "who, sees_ulta",
    [
        ("admin", True),  # the owning subsidiary's admin
        ("super_admin", True),  # the network root's super admin
        ("member", True),
        ("mfg_admin", False),  # a sibling subsidiary
        ("amazon_admin", False),  # partners of the owner
        ("sephora_admin", False),
        ("supplier_admin", False),  # another network's partner
        ("stranger_admin", False),  # an unrelated network
    ],
)
def test_party_isolation(world, login, who, sees_ulta):
    client = login(who)
    ulta = world.ulta
    assert ("Ulta" in client.get("/partnerships/parties/").content.decode()) is sees_ulta
    status = client.get(f"/partnerships/parties/{ulta.public_id}/").status_code
    assert status == (200 if sees_ulta else 404)
    before = ulta.name
    client.post(
        f"/partnerships/parties/{ulta.public_id}/", {"name": "Hijacked", "kind": "RETAILER"}
    )
    ulta.refresh_from_db()
    if who not in ("admin", "super_admin"):
        assert ulta.name == before


def test_invitation_list_resend_revoke_are_idempotent(login, invite):
    invite()
    admin = login("admin")
    page = admin.get("/partnerships/").content.decode()
    assert "ops@glowfreight.example" in page and "vendor@nordstrom.example" in page
    from partnerships.models import Invitation

    inv = Invitation.objects.get(email="ops@glowfreight.example")
    assert admin.post(f"/partnerships/invitations/{inv.public_id}/revoke/").status_code == 302
    assert admin.post(f"/partnerships/invitations/{inv.public_id}/revoke/").status_code == 302
    assert (
        AuditEvent.objects.filter(action="invitation.revoke", target_id=str(inv.public_id)).count()
        == 1
    )
    # A revoked invitation cannot be resent.
    admin.post(f"/partnerships/invitations/{inv.public_id}/resend/")
    inv.refresh_from_db()
    assert inv.status == "REVOKED" and inv.sent_count == 1
    assert admin.post(f"/partnerships/invitations/{inv.public_id}/delete/").status_code == 404
    # The list now offers a fresh invitation to the same address.
    response, token = invite()
    assert response.status_code == 302 and token


def test_admin_pages_are_scoped(login):
    super_admin = login("super_admin")
    page = super_admin.get("/admin/partnerships/invitation/").content.decode()
    assert page.count("vendor@nordstrom.example") >= 1
    assert super_admin.get("/admin/partnerships/message/").status_code == 200
    medsupply = login("stranger_admin")
    page = medsupply.get("/admin/partnerships/invitation/").content.decode()
    assert "nordstrom" not in page
