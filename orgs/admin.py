from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.core.exceptions import ValidationError

from .admin_site import ScopedModelAdmin, ServiceRefused
from .models import AuditEvent, Location, Membership, Organization, OrganizationRelationship, Party
from .services import organizations as services


@admin.register(Organization)
class OrganizationAdmin(ScopedModelAdmin):
    list_display = (
        "code",
        "name",
        "org_type",
        "plan_tier",
        "partnership_tier",
        "billing_mode",
        "status",
    )
    list_filter = ("plan_tier", "billing_mode", "status", "org_type")
    search_fields = ("code", "name")
    readonly_fields = ("public_id", "created_at", "updated_at")
    network_can_add = False  # new organizations come from the dashboard services
    # Network admins rename and retype; status is platform staff's, plans are billing's.
    network_change_fields = ("name", "org_type")

    def service_change(self, request, scope, obj, data, changed):
        return services.organization_update(
            scope=scope, organization=obj, name=data["name"], org_type=data["org_type"]
        )

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # Plans change only through billing (staff: Billing › Plan overrides, with a reason).
        fields = (
            *fields,
            "plan_tier",
            "partnership_tier",
            "billing_mode",
            "extra_location_addons",
            "advanced_forecasting_addon",
        )
        if not request.user.is_superuser:
            fields = (*fields, "code")  # codes are stable identifiers
        return fields


@admin.register(OrganizationRelationship)
class OrganizationRelationshipAdmin(ScopedModelAdmin):
    """Network admins link two of their organizations through relationship_create (owning
    types only, no cycles, one owning parent); an existing link is never re-pointed, retyped or
    re-activated here (partner links belong to their partnership)."""

    admin_org_field = "parent"
    list_display = ("parent", "child", "type", "status", "created_at")
    list_filter = ("type", "status", ("parent", RelatedOnlyFieldListFilter))
    autocomplete_fields = ("parent", "child")
    search_fields = ("parent__name", "child__name", "parent__code", "child__code")
    network_add_fields = ("parent", "child", "type")
    network_can_change = False

    def service_add(self, request, scope, data):
        return services.relationship_create(
            scope=scope, parent=data["parent"], child=data["child"], type=data["type"]
        )

    def save_model(self, request, obj, form, change):
        from django.db import IntegrityError, transaction

        try:
            with transaction.atomic():
                super().save_model(request, obj, form, change)
        except IntegrityError as exc:
            # Staff saves write directly: a broken constraint is a form error, not a 500.
            raise ServiceRefused([str(exc).splitlines()[0]]) from exc

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)

        class CycleCheckingForm(form):
            def clean(self):
                cleaned = super().clean()
                from orgs.services.organizations import would_cycle

                parent, child = cleaned.get("parent"), cleaned.get("child")
                if (
                    parent
                    and child
                    and cleaned.get("type") in ("SUBSIDIARY", "DIVISION", "BRANCH")
                    and would_cycle(parent, child)
                ):
                    raise ValidationError("Linking these organizations would make a cycle.")
                return cleaned

        return CycleCheckingForm


@admin.register(Location)
class LocationAdmin(ScopedModelAdmin):
    admin_org_field = "operator"
    list_display = ("code", "name", "kind", "operator", "city", "is_active")
    list_filter = ("kind", "is_active", ("operator", RelatedOnlyFieldListFilter))
    search_fields = ("code", "name", "city")
    autocomplete_fields = ("operator",)
    readonly_fields = ("public_id",)
    # The operator never changes once set; activation and negative stock stay with staff.
    network_add_fields = ("operator", "name", "kind", "city", "country", "address")
    network_change_fields = ("name", "kind", "city", "country", "address")

    def service_add(self, request, scope, data):
        return services.location_create(scope=scope, **data)

    def service_change(self, request, scope, obj, data, changed):
        return services.location_update(scope=scope, location=obj, **data)


@admin.register(Membership)
class MembershipAdmin(ScopedModelAdmin):
    admin_org_field = "organization"
    list_display = ("user", "organization", "role", "is_active")
    list_filter = ("role", "is_active", ("organization", RelatedOnlyFieldListFilter))
    search_fields = ("user__email", "organization__name")
    autocomplete_fields = ("organization",)
    # Nobody is added here: people join by accepting an invitation sent from the members page
    # (docs/security-membership.md). Role and activation go through the same services as
    # /network/members/ (no self-edits, super admin rules).
    network_can_add = False
    network_change_fields = ("role", "is_active")

    def service_change(self, request, scope, obj, data, changed):
        if "is_active" in changed and data["is_active"]:
            obj = services.membership_reactivate(scope=scope, membership=obj)
        if "role" in changed:
            obj = services.membership_change_role(scope=scope, membership=obj, role=data["role"])
        if "is_active" in changed and not data["is_active"]:
            obj = services.membership_deactivate(scope=scope, membership=obj)
        return obj


@admin.register(Party)
class PartyAdmin(ScopedModelAdmin):
    admin_org_field = "owner"
    list_display = ("name", "reference", "owner", "contact_email")
    search_fields = ("name", "reference")
    list_filter = (("owner", RelatedOnlyFieldListFilter),)
    # `organization` (the tenant a party became) is set by accepting an invitation only.
    network_add_fields = (
        "owner",
        "name",
        "reference",
        "kind",
        "contact_name",
        "contact_email",
        "contact_phone",
        "notes",
    )
    network_change_fields = network_add_fields[1:]

    def service_add(self, request, scope, data):
        from orgs.services.parties import party_create

        return party_create(scope=scope, **data)

    def service_change(self, request, scope, obj, data, changed):
        from orgs.services.parties import party_update

        return party_update(scope=scope, party=obj, **data)


@admin.register(AuditEvent)
class AuditEventAdmin(ScopedModelAdmin):
    admin_org_field = "acting_org"
    list_display = ("created_at", "action", "target_repr", "actor", "acting_org")
    list_filter = ("action",)
    search_fields = ("action", "target_repr", "target_id")
    network_can_add = False
    network_can_change = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
