"""``catalog.duckdb``: the manifest, the committed files and one view per contract table.

A published catalog file is never changed: each commit (:mod:`ratgtex_db.lake`) writes a new
snapshot beside it and renames it into place, so a reader keeps the snapshot it opened until it
refreshes. Internal objects live in the schema ``_ratgtex`` (hidden from ``SHOW TABLES``):

- ``_ratgtex.lake_files``: the Parquet object behind each table partition;
- ``_ratgtex.meta``: where the database directory was when the snapshot was written, schema and
  view versions;
- ``_ratgtex.lake_<table>``: a view naming exactly the committed objects (absolute paths), so a
  query sees one snapshot's files, never a half-written partition.

The contract views of ``sql/views/*.sql`` select from them. This module writes that content into a
snapshot being built and opens read-only :class:`Session` s over the current snapshot, re-pointed
in memory when the directory was copied or moved (so even a read-only copy answers from its own
files).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from ratgtex_db.errors import ConfigError
from ratgtex_db.manifest import SCHEMA_SQL as MANIFEST_SQL
from ratgtex_db.paths import catalog_path, sql_dir, store_dir

if TYPE_CHECKING:  # tables (and pyarrow) are needed only to write views, not to query
    from ratgtex_db.tables import Table

#: Schema of the internal objects.
INTERNAL = "_ratgtex"
#: Name under which a session attaches the catalog.
ALIAS = "ratgtex"
#: 2: internal objects in ``_ratgtex``, views name objects under ``.store`` (1: ``_lake_*``).
SCHEMA_VERSION = "2"
#: Storage format written for new catalogs: the one DuckDB 1.0-1.1 read (version number 64),
#: so the stock DuckDB CLI 1.x and Python duckdb >= 1.1 open what a newer DuckDB wrote.
STORAGE_VERSION = "v1.0.0"

INTERNAL_SQL = f"""
CREATE SCHEMA IF NOT EXISTS {INTERNAL};
CREATE TABLE IF NOT EXISTS {INTERNAL}.lake_files (
    table_name VARCHAR,
    partition VARCHAR,
    file VARCHAR,
    rows BIGINT,
    bytes BIGINT,
    source VARCHAR,
    PRIMARY KEY (table_name, partition)
);
CREATE TABLE IF NOT EXISTS {INTERNAL}.meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""

