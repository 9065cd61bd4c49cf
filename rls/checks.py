"""The catalog check: every tenant table has row-level security enabled and forced, with a
policy. A tenant model is one whose queryset is a RowSecuredQuerySet (rls/tenant.py; every
orgs.models.TenantQuerySet, the ones with `visible_to`, is one), plus every table
rls/policies.py names (documents' lines)."""

from __future__ import annotations

from django.apps import apps
from django.db import connection

from .policies import POLICIES
from .tenant import RowSecuredQuerySet


def tenant_models() -> list:
    return [
        m
        for m in apps.get_models()
        if isinstance(m._default_manager.get_queryset(), RowSecuredQuerySet)
    ]


def tenant_tables() -> list[str]:
    return sorted({m._meta.db_table for m in tenant_models()} | set(POLICIES))


def problems() -> list[str]:
    """One line per tenant table that is not protected; empty when all are."""
    tables = tenant_tables()
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname = ANY(%s)
            """,
            [tables],
        )
        found = {row[0]: row[1:] for row in cur.fetchall()}
    out = []
    for table in tables:
        if table not in POLICIES:
            out.append(f"{table}: no policy in rls/policies.py")
        if table not in found:
            out.append(f"{table}: table not found")
            continue
        enabled, forced, policies = found[table]
        if not enabled:
            out.append(f"{table}: row level security is not enabled")
        if not forced:
            out.append(f"{table}: row level security is not forced")
        if not policies:
            out.append(f"{table}: no policy")
    return out
