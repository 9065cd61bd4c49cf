"""Invitations: create, accept (new and existing account), token security, tiers, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from orgs.models import AuditEvent, Membership, Organization, OrganizationRelationship
from partnerships.models import Invitation, InvitationStatus, Partnership

from ..factories import OrganizationFactory, logged_in, member_of, party, supplier_partnership

pytestmark = pytest.mark.django_db

NEW = {
    "full_name": "Gina Lopez",
    "organization_name": "Glow Freight Co",
    "password1": "a-Long-unusual-pass-42",
    "password2": "a-Long-unusual-pass-42",
}


def _world() -> tuple[int, int, int, int, int]:
    return (
        Organization.objects.count(),
        get_user_model().objects.count(),
        OrganizationRelationship.objects.count(),
        Partnership.objects.count(),
        Membership.objects.count(),
    )


def test_invite_sends_html_and_text_email_with_signed_link(net, invite):
    response, token = invite()
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.to == ["ops@glowfreight.example"]
    assert net.dist.name in message.subject
    assert net.edison.code in message.body
    html = message.alternatives[0][0]
    assert f"/invitations/{token}/" in html
    invitation = Invitation.objects.get(email="ops@glowfreight.example")
    # Only a hash is stored: the token itself is nowhere in the row.
    assert token not in str(invitation.__dict__)
    assert len(invitation.token_hash) == 64
    assert AuditEvent.objects.filter(action="invitation.create").exists()


def test_new_partner_registers_and_sees_exactly_shared_locations(
    net, invite, client, django_capture_on_commit_callbacks
):
    _, token = invite(locations=(net.edison, net.la))
    url = f"/invitations/{token}/"
    world = _world()
    page = client.get(url)
    assert page.status_code == 200 and "Create your account" in page.content.decode()
    assert _world() == world, "GET must change nothing"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, NEW)
    assert response.status_code == 302 and "/welcome/" in response["Location"]
    org = Organization.objects.get(name="Glow Freight Co")
    assert (org.plan_tier, org.partnership_tier, org.billing_mode) == (
        "FREE",
        "PARTNER_ONLY",
        "FREE",
    )
    user = get_user_model().objects.get(email="ops@glowfreight.example")
    assert Membership.objects.get(user=user).role == "ORG_ADMIN"
    partnership = Partnership.objects.get(relationship__child=org)
    assert partnership.status == "ACTIVE"
    assert partnership.relationship.status == "ACTIVE"
    welcome = client.get(response["Location"]).content.decode()
    assert net.edison.code in welcome and "Upgrade" in welcome
    locations = client.get("/locations/").content.decode()
    codes = {
        w for w in locations.replace("<", " ").replace(">", " ").split() if w.startswith("LOC-")
    }
    assert codes == {net.edison.code, net.la.code}
    # The inviter hears about it.
    assert any("accepted" in m.subject for m in mail.outbox)


def test_existing_account_links_a_third_customer(net, invite, client):
    """The supplier's admin (already a partner of another network) accepts into its own org."""
    supplier = net.supplier
    third = OrganizationFactory(root=True, name="TechComponents Inc")
    supplier_partnership(third, supplier)  # a partner of two networks already
    _, token = invite(
        email=net.supplier_admin.email, company_name="PackagePro", role="SUPPLIER", locations=()
    )
    url = f"/invitations/{token}/"
    anonymous = client.get(url).content.decode()
    assert "Log in to accept" in anonymous
    client.force_login(net.supplier_admin)
    orgs_before = Organization.objects.count()
    response = client.post(url, {"organization": supplier.pk})
    assert response.status_code == 302
    assert Organization.objects.count() == orgs_before
    partners_of = set(
        Partnership.objects.filter(relationship__child=supplier, status="ACTIVE").values_list(
            "relationship__parent__code", flat=True
        )
    )
    assert partners_of == {net.other_root.code, third.code, net.dist.code}
    listing = client.get("/partnerships/").content.decode()
    assert net.dist.name in listing and net.other_root.name in listing


