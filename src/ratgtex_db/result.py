"""What the Python API returns: a polars DataFrame that also answers ``.arrow()``."""

from __future__ import annotations

import polars as pl
import pyarrow as pa


class Result(pl.DataFrame):
    """A polars DataFrame with ``.arrow()`` (as in ``db.sql(q).arrow()``)."""

    def arrow(self) -> pa.Table:
        return self.to_arrow()


def result_of(table: pa.Table) -> Result:
    """An Arrow table as a :class:`Result` (no copy)."""
    frame = pl.from_arrow(table)
    out = Result.__new__(Result)
    out._df = frame._df  # type: ignore[union-attr]
    return out
