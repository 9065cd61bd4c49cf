"""Read-only admin views: every change to a shipment, ASN or case goes through services/
(stock postings, audit, notifications), so the admin only shows them, scoped to the network."""

from django.contrib import admin

from orgs.admin_site import ScopedModelAdmin

from .models import ASN, DiscrepancyCase, Shipment


class ReadOnlyScopedAdmin(ScopedModelAdmin):
    network_can_add = False
    network_can_change = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyScopedAdmin):
    admin_org_field = "owner"
    list_display = ("number", "owner", "origin", "destination", "destination_party", "status")
    list_filter = ("status",)
    search_fields = ("number", "tracking_number")
    list_select_related = ("owner", "origin", "destination", "destination_party")


@admin.register(ASN)
class ASNAdmin(ReadOnlyScopedAdmin):
    admin_org_field = "shipment__owner"
    list_display = ("number", "shipment", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("number",)
    list_select_related = ("shipment",)


@admin.register(DiscrepancyCase)
class DiscrepancyCaseAdmin(ReadOnlyScopedAdmin):
    admin_org_field = "shipment__owner"
    list_display = ("number", "shipment", "expected_quantity", "received_quantity", "status")
    list_filter = ("status", "resolution")
    search_fields = ("number",)
    list_select_related = ("shipment",)
