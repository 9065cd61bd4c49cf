"""Failure throttles per client address (docs/security-throttling.md).

Where a guess is a URL or a header rather than a password (password reset links, invitation
links, API tokens), every *failure* counts against the client's address; once an address has
`limit` failures within one window of `minutes`, the endpoint answers 429 with Retry-After for
the next `minutes`, whatever the address sends (a valid link or token too, so a guess cannot be
told from a hit). Correct use never counts.

Counts (django-ratelimit's counters) and blocks live in the "throttle" cache (settings.CACHES),
shared by every process: Redis when REDIS_URL is set, else the database cache.

    if (wait := INVITATION_LINK.retry_after(request)) is not None:
        return throttled_page(request, wait, "invitation links that do not exist")
    ...
    INVITATION_LINK.record_failure(request)

Logins are throttled by django-axes instead (accounts/throttle.py).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from dataclasses import dataclass

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, resolved as the login lockout resolves it (settings: REMOTE_ADDR
    unless TRUSTED_PROXY_COUNT says how many proxies append to X-Forwarded-For)."""
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR") or "0.0.0.0"


def _address(request: HttpRequest) -> str:
    """The address a count belongs to, as django-ratelimit's "ip" key masks it: an IPv6
    client is its /64 (one subscriber's prefix), an IPv4 client itself."""
    ip = client_ip(request)
    prefix = 64 if ":" in ip else 32
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


@dataclass(frozen=True, slots=True)
class FailureThrottle:
    """At most `limit` failures per client address (or, with `per="user"`, per signed-in user)
    per `minutes`-long window.

    django-ratelimit counts the failures (a fixed window per address); the failure that reaches
    the limit stores a block marker for the address, lasting `minutes`, so checking a request
    (every request, failures or not) is one cache read and writes nothing."""

    group: str
    limit: int
    minutes: int
    per: str = "address"  # or "user": the signed-in user's own count, whatever the address

    def _subject(self, request: HttpRequest) -> str:
        if self.per == "user":
            return f"user:{request.user.pk}"
        return _address(request)

    @property
    def rate(self) -> str:
        return f"{self.limit}/{self.minutes}m"

    def _marker(self, request: HttpRequest) -> str:
        return f"{self.group}:blocked:{self._subject(request)}"

    def retry_after(self, request: HttpRequest) -> int | None:
        """Seconds until this address may try again, or None when it is not throttled."""
        until = caches[settings.RATELIMIT_USE_CACHE].get(self._marker(request))
        if until is None:
            return None
        left = int(until - time.time())
        return left if left > 0 else None

    def record_failure(self, request: HttpRequest) -> None:
        key = "user" if self.per == "user" else "ip"
        usage = get_usage(request, group=self.group, key=key, rate=self.rate, increment=True)
        if usage is None or (usage["count"] < self.limit and not usage["should_limit"]):
            return
        # At the limit (or the counter could not be read, count 0 and should_limit: closed).
        left = self.minutes * 60
        caches[settings.RATELIMIT_USE_CACHE].set(
            self._marker(request), time.time() + left, timeout=left
        )
        logger.warning(
            "%s: %s blocked for %d min after %s failures",
            self.group,
            self._subject(request),
            self.minutes,
            usage["count"],
        )


# The thresholds, in one place (docs/security-throttling.md).
PASSWORD_RESET_LINK = FailureThrottle("throttle:password-reset-link", limit=10, minutes=15)
INVITATION_LINK = FailureThrottle("throttle:invitation-link", limit=10, minutes=15)
API_TOKEN = FailureThrottle("throttle:api-token", limit=20, minutes=15)
# Wrong passwords or codes on the two-factor management steps (turn off, new app, new backup
# codes), per signed-in user: a session holder cannot guess the password there.
TWO_FACTOR_CHECK = FailureThrottle("throttle:two-factor-check", limit=5, minutes=15, per="user")


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
