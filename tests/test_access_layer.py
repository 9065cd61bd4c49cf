"""The access layer cannot be forgotten: these tests fail when a view, selector, form,
dashboard panel or admin reads a tenant model without `visible_to(scope)`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin

from orgs.models import TenantQuerySet

ROOT = Path(__file__).resolve().parent.parent
READ_MODULES = ("views.py", "selectors.py", "forms.py", "dashboard.py", "admin.py", "api.py")
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
        if rel.parts[0] in {".venv", "tests", "bench", "migrations"} or "migrations" in rel.parts:
            continue
        if path.name in READ_MODULES or rel.parts[-2:-1] in (("views",), ("selectors",)):
            yield path


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


def test_no_read_module_queries_a_tenant_model_without_visible_to():
    names = {m.__name__ for m in tenant_models()}
    offenders = []
    for path in read_module_files():
        tree = ast.parse(path.read_text())
        # Functions named unscoped_* are the deliberate, reviewable exceptions.
        exempt = {
            id(inner)
            for fn in ast.walk(tree)
            if isinstance(fn, ast.FunctionDef) and fn.name.startswith("unscoped_")
            for inner in ast.walk(fn)
        }
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
                offenders.append(
                    f"{path.relative_to(ROOT)}:{node.lineno} {node.value.value.id}.objects.{node.attr}"
                )
    assert not offenders, "Tenant reads without visible_to(scope):\n" + "\n".join(offenders)


def test_every_tenant_model_admin_is_scoped_or_staff_only(rf, scope_of, demo):
    """A tenant ModelAdmin either filters through visible_to (ScopedModelAdmin) or is closed
    to network admins altogether (platform staff only)."""
    from betterdata.admin_site import ScopedModelAdmin

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
    from betterdata.admin_site import ScopedModelAdmin

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
