"""Two-factor sign-in for a person (docs/security-two-factor.md): set up an authenticator app
(TOTP), get ten one-time backup codes, check a code at sign-in, regenerate the codes, turn it
off. The devices are django-otp's; every change is audited on the user.

Checking a code is deliberately not one transaction with the caller: django-otp's throttle
(an exponential delay after each wrong code, kept on the device row) must be saved even when
the code is refused, so `code_check` lets `django_otp.verify_token` commit on its own (and so
do the services that re-authenticate with a code first: `reauthenticate`).
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from orgs.access import Scope
from orgs.audit import audit
from orgs.two_factor import unscoped_two_factor_required

from ..models import User
from ..selectors import backup_device, totp_device

log = logging.getLogger(__name__)

BACKUP_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
BACKUP_NAME = "Backup codes"
WRONG_CODE = (
    "That code is not valid. Enter the 6-digit code your authenticator app shows now, "
    "or one of your backup codes."
)
_TOTP_SHAPE = re.compile(r"^\d{6}$")


class CodeRefused(ValidationError):
    """A wrong code, or one tried too soon after wrong ones (`retry_at`)."""

    def __init__(self, message: str, retry_at: datetime | None = None):
        super().__init__(message)
        self.retry_at = retry_at


class ReauthRefused(ValidationError):
    """The password or current code asked before a change to two-factor sign-in was wrong (or
    missing: `guessed` is False then, and it is not counted as a guess)."""

    def __init__(self, message: str, guessed: bool = True):
        super().__init__(message)
        self.guessed = guessed


def normalise(code: str) -> str:
    """What a person types, as the devices store it: no spaces or dashes, lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def _check(user: User, device: Device | None, code: str) -> Device:
    """`code` against one device, throttled by django-otp; raises CodeRefused."""
    if device is None:
        raise CodeRefused(WRONG_CODE)
    allowed, details = device.verify_is_allowed()
    if not allowed:
        retry_at = (details or {}).get("locked_until")
        wait = max(1, int((retry_at - timezone.now()).total_seconds()) + 1) if retry_at else 1
        raise CodeRefused(
            f"Too many wrong codes in a row: wait {wait} seconds, then try again.", retry_at
        )
    verified = verify_token(user, device.persistent_id, code)
    if verified is None:
        log.warning("two-factor: wrong code for user %s (%s)", user.pk, device.persistent_id)
        raise CodeRefused(WRONG_CODE)
    return verified


def code_check(*, user: User, code: str) -> Device:
    """The device that accepts `code` at sign-in: the authenticator app for six digits, the
    backup codes otherwise (a backup code works once). Raises CodeRefused."""
    code = normalise(code)
    if _TOTP_SHAPE.match(code):
        return _check(user, totp_device(user, confirmed=True), code)
    return _check(user, backup_device(user), code)


def reauthenticate(*, user: User, password: str = "", code: str = "", to: str) -> None:
    """The person proves it is them again (the password, or a current code from the app or a
    backup code, which is then used up) before changing two-factor sign-in. Raises
    ReauthRefused, or CodeRefused for a wrong code; the caller throttles the failures."""
    if code:
        try:
            code_check(user=user, code=code)
        except CodeRefused as exc:
            raise ReauthRefused(" ".join(exc.messages)) from exc
        return
    message = f"Enter your password or a current code {to}."
    if not password:
        raise ReauthRefused(message, guessed=False)
    if not user.check_password(password):
        log.warning("two-factor: wrong password for user %s (re-authentication)", user.pk)
        raise ReauthRefused(message)


def two_factor_begin(*, user: User, password: str = "", code: str = "") -> TOTPDevice:
    """A new secret to scan, not yet in force: any earlier unfinished set-up is dropped. An app
    already in force stays so until the new one is confirmed (replacing a lost phone); replacing
    it needs the password or a current code first."""
    if totp_device(user, confirmed=True) is not None:
        reauthenticate(user=user, password=password, code=code, to="to move to a new app")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def _new_backup_codes(user: User) -> list[str]:
    device = backup_device(user)
    if device is None:
        device = StaticDevice.objects.create(user=user, name=BACKUP_NAME, confirmed=True)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
    return codes


def two_factor_confirm(
    *, scope: Scope | None, user: User, device: TOTPDevice, code: str, replacing: bool = False
) -> list[str]:
    """Put the app in force once it shows a right code; returns the new backup codes (shown
    once, never again). Raises CodeRefused for a wrong code. An app already in force is only
    replaced when `replacing` says this set-up was started with re-authentication."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Start the set-up again.")
    if not replacing and totp_device(user, confirmed=True) is not None:
        raise ValidationError("Start the move to a new app again, with your password.")
    code = normalise(code)
    if not _TOTP_SHAPE.match(code):
        raise CodeRefused("Enter the 6-digit code your authenticator app shows.")
    _check(user, device, code)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
        codes = _new_backup_codes(user)
        audit(scope=scope, action="user.two_factor_enable", target=user)
    return codes


def backup_codes_regenerate(
    *, scope: Scope | None, user: User, password: str = "", code: str = ""
) -> list[str]:
    """Ten new backup codes, after the password or a current code; the old ones stop working."""
    if totp_device(user, confirmed=True) is None:
        raise ValidationError("Turn on two-factor sign-in first.")
    reauthenticate(user=user, password=password, code=code, to="to get new backup codes")
    with transaction.atomic():
        codes = _new_backup_codes(user)
        audit(scope=scope, action="user.two_factor_backup_codes", target=user)
    return codes


def two_factor_disable(
    *, scope: Scope | None, user: User, password: str = "", code: str = ""
) -> None:
    """Turn two-factor sign-in off, proven by the password or a current code. Refused while an
    organization (or its network) requires it of this user."""
    if unscoped_two_factor_required(user.pk):
        raise ValidationError(
            "An organization you administer requires two-factor sign-in: it cannot be turned "
            "off. You can set up a new authenticator app instead."
        )
    reauthenticate(user=user, password=password, code=code, to="to turn it off")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit(scope=scope, action="user.two_factor_disable", target=user)
