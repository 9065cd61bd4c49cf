"""Who sees which partnership, message, party and invitation — and 404 for guessed ids."""

from __future__ import annotations

import re
import uuid

import pytest

from orgs.models import Party
from partnerships.models import Invitation, Message, Partnership

from ..personas import ALL_PARTNERSHIPS, EMAILS, PERSONAS

pytestmark = pytest.mark.django_db

ALL_DEMO = ALL_PARTNERSHIPS
# persona → (network, partner) pairs listed: tests/personas.py's table
EXPECTED = {email: set(p.partnerships) for email, p in PERSONAS.items()}


def _demo_partnerships() -> dict[tuple[str, str], Partnership]:
    return {
        (p.relationship.parent.code, p.relationship.child.code): p
        for p in Partnership.objects.select_related("relationship__parent", "relationship__child")
        if (p.relationship.parent.code, p.relationship.child.code) in ALL_DEMO
    }


def _listed_pairs(html: str) -> set[tuple[str, str]]:
    rows = re.findall(
        r"<tr>\s*<td><span class=\"code\">(ORG-\d+)</span>.*?"
        r"<td><span class=\"code\">(ORG-\d+)</span>",
        html,
        re.S,
    )
    return set(rows)


@pytest.mark.parametrize("email", EMAILS)
def test_partnership_matrix(login, email):
    client = login(email)
    listing = client.get("/partnerships/").content.decode()
    assert _listed_pairs(listing) == EXPECTED[email]
    for pair, partnership in _demo_partnerships().items():
        visible = pair in EXPECTED[email]
        for url in (
            f"/partnerships/{partnership.public_id}/",
            f"/partnerships/{partnership.public_id}/messages/",
        ):
            assert client.get(url).status_code == (200 if visible else 404), (email, pair, url)


def test_amazon_never_sees_sephora_ulta_or_other_luxe_partnerships(login):
    client = login("ops@amazon.example")
    pages = "".join(
        client.get(url).content.decode()
        for url in ("/partnerships/", "/dashboard/", "/partnerships/parties/", "/notifications/")
    )
    for hidden in ("Sephora", "Ulta", "PackagePro", "VitaSource", "Salon Luxe", "Nordstrom"):
        assert hidden not in pages
    ulta = Party.objects.get(name="Ulta Beauty Inc.")
    assert client.get(f"/partnerships/parties/{ulta.public_id}/").status_code == 404
    pending = Invitation.objects.get(email="vendor@nordstrom.example")
    assert client.post(f"/partnerships/invitations/{pending.public_id}/revoke/").status_code == 404
    assert Invitation.objects.get(pk=pending.pk).status == "PENDING"


def test_medsupply_sees_nothing_of_luxe_bond(login):
    client = login("admin@medsupply.example")
    pages = "".join(
        client.get(url).content.decode()
        for url in ("/partnerships/", "/dashboard/", "/partnerships/parties/", "/network/")
    )
    assert "LUXE BOND" not in pages and "Ulta" not in pages
    assert "PackagePro" in pages


def test_packagepro_sees_its_three_customers_only(login):
    client = login("admin@packagepro.example")
    html = client.get("/partnerships/").content.decode()
    for name in ("LUXE BOND Manufacturing LLC", "MedSupply Co", "TechComponents Inc"):
        assert name in html
    for hidden in ("VitaSource", "BotaniTech", "Salon Luxe", "Amazon", "Sephora"):
        assert hidden not in html


def test_messages_visible_to_the_two_parties_only(login, scope_of):
    amazon = _demo_partnerships()[("ORG-003", "ORG-101")]
    thread = set(Message.objects.filter(partnership=amazon).values_list("pk", flat=True))
    assert thread
    for email in PERSONAS:
        seen = set(Message.objects.visible_to(scope_of(email)).values_list("pk", flat=True))
        if email in (
            "ops@amazon.example",
            "admin@dist.luxebond.example",
            "member@dist.luxebond.example",
            "super@luxebond.example",
        ):
            assert thread <= seen, email
        else:
            assert not (thread & seen), email
    sephora = login("vmi@sephora.example")
    assert sephora.get(f"/partnerships/{amazon.public_id}/messages/").status_code == 404
    before = Message.objects.count()
    response = sephora.post(f"/partnerships/{amazon.public_id}/messages/", {"body": "hi"})
    assert response.status_code == 404 and Message.objects.count() == before


@pytest.mark.parametrize(
    "url",
    [
        "/partnerships/{id}/",
        "/partnerships/{id}/welcome/",
        "/partnerships/{id}/edit/",
        "/partnerships/{id}/messages/",
        "/partnerships/parties/{id}/",
    ],
)
def test_guessed_uuids_are_404(login, url):
    client = login("admin@dist.luxebond.example")
    assert client.get(url.format(id=uuid.uuid4())).status_code == 404
    for action in ("end", "preview", "messages"):
        assert client.post(f"/partnerships/{uuid.uuid4()}/{action}/").status_code == 404
    assert client.post(f"/notifications/{uuid.uuid4()}/read/").status_code == 404
    assert client.post(f"/partnerships/invitations/{uuid.uuid4()}/resend/").status_code == 404
