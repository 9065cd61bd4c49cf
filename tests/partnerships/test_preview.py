""" "View as partner": the partner's own scope, read-only, audited, network-side admins only."""

from __future__ import annotations

import re

import pytest

from notifications.models import NotificationPreference
from orgs.models import AuditEvent
from partnerships.models import Invitation, Message, Partnership

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/", "/locations/", "/partnerships/", "/network/", "/partnerships/parties/"]
CODES = re.compile(r"\b(?:ORG|LOC)-\d+\b")


def _amazon() -> Partnership:
    return Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-101"
    )


def _start(client, partnership) -> None:
    response = client.post(f"/partnerships/{partnership.public_id}/preview/")
    assert response.status_code == 302


def _main(html: str) -> str:
    return html.split('<main class="page">', 1)[1]


def test_preview_shows_the_same_objects_as_logging_in_as_the_partner(login, client):
    from django.test import Client

    partnership = _amazon()
    admin = login("admin@dist.luxebond.example")
    _start(admin, partnership)
    amazon = login("ops@amazon.example", Client())
    for url in PAGES + [f"/partnerships/{partnership.public_id}/"]:
        preview = admin.get(url)
        real = amazon.get(url)
        assert preview.status_code == real.status_code == 200, url
        assert set(CODES.findall(_main(preview.content.decode()))) == set(
            CODES.findall(_main(real.content.decode()))
        ), url
        assert "Preview: you are seeing exactly what ORG-101" in preview.content.decode()
    # The scopes themselves are the same rules, not a copy.
    p, r = admin.get("/dashboard/").context["scope"], amazon.get("/dashboard/").context["scope"]
    for attr in ("org_ids", "partner_org_ids", "location_ids", "shared_grants", "features"):
        assert getattr(p, attr) == getattr(r, attr), attr
    assert p.read_only and not r.read_only
    assert "LOC-001" not in admin.get("/locations/").content.decode()
    assert AuditEvent.objects.filter(
        action="partnership.preview", target_id=str(partnership.public_id)
    ).exists()


def test_preview_rejects_every_write(login, demo):
    partnership = _amazon()
    admin = login("admin@dist.luxebond.example")
    _start(admin, partnership)
    counts = (
        Message.objects.count(),
        Invitation.objects.count(),
        NotificationPreference.objects.count(),
    )
    for url, data in [
        (f"/partnerships/{partnership.public_id}/messages/", {"body": "from preview"}),
        (f"/partnerships/{partnership.public_id}/end/", {}),
        (f"/partnerships/{partnership.public_id}/edit/", {"role": "OTHER", "terms": "x"}),
        ("/partnerships/invite/", {"company_name": "X", "email": "x@x.example"}),
        ("/partnerships/parties/", {"name": "Sneaky Party", "kind": "RETAILER"}),
        ("/notifications/preferences/", {"message_posted": "off"}),
        ("/notifications/read-all/", {}),
        ("/accounts/switch/", {"org": str(demo.org("ORG-003").public_id)}),
        ("/accounts/profile/", {"full_name": "Changed"}),
    ]:
        response = admin.post(url, data)
        assert response.status_code == 403, url
        assert "Preview is read-only" in response.content.decode()
    assert counts == (
        Message.objects.count(),
        Invitation.objects.count(),
        NotificationPreference.objects.count(),
    )
    partnership.refresh_from_db()
    assert partnership.status == "ACTIVE" and partnership.role == "THREE_PL"
    # Stopping the preview works and brings the admin's own view back.
    assert admin.post("/partnerships/preview/stop/").status_code == 302
    assert "LOC-001" in admin.get("/locations/").content.decode()


@pytest.mark.parametrize(
    "email, status",
    [
        ("ops@amazon.example", 403),  # the partner side cannot "preview" the network
        ("member@dist.luxebond.example", 403),  # not an admin
        ("admin@mfg.luxebond.example", 404),  # another subsidiary's partnership
        ("admin@medsupply.example", 404),
    ],
)
def test_only_network_side_admins_may_preview(login, email, status):
    client = login(email)
    assert client.post(f"/partnerships/{_amazon().public_id}/preview/").status_code == status
    assert "preview_partnership" not in client.session


def test_preview_ends_when_the_partnership_ends(login):
    from django.test import Client

    partnership = _amazon()
    admin = login("admin@dist.luxebond.example")
    _start(admin, partnership)
    other_admin = login("super@luxebond.example", Client())
    other_admin.post(f"/partnerships/{partnership.public_id}/end/")
    page = admin.get("/dashboard/").content.decode()
    assert "Preview:" not in page and "ORG-003" in page
