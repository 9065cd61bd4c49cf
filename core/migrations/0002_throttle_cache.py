"""The table of the "throttle" cache (settings.CACHES, core/throttle.py) when REDIS_URL is unset:
Django's DatabaseCache layout, as `manage.py createcachetable` would create it, so a plain
`migrate` (make db, serve_demo, the production image) is enough. Harmless when Redis is used.
The SQL is written out so the migration keeps meaning what it meant when it ran.
"""

from django.db import migrations

TABLE = "throttle_cache"

FORWARD = f"""
CREATE TABLE IF NOT EXISTS "{TABLE}" (
    "cache_key" varchar(255) NOT NULL PRIMARY KEY,
    "value" text NOT NULL,
    "expires" timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS "{TABLE}_expires" ON "{TABLE}" ("expires");
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0001_numbering_sequences")]

    operations = [migrations.RunSQL(FORWARD, f'DROP TABLE IF EXISTS "{TABLE}"')]
