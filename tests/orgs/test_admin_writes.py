"""The Django admin saves only what the dashboard's rules allow.

A network ORG_SUPER_ADMIN may point a foreign key only at what it *administers*: partners are
visible by name, never administered; another network is invisible. The generic test below
walks the admin site's registry, so a newly registered admin is covered without editing it.
"""

from __future__ import annotations

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.urls import reverse

from orgs.access import scope_for_user
from orgs.admin_site import ScopedModelAdmin
from orgs.models import (
    AuditEvent,
    Location,
    Membership,
    Organization,
    OrganizationRelationship,
    TenantQuerySet,
)
from partnerships.models import Partnership, PartnershipStatus

pytestmark = pytest.mark.django_db

NETWORK_ADMINS = ["super@luxebond.example", "admin@medsupply.example"]

# Objects outside each persona's administration: a partner it sees by name, and another
# network it does not see at all.
OUTSIDE = {
    "super@luxebond.example": {
        Organization: ["ORG-101", "ORG-102", "ORG-401"],
        Location: ["LOC-101", "LOC-104", "LOC-401"],  # Amazon's, Sephora's, MedSupply's
        "user": ["ops@amazon.example", "admin@medsupply.example"],
    },
    "admin@medsupply.example": {
        Organization: ["ORG-201", "ORG-001"],
        Location: ["LOC-201", "LOC-001"],
        "user": ["admin@packagepro.example", "super@luxebond.example"],
    },
}

PROJECT_APPS = {
    "accounts",
    "orgs",
    "partnerships",
    "billing",
    "api",
    "procurement",
    "shipments",
    "inventory",
    "analytics",
    "guardian",
    "auth",
}


# --- helpers ----------------------------------------------------------------------------------


def admin_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    request.scope = scope_for_user(user)
    return request


def outside_objects(model, email: str, request) -> list:
    picks = OUTSIDE[email]
    if model is Organization:
        return list(Organization.objects.filter(code__in=picks[Organization]))
    if model is Location:
        return list(Location.objects.filter(code__in=picks[Location]))
    if model is get_user_model():
        return list(model.objects.filter(email__in=picks["user"]))
    # Any other related model: rows the persona's admin does not list, else rows it cannot see.
    model_admin = admin.site._registry.get(model)
    if model_admin is not None:
        mine = model_admin.get_queryset(request).values("pk")
        return list(model._default_manager.exclude(pk__in=mine).order_by("pk")[:2])
    if isinstance(model._default_manager.all(), TenantQuerySet):
        mine = model._default_manager.visible_to(request.scope).values("pk")
        return list(model._default_manager.exclude(pk__in=mine).order_by("pk")[:2])
    # Not tenant data (permissions, groups): never administered by a network.
    return list(model._default_manager.order_by("pk")[:2])


COUNTS = "admin_writes_counts"


def snapshot(obj=None):
    """Row counts of every project table, and the object's own fields and relations."""
    with connection.cursor() as cur:
        # One query counts every table; row-level security gives it ~50 policies' sub-plans, so
        # planning it costs far more than running it. It is planned once per connection
        # (a prepared statement lives as long as the session) and only executed per POST.
        cur.execute("SELECT 1 FROM pg_prepared_statements WHERE name = %s", [COUNTS])
        if cur.fetchone() is None:
            tables = sorted(
                {
                    m._meta.db_table
                    for m in apps.get_models(include_auto_created=True)  # m2m tables too
                    if m._meta.app_label in PROJECT_APPS
                }
            )
            counts_sql = " UNION ALL ".join(
                f"SELECT '{t}', COUNT(*) FROM {connection.ops.quote_name(t)}" for t in tables
            )
            cur.execute(f"PREPARE {COUNTS} AS {counts_sql}")
        cur.execute(f"EXECUTE {COUNTS}")
        counts = dict(cur.fetchall())
    state = None
    if obj is not None:
        fresh = type(obj)._default_manager.get(pk=obj.pk)
        state = {f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields}
        for m2m in fresh._meta.many_to_many:
            state[m2m.name] = sorted(getattr(fresh, m2m.name).values_list("pk", flat=True))
    return counts, state


