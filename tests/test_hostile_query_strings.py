"""Hostile query strings answer 4xx, never 500 (found by a tenant-style attack on the running
app): a NUL character in a search box, a malformed party id on the invite form."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

SEARCH_PAGES = [
    "/partnerships/parties/?q=%00",
    "/products/?q=%00",
    "/shipments/?q=%00",
    "/locations/?q=%00",
    "/products/?q=%00&format=csv",
    "/shipments/?q=abc%00def",
    "/locations/?%00=1",
]


@pytest.mark.parametrize("url", SEARCH_PAGES)
def test_a_nul_character_in_the_query_string_is_a_bad_request(login, url):
    response = login("admin@dist.luxebond.example").get(url)
    assert response.status_code == 400


def test_an_ordinary_search_still_answers(login):
    assert login("admin@dist.luxebond.example").get("/products/?q=serum").status_code == 200


@pytest.mark.parametrize("party", ["not-a-uuid", "-1", "1e9", "99999999999999999999", "'\"<>"])
def test_a_malformed_party_on_the_invite_form_is_not_found(login, party):
    c = login("admin@dist.luxebond.example")
    assert c.get("/partnerships/invite/", {"party": party}).status_code == 404
    response = c.post(
        "/partnerships/invite/",
        {"party": party, "company_name": "Hostile Co", "email": "h@hostile.example"},
    )
    assert response.status_code == 404


def test_an_unknown_party_id_is_not_found_and_a_blank_one_shows_the_form(login):
    c = login("admin@dist.luxebond.example")
    assert (
        c.get("/partnerships/invite/", {"party": "00000000-0000-0000-0000-000000000000"})
    ).status_code == 404
    assert c.get("/partnerships/invite/", {"party": ""}).status_code == 200
