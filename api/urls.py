from django.urls import path, re_path

from . import views

app_name = "api"

urlpatterns = [
    path("api/tokens/", views.token_list, name="token_list"),
    path("api/tokens/<uuid:public_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("api/v1/", views.index, name="index"),
    path("api/v1/locations/", views.location_list, name="location_list"),
    path("api/v1/locations/<str:public_id>/", views.location_detail, name="location_detail"),
    path("api/v1/products/", views.product_list, name="product_list"),
    path("api/v1/products/<str:public_id>/", views.product_detail, name="product_detail"),
    path("api/v1/stock/", views.stock_list, name="stock_list"),
    re_path(r"^api/v1/(?P<rest>.*)$", views.unknown, name="unknown"),
]
