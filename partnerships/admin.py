from django.contrib import admin

from betterdata.admin_site import ScopedModelAdmin

from .models import Partnership


@admin.register(Partnership)
class PartnershipAdmin(ScopedModelAdmin):
    admin_org_field = "relationship__parent"
    list_display = ("__str__", "role", "status", "started_at")
    list_filter = ("role", "status")
    filter_horizontal = ("shared_locations",)
    readonly_fields = ("public_id", "relationship")
    network_can_add = False  # partnerships start from an invitation
