from django.urls import path

from . import views

app_name = "shipments"

urlpatterns = [
    path("shipments/", views.shipment_list, name="shipment_list"),
    path("shipments/new/", views.shipment_create, name="shipment_create"),
    path("shipments/<uuid:public_id>/", views.shipment_detail, name="shipment_detail"),
    path(
        "shipments/<uuid:public_id>/<slug:action>/",
        views.shipment_transition,
        name="shipment_transition",
    ),
    path("asns/", views.asn_list, name="asn_list"),
    path("asns/cases/", views.case_list, name="case_list"),
    path("asns/cases/<uuid:public_id>/", views.case_detail, name="case_detail"),
    path(
        "asns/cases/<uuid:public_id>/credit-note.pdf",
        views.credit_note_pdf,
        name="credit_note_pdf",
    ),
    path(
        "asns/cases/attachments/<uuid:public_id>/",
        views.case_attachment,
        name="case_attachment",
    ),
    path("asns/evidence/<uuid:public_id>/", views.receipt_evidence, name="receipt_evidence"),
    path("asns/receipts/", views.receipt_history, name="receipt_history"),
    path("asns/storage-fees/", views.storage_fees, name="storage_fees"),
    path("asns/<uuid:public_id>/", views.asn_detail, name="asn_detail"),
]
