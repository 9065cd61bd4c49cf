"""The scope version: a number that changes in the same commit as anything a Scope is built
from, so a cached Scope (orgs/access.py, `scope_for_user`) is never used after such a change.

Triggers rather than calls in services: nothing that writes these tables can forget to bump.
They are deferred to the commit, so the lock on the one version row is held only while the
transaction commits (no deadlock with the transaction's own row locks), and the new number
becomes visible atomically with the data. Each bump takes the next value of a sequence, which
is never handed out twice, even by a transaction that rolls back: a number always stands for
one state of the data.
"""

from django.db import migrations

# Every table `build_scope` reads (orgs/access.py); a new one must be added here.
SCOPE_TABLES = [
    "orgs_membership",
    "orgs_organization",
    "orgs_organizationrelationship",
    "orgs_location",
    "partnerships_partnership",
    "partnerships_partnership_shared_locations",
    "guardian_userobjectpermission",
]

CREATE = """
CREATE SEQUENCE IF NOT EXISTS orgs_scope_version_seq;
CREATE TABLE IF NOT EXISTS orgs_scopeversion (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL,
    last_txid bigint NOT NULL DEFAULT 0
);
INSERT INTO orgs_scopeversion (id, version) VALUES (1, nextval('orgs_scope_version_seq'))
    ON CONFLICT DO NOTHING;
CREATE OR REPLACE FUNCTION orgs_bump_scope_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Once per transaction, however many rows it changed.
    UPDATE orgs_scopeversion
       SET version = nextval('orgs_scope_version_seq'), last_txid = txid_current()
     WHERE id = 1 AND last_txid <> txid_current();
    RETURN NULL;
END $$;
"""

TRIGGERS = """
DROP TRIGGER IF EXISTS scope_version ON {table};
CREATE CONSTRAINT TRIGGER scope_version AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orgs_bump_scope_version();
DROP TRIGGER IF EXISTS scope_version_truncate ON {table};
CREATE TRIGGER scope_version_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION orgs_bump_scope_version();
"""

DROP = """
DROP TRIGGER IF EXISTS scope_version ON {table};
DROP TRIGGER IF EXISTS scope_version_truncate ON {table};
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0008_idempotency_key"),
        ("partnerships", "0004_idempotency_key"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
    ]

    operations = [
        migrations.RunSQL(
            CREATE + "".join(TRIGGERS.format(table=t) for t in SCOPE_TABLES),
            "".join(DROP.format(table=t) for t in SCOPE_TABLES)
            + "DROP FUNCTION IF EXISTS orgs_bump_scope_version();"
            " DROP TABLE IF EXISTS orgs_scopeversion; DROP SEQUENCE IF EXISTS orgs_scope_version_seq;",
        ),
    ]
