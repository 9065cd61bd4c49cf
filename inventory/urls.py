from django.urls import path

from . import views

app_name = "inventory"

urlpatterns = [
    path("inventory/", views.inventory_list, name="list"),
    path("inventory/locations/", views.inventory_by_location, name="by_location"),
    path("inventory/products/", views.inventory_by_product, name="by_product"),
    path("inventory/expiring/", views.expiring, name="expiring"),
    path("inventory/movements/", views.movements, name="movements"),
    path("inventory/adjust/", views.adjust, name="adjust"),
    path("inventory/pick/", views.pick, name="pick"),
    path("inventory/transfers/", views.transfer_list, name="transfer_list"),
    path("inventory/transfers/new/", views.transfer_create, name="transfer_create"),
    path("inventory/transfers/<uuid:public_id>/", views.transfer_detail, name="transfer_detail"),
    path("inventory/counts/", views.count_list, name="count_list"),
    path("inventory/counts/new/", views.count_create, name="count_create"),
    path("inventory/counts/<uuid:public_id>/", views.count_detail, name="count_detail"),
    path("inventory/reports/snapshot/", views.report_snapshot, name="report_snapshot"),
    path("inventory/reports/valuation/", views.report_valuation, name="report_valuation"),
    path("products/", views.product_list, name="product_list"),
    path("products/new/", views.product_create, name="product_create"),
    path("products/import/", views.product_import, name="product_import"),
    path("products/<uuid:public_id>/", views.product_detail, name="product_detail"),
    path("products/<uuid:public_id>/edit/", views.product_edit, name="product_edit"),
]
