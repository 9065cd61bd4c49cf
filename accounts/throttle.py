"""Login lockout (django-axes, database handler; thresholds in settings, "Throttling").

Two limits, counted over the failures of the last `AXES_COOLOFF_TIME`:

- `AXES_FAILURE_LIMIT` failures for one account from one client address lock that account for
  that address (a person mistyping elsewhere is not locked out by an attacker);
- `LOGIN_FAILURES_PER_ADDRESS` failures from one address, across accounts, lock the address.

axes compares one count with one limit, so `get_failures` reports the address-wide count scaled
onto the per-account limit. The lock ends `AXES_COOLOFF_TIME` after the last failure (a failure
while locked extends it). A successful login clears that account's failures from that address,
never the address-wide ones of other accounts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


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
    return str(raw).strip().lower()


def _pair_and_address(request: HttpRequest, credentials: dict[str, Any] | None) -> tuple[Q, Q]:
    username = login_username(request, credentials)
    address = request.axes_ip_address  # type: ignore[attr-defined]
    return Q(username=username, ip_address=address), Q(ip_address=address)


def _recent(request: HttpRequest):
    rows = AccessAttempt.objects.all()
    cool_off = get_cool_off(request)
    if cool_off is not None:
        rows = rows.filter(attempt_time__gte=timezone.now() - cool_off)
    return rows


class LoginLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials: dict | None = None) -> int:
        pair_q, address_q = _pair_and_address(request, credentials)
        rows = _recent(request)
        pair = rows.filter(pair_q).aggregate(n=Sum("failures_since_start"))["n"] or 0
        address = rows.filter(address_q).aggregate(n=Sum("failures_since_start"))["n"] or 0
        per_account = settings.AXES_FAILURE_LIMIT
        scaled = address * per_account // settings.LOGIN_FAILURES_PER_ADDRESS
        return max(pair, scaled)

    def reset_user_attempts(self, request, credentials: dict | None = None) -> int:
        """On a successful login: only this account's failures from this address."""
        pair_q, _ = _pair_and_address(request, credentials)
        count, _ = AccessAttempt.objects.filter(pair_q).delete()
        return count


def locked_until(request: HttpRequest, credentials: dict[str, Any] | None) -> datetime | None:
    """When the lock this request hit ends: the cool-off after the latest counted failure."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return None
    pair_q, address_q = _pair_and_address(request, credentials)
    latest = _recent(request).filter(pair_q | address_q).aggregate(t=Max("attempt_time"))["t"]
    return (latest or timezone.now()) + cool_off


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The login page again, saying the account is locked and until when (429, Retry-After)."""
    until = locked_until(request, credentials)
    now = timezone.now()
    retry_after = max(1, int((until - now).total_seconds())) if until else 3600
    minutes = -(-retry_after // 60)
    form = AuthenticationForm(request, initial={"username": login_username(request, credentials)})
    context = {
        "form": form,
        "locked_out": True,
        "locked_until": until,
        "retry_minutes": minutes,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    response = render(request, "registration/login.html", context, status=429)
    response["Retry-After"] = str(retry_after)
    return response
