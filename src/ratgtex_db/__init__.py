"""ratgtex-db: a RatGTEx data release as a partitioned Parquet lake with a DuckDB catalog."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ratgtex_db.errors import (
    CatalogLocked,
    ConfigError,
    FormatError,
    IngestError,
    QueryError,
    RatgtexError,
    SchemaError,
    UnknownFileKind,
    UnknownGene,
)

__version__ = "0.1.0"

__all__ = [
    "CatalogLocked",
    "Database",
    "open",
    "ConfigError",
    "FormatError",
    "IngestError",
    "QueryError",
    "RatgtexError",
    "SchemaError",
    "UnknownFileKind",
    "UnknownGene",
    "__version__",
]

if TYPE_CHECKING:
    from ratgtex_db.database import Database, open


def __getattr__(name: str) -> Any:
    # ``Database`` and ``open`` load duckdb; importing the package (as the command line does
    # before it parses its arguments) should not.
    if name in ("Database", "open"):
        from ratgtex_db import database

        return getattr(database, name)
    raise AttributeError(f"module 'ratgtex_db' has no attribute {name!r}")
