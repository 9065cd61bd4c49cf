"""Service errors on forms, and the status of a re-rendered form.

Services refuse with django.core.exceptions.ValidationError (a plan limit is one too:
core.entitlements.LimitReached). A view catches it once and hands it to the form.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def add_service_error(form: BaseForm, exc: ValidationError) -> None:
    """Copy a service's refusal onto `form`.

    A plain message or a list of them becomes non-field errors; a dict (`{"sku": [...]}`)
    goes onto the fields the form has, and onto the form as a whole for any other key, so a
    service naming a field the form does not render is still shown, not a 500."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.error_list)


def error_text(exc: ValidationError) -> str:
    """Every message of a refusal in one line, for `messages.error` or an inline error."""
    return " ".join(exc.messages)


def form_status(request: HttpRequest) -> int:
    """A form shown again after a POST was refused (400); shown for the first time (200)."""
    return 400 if request.method == "POST" else 200


def render_form(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None
) -> HttpResponse:
    """Render a form page: 400 when a POST reaches it (the POST was refused), 200 on GET.

    Call it only after the success path has redirected."""
    return render(request, template, context, status=form_status(request))
