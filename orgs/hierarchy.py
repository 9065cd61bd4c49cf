"""The ownership tree of a network: an org's subtree and its ancestors, each one recursive
query over ACTIVE owning relationships (SUBSIDIARY, DIVISION, BRANCH). Raw SQL on purpose:
callers are the scope builder and the system steps that resolve a network's root."""

from __future__ import annotations

from django.db import connection


def subtree_ids(org_id: int) -> set[int]:
    """The org and every org below it through ACTIVE owning relationships (one query)."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH RECURSIVE tree(id) AS (
                SELECT %s::bigint
                UNION
                SELECT r.child_id FROM orgs_organizationrelationship r
                JOIN tree t ON r.parent_id = t.id
                WHERE r.status = 'ACTIVE' AND r.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH')
            )
            SELECT id FROM tree
            """,
            [org_id],
        )
        return {row[0] for row in cur.fetchall()}


def ancestor_ids(org_id: int) -> list[int]:
    """The org and its owning ancestors through ACTIVE owning relationships, nearest first
    (one query). The last id is the network root."""
    with connection.cursor() as cur:
        cur.execute(
            """
            WITH RECURSIVE up(id, depth) AS (
                SELECT %s::bigint, 0
                UNION
                SELECT r.parent_id, u.depth + 1 FROM orgs_organizationrelationship r
                JOIN up u ON r.child_id = u.id
                WHERE r.status = 'ACTIVE' AND r.type IN ('SUBSIDIARY', 'DIVISION', 'BRANCH')
            )
            SELECT id FROM up ORDER BY depth
            """,
            [org_id],
        )
        return [row[0] for row in cur.fetchall()]


def root_of(org_id: int) -> int:
    """The network root above an org."""
    return ancestor_ids(org_id)[-1]
