"""The partnerships themselves: list, detail (with the message thread), welcome, edit, end."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.entitlements import FEATURES, Feature
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from orgs.decorators import admin_view, scoped_view
from orgs.policy import Action, can
from orgs.policy import require as require_policy

from .. import selectors
from ..forms import MessageForm, PartnershipEditForm
from ..models import PartnershipStatus
from ..services import messages as message_services
from ..services import partnerships


@scoped_view
def partnership_list(request):
    scope = request.scope
    status = request.GET.get("status", "")
    if status not in PartnershipStatus.values:
        status = ""
    page = paginate(request, selectors.partnership_list(scope, status=status), 50)
    page.object_list = selectors.with_shared_counts(scope, list(page.object_list))
    can_invite = can(scope, Action.INVITATION_SEND)
    invitations = list(selectors.pending_invitations(scope)[:50]) if can_invite else []
    return render(
        request,
        "partnerships/partnership_list.html",
        {
            "page": page,
            "status": status,
            "statuses": PartnershipStatus.choices,
            "can_invite": can_invite,
            "invitations": invitations,
        },
    )


def _detail_context(request, partnership, **extra):
    scope = request.scope
    rel = partnership.relationship
    is_network_side = rel.parent_id in scope.org_ids
    context = {
        "partnership": partnership,
        "network_org": rel.parent,
        "partner_org": rel.child,
        "relationship": rel,
        "is_network_side": is_network_side,
        "shared_locations": selectors.shared_locations(scope, partnership),
        "thread": selectors.messages_for(scope, partnership),
        "message_form": MessageForm(),
        "can_post": (
            partnership.status == PartnershipStatus.ACTIVE
            and can(scope, Action.PARTNERSHIP_MESSAGE, partnership)
        ),
        "can_edit": (
            is_network_side
            and partnership.status != PartnershipStatus.ENDED
            and can(scope, Action.PARTNERSHIP_EDIT_TERMS, partnership)
        ),
        "can_end": (
            partnership.status == PartnershipStatus.ACTIVE
            and can(scope, Action.PARTNERSHIP_END, partnership)
        ),
        "can_preview": (
            partnership.status == PartnershipStatus.ACTIVE
            and is_network_side
            and can(scope, Action.PARTNERSHIP_PREVIEW, partnership)
        ),
    }
    context.update(extra)
    return context


@scoped_view
def partnership_detail(request, public_id):
    partnership = selectors.partnership_detail(request.scope, public_id)
    return render(
        request, "partnerships/partnership_detail.html", _detail_context(request, partnership)
    )


@scoped_view
def partnership_welcome(request, public_id):
    """The first page a partner sees after accepting: what it can see and do, and the upgrade."""
    scope = request.scope
    partnership = selectors.partnership_detail(scope, public_id)
    can = [FEATURES[Feature(f)].label for f in FEATURES if scope.has(f)]
    cannot = [(row.label, f) for f, row in FEATURES.items() if not scope.has(f)]
    return render(
        request,
        "partnerships/welcome.html",
        _detail_context(request, partnership, can=can, cannot=cannot),
    )


@admin_view
def partnership_edit(request, public_id):
    scope = request.scope
    partnership = selectors.partnership_detail(scope, public_id)
    require_policy(scope, Action.PARTNERSHIP_EDIT_TERMS, partnership)
    form = PartnershipEditForm(
        request.POST or None,
        scope=scope,
        partnership=partnership,
        initial={
            "role": partnership.role,
            "terms": partnership.terms,
            "shared_locations": list(partnership.shared_locations.values_list("pk", flat=True)),
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            partnerships.partnership_update(
                scope=scope,
                partnership=partnership,
                terms=form.cleaned_data["terms"],
                role=form.cleaned_data["role"],
                shared_locations=list(form.cleaned_data["shared_locations"]),
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Partnership saved.")
            return redirect("partnerships:partnership_detail", public_id=partnership.public_id)
    return render_form(
        request,
        "partnerships/partnership_edit.html",
        {"partnership": partnership, "form": form},
    )


@admin_view
@require_POST
def partnership_end(request, public_id):
    partnership = selectors.partnership_detail(request.scope, public_id)
    try:
        partnerships.partnership_end(scope=request.scope, partnership=partnership)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, "The partnership has ended; shared access is removed.")
    return redirect("partnerships:partnership_detail", public_id=partnership.public_id)


@scoped_view
def partnership_messages(request, public_id):
    """GET: the thread (partial). POST: post a message; htmx swaps the thread in place."""
    scope = request.scope
    partnership = selectors.partnership_detail(scope, public_id)
    form = MessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message_services.message_post(
                    scope=scope,
                    partnership=partnership,
                    body=form.cleaned_data["body"],
                    idempotency_key=form.cleaned_data["idempotency_key"],
                )
            except ValidationError as exc:
                form.add_error("body", error_text(exc))
                status = 400
            else:
                form = MessageForm()
                if not request.htmx:
                    return redirect(
                        reverse("partnerships:partnership_detail", args=[partnership.public_id])
                        + "#messages"
                    )
        else:
            status = 400
        if status == 400 and not request.htmx:
            return render(
                request,
                "partnerships/partnership_detail.html",
                _detail_context(request, partnership, message_form=form),
                status=400,
            )
    if request.method == "GET" and request.GET.get("part") == "list":
        # The thread polls for new messages without touching the form being typed in.
        return render(
            request,
            "partnerships/_thread_messages.html",
            {"partnership": partnership, "thread": selectors.messages_for(scope, partnership)},
        )
    context = _detail_context(request, partnership, message_form=form)
    # htmx swaps need a 2xx to be applied: show the form error inside the partial.
    return render(
        request,
        "partnerships/_thread.html",
        context,
        status=200 if request.htmx else status,
    )