def _put(data: dict, name: str, field, value) -> None:
    widget = field.widget
    if isinstance(widget, forms.MultiWidget):
        parts = widget.decompress(value) if not isinstance(value, list) else value
        for i, part in enumerate(parts):
            data[f"{name}_{i}"] = "" if part is None else str(part)
    elif isinstance(field, forms.ModelMultipleChoiceField):
        data[name] = [str(getattr(v, "pk", v)) for v in value or []]
    elif isinstance(field, forms.BooleanField):
        if value:
            data[name] = "on"
    else:
        data[name] = "" if value is None else str(getattr(value, "pk", value))


def _filler(field):
    if isinstance(field, forms.ModelChoiceField):
        first = field.queryset.first()
        return first.pk if first is not None else None
    if isinstance(field, forms.ChoiceField):
        return next((v for v, _ in field.choices if v not in ("", None)), None)
    if isinstance(field, forms.EmailField):
        return "admin-writes@example.com"
    if isinstance(field, forms.IntegerField):
        return 1
    if isinstance(field, forms.CharField):
        return "Admin writes test"
    return None


def form_data(response, fill_required: bool = False) -> dict:
    """What the admin form would post unchanged (required blanks filled with valid values)."""
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if fill_required and field.required and value in (None, "", []):
            value = _filler(field)
        _put(data, name, field, value)
    for inline in response.context.get("inline_admin_formsets") or []:
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    return data


def refused(response) -> bool:
    if response.status_code in (403, 404):
        return True
    if response.status_code != 200 or response.context is None:
        return False
    return bool(response.context.get("errors"))


def relation_fields(model):
    return [
        f
        for f in (*model._meta.fields, *model._meta.many_to_many)
        if f.is_relation and f.editable and not f.auto_created
    ]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


# --- the generated matrix -----------------------------------------------------------------------

REGISTERED = sorted(admin.site._registry, key=lambda m: m._meta.label)
CASES = [
    pytest.param(
        email, model._meta.label, mode, id=f"{email.split('@')[0]}-{model._meta.label}-{mode}"
    )
    for email in NETWORK_ADMINS
    for model in REGISTERED
    for mode in ("add", "change")
]


@pytest.mark.parametrize(("email", "label", "mode"), CASES)
def test_admin_never_saves_a_relation_outside_the_viewers_administration(
    email, label, mode, login, demo
):
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    user = demo.user(email)
    request = admin_request(user)
    client = login(email)

    if mode == "change" and model._meta.label == "api.ApiToken":
        from api.services import api_token_create

        api_token_create(scope=request.scope, name="admin writes")  # the seed has none

    obj, outside_obj = None, False
    if mode == "add":
        url = admin_url(model, "add")
    else:
        mine = model_admin.get_queryset(request).order_by("pk")
        # Prefer another person's membership: its own is refused for another reason.
        others = mine.exclude(user=user) if model is Membership else mine
        obj = others.first() or mine.first()
        if obj is None:
            # Nothing of this model is the persona's: try one it does not list (a 302 to the
            # admin index, "does not exist", is then a refusal too).
            obj = model._default_manager.order_by("pk").first()
            outside_obj = True
        if obj is None:
            # No row exists to change (staff-only billing and auth admins): the admin must
            # refuse the model outright to this persona, and a forged change saves nothing.
            assert not model_admin.has_change_permission(request), label
            before = model._default_manager.count()
            response = client.post(admin_url(model, "change", 2**31 - 1), {"name": "forged"})
            assert response.status_code in (302, 403), label
            assert model._default_manager.count() == before, label
            return
        url = admin_url(model, "change", obj.pk)

    page = client.get(url)
    editable = page.status_code == 200 and page.context and "adminform" in page.context
    base = form_data(page, fill_required=mode == "add") if editable else {}
    in_form = set(page.context["adminform"].form.fields) if editable else set()
    can_save = (
        model_admin.has_add_permission(request)
        if mode == "add"
        else model_admin.has_change_permission(request, obj)
    )

    failures = []
    for field in relation_fields(model):
        if mode == "add" and can_save and field.name not in in_form:
            continue  # an add form ignores what it does not show; its baseline is legitimate
        current = (
            {getattr(obj, field.attname)} if obj is not None and not field.many_to_many else set()
        )
        if obj is not None and field.many_to_many:
            current = set(getattr(obj, field.name).values_list("pk", flat=True))
        picks = outside_objects(field.related_model, email, request)
        if not picks and can_save and field.name in in_form:
            failures.append(f"{label}.{field.name}: no object outside the administration to try")
        for outside in picks:
            if outside.pk in current:
                continue
            data = dict(base)
            if field.many_to_many:
                data[field.name] = [str(pk) for pk in current] + [str(outside.pk)]
            else:
                data[field.name] = str(outside.pk)
            before = snapshot(obj)
            response = client.post(url, data)
            after = snapshot(obj)
            where = f"{label} {mode} {field.name}={outside}"
            if after != before:
                failures.append(f"{where}: the database changed (status {response.status_code})")
            elif (field.name in in_form or not can_save) and not (
                refused(response) or (outside_obj and response.status_code == 302)
            ):
                failures.append(f"{where}: not refused (status {response.status_code})")
    assert not failures, "\n".join(failures)