def test_reused_link_is_gone_and_creates_nothing(invite, client):
    _, token = invite()
    url = f"/invitations/{token}/"
    client.post(url, NEW)
    client.logout()
    world = _world()
    again = client.post(url, {**NEW, "full_name": "Someone Else"})
    assert again.status_code == 410
    assert "no longer valid" in again.content.decode()
    assert client.get(url).status_code == 410
    assert _world() == world


def test_expired_link(invite, client):
    _, token = invite()
    Invitation.objects.filter(email="ops@glowfreight.example").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    world = _world()
    response = client.post(f"/invitations/{token}/", NEW)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert _world() == world


def test_expiry_is_configurable(invite, settings):
    settings.INVITATION_TTL_DAYS = 2
    invite()
    invitation = Invitation.objects.get(email="ops@glowfreight.example")
    assert timedelta(days=1, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=2)


def test_revoked_link(net, invite, client):
    _, token = invite()
    invitation = Invitation.objects.get(email="ops@glowfreight.example")
    admin = logged_in(client, net.admin)
    admin.post(f"/partnerships/invitations/{invitation.public_id}/revoke/")
    admin.logout()
    world = _world()
    response = client.post(f"/invitations/{token}/", NEW)
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert _world() == world


def test_tampered_link(invite, client):
    _, token = invite()
    raw, _, signature = token.rpartition(":")
    world = _world()
    for bad in (raw[:-1] + ("A" if raw[-1] != "A" else "B") + ":" + signature, raw, "nonsense"):
        response = client.post(f"/invitations/{bad}/", NEW)
        assert response.status_code == 404, bad
        assert "not valid" in response.content.decode()
    assert _world() == world


def test_resend_issues_a_new_link_and_kills_the_old(
    net, invite, client, django_capture_on_commit_callbacks
):
    from tests.partnerships.conftest import token_from

    _, old = invite()
    invitation = Invitation.objects.get(email="ops@glowfreight.example")
    admin = logged_in(client, net.admin)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(f"/partnerships/invitations/{invitation.public_id}/resend/")
    new = token_from(mail.outbox[-1])
    assert new != old
    admin.logout()
    assert client.get(f"/invitations/{old}/").status_code == 404
    assert client.get(f"/invitations/{new}/").status_code == 200


def test_wrong_logged_in_email_is_refused(net, invite, client):
    _, token = invite()
    other = logged_in(client, net.amazon_admin)
    page = other.get(f"/invitations/{token}/").content.decode()
    assert "sent to <strong>ops@glowfreight.example</strong>" in page
    world = _world()
    response = other.post(f"/invitations/{token}/", {"organization": 1, **NEW})
    assert response.status_code == 403
    assert _world() == world
    assert Invitation.objects.get(email="ops@glowfreight.example").status == "PENDING"


def test_existing_email_must_log_in_rather_than_register(net, invite, client):
    # The supplier: an existing account that is not yet a partner of the inviting subsidiary.
    _, token = invite(email=net.supplier_admin.email, company_name="PackagePro")
    world = _world()
    response = client.post(f"/invitations/{token}/", NEW)
    assert response.status_code == 200 and "Log in to accept" in response.content.decode()
    assert _world() == world


def test_free_org_cannot_invite_by_direct_post(net, client):
    client = logged_in(client, net.amazon_admin)
    listing = client.get("/partnerships/").content.decode()
    assert 'data-testid="invite-upgrade"' in listing and "invite-button" not in listing
    count = Invitation.objects.count()
    response = client.post(
        "/partnerships/invite/",
        {
            "network_org": net.amazon.pk,
            "company_name": "X",
            "email": "x@x.example",
            "relationship_type": "PARTNER",
            "role": "SUPPLIER",
        },
    )
    assert response.status_code == 403
    assert 'data-testid="upgrade-required"' in response.content.decode()
    assert "PRO" in response.content.decode()
    assert Invitation.objects.count() == count


