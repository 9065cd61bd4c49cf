"""PartyContact moves here from partnerships (parties live with their model), in Django's state
only: the table keeps its name (partnerships_partycontact), rows and row-level-security policy.
partnerships 0003 drops the model from its own state after this."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_relationship_no_cycles"),
        # The table itself was created there.
        ("partnerships", "0002_invitation_message_notification_and_more"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="PartyContact",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("name", models.CharField(max_length=150)),
                        ("title", models.CharField(blank=True, max_length=100)),
                        ("email", models.EmailField(blank=True, max_length=254)),
                        ("phone", models.CharField(blank=True, max_length=40)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("party", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="contacts", to="orgs.party")),
                    ],
                    options={
                        "db_table": "partnerships_partycontact",
                        "ordering": ["name"],
                        "constraints": [models.CheckConstraint(condition=models.Q(("name", ""), _negated=True), name="party_contact_name_not_blank")],
                    },
                ),
            ],
        ),
    ]
