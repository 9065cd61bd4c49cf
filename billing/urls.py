from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("pricing/", views.pricing, name="pricing"),
    path("billing/", views.network_billing, name="network"),
    path("billing/plan/", views.plan, name="plan"),
    path("billing/plan/change/", views.plan_change, name="plan_change"),
    path("billing/requests/", views.sponsored_request_create, name="sponsored_request_create"),
    path("billing/requests/<uuid:public_id>/", views.sponsored_request, name="sponsored_request"),
    path("billing/checkout/", views.checkout_start, name="checkout_start"),
    path("billing/checkout/<uuid:public_id>/", views.checkout, name="checkout"),
    path("billing/orgs/<uuid:public_id>/mode/", views.network_billing_mode, name="billing_mode"),
    path("billing/statement.csv", views.statement, {"fmt": "csv"}, name="statement_csv"),
    path("billing/statement.pdf", views.statement, {"fmt": "pdf"}, name="statement_pdf"),
    path("billing/metrics/", views.metrics, name="metrics"),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
]
