"""``catalog.duckdb``: the manifest tables and one view per contract table.

Two layers of views: ``_lake_<table>`` lists exactly the Parquet files the manifest committed
(generated here, with absolute paths, re-pointed when the db directory moves), and the contract
views of ``sql/views/*.sql`` select from them. Because a ``_lake_`` view names its files, a
reader sees either the old or the new file of a partition, never a half-written one.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ratgtex_db.errors import CatalogLocked, ConfigError
from ratgtex_db.manifest import SCHEMA_SQL
from ratgtex_db.paths import catalog_path, lake_dir, sql_dir

if TYPE_CHECKING:  # tables (and pyarrow) are needed only to write views, not to query
    from ratgtex_db.tables import Table

LOCK_RETRY_SECONDS = 30.0
SCHEMA_VERSION = "1"



def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return "lock" in text or "conflicting" in text or "already open" in text


def connect(
    db_dir: Path, *, read_only: bool = True, timeout: float = LOCK_RETRY_SECONDS
) -> duckdb.DuckDBPyConnection:
    """Open the catalog, retrying while another process holds it for writing."""
    path = catalog_path(db_dir)
    if read_only and not path.exists():
        raise ConfigError(
            f"no catalog at {path}; run 'ratgtex-db ingest RELEASE_DIR' (or 'ratgtex-db demo') "
            "first, or point --db / $RATGTEX_DB at an existing database"
        )
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as err:
            if not _is_lock_error(err) or time.monotonic() > deadline:
                if _is_lock_error(err):
                    raise CatalogLocked(
                        f"{path}: locked by another process for more than {timeout:.0f} s "
                        "(an ingest or an open session); try again when it has finished"
                    ) from err
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def lake_view_sql(table: Table, files: list[str]) -> str:
    """The SELECT behind ``_lake_<table>``: partition columns first, then stored columns."""
    from ratgtex_db.tables import DUCKDB_TYPES, PARTITION_TYPES

    if not files:
        cols = [f"CAST(NULL AS {PARTITION_TYPES[k]}) AS {_q(k)}" for k in table.partition_keys]
        cols += [f"CAST(NULL AS {DUCKDB_TYPES[t]}) AS {_q(n)}" for n, t in table.columns]
        return f"SELECT {', '.join(cols)} WHERE false"
    hive = ", ".join(f"{_lit(k)}: {PARTITION_TYPES[k]}" for k in table.partition_keys)
    cols = [_q(k) for k in table.partition_keys] + [_q(n) for n, _ in table.columns]
    file_list = ", ".join(_lit(f) for f in files)
    return (
        f"SELECT {', '.join(cols)} FROM read_parquet([{file_list}], hive_partitioning = true, "
        f"hive_types = {{{hive}}})"
    )


def refresh_lake_views(
    con: duckdb.DuckDBPyConnection, db_dir: Path, tables: list[str] | None = None
) -> None:
    """(Re)create ``_lake_<table>`` for the given tables (default: all) from ``_lake_files``."""
    from ratgtex_db.tables import TABLES

    lake = lake_dir(db_dir).resolve()
    for name in tables or list(TABLES):
        rows = con.execute(
            "SELECT file FROM _lake_files WHERE table_name = ? ORDER BY partition", [name]
        ).fetchall()
        files = [str(lake / r[0]) for r in rows]
        con.execute(f"CREATE OR REPLACE VIEW {_q('_lake_' + name)} AS "
                    f"{lake_view_sql(TABLES[name], files)}")


def view_files() -> list[Path]:
    return sorted((sql_dir() / "views").glob("*.sql"))


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create every view of ``sql/views`` (file stem = view name), dependencies first.

    A view depends on another when the other's name appears as a word in its SQL.
    """
    files = {p.stem: p for p in view_files()}
    texts = {name: _strip_comments(p.read_text()) for name, p in files.items()}
    deps = {
        name: {o for o in files if o != name and re.search(rf"\b{re.escape(o)}\b", text)}
        for name, text in texts.items()
    }
    done: set[str] = set()
    while len(done) < len(files):
        ready = sorted(n for n in files if n not in done and deps[n] <= done)
        if not ready:
            cycle = sorted(set(files) - done)
            raise ConfigError(f"views depend on each other in a cycle: {', '.join(cycle)}")
        for name in ready:
            try:
                con.execute(f"CREATE OR REPLACE VIEW {_q(name)} AS {texts[name]}")
            except duckdb.Error as err:
                raise ConfigError(f"{files[name]}: cannot create view {name}: {err}") from err
            done.add(name)


def _strip_comments(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


def initialize(con: duckdb.DuckDBPyConnection, db_dir: Path) -> None:
    """Create the manifest tables and all views; record where the db directory is."""
    con.execute(SCHEMA_SQL)
    refresh_lake_views(con, db_dir)
    apply_views(con)
    set_meta(con, "db_dir", str(db_dir.resolve()))
    set_meta(con, "schema_version", SCHEMA_VERSION)


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute("INSERT OR REPLACE INTO _meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    try:
        rows = con.execute("SELECT value FROM _meta WHERE key = ?", [key]).fetchall()
        row = rows[0] if rows else None
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def ensure(db_dir: Path) -> None:
    """Create the catalog if needed and re-point it if the db directory moved or views changed."""
    db_dir.mkdir(parents=True, exist_ok=True)
    path = catalog_path(db_dir)
    if path.exists():
        try:
            con = connect(db_dir, read_only=True)
        except duckdb.Error:
            con = None
        if con is not None:
            try:
                ok = _is_current(con, db_dir)
            finally:
                con.close()
            if ok:
                return
    con = connect(db_dir, read_only=False)
    try:
        con.execute("BEGIN TRANSACTION")
        initialize(con, db_dir)
        set_meta(con, "views_digest", views_digest())
        con.execute("COMMIT")
    finally:
        con.close()


def _is_current(con: duckdb.DuckDBPyConnection, db_dir: Path) -> bool:
    """The catalog points at this directory and has this version's schema and views."""
    return (get_meta(con, "db_dir") == str(db_dir.resolve())
            and get_meta(con, "schema_version") == SCHEMA_VERSION
            and get_meta(con, "views_digest") == views_digest())


def views_digest() -> str:
    """A digest of the shipped view SQL, so a changed ``sql/views`` is applied on next open."""
    import hashlib

    h = hashlib.sha256()
    for p in view_files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def open_read_only(db_dir: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to an up-to-date catalog (re-pointed first if it moved)."""
    con = connect(db_dir, read_only=True)  # raises the ConfigError with the hint if absent
    try:
        current = _is_current(con, db_dir)
    except BaseException:
        con.close()
        raise
    if current:
        return con
    con.close()
    ensure(db_dir)
    return connect(db_dir, read_only=True)
