"""Document numbers and codes from PostgreSQL sequences: ORG-001, LOC-101, SHP-000001.

A sequence hands each transaction a distinct number without a lock and without reading the
table, so two concurrent creations never collide. Numbers taken by a transaction that rolls
back are not reused: codes may have gaps, never duplicates.

Rows inserted with a code chosen by hand (the demo seed's ORG-001 … ORG-402) do not advance
a sequence; `sync_sequences` moves each sequence past the highest code in its table. The
core migration runs it on an existing database and `seed_demo` after seeding.

Purchase-order numbers are not here: they are numbered per buyer (PO-000001 is each buyer's
first order, docs/modules.md), which a single sequence cannot give.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Series:
    """One numbered series: `PREFIX-` and a zero-padded number from `sequence`.

    `table`/`column` name where the codes are stored, for `sync_sequences` only (strings,
    so this bottom layer imports no app)."""

    prefix: str
    sequence: str
    width: int
    table: str
    column: str

    def format(self, number: int) -> str:
        return format_code(self.prefix, number, self.width)


ORGANIZATION_CODE = Series("ORG", "core_organization_code_seq", 3, "orgs_organization", "code")
LOCATION_CODE = Series("LOC", "core_location_code_seq", 3, "orgs_location", "code")
SERIES: tuple[Series, ...] = (ORGANIZATION_CODE, LOCATION_CODE)


def format_code(prefix: str, number: int, width: int) -> str:
    """ORG-007 for ("ORG", 7, 3); a number wider than `width` keeps all its digits."""
    return f"{prefix}-{number:0{width}d}"


def next_number(sequence: str) -> int:
    """The next value of a PostgreSQL sequence (created by a migration)."""
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(%s)", [sequence])
        return int(cur.fetchone()[0])


def next_code(series: Series) -> str:
    """The next code of `series`, e.g. next_code(ORGANIZATION_CODE) → "ORG-403"."""
    return series.format(next_number(series.sequence))


def sync_sequence_sql(series: Series) -> str:
    """SQL that moves the sequence to the highest `PREFIX-<digits>` code in the table (the
    next value is one more; an empty table leaves the next value at 1)."""
    pattern = f"^{series.prefix}-[0-9]+$"
    start = len(series.prefix) + 2
    return (
        f"SELECT setval('{series.sequence}', GREATEST(m, 1), m > 0) FROM ("
        f" SELECT COALESCE(MAX(CAST(SUBSTRING({series.column} FROM {start}) AS bigint)), 0) AS m"
        f" FROM {series.table} WHERE {series.column} ~ '{pattern}') AS highest"
    )


def sync_sequences(series: tuple[Series, ...] = SERIES) -> None:
    """Move each sequence past the codes already in its table.

    Reads every row of the tables: call it where row-level security is bypassed (the seed,
    a migration), never from a request."""
    with connection.cursor() as cur:
        for item in series:
            cur.execute(sync_sequence_sql(item))
