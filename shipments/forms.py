from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.uploads import EVIDENCE, check_upload, upload_help
from inventory.models import Product
from orgs.access import Scope
from orgs.models import Location, Party

from .models import ASN, ReasonCode
from .services.receipts import ReceivedLine
from .services.shipments import LineInput

LINE_ROWS = 5


class ShipmentForm(forms.Form):
    origin = forms.ModelChoiceField(queryset=Location.objects.none(), to_field_name="code")
    destination = forms.ModelChoiceField(
        queryset=Location.objects.none(), to_field_name="code", required=False
    )
    destination_party = forms.ModelChoiceField(
        queryset=Party.objects.none(), to_field_name="public_id", required=False, label="or party"
    )
    carrier = forms.CharField(max_length=80, required=False)
    tracking_number = forms.CharField(max_length=80, required=False)
    expected_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    create_key = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        locations = Location.objects.visible_to(scope).select_related("operator").order_by("code")
        self.fields["origin"].queryset = locations
        self.fields["destination"].queryset = locations
        self.fields["destination_party"].queryset = Party.objects.visible_to(scope)
        self.fields["origin"].label_from_instance = lambda loc: f"{loc.code} {loc.name}"
        self.fields["destination"].label_from_instance = lambda loc: f"{loc.code} {loc.name}"
        if not self.is_bound:
            self.initial.setdefault("create_key", uuid.uuid4().hex)
        products = Product.objects.visible_to(scope).filter(owner_id__in=scope.org_ids)
        self.product_choices = list(products.order_by("sku").values_list("sku", "name"))
        self._products = products
        for i in range(LINE_ROWS):
            self.fields[f"sku_{i}"] = forms.ChoiceField(
                choices=[("", "—")] + [(s, f"{s} {n}") for s, n in self.product_choices],
                required=False,
                label="Product",
            )
            self.fields[f"qty_{i}"] = forms.DecimalField(
                required=False, min_value=Decimal("0.001"), max_digits=14, decimal_places=3
            )
            self.fields[f"lot_{i}"] = forms.CharField(max_length=64, required=False)
            self.fields[f"expiry_{i}"] = forms.DateField(
                required=False, widget=forms.DateInput(attrs={"type": "date"})
            )

    def line_rows(self):
        return [
            (self[f"sku_{i}"], self[f"qty_{i}"], self[f"lot_{i}"], self[f"expiry_{i}"])
            for i in range(LINE_ROWS)
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("destination")) == bool(data.get("destination_party")):
            raise ValidationError("Choose a destination location or a party (one of them).")
        by_sku = {p.sku: p for p in self._products}
        lines = []
        for i in range(LINE_ROWS):
            sku, qty = data.get(f"sku_{i}"), data.get(f"qty_{i}")
            if not sku and qty is None:
                continue
            if not sku or qty is None:
                self.add_error(f"qty_{i}" if sku else f"sku_{i}", "Give both product and quantity.")
                continue
            lines.append(
                LineInput(
                    product=by_sku[sku],
                    quantity=qty,
                    lot=data.get(f"lot_{i}") or "",
                    expiry=data.get(f"expiry_{i}"),
                )
            )
        if not lines and not self.errors:
            raise ValidationError("Add at least one line.")
        data["lines"] = lines
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "origin": d["origin"],
            "destination": d.get("destination"),
            "destination_party": d.get("destination_party"),
            "lines": d["lines"],
            "carrier": d.get("carrier", ""),
            "tracking_number": d.get("tracking_number", ""),
            "expected_date": d.get("expected_date"),
            "note": d.get("note", ""),
            "create_key": d.get("create_key") or None,
        }


class ReceiptForm(forms.Form):
    """One row per ASN line: received, damaged, lot, reason, note, evidence."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, asn: ASN, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.asn = asn
        self.asn_lines = lines
        if not self.is_bound:
            self.initial["idempotency_key"] = uuid.uuid4().hex
        reasons = [("", "—")] + list(ReasonCode.choices)
        for line in lines:
            p = line.pk
            self.fields[f"received_{p}"] = forms.DecimalField(
                max_digits=14, decimal_places=3, initial=line.expected_quantity.normalize()
            )
            self.fields[f"damaged_{p}"] = forms.DecimalField(
                max_digits=14, decimal_places=3, required=False, initial=0
            )
            self.fields[f"lot_{p}"] = forms.CharField(
                max_length=64, required=False, initial=line.lot
            )
            self.fields[f"reason_{p}"] = forms.ChoiceField(choices=reasons, required=False)
            self.fields[f"note_{p}"] = forms.CharField(max_length=500, required=False)
            self.fields[f"file_{p}"] = forms.FileField(
                required=False, help_text=upload_help(EVIDENCE)
            )

    def clean(self):
        cleaned = super().clean()
        # Type by content and size, per line: the message sits next to the file it is about.
        for line in self.asn_lines:
            name = f"file_{line.pk}"
            upload = cleaned.get(name)
            if upload:
                try:
                    check_upload(upload, allowed=EVIDENCE)
                except ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned

    def rows(self):
        return [
            (
                line,
                self[f"received_{line.pk}"],
                self[f"damaged_{line.pk}"],
                self[f"lot_{line.pk}"],
                self[f"reason_{line.pk}"],
                self[f"note_{line.pk}"],
                self[f"file_{line.pk}"],
            )
            for line in self.asn_lines
        ]

    def received_lines(self) -> list[ReceivedLine]:
        d = self.cleaned_data
        return [
            ReceivedLine(
                asn_line_id=line.pk,
                received_quantity=d[f"received_{line.pk}"],
                damaged_quantity=d.get(f"damaged_{line.pk}") or Decimal("0"),
                lot=d.get(f"lot_{line.pk}") or "",
                reason_code=d.get(f"reason_{line.pk}") or "",
                note=d.get(f"note_{line.pk}") or "",
                attachment=d.get(f"file_{line.pk}"),
            )
            for line in self.asn_lines
        ]


class MessageForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)
    attachment = forms.FileField(required=False, help_text=upload_help(EVIDENCE))

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload:
            check_upload(upload, allowed=EVIDENCE)
        return upload


class ResolveForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[("ACCEPT_SHORTAGE", "Accept shortage"), ("FOUND", "Found"), ("DISPUTE", "Dispute")]
    )
    found_quantity = forms.DecimalField(required=False, max_digits=14, decimal_places=3)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