#: Session settings: no network or extension loading from a query, Parquet footers parsed once
#: (objects never change in place: a commit writes new names).
SESSION_SETTINGS = (
    # each entry: alternatives, first known wins (DuckDB 1.1 calls the footer cache
    # enable_object_cache)
    ("SET parquet_metadata_cache = true", "SET enable_object_cache = true"),
    ("SET autoinstall_known_extensions = false",),
    ("SET autoload_known_extensions = false",),
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach(con: duckdb.DuckDBPyConnection, path: Path | str, alias: str,
           options: str = "") -> None:
    """``ATTACH path AS alias (options)``. The path is a literal: DuckDB before 1.2 does not
    take a bound parameter in ATTACH (it is a file name of ours, never user text)."""
    con.execute(f"ATTACH {_lit(str(path))} AS {alias}" + (f" ({options})" if options else ""))


def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return "lock" in text or "conflicting" in text or "already open" in text


def _missing(path: Path) -> ConfigError:
    return ConfigError(
        f"no catalog at {path}; run 'ratgtex-db ingest RELEASE_DIR' (or 'ratgtex-db demo') "
        "first, or point --db / $RATGTEX_DB at an existing database"
    )


def connect(db_dir: Path) -> duckdb.DuckDBPyConnection:
    """A plain read-only connection to the current snapshot (the views as written: use a
    :class:`Session` for queries, which also works in copied or moved directories)."""
    path = catalog_path(db_dir)
    if not path.exists():
        raise _missing(path)
    return open_file(path)


def open_file(path: Path) -> duckdb.DuckDBPyConnection:
    """Open a catalog file read-only, even while someone holds it for writing (a stock
    ``duckdb catalog.duckdb`` without ``-readonly``): published snapshots never change, so a
    private copy holds the same data."""
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as err:
        if not _is_lock_error(err):
            raise
    private = _private_copy(path)
    try:
        return duckdb.connect(str(private), read_only=True)
    finally:
        private.unlink(missing_ok=True)  # the open file lives on until the connection closes


def _private_copy(path: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix="ratgtex-catalog-", suffix=".duckdb")
    os.close(fd)
    shutil.copyfile(path, name)
    return Path(name)


# --- content of a snapshot ------------------------------------------------------------------


_REPLACED = ("{table}: {sources} was stored by an older ratgtex-db (column {old}); store it in "
             "this version's layout: ratgtex-db ingest --force {sources}")


def lake_view_sql(table: Table, files: list[str], *, present: set[str] | None = None,
                  stale: list[str] = ()) -> str:
    """The SELECT behind ``_ratgtex.lake_<table>``: partition columns, then stored columns.

    ``present`` (the columns the files have, when some file lacks some of the table's: files
    written before the table gained a column, e.g. ``genes.gene_symbol``) reads the files by
    column name, and a column no file has as a typed NULL. A column that replaced an older one
    (``Table.replaced``) is instead an error naming the ``stale`` sources to ingest again."""
    from ratgtex_db.tables import DUCKDB_TYPES, PARTITION_TYPES

    if not files:
        cols = [f"CAST(NULL AS {PARTITION_TYPES[k]}) AS {_q(k)}" for k in table.partition_keys]
        cols += [f"CAST(NULL AS {DUCKDB_TYPES[t]}) AS {_q(n)}" for n, t in table.columns]
        return f"SELECT {', '.join(cols)} WHERE false"
    hive = ", ".join(f"{_lit(k)}: {PARTITION_TYPES[k]}" for k in table.partition_keys)
    replaced = dict(table.replaced)

    def column(n: str, t) -> str:  # noqa: ANN001 (a pyarrow type)
        if present is None or n in present:
            return _q(n)
        if replaced.get(n) in present:  # stored otherwise by an older ratgtex-db
            text = _REPLACED.format(table=table.name, old=replaced[n],
                                    sources=" ".join(stale) or "a source file")
            return f"CAST(error({_lit(text)}) AS {DUCKDB_TYPES[t]}) AS {_q(n)}"
        return f"CAST(NULL AS {DUCKDB_TYPES[t]}) AS {_q(n)}"

    cols = [_q(k) for k in table.partition_keys] + [column(n, t) for n, t in table.columns]
    by_name = ", union_by_name = true" if present is not None else ""
    # Files of an older layout whose path lacks a key the rows now give
    # (``Table.row_partition_keys``: the gene table's tissues were stored in one file per
    # version, with a ``tissue`` column) are read with the keys their path has; the file gives
    # the others.
    groups: dict[tuple[str, ...], list[str]] = {}
    for f in files:
        groups.setdefault(_hive_keys(f), []).append(f)
    selects = []
    for keys, group in groups.items():
        if set(keys) == set(table.partition_keys):
            types = hive
        else:
            types = ", ".join(f"{_lit(k)}: {PARTITION_TYPES[k]}" for k in table.partition_keys
                              if k in keys)
        file_list = ", ".join(_lit(f) for f in group)
        how = f"hive_partitioning = true, hive_types = {{{types}}}" if types else \
            "hive_partitioning = false"
        selects.append(f"SELECT {', '.join(cols)} FROM read_parquet([{file_list}], {how}"
                       f"{by_name})")
    return "\nUNION ALL ".join(selects)


def _hive_keys(path: str) -> tuple[str, ...]:
    """The hive keys of the folders a lake object sits in (``.../tissue=BLA/x.parquet``)."""
    keys = []
    for part in reversed(Path(path).parent.parts):
        if "=" not in part:
            break
        keys.append(part.split("=", 1)[0])
    return tuple(reversed(keys))


def _file_columns(con: duckdb.DuckDBPyConnection, files: list[str]
                  ) -> dict[str, set[str]] | None:
    """Each file's column names; None when some file cannot be read (the view then names it
    when queried)."""
    file_list = ", ".join(_lit(f) for f in files)
    try:
        rows = con.execute(
            f"SELECT file_name, list(name) FROM parquet_schema([{file_list}]) GROUP BY file_name"
        ).fetchall()
    except duckdb.Error:
        return None
    return {f: set(names) for f, names in rows}


def refresh_lake_views(
    con: duckdb.DuckDBPyConnection,
    db_dir: Path,
    tables: list[str] | None = None,
    *,
    files_from: str = f"{INTERNAL}.lake_files",
) -> None:
    """(Re)create ``_ratgtex.lake_<table>`` in the default database for the given tables
    (default: all), naming the objects that ``files_from`` lists, under ``db_dir``."""
    from ratgtex_db.tables import TABLES

    store = store_dir(db_dir).resolve()
    for name in tables or list(TABLES):
        rows = con.execute(
            f"SELECT file, source FROM {files_from} WHERE table_name = ? ORDER BY partition",
            [name]).fetchall()
        files = [str(store / r[0]) for r in rows]
        table = TABLES[name]
        cols_of = _file_columns(con, files) if files else None
        present, stale = None, []
        want = set(table.column_names)
        if cols_of and not all(want <= c for c in cols_of.values()):
            # some files were written before the table gained a column (or changed one)
            present = set().union(*cols_of.values())
            gone = {old for _new, old in table.replaced}
            stale = sorted({src for (_f, src), f in zip(rows, files, strict=True)
                            if src and cols_of.get(f, set()) & gone})
        con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.{_q('lake_' + name)} AS "
                    f"{lake_view_sql(table, files, present=present, stale=stale)}")


