"""Row-level security on every tenant table (rls/policies.py), after every app's tables exist.

A new tenant table needs an entry in rls/policies.py and a migration like this one;
`manage.py check_rls` (run by CI and tests/test_rls.py) fails until it has one."""

from django.db import migrations

from rls.policies import FUNCTIONS, POLICIES, apply_sql, disable_sql


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(FUNCTIONS)
        for table, using in POLICIES.items():
            apply_sql(cur, table, using)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        for table in POLICIES:
            cur.execute(disable_sql(table))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("api", "0001_initial"),
        ("billing", "0001_initial"),
        ("inventory", "0002_bomline_stockcount_stockcountline_transfer_and_more"),
        ("orgs", "0002_relationship_no_cycles"),
        ("partnerships", "0002_invitation_message_notification_and_more"),
        ("procurement", "0001_initial"),
        ("shipments", "0002_sequences"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
