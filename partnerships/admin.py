from django.contrib import admin

from orgs.admin_site import ScopedModelAdmin

from .models import Invitation, Message, Partnership
from .services import partnerships as services


@admin.register(Partnership)
class PartnershipAdmin(ScopedModelAdmin):
    admin_org_field = "relationship__parent"
    list_display = ("__str__", "role", "status", "started_at")
    list_filter = ("role", "status")
    filter_horizontal = ("shared_locations",)
    readonly_fields = ("public_id", "relationship")
    network_can_add = False  # partnerships start from an invitation
    # Status (and its dates) changes only through the dashboard's services: an ended
    # partnership is never re-activated from here.
    network_change_fields = ("role", "terms", "shared_locations")

    def service_change(self, request, scope, obj, data, changed):
        return services.partnership_update(
            scope=scope,
            partnership=obj,
            terms=data["terms"],
            role=data["role"],
            shared_locations=list(data["shared_locations"]),
        )


@admin.register(Invitation)
class InvitationAdmin(ScopedModelAdmin):
    """Read-mostly: invitations are sent, resent and revoked from /partnerships/."""

    admin_org_field = "inviting_org"
    list_display = ("company_name", "email", "inviting_org", "role", "status", "expires_at")
    list_filter = ("status", "role")
    search_fields = ("company_name", "email")
    readonly_fields = (
        "public_id",
        "inviting_org",
        "invited_by",
        "email",
        "token_hash",
        "status",
        "expires_at",
        "sent_count",
        "accepted_at",
        "accepted_by",
        "partnership",
        "revoked_at",
    )
    exclude = ("shared_locations",)
    network_can_add = False
    network_can_change = False


@admin.register(Message)
class MessageAdmin(ScopedModelAdmin):
    admin_org_field = "author_org"
    list_display = ("partnership", "author_org", "author", "created_at")
    readonly_fields = ("public_id", "partnership", "author", "author_org", "body")
    network_can_add = False
    network_can_change = False