def view_files() -> list[Path]:
    return sorted((sql_dir() / "views").glob("*.sql"))


def apply_views(con: duckdb.DuckDBPyConnection) -> None:
    """Create every view of ``sql/views`` (file stem = view name) in the default database,
    dependencies first. A view depends on another when the other's name appears as a word
    in its SQL."""
    files = {p.stem: p for p in view_files()}
    texts = {name: _strip_comments(p.read_text()) for name, p in files.items()}
    deps = {
        name: {o for o in files if o != name and re.search(rf"(?<![.\w]){re.escape(o)}\b", text)}
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
    """Create (or bring up to date) the tables and all views of a snapshot being written in the
    default database, for the directory ``db_dir``."""
    from ratgtex_db import index

    con.execute(INTERNAL_SQL)
    con.execute(index.SQL)
    con.execute(MANIFEST_SQL)
    refresh_lake_views(con, db_dir)
    apply_views(con)
    set_meta(con, "db_dir", str(db_dir.resolve()))
    set_meta(con, "schema_version", SCHEMA_VERSION)
    set_meta(con, "views_digest", views_digest())


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(f"INSERT OR REPLACE INTO {INTERNAL}.meta VALUES (?, ?)", [key, value])


def get_meta(con: duckdb.DuckDBPyConnection, key: str, *, prefix: str = "") -> str | None:
    """A value of ``meta`` (``prefix`` = ``'ratgtex.'`` to read an attached catalog)."""
    try:
        rows = con.execute(f"SELECT value FROM {prefix}{INTERNAL}.meta WHERE key = ?",
                           [key]).fetchall()
    except duckdb.CatalogException:
        return None
    return rows[0][0] if rows else None


def views_digest() -> str:
    """A digest of the shipped view SQL and of the table declarations (tables.py, read as
    text so that opening a catalog loads no pyarrow), so a changed ``sql/views`` or a column
    added to a table is applied on next open."""
    h = hashlib.sha256()
    for p in view_files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    h.update(Path(__file__).with_name("tables.py").read_bytes())
    return h.hexdigest()[:16]


def is_current(con: duckdb.DuckDBPyConnection, db_dir: Path, *, prefix: str = "") -> bool:
    """The snapshot names this directory's files and has this version's schema and views."""
    return (get_meta(con, "db_dir", prefix=prefix) == str(db_dir.resolve())
            and get_meta(con, "schema_version", prefix=prefix) == SCHEMA_VERSION
            and get_meta(con, "views_digest", prefix=prefix) == views_digest())


class LegacyCatalog(ConfigError):
    """The catalog was written by ratgtex-db 0.1 (schema 1: files named directly under lake/,
    internal tables in main); :func:`ratgtex_db.lake.migrate` converts it in place."""


def check_schema(con: duckdb.DuckDBPyConnection, path: Path, *, prefix: str = "") -> None:
    """Refuse a catalog whose layout this version cannot read (:class:`LegacyCatalog` for the
    one it can convert)."""
    version = get_meta(con, "schema_version", prefix=prefix)
    if version == SCHEMA_VERSION:
        return
    if version is None:
        try:
            old = con.execute(f"SELECT value FROM {prefix}main._meta "
                              "WHERE key = 'schema_version'").fetchall()
        except duckdb.CatalogException:
            old = []
        if old and old[0][0] == "1":
            raise LegacyCatalog(
                f"{path}: written by an older ratgtex-db (catalog schema 1); any ratgtex-db "
                "command converts it when the directory is writable: run one with write "
                "access, or ingest the release again into a new --db directory"
            )
    raise ConfigError(
        f"{path}: catalog schema {version or 'unknown'} (this version of ratgtex-db reads "
        f"{SCHEMA_VERSION}); upgrade ratgtex-db, or ingest the release again into a new --db "
        "directory"
    )


# --- sessions -------------------------------------------------------------------------------


class Session:
    """A read-only DuckDB session over the current catalog snapshot.

    The connection is in memory with the snapshot attached read-only as ``ratgtex`` and made the
    default (``USE ratgtex``), so user SQL names the views directly. When the snapshot was
    written for another directory (a copy or a move) or by other view SQL, the views are
    re-created in the in-memory database instead, over this directory's files; nothing on disk
    is written. :meth:`refresh` moves to the newest snapshot.
    """

    def __init__(self, db_dir: Path, *, writable: bool = False) -> None:
        self.db_dir = db_dir
        self.path = catalog_path(db_dir)
        self.con = duckdb.connect()
        for alternatives in SESSION_SETTINGS:
            for setting in alternatives:
                try:
                    self.con.execute(setting)
                    break
                except duckdb.CatalogException:
                    continue
        self.overlay = False
        self._identity: tuple[int, int] | None = None
        self._private: Path | None = None
        self._attach()

    def _attach(self) -> None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise _missing(self.path) from None
        try:
            attach(self.con, self.path, ALIAS, "READ_ONLY")
        except duckdb.Error as err:
            if not _is_lock_error(err):
                raise ConfigError(f"{self.path}: cannot open the catalog: {err}") from err
            # Someone holds the file for writing (e.g. a stock `duckdb catalog.duckdb` without
            # -readonly). Published snapshots never change, so a private copy is the same data.
            self._attach_copy()
        self._identity = (st.st_dev, st.st_ino)
        prefix = ALIAS + "."
        check_schema(self.con, self.path, prefix=prefix)
        if is_current(self.con, self.db_dir, prefix=prefix):
            self.con.execute(f"USE {ALIAS}")
            self.overlay = False
        else:
            self._build_overlay()
            self.overlay = True

    def _attach_copy(self) -> None:
        self._private = _private_copy(self.path)
        attach(self.con, self._private, ALIAS, "READ_ONLY")

    def _build_overlay(self) -> None:
        """The views in memory, re-pointed at this directory's objects."""
        con = self.con
        con.execute("USE memory")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {INTERNAL}")
        from ratgtex_db import index

        attached = {r[0] for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND schema_name = ?",
            [ALIAS, INTERNAL]).fetchall()}
        for table in ("lake_files", "meta", *index.TABLES):
            if table in attached:
                con.execute(f"CREATE OR REPLACE VIEW {INTERNAL}.{table} AS "
                            f"SELECT * FROM {ALIAS}.{INTERNAL}.{table}")
        con.execute(f"CREATE OR REPLACE VIEW ingested_files AS "
                    f"SELECT * FROM {ALIAS}.main.ingested_files")
        refresh_lake_views(con, self.db_dir)
        apply_views(con)

    def _drop_overlay(self) -> None:
        con = self.con
        con.execute("USE memory")
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = 'memory' "
            "AND schema_name = 'main' AND NOT internal"
        ).fetchall():
            con.execute(f"DROP VIEW IF EXISTS main.{_q(name)}")
        con.execute(f"DROP SCHEMA IF EXISTS {INTERNAL} CASCADE")

    def stale(self) -> bool:
        """True when a newer snapshot has been published since this session attached one."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        return (st.st_dev, st.st_ino) != self._identity

    def refresh(self, *, force: bool = False) -> bool:
        """Attach the newest snapshot if one was published (or ``force``); True if it did."""
        if not force and not self.stale():
            return False
        self.con.execute("USE memory")
        if self.overlay:
            self._drop_overlay()
        self.con.execute(f"DETACH {ALIAS}")
        self._forget_private()
        self._attach()
        return True

    def _forget_private(self) -> None:
        if self._private is not None:
            self._private.unlink(missing_ok=True)
            self._private = None

    def close(self) -> None:
        try:
            self.con.close()
        finally:
            self._forget_private()
