from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.entitlements import Feature, require_feature
from core.exports import csv_response
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate
from core.throttle import INVITATION_LINK, throttled_page

from . import selectors
from .decorators import admin_view, scoped_view
from .forms import (
    AuditLogFilterForm,
    ChildOrganizationForm,
    JoinNewAccountForm,
    LocationForm,
    MemberInviteForm,
    MemberLocationsForm,
    MemberRoleForm,
    PartyContactForm,
    PartyForm,
    RelationshipForm,
    TwoFactorPolicyForm,
)
from .models import (
    Location,
    LocationKind,
    Membership,
    MembershipInvitation,
    MembershipInvitationStatus,
    Organization,
)
from .policy import Action, can, require
from .services import membership_invitations as invites
from .services import organizations as services
from .services import parties
from .services.security import organization_set_two_factor_policy
from .session import ACTIVE_ORG_SESSION_KEY


@scoped_view
def network(request):
    roots, upstream = selectors.network_tree(request.scope)
    return render(request, "orgs/network.html", {"roots": roots, "upstream": upstream})


@scoped_view
def organization_detail(request, public_id):
    scope = request.scope
    org = selectors.organization_detail(scope, public_id)
    full_access = scope.owns(org.pk)
    relationship = selectors.relationship_for(scope, org)
    context = {
        "org": org,
        "full_access": full_access,
        "relationship": relationship,
        "locations": selectors.organization_locations(scope, org),
        "shared_locations": selectors.partnership_shared_locations(scope, relationship),
        "can_administer": scope.can_administer(org.pk),
    }
    if context["can_administer"]:
        context["members"] = selectors.organization_members(scope, org)
        context["invitations"] = selectors.membership_invitations_pending(scope, org)
        context["invite_form"] = MemberInviteForm(scope=scope)
        context["role_form"] = MemberRoleForm(scope=scope)
        context["child_form"] = ChildOrganizationForm()
    if can(scope, Action.ORGANIZATION_REQUIRE_TWO_FACTOR, org):
        context["two_factor_form"] = TwoFactorPolicyForm(scope=scope, organization=org)
    return render(request, "orgs/organization_detail.html", context)


