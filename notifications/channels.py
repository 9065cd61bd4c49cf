"""How a person hears about one kind: in-app, email, both or off (a NotificationPreference row's
two flags, named for the preferences page)."""

from __future__ import annotations

CHANNEL_BOTH = "both"
CHANNEL_IN_APP = "in_app"
CHANNEL_EMAIL = "email"
CHANNEL_OFF = "off"
CHANNELS: list[tuple[str, str]] = [
    (CHANNEL_BOTH, "In-app and email"),
    (CHANNEL_IN_APP, "In-app only"),
    (CHANNEL_EMAIL, "Email only"),
    (CHANNEL_OFF, "Off"),
]


def channel_of(in_app: bool, email: bool) -> str:
    if in_app and email:
        return CHANNEL_BOTH
    if in_app:
        return CHANNEL_IN_APP
    if email:
        return CHANNEL_EMAIL
    return CHANNEL_OFF


def flags_of(channel: str) -> tuple[bool, bool]:
    """(in_app, email) for a channel."""
    return channel in (CHANNEL_BOTH, CHANNEL_IN_APP), channel in (CHANNEL_BOTH, CHANNEL_EMAIL)
