"""The Django admin, scoped: platform staff see everything; a network's ORG_SUPER_ADMIN sees
only the organizations it administers. Every tenant ModelAdmin derives from ScopedModelAdmin.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model, QuerySet

from orgs.audit import audit
from orgs.models import TenantQuerySet


def _scope(request):
    return getattr(request, "scope", None)


def is_network_super_admin(request) -> bool:
    scope = _scope(request)
    return bool(scope is not None and scope.is_network_root_super_admin)


class ScopedAdminSite(admin.AdminSite):
    site_header = "Better Data administration"
    site_title = "Better Data admin"
    index_title = "Your network"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and (user.is_superuser or is_network_super_admin(request))


class ScopedModelAdmin(admin.ModelAdmin):
    """Querysets, foreign-key choices, filters and autocomplete all go through visible_to."""

    # Path from this model to the organization that must be administered by the viewer.
    admin_org_field: str = "pk"
    network_can_add = True
    network_can_change = True

    def _network_admin(self, request) -> bool:
        return not request.user.is_superuser and is_network_super_admin(request)

    def scoped(self, request, queryset: QuerySet) -> QuerySet:
        scope = _scope(request)
        if request.user.is_superuser:
            return queryset
        if scope is None:
            return queryset.none()
        if isinstance(queryset, TenantQuerySet):
            queryset = queryset.visible_to(scope)
        if queryset.model is self.model:
            queryset = queryset.filter(
                **{f"{self.admin_org_field}__in": scope.administered_org_ids}
            )
        return queryset

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = self._related_queryset(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and not request.user.is_superuser:
            field.queryset = self._related_queryset(request, field.queryset)
        return field

    def _related_queryset(self, request, queryset: QuerySet) -> QuerySet:
        scope = _scope(request)
        if scope is None:
            return queryset.none()
        if isinstance(queryset, TenantQuerySet):
            return queryset.visible_to(scope)
        from django.contrib.auth import get_user_model

        if queryset.model is get_user_model():
            return queryset.filter(
                memberships__organization_id__in=scope.administered_org_ids
            ).distinct()
        return queryset.none()

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or self._network_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or self._network_admin(request)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser or (self.network_can_add and self._network_admin(request))

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or (
            self.network_can_change and self._network_admin(request)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Tenant data is deactivated, never deleted, by network admins.
        return request.user.is_superuser

    def save_model(self, request, obj: Model, form, change: bool) -> None:
        before = {k: str(form.initial.get(k)) for k in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        audit(
            scope=_scope(request),
            action=f"admin.{'change' if change else 'add'}",
            target=obj,
            before=before,
            after={k: str(form.cleaned_data.get(k)) for k in form.changed_data},
        )
