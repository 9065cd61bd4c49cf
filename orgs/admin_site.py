"""The Django admin, scoped: platform staff see everything; a network's ORG_SUPER_ADMIN sees
only the organizations it administers. Every tenant ModelAdmin derives from ScopedModelAdmin.

Writes by a network admin follow the dashboard's rules, enforced here once for every admin:

- the add form shows only `network_add_fields`, the change form edits only
  `network_change_fields`; everything else is read-only (re-parenting, memberships' org and
  user, a location's operator, a partnership's status never change from the admin);
- every foreign key (its choices, and the POSTed value) must be an object the viewer
  *administers* (`administered_queryset`), not merely one it can see: partners are visible by
  name, never administered;
- the save goes through the app's service (`service_add` / `service_change`), with its checks
  and audit event; an admin without a service is view-only for network admins;
- a service's refusal is shown as a form error and nothing is written.

Platform staff (Django superusers) keep the plain admin, and their saves are audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Model, Q, QuerySet

from orgs.audit import audit
from orgs.models import Location, Membership, Organization, TenantQuerySet
from orgs.two_factor import TwoFactorState, two_factor_state


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
        """Staff or the network root's super admin, in a session that passed two-factor when
        the user has a device or a policy requires one (docs/security-two-factor.md)."""
        user = request.user
        return (
            user.is_active
            and (user.is_superuser or is_network_super_admin(request))
            and two_factor_state(request) is TwoFactorState.OK
        )


def administered_queryset(scope, model: type[Model], site: admin.AdminSite | None = None):
    """The objects of `model` that `scope` administers: what a network admin may point a
    foreign key at. Visibility is not enough (a partner is visible by name, never
    administered); anything this function does not know is refused.

    This is the admin's one write-side rule; a central policy (`orgs.policy.can`) can later
    answer it instead.
    """
    manager = model._default_manager
    if scope is None:
        return manager.none()
    if scope.is_platform_staff:
        return manager.all()
    administered = scope.administered_org_ids
    if model is Organization:
        return manager.filter(pk__in=administered)
    if model is Location:
        return manager.filter(operator_id__in=administered)
    if model is get_user_model():
        # People who belong to an organization the viewer administers.
        members = (
            Membership.objects.visible_to(scope)
            .filter(organization_id__in=administered)
            .values("user_id")
        )
        return manager.filter(pk__in=members)
    model_admin = (site or admin.site)._registry.get(model)
    rows = manager.all()
    if isinstance(model_admin, ScopedModelAdmin) and isinstance(rows, TenantQuerySet):
        return rows.visible_to(scope).filter(**{f"{model_admin.admin_org_field}__in": administered})
    return manager.none()


class ServiceRefused(Exception):
    """A service refused an admin save; carries the messages to show on the form."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("; ".join(messages))


