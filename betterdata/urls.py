from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("accounts/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include("orgs.urls")),
    path("", include("notifications.urls")),
    path("", include("partnerships.urls")),
    path("", include("billing.urls")),
    path("", include("inventory.urls")),
    path("", include("shipments.urls")),
    path("", include("procurement.urls")),
    path("", include("analytics.urls")),
    path("", include("api.urls")),
]

handler404 = "betterdata.errors.not_found"
handler403 = "betterdata.errors.forbidden"
handler400 = "betterdata.errors.bad_request"
handler500 = "betterdata.errors.server_error"
