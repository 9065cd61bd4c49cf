from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone

from . import selectors


class PurchaseOrderForm(forms.Form):
    supplier = forms.ChoiceField(label="Supplier")
    ship_to = forms.ModelChoiceField(
        queryset=None, to_field_name="public_id", label="Ship to", empty_label="Choose…"
    )
    expected_date = forms.DateField(
        required=False, label="Expected delivery", widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, scope, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.scope = scope
        self._orgs = {str(o.public_id): o for o in selectors.supplier_orgs_for(scope)}
        self._parties = {str(p.public_id): p for p in selectors.supplier_parties_for(scope)}
        choices = [("", "Choose…")]
        choices += [(f"org:{k}", f"{o.code} {o.name}") for k, o in self._orgs.items()]
        choices += [
            (f"party:{k}", f"{p.name} (no account{f', {p.reference}' if p.reference else ''})")
            for k, p in self._parties.items()
        ]
        self.fields["supplier"].choices = choices
        self.fields["ship_to"].queryset = selectors.ship_to_locations_for(scope)
        self.fields["ship_to"].label_from_instance = lambda loc: f"{loc.code} {loc.name}"

    def clean(self):
        cleaned = super().clean()
        # The key is a hidden field: its own error would never show. Say what to do instead.
        if self.errors.pop("request_key", None):
            self.add_error(None, "The form expired; reload the page and try again.")
        return cleaned

    def clean_expected_date(self):
        date = self.cleaned_data.get("expected_date")
        if date and date < timezone.localdate():
            raise forms.ValidationError("The expected date cannot be in the past.")
        return date

    def clean_supplier(self):
        kind, _, key = self.cleaned_data["supplier"].partition(":")
        if kind == "org" and key in self._orgs:
            return {"supplier_org": self._orgs[key]}
        if kind == "party" and key in self._parties:
            return {"supplier_party": self._parties[key]}
        raise forms.ValidationError("Choose a supplier from the list.")


class LineForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=None, to_field_name="public_id", required=False, empty_label="—"
    )
    quantity = forms.DecimalField(
        required=False, min_value=Decimal("0.001"), max_digits=14, decimal_places=3
    )
    unit_price = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=12, decimal_places=2
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = selectors.orderable_products_for(scope)
        self.fields["product"].label_from_instance = lambda p: f"{p.sku} {p.name}"

    def clean(self):
        data = super().clean()
        filled = [data.get(k) is not None for k in ("product", "quantity", "unit_price")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(
                "Fill in product, quantity and unit price, or leave the line empty."
            )
        return data


LineFormSet = forms.formset_factory(LineForm, extra=5, max_num=50, validate_max=True)


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)
