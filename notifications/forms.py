from __future__ import annotations

from typing import Any

from django import forms

from core.enums import NotificationKind

from .channels import CHANNELS


class PreferencesForm(forms.Form):
    """One choice of channel per NotificationKind: every kind a sender may raise is listed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for kind, label in NotificationKind.choices:
            self.fields[kind] = forms.ChoiceField(choices=CHANNELS, label=label)
