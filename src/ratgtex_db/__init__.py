"""ratgtex-db: a RatGTEx data release as a partitioned Parquet lake with a DuckDB catalog."""

from ratgtex_db.database import Database, open
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
