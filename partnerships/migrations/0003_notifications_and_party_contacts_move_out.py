"""Notification and NotificationPreference now belong to the notifications app, PartyContact to
orgs: drop them from this app's state only. The tables stay as they are (see notifications 0001
and orgs 0003, which took them over under the same table names)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("partnerships", "0002_invitation_message_notification_and_more"),
        ("notifications", "0001_initial"),
        ("orgs", "0003_partycontact"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="NotificationPreference"),
                migrations.DeleteModel(name="PartyContact"),
            ],
        ),
    ]
