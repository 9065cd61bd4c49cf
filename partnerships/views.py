from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.entitlements import FEATURES, Feature, require_feature
from orgs.decorators import admin_view, scoped_view
from orgs.models import Party
from orgs.policy import Action, can
from orgs.policy import require as require_policy
from orgs.session import ACTIVE_ORG_SESSION_KEY

from . import selectors, services
from .forms import (
    ExistingAccountForm,
    InviteForm,
    MessageForm,
    NewAccountForm,
    PartnershipEditForm,
    PartyContactForm,
    PartyForm,
    PreferencesForm,
)
from .models import InvitationStatus, Notification, PartnershipStatus
from .notifications import preferences_for
from .preview import PREVIEW_SESSION_KEY, previewable


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- partnerships ---------------------------------------------------------------------------


@scoped_view
def partnership_list(request):
    scope = request.scope
    status = request.GET.get("status", "")
    if status not in PartnershipStatus.values:
        status = ""
    page = Paginator(selectors.partnership_list(scope, status=status), 50).get_page(
        request.GET.get("page")
    )
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


@admin_view
@require_feature(Feature.PARTNERSHIPS_CREATE)
def invite(request):
    scope = request.scope
    initial = {}
    party = None
    party_id = request.GET.get("party") or request.POST.get("party")
    if party_id:
        party = selectors.party_detail(scope, party_id)
        initial = {
            "company_name": party.name,
            "email": party.contact_email,
            "network_org": party.owner_id,
        }
    form = InviteForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, _ = services.invitation_create(
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
            form.add_error(None, _error_text(exc))
        else:
            messages.success(
                request, f"Invitation sent to {invitation.email} for {invitation.company_name}."
            )
            return redirect("partnerships:partnership_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request, "partnerships/invite.html", {"form": form, "party": party}, status=status
    )


@admin_view
@require_POST
def invitation_action(request, public_id, action):
    invitation = selectors.invitation_detail(request.scope, public_id)
    if action not in ("resend", "revoke"):
        raise Http404
    try:
        if action == "resend":
            services.invitation_resend(scope=request.scope, invitation=invitation)
            messages.success(request, f"A new link was sent to {invitation.email}.")
        else:
            services.invitation_revoke(scope=request.scope, invitation=invitation)
            messages.success(request, f"The invitation to {invitation.email} was revoked.")
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("partnerships:partnership_list")
    return redirect("partnerships:partnership_list")


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
            services.partnership_update(
                scope=scope,
                partnership=partnership,
                terms=form.cleaned_data["terms"],
                role=form.cleaned_data["role"],
                shared_locations=list(form.cleaned_data["shared_locations"]),
            )
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Partnership saved.")
            return redirect("partnerships:partnership_detail", public_id=partnership.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "partnerships/partnership_edit.html",
        {"partnership": partnership, "form": form},
        status=status,
    )


@admin_view
@require_POST
def partnership_end(request, public_id):
    partnership = selectors.partnership_detail(request.scope, public_id)
    try:
        services.partnership_end(scope=request.scope, partnership=partnership)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
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
                services.message_post(
                    scope=scope, partnership=partnership, body=form.cleaned_data["body"]
                )
            except ValidationError as exc:
                form.add_error("body", _error_text(exc))
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


@admin_view
@require_POST
def preview_start(request, public_id):
    scope = request.scope
    partnership = previewable(scope, str(public_id))
    if partnership is None:
        get_object_or_404(selectors.partnerships_for(scope), public_id=public_id)
        raise PermissionDenied("Only the inviting side's admins can preview an active partnership.")
    services.partnership_preview_start(scope=scope, partnership=partnership)
    request.session[PREVIEW_SESSION_KEY] = str(partnership.public_id)
    return redirect("dashboard")


@scoped_view
@require_POST
def preview_stop(request):
    public_id = request.session.pop(PREVIEW_SESSION_KEY, None)
    if public_id and not request.scope.read_only:
        services.partnership_preview_stop(scope=request.scope, partnership_public_id=public_id)
        return redirect("partnerships:partnership_detail", public_id=public_id)
    return redirect("partnerships:partnership_list")


# --- invitation links (public) ---------------------------------------------------------------


def _invalid(request, reason: str, status: int):
    return render(
        request, "partnerships/invitation_invalid.html", {"reason": reason}, status=status
    )


def accept_invitation(request, token):
    """GET shows the invitation and changes nothing; POST accepts it."""
    try:
        invitation = services.unscoped_invitation_by_token(token)
    except services.InvitationNotFound:
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
        services._check_usable(invitation)
    except services.InvitationNoLongerValid as exc:
        return _invalid(request, f"{exc.reason} This link is no longer valid.", 410)

    context = {
        "invitation": invitation,
        "locations": invitation.shared_locations.order_by("code"),
        "role": invitation.get_role_display(),
    }
    if user is not None and user.email.lower() != invitation.email.lower():
        context["wrong_account"] = True
        return render(
            request,
            "partnerships/invitation_accept.html",
            context,
            status=403 if request.method == "POST" else 200,
        )
    account_exists = user is not None or selectors.account_exists(invitation.email)
    if user is None and account_exists:
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
        return render(request, "partnerships/invitation_accept.html", context)

    if user is None:
        form = NewAccountForm(
            request.POST or None, initial={"organization_name": invitation.company_name}
        )
    else:
        form = ExistingAccountForm(request.POST or None, user=user)
    context["form"] = form
    if request.method != "POST":
        return render(request, "partnerships/invitation_accept.html", context)
    if not form.is_valid():
        return render(request, "partnerships/invitation_accept.html", context, status=400)
    try:
        if user is None:
            result = services.invitation_accept_new_account(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                organization_name=form.cleaned_data["organization_name"],
            )
            login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
        else:
            result = services.invitation_accept_existing(
                token=token, user=user, organization=form.cleaned_data["organization"]
            )
    except services.InvitationNotFound:
        return _invalid(request, "This invitation link is not valid.", 404)
    except services.InvitationNoLongerValid as exc:
        return _invalid(request, f"{exc.reason} This link is no longer valid.", 410)
    except services.WrongAccount:
        context["wrong_account"] = True
        return render(request, "partnerships/invitation_accept.html", context, status=403)
    except ValidationError as exc:
        form.add_error(None, _error_text(exc))
        return render(request, "partnerships/invitation_accept.html", context, status=400)
    request.session[ACTIVE_ORG_SESSION_KEY] = str(result.organization.public_id)
    return redirect("partnerships:partnership_welcome", public_id=result.partnership.public_id)


# --- notifications ---------------------------------------------------------------------------


@scoped_view
def notification_list(request):
    page = Paginator(selectors.notifications_for(request.scope), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "partnerships/notifications.html", {"page": page})


@scoped_view
@require_POST
def notification_read(request, public_id):
    notification = get_object_or_404(
        Notification.objects.visible_to(request.scope), public_id=public_id
    )
    services.notification_mark_read(scope=request.scope, notification=notification)
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    if request.htmx:
        return HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return redirect("partnerships:notification_list")


@scoped_view
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(scope=request.scope)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked read.")
    return redirect("partnerships:notification_list")


@scoped_view
def notification_preferences(request):
    scope = request.scope
    form = PreferencesForm(request.POST or None, initial=preferences_for(scope))
    if request.method == "POST" and form.is_valid():
        try:
            services.notification_preferences_set(scope=scope, channels=form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, _error_text(exc))
        else:
            messages.success(request, "Notification preferences saved.")
            return redirect("partnerships:notification_preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "partnerships/preferences.html", {"form": form}, status=status)


# --- parties -----------------------------------------------------------------------------------


@scoped_view
def party_list(request):
    scope = request.scope
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.parties_for(scope)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(reference__icontains=query))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    form = PartyForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require_policy(scope, Action.PARTY_CREATE)
        if form.is_valid():
            try:
                from orgs.models import Organization

                owner = Organization.objects.visible_to(scope).get(pk=scope.org_id)
                party = services.party_create(scope=scope, owner=owner, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            else:
                messages.success(request, f"{party.name} was added.")
                return redirect("partnerships:party_detail", public_id=party.public_id)
        status = 400
    return render(
        request,
        "partnerships/parties.html",
        {"page": page, "form": form, "query": query},
        status=status,
    )


@scoped_view
def party_detail(request, public_id):
    scope = request.scope
    party: Party = selectors.party_detail(scope, public_id)
    fields = [
        "name",
        "reference",
        "kind",
        "contact_name",
        "contact_email",
        "contact_phone",
        "notes",
    ]
    form = PartyForm(initial={f: getattr(party, f) for f in fields})
    contact_form = PartyContactForm()
    status = 200
    if request.method == "POST":
        require_policy(scope, Action.PARTY_EDIT, party)
        try:
            if request.POST.get("action") == "contact":
                contact_form = PartyContactForm(request.POST)
                if contact_form.is_valid():
                    services.party_contact_add(
                        scope=scope, party=party, **contact_form.cleaned_data
                    )
                    messages.success(request, "Contact added.")
                    return redirect("partnerships:party_detail", public_id=party.public_id)
            else:
                form = PartyForm(request.POST)
                if form.is_valid():
                    services.party_update(scope=scope, party=party, **form.cleaned_data)
                    messages.success(request, "Party saved.")
                    return redirect("partnerships:party_detail", public_id=party.public_id)
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
        status = 400
    return render(
        request,
        "partnerships/party_detail.html",
        {
            "party": party,
            "form": form,
            "contact_form": contact_form,
            "contacts": selectors.party_contacts(scope, party),
            "can_edit": can(scope, Action.PARTY_EDIT, party),
            "can_invite": can(scope, Action.INVITATION_SEND),
        },
        status=status,
    )
