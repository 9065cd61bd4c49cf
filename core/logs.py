"""Logs a reader can follow and a machine can parse (docs/operations.md, Logs and errors).

- **A request id on every line.** `RequestIdMiddleware` keeps the caller's `X-Request-ID` when it
  is a sane token (a proxy or load balancer set it) or makes one, stores it on the request
  (`request.request_id`) and in a context variable, and returns it in the `X-Request-ID` response
  header. `RequestIdFilter` puts it on every log record (`-` outside a request); the 500 page
  shows it, so a user can quote it and we can find the request's lines.
- **JSON in production, text locally.** `JsonFormatter` writes one JSON object a line (time,
  level, logger, message, request id, status, method and path, traceback); the demo and DEBUG
  use a readable line.
- **Tasks keep the id.** A task queued during a request carries its id in a message header
  (`request_id`); the worker's lines while it runs carry it too. An eager task simply runs inside
  the request.
- **Expected refusals are one line.** Django logs every 4xx as a warning with the exception
  attached; `QuietClientErrors` drops that traceback (a 404 or 403 is not a fault), 5xx keep it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from django.http import HttpRequest, HttpResponseBase

REQUEST_ID_HEADER = "X-Request-ID"
# What we keep from a caller: letters, digits and . _ : - (uuids, hex, most proxies' formats).
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
NO_REQUEST = "-"

_request_id: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request being served, or "-" outside one."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(request: HttpRequest) -> str:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    return given if SANE_REQUEST_ID.fullmatch(given) else new_request_id()


class RequestIdMiddleware:
    """Early in MIDDLEWARE: every response below it, a 500 page included, carries the id."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _request_id.set(request_id)
        try:
            _tag_error_reports(request_id)
            response = self.get_response(request)
        finally:
            _request_id.reset(token)
        response[REQUEST_ID_HEADER] = request_id
        return response


def _tag_error_reports(request_id: str) -> None:
    """Sentry's event for this request carries the same id (when Sentry is configured)."""
    try:
        import sentry_sdk
    except ImportError:  # pragma: no cover - a dependency, but optional at run time
        return
    if sentry_sdk.is_initialized():
        sentry_sdk.set_tag("request_id", request_id)


@before_task_publish.connect(weak=False, dispatch_uid="core.logs.send_request_id")
def _send_request_id(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault("request_id", request_id)


# The worker's token per running task, reset when the task ends.
_task_tokens: dict[str, Token[str]] = {}


@task_prerun.connect(weak=False, dispatch_uid="core.logs.adopt_request_id")
def _adopt_request_id(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    given = getattr(getattr(task, "request", None), "request_id", None)
    if isinstance(given, str) and SANE_REQUEST_ID.fullmatch(given):
        _task_tokens[task_id] = _request_id.set(given)


@task_postrun.connect(weak=False, dispatch_uid="core.logs.drop_request_id")
def _drop_request_id(task_id: str = "", **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` (a handler filter, so records from every logger get it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            # Django logs some 4xx after the middleware returned (the context is reset by then);
            # those records carry the request itself.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", None) or current_request_id()
        return True


class QuietClientErrors(logging.Filter):
    """A 4xx is logged as one line: Django attaches the Http404 / PermissionDenied / bad
    request exception to its warning, which would print a traceback for an expected refusal."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", current_request_id()),
        }
        status = getattr(record, "status_code", None)
        if status is not None:
            entry["status"] = status
        request = getattr(record, "request", None)
        if isinstance(request, HttpRequest):
            entry["method"] = request.method
            entry["path"] = request.path
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)