def test_every_scoped_admin_filters_relations_by_the_rows_it_lists():
    """A plain foreign-key list filter would list every organization of the platform."""
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedModelAdmin):
            continue
        for entry in model_admin.list_filter:
            if isinstance(entry, str):
                field = model._meta.get_field(entry.split("__")[0])
                assert not field.is_relation, f"{model._meta.label}.{entry}: use RelatedOnly"
            elif isinstance(entry, tuple):
                assert issubclass(entry[1], RelatedOnlyFieldListFilter), (model, entry)


def test_network_admins_save_only_through_services():
    """Every admin a network admin may write with names the service fields and the service."""
    for model, model_admin in admin.site._registry.items():
        if not isinstance(model_admin, ScopedModelAdmin):
            continue
        if model_admin.network_adds():
            assert model_admin._implements("service_add"), model
        if model_admin.network_changes():
            assert model_admin._implements("service_change"), model


# --- the findings, one by one -----------------------------------------------------------------


def test_medsupply_cannot_make_itself_admin_of_packagepro(login, demo):
    me, packagepro = demo.user("admin@medsupply.example"), demo.org("ORG-201")
    response = login("admin@medsupply.example").post(
        admin_url(Membership, "add"),
        {"user": me.pk, "organization": packagepro.pk, "role": "ORG_ADMIN"},
    )
    assert refused(response)
    assert not Membership.objects.filter(user=me, organization=packagepro).exists()
    # So it never acts as PackagePro (and never opens LUXE BOND's POs and shipments).
    assert scope_for_user(me, str(packagepro.public_id)).org_id != packagepro.pk


def test_luxe_bond_super_admin_cannot_join_its_partner_amazon(login, demo):
    me, amazon = demo.user("super@luxebond.example"), demo.org("ORG-101")
    response = login("super@luxebond.example").post(
        admin_url(Membership, "add"),
        {"user": me.pk, "organization": amazon.pk, "role": "ORG_ADMIN"},
    )
    assert refused(response)
    assert not Membership.objects.filter(user=me, organization=amazon).exists()


def test_partner_sephora_cannot_be_turned_into_a_subsidiary(login, demo):
    client = login("super@luxebond.example")
    dist, sephora = demo.org("ORG-003"), demo.org("ORG-102")
    partner_link = OrganizationRelationship.objects.get(parent=dist, child=sephora)
    owning_link = OrganizationRelationship.objects.get(parent=demo.org("ORG-001"), child=dist)
    attempts = [
        (admin_url(OrganizationRelationship, "change", partner_link.pk), {"type": "SUBSIDIARY"}),
        (
            admin_url(OrganizationRelationship, "change", owning_link.pk),
            {"parent": dist.pk, "child": sephora.pk},
        ),
        (
            admin_url(OrganizationRelationship, "add"),
            {"parent": dist.pk, "child": sephora.pk, "type": "SUBSIDIARY"},
        ),
    ]
    for url, changes in attempts:
        page = client.get(url)
        data = form_data(page) if page.status_code == 200 else {}
        data.update({"parent": dist.pk, "child": sephora.pk, "type": "SUBSIDIARY"} | changes)
        data.setdefault("status", "ACTIVE")
        before = snapshot(partner_link), snapshot(owning_link)
        response = client.post(url, data)
        assert refused(response), url
        assert (snapshot(partner_link), snapshot(owning_link)) == before
    scope = scope_for_user(demo.user("super@luxebond.example"))
    assert sephora.pk not in scope.org_ids and sephora.pk not in scope.administered_org_ids


