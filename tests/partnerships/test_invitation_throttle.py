"""Invitation links under the per-address failure throttle (core/throttle.py): guessing is
stopped, the invitee opening a real link is never throttled, and accepting still works."""

from __future__ import annotations

from django.test import Client

GUESSER = "203.0.113.66"


def test_the_invitee_opens_a_real_link_as_often_as_they_like(invite, client):
    _, token = invite()
    for _ in range(25):
        assert client.get(f"/invitations/{token}/", REMOTE_ADDR=GUESSER).status_code == 200


def test_a_guesser_is_stopped_even_when_it_finally_hits_a_real_link(invite):
    _, token = invite()
    guesser = Client()
    for n in range(10):
        assert guesser.get(f"/invitations/guess-{n}/", REMOTE_ADDR=GUESSER).status_code == 404
    response = guesser.get(f"/invitations/{token}/", REMOTE_ADDR=GUESSER)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    # The invitee, elsewhere, is not concerned and can still accept.
    invitee = Client()
    assert invitee.get(f"/invitations/{token}/", REMOTE_ADDR="198.51.100.7").status_code == 200
    accepted = invitee.post(
        f"/invitations/{token}/",
        {
            "full_name": "Gil Glow",
            "organization_name": "Glow Freight Co",
            "password1": "a-Strong-pass-42",
            "password2": "a-Strong-pass-42",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert accepted.status_code == 302 and "/welcome/" in accepted["Location"]