@admin_view
def organization_two_factor(request, public_id):
    """The organization's two-factor requirement (docs/security-two-factor.md)."""
    org = _administered_org(request, public_id, Action.ORGANIZATION_REQUIRE_TWO_FACTOR)
    form = TwoFactorPolicyForm(request.POST or None, scope=request.scope, organization=org)
    if request.method == "POST" and form.is_valid():
        try:
            organization_set_two_factor_policy(
                scope=request.scope,
                organization=org,
                require_admins=form.cleaned_data["require_admins"],
                require_network=form.cleaned_data.get("require_network") if form.network else None,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Two-factor requirement saved.")
            return redirect("orgs:organization_detail", public_id=org.public_id)
    return render_form(request, "orgs/organization_two_factor.html", {"org": org, "form": form})


def _administered_org(request, public_id, action: Action):
    org = selectors.organization_detail(request.scope, public_id)
    require(request.scope, action, org)
    return org


@admin_view
def member_invite(request, public_id):
    org = _administered_org(request, public_id, Action.MEMBERSHIP_INVITE)
    form = MemberInviteForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            invites.membership_invite(scope=request.scope, organization=org, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {form.cleaned_data['email']}. "
                "They become a member when they accept it.",
            )
            return redirect("orgs:organization_detail", public_id=org.public_id)
    return render_form(request, "orgs/member_invite.html", {"org": org, "form": form})


@admin_view
@require_POST
def member_invitation_action(request, public_id, action):
    """Resend or revoke a pending membership invitation (the members page's buttons)."""
    if action not in ("resend", "revoke"):
        raise Http404
    invitation = selectors.membership_invitation_detail(request.scope, public_id)
    try:
        if action == "resend":
            invites.membership_invitation_resend(scope=request.scope, invitation=invitation)
            messages.success(request, f"A new link was sent to {invitation.email}.")
        else:
            invites.membership_invitation_revoke(scope=request.scope, invitation=invitation)
            messages.success(request, f"The invitation to {invitation.email} was revoked.")
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    return redirect("orgs:organization_detail", public_id=invitation.organization.public_id)


# --- the invitee's link (public: the token is the credential) --------------------------------

JOIN_TEMPLATE = "orgs/membership_invitation.html"


def _join_closed(request: HttpRequest, reason: str, status: int) -> HttpResponse:
    return render(
        request, "orgs/membership_invitation_invalid.html", {"reason": reason}, status=status
    )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """A membership invitation's link. GET shows it and changes nothing; POST answers it
    (`answer=accept` or `answer=decline`). Unknown link → 404; used, declined, revoked or
    expired → 410; logged in as someone else → refused (403). Unknown links count against the
    client's address, with the partnership invitation links (core/throttle.py)."""
    if (wait := INVITATION_LINK.retry_after(request)) is not None:
        return throttled_page(request, wait, "invitation links that do not exist")
    try:
        invitation = invites.unscoped_membership_invitation_by_token(token)
    except invites.MembershipInvitationNotFound:
        INVITATION_LINK.record_failure(request)
        return _join_closed(request, "This invitation link is not valid.", 404)
    user = request.user if request.user.is_authenticated else None
    if (
        invitation.status == MembershipInvitationStatus.ACCEPTED
        and user is not None
        and invitation.accepted_by_id == user.pk
    ):
        return redirect("dashboard")  # the same person clicking twice
    try:
        invites.check_usable(invitation)
    except invites.MembershipInvitationNoLongerValid as exc:
        return _join_closed(request, f"{exc.reason} This link is no longer valid.", 410)
    context: dict = {"invitation": invitation, "role": invitation.get_role_display()}
    posted = request.method == "POST"
    if user is not None and user.email.lower() != invitation.email.lower():
        context["wrong_account"] = True
        return render(request, JOIN_TEMPLATE, context, status=403 if posted else 200)
    account = user or invites.unscoped_account_for(invitation.email)
    needs_password = account is None or not account.has_usable_password()
    if user is None and not needs_password:
        context["login_url"] = f"{reverse('accounts:login')}?next={request.path}"
    form = None
    if user is None and needs_password:
        form = JoinNewAccountForm(
            request.POST if posted else None, initial={"full_name": invitation.full_name}
        )
        context["form"] = form
    if not posted:
        return render(request, JOIN_TEMPLATE, context)
    return _answer(request, token, invitation, user, form, context)


def _answer(
    request: HttpRequest,
    token: str,
    invitation: MembershipInvitation,
    user,
    form: JoinNewAccountForm | None,
    context: dict,
) -> HttpResponse:
    answer = request.POST.get("answer")
    try:
        if answer == "decline":
            invites.membership_invitation_decline(token=token, user=user)
            return render(request, "orgs/membership_invitation_declined.html", context)
        if answer != "accept":
            messages.error(request, "Choose accept or decline.")
            return render(request, JOIN_TEMPLATE, context, status=400)
        if user is not None:
            membership = invites.membership_invitation_accept(token=token, user=user)
        elif form is None:
            # An account exists for the address: accepting needs its owner logged in.
            return render(request, JOIN_TEMPLATE, context, status=403)
        elif not form.is_valid():
            return render(request, JOIN_TEMPLATE, context, status=400)
        else:
            membership = invites.membership_invitation_accept_new_account(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
    except invites.MembershipInvitationNotFound:
        return _join_closed(request, "This invitation link is not valid.", 404)
    except invites.MembershipInvitationNoLongerValid as exc:
        return _join_closed(request, f"{exc.reason} This link is no longer valid.", 410)
    except invites.WrongAccount:
        context["wrong_account"] = True
        return render(request, JOIN_TEMPLATE, context, status=403)
    except ValidationError as exc:
        if form is not None:
            add_service_error(form, exc)
        else:
            messages.error(request, error_text(exc))
        return render(request, JOIN_TEMPLATE, context, status=400)
    organization = invitation.organization
    request.session[ACTIVE_ORG_SESSION_KEY] = str(organization.public_id)
    services.user_remember_active_organization(
        user=membership.user, organization_id=organization.pk
    )
    messages.success(request, f"Welcome to {organization.name}.")
    return redirect("dashboard")


def _member(request, public_id) -> Membership:
    return get_object_or_404(
        Membership.objects.visible_to(request.scope).select_related("organization", "user"),
        public_id=public_id,
    )


@admin_view
def member_edit(request, public_id):
    membership = _member(request, public_id)
    require(request.scope, Action.MEMBERSHIP_SET_LOCATIONS, membership)
    role_form = MemberRoleForm(initial={"role": membership.role}, scope=request.scope)
    locations_form = MemberLocationsForm(
        initial={"locations": selectors.member_locations(request.scope, membership)},
        scope=request.scope,
        organization=membership.organization,
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "role":
                role_form = MemberRoleForm(request.POST, scope=request.scope)
                if role_form.is_valid():
                    services.membership_change_role(
                        scope=request.scope,
                        membership=membership,
                        role=role_form.cleaned_data["role"],
                    )
                    messages.success(
                        request, f"{membership.user.email} is now {role_form.cleaned_data['role']}."
                    )
                    return redirect("orgs:member_edit", public_id=membership.public_id)
            elif action == "deactivate":
                services.membership_deactivate(scope=request.scope, membership=membership)
                messages.success(request, f"{membership.user.email} was deactivated.")
                return redirect(
                    "orgs:organization_detail", public_id=membership.organization.public_id
                )
            elif action == "locations":
                locations_form = MemberLocationsForm(
                    request.POST, scope=request.scope, organization=membership.organization
                )
                if locations_form.is_valid():
                    services.membership_set_locations(
                        scope=request.scope,
                        membership=membership,
                        locations=list(locations_form.cleaned_data["locations"]),
                    )
                    messages.success(request, "Location rights saved.")
                    return redirect("orgs:member_edit", public_id=membership.public_id)
            else:
                messages.error(request, "Unknown action.")
        except ValidationError as exc:
            messages.error(request, error_text(exc))
        status = 400
    return render(
        request,
        "orgs/member_edit.html",
        {"membership": membership, "role_form": role_form, "locations_form": locations_form},
        status=status,
    )


@admin_view
@require_feature(Feature.MULTI_ORG_HIERARCHY)
def organization_add_child(request, public_id):
    parent = _administered_org(request, public_id, Action.ORGANIZATION_LINK)
    form = ChildOrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            org = services.organization_create_child(
                scope=request.scope, parent=parent, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"{org.code} {org.name} was created under {parent.name}.")
            return redirect("orgs:organization_detail", public_id=org.public_id)
    return render_form(
        request, "orgs/organization_add_child.html", {"parent": parent, "form": form}
    )


@admin_view
@require_feature(Feature.MULTI_ORG_HIERARCHY)
def relationship_create(request):
    form = RelationshipForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            rel = services.relationship_create(scope=request.scope, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Linked: {rel}.")
            return redirect("orgs:network")
    return render_form(request, "orgs/relationship_form.html", {"form": form})


@scoped_view
def locations(request):
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    if kind not in LocationKind.values:
        kind = ""
    page = paginate(request, selectors.locations_for(request.scope, query=query, kind=kind))
    return render(
        request,
        "orgs/locations.html",
        {"page": page, "query": query, "kind": kind, "kinds": LocationKind.choices},
    )


@scoped_view
def location_detail(request, public_id):
    location = get_object_or_404(
        Location.objects.visible_to(request.scope).select_related("operator"), public_id=public_id
    )
    return render(request, "orgs/location_detail.html", {"location": location})


@admin_view
@require_feature(Feature.INVENTORY_MANAGE_OWN)
def location_create(request):
    form = LocationForm(request.POST or None, scope=request.scope)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(scope=request.scope, **form.cleaned_data)
        except ValidationError as exc:  # a plan limit (LimitReached) included
            add_service_error(form, exc)
        else:
            messages.success(request, f"{location.code} {location.name} was added.")
            return redirect("orgs:locations")
    return render_form(request, "orgs/location_form.html", {"form": form})


# --- parties -----------------------------------------------------------------------------------


@scoped_view
def party_list(request):
    scope = request.scope
    query = request.GET.get("q", "").strip()[:100]
    qs = selectors.parties_for(scope)
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(reference__icontains=query))
    page = paginate(request, qs, 50)
    form = PartyForm(request.POST or None)
    if request.method == "POST":
        require(scope, Action.PARTY_CREATE)
        if form.is_valid():
            try:
                owner = Organization.objects.visible_to(scope).get(pk=scope.org_id)
                party = parties.party_create(scope=scope, owner=owner, **form.cleaned_data)
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"{party.name} was added.")
                return redirect("orgs:party_detail", public_id=party.public_id)
    return render_form(request, "orgs/parties.html", {"page": page, "form": form, "query": query})


PARTY_FIELDS = (
    "name",
    "reference",
    "kind",
    "contact_name",
    "contact_email",
    "contact_phone",
    "notes",
)


@scoped_view
def party_detail(request, public_id):
    scope = request.scope
    party = selectors.party_detail(scope, public_id)
    form = PartyForm(initial={f: getattr(party, f) for f in PARTY_FIELDS})
    contact_form = PartyContactForm()
    if request.method == "POST":
        require(scope, Action.PARTY_EDIT, party)
        try:
            if request.POST.get("action") == "contact":
                contact_form = PartyContactForm(request.POST)
                if contact_form.is_valid():
                    parties.party_contact_add(scope=scope, party=party, **contact_form.cleaned_data)
                    messages.success(request, "Contact added.")
                    return redirect("orgs:party_detail", public_id=party.public_id)
            else:
                form = PartyForm(request.POST)
                if form.is_valid():
                    parties.party_update(scope=scope, party=party, **form.cleaned_data)
                    messages.success(request, "Party saved.")
                    return redirect("orgs:party_detail", public_id=party.public_id)
        except ValidationError as exc:
            messages.error(request, error_text(exc))
    return render_form(
        request,
        "orgs/party_detail.html",
        {
            "party": party,
            "form": form,
            "contact_form": contact_form,
            "contacts": selectors.party_contacts(scope, party),
            "can_edit": can(scope, Action.PARTY_EDIT, party),
            "can_invite": can(scope, Action.INVITATION_SEND),
        },
    )


# --- audit log ---------------------------------------------------------------------------------

AUDIT_EXPORT_CAP = 100_000
AUDIT_CSV_HEADER = [
    "when",
    "person",
    "person_email",
    "organization",
    "side",
    "action",
    "action_code",
    "object_type",
    "object",
    "changes",
]


def _audit_filter(request) -> tuple[AuditLogFilterForm, selectors.AuditFilter, list[str]]:
    form = AuditLogFilterForm(request.GET)
    form.is_valid()
    return form, form.audit_filter(), form.error_list()


@scoped_view
def audit_log(request):
    """Who did what to the organization's data and settings: its own people, its partners and
    the network root. Admins only (orgs/policy.py, AUDIT_LOG_VIEW)."""
    scope = request.scope
    require(scope, Action.AUDIT_LOG_VIEW)
    form, audit_filter, errors = _audit_filter(request)
    page = paginate(request, selectors.audit_events(scope, audit_filter))
    context = {
        "form": form,
        "errors": errors,
        "page": page,
        "rows": selectors.audit_rows(scope, page.object_list),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "query_string": request.GET.urlencode(),
    }
    return render(request, "orgs/audit_log.html", context, status=400 if errors else 200)


@scoped_view
def audit_log_export(request):
    """The filtered audit log as CSV, streamed (at most AUDIT_EXPORT_CAP rows)."""
    scope = request.scope
    require(scope, Action.AUDIT_LOG_VIEW)
    _form, audit_filter, errors = _audit_filter(request)
    if errors:
        return HttpResponseBadRequest(" ".join(errors), content_type="text/plain; charset=utf-8")
    events = selectors.audit_events(scope, audit_filter)[:AUDIT_EXPORT_CAP]

    def lines():
        for event in events.iterator(chunk_size=1000):
            row = selectors.audit_row(scope, event)
            yield [
                row.when.isoformat(),
                row.person,
                row.person_email,
                row.organization,
                row.side,
                row.action,
                row.action_code,
                row.object_type,
                row.object_label,
                "; ".join(row.changes),
            ]

    filename = f"audit-log-{scope.org_code}-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_response(filename, AUDIT_CSV_HEADER, lines(), stream=True)
