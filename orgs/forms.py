from __future__ import annotations

import uuid

from django import forms

from .access import Scope
from .audit import ACTION_LABELS, OBJECT_TYPES
from .models import (
    OWNING_TYPES,
    Location,
    LocationKind,
    Organization,
    OrgType,
    RelationshipType,
    Role,
)
from .policy import Action, can
from .selectors import AUDIT_SIDES, AuditFilter, administered_organizations

OWNING_CHOICES = [(t.value, t.label) for t in RelationshipType if t in OWNING_TYPES]


def role_choices(scope: Scope) -> list[tuple[str, str]]:
    roles = [Role.ORG_ADMIN, Role.MEMBER]
    if can(scope, Action.MEMBERSHIP_GRANT_SUPER_ADMIN):
        roles.insert(0, Role.ORG_SUPER_ADMIN)
    return [(r.value, r.label) for r in roles]


class MemberInviteForm(forms.Form):
    email = forms.EmailField(max_length=254)
    full_name = forms.CharField(max_length=150, required=False, label="Name")
    role = forms.ChoiceField()

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(scope)
        self.fields["role"].initial = Role.MEMBER


class JoinNewAccountForm(forms.Form):
    """A new person accepting a membership invitation sets their password here."""

    full_name = forms.CharField(max_length=150, label="Your name")
    password1 = forms.CharField(widget=forms.PasswordInput, label="Password", strip=False)
    password2 = forms.CharField(widget=forms.PasswordInput, label="Password again", strip=False)

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField()

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(scope)


class MemberLocationsForm(forms.Form):
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, scope: Scope, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.visible_to(scope).filter(
            operator=organization
        )


class LocationForm(forms.Form):
    operator = forms.ModelChoiceField(queryset=Organization.objects.none(), empty_label=None)
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=LocationKind.choices)
    address = forms.CharField(max_length=300, required=False)
    city = forms.CharField(max_length=100, required=False)
    country = forms.RegexField(
        regex=r"^[A-Za-z]{2}$",
        required=False,
        help_text="Two letters, e.g. US",
        error_messages={"invalid": "Use the two-letter country code, e.g. US."},
    )
    # A double submit of the same form adds one location (orgs.services.location_create).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = administered_organizations(scope)
        self.fields["operator"].label = "Operated by"
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name


class ChildOrganizationForm(forms.Form):
    name = forms.CharField(max_length=200)
    org_type = forms.ChoiceField(choices=OrgType.choices, initial=OrgType.DISTRIBUTOR, label="Type")
    relationship_type = forms.ChoiceField(choices=OWNING_CHOICES, label="Relationship")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter a name.")
        return name


class RelationshipForm(forms.Form):
    parent = forms.ModelChoiceField(queryset=Organization.objects.none())
    child = forms.ModelChoiceField(queryset=Organization.objects.none())
    type = forms.ChoiceField(choices=OWNING_CHOICES)

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = administered_organizations(scope)
        self.fields["child"].queryset = administered_organizations(scope)


class ProfileForm(forms.Form):
    full_name = forms.CharField(max_length=150, required=False, label="Name")


def _strip_required(form: forms.Form, name: str, message: str) -> str:
    value = (form.cleaned_data.get(name) or "").strip()
    if not value:
        raise forms.ValidationError(message)
    return value


class PartyForm(forms.Form):
    name = forms.CharField(max_length=200)
    reference = forms.CharField(
        max_length=30, required=False, help_text="Your own code for it, e.g. ULTA-01"
    )
    kind = forms.ChoiceField(choices=OrgType.choices, initial=OrgType.RETAILER)
    contact_name = forms.CharField(max_length=150, required=False)
    contact_email = forms.EmailField(required=False)
    contact_phone = forms.CharField(max_length=40, required=False)
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000
    )

    def clean_name(self) -> str:
        return _strip_required(self, "name", "Enter the party's name.")


class PartyContactForm(forms.Form):
    name = forms.CharField(max_length=150)
    title = forms.CharField(max_length=100, required=False)
    email = forms.EmailField(required=False)
    phone = forms.CharField(max_length=40, required=False)

    def clean_name(self) -> str:
        return _strip_required(self, "name", "Enter the contact's name.")


class TwoFactorPolicyForm(forms.Form):
    """The organization's two-factor requirement; the network box only for the root's super
    admin, on the root (orgs.policy: NETWORK_REQUIRE_TWO_FACTOR)."""

    require_admins = forms.BooleanField(
        required=False, label="Require two-factor sign-in for this organization's admins"
    )
    require_network = forms.BooleanField(
        required=False,
        label="Require two-factor sign-in for every admin of every organization in the network",
    )

    def __init__(self, *args, scope: Scope, organization: Organization, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "require_admins": organization.require_admin_two_factor,
                "require_network": organization.require_network_two_factor,
            },
        )
        super().__init__(*args, **kwargs)
        self.network = can(scope, Action.NETWORK_REQUIRE_TWO_FACTOR, organization)
        if not self.network:
            del self.fields["require_network"]


class AuditLogFilterForm(forms.Form):
    """The audit log's filters (GET). Text is cut to size, never refused; a date that is not
    one, or a range that ends before it starts, is listed as an error (the page answers 400
    and applies the valid parts)."""

    actor = forms.CharField(required=False, label="Who", max_length=1000)
    side = forms.ChoiceField(required=False, label="Acting side", choices=AUDIT_SIDES.items())
    type = forms.ChoiceField(required=False, label="Object")
    action = forms.ChoiceField(required=False, label="Action")
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(required=False, label="Object name or number", max_length=1000)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        by_label = sorted(OBJECT_TYPES.items(), key=lambda item: item[1])
        self.fields["type"].choices = [("", "Any object"), *by_label]
        actions = sorted(ACTION_LABELS.items(), key=lambda item: item[1])
        self.fields["action"].choices = [("", "Any action"), *actions]

    def clean(self) -> dict:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", "The end date is before the start date.")
        return data

    def audit_filter(self) -> AuditFilter:
        """The valid parts of the query (call after `is_valid()`)."""
        data = getattr(self, "cleaned_data", {})
        return AuditFilter(
            actor=str(data.get("actor") or "").strip()[:100],
            side=data.get("side") or "",
            object_type=data.get("type") or "",
            action=data.get("action") or "",
            start=data.get("start"),
            end=data.get("end") if "end" not in self.errors else None,
            text=str(data.get("q") or "").strip()[:100],
        )

    def error_list(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else message
            for name, errors in self.errors.items()
            for message in errors
        ]
