"""Login lockout (django-axes, database handler; thresholds in settings, "Throttling").

Three limits, counted over the failures of the last `AXES_COOLOFF_TIME`:

- `AXES_FAILURE_LIMIT` failures for one account from one client address lock that account for
  that address (a person mistyping elsewhere is not locked out by an attacker);
- `LOGIN_FAILURES_PER_ADDRESS` failures from one address, across accounts, lock the address;
- `LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS` failures for one account, from any addresses, lock
  the account everywhere (guessing spread over many addresses).

axes compares one count with one limit, so `get_failures` reports the largest of the three
counts, the address-wide and account-wide ones scaled onto the per-account limit. The lock ends `AXES_COOLOFF_TIME` after the last failure (a failure
while locked extends it). A successful login clears that account's failures from that address,
never the address-wide ones of other accounts.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from functools import reduce
from operator import or_
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

USERNAME_MAX = 255  # axes' AccessAttempt.username


def login_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The account a login names, as axes records it: emails are case-insensitive here, so
    `Vmi@…` and `vmi@…` count against the same account."""
    raw = None
    if credentials:
        raw = credentials.get("username") or credentials.get("email")
    if raw is None and request is not None:
        raw = request.POST.get("username")
    if not raw:
        return None
    # axes stores it in a varchar(255); no account's email is longer (254), so a longer name
    # is a failure like any other, recorded under its first 255 characters.
    return str(raw).strip().lower()[:USERNAME_MAX]


class Lock(Enum):
    """Which limit a login hit, as the lockout page explains it."""

    ACCOUNT_FROM_ADDRESS = "account_from_address"
    ADDRESS = "address"
    ACCOUNT = "account"


def _filters(request: HttpRequest, credentials: dict[str, Any] | None) -> dict[Lock, Q]:
    username = login_username(request, credentials)
    address = request.axes_ip_address  # type: ignore[attr-defined]
    filters = {
        Lock.ACCOUNT_FROM_ADDRESS: Q(username=username, ip_address=address),
        Lock.ADDRESS: Q(ip_address=address),
    }
    if username:
        filters[Lock.ACCOUNT] = Q(username=username)
    return filters


def _limits() -> dict[Lock, int]:
    return {
        Lock.ACCOUNT_FROM_ADDRESS: settings.AXES_FAILURE_LIMIT,
        Lock.ADDRESS: settings.LOGIN_FAILURES_PER_ADDRESS,
        Lock.ACCOUNT: settings.LOGIN_FAILURES_PER_ACCOUNT_ANY_ADDRESS,
    }


def _counts(request: HttpRequest, credentials: dict[str, Any] | None) -> dict[Lock, int]:
    """The recent failures each limit counts, in one query."""
    filters = _filters(request, credentials)
    sums = {
        lock.value: Coalesce(Sum("failures_since_start", filter=q), 0)
        for lock, q in filters.items()
    }
    row = _recent(request).filter(reduce(or_, filters.values())).aggregate(**sums)
    return {lock: row[lock.value] for lock in filters}


def reached(request: HttpRequest, credentials: dict[str, Any] | None) -> list[Lock]:
    """The limits this login has reached, the narrowest first."""
    limits = _limits()
    return [lock for lock, n in _counts(request, credentials).items() if n >= limits[lock]]


def _recent(request: HttpRequest):
    rows = AccessAttempt.objects.all()
    cool_off = get_cool_off(request)
    if cool_off is not None:
        rows = rows.filter(attempt_time__gte=timezone.now() - cool_off)
    return rows


class LoginLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        """The largest count, each scaled onto axes' one limit (`AXES_FAILURE_LIMIT`): 20 of
        20 reads as 5 of 5, 19 of 20 as 4."""
        per_account = settings.AXES_FAILURE_LIMIT
        limits = _limits()
        return max(
            n * per_account // limits[lock] for lock, n in _counts(request, credentials).items()
        )

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """On a successful login: only this account's failures from this address."""
        pair_q = _filters(request, credentials)[Lock.ACCOUNT_FROM_ADDRESS]
        count, _ = AccessAttempt.objects.filter(pair_q).delete()
        return count


def locked_until(
    request: HttpRequest, credentials: dict[str, Any] | None, locks: list[Lock]
) -> datetime | None:
    """When the locks this request hit end: the cool-off after their latest counted failure."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    filters = _filters(request, credentials)
    wanted = [filters[lock] for lock in locks if lock in filters] or list(filters.values())
    latest = _recent(request).filter(reduce(or_, wanted)).aggregate(t=Max("attempt_time"))["t"]
    return (latest or timezone.now()) + cool_off


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page again, saying what is locked (the account from this address, the address,
    or the account from everywhere) and until when (429, Retry-After)."""
    locks = reached(request, credentials) or [Lock.ACCOUNT_FROM_ADDRESS]
    until = locked_until(request, credentials, locks)
    now = timezone.now()
    retry_after = max(1, int((until - now).total_seconds())) if until else 3600
    minutes = -(-retry_after // 60)
    form = AuthenticationForm(request, initial={"username": login_username(request, credentials)})
    context = {
        "form": form,
        "locked_out": True,
        # The broadest lock reached is the one to explain: from everywhere, then the network.
        "lock": next(lock for lock in reversed(Lock) if lock in locks).value,
        "locked_until": until,
        "retry_minutes": minutes,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
