from django.contrib import admin

from orgs.admin_site import ScopedModelAdmin

from .models import PurchaseOrder, PurchaseOrderLine


class PurchaseOrderLineInline(admin.TabularInline):
    model = PurchaseOrderLine
    fields = ("line_no", "product", "quantity", "unit_price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ScopedModelAdmin):
    """Read-only in the admin: POs change state only through the procurement services."""

    admin_org_field = "buyer"
    network_can_add = False
    network_can_change = False
    list_display = ("number", "buyer", "supplier_org", "supplier_party", "status", "created_at")
    list_filter = ("status",)
    search_fields = ("number", "buyer__code", "supplier_org__code", "supplier_party__name")
    list_select_related = ("buyer", "supplier_org", "supplier_party")
    readonly_fields = ("public_id", "request_key", "created_at", "updated_at")
    inlines = [PurchaseOrderLineInline]
