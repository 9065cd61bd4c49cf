"""The audit log's policies (rls/policies.py): an event is readable by the admins of the
organization that acted and of every organization it touched, through its rows in the read
index (orgs_auditeventorg, itself readable by the admins of its organization)."""

from django.db import migrations

from rls.policies import POLICIES, disable_sql, enable_sql

TABLES = ("orgs_auditeventorg", "orgs_auditevent")
BEFORE = "acting_org_id = ANY((SELECT app_ids('admin_org_ids'))::bigint[])"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for table in TABLES:
            cur.execute(enable_sql(table, POLICIES[table]))


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(enable_sql("orgs_auditevent", BEFORE))
        cur.execute(disable_sql("orgs_auditeventorg"))


class Migration(migrations.Migration):
    dependencies = [
        ("rls", "0003_membership_invitation"),
        ("orgs", "0006_auditevent_subject_org_ids"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
