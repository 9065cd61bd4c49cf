from __future__ import annotations

import uuid

from django import forms

from orgs.access import Scope
from orgs.models import Organization, RelationshipType
from orgs.selectors import administered_organizations, unscoped_organizations_user_administers

from .models import Partnership, PartnershipRole
from .selectors import shareable_locations

COLLABORATION_CHOICES = [
    (t.value, t.label)
    for t in (RelationshipType.PARTNER, RelationshipType.AFFILIATE, RelationshipType.FRANCHISE)
]


def _strip_required(form: forms.Form, name: str, message: str) -> str:
    value = (form.cleaned_data.get(name) or "").strip()
    if not value:
        raise forms.ValidationError(message)
    return value


class LocationChoices(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name} ({obj.operator.name})"


class InviteForm(forms.Form):
    network_org = forms.ModelChoiceField(
        queryset=Organization.objects.none(), empty_label=None, label="On behalf of"
    )
    company_name = forms.CharField(max_length=200, label="Company name")
    email = forms.EmailField(max_length=254, label="Contact email")
    relationship_type = forms.ChoiceField(choices=COLLABORATION_CHOICES, label="Relationship")
    role = forms.ChoiceField(choices=PartnershipRole.choices, label="Partner's role")
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    shared_locations = LocationChoices(queryset=None, required=False, label="Shared locations")

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["network_org"].queryset = administered_organizations(scope)
        self.fields["network_org"].initial = scope.org_id
        self.fields["shared_locations"].queryset = shareable_locations(scope)

    def clean_company_name(self) -> str:
        return _strip_required(self, "company_name", "Enter the company name.")


class PartnershipEditForm(forms.Form):
    role = forms.ChoiceField(choices=PartnershipRole.choices)
    terms = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=5000
    )
    shared_locations = LocationChoices(queryset=None, required=False)

    def __init__(self, *args, scope: Scope, partnership: Partnership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["shared_locations"].queryset = shareable_locations(
            scope, extra=partnership.shared_locations.all()
        )


class MessageForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Write a message…"}),
        max_length=5000,
        label="Message",
    )
    # A double submit of the same form posts one message (services.messages.message_post).
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean_body(self) -> str:
        return _strip_required(self, "body", "Write a message first.")


class NewAccountForm(forms.Form):
    full_name = forms.CharField(max_length=150, label="Your name")
    organization_name = forms.CharField(max_length=200, label="Organization name")
    password1 = forms.CharField(widget=forms.PasswordInput, label="Password", strip=False)
    password2 = forms.CharField(widget=forms.PasswordInput, label="Password again", strip=False)

    def clean_full_name(self) -> str:
        return _strip_required(self, "full_name", "Enter your name.")

    def clean_organization_name(self) -> str:
        return _strip_required(self, "organization_name", "Enter your organization's name.")

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        return data


class ExistingAccountForm(forms.Form):
    organization = forms.ModelChoiceField(
        queryset=Organization.objects.none(), empty_label=None, label="Link to organization"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = unscoped_organizations_user_administers(user)
