"""Every page of the app renders for the personas that may open it."""

from __future__ import annotations

import pytest

from orgs.models import Party
from partnerships.models import Partnership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "email",
    [
        "admin@dist.luxebond.example",
        "super@luxebond.example",
        "ops@amazon.example",
        "member@dist.luxebond.example",
        "admin@packagepro.example",
    ],
)
def test_pages_render(login, email):
    client = login(email)
    amazon = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-101"
    )
    ulta = Party.objects.get(name="Ulta Beauty Inc.")
    can_see_amazon = email != "admin@packagepro.example"
    sees_ulta = email.endswith("luxebond.example")
    expectations = {
        "/partnerships/": 200,
        "/partnerships/?status=ENDED": 200,
        "/partnerships/?status=bogus&page=999": 200,
        "/partnerships/parties/": 200,
        "/notifications/": 200,
        "/notifications/preferences/": 200,
        f"/partnerships/{amazon.public_id}/": 200 if can_see_amazon else 404,
        f"/partnerships/{amazon.public_id}/welcome/": 200 if can_see_amazon else 404,
        f"/partnerships/parties/{ulta.public_id}/": 200 if sees_ulta else 404,
    }
    if email in ("admin@dist.luxebond.example", "super@luxebond.example"):
        expectations[f"/partnerships/{amazon.public_id}/edit/"] = 200
        expectations["/partnerships/invite/"] = 200
    for url, status in expectations.items():
        assert client.get(url).status_code == status, url
