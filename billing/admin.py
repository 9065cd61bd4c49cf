"""Billing in the Django admin: platform staff only (subscriptions, webhook events, overrides)."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from .models import (
    Checkout,
    PlanChange,
    PlanOverride,
    SponsoredUpgradeRequest,
    Subscription,
    WebhookEvent,
)
from .services.overrides import plan_override_create


class StaffOnlyAdmin(admin.ModelAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(StaffOnlyAdmin):
    list_display = (
        "organization",
        "plan",
        "status",
        "payer",
        "grace_until",
        "stripe_subscription_id",
        "updated_at",
    )
    list_filter = ("plan", "status")
    search_fields = ("organization__code", "organization__name", "stripe_subscription_id")
    list_select_related = ("organization", "payer")


@admin.register(PlanChange)
class PlanChangeAdmin(StaffOnlyAdmin):
    list_display = (
        "at",
        "organization",
        "from_plan",
        "to_plan",
        "to_mode",
        "amount_after",
        "source",
    )
    list_filter = ("source", "to_plan")
    list_select_related = ("organization",)
    search_fields = ("organization__code", "reason")


@admin.register(SponsoredUpgradeRequest)
class SponsoredUpgradeRequestAdmin(StaffOnlyAdmin):
    """View-only: the network root's super admin decides on /billing/requests/<id>/."""

    list_display = (
        "created_at",
        "organization",
        "network",
        "plan",
        "billing_mode",
        "status",
        "decided_at",
    )
    list_filter = ("status", "plan", "billing_mode")
    list_select_related = ("organization", "network")
    search_fields = ("organization__code", "organization__name", "reason")


@admin.register(Checkout)
class CheckoutAdmin(StaffOnlyAdmin):
    list_display = (
        "created_at",
        "organization",
        "plan",
        "status",
        "simulated",
        "stripe_session_id",
    )
    list_filter = ("status", "simulated")
    list_select_related = ("organization",)


@admin.register(WebhookEvent)
class WebhookEventAdmin(StaffOnlyAdmin):
    list_display = ("received_at", "stripe_event_id", "type", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("stripe_event_id",)
    actions = ["reprocess"]

    @admin.action(description="Process again (events not yet processed)")
    def reprocess(self, request, queryset):
        from .tasks import process_webhook_event

        try:
            for event in queryset.exclude(status="PROCESSED"):
                process_webhook_event.delay(event.pk)
        except Exception:  # the broker is down: the sweeper processes them when it is back
            messages.error(request, "Could not queue: the task broker is unreachable.")
            return
        messages.info(request, "Queued.")


@admin.register(PlanOverride)
class PlanOverrideAdmin(StaffOnlyAdmin):
    list_display = ("created_at", "organization", "plan", "billing_mode", "reason", "created_by")
    fields = (
        "organization",
        "plan",
        "billing_mode",
        "extra_location_addons",
        "advanced_forecasting_addon",
        "reason",
    )
    autocomplete_fields = ("organization",)

    def has_add_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            created = plan_override_create(
                user=request.user,
                org=obj.organization,
                plan=obj.plan,
                reason=obj.reason,
                billing_mode=obj.billing_mode,
                extra_location_addons=obj.extra_location_addons,
                advanced_forecasting_addon=obj.advanced_forecasting_addon,
            )
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        obj.pk = created.pk
