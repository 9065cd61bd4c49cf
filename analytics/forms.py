from django import forms

from .forecasting import SERVICE_LEVEL_Z


class ForecastParamsForm(forms.Form):
    lead_time = forms.IntegerField(
        min_value=1, max_value=365, initial=30, required=False, label="Lead time (days)"
    )
    service_level = forms.TypedChoiceField(
        choices=[(k, f"{k} %") for k in SERVICE_LEVEL_Z],
        coerce=int,
        initial=95,
        required=False,
        label="Service level",
    )

    def params(self) -> tuple[int, int]:
        data = self.cleaned_data
        return data.get("lead_time") or 30, data.get("service_level") or 95
