from django.urls import path

from . import views

app_name = "procurement"

urlpatterns = [
    path("purchase-orders/", views.purchase_order_list, name="purchase_order_list"),
    path("purchase-orders/new/", views.purchase_order_create, name="purchase_order_create"),
    path(
        "purchase-orders/<uuid:public_id>/",
        views.purchase_order_detail,
        name="purchase_order_detail",
    ),
    path(
        "purchase-orders/<uuid:public_id>/pdf/",
        views.purchase_order_pdf,
        name="purchase_order_pdf",
    ),
    path(
        "purchase-orders/<uuid:public_id>/send/",
        views.purchase_order_send,
        name="purchase_order_send",
    ),
    path(
        "purchase-orders/<uuid:public_id>/acknowledge/",
        views.purchase_order_acknowledge,
        name="purchase_order_acknowledge",
    ),
    path(
        "purchase-orders/<uuid:public_id>/cancel/",
        views.purchase_order_cancel,
        name="purchase_order_cancel",
    ),
    path(
        "purchase-orders/<uuid:public_id>/close/",
        views.purchase_order_close,
        name="purchase_order_close",
    ),
]
