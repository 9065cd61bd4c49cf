from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("analytics/forecast/", views.forecast, name="forecast"),
    path("analytics/forecast/advanced/", views.forecast_advanced, name="forecast_advanced"),
    path("analytics/abc/", views.abc, name="abc"),
    path("analytics/advanced/", views.advanced, name="advanced"),
]
