"""Membership by consent (docs/security-membership.md): inviting a person adds nobody; the
person accepts or declines on the emailed link; and a user lands in the organization they
last used."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from orgs.models import AuditEvent, Membership, MembershipInvitation, Role

from ..factories import PASSWORD, OrganizationFactory, UserFactory, admin_of, logged_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
JOIN_LINK = re.compile(r"https?://[^\s\"<>]+(/join/[A-Za-z0-9_\-]+/)")


def _invite(client, admin, org, email, role="MEMBER", *, capture, mailoutbox) -> str:
    """`admin` invites `email` on the members page; returns the emailed link's path. The
    client is logged out afterwards."""
    with capture(execute=True):
        response = logged_in(client, admin).post(
            f"/network/orgs/{org.public_id}/members/invite/", {"email": email, "role": role}
        )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    message = mailoutbox[-1]
    assert message.to == [email.lower()]
    found = JOIN_LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def _active_org(client) -> str:
    """The organization the header shows as active (the switcher's selected option when the
    user has several)."""
    page = client.get("/dashboard/").content.decode()
    found = re.search(r'data-testid="active-org">([^<]*)<', page) or re.search(
        r"<option value=\"[^\"]+\" selected>([^<]*)</option>", page
    )
    assert found, page
    return found.group(1)


def _password_login(client, email: str, password: str = PASSWORD) -> None:
    response = client.post(LOGIN, {"username": email, "password": password})
    assert response.status_code == 302, response.content.decode()


@pytest.fixture
def acme():
    return OrganizationFactory(plan_tier="PRO", name="Acme Logistics")


@pytest.fixture
def invite(client, django_capture_on_commit_callbacks, mailoutbox):
    def _do(admin, org, email, role="MEMBER") -> str:
        return _invite(
            client,
            admin,
            org,
            email,
            role,
            capture=django_capture_on_commit_callbacks,
            mailoutbox=mailoutbox,
        )

    return _do


# --- the reported case: a FREE partner "adds" PackagePro's admin to Amazon ---------------------


def test_a_free_partner_cannot_make_packagepros_admin_a_member_of_amazon(
    client, demo, invite, mailoutbox
):
    amazon, packagepro = demo.org("ORG-101"), demo.org("ORG-201")
    wei = demo.user("admin@packagepro.example")
    link = invite(demo.user("ops@amazon.example"), amazon, "admin@packagepro.example", "ORG_ADMIN")
    assert not Membership.objects.filter(user=wei, organization=amazon).exists()
    assert "invites you to join Amazon" in mailoutbox[-1].subject
    # Amazon's admin sees it pending on the members page, nothing more.
    page = logged_in(client, demo.user("ops@amazon.example")).get(
        f"/network/orgs/{amazon.public_id}/"
    )
    assert "admin@packagepro.example" in page.content.decode().split("Pending invitations")[1]
    client.logout()

    # PackagePro's admin logs in: still PackagePro, Amazon is not among the choices.
    _password_login(client, "admin@packagepro.example", settings.DEMO_PASSWORD)
    assert _active_org(client) == f"ORG-201 {packagepro.name}"
    assert "ORG-101" not in client.get("/dashboard/").content.decode()

    # They open the link, see what is asked, and say no.
    page = client.get(link)
    assert page.status_code == 200 and "Join Amazon" in page.content.decode()
    assert client.post(link, {"answer": "decline"}).status_code == 200
    assert not Membership.objects.filter(user=wei, organization=amazon).exists()
    assert MembershipInvitation.objects.get(email="admin@packagepro.example").status == "DECLINED"
    assert client.get(link).status_code == 410
    client.logout()
    _password_login(client, "admin@packagepro.example", settings.DEMO_PASSWORD)
    assert _active_org(client) == f"ORG-201 {packagepro.name}"


# --- accepting --------------------------------------------------------------------------------


def test_an_existing_user_becomes_a_member_only_when_accepting(client, acme, invite):
    someone = admin_of(OrganizationFactory(name="Elsewhere Co"))
    link = invite(admin_of(acme), acme, someone.email, "ORG_ADMIN")
    assert not Membership.objects.filter(user=someone, organization=acme).exists()

    # Not logged in: the page asks to log in (an account exists), and accepting is refused.
    page = client.get(link).content.decode()
    assert "Log in to accept" in page
    assert client.post(link, {"answer": "accept"}).status_code == 403
    assert not Membership.objects.filter(user=someone, organization=acme).exists()

    assert f"/accounts/login/?next={link}" in page
    back = client.post(LOGIN, {"username": someone.email, "password": PASSWORD, "next": link})
    assert back.status_code == 302 and back["Location"] == link
    response = client.post(link, {"answer": "accept"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    membership = Membership.objects.get(user=someone, organization=acme)
    assert membership.is_active and membership.role == Role.ORG_ADMIN
    assert _active_org(client) == f"{acme.code} Acme Logistics"
    events = set(
        AuditEvent.objects.filter(acting_org=acme, actor=someone).values_list("action", flat=True)
    )
    assert {"membership_invitation.accept", "membership.create"} <= events
    # Clicking the link again lands on the dashboard; for anyone else it is used up.
    assert client.get(link)["Location"] == "/dashboard/"
    client.logout()
    assert client.get(link).status_code == 410


def test_accepting_as_a_different_logged_in_user_is_refused(client, acme, invite):
    invited = UserFactory()
    link = invite(admin_of(acme), acme, invited.email)
    intruder = admin_of(OrganizationFactory())
    logged_in(client, intruder)
    page = client.get(link)
    assert page.status_code == 200 and 'data-testid="wrong-account"' in page.content.decode()
    for answer in ("accept", "decline"):
        assert client.post(link, {"answer": answer}).status_code == 403
    assert not Membership.objects.filter(organization=acme, user__in=[invited, intruder]).exists()
    assert MembershipInvitation.objects.get(email=invited.email).status == "PENDING"


def test_a_deactivated_member_who_accepts_is_reactivated_with_the_invited_role(
    client, acme, invite
):
    former = admin_of(OrganizationFactory())
    Membership.objects.create(user=former, organization=acme, role=Role.MEMBER, is_active=False)
    link = invite(admin_of(acme), acme, former.email, "ORG_ADMIN")
    assert not Membership.objects.get(user=former, organization=acme).is_active
    logged_in(client, former).post(link, {"answer": "accept"})
    membership = Membership.objects.get(user=former, organization=acme)
    assert membership.is_active and membership.role == Role.ORG_ADMIN
    assert AuditEvent.objects.filter(
        action="membership.reactivate", target_id=str(membership.public_id)
    ).exists()


def test_a_new_person_sets_a_password_while_accepting(client, acme, invite):
    email = "new.person@acme.example"
    link = invite(admin_of(acme), acme, email)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    assert not User.objects.filter(email=email).exists()  # inviting creates no account

    page = client.get(link).content.decode()
    assert "Choose your password" in page
    mismatch = client.post(
        link,
        {
            "answer": "accept",
            "full_name": "New Person",
            "password1": "Mountain-River-42",
            "password2": "Mountain-River-43",
        },
    )
    assert mismatch.status_code == 400 and "The two passwords differ" in mismatch.content.decode()
    weak = client.post(
        link,
        {"answer": "accept", "full_name": "New Person", "password1": "123", "password2": "123"},
    )
    assert weak.status_code == 400
    assert not User.objects.filter(email=email).exists()

    done = client.post(
        link,
        {
            "answer": "accept",
            "full_name": "New Person",
            "password1": "Mountain-River-42",
            "password2": "Mountain-River-42",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/dashboard/"
    assert _active_org(client) == f"{acme.code} Acme Logistics"  # logged in, in Acme
    user = User.objects.get(email=email)
    assert user.full_name == "New Person"
    assert Membership.objects.get(user=user, organization=acme).role == Role.MEMBER
    client.logout()
    _password_login(client, email, "Mountain-River-42")
    assert _active_org(client) == f"{acme.code} Acme Logistics"
    client.logout()
    assert client.get(link).status_code == 410


# --- declining, revoking, expiry, bad links -----------------------------------------------------


def test_declining_needs_no_login_and_adds_nobody(client, acme, invite):
    invited = UserFactory()
    link = invite(admin_of(acme), acme, invited.email)
    page = client.post(link, {"answer": "decline"})
    assert page.status_code == 200 and 'data-testid="invitation-declined"' in page.content.decode()
    assert not Membership.objects.filter(user=invited, organization=acme).exists()
    gone = client.get(link)
    assert gone.status_code == 410 and "declined" in gone.content.decode()
    assert AuditEvent.objects.filter(
        action="membership_invitation.decline", acting_org=acme
    ).exists()
    # It is no longer pending on the members page, and a new invitation may be sent.
    assert not MembershipInvitation.objects.filter(organization=acme, status="PENDING").exists()


def test_an_admin_revokes_a_pending_invitation(client, acme, invite):
    admin = admin_of(acme)
    invited = UserFactory()
    link = invite(admin, acme, invited.email)
    invitation = MembershipInvitation.objects.get(email=invited.email)
    # Another organization's admin cannot touch it.
    outsider = admin_of(OrganizationFactory())
    url = f"/network/member-invitations/{invitation.public_id}/revoke/"
    assert logged_in(client, outsider).post(url).status_code == 404
    response = logged_in(client, admin).post(url)
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == "REVOKED"
    logged_in(client, invited)
    gone = client.get(link)
    assert gone.status_code == 410 and "withdrawn" in gone.content.decode()
    assert client.post(link, {"answer": "accept"}).status_code == 410
    assert not Membership.objects.filter(user=invited, organization=acme).exists()


def test_an_expired_invitation_gives_a_clear_page_and_can_be_resent(
    client, acme, invite, mailoutbox, django_capture_on_commit_callbacks
):
    admin = admin_of(acme)
    invited = UserFactory()
    old_link = invite(admin, acme, invited.email)
    MembershipInvitation.objects.filter(email=invited.email).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    logged_in(client, invited)
    gone = client.get(old_link)
    assert gone.status_code == 410 and "expired" in gone.content.decode()
    assert client.post(old_link, {"answer": "accept"}).status_code == 410
    assert not Membership.objects.filter(user=invited, organization=acme).exists()

    # The admin sees it as expired and resends: a new link, the old one is unknown.
    page = logged_in(client, admin).get(f"/network/orgs/{acme.public_id}/").content.decode()
    assert "Expired" in page.split("Pending invitations")[1]
    invitation = MembershipInvitation.objects.get(email=invited.email)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/network/member-invitations/{invitation.public_id}/resend/")
    new_link = JOIN_LINK.search(mailoutbox[-1].body).group(1)
    assert new_link != old_link
    logged_in(client, invited)
    assert client.get(old_link).status_code == 404
    assert client.post(new_link, {"answer": "accept"}).status_code == 302
    assert Membership.objects.filter(user=invited, organization=acme, is_active=True).exists()


def test_an_expired_invitation_does_not_block_a_new_one_but_a_pending_one_does(
    client, acme, invite
):
    admin = admin_of(acme)
    invite(admin, acme, "twice@acme.example")
    again = logged_in(client, admin).post(
        f"/network/orgs/{acme.public_id}/members/invite/",
        {"email": "Twice@Acme.example", "role": "MEMBER"},
    )
    assert again.status_code == 400 and "already pending" in again.content.decode()
    MembershipInvitation.objects.filter(email="twice@acme.example").update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    invite(admin, acme, "twice@acme.example")
    statuses = sorted(
        MembershipInvitation.objects.filter(email="twice@acme.example").values_list(
            "status", flat=True
        )
    )
    assert statuses == ["EXPIRED", "PENDING"]


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%00", "..%2F..%2Fetc"])
def test_an_unknown_link_is_a_404_page(client, token):
    response = client.get(f"/join/{token}/")
    assert response.status_code == 404
    response = client.post(f"/join/{token}/", {"answer": "accept"})
    assert response.status_code == 404


def test_a_member_cannot_resend_or_revoke(client, acme, invite):
    invite(admin_of(acme), acme, "someone@acme.example")
    invitation = MembershipInvitation.objects.get(email="someone@acme.example")
    member = admin_of(acme, role=Role.MEMBER)
    for action in ("resend", "revoke"):
        url = f"/network/member-invitations/{invitation.public_id}/{action}/"
        assert logged_in(client, member).post(url).status_code == 403
    invitation.refresh_from_db()
    assert invitation.status == "PENDING" and invitation.sent_count == 1


def test_the_stored_token_is_a_hash_not_the_link(acme, invite):
    link = invite(admin_of(acme), acme, "hash@acme.example")
    token = link.rstrip("/").rsplit("/", 1)[1]
    invitation = MembershipInvitation.objects.get(email="hash@acme.example")
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64


# --- landing in the last-used organization ------------------------------------------------------


def test_the_last_used_organization_is_remembered_across_logout_and_login(client):
    first = OrganizationFactory(name="Alpha First", code="ORG-A01")
    second = OrganizationFactory(name="Zulu Second", code="ORG-Z99")
    person = admin_of(first)
    Membership.objects.create(user=person, organization=second, role=Role.ORG_ADMIN)

    _password_login(client, person.email)
    assert _active_org(client) == "ORG-A01 Alpha First"  # nothing used yet: the first one
    client.post("/accounts/switch/", {"org": str(second.public_id)})
    assert _active_org(client) == "ORG-Z99 Zulu Second"
    client.post("/accounts/logout/")

    _password_login(client, person.email)
    assert _active_org(client) == "ORG-Z99 Zulu Second"

    # Once that membership ends, the next login falls back to the first active one.
    client.post("/accounts/logout/")
    Membership.objects.filter(user=person, organization=second).update(is_active=False)
    _password_login(client, person.email)
    assert _active_org(client) == "ORG-A01 Alpha First"
