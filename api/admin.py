from django.contrib import admin

from orgs.admin_site import ScopedModelAdmin

from .models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedModelAdmin):
    """Tokens are created and revoked on /api/tokens/ (shown once); the admin only lists them."""

    admin_org_field = "organization"
    network_can_add = False
    network_can_change = False
    list_display = ("name", "prefix", "organization", "created_by", "created_at", "revoked_at")
    list_select_related = ("organization", "created_by")
    exclude = ("token_hash",)
    readonly_fields = ("public_id", "prefix", "created_at", "last_used_at", "revoked_at")
