"""The application's database role: NOSUPERUSER NOBYPASSRLS, so the policies apply to it.

Superusers and BYPASSRLS roles ignore row-level security. Where the configured user is a
superuser (the embedded pgserver of `make run`, CI's `postgres`), the connection creates the
role once and switches to it with SET ROLE (Django's OPTIONS["assume_role"]); tables created by
migrations then belong to the app role, and FORCE ROW LEVEL SECURITY subjects the owner too.
In production the app logs in as that role directly and nothing here runs.
"""

from __future__ import annotations

_ready: set[tuple[str, str]] = set()


def ensure_role(pg_connection, role: str, dbname: str) -> None:
    """Create `role` if the session user is a superuser and it is missing; let it create in
    the public schema. Runs its catalog look-up once per process and database."""
    if (role, dbname) in _ready:
        return
    with pg_connection.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")
        row = cur.fetchone()
        if row and row[0]:
            create = (
                f"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN"
                f' CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS CREATEDB NOCREATEROLE;'
                " END IF; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
            cur.execute(create)
            cur.execute(f'GRANT USAGE, CREATE ON SCHEMA public TO "{role}"')
            if dbname != "postgres":  # the maintenance database (test DB creation) holds no app
                adopt_objects(cur, role)
    _ready.add((role, dbname))


def adopt_objects(cursor, role: str) -> None:
    """Give the app role the tables, sequences, views and functions of the public schema that
    another role created (a database migrated as a superuser before RLS existed, e.g. an older
    .data/pg). Runs as the superuser, before SET ROLE; one catalog query when nothing is left."""
    cursor.execute(
        """
        SELECT c.relkind, quote_ident(c.relname) FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'S', 'v', 'm', 'p')
          AND pg_get_userbyid(c.relowner) <> %s
          AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
        UNION ALL
        SELECT 'f', p.oid::regprocedure::text FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s
        """,
        [role, role],
    )
    kinds = {
        "r": "TABLE",
        "p": "TABLE",
        "S": "SEQUENCE",
        "v": "VIEW",
        "m": "MATERIALIZED VIEW",
        "f": "FUNCTION",
    }
    for kind, name in cursor.fetchall():
        cursor.execute(f'ALTER {kinds[kind]} {name} OWNER TO "{role}"')
