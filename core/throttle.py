"""Failure throttles per client address (docs/security-throttling.md).

Where a guess is a URL or a header rather than a password (password reset links, invitation
links, API tokens), every *failure* counts against the client's address; once an address has
`limit` failures in the current window, the endpoint answers 429 with Retry-After until the
window ends, whatever it sends. Correct use never counts.

Counts live in django-ratelimit's counters in the "throttle" cache (settings.CACHES), shared by
every process: Redis when REDIS_URL is set, else the database cache.

    if (wait := INVITATION_LINK.retry_after(request)) is not None:
        return throttled_page(request, wait)
    ...
    INVITATION_LINK.record_failure(request)

Logins are throttled by django-axes instead (accounts/throttle.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage


def client_ip(request: HttpRequest) -> str:
    """The client's address, resolved as the login lockout resolves it (settings: REMOTE_ADDR
    unless TRUSTED_PROXY_COUNT says how many proxies append to X-Forwarded-For)."""
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "0.0.0.0"


@dataclass(frozen=True, slots=True)
class FailureThrottle:
    """At most `limit` failures per client address per `minutes`-long window."""

    group: str
    limit: int
    minutes: int

    @property
    def rate(self) -> str:
        return f"{self.limit}/{self.minutes}m"

    def _usage(self, request: HttpRequest, *, increment: bool) -> dict | None:
        return get_usage(request, group=self.group, key="ip", rate=self.rate, increment=increment)

    def retry_after(self, request: HttpRequest) -> int | None:
        """Seconds until this address may try again, or None when it is not throttled."""
        usage = self._usage(request, increment=False)
        if usage is None:  # RATELIMIT_ENABLE off
            return None
        if usage["count"] < self.limit and not (usage["limit"] == 0 and usage["should_limit"]):
            return None
        # An unreadable cache fails closed (count 0, limit 0, no time left): a minute.
        return usage["time_left"] if usage["time_left"] > 0 else 60

    def record_failure(self, request: HttpRequest) -> None:
        self._usage(request, increment=True)


# The thresholds, in one place (docs/security-throttling.md).
PASSWORD_RESET_LINK = FailureThrottle("throttle:password-reset-link", limit=10, minutes=15)
INVITATION_LINK = FailureThrottle("throttle:invitation-link", limit=10, minutes=15)
API_TOKEN = FailureThrottle("throttle:api-token", limit=20, minutes=15)


def retry_minutes(seconds: int) -> int:
    return max(1, -(-seconds // 60))


def throttled_page(request: HttpRequest, retry_after: int, what: str) -> HttpResponse:
    """429 for a browser: what was refused and when to try again, with Retry-After."""
    response = render(
        request,
        "errors/429.html",
        {"what": what, "retry_minutes": retry_minutes(retry_after)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response
