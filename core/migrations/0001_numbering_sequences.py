"""Sequences for organization and location codes (core.numbering).

On a database that already holds organizations and locations (an old .data DB) each sequence
starts past the highest code. On a fresh database the tables may not exist yet; `seed_demo`
moves the sequences after seeding. The SQL is written out here, not built from
core.numbering, so the migration keeps meaning what it meant when it ran.
"""

from django.db import migrations

SEQUENCES = [
    # (sequence, table, prefix)
    ("core_organization_code_seq", "orgs_organization", "ORG"),
    ("core_location_code_seq", "orgs_location", "LOC"),
]


def _forward(sequence: str, table: str, prefix: str) -> str:
    # Row-level security is forced on the tables: the highest code is read past the policies
    # (they honour app.bypass) for this one statement, then the setting is put back.
    return f"""
CREATE SEQUENCE IF NOT EXISTS {sequence};
DO $$
DECLARE previous text := coalesce(current_setting('app.bypass', true), '');
DECLARE highest bigint;
BEGIN
  IF to_regclass('{table}') IS NOT NULL THEN
    PERFORM set_config('app.bypass', 'on', true);
    EXECUTE 'SELECT COALESCE(MAX(CAST(SUBSTRING(code FROM {len(prefix) + 2}) AS bigint)), 0)'
      ' FROM {table} WHERE code ~ ''^{prefix}-[0-9]+$''' INTO highest;
    PERFORM set_config('app.bypass', previous, true);
    PERFORM setval('{sequence}', GREATEST(highest, 1), highest > 0);
  END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [
        migrations.RunSQL(
            "".join(_forward(*row) for row in SEQUENCES),
            "".join(f"DROP SEQUENCE IF EXISTS {sequence};" for sequence, _, _ in SEQUENCES),
        )
    ]
