"""Two-factor sign-in for a person (docs/security-two-factor.md): set up an authenticator app
(TOTP), get ten one-time backup codes, check a code at sign-in, regenerate the codes, turn it
off. The devices are django-otp's; every change is audited on the user.

Checking a code is deliberately not one transaction with the caller: django-otp's throttle
(an exponential delay after each wrong code, kept on the device row) must be saved even when
the code is refused, so `code_check` lets `django_otp.verify_token` commit on its own.
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


@transaction.atomic
def two_factor_begin(*, user: User) -> TOTPDevice:
    """A new secret to scan, not yet in force: any earlier unfinished set-up is dropped. An app
    already in force stays so until the new one is confirmed (replacing a lost phone)."""
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
    *, scope: Scope | None, user: User, device: TOTPDevice, code: str
) -> list[str]:
    """Put the app in force once it shows a right code; returns the new backup codes (shown
    once, never again). Raises CodeRefused for a wrong code."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("Start the set-up again.")
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


@transaction.atomic
def backup_codes_regenerate(*, scope: Scope | None, user: User) -> list[str]:
    """Ten new backup codes; the old ones stop working."""
    if totp_device(user, confirmed=True) is None:
        raise ValidationError("Turn on two-factor sign-in first.")
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
    if code:
        code_check(user=user, code=code)
    elif not (password and user.check_password(password)):
        raise ValidationError("Enter your password or a current code to turn it off.")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit(scope=scope, action="user.two_factor_disable", target=user)
