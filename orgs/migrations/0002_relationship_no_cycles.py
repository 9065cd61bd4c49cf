from django.db import migrations

# The hierarchy must stay a forest. A CHECK cannot see other rows, so a trigger refuses any
# ACTIVE owning link whose child is already an ancestor of its parent. The service checks too
# (for a friendly message); this makes a cycle impossible even from a shell or the admin.
CREATE = """
CREATE OR REPLACE FUNCTION orgs_relationship_no_cycle() RETURNS trigger AS $$
BEGIN
    IF NEW.status = 'ACTIVE' AND NEW.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH') THEN
        PERFORM pg_advisory_xact_lock(hashtext('orgs_hierarchy'));
        IF EXISTS (
            WITH RECURSIVE up(id) AS (
                SELECT NEW.parent_id
                UNION
                SELECT r.parent_id FROM orgs_organizationrelationship r JOIN up ON r.child_id = up.id
                WHERE r.status = 'ACTIVE' AND r.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH')
                  AND r.id IS DISTINCT FROM NEW.id
            )
            SELECT 1 FROM up WHERE id = NEW.child_id
        ) THEN
            RAISE EXCEPTION 'relationship % -> % would create a cycle', NEW.parent_id, NEW.child_id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER orgs_relationship_no_cycle
BEFORE INSERT OR UPDATE ON orgs_organizationrelationship
FOR EACH ROW EXECUTE FUNCTION orgs_relationship_no_cycle();
"""

DROP = """
DROP TRIGGER IF EXISTS orgs_relationship_no_cycle ON orgs_organizationrelationship;
DROP FUNCTION IF EXISTS orgs_relationship_no_cycle();
"""


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial")]
    operations = [migrations.RunSQL(CREATE, DROP)]
