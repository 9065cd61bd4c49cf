"""The accounts app as a person meets it: logging in and out, the wrong-password message,
the profile, the organization switcher, and setting a password (on accepting an invitation,
or from a set-password link)."""

from __future__ import annotations

import re

import pytest

from ..factories import PASSWORD, OrganizationFactory, UserFactory, admin_of, logged_in

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
SET_PASSWORD_LINK = re.compile(r"https?://[^\s\"<>]+(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def person():
    """An admin of one PRO organization, who knows their password."""
    return admin_of(OrganizationFactory(plan_tier="PRO", name="Acme Logistics"))


def test_login_with_email_in_any_case_lands_on_the_dashboard(client, person):
    response = client.post(LOGIN, {"username": person.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "Acme Logistics" in page.content.decode()


def test_login_follows_next_to_the_page_asked_for(client, person):
    response = client.post(
        LOGIN, {"username": person.email, "password": PASSWORD, "next": "/locations/"}
    )
    assert response.status_code == 302 and response["Location"] == "/locations/"


def test_login_refuses_a_next_on_another_host(client, person):
    response = client.post(
        LOGIN, {"username": person.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_wrong_password_says_so_and_keeps_the_email(client, person):
    response = client.post(LOGIN, {"username": person.email, "password": "not-the-password"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please enter a correct email address and password" in html
    assert f'value="{person.email}"' in html
    assert client.get("/dashboard/").status_code == 302


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post(LOGIN, {"username": "nobody@nowhere.example", "password": PASSWORD})
    assert "Please enter a correct email address and password" in response.content.decode()


def test_inactive_user_cannot_log_in(client):
    user = UserFactory(is_active=False)
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/dashboard/").status_code == 302


def test_anonymous_visitor_is_sent_to_login_and_back(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/dashboard/"
    assert client.get("/").headers["Location"].endswith(LOGIN)


def test_login_page_sends_a_logged_in_user_to_the_dashboard(client, person):
    response = logged_in(client, person).get(LOGIN)
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


def test_logout_is_a_post_and_ends_the_session(client, person):
    client = logged_in(client, person)
    assert "Log out" in client.get("/dashboard/").content.decode()
    assert client.get("/accounts/logout/").status_code == 405  # a link cannot log you out
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert client.get("/dashboard/").status_code == 302


def test_profile_shows_memberships_and_saves_the_name(client, person):
    client = logged_in(client, person)
    page = client.get("/accounts/profile/").content.decode()
    assert person.email in page and "Acme Logistics" in page
    response = client.post("/accounts/profile/", {"full_name": "  Dana Scully "}, follow=True)
    assert "Profile saved." in response.content.decode()
    person.refresh_from_db()
    assert person.full_name == "Dana Scully"


def test_profile_refuses_a_name_too_long(client, person):
    response = logged_in(client, person).post("/accounts/profile/", {"full_name": "x" * 151})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.full_name != "x" * 151


# --- the organization switcher ------------------------------------------------------------------


@pytest.fixture
def two_orgs():
    """A person who is admin of two unrelated organizations."""
    first = OrganizationFactory(name="Alpha Freight", plan_tier="PRO")
    second = OrganizationFactory(name="Beta Retail", plan_tier="FREE")
    user = admin_of(first)
    from orgs.models import Membership

    Membership.objects.create(user=user, organization=second, role="ORG_ADMIN")
    return user, first, second


def _active_option(html: str) -> str:
    found = re.search(r'<option value="([0-9a-f-]+)" selected>', html)
    assert found, "no organization selected in the switcher"
    return found.group(1)


def test_single_membership_shows_the_org_without_a_switcher(client, person):
    html = logged_in(client, person).get("/dashboard/").content.decode()
    assert 'id="org-switch"' not in html
    assert 'data-testid="active-org"' in html and "Acme Logistics" in html


def test_switcher_lists_both_orgs_and_switching_changes_the_active_org(client, two_orgs):
    user, first, second = two_orgs
    client = logged_in(client, user)
    html = client.get("/dashboard/").content.decode()
    assert 'id="org-switch"' in html and "Alpha Freight" in html and "Beta Retail" in html
    assert _active_option(html) == str(first.public_id)  # the first by code
    response = client.post("/accounts/switch/", {"org": str(second.public_id), "next": "/network/"})
    assert response.status_code == 302 and response["Location"] == "/network/"
    html = client.get("/dashboard/").content.decode()
    assert _active_option(html) == str(second.public_id)
    assert "FREE" in html  # the plan badge follows the active organization


def test_switching_to_an_org_one_is_not_a_member_of_is_refused(client, two_orgs):
    user, first, _ = two_orgs
    stranger = OrganizationFactory(name="Gamma Stranger")
    client = logged_in(client, user)
    response = client.post("/accounts/switch/", {"org": str(stranger.public_id)}, follow=True)
    html = response.content.decode()
    assert "You are not a member of that organization." in html
    assert _active_option(html) == str(first.public_id)


def test_switch_ignores_a_next_on_another_host_and_needs_a_post(client, two_orgs):
    user, _, second = two_orgs
    client = logged_in(client, user)
    assert client.get("/accounts/switch/").status_code == 405
    response = client.post(
        "/accounts/switch/", {"org": str(second.public_id), "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/dashboard/"


# --- setting a password: through the invitation link, and the set-password link -------------

JOIN_LINK = re.compile(r"https?://[^\s\"<>]+(/join/[A-Za-z0-9_\-]+/)")


def _invite(client, admin, org, email, django_capture_on_commit_callbacks, mailoutbox) -> str:
    """The admin invites `email` on the members page; returns the emailed link's path."""
    with django_capture_on_commit_callbacks(execute=True):
        response = logged_in(client, admin).post(
            f"/network/orgs/{org.public_id}/members/invite/",
            {"email": email, "full_name": "New Person", "role": "MEMBER"},
        )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    message = mailoutbox[-1]
    assert message.to == [email]
    assert not SET_PASSWORD_LINK.search(message.body)  # the password is chosen on accepting
    found = JOIN_LINK.search(message.body)
    assert found, message.body
    return found.group(1)


def _set_password_link(user) -> str:
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return f"/accounts/reset/{uid}/{default_token_generator.make_token(user)}/"


def test_invited_person_chooses_a_password_on_accepting_and_logs_in(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    org = OrganizationFactory(plan_tier="PRO", name="Acme Logistics")
    link = _invite(
        client,
        admin_of(org),
        org,
        "new.person@acme.example",
        django_capture_on_commit_callbacks,
        mailoutbox,
    )
    page = client.get(link).content.decode()
    assert "Choose your password" in page and 'value="New Person"' in page
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
    client.post("/accounts/logout/")
    response = client.post(
        LOGIN, {"username": "new.person@acme.example", "password": "Mountain-River-42"}
    )
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert "Acme Logistics" in client.get("/dashboard/").content.decode()


def test_a_set_password_link_sets_a_password_once(client):
    user = UserFactory()
    user.set_unusable_password()
    user.save(update_fields=["password"])
    link = _set_password_link(user)
    # Django swaps the token for a session and redirects to the form (the token leaves the URL).
    response = client.get(link)
    assert response.status_code == 302 and response["Location"].endswith("/set-password/")
    form_url = response["Location"]
    assert "Set your password" in client.get(form_url).content.decode()
    mismatch = client.post(
        form_url, {"new_password1": "Harbor-Light-77", "new_password2": "Harbor-Light-78"}
    )
    assert mismatch.status_code == 200
    assert (
        "didn’t match" in mismatch.content.decode() or "didn't match" in mismatch.content.decode()
    )
    done = client.post(
        form_url, {"new_password1": "Harbor-Light-77", "new_password2": "Harbor-Light-77"}
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    client.logout()
    response = client.get(link, follow=True)
    assert "This link is no longer valid" in response.content.decode()


def test_a_tampered_set_password_link_is_not_valid(client):
    user = UserFactory()
    response = client.get(f"/accounts/reset/{user.pk}/not-a-token/", follow=True)
    assert "This link is no longer valid" in response.content.decode()


def test_an_existing_user_invited_to_a_second_org_is_asked_to_log_in_and_accept(
    client, django_capture_on_commit_callbacks, mailoutbox
):
    org = OrganizationFactory(plan_tier="PRO")
    existing = admin_of(OrganizationFactory())
    link = _invite(
        client, admin_of(org), org, existing.email, django_capture_on_commit_callbacks, mailoutbox
    )
    page = client.get(link).content.decode()
    assert "Log in to accept" in page and "Choose your password" not in page
