"""What makes a table a tenant table, stated at the bottom of the stack.

A model whose queryset derives from RowSecuredQuerySet holds tenant rows: rls/checks.py requires
its table to have row-level security enabled and forced, with a policy. The application's base
(orgs.models.TenantQuerySet, which adds `visible_to`) derives from it, so every tenant model is
checked; the marker lives here so the check never imports the apps it guards."""

from django.db import models


class RowSecuredQuerySet(models.QuerySet):
    """Marker base: rows of this model are protected by a row-level security policy."""
