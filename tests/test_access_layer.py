"""The access layer cannot be forgotten: these tests fail when application code reads a tenant
model without `visible_to(scope)`.

Scanned: views, selectors, forms, dashboard panels, admin and API modules, and every module that
reads tenant data to act on it: services (`services.py` and `services/` packages), the ledger,
notifications (`notify.py`, `notifications.py`, the notifications app), Celery tasks, exports, the audit log, billing
and the admin site. Not scanned: `demo.py` seed modules and management commands,
system jobs that run as a whole under the RLS bypass (docs/rls.md).

The deliberate, reviewable exceptions are functions named `unscoped_*` and functions decorated
with `rls.context.bypass(reason=...)`: each is a named system step.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin

from orgs.models import TenantQuerySet

ROOT = Path(__file__).resolve().parent.parent
READ_MODULES = (
    "views.py",
    "selectors.py",
    "forms.py",
    "dashboard.py",
    "admin.py",
    "api.py",
    "services.py",
    "notify.py",
    "notifications.py",
    "tasks.py",
    "exports.py",
)
READ_PACKAGES = ("views", "selectors", "services")
READ_FILES = {
    Path("inventory/ledger.py"),
    Path("orgs/audit.py"),
    Path("orgs/admin_site.py"),
}
UNSCOPED = {
    "all",
    "filter",
    "get",
    "exclude",
    "first",
    "last",
    "count",
    "values",
    "values_list",
    "order_by",
    "select_related",
    "prefetch_related",
    "annotate",
    "aggregate",
    "iterator",
    "in_bulk",
    "latest",
    "earliest",
    "exists",
    "get_or_create",
    "update_or_create",
    "select_for_update",
    "update",
    "delete",
    "distinct",
    "only",
}


def tenant_models():
    return [
        m
        for m in apps.get_models()
        if isinstance(m._default_manager.get_queryset(), TenantQuerySet)
    ]


def read_module_files():
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench"} or "migrations" in rel.parts:
            continue
        # Seed data and management commands are system jobs under the bypass (docstring).
        if path.name == "demo.py" or "management" in rel.parts:
            continue
        in_package = len(rel.parts) > 1 and rel.parts[-2] in READ_PACKAGES
        if path.name in READ_MODULES or rel in READ_FILES or in_package:
            yield path


def is_bypass(decorator: ast.expr) -> bool:
    """`@bypass(reason=...)` or `@rls.context.bypass(reason=...)`."""
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return name == "bypass" and any(k.arg == "reason" for k in decorator.keywords)


def exempt_nodes(tree: ast.AST) -> set[int]:
    """Nodes inside `unscoped_*` functions and `@bypass(reason=...)` functions."""
    return {
        id(inner)
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        and (fn.name.startswith("unscoped_") or any(is_bypass(d) for d in fn.decorator_list))
        for inner in ast.walk(fn)
    }


def unscoped_reads(tree: ast.AST, names: set[str]) -> list[tuple[int, str]]:
    """(line, "Model.objects.method") of every tenant read not through visible_to."""
    exempt = exempt_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        # Model.objects.<method>(...) where <method> is not visible_to
        if (
            isinstance(node, ast.Attribute)
            and node.attr in UNSCOPED
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "objects"
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in names
        ):
            found.append((node.lineno, f"{node.value.value.id}.objects.{node.attr}"))
    return found


def test_every_tenant_model_has_visible_to():
    models = tenant_models()
    assert {"Organization", "Location", "Membership", "Party", "OrganizationRelationship"} <= {
        m.__name__ for m in models
    }
    for model in models:
        queryset = type(model._default_manager.get_queryset())
        # Each model states its own rule; staff and the preview lens live in visible_to, once.
        assert queryset.rule is not TenantQuerySet.rule, model
        assert queryset.visible_to is TenantQuerySet.visible_to, model


def test_the_guard_scans_services_and_every_module_that_reads_tenant_data():
    scanned = {path.relative_to(ROOT).as_posix() for path in read_module_files()}
    assert {
        "orgs/services/organizations.py",
        "orgs/services/parties.py",
        "partnerships/services/invitations.py",
        "partnerships/services/acceptance.py",
        "partnerships/services/partnerships.py",
        "partnerships/services/preview.py",
        "partnerships/services/messages.py",
        "partnerships/views/invitations.py",
        "partnerships/views/partnerships.py",
        "partnerships/views/preview.py",
        "notifications/services.py",
        "notifications/selectors.py",
        "notifications/views.py",
        "notifications/forms.py",
        "billing/notify.py",
        "billing/services/plans.py",
        "billing/services/checkout.py",
        "billing/services/dunning.py",
        "billing/services/webhooks.py",
        "billing/services/network.py",
        "billing/services/overrides.py",
        "billing/selectors.py",
        "shipments/services/shipments.py",
        "shipments/services/asns.py",
        "shipments/services/receipts.py",
        "shipments/services/cases.py",
        "shipments/services/common.py",
        "inventory/services/catalog.py",
        "inventory/services/csv_import.py",
        "inventory/services/operations.py",
        "inventory/services/counts.py",
        "inventory/services/guards.py",
        "inventory/views/operations.py",
        "procurement/services.py",
        "api/services.py",
        "inventory/ledger.py",
        "inventory/exports.py",
        "shipments/notify.py",
        "billing/tasks.py",
        "orgs/audit.py",
        "orgs/admin_site.py",
    } <= scanned
    assert not {p for p in scanned if p.endswith("demo.py") or "/management/" in p}


def test_the_guard_catches_an_unscoped_read_and_spares_named_exceptions():
    source = """
