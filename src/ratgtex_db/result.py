"""What queries return: :class:`Rows` (a DuckDB result read as a stream, no polars or pyarrow
needed) and, for the Python API, :class:`Result` (a polars DataFrame that also answers
``.arrow()``).

``Rows`` is what the command line renders: its batches come from DuckDB as it produces them
(``fetchmany`` on a streaming result), so memory stays flat in the result's size, and a reader
that stops early (``| head -1``) stops the query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ratgtex_db.errors import QueryError
from ratgtex_db.sqlfiles import Query, query_error

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    class Result(pl.DataFrame):
        """A polars DataFrame with ``.arrow()`` (defined at run time by ``_result_class``)."""

        def arrow(self) -> pa.Table: ...

#: Rows per batch read from DuckDB: its vector size times a few.
BATCH_ROWS = 8192


class Rows:
    """A query's result, read on demand: a stream of row batches, Arrow, or Parquet by DuckDB.

    Parameters
    ----------
    rel : the DuckDB relation (its columns and types are known without running it).
    query : the canned query it came from, for error messages naming the SQL file and line.
    con, params : the connection and bound parameters to stream the relation's SQL with;
        without them the stream goes through the relation's Arrow reader.

    It offers the part of the polars DataFrame API the renderer and tests use (``columns``,
    ``rows()``, ``head()``, ``height``, ``write_parquet()``). The connection must stay open
    until the rows are read. Errors while reading are :class:`QueryError`.
    """

    def __init__(self, rel: duckdb.DuckDBPyRelation | None, query: Query | None = None, *,
                 con: duckdb.DuckDBPyConnection | None = None, params: Any = None,
                 sql: str | None = None) -> None:
        self._rel = rel
        self._query = query
        self._con = con
        self._params = params
        # With ``sql`` (and ``con``) the rows are read by running that text, bound once; a
        # relation (which binds the whole view tree again) is made only for what needs one
        # before or instead of a run: types, count, Arrow, Parquet.
        self._sql = sql if con is not None else None
        self._columns: list[str] | None = None
        self._rows: list[tuple[Any, ...]] | None = None

    @classmethod
    def of_sql(cls, con: duckdb.DuckDBPyConnection, sql: str, params: Any = None,
               query: Query | None = None) -> Rows:
        """The rows of one read-only statement, bound and run when first read."""
        return cls(None, query, con=con, params=params, sql=sql)

    def _fail(self, err: Exception) -> QueryError:
        return query_error(self._query, err)

    def _relation(self) -> duckdb.DuckDBPyRelation | None:
        if self._rel is None and self._sql is not None:
            try:
                self._rel = self._con.sql(self._sql, params=self._params)  # type: ignore[union-attr]
            except duckdb.Error as err:
                raise self._fail(err) from err
        return self._rel

    def _text(self) -> str:
        """The statement's SQL: the text given, else the relation's."""
        return self._sql if self._sql is not None else self._rel.sql_query()  # type: ignore[union-attr]

    @property
    def _empty(self) -> bool:
        return self._rel is None and self._sql is None

    @property
    def columns(self) -> list[str]:
        if self._columns is not None:
            return list(self._columns)
        rel = self._relation()
        return list(rel.columns) if rel is not None else []

    @property
    def types(self) -> list[str]:
        """DuckDB type of each column, as SQL text (``DOUBLE``, ``VARCHAR[]``, ``DECIMAL(4,1)``)."""
        rel = self._relation()
        if rel is None:
            return []
        try:
            return [str(t) for t in rel.types]
        except duckdb.Error as err:
            raise self._fail(err) from err

    @property
    def numeric(self) -> list[bool]:
        """Per column: is it a number (for right-aligned table cells)?"""
        return [is_numeric(t) for t in self.types]

    def batches(self, size: int = BATCH_ROWS) -> Iterator[list[tuple[Any, ...]]]:
        """The rows, ``size`` at a time, as DuckDB produces them (one run of the query)."""
        if self._rows is not None:
            for i in range(0, len(self._rows), size):
                yield self._rows[i:i + size]
            return
        if self._empty:
            return
        if self._con is None:
            yield from self._arrow_batches(size)
            return
        try:
            cur = self._con.execute(self._text(), self._params)
            if self._columns is None and cur.description is not None:
                self._columns = [d[0] for d in cur.description]
            while rows := cur.fetchmany(size):
                yield rows
        except duckdb.Error as err:
            raise self._fail(err) from err

    def projected(self, select: str) -> Iterator[list[tuple[Any, ...]]] | None:
        """Batches of ``SELECT {select} FROM (this query) AS _t(_c0, _c1, ...)``: the columns
        renamed by position (names may repeat in ad hoc SQL), the same parameters bound. The
        renderer has DuckDB format text this way; ``None`` when the rows are not a query on a
        connection (then the caller formats the rows itself)."""
        if self._rows is not None or self._empty or self._con is None:
            return None
        names = ", ".join(f"_c{i}" for i in range(len(self.columns)))
        sql = f"SELECT {select} FROM (\n{self._text()}\n) AS _t({names})"
        return self._fetch(sql)

    def _fetch(self, sql: str) -> Iterator[list[tuple[Any, ...]]]:
        try:
            cur = self._con.execute(sql, self._params)  # type: ignore[union-attr]
            while rows := cur.fetchmany(BATCH_ROWS):
                yield rows
        except duckdb.Error as err:
            raise self._fail(err) from err

    def _arrow_batches(self, size: int) -> Iterator[list[tuple[Any, ...]]]:
        try:
            reader = self._rel.to_arrow_reader(size)  # type: ignore[union-attr]
            for batch in reader:
                columns = [c.to_pylist() for c in batch.columns]
                yield list(zip(*columns, strict=True))
        except duckdb.Error as err:
            raise self._fail(err) from err

    def rows(self) -> list[tuple[Any, ...]]:
        """Every row (held in memory: for small results and the Python API)."""
        if self._rows is None:
            self._rows = [r for batch in self.batches() for r in batch]
        return self._rows

    def dicts(self) -> list[dict[str, Any]]:
        rows = self.rows()  # first: the run names the columns (no second binding)
        cols = self.columns
        return [dict(zip(cols, r, strict=True)) for r in rows]

    @property
    def height(self) -> int:
        return len(self.rows()) if self._rows is not None else self.count()

    def count(self) -> int:
        """Number of rows, counted by DuckDB (the query runs again, aggregated)."""
        if self._rows is not None:
            return len(self._rows)
        rel = self._relation()
        if rel is None:
            return 0
        try:
            return int(rel.aggregate("count(*)").fetchall()[0][0])
        except duckdb.Error as err:
            raise self._fail(err) from err

    def head(self, n: int) -> Rows:
        """The first ``n`` rows, limited inside DuckDB."""
        if self._empty:
            return self
        if self._sql is not None:
            return Rows.of_sql(self._con, limited(self._sql, n), self._params,  # type: ignore[arg-type]
                               self._query)
        return Rows(self._rel.limit(max(int(n), 0)), self._query, con=self._con,  # type: ignore[union-attr]
                    params=self._params)

    def arrow(self) -> pa.Table:
        import pyarrow as pa

        rel = self._relation()
        if rel is None:
            return pa.table({})
        try:
            return rel.to_arrow_table()
        except duckdb.Error as err:
            raise self._fail(err) from err

    def write_parquet(self, path: str | Path, compression: str = "zstd") -> None:
        """The rows to a Parquet file, batch by batch as DuckDB produces them, in the result's
        order (DuckDB's own ``write_parquet`` buffers the whole result to keep the order, and
        writes a HUGEINT, e.g. a ``sum()`` of counts, as a DOUBLE: here it is an exact
        DECIMAL(38, 0), as DuckDB hands it to Arrow)."""
        import pyarrow.parquet as pq

        rel = self._relation()
        if rel is None:
            raise QueryError("the statement returned no rows to write")
        try:
            reader = rel.to_arrow_reader(PARQUET_BATCH_ROWS)
            with pq.ParquetWriter(str(path), reader.schema, compression=compression) as out:
                for batch in reader:
                    out.write_batch(batch, row_group_size=PARQUET_BATCH_ROWS)
        except duckdb.Error as err:
            raise self._fail(err) from err


#: Rows per batch (and per row group at most) of a streamed Parquet export.
PARQUET_BATCH_ROWS = 122_880


def limited(sql: str, n: int) -> str:
    """``sql``'s first ``n`` rows (a statement of the package's own, never client text)."""
    return f"SELECT * FROM (\n{sql}\n) AS _limited LIMIT {max(int(n), 0)}"


#: DuckDB type names rendered right-aligned as numbers.
NUMERIC_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                           "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE",
                           "DECIMAL"})


def is_numeric(duckdb_type: str) -> bool:
    """Is a DuckDB type (as SQL text) a number?"""
    return duckdb_type.split("(")[0].strip().upper() in NUMERIC_TYPES


@functools.cache
def _result_class() -> type:
    import polars as pl

    class Result(pl.DataFrame):
        """A polars DataFrame with ``.arrow()`` (as in ``db.sql(q).arrow()``)."""

        def arrow(self) -> pa.Table:
            """DuckDB's own Arrow table (its types: ``string``, not polars' ``large_string``),
            unless the frame was changed in place since."""
            table = getattr(self, "_arrow", None)
            if table is not None and table.column_names == self.columns \
                    and table.num_rows == self.height:
                return table
            return self.to_arrow()

    Result.__module__ = __name__
    Result.__qualname__ = "Result"  # pickled by name: ratgtex_db.result.Result (multiprocessing)
    return Result


def result_of(table: pa.Table) -> Any:
    """An Arrow table as a :class:`Result` (no copy)."""
    import polars as pl

    frame = pl.from_arrow(table)
    out = _result_class().__new__(_result_class())
    out._df = frame._df  # type: ignore[union-attr]
    out._arrow = table  # type: ignore[attr-defined]
    return out


def __getattr__(name: str) -> Any:
    # ``Result`` subclasses polars.DataFrame; defined on first use so that reading Rows (the
    # command line) never imports polars.
    if name == "Result":
        return _result_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
