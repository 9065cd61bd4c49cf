"""A person's notifications (list, mark read) and their per-kind preferences."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from core.forms import add_service_error, render_form
from core.paging import paginate
from orgs.decorators import scoped_view

from . import selectors, services
from .forms import PreferencesForm


@scoped_view
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, selectors.notifications_for(request.scope), 50)
    return render(request, "notifications/notifications.html", {"page": page})


@scoped_view
@require_POST
def notification_read(request: HttpRequest, public_id: UUID) -> HttpResponse:
    notification = selectors.notification_detail(request.scope, public_id)
    services.notification_mark_read(scope=request.scope, notification=notification)
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("notifications:notification_list")


@scoped_view
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = services.notifications_mark_all_read(scope=request.scope)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("notifications:notification_list")


@scoped_view
def notification_preferences(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    form = PreferencesForm(request.POST or None, initial=selectors.preferences_for(scope))
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_set(scope=scope, channels=form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("notifications:notification_preferences")
    return render_form(request, "notifications/preferences.html", {"form": form})
