from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string


def queue_email(*, to: list[str], template: str, context: dict) -> None:
    """Render `<template>.txt`/`.html` (first line of .txt is the subject); send after commit."""
    from .tasks import send_email

    text = render_to_string(f"{template}.txt", context)
    subject, _, body = text.partition("\n")
    html = render_to_string(f"{template}.html", context)
    transaction.on_commit(
        lambda: send_email.delay(to=to, subject=subject.strip(), text=body.lstrip(), html=html)
    )
