"""Backups of the database and the uploaded files (docs/operations.md).

A backup is two files in one directory: `<stamp>.dump`, a pg_dump archive in custom format,
and `<stamp>.media.tar.gz`, the media directory. `manage.py backup` writes them and
`manage.py restore <stamp>.dump` puts both back (pg_restore --clean --if-exists in one
transaction, then the media directory swapped whole).

pg_dump refuses a server newer than itself and pg_restore reads only archives as old as itself,
so the client binaries are picked by the server's major version: PG_BIN if set, the binaries
that the embedded pgserver ships, then the system's (/usr/lib/postgresql/<N>/bin, PATH).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why and what to do."""


def _params(db: Mapping[str, Any]) -> dict[str, str]:
    """libpq connection parameters of a Django DATABASES entry. The embedded pgserver's URL
    names its socket directory in OPTIONS["host"], not HOST."""
    options = db.get("OPTIONS") or {}
    params = {
        "dbname": db["NAME"],
        "host": db.get("HOST") or options.get("host"),
        "port": db.get("PORT") or options.get("port"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
        "sslmode": options.get("sslmode"),
    }
    return {key: str(value) for key, value in params.items() if value}


def _libpq_env(db: Mapping[str, Any]) -> dict[str, str]:
    """The environment that points libpq's tools at `db`."""
    env = dict(os.environ)
    names = {"dbname": "PGDATABASE", "host": "PGHOST", "port": "PGPORT", "user": "PGUSER"}
    names |= {"password": "PGPASSWORD", "sslmode": "PGSSLMODE"}
    for key, value in _params(db).items():
        env[names[key]] = value
    env["PGCONNECT_TIMEOUT"] = "10"
    return env


def server_major_version(db: Mapping[str, Any]) -> int:
    import psycopg
    from psycopg.conninfo import make_conninfo

    try:
        with psycopg.connect(make_conninfo("", **_params(db), connect_timeout=10)) as conn:
            return conn.info.server_version // 10000
    except psycopg.Error as exc:
        raise BackupError(f"cannot reach database {db['NAME']!r}: {exc}") from exc


def _candidate_dirs() -> Iterator[Path]:
    if os.environ.get("PG_BIN"):
        yield Path(os.environ["PG_BIN"])
    spec = find_spec("pgserver")  # located, not imported: importing it starts nothing anyway
    if spec and spec.origin:
        yield Path(spec.origin).parent / "pginstall" / "bin"
    yield from sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for name in ("pg_dump", "pg_restore"):
        found = shutil.which(name)
        if found:
            yield Path(found).parent


def _tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def find_tool(name: str, server_major: int) -> Path:
    """The `name` binary (pg_dump, pg_restore) of the server's major version, else the oldest
    newer one; BackupError naming what was found when none fits."""
    seen: dict[Path, int] = {}
    for directory in _candidate_dirs():
        path = (directory / name).resolve()
        if path in seen or not path.is_file():
            continue
        major = _tool_major(path)
        if major is not None:
            seen[path] = major
    exact = [p for p, v in seen.items() if v == server_major]
    if exact:
        return exact[0]
    newer = sorted((v, str(p)) for p, v in seen.items() if v > server_major)
    if newer:
        return Path(newer[0][1])
    found = ", ".join(f"{p} ({v})" for p, v in seen.items()) or "none"
    raise BackupError(
        f"no {name} for PostgreSQL {server_major} (found: {found}). Install the client of "
        f"that version (e.g. apt-get install postgresql-client-{server_major}) or set PG_BIN "
        "to its bin directory."
    )


def _run(cmd: list[str], env: dict[str, str], after: str = "") -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(
            f"{Path(cmd[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}"
            + (f"\n{after}" if after else "")
        )


def dump_database(db: Mapping[str, Any], path: Path) -> Path:
    """pg_dump `db` (custom format, compressed) to `path`, written whole or not at all."""
    tool = find_tool("pg_dump", server_major_version(db))
    partial = path.with_name(path.name + ".partial")
    try:
        _run([str(tool), "--format=custom", f"--file={partial}"], _libpq_env(db))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore_database(db: Mapping[str, Any], path: Path, lock_timeout_s: int = 30) -> None:
    """Replace `db`'s objects with the archive's, in one transaction: a failure leaves the
    database as it was. Waits at most `lock_timeout_s` for a table that a running app holds."""
    tool = find_tool("pg_restore", server_major_version(db))
    env = _libpq_env(db)
    env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={lock_timeout_s}s".strip()
    _run(
        [
            str(tool),
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={db['NAME']}",
            str(path),
        ],
        env,
        after="Nothing was changed: the restore runs in one transaction.",
    )


def archive_media(media_root: Path, path: Path) -> Path:
    """A gzipped tar of the media directory's contents (an empty one when it does not exist)."""
    partial = path.with_name(path.name + ".partial")
    try:
        with tarfile.open(partial, "w:gz") as tar:
            if media_root.is_dir():
                for child in sorted(media_root.iterdir()):
                    tar.add(child, arcname=child.name)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def restore_media(media_root: Path, path: Path) -> None:
    """Make the media directory exactly the archive's contents. Unpacked beside it first, then
    swapped in, so a broken archive leaves the current files in place."""
    media_root.parent.mkdir(parents=True, exist_ok=True)
    fresh = media_root.with_name(media_root.name + ".restoring")
    old = media_root.with_name(media_root.name + ".replaced")
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    fresh.mkdir()
    try:
        with tarfile.open(path, "r:gz") as tar:
            tar.extractall(fresh, filter="data")  # no absolute paths, .., links out or devices
    except (tarfile.TarError, OSError) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        raise BackupError(
            f"cannot unpack {path}: {exc}\nThe database was restored; the media directory "
            "was left as it was."
        ) from exc
    if media_root.exists():
        media_root.rename(old)
    fresh.rename(media_root)
    shutil.rmtree(old, ignore_errors=True)


def media_archive_for(dump: Path) -> Path:
    """`<stamp>.dump` → `<stamp>.media.tar.gz` beside it."""
    return dump.with_name(dump.name.removesuffix(".dump") + ".media.tar.gz")


def new_backup_path(directory: Path, now: datetime | None = None) -> Path:
    """`<directory>/<UTC stamp>.dump`, never one that exists."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    path, n = directory / f"{stamp}.dump", 1
    while path.exists() or media_archive_for(path).exists():
        path, n = directory / f"{stamp}-{n}.dump", n + 1
    return path


def backup(db: Mapping[str, Any], media_root: Path, directory: Path) -> tuple[Path, Path]:
    """Dump the database and archive the media; returns both paths."""
    dump = dump_database(db, new_backup_path(directory))
    try:
        media = archive_media(media_root, media_archive_for(dump))
    except BaseException:
        dump.unlink(missing_ok=True)
        raise
    return dump, media


def restore(db: Mapping[str, Any], media_root: Path, dump: Path) -> bool:
    """Restore the database from `dump`, then the media from the archive beside it if there is
    one. Returns whether media were restored."""
    if not dump.is_file():
        raise BackupError(f"no backup file {dump}")
    restore_database(db, dump)
    media = media_archive_for(dump)
    if media.is_file():
        restore_media(media_root, media)
        return True
    return False
