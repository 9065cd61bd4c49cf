"""Production-safe settings: what betterdata.settings does with DEBUG off (the test run uses it,
tests/settings.py), `manage.py check --deploy` clean under production settings, and a missing
SECRET_KEY refusing to start."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from betterdata.devkey import dev_secret_key

from .factories import PASSWORD, OrganizationFactory, admin_of

CHECK_DEPLOY = (
    "import django; django.setup(); from django.core.management import call_command; "
    "call_command('check', deploy=True, fail_level='WARNING')"
)


def _production_env(**overrides: str) -> dict[str, str]:
    """The environment of a production process: betterdata.settings, DEBUG off, no DEMO, and
    nothing the test session set for itself (DJANGO_ALLOW_ASYNC_UNSAFE, test flags)."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="betterdata.settings",
        DEBUG="False",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="app.example.com",
        # The check never connects; a URL keeps settings from starting the embedded server.
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://check@127.0.0.1:1/check",
    )
    env.update(overrides)
    return env


def _run(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_simulated_checkout_exists_only_in_the_demo():
    """Payments fail closed: production settings without a Stripe key offer no checkout at all;
    the local demo (DEMO=1, as `make run` sets it) sells plans through the labelled simulation,
    and an explicit BILLING_SIMULATED_CHECKOUT=0 wins over the demo."""
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.BILLING_SIMULATED_CHECKOUT)"
    )
    assert _run(code, _production_env()).stdout.strip() == "False"
    assert _run(code, _production_env(DEMO="1")).stdout.strip() == "True"
    demo_off = _production_env(DEMO="1", BILLING_SIMULATED_CHECKOUT="0")
    assert _run(code, demo_off).stdout.strip() == "False"


def test_check_deploy_is_clean_under_production_settings():
    result = _run(CHECK_DEPLOY, _production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_fails_when_production_runs_with_debug_on():
    # The check has teeth: the same process with DEBUG on reports security.W018 and fails.
    result = _run(CHECK_DEPLOY, _production_env(DEBUG="True"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr


def test_a_missing_secret_key_with_debug_off_refuses_to_start():
    env = _production_env()
    del env["SECRET_KEY"]
    result = _run("import django; django.setup()", env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set and DEBUG is off" in result.stderr


def test_debug_is_off_unless_set():
    env = _production_env()
    del env["DEBUG"]
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
        "s.STORAGES['staticfiles']['BACKEND'])",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "31536000",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    ]


def test_the_demo_keeps_a_dev_key_and_speaks_plain_http(tmp_path):
    key_file = tmp_path / "secret_key"
    first = dev_secret_key(key_file)
    assert len(first) >= 50 and dev_secret_key(key_file) == first
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    env = _production_env(DEMO="1")
    del env["SECRET_KEY"]
    result = _run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, len(s.SECRET_KEY) >= 50)",
        env,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False", "False", "True"]


def test_production_headers_on_a_page(client, db):
    response = client.get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_session_and_csrf_cookies_are_secure_httponly_and_samesite(db):
    person = admin_of(OrganizationFactory(name="Cookie Check Co", plan_tier="PRO"))
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/", secure=True)
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    response = browser.post(
        "/accounts/login/",
        {
            "username": person.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": csrf.value,
        },
        secure=True,
        headers={"referer": "https://testserver/accounts/login/"},
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_plain_http_redirects_to_https_but_probes_answer(db):
    browser = Client()  # a new client: SecurityMiddleware reads the settings when it loads
    response = browser.get("/accounts/login/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"
    # Behind the proxy: X-Forwarded-Proto says the client used HTTPS.
    behind_proxy = browser.get("/accounts/login/", headers={"x-forwarded-proto": "https"})
    assert behind_proxy.status_code == 200
    assert browser.get("/healthz").status_code == 200
    assert browser.get("/readyz").status_code == 200


@override_settings(DEBUG=False, DEMO=False)
def test_the_demo_commands_refuse_production_settings(db):
    # The demo seeds logins with a known password: never under production settings.
    with pytest.raises(CommandError, match="DEMO=1"):
        call_command("serve_demo", port="0")
    with pytest.raises(CommandError, match="refuses to run with DEBUG and DEMO off"):
        call_command("seed_demo", quiet=True)
