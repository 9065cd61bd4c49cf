from django.template.response import TemplateResponse

from core.entitlements import ADDONS, FEATURES, PLAN_PRICES, AddOn, Feature, FeatureNotAvailable


class EntitlementDeniedMiddleware:
    """Turns FeatureNotAvailable into the shared 403 upgrade page (a partial for htmx)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, FeatureNotAvailable):
            return None
        template = (
            "billing/upgrade_required_partial.html"
            if getattr(request, "htmx", False)
            else "billing/upgrade_required.html"
        )
        response = TemplateResponse(
            request,
            template,
            {
                "feature": exception.feature,
                "feature_label": FEATURES[exception.feature].label,
                "required_plan": exception.required_plan,
                "required_plan_price": PLAN_PRICES[exception.required_plan],
                "addon": ADDONS[AddOn.ADVANCED_FORECASTING]
                if exception.feature == Feature.FORECASTING_ADVANCED
                else None,
            },
            status=403,
        )
        return response.render()