def _refusal_messages(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [getattr(exc, "message", None) or str(exc) or "You may not make this change."]


def _service_errors() -> tuple[type[Exception], ...]:
    from core.entitlements import FeatureNotAvailable, LimitReached

    return (ValidationError, PermissionDenied, LimitReached, FeatureNotAvailable)


_REFUSALS_ATTR = "_scoped_admin_refusals"


class ScopedModelAdmin(admin.ModelAdmin):
    """Querysets, foreign-key choices, filters and autocomplete all go through visible_to;
    network admins' saves go through services (see the module docstring)."""

    # Path from this model to the organization that must be administered by the viewer.
    admin_org_field: str = "pk"
    # A network admin may add/change only where the admin names the fields its service takes
    # and implements the service; otherwise the admin is view-only for them.
    network_can_add = True
    network_can_change = True
    network_add_fields: tuple[str, ...] = ()
    network_change_fields: tuple[str, ...] = ()

    # --- services -------------------------------------------------------------------------

    def service_add(self, request, scope, data: dict[str, Any]) -> Model:
        """Create the object through the app's service; `data` holds `network_add_fields`."""
        raise NotImplementedError

    def service_change(
        self, request, scope, obj: Model, data: dict[str, Any], changed: list[str]
    ) -> Model:
        """Apply `changed` (a subset of `network_change_fields`) through the app's service."""
        raise NotImplementedError

    def _implements(self, name: str) -> bool:
        return getattr(type(self), name) is not getattr(ScopedModelAdmin, name)

    def network_adds(self) -> bool:
        return bool(
            self.network_can_add and self.network_add_fields and self._implements("service_add")
        )

    def network_changes(self) -> bool:
        return bool(
            self.network_can_change
            and self.network_change_fields
            and self._implements("service_change")
        )

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if self.list_editable:
            errors.append(
                checks.Error(
                    "ScopedModelAdmin does not support list_editable (its saves bypass the "
                    "form checks).",
                    obj=type(self),
                    id="orgs.E001",
                )
            )
        return errors

    # --- who ------------------------------------------------------------------------------

    def _network_admin(self, request) -> bool:
        return not request.user.is_superuser and is_network_super_admin(request)

    def has_module_permission(self, request) -> bool:
        return request.user.is_superuser or self._network_admin(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or self._network_admin(request)

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser or (self.network_adds() and self._network_admin(request))

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser or (
            self.network_changes() and self._network_admin(request)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Tenant data is deactivated, never deleted, by network admins.
        return request.user.is_superuser

    # --- what is read ---------------------------------------------------------------------

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

    # --- what may be written --------------------------------------------------------------

    def administered(self, request, model: type[Model]) -> QuerySet:
        return administered_queryset(_scope(request), model, self.admin_site)

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
        """Choices offered for a relation: only what the viewer administers."""
        allowed = self.administered(request, queryset.model)
        return queryset.filter(pk__in=allowed.values("pk"))

    def _editable_relation_names(self) -> list[str]:
        return [
            f.name
            for f in (*self.model._meta.fields, *self.model._meta.many_to_many)
            if f.is_relation and f.editable
        ]

    def get_fieldsets(self, request, obj=None):
        if obj is None and self._network_admin(request):
            return [(None, {"fields": list(self.network_add_fields)})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is None or not self._network_admin(request):
            return fields
        # Whatever the service does not take is shown, never edited.
        excluded = set(self.exclude or ())
        model_fields = (*self.model._meta.fields, *self.model._meta.many_to_many)
        extra = tuple(
            f.name
            for f in model_fields
            if f.editable
            and not f.auto_created
            and f.name not in self.network_change_fields
            and f.name not in excluded
            and f.name not in fields
        )
        return fields + extra

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if request.user.is_superuser:
            return form
        model_admin = self

        class AdministeredForm(form):
            """Re-validates every relation against what the viewer administers; an unchanged
            current value is kept (keeping it changes nothing)."""

            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                for name, field in self.fields.items():
                    current = model_admin._current_pks(self.instance, name)
                    if current and hasattr(field, "queryset"):
                        field.queryset = field.queryset.model._default_manager.filter(
                            Q(pk__in=field.queryset.values("pk")) | Q(pk__in=current)
                        )

            def clean(self):
                cleaned = super().clean()
                model_admin._check_relations(request, self, cleaned)
                refusals = getattr(request, _REFUSALS_ATTR, None)
                if refusals:
                    raise ValidationError(refusals)
                return cleaned

        AdministeredForm.__name__ = form.__name__
        return AdministeredForm

    def _current_pks(self, instance: Model, name: str) -> set:
        if instance is None or instance.pk is None:
            return set()
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return set()
        if isinstance(field, models.ForeignKey):
            value = getattr(instance, field.attname)
            return {value} if value is not None else set()
        if isinstance(field, models.ManyToManyField):
            return set(getattr(instance, name).values_list("pk", flat=True))
        return set()

    def _check_relations(self, request, form, cleaned: dict) -> None:
        """Second wall behind the choices: every related object in the POST is administered."""
        for name in form.fields:
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if not field.is_relation or name not in cleaned:
                continue
            value = cleaned[name]
            if value is None:
                continue
            pks = {v.pk for v in value} if field.many_to_many else {value.pk}
            pks -= self._current_pks(form.instance, name)
            if not pks:
                continue
            allowed = self.administered(request, field.related_model).filter(pk__in=pks)
            if allowed.count() != len(pks):
                form.add_error(name, "You do not administer this.")

    # --- how it is saved ------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ServiceRefused as refused:
            # The service raised inside the view's transaction, so nothing was written. Show
            # the same form again with the reasons (the form's clean reports them).
            setattr(request, _REFUSALS_ATTR, refused.messages)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj: Model, form, change: bool) -> None:
        if not request.user.is_superuser:
            self._save_through_service(request, obj, form, change)
            return
        before = {k: str(form.initial.get(k)) for k in form.changed_data} if change else None
        super().save_model(request, obj, form, change)
        audit(
            scope=_scope(request),
            action=f"admin.{'change' if change else 'add'}",
            target=obj,
            before=before,
            after={k: str(form.cleaned_data.get(k)) for k in form.changed_data},
        )

    def _save_through_service(self, request, obj: Model, form, change: bool) -> None:
        scope = _scope(request)
        if not self._network_admin(request) or scope is None:
            raise PermissionDenied
        try:
            with transaction.atomic():
                if change:
                    if not self.network_changes():
                        raise PermissionDenied
                    allowed = self.network_change_fields
                    changed = [k for k in form.changed_data if k in allowed]
                    if not changed:
                        return
                    original = self.get_queryset(request).get(pk=obj.pk)
                    data = {k: form.cleaned_data[k] for k in allowed if k in form.cleaned_data}
                    saved = self.service_change(request, scope, original, data, changed)
                else:
                    if not self.network_adds():
                        raise PermissionDenied
                    data = {
                        k: form.cleaned_data[k]
                        for k in self.network_add_fields
                        if k in form.cleaned_data
                    }
                    saved = self.service_add(request, scope, data)
        except _service_errors() as exc:
            raise ServiceRefused(_refusal_messages(exc)) from exc
        # The admin goes on to log and redirect with `obj`: make it the saved row.
        obj.pk = saved.pk
        obj._state.adding = False
        for f in self.model._meta.concrete_fields:
            setattr(obj, f.attname, getattr(saved, f.attname))

    def save_related(self, request, form, formsets, change):
        if request.user.is_superuser:
            return super().save_related(request, form, formsets, change)
        # Network admins: the service saved the relations it takes; inlines are read-only.
        return None