def test_no_location_is_planted_into_amazon(login, demo):
    client = login("super@luxebond.example")
    amazon = demo.org("ORG-101")
    before = Location.objects.filter(operator=amazon).count()
    response = client.post(
        admin_url(Location, "add"),
        # (`code` only for the old form, which took it; the service numbers locations itself.)
        {
            "operator": amazon.pk,
            "code": "LOC-999",
            "name": "Planted",
            "kind": "WAREHOUSE",
            "country": "US",
        },
    )
    assert refused(response)
    assert Location.objects.filter(operator=amazon).count() == before
    assert not Location.objects.filter(name="Planted").exists()

    # Nor is an existing location handed over to Amazon.
    edison = demo.loc("LOC-003")
    url = admin_url(Location, "change", edison.pk)
    data = form_data(client.get(url)) | {"operator": amazon.pk}
    client.post(url, data)
    edison.refresh_from_db()
    assert edison.operator_id == demo.org("ORG-003").pk


def test_an_ended_partnership_is_not_reactivated_from_the_admin(login, demo, scope_of):
    from partnerships.services.partnerships import partnership_end

    partnership = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-102"
    )
    partnership_end(scope=scope_of("vmi@sephora.example"), partnership=partnership)

    client = login("super@luxebond.example")
    url = admin_url(Partnership, "change", partnership.pk)
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()  # shown, never edited
    data = form_data(page) | {"status": "ACTIVE", "ended_at_0": "", "ended_at_1": ""}
    client.post(url, data)
    partnership.refresh_from_db()
    assert partnership.status == PartnershipStatus.ENDED and partnership.ended_at is not None
    assert partnership.relationship.status == "INACTIVE"

    # Editing its terms goes through partnership_update, which refuses an ended partnership.
    response = client.post(url, data | {"terms": "Back on."})
    assert refused(response) and "has ended" in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.terms != "Back on." and partnership.status == PartnershipStatus.ENDED


# --- what still works ---------------------------------------------------------------------------


def test_network_admin_edits_its_own_location_through_the_service(login, demo):
    client = login("super@luxebond.example")
    edison = demo.loc("LOC-003")
    url = admin_url(Location, "change", edison.pk)
    data = form_data(client.get(url)) | {"name": "Edison Warehouse North"}
    response = client.post(url, data)
    assert response.status_code == 302
    edison.refresh_from_db()
    assert edison.name == "Edison Warehouse North"
    event = AuditEvent.objects.filter(action="location.update", target_id=str(edison.public_id))
    assert event.get().actor == demo.user("super@luxebond.example")
    assert event.get().after == {"name": "Edison Warehouse North"}


def test_network_admin_adds_a_location_through_the_service(login, demo):
    client = login("super@luxebond.example")
    dist = demo.org("ORG-003")
    response = client.post(
        admin_url(Location, "add"),
        {"operator": dist.pk, "name": "Reno Warehouse", "kind": "WAREHOUSE", "country": "us"},
    )
    assert response.status_code == 302
    location = Location.objects.get(name="Reno Warehouse")
    assert location.operator == dist and location.code.startswith("LOC-")
    assert location.country == "US"  # the service's normalisation ran
    assert AuditEvent.objects.filter(
        action="location.create", target_id=str(location.public_id)
    ).exists()


def test_network_admin_changes_a_role_through_the_service(login, demo):
    client = login("super@luxebond.example")
    membership = Membership.objects.get(
        user=demo.user("admin@dist.luxebond.example"), organization=demo.org("ORG-003")
    )
    url = admin_url(Membership, "change", membership.pk)
    response = client.post(url, form_data(client.get(url)) | {"role": "MEMBER"})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == "MEMBER"
    assert AuditEvent.objects.filter(
        action="membership.change_role", target_id=str(membership.public_id)
    ).exists()


