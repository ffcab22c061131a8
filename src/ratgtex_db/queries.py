"""Run a canned query of ``sql/queries`` by name with bound parameters.

The SQL files are loaded by :mod:`ratgtex_db.sqlfiles`; user input is parsed by
:mod:`ratgtex_db.inputs`; gene and tissue names are resolved by
:class:`~ratgtex_db.database.Database`. This module only binds and runs, so it imports none of
them back (no cycle with ``database.py``).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ratgtex_db import sqlfiles
from ratgtex_db.errors import QueryError
from ratgtex_db.result import Rows, limited

__all__ = ["Rows", "execute"]


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any],
            limit: int | None = None) -> Rows:
    """Bind the query ``name`` to ``params`` (by value); ``limit`` caps the rows in SQL.

    Only the parameters the query uses are bound (DuckDB refuses unused ones); a parameter the
    query needs but ``params`` lacks is a bug of the caller and raises ``QueryError``. The
    rows are read when the result is read (streamed).
    """
    q = sqlfiles.get(name)
    missing = [p for p in q.params if p not in params]
    if missing:
        raise QueryError(f"{q.floc}: query {name!r} needs {', '.join('$' + p for p in missing)}")
    bound = {p: params[p] for p in q.params}
    sql = q.sql if limit is None else limited(q.sql, limit)
    return Rows.of_sql(con, sql, bound, q)