def test_member_cannot_invite(net, client):
    pending = Invitation.objects.filter(status="PENDING").count()
    member = member_of(net.dist, locations=[net.dallas])
    response = logged_in(client, member).post("/partnerships/invite/", {})
    assert response.status_code == 403
    assert Invitation.objects.filter(status="PENDING").count() == pending


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"company_name": "   "}, "This field is required."),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"relationship_type": "SUBSIDIARY"}, "Select a valid choice."),
        ({"role": "OVERLORD"}, "Select a valid choice."),
        ({"email": "admin"}, "already a member"),
        ({"email": "amazon_admin"}, "already works for Amazon"),
    ],
)
def test_invite_bad_input(net, invite, fields, error):
    if fields.get("email") in ("admin", "amazon_admin"):  # a person of the network, by role
        fields = {"email": getattr(net, fields["email"]).email}
    count = Invitation.objects.count()
    response, token = invite(**fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert token is None and Invitation.objects.count() == count


def test_invite_cannot_share_someone_elses_location(net, invite):
    response, _ = invite(locations=(net.stranger_loc,))  # not visible to the subsidiary
    assert response.status_code == 400
    assert Invitation.objects.filter(email="ops@glowfreight.example").count() == 0


def test_duplicate_pending_invitation(invite):
    invite()
    response, token = invite(company_name="Glow Freight again")
    assert response.status_code == 400 and "already pending" in response.content.decode()


@pytest.mark.parametrize(
    "fields, error",
    [
        ({"full_name": " "}, "This field is required."),
        ({"password2": "different-pass-99"}, "The two passwords differ."),
        ({"password1": "123", "password2": "123"}, "too short"),
        ({"organization_name": ""}, "This field is required."),
    ],
)
def test_registration_bad_input(invite, client, fields, error):
    _, token = invite()
    world = _world()
    response = client.post(f"/invitations/{token}/", {**NEW, **fields})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert _world() == world
    assert (
        Invitation.objects.get(email="ops@glowfreight.example").status == InvitationStatus.PENDING
    )


def test_party_becomes_a_tenant_keeping_its_history(net, invite, client):
    ulta = party(net.dist, name="Ulta Beauty Inc.", contact_email="vendorops@ulta.example")
    admin = logged_in(client, net.admin)
    form = admin.get(f"/partnerships/invite/?party={ulta.public_id}").content.decode()
    assert "Ulta Beauty Inc." in form and "vendorops@ulta.example" in form
    admin.logout()
    _, token = invite(
        party=str(ulta.public_id),
        company_name="Ulta Beauty Inc.",
        email="vendorops@ulta.example",
        role="RETAILER",
    )
    client.post(f"/invitations/{token}/", {**NEW, "organization_name": "Ulta Beauty Inc."})
    ulta.refresh_from_db()
    assert ulta.organization is not None and ulta.organization.name == "Ulta Beauty Inc."
    assert ulta.contacts.count() == 2  # its records stay


def test_an_ended_partner_can_be_invited_back(net, invite, client):
    amazon_p = Partnership.objects.get(
        relationship__parent=net.dist, relationship__child=net.amazon
    )
    logged_in(client, net.admin).post(f"/partnerships/{amazon_p.public_id}/end/")
    email = net.amazon_admin.email
    _, token = invite(email=email, company_name="Amazon", locations=(net.edison,), terms="Back.")
    assert token, "an ended partner can be invited again"
    amazon = logged_in(client, net.amazon_admin)
    response = amazon.post(f"/invitations/{token}/", {"organization": net.amazon.pk})
    assert response.status_code == 302
    amazon_p.refresh_from_db()
    assert amazon_p.status == "ACTIVE" and amazon_p.relationship.status == "ACTIVE"
    assert amazon_p.terms == "Back." and amazon_p.ended_at is None
    assert set(amazon_p.shared_locations.values_list("code", flat=True)) == {net.edison.code}
    # Accepting an invitation from an org you already actively partner with is refused cleanly.
    _, again = invite(email=email, company_name="Amazon")
    assert again is None


def test_existing_user_must_choose_an_org_they_administer(net, invite, client):
    _, token = invite(email=net.supplier_admin.email, company_name="PackagePro", locations=())
    client = logged_in(client, net.supplier_admin)
    world = _world()
    response = client.post(f"/invitations/{token}/", {"organization": net.amazon.pk})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert _world() == world
