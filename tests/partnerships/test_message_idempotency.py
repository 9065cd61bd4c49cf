"""The message form carries an idempotency key: a double submit posts one message and notifies
the other side once; a new form posts again."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from partnerships.models import Message, Partnership

from ..factories import logged_in

pytestmark = pytest.mark.django_db


def test_double_submit_posts_one_message(net, client, django_capture_on_commit_callbacks):
    p = Partnership.objects.get(relationship__parent=net.dist, relationship__child=net.amazon)
    c = logged_in(client, net.amazon_admin)
    page = c.get(f"/partnerships/{p.public_id}/").content.decode()
    assert 'name="idempotency_key"' in page
    url = f"/partnerships/{p.public_id}/messages/"
    data = {"body": "Dock 4 is closed on Friday.", "idempotency_key": "msg-double-1"}
    with django_capture_on_commit_callbacks(execute=True):
        first = c.post(url, data)
        second = c.post(url, data)
        htmx = c.post(url, data, HTTP_HX_REQUEST="true")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert htmx.status_code == 200 and htmx.content.decode().count("Dock 4 is closed") == 1
    assert Message.objects.filter(partnership=p).count() == 1
    notified = Notification.objects.filter(kind="message_posted")
    assert notified.count() == notified.values("user").distinct().count()  # once per person
    # A fresh form (new key) posts a second message.
    c.post(url, {**data, "idempotency_key": "msg-double-2"})
    assert Message.objects.filter(partnership=p).count() == 2


def test_key_reused_on_another_thread_is_refused(net, client):
    mine = Partnership.objects.get(relationship__parent=net.dist, relationship__child=net.amazon)
    c = logged_in(client, net.admin)
    data = {"body": "Hello", "idempotency_key": "msg-reused"}
    assert c.post(f"/partnerships/{mine.public_id}/messages/", data).status_code == 302
    other = Partnership.objects.get(relationship__parent=net.dist, relationship__child=net.sephora)
    response = c.post(f"/partnerships/{other.public_id}/messages/", data)
    assert response.status_code == 400
    assert Message.objects.filter(body="Hello").count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submits_post_one_message_and_no_500():
    from django.test import Client

    from ..factories import network
    from ..threads import run_together

    net = network()
    p = Partnership.objects.get(relationship__parent=net.dist, relationship__child=net.amazon)
    clients = [logged_in(Client(), net.amazon_admin) for _ in range(8)]
    data = {"body": "Sent once, clicked eight times.", "idempotency_key": "msg-concurrent"}

    def submit(i):
        return clients[i].post(f"/partnerships/{p.public_id}/messages/", data).status_code

    statuses, errors = run_together(8, submit)
    assert errors == []
    assert statuses == [302] * 8
    assert Message.objects.filter(partnership=p).count() == 1