def test_a_service_refusal_is_a_form_error_and_nothing_changes(login, demo):
    client = login("super@luxebond.example")
    own = Membership.objects.get(
        user=demo.user("super@luxebond.example"), organization=demo.org("ORG-001")
    )
    url = admin_url(Membership, "change", own.pk)
    before = snapshot(own)
    response = client.post(url, form_data(client.get(url)) | {"role": "MEMBER"})
    assert refused(response)
    assert "cannot change your own membership" in response.content.decode()
    assert snapshot(own) == before


def test_platform_staff_keep_full_access_and_are_audited(client, django_user_model, demo):
    staff = django_user_model.objects.create_superuser(
        email="staff@betterdata.example", password="x-very-long-1"
    )
    client.force_login(staff)
    edison = demo.loc("LOC-003")
    url = admin_url(Location, "change", edison.pk)
    page = client.get(url)
    data = form_data(page) | {"allow_negative_stock": "on"}
    assert client.post(url, data).status_code == 302
    edison.refresh_from_db()
    assert edison.allow_negative_stock
    event = AuditEvent.objects.get(action="admin.change", target_id=str(edison.public_id))
    assert event.actor == staff


# --- what the admin offers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("super@luxebond.example", {"ORG-001", "ORG-002", "ORG-003"}),
        ("admin@medsupply.example", {"ORG-401"}),
    ],
)
def test_membership_organization_autocomplete_offers_only_administered_orgs(email, expected, login):
    response = login(email).get(
        "/admin/autocomplete/",
        {"app_label": "orgs", "model_name": "membership", "field_name": "organization"},
    )
    assert response.status_code == 200
    codes = {r["text"].split()[0] for r in response.json()["results"]}
    assert codes == expected


def test_partnership_offers_only_administered_locations_to_share(login, demo):
    client = login("super@luxebond.example")
    partnership = Partnership.objects.get(
        relationship__parent__code="ORG-003", relationship__child__code="ORG-102"
    )
    page = client.get(admin_url(Partnership, "change", partnership.pk))
    offered = {
        loc.code for loc in page.context["adminform"].form.fields["shared_locations"].queryset
    }
    # Its own locations, and what the partnership already shares (kept, not re-offered wider).
    assert offered == {"LOC-001", "LOC-002", "LOC-003", "LOC-004", "LOC-005", "LOC-104"}


def test_network_admin_renames_an_organization_but_never_closes_it(login, demo):
    client = login("super@luxebond.example")
    dist = demo.org("ORG-003")
    url = admin_url(Organization, "change", dist.pk)
    data = form_data(client.get(url)) | {"name": "LUXE BOND Distribution Inc.", "status": "CLOSED"}
    assert client.post(url, data).status_code == 302
    dist.refresh_from_db()
    assert dist.name == "LUXE BOND Distribution Inc." and dist.status == "ACTIVE"
    event = AuditEvent.objects.get(action="organization.update", target_id=str(dist.public_id))
    assert event.after == {"name": "LUXE BOND Distribution Inc."}


def test_network_admin_deactivates_and_reactivates_a_member_through_the_services(login, demo):
    client = login("super@luxebond.example")
    membership = Membership.objects.get(
        user=demo.user("member@dist.luxebond.example"), organization=demo.org("ORG-003")
    )
    url = admin_url(Membership, "change", membership.pk)
    data = form_data(client.get(url))
    assert data.pop("is_active") == "on"
    assert client.post(url, data).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    assert client.post(url, data | {"is_active": "on"}).status_code == 302
    membership.refresh_from_db()
    assert membership.is_active
    actions = set(
        AuditEvent.objects.filter(target_id=str(membership.public_id)).values_list(
            "action", flat=True
        )
    )
    assert {"membership.deactivate", "membership.reactivate"} <= actions


def test_network_admin_edits_a_party_through_the_service(login, demo):
    from orgs.models import Party

    client = login("super@luxebond.example")
    ulta = Party.objects.get(name="Ulta Beauty Inc.")
    url = admin_url(Party, "change", ulta.pk)
    data = form_data(client.get(url)) | {
        "contact_name": "Vendor Desk",
        "owner": demo.org("ORG-101").pk,
    }
    assert client.post(url, data).status_code == 302
    ulta.refresh_from_db()
    assert ulta.contact_name == "Vendor Desk" and ulta.owner.code == "ORG-003"
    assert AuditEvent.objects.filter(action="party.update", target_id=str(ulta.public_id)).exists()
