"""Notification and NotificationPreference move here from partnerships, in Django's state only.

The tables keep their names (partnerships_notification, partnerships_notificationpreference):
no row, index or row-level-security policy is touched. partnerships 0003 drops the models
from its own state after this."""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("orgs", "0002_relationship_no_cycles"),
        # The tables themselves were created there.
        ("partnerships", "0002_invitation_message_notification_and_more"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("kind", models.CharField(max_length=40)),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField(blank=True)),
                        ("url", models.CharField(blank=True, max_length=300)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("organization", models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="orgs.organization")),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notifications", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "partnerships_notification",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(condition=models.Q(("read_at__isnull", True)), fields=["user", "-created_at"], name="notification_unread_idx"),
                            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="NotificationPreference",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("kind", models.CharField(max_length=40)),
                        ("in_app", models.BooleanField(default=True)),
                        ("email", models.BooleanField(default=True)),
                        ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="notification_prefs", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "partnerships_notificationpreference",
                        "constraints": [models.UniqueConstraint(fields=("user", "kind"), name="notification_pref_unique")],
                    },
                ),
            ],
        ),
    ]
