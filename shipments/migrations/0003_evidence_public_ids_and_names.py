"""Receipt lines and case messages get a public id (their evidence downloads are addressed by
it), the uploader's file name, random stored names and the content check (core/uploads.py).

Existing rows get their public ids from PostgreSQL's gen_random_uuid() as the column is added
(a database default, dropped right after), so no data step has to read past row-level security.
"""

import uuid

import django.contrib.postgres.functions
from django.db import migrations, models

import core.uploads


def _public_id(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name="public_id",
            field=models.UUIDField(
                db_default=django.contrib.postgres.functions.RandomUUID(),
                editable=False,
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name=model_name,
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("shipments", "0002_sequences"),
    ]

    operations = [
        *_public_id("receiptline"),
        *_public_id("casemessage"),
        migrations.AddField(
            model_name="receiptline",
            name="attachment_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AddField(
            model_name="casemessage",
            name="attachment_name",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.AlterField(
            model_name="receiptline",
            name="attachment",
            field=models.FileField(
                blank=True,
                max_length=200,
                upload_to=core.uploads.RandomName("receipts"),
                validators=[core.uploads.validate_evidence],
            ),
        ),
        migrations.AlterField(
            model_name="casemessage",
            name="attachment",
            field=models.FileField(
                blank=True,
                max_length=200,
                upload_to=core.uploads.RandomName("cases"),
                validators=[core.uploads.validate_evidence],
            ),
        ),
    ]
