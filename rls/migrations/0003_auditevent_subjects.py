"""The audit log's policy (rls/policies.py, orgs_auditevent): an event is readable by the admins
of the organization that acted and of every organization it touched (`subject_org_ids`)."""

from django.db import migrations

from rls.policies import POLICIES, enable_sql

TABLE = "orgs_auditevent"
BEFORE = "acting_org_id = ANY((SELECT app_ids('admin_org_ids'))::bigint[])"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(enable_sql(TABLE, POLICIES[TABLE]))


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(enable_sql(TABLE, BEFORE))


class Migration(migrations.Migration):
    dependencies = [
        ("rls", "0002_reapply_policies"),
        ("orgs", "0004_auditevent_subject_org_ids"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
