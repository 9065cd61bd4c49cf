"""Two-factor sign-in as a person meets it (docs/security-two-factor.md): setting up an
authenticator app from the profile, the second sign-in step, backup codes, turning it off, and
the organization's and the network's requirement for admins, the Django admin included.

Codes are computed from the device's secret with django_otp.oath.totp, as the phone would."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from orgs.models import AuditEvent, Role

from ..factories import PASSWORD, OrganizationFactory, admin_of, child_org, member_of

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
TWO_FACTOR = "/accounts/two-factor/"
CODES = re.compile(r"<li><code>([a-z2-7]{8})</code></li>")


def code_for(user, *, steps_ahead: int = 0) -> str:
    """What the authenticator app shows now (or `steps_ahead` periods later: a code already
    used is refused, so a second sign-in in the same 30 s uses the next one)."""
    device = TOTPDevice.objects.filter(user=user).order_by("-pk").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=steps_ahead):06d}"


def enrol(client, user) -> list[str]:
    """Set up two-factor from the profile, as the person would; returns the backup codes."""
    client.force_login(user)
    assert client.post(f"{TWO_FACTOR}start/")["Location"] == f"{TWO_FACTOR}setup/"
    page = client.get(f"{TWO_FACTOR}setup/")
    html = page.content.decode()
    qr = re.search(r'data-testid="qr">(.*?)</div>', html, re.S).group(1)
    # Rendered on the server as inline SVG: no image service, no script, no handlers (CSP).
    assert page.status_code == 200 and qr.startswith("<svg") and not re.search(r"script|on\w+=", qr)
    secret = re.search(r'data-testid="secret">([A-Z2-7 ]+)<', html).group(1)
    assert len(secret.replace(" ", "")) == 32  # the key as text, for typing it in
    done = client.post(f"{TWO_FACTOR}setup/", {"code": code_for(user)})
    codes = CODES.findall(done.content.decode())
    assert done.status_code == 200 and len(codes) == 10 and len(set(codes)) == 10
    return codes


def password_login(client, user):
    client.logout()
    response = client.post(LOGIN, {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"


@pytest.fixture
def org():
    return OrganizationFactory(plan_tier="PRO", name="Acme Logistics")


@pytest.fixture
def person(org):
    return admin_of(org)


def test_enrolled_user_must_enter_a_code_after_the_password(client, person):
    enrol(client, person)
    assert client.get("/dashboard/").status_code == 200  # the set-up verified this session
    assert AuditEvent.objects.filter(action="user.two_factor_enable", target_repr=person.email)

    password_login(client, person)
    for page in ("/dashboard/", "/locations/", "/accounts/profile/", TWO_FACTOR):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"{VERIFY}?next={quote(page, safe='')}"

    step = client.get(f"{VERIFY}?next=/locations/")
    assert step.status_code == 200 and "authenticator app" in step.content.decode()
    assert "Acme Logistics" not in step.content.decode()  # nothing of the org before the code
    response = client.post(VERIFY, {"code": code_for(person, steps_ahead=1), "next": "/locations/"})
    assert response.status_code == 302 and response["Location"] == "/locations/"
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_code_is_refused_and_then_throttled(client, person):
    enrol(client, person)
    password_login(client, person)
    right = code_for(person, steps_ahead=1)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302
    # Right after a wrong code even the right one waits (django-otp's back-off, 1 s, 2 s, 4 s…).
    response = client.post(VERIFY, {"code": right})
    assert response.status_code == 400 and "Too many wrong codes" in response.content.decode()
    assert client.get("/dashboard/").status_code == 302


def test_a_backup_code_signs_in_once(client, person):
    codes = enrol(client, person)
    password_login(client, person)
    response = client.post(VERIFY, {"code": codes[0].upper()}, follow=True)
    assert response.status_code == 200 and "9 left" in response.content.decode()

    password_login(client, person)
    response = client.post(VERIFY, {"code": codes[0]})
    assert response.status_code == 400 and "That code is not valid" in response.content.decode()
    time.sleep(1.1)  # django-otp's back-off after one wrong code
    assert client.post(VERIFY, {"code": codes[1]}).status_code == 302


def test_new_backup_codes_replace_the_old_ones(client, person):
    old = enrol(client, person)
    page = client.post(f"{TWO_FACTOR}backup-codes/", {"password": PASSWORD})
    new = CODES.findall(page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    password_login(client, person)
    assert client.post(VERIFY, {"code": old[2]}).status_code == 400
    # The failed backup code throttles only the backup codes, not the app.
    assert client.post(VERIFY, {"code": code_for(person, steps_ahead=1)}).status_code == 302


def test_turning_it_off_needs_the_password(client, person):
    enrol(client, person)
    refused = client.post(f"{TWO_FACTOR}disable/", {"password": "not-the-password"})
    assert refused.status_code == 400 and "Enter your password" in refused.content.decode()
    assert client.post(f"{TWO_FACTOR}disable/", {"password": PASSWORD}).status_code == 302
    assert not TOTPDevice.objects.filter(user=person).exists()
    password_login(client, person)
    assert client.get("/dashboard/").status_code == 200


def test_turning_it_off_with_a_current_code(client, person):
    enrol(client, person)
    response = client.post(f"{TWO_FACTOR}disable/", {"code": code_for(person, steps_ahead=1)})
    assert response.status_code == 302
    assert client.get(TWO_FACTOR).content.decode().count("is <strong>off</strong>") == 1
    assert AuditEvent.objects.filter(action="user.two_factor_disable", target_repr=person.email)


def test_an_htmx_request_is_sent_to_the_second_step_by_hx_redirect(client, person):
    enrol(client, person)
    password_login(client, person)
    response = client.get("/locations/", headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == VERIFY


def test_a_user_without_two_factor_logs_in_with_the_password_only(client, person):
    password_login(client, person)
    assert client.get("/dashboard/").status_code == 200
    # The second step has nothing to ask: it sends the person on.
    assert client.get(VERIFY)["Location"] == "/dashboard/"


# --- found by a tenant-style attack (docs/security-two-factor.md) -----------------------------


def test_guessing_the_password_on_the_two_factor_pages_is_throttled(client, person):
    """Found by a tenant-style attack: 12 wrong passwords on "turn off", then the right one
    turned two-factor off. 5 failed checks (passwords or codes, on any two-factor step) now
    block every step for 15 minutes, the right password included."""
    enrol(client, person)
    for n in range(4):
        refused = client.post(f"{TWO_FACTOR}disable/", {"password": f"guess-{n}"})
        assert refused.status_code == 400 and "Enter your password" in refused.content.decode()
    # Every step counts into one count: the fifth failure, on another step, blocks.
    refused = client.post(f"{TWO_FACTOR}backup-codes/", {"password": "guess-4"})
    assert refused.status_code == 400
    for url in ("disable/", "backup-codes/", "start/"):
        blocked = client.post(f"{TWO_FACTOR}{url}", {"password": PASSWORD})
        assert blocked.status_code == 429, url
        body = blocked.content.decode()
        assert "Too many wrong passwords or codes" in body and "Try again after" in body
        assert 0 < int(blocked["Retry-After"]) <= 15 * 60
    blocked = client.post(f"{TWO_FACTOR}disable/", {"code": code_for(person, steps_ahead=1)})
    assert blocked.status_code == 429
    assert TOTPDevice.objects.filter(user=person, confirmed=True).count() == 1
    assert not AuditEvent.objects.filter(action="user.two_factor_disable")


def test_an_empty_confirmation_is_not_counted_as_a_guess(client, person):
    enrol(client, person)
    for _ in range(6):
        assert client.post(f"{TWO_FACTOR}disable/", {}).status_code == 400
    assert client.post(f"{TWO_FACTOR}disable/", {"password": PASSWORD}).status_code == 302


def test_replacing_the_authenticator_needs_the_password_or_a_current_code(client, person):
    """Found by a tenant-style attack: with two-factor on, start + set-up with a code for the
    new secret replaced the device and gave new backup codes, without re-authentication."""
    enrol(client, person)
    original = TOTPDevice.objects.get(user=person, confirmed=True)
    refused = client.post(f"{TWO_FACTOR}start/")
    assert refused.status_code == 400 and "Enter your password" in refused.content.decode()
    assert not TOTPDevice.objects.filter(user=person, confirmed=False).exists()
    assert client.get(f"{TWO_FACTOR}setup/")["Location"] == TWO_FACTOR
    assert client.post(f"{TWO_FACTOR}start/", {"password": "guess"}).status_code == 400
    assert not TOTPDevice.objects.filter(user=person, confirmed=False).exists()
    # With the password, the new app replaces the old one once confirmed.
    started = client.post(f"{TWO_FACTOR}start/", {"password": PASSWORD})
    assert started["Location"] == f"{TWO_FACTOR}setup/"
    assert client.get(f"{TWO_FACTOR}setup/").status_code == 200
    done = client.post(f"{TWO_FACTOR}setup/", {"code": code_for(person)})
    assert done.status_code == 200 and len(CODES.findall(done.content.decode())) == 10
    assert not TOTPDevice.objects.filter(pk=original.pk).exists()


def test_a_replacement_started_in_another_session_cannot_be_finished_here(client, person):
    enrol(client, person)
    other = Client()  # another signed-in, verified session (e.g. a stolen one)
    password_login(other, person)
    assert other.post(VERIFY, {"code": code_for(person, steps_ahead=1)}).status_code == 302
    owner = client.post(f"{TWO_FACTOR}start/", {"password": PASSWORD})
    assert owner["Location"] == f"{TWO_FACTOR}setup/"  # the owner, re-authenticated
    assert other.get(f"{TWO_FACTOR}setup/")["Location"] == TWO_FACTOR  # the secret not shown
    pending = TOTPDevice.objects.get(user=person, confirmed=False)
    code = f"{totp(pending.bin_key, step=pending.step, t0=pending.t0):06d}"
    assert other.post(f"{TWO_FACTOR}setup/", {"code": code})["Location"] == TWO_FACTOR
    assert TOTPDevice.objects.filter(user=person, confirmed=True).exclude(pk=pending.pk).exists()


def test_new_backup_codes_need_the_password_or_a_current_code(client, person):
    old = enrol(client, person)
    refused = client.post(f"{TWO_FACTOR}backup-codes/")
    assert refused.status_code == 400 and not CODES.findall(refused.content.decode())
    page = client.post(f"{TWO_FACTOR}backup-codes/", {"code": old[0]})
    assert len(CODES.findall(page.content.decode())) == 10


# --- required by an organization, by a network ------------------------------------------------


def test_an_org_requiring_it_sends_its_admins_to_set_up_but_not_its_members(client, org, person):
    member = member_of(org)
    client.force_login(person)
    page = client.get(f"/network/orgs/{org.public_id}/")
    assert 'data-testid="two-factor-policy"' in page.content.decode()
    assert "every organization in the network" not in page.content.decode()  # not a root admin
    response = client.post(f"/network/orgs/{org.public_id}/two-factor/", {"require_admins": "on"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.require_admin_two_factor
    event = AuditEvent.objects.get(action="organization.two_factor_policy")
    assert event.after == {"require_admin_two_factor": True} and event.actor_id == person.pk

    # The admin who set it is affected too: every page leads to the set-up, which explains.
    for page in ("/dashboard/", "/locations/", f"/network/orgs/{org.public_id}/"):
        assert client.get(page)["Location"] == TWO_FACTOR
    setup = client.get(TWO_FACTOR)
    assert "An organization you administer requires two-factor sign-in" in setup.content.decode()
    assert "Turn it off" not in setup.content.decode()
    enrol(client, person)
    assert client.get("/dashboard/").status_code == 200
    refused = client.post(f"{TWO_FACTOR}disable/", {"password": PASSWORD})
    assert refused.status_code == 400 and "cannot be turned off" in refused.content.decode()

    client.force_login(member)
    assert client.get("/dashboard/").status_code == 200


def test_a_member_cannot_change_the_requirement(client, org):
    client.force_login(member_of(org))
    response = client.post(f"/network/orgs/{org.public_id}/two-factor/", {"require_admins": "on"})
    assert response.status_code in (403, 404)
    org.refresh_from_db()
    assert not org.require_admin_two_factor


def test_the_network_requirement_from_the_root_reaches_a_subsidiarys_admin(client):
    root = OrganizationFactory(root=True, name="Factory Holdings")
    dist = child_org(root, name="Factory Distribution LLC")
    root_admin = admin_of(root, role=Role.ORG_SUPER_ADMIN)
    dist_admin = admin_of(dist)
    dist_member = member_of(dist)
    partner = OrganizationFactory(name="Partner Co")
    partner_admin = admin_of(partner)

    # A subsidiary's admin may require it of its own admins, never of the whole network.
    client.force_login(dist_admin)
    page = client.get(f"/network/orgs/{dist.public_id}/").content.decode()
    assert "every organization in the network" not in page
    client.post(f"/network/orgs/{root.public_id}/two-factor/", {"require_network": "on"})
    root.refresh_from_db()
    assert not root.require_network_two_factor

    client.force_login(root_admin)
    page = client.get(f"/network/orgs/{root.public_id}/").content.decode()
    assert "every organization in the network" in page
    response = client.post(f"/network/orgs/{root.public_id}/two-factor/", {"require_network": "on"})
    assert response.status_code == 302
    root.refresh_from_db()
    assert root.require_network_two_factor and not root.require_admin_two_factor

    client.force_login(dist_admin)
    assert client.get("/dashboard/")["Location"] == TWO_FACTOR
    client.force_login(root_admin)
    assert client.get("/dashboard/")["Location"] == TWO_FACTOR
    client.force_login(dist_member)
    assert client.get("/dashboard/").status_code == 200
    client.force_login(partner_admin)  # another network
    assert client.get("/dashboard/").status_code == 200


def test_the_admin_site_needs_a_verified_session(client):
    root = OrganizationFactory(root=True)
    root_admin = admin_of(root, role=Role.ORG_SUPER_ADMIN)
    client.force_login(root_admin)
    assert client.get("/admin/").status_code == 200  # no device, no policy: as before
    enrol(client, root_admin)
    assert client.get("/admin/").status_code == 200  # verified by the set-up

    client.logout()
    client.force_login(root_admin)  # a new session: password only
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    client.post(VERIFY, {"code": code_for(root_admin, steps_ahead=1)})
    assert client.get("/admin/").status_code == 200


def test_the_admin_site_refuses_an_unverified_session_even_without_the_middleware(rf):
    """ScopedAdminSite.has_permission itself asks for the second factor."""
    from django.contrib import admin

    from orgs.access import scope_for_user

    root = OrganizationFactory(root=True)
    root_admin = admin_of(root, role=Role.ORG_SUPER_ADMIN)
    request = rf.get("/admin/")
    request.user, request.scope = root_admin, scope_for_user(root_admin)
    assert admin.site.has_permission(request)
    root.require_admin_two_factor = True
    root.save()
    request = rf.get("/admin/")
    request.user, request.scope = root_admin, scope_for_user(root_admin)
    assert not admin.site.has_permission(request)
