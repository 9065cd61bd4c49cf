"""Re-apply every policy of rls/policies.py (orgs_location: the locations a member's organization
sees exist for it, so its transfers and counts keep both ends). Policies are idempotent (DROP
POLICY IF EXISTS; CREATE POLICY), so a change to rls/policies.py ships as a migration like this."""

from django.db import migrations

from rls.policies import POLICIES, apply_sql


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for table, using in POLICIES.items():
            apply_sql(cur, table, using)


class Migration(migrations.Migration):
    dependencies = [("rls", "0001_enable_rls")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
