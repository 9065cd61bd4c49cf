"""Messaging in a partnership, notifications (bell, list, preferences, email), notify() API."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import transaction

from core.enums import NotificationKind
from notifications.models import Notification, NotificationPreference
from notifications.services import notify
from orgs.models import AuditEvent
from partnerships.models import Message, Partnership

from ..factories import logged_in, member_of, scope_of_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def login(client):
    """login(user) → the test client, logged in as that user (or as `c`, another client)."""
    return lambda user, c=None: logged_in(c or client, user)


@pytest.fixture
def amazon_p(net) -> Partnership:
    """The subsidiary's partnership with its 3PL, with the 3PL's terms."""
    p = Partnership.objects.get(relationship__parent=net.dist, relationship__child=net.amazon)
    p.terms = "FBA storage and fulfilment. Storage billed monthly per unit."
    p.save(update_fields=["terms"])
    return p


def test_htmx_post_swaps_the_thread_and_notifies_the_other_side(
    net, amazon_p, login, django_capture_on_commit_callbacks
):
    p = amazon_p
    admin = net.admin
    member = member_of(net.dist, locations=[net.dallas])
    buyer = member_of(net.dist, locations=[net.la])
    NotificationPreference.objects.create(
        user=admin, kind="message_posted", in_app=True, email=False
    )
    NotificationPreference.objects.create(
        user=member,
        kind="message_posted",
        in_app=False,
        email=False,
    )
    amazon = login(net.amazon_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = amazon.post(
            f"/partnerships/{p.public_id}/messages/",
            {"body": "Dock 4 is closed on Friday."},
            HTTP_HX_REQUEST="true",
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="thread"' in html and "Dock 4 is closed" in html
    message = Message.objects.get(body="Dock 4 is closed on Friday.")
    assert message.author_org == net.amazon
    notified = set(
        Notification.objects.filter(kind="message_posted").values_list("user__email", flat=True)
    )
    # admin: in-app only; member: off; buyer (another MEMBER): default in-app + email.
    assert notified == {admin.email, buyer.email}
    assert sorted(m.to[0] for m in mail.outbox) == [buyer.email]
    assert "New message from Amazon" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives  # HTML part too
    # The author hears nothing about their own message.
    assert not Notification.objects.filter(user=net.amazon_admin).exists()


def test_bell_counts_unread_and_mark_read(net, amazon_p, login):
    p = amazon_p
    buyer = member_of(net.dist, locations=[net.la])
    login(net.amazon_admin).post(f"/partnerships/{p.public_id}/messages/", {"body": "One"})
    login(net.amazon_admin).post(f"/partnerships/{p.public_id}/messages/", {"body": "Two"})
    admin = login(net.admin)
    page = admin.get("/dashboard/").content.decode()
    assert 'data-testid="unread-count">2<' in page
    listing = admin.get("/notifications/").content.decode()
    assert "New message from Amazon Fulfillment Services LLC" in listing
    first = Notification.objects.filter(user=net.admin).first()
    admin.post(f"/notifications/{first.public_id}/read/")
    assert 'data-testid="unread-count">1<' in admin.get("/dashboard/").content.decode()
    admin.post("/notifications/read-all/")
    assert "unread-count" not in admin.get("/dashboard/").content.decode()
    # Another person's notification cannot be touched.
    amazon = login(net.amazon_admin)
    other = Notification.objects.filter(user=buyer).first()
    assert amazon.post(f"/notifications/{other.public_id}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_bad_messages_are_refused_and_nothing_is_written(net, amazon_p, login):
    p = amazon_p
    amazon = login(net.amazon_admin)
    count = Message.objects.count()
    response = amazon.post(f"/partnerships/{p.public_id}/messages/", {"body": "   "})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = amazon.post(f"/partnerships/{p.public_id}/messages/", {"body": "x" * 5001})
    assert response.status_code == 400
    response = amazon.post(
        f"/partnerships/{p.public_id}/messages/", {"body": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Message.objects.count() == count


def test_preferences_page_for_members_and_bad_input(net, login):
    person = member_of(net.dist, locations=[net.dallas])
    member = login(person)
    page = member.get("/notifications/preferences/")
    assert page.status_code == 200 and "New ASN" in page.content.decode()
    response = member.post("/notifications/preferences/", {"message_posted": "telepathy"})
    assert response.status_code == 400
    assert NotificationPreference.objects.filter(user=person).count() == 0
    data = {kind: "both" for kind in NotificationKind.values} | {
        "asn_created": "email",
        "message_posted": "off",
    }
    assert member.post("/notifications/preferences/", data).status_code == 302
    prefs = {
        p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(user=person)
    }
    assert prefs["asn_created"] == (False, True) and prefs["message_posted"] == (False, False)


def test_notify_api_unknown_kind_defaults_and_exclusion(net, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            org_ids=[net.sephora.pk, net.amazon.pk],
            kind="asn_created",
            title="ASN-0001 is on its way",
            url="/asns/",
            exclude_user_id=net.amazon_admin.pk,
        )
    assert list(
        Notification.objects.filter(title="ASN-0001 is on its way").values_list(
            "user__email", flat=True
        )
    ) == [net.sephora_admin.email]
    assert [m.to for m in mail.outbox] == [[net.sephora_admin.email]]
    assert "http://" in mail.outbox[0].body and "/asns/" in mail.outbox[0].body


def test_notify_inside_a_rolled_back_transaction_leaves_no_trace(net):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        notify(org_ids=[net.sephora.pk], kind=NotificationKind.SHIPMENT_STATUS, title="Never")
        raise Boom
    assert not Notification.objects.filter(title="Never").exists()
    assert mail.outbox == []


def test_only_inviting_side_edits_terms_and_every_change_is_audited(net, amazon_p, login):
    p = amazon_p
    amazon = login(net.amazon_admin)
    assert "FBA storage" in amazon.get(f"/partnerships/{p.public_id}/").content.decode()
    assert amazon.get(f"/partnerships/{p.public_id}/edit/").status_code == 403
    assert amazon.post(f"/partnerships/{p.public_id}/edit/", {"role": "OTHER"}).status_code == 403
    admin = login(net.admin)
    bad = admin.post(f"/partnerships/{p.public_id}/edit/", {"role": "NOPE", "terms": ""})
    assert bad.status_code == 400
    locations = [net.fba.pk, net.fba2.pk]
    ok = admin.post(
        f"/partnerships/{p.public_id}/edit/",
        {
            "role": "THREE_PL",
            "terms": "New storage rate from January.",
            "shared_locations": locations,
        },
    )
    assert ok.status_code == 302
    event = AuditEvent.objects.get(action="partnership.update", target_id=str(p.public_id))
    assert event.after == {"terms": "New storage rate from January."}
    assert "FBA storage" in event.before["terms"]
    assert (
        "New storage rate"
        in login(net.amazon_admin).get(f"/partnerships/{p.public_id}/").content.decode()
    )


def test_ending_removes_access_at_once_and_keeps_history(net, invite, client, login):
    _, token = invite(locations=(net.edison,))
    client.post(
        f"/invitations/{token}/",
        {
            "full_name": "Gina Lopez",
            "organization_name": "Glow Freight Co",
            "password1": "a-Long-unusual-pass-42",
            "password2": "a-Long-unusual-pass-42",
        },
    )
    assert net.edison.code in client.get("/locations/").content.decode()
    p = Partnership.objects.get(relationship__child__name="Glow Freight Co")
    client.post(f"/partnerships/{p.public_id}/messages/", {"body": "Hello from Glow"})
    admin = login(net.admin, __import__("django.test").test.Client())
    assert admin.post(f"/partnerships/{p.public_id}/end/").status_code == 302
    # The partner's next request no longer sees the shared location; history stays for both.
    assert net.edison.code not in client.get("/locations/").content.decode()
    detail = client.get(f"/partnerships/{p.public_id}/").content.decode()
    assert "Ended" in detail and "Hello from Glow" in detail
    assert "Hello from Glow" in admin.get(f"/partnerships/{p.public_id}/").content.decode()
    assert (
        client.post(f"/partnerships/{p.public_id}/messages/", {"body": "still?"}).status_code == 400
    )
    assert AuditEvent.objects.filter(action="partnership.end", target_id=str(p.public_id)).exists()
    p.refresh_from_db()
    assert p.relationship.status == "INACTIVE" and p.ended_at is not None


def test_amazon_loses_luxe_bond_grants_when_ended(net, amazon_p, login):
    p = amazon_p
    assert scope_of_user(net.amazon_admin).shared_grants
    assert net.fba.code in login(net.admin).get("/locations/").content.decode()
    login(net.amazon_admin).post(f"/partnerships/{p.public_id}/end/")
    scope = scope_of_user(net.amazon_admin)
    assert scope.shared_grants == () and not scope.partner_org_ids
    assert net.fba.code not in login(net.admin).get("/locations/").content.decode()


def test_thread_polls_new_messages_as_a_partial(net, amazon_p, login):
    p = amazon_p
    login(net.amazon_admin).post(f"/partnerships/{p.public_id}/messages/", {"body": "Polled"})
    admin = login(net.admin)
    response = admin.get(f"/partnerships/{p.public_id}/messages/?part=list", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and "Polled" in html
    assert "<form" not in html and "<html" not in html
    assert (
        login(net.sephora_admin).get(f"/partnerships/{p.public_id}/messages/?part=list").status_code
        == 404
    )
