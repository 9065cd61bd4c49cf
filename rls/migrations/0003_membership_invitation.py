"""Row-level security on orgs_membershipinvitation (membership by consent): only the admins of
the inviting organization read its invitations; the invitee reaches one by its link, under a
named bypass (orgs/services/membership_invitations.py)."""

from django.db import migrations

from rls.policies import POLICIES, disable_sql, enable_sql

TABLE = "orgs_membershipinvitation"


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(enable_sql(TABLE, POLICIES[TABLE]))


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cur:
        cur.execute(disable_sql(TABLE))


class Migration(migrations.Migration):
    dependencies = [("rls", "0002_reapply_policies"), ("orgs", "0004_membershipinvitation")]
    operations = [migrations.RunPython(forwards, backwards)]
