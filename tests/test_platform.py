"""Health endpoints, real SMTP delivery, and Celery on a real Redis broker."""

from __future__ import annotations

import os
import socket
import time

import pytest


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django raises on any database access in this test.
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client, settings):
    settings.REDIS_URL = ""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok"}


@pytest.mark.django_db
def test_readyz_reports_an_unreachable_redis_as_503(client, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free local port, collecting every message."""
    from aiosmtpd.controller import Controller

    class Collector:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(envelope)
            return "250 OK"

    handler = Collector()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def test_member_invitation_email_goes_through_real_smtp(
    smtp_server, settings, login, demo, django_capture_on_commit_callbacks, client
):
    controller, handler = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    admin_client = login("admin@dist.luxebond.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/network/orgs/{demo.org('ORG-003').public_id}/members/invite/",
            {"email": "Picker@Dist.LuxeBond.example", "full_name": "Pat Picker", "role": "MEMBER"},
        )
    assert response.status_code == 302
    assert len(handler.messages) == 1
    envelope = handler.messages[0]
    assert envelope.rcpt_tos == ["picker@dist.luxebond.example"]
    body = envelope.content.decode()
    assert "LUXE BOND Distribution LLC" in body
    link = next(w for w in body.split() if "/join/" in w).split("/join/")[1]
    # The new member follows the link, chooses a password while accepting, and logs in.
    client.logout()
    path = f"/join/{link.strip()}"
    done = client.post(
        path,
        {
            "answer": "accept",
            "full_name": "Pat Picker",
            "password1": "a-Strong-pass-42",
            "password2": "a-Strong-pass-42",
        },
    )
    assert done.status_code == 302
    client.logout()
    # The real login form: the lockout backend needs the request (client.login has none).
    response = client.post(
        "/accounts/login/",
        {"username": "picker@dist.luxebond.example", "password": "a-Strong-pass-42"},
    )
    assert response.status_code == 302
    assert "LOC-" not in client.get("/locations/").content.decode()  # a MEMBER with no rights yet


def redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_email_task_runs_on_a_real_celery_worker_over_redis(settings, tmp_path):
    url = redis_url()
    if url is None:
        if os.environ.get("CI"):
            pytest.fail("CI must exercise Redis, but none answers on 127.0.0.1:6379")
        pytest.skip("no Redis server on 127.0.0.1:6379 and REDIS_URL is unset")
    from celery.contrib.testing.worker import start_worker

    from betterdata.celery import app
    from core.tasks import send_email

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=url, task_always_eager=False, result_backend=None)
    app.close()  # drop any connection pool made for the in-memory broker earlier
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            # An explicit connection: the app may hold a pool made for the in-memory broker.
            with app.connection_for_write(url) as conn:
                send_email.apply_async(
                    kwargs={
                        "to": ["ops@amazon.example"],
                        "subject": "Over Redis",
                        "text": "Delivered by a worker.",
                    },
                    connection=conn,
                )
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not any(tmp_path.iterdir()):
                time.sleep(0.1)
    finally:
        app.conf.update(old)
        app.close()
    files = list(tmp_path.iterdir())
    assert files, "the worker never sent the email"
    assert "Over Redis" in files[0].read_text()
