"""Invitations: an admin sends, resends and revokes them; the invitee opens the public link."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.entitlements import Feature, require_feature
from core.forms import add_service_error, error_text, render_form
from core.throttle import INVITATION_LINK, throttled_page
from orgs.decorators import admin_view
from orgs.selectors import party_detail
from orgs.session import ACTIVE_ORG_SESSION_KEY

from .. import selectors
from ..forms import ExistingAccountForm, InviteForm, NewAccountForm
from ..models import Invitation, InvitationStatus
from ..services import acceptance, invitations

ACCEPT_TEMPLATE = "partnerships/invitation_accept.html"


@admin_view
@require_feature(Feature.PARTNERSHIPS_CREATE)
def invite(request: HttpRequest) -> HttpResponse:
    scope = request.scope
    initial = {}
    party = None
    party_id = request.GET.get("party") or request.POST.get("party")
    if party_id:
        party = party_detail(scope, party_id)
        initial = {
            "company_name": party.name,
            "email": party.contact_email,
            "network_org": party.owner_id,
        }
    form = InviteForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _ = invitations.invitation_create(
                scope=scope,
                network_org=data["network_org"],
                company_name=data["company_name"],
                email=data["email"],
                relationship_type=data["relationship_type"],
                role=data["role"],
                terms=data["terms"],
                shared_locations=list(data["shared_locations"]),
                party=party,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, f"Invitation sent to {invitation.email} for {invitation.company_name}."
            )
            return redirect("partnerships:partnership_list")
    return render_form(request, "partnerships/invite.html", {"form": form, "party": party})


@admin_view
@require_POST
def invitation_action(request: HttpRequest, public_id: UUID, action: str) -> HttpResponse:
    invitation = selectors.invitation_detail(request.scope, public_id)
    if action not in ("resend", "revoke"):
        raise Http404
    try:
        if action == "resend":
            invitations.invitation_resend(scope=request.scope, invitation=invitation)
            messages.success(request, f"A new link was sent to {invitation.email}.")
        else:
            invitations.invitation_revoke(scope=request.scope, invitation=invitation)
            messages.success(request, f"The invitation to {invitation.email} was revoked.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("partnerships:partnership_list")


# --- the public link --------------------------------------------------------------------------


def _invalid(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(
        request, "partnerships/invitation_invalid.html", {"reason": reason}, status=status
    )


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows the invitation and changes nothing; POST accepts it. Links that name no
    invitation count against the client's address (core/throttle.py)."""
    if (wait := INVITATION_LINK.retry_after(request)) is not None:
        return throttled_page(request, wait, "invitation links that do not exist")
    try:
        invitation = invitations.unscoped_invitation_by_token(token)
    except invitations.InvitationNotFound:
        INVITATION_LINK.record_failure(request)
        return _invalid(request, "This invitation link is not valid.", 404)
    user = request.user if request.user.is_authenticated else None
    if (
        invitation.status == InvitationStatus.ACCEPTED
        and user is not None
        and invitation.accepted_by_id == user.pk
        and invitation.partnership_id
    ):
        # The same person clicking twice lands where the first click went.
        return redirect(
            "partnerships:partnership_welcome", public_id=invitation.partnership.public_id
        )
    try:
        invitations.check_usable(invitation)
    except invitations.InvitationNoLongerValid as exc:
        return _invalid(request, f"{exc.reason} This link is no longer valid.", 410)
    context: dict[str, Any] = {
        "invitation": invitation,
        "locations": invitation.shared_locations.order_by("code"),
        "role": invitation.get_role_display(),
    }
    if user is not None and user.email.lower() != invitation.email.lower():
        context["wrong_account"] = True
        return render(
            request, ACCEPT_TEMPLATE, context, status=403 if request.method == "POST" else 200
        )
    if user is None and selectors.account_exists(invitation.email):
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
        return render(request, ACCEPT_TEMPLATE, context)
    return _accept_form(request, token, invitation, user, context)


def _accept_form(
    request: HttpRequest, token: str, invitation: Invitation, user: Any, context: dict[str, Any]
) -> HttpResponse:
    """The form for a new account (no one logged in) or for choosing an organization to link."""
    if user is None:
        form = NewAccountForm(
            request.POST or None, initial={"organization_name": invitation.company_name}
        )
    else:
        form = ExistingAccountForm(request.POST or None, user=user)
    context["form"] = form
    if request.method != "POST":
        return render(request, ACCEPT_TEMPLATE, context)
    if not form.is_valid():
        return render(request, ACCEPT_TEMPLATE, context, status=400)
    try:
        result = _accept(request, token, user, form.cleaned_data)
    except invitations.InvitationNotFound:
        return _invalid(request, "This invitation link is not valid.", 404)
    except invitations.InvitationNoLongerValid as exc:
        return _invalid(request, f"{exc.reason} This link is no longer valid.", 410)
    except acceptance.WrongAccount:
        context["wrong_account"] = True
        return render(request, ACCEPT_TEMPLATE, context, status=403)
    except ValidationError as exc:
        add_service_error(form, exc)
        return render(request, ACCEPT_TEMPLATE, context, status=400)
    request.session[ACTIVE_ORG_SESSION_KEY] = str(result.organization.public_id)
    return redirect("partnerships:partnership_welcome", public_id=result.partnership.public_id)


def _accept(
    request: HttpRequest, token: str, user: Any, data: dict[str, Any]
) -> acceptance.AcceptResult:
    if user is not None:
        return acceptance.invitation_accept_existing(
            token=token, user=user, organization=data["organization"]
        )
    result = acceptance.invitation_accept_new_account(
        token=token,
        full_name=data["full_name"],
        password=data["password1"],
        organization_name=data["organization_name"],
    )
    login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    return result
