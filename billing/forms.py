from django import forms

from core.enums import PlanTier
from orgs.models import BillingMode


class CheckoutForm(forms.Form):
    plan = forms.ChoiceField(choices=[(PlanTier.PRO, "PRO"), (PlanTier.ENTERPRISE, "ENTERPRISE")])
    extra_location_addons = forms.IntegerField(min_value=0, max_value=50, required=False)
    advanced_forecasting_addon = forms.BooleanField(required=False)
    self_pay = forms.BooleanField(required=False)

    def clean_extra_location_addons(self):
        return self.cleaned_data.get("extra_location_addons") or 0


class BillingModeForm(forms.Form):
    billing_mode = forms.ChoiceField(choices=BillingMode.choices)


class SponsoredUpgradeForm(forms.Form):
    """A partner asks its network root to pay for an upgrade (approved by the root)."""

    plan = forms.ChoiceField(choices=[(PlanTier.PRO, "PRO"), (PlanTier.ENTERPRISE, "ENTERPRISE")])
    extra_location_addons = forms.IntegerField(min_value=0, max_value=50, required=False)
    advanced_forecasting_addon = forms.BooleanField(required=False)
    message = forms.CharField(max_length=300, required=False)

    def clean_extra_location_addons(self):
        return self.cleaned_data.get("extra_location_addons") or 0


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class DowngradeForm(forms.Form):
    plan = forms.ChoiceField(choices=PlanTier.choices)
    reason = forms.CharField(max_length=300, required=False)
