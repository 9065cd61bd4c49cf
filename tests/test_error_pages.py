"""Error pages with DEBUG off: the site's own 400/403/404/500 pages, never Django's technical
pages (no URL pattern list, no traceback, no exception text)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import Client, override_settings
from django.urls import include, path

from .factories import OrganizationFactory, admin_of, logged_in


def _boom(request):
    raise RuntimeError("secret internals: password=hunter2")


def _forbidden(request):
    raise PermissionDenied


def _suspicious(request):
    raise SuspiciousOperation("tampered input detail")


# This module is also the URLconf of the tests below: the real site plus three failing views.
urlpatterns = [
    path("test-errors/boom/", _boom),
    path("test-errors/forbidden/", _forbidden),
    path("test-errors/suspicious/", _suspicious),
    path("", include("betterdata.urls")),
]
handler400 = "betterdata.errors.bad_request"
handler403 = "betterdata.errors.forbidden"
handler404 = "betterdata.errors.not_found"
handler500 = "betterdata.errors.server_error"

pytestmark = pytest.mark.django_db

TECHNICAL = (
    "Traceback",
    "URLconf",
    "betterdata.urls",
    "Django tried these URL patterns",
    "The current path",
    "DEBUG = True",
)


@pytest.fixture
def signed_in(client):
    return logged_in(client, admin_of(OrganizationFactory(name="Error Page Co", plan_tier="PRO")))


@override_settings(DEBUG=False)
def test_a_404_shows_the_plain_page_without_the_url_list(signed_in):
    response = signed_in.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Not found" in html and "Back to the dashboard" in html
    for word in TECHNICAL:
        assert word not in html, word


@override_settings(DEBUG=True)
def test_what_the_404_test_looks_for_is_what_debug_would_show(signed_in):
    html = signed_in.get("/no/such/page/").content.decode()
    assert "Django tried these URL patterns" in html and "betterdata.urls" in html


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_500_shows_the_plain_page_without_traceback(db):
    browser = Client(raise_request_exception=False)
    response = browser.get("/test-errors/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    for word in (*TECHNICAL, "RuntimeError", "hunter2", "_boom"):
        assert word not in html, word


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_403_and_400_show_the_plain_pages(signed_in):
    forbidden = signed_in.get("/test-errors/forbidden/")
    assert forbidden.status_code == 403 and "Not allowed" in forbidden.content.decode()
    bad = signed_in.get("/test-errors/suspicious/")
    html = bad.content.decode()
    assert bad.status_code == 400 and "Bad request" in html
    assert "tampered input detail" not in html and "Traceback" not in html


# --- found by a tenant-style attack ------------------------------------------------------------


@pytest.mark.parametrize(
    "path, extra",
    [
        ("/products/?q=%00", {}),
        ("/accounts/login/?next=%00", {}),
        ("/accounts/login/", {"HTTP_HOST": "127.0.0.1:8122, evil"}),
    ],
)
def test_early_400s_carry_the_security_headers(path, extra):
    """A NUL in the query string or a bad Host is answered before the views; those 400 pages
    lacked the CSP and X-Frame-Options that every other response carries."""
    r = Client().get(path, **extra)
    assert r.status_code == 400
    assert "default-src 'self'" in r["Content-Security-Policy"]
    assert r["X-Frame-Options"] == "DENY"


def test_an_api_400_before_the_views_is_problem_json():
    r = Client().get("/api/v1/stock/?location=%00")
    assert r.status_code == 400
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["status"] == 400


def test_a_csrf_failure_is_our_own_403_page():
    """Django's CSRF page hints at DEBUG=True and carries an inline style the CSP refuses."""
    client = Client(enforce_csrf_checks=True)
    logged_in(client, admin_of(OrganizationFactory()))
    r = client.post("/accounts/profile/", {"full_name": "x"})
    assert r.status_code == 403
    body = r.content.decode()
    assert "This form has expired" in body and "DEBUG" not in body and "<style" not in body