from rls.context import bypass

def shipment_ship(*, scope, shipment):
    Shipment.objects.select_for_update().get(pk=shipment.pk)

def unscoped_relock(instance):
    return Shipment.objects.select_for_update().get(pk=instance.pk)

@bypass(reason="webhook")
def webhook(event):
    return Shipment.objects.filter(ref=event)
"""
    assert unscoped_reads(ast.parse(source), {"Shipment"}) == [
        (5, "Shipment.objects.select_for_update")
    ]


def test_every_model_with_a_public_id_has_visible_to():
    """Anything addressable by a public id in a URL or the API is a tenant model."""
    tenant = set(tenant_models())
    with_public_id = [
        m
        for m in apps.get_models()
        if any(f.name == "public_id" for f in m._meta.get_fields())
        and m._meta.app_label not in {"auth", "contenttypes", "sessions", "admin", "guardian"}
    ]
    assert {"Receipt", "Shipment", "Transfer", "ApiToken"} <= {m.__name__ for m in with_public_id}
    assert [m for m in with_public_id if m not in tenant] == []


def test_no_read_module_queries_a_tenant_model_without_visible_to():
    names = {m.__name__ for m in tenant_models()}
    offenders = [
        f"{path.relative_to(ROOT)}:{line} {read}"
        for path in read_module_files()
        for line, read in unscoped_reads(ast.parse(path.read_text()), names)
    ]
    assert not offenders, "Tenant reads without visible_to(scope):\n" + "\n".join(offenders)


def test_every_tenant_model_admin_is_scoped_or_staff_only(rf, scope_of, demo):
    """A tenant ModelAdmin either filters through visible_to (ScopedModelAdmin) or is closed
    to network admins altogether (platform staff only)."""
    from orgs.admin_site import ScopedModelAdmin

    request = rf.get("/admin/")
    request.user = demo.user("super@luxebond.example")
    request.scope = scope_of("super@luxebond.example")
    for model in tenant_models():
        model_admin = admin.site._registry.get(model)
        if model_admin is None or isinstance(model_admin, ScopedModelAdmin):
            continue
        assert not model_admin.has_module_permission(request), model
        assert not model_admin.has_view_permission(request), model


@pytest.mark.parametrize("email", ["super@luxebond.example", "admin@medsupply.example"])
def test_every_scoped_admin_queryset_stays_inside_the_network(email, rf, scope_of, demo):
    from orgs.admin_site import ScopedModelAdmin

    scope = scope_of(email)
    request = rf.get("/admin/")
    request.user = demo.user(email)
    request.scope = scope
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedModelAdmin):
            continue
        allowed = model._default_manager.visible_to(scope)
        shown = model_admin.get_queryset(request)
        assert set(shown.values_list("pk", flat=True)) <= set(
            allowed.values_list("pk", flat=True)
        ), model


def test_form_choice_querysets_are_scoped(scope_of, demo):
    from django import forms as djforms

    from orgs import forms

    scope = scope_of("super@luxebond.example")
    outsiders = {demo.org("ORG-401").pk, demo.org("ORG-101").pk}
    for form in (
        forms.LocationForm(scope=scope),
        forms.RelationshipForm(scope=scope),
        forms.MemberLocationsForm(scope=scope, organization=demo.org("ORG-003")),
    ):
        for field in form.fields.values():
            if isinstance(field, djforms.ModelChoiceField):
                pks = set(field.queryset.values_list("pk", flat=True))
                model = field.queryset.model
                if model.__name__ == "Organization":
                    assert not pks & outsiders
                assert pks <= set(model.objects.visible_to(scope).values_list("pk", flat=True))
