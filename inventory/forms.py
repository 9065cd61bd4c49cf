"""Inventory forms: every POST the inventory pages take, and the GET filters of the stock
pages, parsed and checked here so views only call a selector or a service."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from core.uploads import CSV_TEXT, IMAGES, check_upload, display_name, upload_help
from orgs.access import Scope

from .models import AdjustmentReason, CountKind, Product, StockCountLine
from .selectors import StockFilter, operable_locations, own_products
from .services.csv_import import MAX_IMPORT_BYTES


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
    image = forms.ImageField(required=False, help_text=upload_help(IMAGES))

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
        # Pillow has read it as an image; the content check also refuses SVG and anything but
        # PNG, JPEG and WebP, and applies the upload size limit.
        image = self.cleaned_data.get("image")
        if image:
            check_upload(image, allowed=IMAGES)
        return image


def specs_as_text(specs: dict) -> str:
    return "\n".join(f"{k}: {v}" for k, v in (specs or {}).items())


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="CSV with columns sku, name, price (cost, description, "
        "unit_of_measure, is_active optional)."
    )

    def clean_file(self) -> UploadedFile:
        # Refused before it is read into memory; the import checks the bytes again.
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {MAX_IMPORT_BYTES // 1024} KB; nothing was imported."
            )
        # A spreadsheet saved as .xlsx, a PDF, a web page, an executable renamed .csv: refused
        # by content, before the import reads it.
        try:
            check_upload(upload, allowed=CSV_TEXT, max_bytes=MAX_IMPORT_BYTES)
        except forms.ValidationError as exc:
            if exc.code != "file_type":
                raise
            raise forms.ValidationError(
                f"{display_name(upload.name or '')} is not UTF-8 CSV text (in a spreadsheet: "
                "Save as CSV UTF-8). Nothing was imported."
            ) from None
        return upload


class BomForm(forms.Form):
    """A bill of materials as text, one "SKU quantity" per line; `cleaned_data["lines"]` is
    the list of (component, quantity) for `inventory.services.catalog.bom_set`."""

    lines = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        help_text='One component per line: "SKU quantity", e.g. "PK-BTL-030 1".',
    )

    def __init__(self, *args: Any, scope: Scope, product: Product, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.product = product

    @staticmethod
    def as_text(bom: Iterable[Any]) -> str:
        """The text that shows an existing bill of materials (BomLine rows) in the form."""
        return "\n".join(f"{b.component.sku} {b.quantity.normalize():f}" for b in bom)

    def clean_lines(self) -> list[tuple[Product, Decimal]]:
        wanted = self._split(self.cleaned_data["lines"])
        # Components are the product owner's own products (bom_set checks it again).
        catalog = {
            p.sku: p
            for p in Product.objects.visible_to(self.scope).filter(
                owner_id=self.product.owner_id, sku__in=[sku for sku, _ in wanted]
            )
        }
        lines = []
        for sku, qty in wanted:
            if sku not in catalog:
                raise forms.ValidationError(f"Unknown SKU {sku}.")
            try:
                quantity = Decimal(qty)
                if not quantity.is_finite():
                    raise ArithmeticError
            except ArithmeticError:
                raise forms.ValidationError(f"Quantity '{qty}' of {sku} is not a number.") from None
            lines.append((catalog[sku], quantity))
        return lines

    @staticmethod
    def _split(text: str) -> list[tuple[str, str]]:
        wanted = []
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = line.split()
            if len(parts) != 2:
                raise forms.ValidationError(f'"{line.strip()}" should be "SKU quantity".')
            wanted.append((parts[0].upper(), parts[1]))
        return wanted


class _ScopedForm(forms.Form):
    def __init__(self, *args: Any, scope: Scope, **kwargs: Any):
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

    def __init__(self, *args: Any, scope: Scope, **kwargs: Any):
        super().__init__(*args, scope=scope, **kwargs)
        self.fields["products"].queryset = own_products(scope)
        self.fields["products"].label_from_instance = lambda p: f"{p.sku} {p.name}"


class PickForm(_ScopedForm):
    """The FEFO picking question (GET): which lots to take `quantity` of `product` from."""

    _CHOOSE = "Choose one of your locations and products."
    _INVALID = "Enter a valid product and quantity."

    location = LocationChoice(
        queryset=None, to_field_name="code", error_messages={"invalid_choice": _CHOOSE}
    )
    product = ProductChoice(
        queryset=Product.objects.none(),
        to_field_name="public_id",
        error_messages={"invalid_choice": _CHOOSE},
    )
    quantity = forms.DecimalField(error_messages={"invalid": _INVALID})

    def clean_quantity(self) -> Decimal:
        quantity = self.cleaned_data["quantity"]
        if quantity <= 0:
            raise forms.ValidationError("Enter a positive quantity.")
        return quantity

    def error_text(self) -> str:
        """One line for the page: each distinct message once."""
        messages = [m for errors in self.errors.values() for m in errors]
        return " ".join(dict.fromkeys(messages))


class CountedQuantity(forms.Field):
    """A counted quantity: empty means not counted yet; anything else must be a number (a
    negative one is refused by the service, with the count's own message)."""

    def to_python(self, value: Any) -> Decimal | None:
        raw = str(value or "").strip()
        if raw == "":
            return None
        try:
            number = Decimal(raw)
        except (ArithmeticError, ValueError):
            number = Decimal("NaN")
        if not number.is_finite():
            raise forms.ValidationError(f"'{raw[:20]}' is not a number.", code="invalid")
        return number


class CountSheetForm(forms.Form):
    """The counted quantities of a count sheet, one field `line-<id>` per line."""

    action = forms.CharField(required=False)  # "post" posts; anything else only saves

    def __init__(self, *args: Any, lines: Sequence[StockCountLine], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.line_ids = {f"line-{line.pk}": line.pk for line in lines}
        for line in lines:
            self.fields[f"line-{line.pk}"] = CountedQuantity(
                required=False, label=f"{line.product.sku} {line.lot}"
            )

    @property
    def counted(self) -> dict[int, Decimal | None]:
        """Line id → counted quantity (None: not counted), for `count_record`."""
        return {pk: self.cleaned_data[name] for name, pk in self.line_ids.items()}

    @property
    def posts(self) -> bool:
        return self.cleaned_data.get("action") == "post"

    def error_text(self) -> str:
        return " ".join(
            f"{self.fields[name].label}: {message}" if name in self.fields else message
            for name, errors in self.errors.items()
            for message in errors
        )


class IsoDateField(forms.Field):
    """A YYYY-MM-DD date in a query string. The error names the field and the value (cut
    short): the stock pages list errors above the table, away from the filter inputs."""

    def to_python(self, value: Any) -> dt.date | None:
        raw = str(value or "").strip()
        if not raw:
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise forms.ValidationError(
                f"{self.label}: '{raw[:20]}' is not a date (use YYYY-MM-DD).", code="invalid"
            ) from None


class StockFilterForm(forms.Form):
    """The filters of the stock pages (GET). Text filters are cut to size, never refused."""

    location = forms.CharField(required=False)
    product = forms.CharField(required=False)
    lot = forms.CharField(required=False)
    expiring_before = IsoDateField(required=False, label="Expiring before")

    def stock_filter(self) -> StockFilter:
        """The filter to apply: the valid parts of the query (call after `is_valid()`)."""
        data = self.cleaned_data
        return StockFilter(
            location=data.get("location", "")[:20],
            product=data.get("product", "")[:64],
            lot=data.get("lot", "")[:64],
            expiring_before=data.get("expiring_before"),
        )

    def error_list(self) -> list[str]:
        return [message for errors in self.errors.values() for message in errors]


class ExpiringForm(StockFilterForm):
    days = forms.CharField(required=False)

    def clean_days(self) -> int:
        # int() as the page always parsed it: "7.5" and "" are not whole numbers.
        raw = self.data.get("days", "60")
        try:
            return max(0, min(int(raw), 3650))
        except ValueError:
            raise forms.ValidationError("Days must be a whole number.") from None


class SnapshotForm(StockFilterForm):
    date = IsoDateField(required=False, label="Date")

    def clean_date(self) -> dt.date:
        at = self.cleaned_data["date"] or dt.date.today()
        if at > dt.date.today():
            raise forms.ValidationError("The snapshot date cannot be in the future.")
        return at
