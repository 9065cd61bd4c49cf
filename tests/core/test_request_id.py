"""Errors are reported, not just printed: every response and log line carries a request id, the
500 page shows it to quote, a 404 or 403 is one log line without a traceback, and ADMINS mail and
Sentry are switched on by the environment (core/logs.py, betterdata/settings.py)."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client, override_settings

from core.logs import JsonFormatter, QuietClientErrors, RequestIdFilter

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"^[0-9a-f]{32}$")
ERROR_URLS = "tests.test_error_pages"  # the site plus views that raise


@pytest.fixture
def log_lines():
    """What the production console handler would write for django.request, as parsed JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(QuietClientErrors())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_every_response_carries_a_fresh_request_id():
    first = Client().get("/accounts/login/")
    second = Client().get("/accounts/login/")
    assert GENERATED.match(first["X-Request-ID"]), first["X-Request-ID"]
    assert GENERATED.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_request_id_from_the_proxy_is_kept():
    given = "3f2b9c1e-7a44-4c1d-9f0e-1b2c3d4e5f60"
    assert Client().get("/healthz", HTTP_X_REQUEST_ID=given)["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    ["short", "has spaces in it", "<script>alert(1)</script>", "x" * 129, "abc\u00e9defgh", ""],
)
def test_an_odd_request_id_is_replaced(given):
    response = Client().get("/healthz", HTTP_X_REQUEST_ID=given)
    assert GENERATED.match(response["X-Request-ID"])


@override_settings(DEBUG=False, ROOT_URLCONF=ERROR_URLS, ERRORS_NOTIFY=False)
def test_the_500_page_gives_the_reference_and_promises_nothing(log_lines):
    response = Client(raise_request_exception=False).get(
        "/test-errors/boom/", HTTP_X_REQUEST_ID="support-case-000123"
    )
    html = response.content.decode()
    assert response.status_code == 500
    assert response["X-Request-ID"] == "support-case-000123"
    assert "quote this reference" in html and "support-case-000123" in html
    assert "notified" not in html
    [line] = [entry for entry in log_lines() if entry["level"] == "ERROR"]
    assert line["request_id"] == "support-case-000123"
    assert line["status"] == 500 and line["path"] == "/test-errors/boom/"
    assert "RuntimeError" in line["exception"]


@override_settings(DEBUG=False, ROOT_URLCONF=ERROR_URLS, ERRORS_NOTIFY=True)
def test_the_500_page_says_notified_only_when_someone_is():
    html = Client(raise_request_exception=False).get("/test-errors/boom/").content.decode()
    assert "We have been notified" in html


@override_settings(DEBUG=False, ROOT_URLCONF=ERROR_URLS)
def test_a_404_and_a_403_are_one_line_without_a_traceback(log_lines):
    client = Client()
    missing = client.get("/no/such/page/")
    refused = client.get("/test-errors/forbidden/")
    assert (missing.status_code, refused.status_code) == (404, 403)
    lines = log_lines()
    assert [(e["level"], e["status"]) for e in lines] == [("WARNING", 404), ("WARNING", 403)]
    assert all("exception" not in e for e in lines), lines
    assert [e["request_id"] for e in lines] == [missing["X-Request-ID"], refused["X-Request-ID"]]


def test_a_line_outside_a_request_says_so():
    record = logging.LogRecord("celery", logging.INFO, __file__, 1, "beat tick", (), None)
    RequestIdFilter().filter(record)
    assert json.loads(JsonFormatter().format(record))["request_id"] == "-"


def _settings_in(env: dict[str, str]) -> dict:
    """betterdata.settings as a fresh process with this environment sees it."""
    code = (
        "import json, logging.config, django; from django.conf import settings; django.setup();"
        "import sentry_sdk;"
        "print(json.dumps({'admins': settings.ADMINS, 'notify': settings.ERRORS_NOTIFY,"
        " 'format': settings.LOG_FORMAT,"
        " 'request_handlers': [type(h).__name__ for h in"
        "  logging.getLogger('django.request').handlers],"
        " 'sentry': sentry_sdk.is_initialized()}))"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"ADMINS", "SENTRY_DSN", "DEBUG", "DEMO", "LOG_FORMAT"}
    }
    base |= {
        "DJANGO_SETTINGS_MODULE": "betterdata.settings",
        "SECRET_KEY": "subprocess-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://localhost/unused"),
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        env=base | env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_without_admins_or_dsn_reports_to_the_log_only():
    seen = _settings_in({})
    assert seen == {
        "admins": [],
        "notify": False,
        "format": "json",
        "request_handlers": [],
        "sentry": False,
    }


def test_admins_and_a_sentry_dsn_switch_on_mail_and_sentry():
    seen = _settings_in(
        {
            "ADMINS": "Ops Team <ops@example.com>,Dana <dana@example.com>",
            "SENTRY_DSN": "https://public@o0.ingest.sentry.io/1",
        }
    )
    assert seen["admins"] == [["Ops Team", "ops@example.com"], ["Dana", "dana@example.com"]]
    assert seen["request_handlers"] == ["AdminEmailHandler"]
    assert seen["notify"] is True and seen["sentry"] is True


def test_the_demo_logs_readable_lines_and_mails_no_one():
    seen = _settings_in({"DEMO": "1", "ADMINS": "Ops <ops@example.com>"})
    assert seen["format"] == "text" and seen["request_handlers"] == []


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_logs_with_its_id(settings, tmp_path):
    """A real worker over Redis: the email task queued under a request id logs under it."""
    from celery.contrib.testing.worker import start_worker

    from betterdata.celery import app
    from core.logs import _request_id
    from core.tasks import send_email

    from ..test_platform import redis_url

    url = redis_url()
    if url is None:
        pytest.skip("no Redis server on 127.0.0.1:6379 and REDIS_URL is unset")
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    trace = logging.getLogger("celery.app.trace")
    old_level = trace.level
    old = {k: app.conf[k] for k in ("broker_url", "task_always_eager", "result_backend")}
    app.conf.update(broker_url=url, task_always_eager=False, result_backend=None)
    app.close()
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING"):
            trace.addHandler(handler)
            trace.setLevel(logging.INFO)
            token = _request_id.set("req-from-the-web-0042")
            try:
                with app.connection_for_write(url) as conn:
                    send_email.apply_async(
                        kwargs={"to": ["ops@example.com"], "subject": "Traced", "text": "x"},
                        connection=conn,
                    )
            finally:
                _request_id.reset(token)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and "succeeded" not in stream.getvalue():
                time.sleep(0.1)
    finally:
        trace.removeHandler(handler)
        trace.setLevel(old_level)
        app.conf.update(old)
        app.close()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    succeeded = [e for e in lines if "succeeded" in e["message"]]
    assert succeeded, lines
    assert succeeded[0]["request_id"] == "req-from-the-web-0042"
