from django.urls import path

from .views import catalog, counts, operations, reports, stock

app_name = "inventory"

urlpatterns = [
    path("inventory/", stock.inventory_list, name="list"),
    path("inventory/locations/", stock.inventory_by_location, name="by_location"),
    path("inventory/products/", stock.inventory_by_product, name="by_product"),
    path("inventory/expiring/", stock.expiring, name="expiring"),
    path("inventory/movements/", stock.movements, name="movements"),
    path("inventory/adjust/", operations.adjust, name="adjust"),
    path("inventory/pick/", operations.pick, name="pick"),
    path("inventory/transfers/", operations.transfer_list, name="transfer_list"),
    path("inventory/transfers/new/", operations.transfer_create, name="transfer_create"),
    path(
        "inventory/transfers/<uuid:public_id>/",
        operations.transfer_detail,
        name="transfer_detail",
    ),
    path("inventory/counts/", counts.count_list, name="count_list"),
    path("inventory/counts/new/", counts.count_create, name="count_create"),
    path("inventory/counts/<uuid:public_id>/", counts.count_detail, name="count_detail"),
    path("inventory/reports/snapshot/", reports.report_snapshot, name="report_snapshot"),
    path("inventory/reports/valuation/", reports.report_valuation, name="report_valuation"),
    path("products/", catalog.product_list, name="product_list"),
    path("products/new/", catalog.product_create, name="product_create"),
    path("products/import/", catalog.product_import, name="product_import"),
    path("products/<uuid:public_id>/", catalog.product_detail, name="product_detail"),
    path("products/<uuid:public_id>/image/", catalog.product_image, name="product_image"),
    path("products/<uuid:public_id>/edit/", catalog.product_edit, name="product_edit"),
]
