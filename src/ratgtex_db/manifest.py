"""The manifest: one ``ingested_files`` row per source file seen by ``ingest``.

It records where each file came from (path, bytes, sha256), what it became (kind, partition,
rows read and written), how it ended (status, message) and whether the release was synthetic.
"""

from __future__ import annotations

import hashlib
from dataclasses import astuple, dataclass, fields, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS ingested_files (
    path VARCHAR PRIMARY KEY,
    kind VARCHAR,
    version VARCHAR,
    tissue VARCHAR,
    modality VARCHAR,
    bytes BIGINT,
    sha256 VARCHAR,
    rows_read BIGINT,
    rows_written BIGINT,
    status VARCHAR,
    message VARCHAR,
    synthetic BOOLEAN,
    ingested_at TIMESTAMP
);
"""

#: Status words of a manifest row (``replaced``: ingested, but another source file has since
#: written its partitions; ingesting it again brings its rows back).
INGESTED, SKIPPED, FAILED, REPLACED = "ingested", "skipped", "failed", "replaced"


@dataclass(frozen=True)
class ManifestRow:
    """One source file's record (the ``ingested_files`` columns, in order)."""

    path: str
    kind: str | None
    version: str | None
    tissue: str | None
    modality: str | None
    bytes: int
    sha256: str | None
    rows_read: int | None
    rows_written: int | None
    status: str
    message: str | None
    synthetic: bool
    ingested_at: datetime


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def sha256_file(path: str | Path, chunk: int = 4 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(chunk)
            if not block:
                break
            h.update(block)
    return h.hexdigest()


#: Between a failed re-ingest's note and the message of the ingest whose rows are kept.
KEPT_SEPARATOR = " || "


def _failed_again(previous: ManifestRow, failed: ManifestRow) -> ManifestRow:
    """The row of a file whose rows are in the lake (``previous``) after a re-ingest of the
    same path failed: the previous record, its message prefixed with the failure."""
    kept = previous.message
    if kept and kept.startswith("re-ingest failed"):  # an earlier failure's note: replaced
        kept = kept.split(KEPT_SEPARATOR, 1)[1] if KEPT_SEPARATOR in kept else None
    note = (f"re-ingest failed ({failed.ingested_at:%Y-%m-%d %H:%M:%S} UTC): {failed.message}; "
            f"the rows ingested at {previous.ingested_at:%Y-%m-%d %H:%M:%S} UTC are kept")
    return replace(previous, message=note + (KEPT_SEPARATOR + kept if kept else ""))


def record(con: duckdb.DuckDBPyConnection, row: ManifestRow) -> None:
    """Insert or replace the row of ``row.path`` (call inside the commit's transaction).

    A failure of a file whose earlier ingest is still in the lake (a broken re-download at the
    same path) keeps that record, status and rows: the views still hold them, and the
    failure is said in its message; the next run tries the file again (its sha256 differs).
    """
    if row.status == FAILED:
        previous = lookup(con, row.path)
        if previous is not None and previous.status in (INGESTED, REPLACED):
            row = _failed_again(previous, row)
    cols = [f.name for f in fields(ManifestRow)]
    con.execute(
        f"INSERT OR REPLACE INTO ingested_files ({', '.join(cols)}) "
        f"VALUES ({', '.join('?' for _ in cols)})",
        list(astuple(row)),
    )


def lookup(con: duckdb.DuckDBPyConnection, path: str) -> ManifestRow | None:
    cols = [f.name for f in fields(ManifestRow)]
    got = con.execute(
        f"SELECT {', '.join(cols)} FROM ingested_files WHERE path = ?", [path]
    ).fetchall()
    return ManifestRow(*got[0]) if got else None


def by_sha(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """sha256 -> [(path, status)] of every recorded file."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path, sha, status in con.execute(
        "SELECT path, sha256, status FROM ingested_files WHERE sha256 IS NOT NULL"
    ).fetchall():
        out.setdefault(sha, []).append((path, status))
    return out
