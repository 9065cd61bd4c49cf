"""Two-factor sign-in pages (docs/security-two-factor.md): the second sign-in step after
Django's LoginView, and the set-up, backup codes and turning it off from the profile.

Kept apart from views.py so that the login throttling (which wraps the first step) and this
second step change different files."""

from __future__ import annotations

from base64 import b32encode
from datetime import timedelta

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice

from core.forms import add_service_error, render_form
from core.throttle import TWO_FACTOR_CHECK, retry_minutes
from orgs.two_factor import (
    TwoFactorState,
    forget_two_factor_state,
    two_factor_state,
    unscoped_two_factor_required,
)

from .forms import CodeForm, DisableTwoFactorForm, ReauthForm
from .selectors import backup_codes_left, totp_device
from .services import two_factor as services


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/dashboard/"


@never_cache
def login_verify(request):
    """The second sign-in step: a code from the app, or a backup code."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if two_factor_state(request) is not TwoFactorState.VERIFY:
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.code_check(user=request.user, code=form.cleaned_data["code"])
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            request.session.cycle_key()
            otp_login(request, device)
            forget_two_factor_state(request)
            if isinstance(device, StaticDevice):
                left = backup_codes_left(request.user)
                messages.warning(
                    request,
                    f"You signed in with a backup code; {left} left. "
                    "Generate new ones from your profile if you run low.",
                )
            return redirect(_next_url(request))
    return render_form(
        request, "registration/login_verify.html", {"form": form, "next": _next_url(request)}
    )


def _secret_text(device) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_svg(device) -> str:
    return segno.make(device.config_url, error="m").svg_inline(
        scale=4, dark="#111", light="#fff", title="QR code for your authenticator app"
    )


# The set-up started (with re-authentication) in this session to replace the app in force.
REPLACING = "two_factor_replacing"


def _page(
    request: HttpRequest,
    *,
    status: int = 200,
    error: str = "",
    disable_form: DisableTwoFactorForm | None = None,
) -> HttpResponse:
    """The two-factor page; `error` says why a change was refused."""
    user = request.user
    context = {
        "device": totp_device(user, confirmed=True),
        "codes_left": backup_codes_left(user),
        "required": unscoped_two_factor_required(user.pk),
        "disable_form": disable_form or DisableTwoFactorForm(),
        "move_form": ReauthForm(auto_id="id_move_%s"),
        "codes_form": ReauthForm(auto_id="id_codes_%s"),
        "error": error,
    }
    return render(request, "accounts/two_factor.html", context, status=status)


def _blocked(request: HttpRequest) -> HttpResponse | None:
    """429 while this user's wrong passwords or codes on these pages are throttled."""
    wait = TWO_FACTOR_CHECK.retry_after(request)
    if wait is None:
        return None
    until = timezone.localtime(timezone.now() + timedelta(seconds=wait))
    minutes = retry_minutes(wait)
    error = (
        "Too many wrong passwords or codes: changes to two-factor sign-in are locked for your "
        f"account. Try again after {until:%H:%M} {until.tzname()} "
        f"(in about {minutes} minute{'s' if minutes != 1 else ''})."
    )
    response = _page(request, status=429, error=error)
    response["Retry-After"] = str(wait)
    return response


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    """Count a wrong password or code (not an empty form, not a policy refusal)."""
    if isinstance(exc, services.ReauthRefused) and exc.guessed:
        TWO_FACTOR_CHECK.record_failure(request)


@login_required
@never_cache
def two_factor(request):
    """Where a person sees, starts, and turns off two-factor sign-in."""
    return _page(request)


@login_required
@require_POST
def two_factor_start(request):
    """Start a set-up; replacing the app in force needs the password or a current code."""
    if (blocked := _blocked(request)) is not None:
        return blocked
    replacing = totp_device(request.user, confirmed=True) is not None
    form = ReauthForm(request.POST)
    form.is_valid()
    try:
        device = services.two_factor_begin(
            user=request.user,
            password=form.cleaned_data.get("password", ""),
            code=form.cleaned_data.get("code", ""),
        )
    except ValidationError as exc:
        _refused(request, exc)
        return _page(request, status=400, error=" ".join(exc.messages))
    if replacing:
        request.session[REPLACING] = device.pk
    return redirect("accounts:two_factor_setup")


@login_required
@never_cache
def two_factor_setup(request):
    """Scan the QR code (or type the secret), then confirm with a code from the app."""
    device = totp_device(request.user, confirmed=False)
    if device is None:
        return redirect("accounts:two_factor")
    replacing = totp_device(request.user, confirmed=True) is not None
    if replacing and request.session.get(REPLACING) != device.pk:
        # Not started here with the password or a code: neither the secret nor the swap.
        messages.error(request, "Start the move to a new app again, with your password.")
        return redirect("accounts:two_factor")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.two_factor_confirm(
                scope=request.scope,
                user=request.user,
                device=device,
                code=form.cleaned_data["code"],
                replacing=replacing,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            request.session.pop(REPLACING, None)
            device.refresh_from_db()
            otp_login(request, device)
            forget_two_factor_state(request)
            messages.success(request, "Two-factor sign-in is on.")
            return render(request, "accounts/two_factor_codes.html", {"codes": codes})
    context = {"form": form, "qr": _qr_svg(device), "secret": _secret_text(device)}
    return render_form(request, "accounts/two_factor_setup.html", context)


@login_required
@require_POST
@never_cache
def two_factor_backup_codes(request):
    if (blocked := _blocked(request)) is not None:
        return blocked
    form = ReauthForm(request.POST)
    form.is_valid()
    try:
        codes = services.backup_codes_regenerate(
            scope=request.scope,
            user=request.user,
            password=form.cleaned_data.get("password", ""),
            code=form.cleaned_data.get("code", ""),
        )
    except ValidationError as exc:
        _refused(request, exc)
        return _page(request, status=400, error=" ".join(exc.messages))
    return render(request, "accounts/two_factor_codes.html", {"codes": codes})


@login_required
@require_POST
def two_factor_disable(request):
    if (blocked := _blocked(request)) is not None:
        return blocked
    form = DisableTwoFactorForm(request.POST)
    if form.is_valid():
        try:
            services.two_factor_disable(
                scope=request.scope,
                user=request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except ValidationError as exc:
            _refused(request, exc)
            add_service_error(form, exc)
        else:
            forget_two_factor_state(request)
            messages.success(request, "Two-factor sign-in is off.")
            return redirect("accounts:two_factor")
    return _page(request, status=400, disable_form=form)
