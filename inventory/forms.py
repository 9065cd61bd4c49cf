from __future__ import annotations

import json

from django import forms

from .models import AdjustmentReason, CountKind, Product
from .selectors import operable_locations, own_products

MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ProductForm(forms.Form):
    sku = forms.CharField(max_length=64, label="SKU")
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    specifications = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text='One "key: value" per line, e.g. "Volume: 30 ml".',
    )
    unit_of_measure = forms.CharField(max_length=16, initial="EA")
    price = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    cost = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0, initial=0)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    image = forms.ImageField(required=False)

    def clean_specifications(self) -> dict:
        text = self.cleaned_data["specifications"].strip()
        if not text:
            return {}
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                raise forms.ValidationError("Not valid JSON.") from None
            if not isinstance(value, dict):
                raise forms.ValidationError("Give key/value pairs.")
            return value
        specs = {}
        for line in text.splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition(":")
            if not sep or not key.strip():
                raise forms.ValidationError(f'"{line.strip()}" is not "key: value".')
            specs[key.strip()] = value.strip()
        return specs

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and image.size > MAX_IMAGE_BYTES:
            raise forms.ValidationError("The image is larger than 5 MB.")
        return image


def specs_as_text(specs: dict) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (specs or {}).items())


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with columns sku, name, price (cost, description, "
        "unit_of_measure, is_active optional)."
    )


class BomForm(forms.Form):
    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text='One component per line: "SKU quantity", e.g. "PK-BTL-030 1".',
    )


class _ScopedForm(forms.Form):
    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        for name in ("location", "from_location", "to_location"):
            if name in self.fields:
                self.fields[name].queryset = operable_locations(scope)
        if "product" in self.fields:
            self.fields["product"].queryset = own_products(scope)


class LocationChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.code} {obj.name}"


class ProductChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.sku} {obj.name}"


class AdjustmentForm(_ScopedForm):
    location = LocationChoice(queryset=None, to_field_name="code")
    product = ProductChoice(queryset=Product.objects.none(), to_field_name="public_id")
    quantity = forms.DecimalField(
        max_digits=14, decimal_places=3, help_text="Positive adds stock, negative removes it."
    )
    lot = forms.CharField(max_length=64, required=False)
    expiry = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason_code = forms.ChoiceField(choices=AdjustmentReason.choices, label="Reason")
    note = forms.CharField(max_length=150, required=False)
    key = forms.CharField(widget=forms.HiddenInput)

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise forms.ValidationError("Enter a quantity other than zero.")
        return quantity


class TransferForm(_ScopedForm):
    from_location = LocationChoice(queryset=None, to_field_name="code")
    to_location = LocationChoice(queryset=None, to_field_name="code")
    product = ProductChoice(queryset=Product.objects.none(), to_field_name="public_id")
    quantity = forms.DecimalField(max_digits=14, decimal_places=3, min_value=0.001)
    note = forms.CharField(max_length=150, required=False)
    key = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("from_location") and data.get("from_location") == data.get("to_location"):
            raise forms.ValidationError("Choose two different locations.")
        return data


class CountForm(_ScopedForm):
    location = LocationChoice(queryset=None, to_field_name="code")
    kind = forms.ChoiceField(choices=CountKind.choices)
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text="For a cycle count: the products to count.",
    )

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, scope=scope, **kwargs)
        self.fields["products"].queryset = own_products(scope)
        self.fields["products"].label_from_instance = lambda p: f"{p.sku} {p.name}"
