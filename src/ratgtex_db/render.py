"""One renderer for every command that returns rows: table, tsv, csv, json, jsonl, parquet.

``json`` is one array of row objects, NULL as ``null`` and floats with full precision (repr);
``table`` is a rich table on a terminal. ``-o FILE`` writes to a file (parquet requires one).
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from pathlib import Path
from typing import IO, TYPE_CHECKING

from ratgtex_db.errors import ConfigError

if TYPE_CHECKING:
    import polars as pl

    from ratgtex_db.queries import Rows

    #: What can be rendered: a polars frame, or query rows fetched on demand (no polars).
    Frame = pl.DataFrame | Rows

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "parquet")


def default_format(stream: IO[str] | None = None) -> str:
    """``table`` on a terminal, ``tsv`` when piped."""
    stream = stream or sys.stdout
    return "table" if stream.isatty() else "tsv"


def _jsonable(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()  # type: ignore[union-attr]
    return value


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value)


def render(
    frame: Frame,
    fmt: str | None = None,
    output: str | Path | None = None,
    *,
    limit: int | None = None,
    title: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Write ``frame`` in ``fmt`` to ``output`` (a path) or ``stream`` (default stdout)."""
    if limit is not None:
        frame = frame.head(limit)
    fmt = fmt or (default_format(stream) if output is None else _format_from_suffix(output))
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise ConfigError("--format parquet needs -o/--output FILE")
        frame.write_parquet(str(output), compression="zstd")
        return
    if fmt == "table" and output is None:
        _rich_table(frame, title, stream)
        return
    text = to_text(frame, fmt if fmt != "table" else "tsv")
    if output is not None:
        Path(output).write_text(text)
    else:
        (stream or sys.stdout).write(text)


def _format_from_suffix(output: str | Path) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    return suffix if suffix in FORMATS else "tsv"


def to_text(frame: Frame, fmt: str) -> str:
    """Render as tsv, csv, json or jsonl text."""
    rows = frame.rows()
    cols = frame.columns
    if fmt in ("tsv", "csv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerow(cols)
        for row in rows:
            writer.writerow([_text(v) for v in row])
        return buf.getvalue()
    if fmt == "json":
        return json.dumps([{c: _jsonable(v) for c, v in zip(cols, row, strict=True)}
                           for row in rows], indent=None) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps({c: _jsonable(v) for c, v in zip(cols, row, strict=True)})
                       + "\n" for row in rows)
    raise ConfigError(f"unknown text format {fmt!r}")


def _rich_table(frame: Frame, title: str | None, stream: IO[str] | None) -> None:
    """A rich table; rows as records (one "column | value" block per row) when the columns
    would not fit the terminal side by side, as ``psql``'s expanded display does."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream) if stream is not None else Console()
    rows = frame.rows()
    cells = [[_cell(v) for v in row] for row in rows]
    numeric = _numeric(frame)
    widths = [max([len(c)] + [len(_plain_cell(r[j])) for r in rows[:200]])
              for j, c in enumerate(frame.columns)]
    if sum(widths) + 3 * len(widths) + 1 <= console.width or not rows:
        table = Table(title=title, show_lines=False, header_style="bold")
        for col, num in zip(frame.columns, numeric, strict=True):
            table.add_column(col, justify="right" if num else "left")
        for row in cells:
            table.add_row(*row)
        console.print(table)
    else:
        if title:
            console.print(f"[bold]{title}[/bold]")
        for i, row in enumerate(cells, 1):
            record = Table(title=f"row {i}", show_header=False, title_justify="left",
                           title_style="bold")
            record.add_column(style="bold")
            record.add_column(overflow="fold")
            for col, cell in zip(frame.columns, row, strict=True):
                record.add_row(col, cell)
            console.print(record)
    console.print(f"[dim]{len(rows)} row{'s' if len(rows) != 1 else ''}[/dim]")


def _numeric(frame: Frame) -> list[bool]:
    """Per column: right-align as a number?"""
    numeric = getattr(frame, "numeric", None)  # Rows know their DuckDB types
    if numeric is not None:
        return list(numeric)
    return [dtype.is_numeric() for dtype in frame.dtypes]


def _plain_cell(value: object) -> str:
    """A value as a table shows it, without markup (also what column widths are taken from)."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    return _text(value)


def _cell(value: object) -> str:
    return "[dim]NULL[/dim]" if value is None else _plain_cell(value)
