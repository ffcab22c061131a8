"""Where a ratgtex-db database lives: ``--db``, then ``$RATGTEX_DB``, then the user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_VAR = "RATGTEX_DB"
CATALOG_NAME = "catalog.duckdb"
LAKE_NAME = "lake"
STAGING_NAME = ".staging"
#: Immutable Parquet objects, one per committed partition file; the catalog's views name these.
STORE_NAME = ".store"
#: Every published catalog snapshot, hard-linked, so that garbage collection can tell which
#: ones an open reader still holds (DuckDB keeps a lock on the file it opened).
SNAPSHOTS_NAME = ".snapshots"
#: Present while a commit is between publishing its catalog and re-linking ``lake/``.
PENDING_NAME = ".commit-pending"
LOCK_NAME = ".ingest.lock"


def default_db_dir() -> Path:
    """The database directory used when none is given: ``$RATGTEX_DB`` or the platformdirs one."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("ratgtex-db", appauthor=False))


def demo_db_dir() -> Path:
    """Where ``ratgtex-db demo`` keeps its synthetic release and database (user cache dir)."""
    return Path(platformdirs.user_cache_dir("ratgtex-db", appauthor=False)) / "demo"


def resolve_db_dir(path: str | os.PathLike[str] | None) -> Path:
    """An explicit path wins over the environment, which wins over the platform default.

    Raises
    ------
    ConfigError : the path is an existing file, not a folder.
    """
    db = Path(path).expanduser() if path is not None else default_db_dir()
    # absolute, so a process that changes its working directory keeps its database
    db = db.absolute()
    if db.exists() and not db.is_dir():
        from ratgtex_db.errors import ConfigError

        named = "--db" if path is not None else f"${ENV_VAR}"
        raise ConfigError(f"{named} {db} is a file, not a database folder; give a folder "
                          "(an ingested database, or a new one for ingest)")
    return db


def catalog_path(db_dir: Path) -> Path:
    return db_dir / CATALOG_NAME


def lake_dir(db_dir: Path) -> Path:
    return db_dir / LAKE_NAME


def store_dir(db_dir: Path) -> Path:
    return db_dir / STORE_NAME


def snapshots_dir(db_dir: Path) -> Path:
    return db_dir / SNAPSHOTS_NAME


def staging_dir(db_dir: Path) -> Path:
    """Scratch space for partitions being written; swapped into the lake when complete."""
    return db_dir / STAGING_NAME


def sql_dir() -> Path:
    """The shipped SQL folder (views and canned queries).

    In a wheel it is package data (``ratgtex_db/sql``); in a source checkout it is the top-level
    ``sql/`` folder of the repository.
    """
    # Beside the installed package (a wheel ships it as package data); importlib.resources
    # would cost ~25 ms of imports on every CLI call for the same answer.
    packaged = Path(__file__).resolve().parent / "sql"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "sql"
