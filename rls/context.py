"""The Scope, a second time, inside PostgreSQL.

Every tenant table's policy (rls/policies.py) reads the viewer's id sets from session settings
(`app.org_ids`, ...). `activate(scope)` writes them on the current connection and restores the
previous ones on exit; with nothing activated the policies return no rows (fail closed).
`bypass(reason=...)` is the one way to read past the policies: platform staff and system jobs
(scope building, seeding, webhooks, addressing notifications), each named and logged.

Settings are session-level (`set_config(..., false)`), not per transaction: Django runs in
autocommit, so a transaction-local setting would vanish after the first statement. Each entry
point (request, task, command) sets them on the way in and restores them on the way out, so a
pooled or persistent connection never carries one request's scope into the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.db import connection as default_connection

if TYPE_CHECKING:
    from orgs.access import Scope

log = logging.getLogger("rls.bypass")

# Every setting a policy may read; all are written on each change so none goes stale.
KEYS = (
    "bypass",
    "user_id",
    "org_ids",
    "admin_org_ids",
    "partner_org_ids",
    "location_ids",
    "operated_location_ids",
    "org_location_ids",
    "member",
    "member_location_ids",
    "grant_keys",
    "root_org_id",
)
NOTHING: dict[str, str] = dict.fromkeys(KEYS, "")
BYPASS: dict[str, str] = {**NOTHING, "bypass": "on"}

# (owner org, location) pairs travel as one bigint each so a policy can use `= ANY(array)`.
GRANT_KEY_SHIFT = 4294967296


def _ids(values) -> str:
    return "{" + ",".join(str(int(v)) for v in sorted(values)) + "}"


def scope_settings(scope: Scope | None) -> dict[str, str]:
    """The settings that say `scope` to the policies (None: see nothing)."""
    if scope is None:
        return dict(NOTHING)
    if scope.is_platform_staff:
        return dict(BYPASS)
    operated = scope.operated_location_ids
    return {
        "bypass": "",
        "user_id": str(scope.user_id or ""),
        "org_ids": _ids(scope.org_ids),
        "admin_org_ids": _ids(scope.administered_org_ids),
        "partner_org_ids": _ids(scope.partner_org_ids),
        "location_ids": _ids(scope.location_ids),
        "operated_location_ids": _ids(operated),
        "org_location_ids": _ids(scope.org_location_ids),
        "member": "on" if scope.member_location_ids is not None else "",
        "member_location_ids": _ids(scope.member_location_ids or ()),
        "grant_keys": _ids(
            owner * GRANT_KEY_SHIFT + loc for owner, locs in scope.shared_grants for loc in locs
        ),
        "root_org_id": str(scope.root_org_id or ""),
    }


def _apply(values: dict[str, str], using=None) -> None:
    # Any: the last-written settings ride on the connection object as an attribute of ours.
    conn: Any = using or default_connection
    sql = "SELECT " + ", ".join(f"set_config('app.{k}', %s, false)" for k in KEYS)
    with conn.cursor() as cur:
        cur.execute(sql, [values[k] for k in KEYS])
    conn.rls_settings = values


def current(using=None) -> dict[str, str]:
    """What this process last wrote on the connection (NOTHING on a fresh one)."""
    conn = using or default_connection
    return getattr(conn, "rls_settings", None) or dict(NOTHING)


@contextmanager
def _raw(values: dict[str, str], using=None) -> Iterator[None]:
    previous = current(using)
    if values == previous:
        # Already in force (a bypass inside a bypass): no round trip, nothing to restore.
        yield
        return
    _apply(values, using)
    try:
        yield
    finally:
        _apply(previous, using)


@contextmanager
def activate(scope: Scope | None, using=None) -> Iterator[None]:
    """Run the block with the policies seeing what `scope` sees (None: nothing).

    A platform-staff Scope sees everything; that is a bypass and is logged like one."""
    if scope is not None and scope.is_platform_staff:
        log.info("rls bypass: platform staff user=%s", scope.user_id)
    with _raw(scope_settings(scope), using):
        yield


@contextmanager
def bypass(*, reason: str, audit: Callable[[], object] | None = None, using=None) -> Iterator[None]:
    """Read and write past the policies for one named system step.

    `reason` says why in the log. `audit`, when given, records the bypass inside it (platform
    staff: the middleware passes orgs.audit.audit_bypass, which writes an AuditEvent); the
    writer is passed in because rls sits below the app that owns the audit log."""
    (log.info if audit else log.debug)("rls bypass: %s", reason)
    with _raw(BYPASS, using):
        if audit is not None:
            audit()
        yield


def set_session(values: dict[str, str], using=None) -> None:
    """Write settings with no restore: a connection's default for its whole life (tests)."""
    _apply(values, using)


def system_process(reason: str) -> None:
    """Every connection this process opens starts under the bypass: for a process that is
    itself a system job (the test harness, a bench script). A request served inside it still
    runs under its own Scope (ScopeMiddleware) and restores the bypass when it ends. Never
    called by the web or worker processes."""
    from django.db.backends.signals import connection_created

    log.info("rls bypass for every connection of this process: %s", reason)

    def _on_connect(sender, connection, **kwargs):
        _apply(BYPASS, connection)

    connection_created.connect(_on_connect, weak=False, dispatch_uid="rls.system_process")
