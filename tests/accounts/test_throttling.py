"""Throttled authentication, as an attacker and as a person meet it (docs/security-throttling.md):
the login lockout (django-axes, per account and address, and per address), its unlock by
platform staff, and the per-address failure throttles on password links, invitation links and
API tokens. The throttles are on here, as in production."""

from __future__ import annotations

import json

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from core.throttle import API_TOKEN, INVITATION_LINK, PASSWORD_RESET_LINK, client_ip

from ..factories import PASSWORD, OrganizationFactory, admin_of

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


@pytest.fixture
def person():
    return admin_of(OrganizationFactory(plan_tier="PRO", name="Acme Logistics"))


def attempt(client: Client, email: str, password: str, *, ip: str = ATTACKER, url: str = LOGIN):
    return client.post(url, {"username": email, "password": password}, REMOTE_ADDR=ip)


def fail(client: Client, email: str, times: int, *, ip: str = ATTACKER, url: str = LOGIN) -> None:
    for n in range(times):
        response = attempt(client, email, f"wrong-{n}", ip=ip, url=url)
        assert response.status_code == 200, (n, response.status_code)


def assert_locked(response) -> None:
    assert response.status_code == 429
    body = response.content.decode()
    assert "temporarily locked" in body and "Try again after" in body
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert '<form method="post"' in body  # the login page itself, not a bare error


def logged_in_as(client: Client, email: str) -> bool:
    response = client.get("/accounts/profile/")
    return response.status_code == 200 and email in response.content.decode()


# --- login ----------------------------------------------------------------------------------


def test_thresholds_are_the_documented_ones():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.LOGIN_FAILURES_PER_ADDRESS == 20
    assert settings.LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS == 20
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert (PASSWORD_RESET_LINK.limit, PASSWORD_RESET_LINK.minutes) == (10, 15)
    assert (INVITATION_LINK.limit, INVITATION_LINK.minutes) == (10, 15)
    assert (API_TOKEN.limit, API_TOKEN.minutes) == (20, 15)


def test_five_wrong_passwords_lock_the_account_and_the_right_one_is_then_refused(client, person):
    fail(client, person.email, 4)
    # Fifth failure: the lock starts now, and the page says so.
    assert_locked(attempt(client, person.email, "wrong-again"))
    response = attempt(client, person.email, PASSWORD)
    assert_locked(response)
    assert not logged_in_as(client, person.email)
    # Changing the case of the email is the same account.
    assert_locked(attempt(client, person.email.upper(), PASSWORD))


