"""Billing stored its notifications as "billing.payment_failed" / "billing.plan_changed" while
preferences are kept under "payment_failed" / "plan_changed" (core.enums.NotificationKind), so
a preference never applied to them. Rename the stored kinds to the enum's values."""

from django.db import migrations

from rls.context import bypass

RENAMES = {
    "billing.payment_failed": "payment_failed",
    "billing.plan_changed": "plan_changed",
}


def forwards(apps, schema_editor):
    # Every person's rows, past the tenant policies: a system step, not a viewer's read.
    with bypass(reason="migration: rename billing notification kinds", using=schema_editor.connection):
        for model_name in ("Notification", "NotificationPreference"):
            model = apps.get_model("notifications", model_name)
            for old, new in RENAMES.items():
                rows = model.objects.filter(kind=old)
                if model_name == "NotificationPreference":
                    # One preference per person and kind: an existing new-style row wins.
                    taken = model.objects.filter(kind=new).values("user_id")
                    rows.filter(user_id__in=taken).delete()
                rows.update(kind=new)


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
