from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.entitlements import Feature, require_feature
from core.exports import csv_response
from core.forms import add_service_error, error_text, render_form
from core.paging import paginate

from . import selectors
from .decorators import admin_view, scoped_view
from .forms import (
    AuditLogFilterForm,
    ChildOrganizationForm,
    LocationForm,
    MemberInviteForm,
    MemberLocationsForm,
    MemberRoleForm,
    PartyContactForm,
    PartyForm,
    RelationshipForm,
)
from .models import Location, LocationKind, Membership, Organization
from .policy import Action, can, require
from .services import organizations as services
from .services import parties


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
        context["invite_form"] = MemberInviteForm(scope=scope)
        context["role_form"] = MemberRoleForm(scope=scope)
        context["child_form"] = ChildOrganizationForm()
    return render(request, "orgs/organization_detail.html", context)


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
            services.membership_invite(scope=request.scope, organization=org, **form.cleaned_data)
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("orgs:organization_detail", public_id=org.public_id)
    return render_form(request, "orgs/member_invite.html", {"org": org, "form": form})


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