def test_the_lock_is_per_account_and_address_not_the_whole_account(client, person):
    fail(client, person.email, 4)
    assert_locked(attempt(client, person.email, "wrong"))
    # The real owner, from their own network, still logs in.
    response = attempt(Client(), person.email, PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302


def test_twenty_failures_from_one_address_lock_it_across_accounts(client, person):
    for n in range(19):
        response = attempt(client, f"guess{n}@acme.example", "wrong", ip=ATTACKER)
        assert response.status_code == 200
    assert_locked(attempt(client, "guess19@acme.example", "wrong", ip=ATTACKER))
    # Even an account with no failure of its own, with its right password, from that address.
    assert_locked(attempt(client, person.email, PASSWORD, ip=ATTACKER))
    # Another address is not concerned.
    assert attempt(Client(), person.email, PASSWORD, ip=ELSEWHERE).status_code == 302


def test_a_forwarded_for_header_cannot_pick_a_new_address(client, person):
    for n in range(5):
        response = client.post(
            LOGIN,
            {"username": person.email, "password": f"wrong-{n}"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.9.8.{n}",
        )
    assert_locked(response)


def test_behind_a_configured_proxy_the_address_is_the_one_the_proxy_saw(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"  # not configured: the header is ignored
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_PROXY_ORDER = "right-most"
    # One proxy appended what it saw; whatever the client wrote before it is not believed.
    assert client_ip(request) == "203.0.113.9"


def test_a_successful_login_resets_the_persons_own_count(client, person):
    for _ in range(3):
        fail(client, person.email, 4)
        assert attempt(client, person.email, PASSWORD).status_code == 302
        assert logged_in_as(client, person.email)
        client.post("/accounts/logout/")
    assert not AccessAttempt.objects.filter(username=person.email).exists()


def test_a_success_does_not_wipe_the_addresss_failures_on_other_accounts(client, person):
    for n in range(18):
        attempt(client, f"guess{n}@acme.example", "wrong")
    assert attempt(client, person.email, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    attempt(client, "guess18@acme.example", "wrong")
    assert_locked(attempt(client, "guess19@acme.example", "wrong"))


def test_the_admin_login_is_locked_the_same_way(client, django_user_model):
    staff = django_user_model.objects.create_superuser(
        email="staff@betterdata.example", password="x-very-long-1"
    )
    fail(client, staff.email, 4, url=ADMIN_LOGIN)
    assert_locked(attempt(client, staff.email, "nope", url=ADMIN_LOGIN))
    assert_locked(attempt(client, staff.email, "x-very-long-1", url=ADMIN_LOGIN))
    # The lock is the account's, whichever form: the dashboard login refuses too.
    assert_locked(attempt(client, staff.email, "x-very-long-1"))


def test_platform_staff_unlock_in_the_admin(client, person, django_user_model):
    fail(client, person.email, 4)
    assert_locked(attempt(client, person.email, "wrong"))
    staff = django_user_model.objects.create_superuser(
        email="staff@betterdata.example", password="x-very-long-1"
    )
    admin = Client()
    admin.force_login(staff)
    listing = admin.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and person.email in listing.content.decode()
    rows = AccessAttempt.objects.filter(username=person.email)
    response = admin.post(
        "/admin/axes/accessattempt/",
        {
            "action": "delete_selected",
            "_selected_action": [str(pk) for pk in rows.values_list("pk", flat=True)],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert attempt(client, person.email, PASSWORD).status_code == 302


def test_network_admins_never_see_the_lockouts(login):
    client = login("super@luxebond.example")  # a network's ORG_SUPER_ADMIN, not platform staff
    assert client.get("/admin/").status_code == 200
    assert "Access attempts" not in client.get("/admin/").content.decode()
    assert client.get("/admin/axes/accessattempt/").status_code == 403


def test_axes_reset_command_unlocks(client, person):
    fail(client, person.email, 4)
    assert_locked(attempt(client, person.email, "wrong"))
    call_command("axes_reset")
    assert attempt(client, person.email, PASSWORD).status_code == 302


# --- found by a tenant-style attack (docs/security-throttling.md) ----------------------------


def test_guessing_one_account_from_many_addresses_locks_the_account(client, person):
    """Found by a tenant-style attack: 3 wrong passwords from each of 50 addresses never locked
    the account, and the right password then logged in. 20 failures from any addresses now
    lock the account for everyone, the right password from a fresh address included."""
    for n in range(6):  # 3 from each of 6 addresses, then one more: never 5 from one address
        fail(client, person.email, 3, ip=f"192.0.2.{n + 1}")
    fail(client, person.email, 1, ip="192.0.2.7")
    # The 20th failure, from yet another address, locks the account.
    response = attempt(client, person.email, "wrong-20", ip="192.0.2.8")
    assert_locked(response)
    assert "This account is temporarily locked" in response.content.decode()
    response = attempt(Client(), person.email, PASSWORD, ip="192.0.2.99")
    assert_locked(response)
    body = response.content.decode()
    assert "This account is temporarily locked" in body and "from your network" not in body
    assert not logged_in_as(client, person.email)
    # Another account is not concerned, from those addresses either.
    other = admin_of(OrganizationFactory(name="Other Co"))
    assert attempt(Client(), other.email, PASSWORD, ip="192.0.2.1").status_code == 302
    # Platform staff (or the command line) unlock it.
    call_command("axes_reset_username", person.email)
    assert attempt(Client(), person.email, PASSWORD, ip="192.0.2.99").status_code == 302


def test_the_account_lock_is_cleared_by_axes_reset(client, person):
    for n in range(4):
        fail(client, person.email, 4, ip=f"192.0.2.{n + 1}")
    fail(client, person.email, 3, ip="192.0.2.5")
    assert_locked(attempt(client, person.email, "wrong", ip="192.0.2.6"))
    call_command("axes_reset")
    assert attempt(client, person.email, PASSWORD, ip="192.0.2.6").status_code == 302


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_a_very_long_username_is_a_failed_login_not_a_server_error(client, url):
    """Found by a tenant-style attack: a username of 255+ characters gave a 500 (DataError in
    axes' AccessAttempt, varchar(255)) on both login pages."""
    for length in (255, 256, 300, 5000):
        username = "a" * (length - len("@medsupply.example")) + "@medsupply.example"
        response = attempt(client, username, "whatever", url=url)
        assert response.status_code in (200, 400), (length, response.status_code)
        body = response.content.decode()
        assert "Please enter" in body and "correct email address and password" in body, length
    # They count as failures of one address like any other.
    assert AccessAttempt.objects.filter(ip_address=ATTACKER).exists()


def test_an_address_throttled_by_spraying_says_so_not_that_the_account_is_locked(client, person):
    """Found by a tenant-style attack: after spraying many accounts from one address, a login to
    an untouched account said it was "locked for this account from your network"."""
    for n in range(20):
        attempt(client, f"guess{n}@acme.example", "wrong")
    response = attempt(client, person.email, PASSWORD)
    assert_locked(response)
    body = response.content.decode()
    assert "for this account" not in body and "This account is temporarily locked" not in body
    assert "too many failed log-in attempts came from your network" in body
    # While the account's own lock from one address still says that.
    fail(Client(), person.email, 4, ip=ELSEWHERE)
    response = attempt(Client(), person.email, "wrong", ip=ELSEWHERE)
    assert "locked for this account from your network" in response.content.decode()


# --- password links ---------------------------------------------------------------------------


def test_guessing_password_links_is_throttled(client):
    for n in range(10):
        response = client.get(f"/accounts/reset/MQ/bogus-{n}/", REMOTE_ADDR=ATTACKER)
        assert response.status_code == 200 and "no longer valid" in response.content.decode()
    response = client.get("/accounts/reset/MQ/bogus-x/", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert Client().get("/accounts/reset/MQ/bogus-y/", REMOTE_ADDR=ELSEWHERE).status_code == 200


# --- invitation links ------------------------------------------------------------------------


def test_guessing_invitation_links_is_throttled(client):
    for n in range(10):
        response = client.get(f"/invitations/guess-{n}/", REMOTE_ADDR=ATTACKER)
        assert response.status_code == 404
    response = client.get("/invitations/guess-x/", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert Client().get("/invitations/guess-y/", REMOTE_ADDR=ELSEWHERE).status_code == 404


def test_membership_and_partnership_invitation_guesses_share_one_count(client):
    for n in range(5):
        assert client.get(f"/join/guess-{n}/", REMOTE_ADDR=ATTACKER).status_code == 404
        assert client.get(f"/invitations/guess-{n}/", REMOTE_ADDR=ATTACKER).status_code == 404
    response = client.get("/join/guess-x/", REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert Client().get("/join/guess-y/", REMOTE_ADDR=ELSEWHERE).status_code == 404


# --- API tokens ------------------------------------------------------------------------------


def api_get(client: Client, token: str, ip: str):
    response = client.get(
        "/api/v1/locations/", headers={"Authorization": f"Bearer {token}"}, REMOTE_ADDR=ip
    )
    return response, json.loads(response.content)


def test_invalid_api_tokens_are_throttled_with_a_problem_document(client, scope_of):
    from api.services import api_token_create

    _, raw = api_token_create(scope=scope_of("super@luxebond.example"), name="ERP sync")
    for n in range(20):
        assert api_get(client, f"bd_guess-{n}", ATTACKER)[0].status_code == 401
    response, body = api_get(client, "bd_guess-x", ATTACKER)
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert body["status"] == 429 and body["type"].endswith("/too-many-requests")
    assert "invalid API token" in body["detail"]
    assert int(response["Retry-After"]) == body["retry_after"] > 0
    # While throttled even a valid token is refused from that address, not from another.
    assert api_get(client, raw, ATTACKER)[0].status_code == 429
    assert api_get(client, raw, ELSEWHERE)[0].status_code == 200


def test_correct_use_is_never_throttled(client, scope_of, person):
    from api.services import api_token_create

    _, raw = api_token_create(scope=scope_of("super@luxebond.example"), name="ERP sync")
    for _ in range(30):
        assert api_get(client, raw, ATTACKER)[0].status_code == 200
    for _ in range(25):
        assert attempt(client, person.email, PASSWORD).status_code == 302
        client.post("/accounts/logout/")


# --- shared across processes ----------------------------------------------------------------


@pytest.mark.redis
def test_with_redis_the_block_is_seen_by_another_process(client, settings):
    """With REDIS_URL set the counters and blocks live in Redis: a separate Python process (a
    second web worker) refuses the address this one blocked."""
    import os
    import subprocess
    import sys
    import uuid

    from ..test_platform import redis_url

    url = redis_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must exercise Redis, but none answers on 127.0.0.1:6379")
        pytest.skip("no Redis on 127.0.0.1:6379")
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    throttle_cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
    }
    settings.CACHES = {**settings.CACHES, "throttle": throttle_cache}
    try:
        for n in range(20):
            assert api_get(client, f"bd_guess-{n}", ATTACKER)[0].status_code == 401
        assert api_get(client, "bd_guess-x", ATTACKER)[0].status_code == 429
        other_worker = (
            "import django; django.setup()\n"
            "from django.conf import settings\n"
            f"settings.CACHES['throttle'] = {throttle_cache!r}\n"
            "from django.test import RequestFactory\n"
            "from core.throttle import API_TOKEN\n"
            f"r = RequestFactory().get('/api/v1/locations/', REMOTE_ADDR={ATTACKER!r})\n"
            f"o = RequestFactory().get('/api/v1/locations/', REMOTE_ADDR={ELSEWHERE!r})\n"
            "print(API_TOKEN.retry_after(r), API_TOKEN.retry_after(o))\n"
        )
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "betterdata.settings"}
        env.setdefault("DATABASE_URL", "postgres://unused@127.0.0.1/unused")  # never connects
        done = subprocess.run(
            [sys.executable, "-c", other_worker],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        seen, elsewhere = done.stdout.split()[-2:]
        assert 0 < int(seen) <= 15 * 60 and elsewhere == "None"
    finally:
        from django.core.cache import caches

        client_ = caches["throttle"]._cache.get_client(None, write=True)
        for key in client_.scan_iter(f"{prefix}*"):
            client_.delete(key)
