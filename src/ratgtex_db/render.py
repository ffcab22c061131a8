"""One renderer for every command that prints rows: table, tsv, csv, json, jsonl, parquet.

Rows are written as DuckDB produces them, a batch at a time (:meth:`Rows.batches`), so memory
stays flat in the result's size and a closed pipe stops the query; Parquet is written by DuckDB
itself. One encoder turns every DuckDB value into text (:func:`text_cell`) and into JSON
(:func:`json_value`):

- NULL: empty in tsv/csv, ``null`` in JSON; NaN and infinities: ``null`` in JSON (tsv/csv
  write them as DuckDB's own CSV writer does: ``nan``, ``inf``);
- DECIMAL: a JSON number; BOOLEAN: ``true``/``false``;
- DATE, TIME, TIMESTAMP(TZ): ISO 8601 (``2024-01-02T03:04:05``); INTERVAL: an ISO 8601
  duration from its own parts (``P1M``, ``P1DT2H``, ``-PT1H30M``; inside a list or struct it
  comes through Python, which holds months as 30 days);
- BLOB: base64; UUID: its text; LIST, ARRAY, STRUCT, MAP: nested JSON (in tsv/csv cells too).

``table`` is for a terminal: the first rows (:data:`TABLE_ROWS`, or ``--limit``), then how many
more there are; columns side by side with long text cut to fit, else one record per row. Cells
and headers are plain text, never rich markup. The ingest summary and the download report are
printed by :func:`print_table` too.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import functools
import io
import json
import math
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ratgtex_db.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from ratgtex_db.result import Rows

FORMATS = ("table", "tsv", "csv", "json", "jsonl", "parquet")
#: Output file extension -> format (``-o FILE`` without ``--format``).
SUFFIXES = {".tsv": "tsv", ".txt": "tsv", ".tab": "tsv", ".csv": "csv", ".json": "json",
            ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
#: Rows a terminal table shows unless ``--limit`` says otherwise.
TABLE_ROWS = 50
#: Narrowest a text column is cut to before the table turns into records.
MIN_TEXT_WIDTH = 10
MORE_HINT = "use --limit, -o or --format"


# -- the one encoder ------------------------------------------------------------------------


def iso_duration(value: dt.timedelta) -> str:
    """A timedelta as an ISO 8601 duration: ``P1DT2H3M4.5S``, ``-PT1H30M``, ``PT0S``."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    days, rest = value.days, value.seconds
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    secs = f"{seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".") if value.microseconds \
        else str(seconds)
    out = "P" + (f"{days}D" if days else "")
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + \
        (f"{secs}S" if seconds or value.microseconds else "")
    if time:
        out += "T" + time
    return sign + (out if out != "P" else "PT0S")


def _trim_fraction(iso: str) -> str:
    """``03:04:05.500000`` -> ``03:04:05.5`` (DuckDB's form; an offset after it is kept)."""
    head, dot, rest = iso.partition(".")
    if not dot:
        return iso
    digits = rest[:6].rstrip("0")
    return head + ("." + digits if digits else "") + rest[6:]


def json_value(value: Any) -> Any:
    """Any value DuckDB returns, as what :func:`json.dumps` writes (see the module doc)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return float(value) if value.is_finite() else None
    if isinstance(value, (dt.datetime, dt.time)):
        return _trim_fraction(value.isoformat())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return iso_duration(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    return str(value)


def text_cell(value: Any) -> str:
    """A value as a tsv/csv cell (NULL is empty; nested values are JSON text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")  # as DuckDB casts it: 0.0000001000, never 1.000E-7
    if isinstance(value, (str, int, float)):
        return str(value)
    encoded = json_value(value)
    return encoded if isinstance(encoded, str) else json.dumps(encoded, ensure_ascii=False)


_PLAIN = ("VARCHAR", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
          "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "ENUM", "JSON")


def _is_plain(duckdb_type: str) -> bool:
    """Values that csv and json write as they are (str, int) after NULL handling."""
    t = duckdb_type.strip().upper()
    return t.split("(")[0] in _PLAIN and not t.endswith("]")


def _float32(value: Any) -> Any:
    """A FLOAT (reaching Python as the double nearest it) as its shortest float32 text's
    number, as DuckDB casts it (0.1, not 0.10000000149011612)."""
    import numpy as np

    if value is None or not math.isfinite(value):
        return value
    return float(str(np.float32(value)))


def _text_converters(types: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Per column: ``None`` when the value's ``str`` is its cell (str, int, double)."""
    return [None if _is_plain(t) or t.upper() == "DOUBLE"
            else (lambda v: text_cell(_float32(v))) if t.upper() == "FLOAT" else text_cell
            for t in types]


# The same encoding done by DuckDB, for columns of the types below: each cell's text (or JSON
# text) is computed in SQL and a whole line comes back per row, ~3-8x faster than formatting
# Python values. Results with any other type (nested, INTERVAL, TIMESTAMPTZ, ...) are
# formatted in Python by the functions above; tests check both give the same bytes.
_SQL_NUMBER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
               "UINTEGER", "UBIGINT", "UHUGEINT", "DECIMAL")
_SQL_STRING = ("VARCHAR", "ENUM")


def _base(duckdb_type: str) -> str | None:
    """The type family the SQL encoder handles, else None."""
    t = duckdb_type.strip().upper()
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return None
    base = t.split("(")[0].strip()
    if base in _SQL_NUMBER:
        return "number"
    if base in _SQL_STRING:
        return "string"
    return {"DOUBLE": "float", "FLOAT": "float", "BOOLEAN": "boolean", "DATE": "cast",
            "TIME": "cast", "UUID": "cast", "TIMESTAMP": "timestamp", "BLOB": "blob",
            "INTERVAL": "interval", '"NULL"': "cast"}.get(base)


def _sql_iso_interval(col: str) -> str:
    """SQL giving an INTERVAL as an ISO 8601 duration from its own parts, months kept
    (``P1Y2M3DT4H5M6.5S``; ``-P...`` when no part is positive; ``PT0S`` for zero)."""
    parts = {k: f"datepart('{k}', {col})" for k in
             ("year", "month", "day", "hour", "minute", "microsecond")}
    neg = ("(" + " AND ".join(f"{v} <= 0" for v in parts.values())
           + f" AND {col} <> INTERVAL 0 SECOND)")
    sign = f"(CASE WHEN {neg} THEN -1 ELSE 1 END)"

    def unit(key: str, letter: str) -> str:
        return (f"CASE WHEN {parts[key]} <> 0 THEN CAST({parts[key]} * {sign} AS VARCHAR) || "
                f"'{letter}' ELSE '' END")

    us = f"({parts['microsecond']} * {sign})"
    secs = (f"CASE WHEN {us} = 0 THEN '' WHEN {us} % 1000000 = 0 THEN "
            f"CAST({us} // 1000000 AS VARCHAR) || 'S' ELSE "
            f"rtrim(rtrim(printf('%.6f', {us} / 1000000), '0'), '.') || 'S' END")
    date = f"concat({unit('year', 'Y')}, {unit('month', 'M')}, {unit('day', 'D')})"
    time = f"concat({unit('hour', 'H')}, {unit('minute', 'M')}, {secs})"
    return (f"CASE WHEN {col} IS NULL THEN NULL WHEN {date} = '' AND {time} = '' THEN 'PT0S' "
            f"ELSE (CASE WHEN {neg} THEN '-' ELSE '' END) || 'P' || {date} || "
            f"(CASE WHEN {time} = '' THEN '' ELSE 'T' || {time} END) END")


def _sql_text(col: str, family: str) -> str:
    """SQL giving a cell's text as :func:`text_cell` writes it (NULL stays NULL)."""
    if family == "boolean":
        return f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"
    if family == "timestamp":
        return f"replace(CAST({col} AS VARCHAR), ' ', 'T')"
    if family == "blob":
        return f"to_base64({col})"
    if family == "interval":
        return _sql_iso_interval(col)
    return f"CAST({col} AS VARCHAR)"


def _sql_json(col: str, family: str, decimal: bool = False) -> str:
    """SQL giving a value's JSON text as :func:`json_value` + ``json.dumps`` write it."""
    if family == "number" and decimal:  # a JSON number as json.dumps writes float(value)
        return f"coalesce(CAST(CAST({col} AS DOUBLE) AS VARCHAR), 'null')"
    if family == "number":
        return f"coalesce(CAST({col} AS VARCHAR), 'null')"
    if family == "float":
        return f"CASE WHEN isfinite({col}) THEN CAST({col} AS VARCHAR) ELSE 'null' END"
    if family == "boolean":
        return f"coalesce({_sql_text(col, family)}, 'null')"
    return f"coalesce(CAST(to_json({_sql_text(col, family)}) AS VARCHAR), 'null')"


def _literal(text: str) -> str:
    """A SQL string literal (for the result's own column names, never user values)."""
    return "'" + text.replace("'", "''") + "'"


def _sql_line(cols: Sequence[str], types: Sequence[str], fmt: str) -> str | None:
    """The SELECT list giving each row as one line of ``fmt``, or None when a column's type
    is one the SQL encoder leaves to Python."""
    families = [_base(t) for t in types]
    if not cols or any(f is None for f in families):
        return None
    refs = [f"_c{i}" for i in range(len(cols))]
    if fmt in ("tsv", "csv"):
        delim = "\t" if fmt == "tsv" else ","
        sep = "chr(9)" if fmt == "tsv" else "','"
        cells = []
        for ref, family in zip(refs, families, strict=True):
            text = _sql_text(ref, family)  # type: ignore[arg-type]
            if family == "string":  # csv quoting: only text can hold a delimiter or quote
                text = (f"CASE WHEN regexp_matches({text}, '[{delim}\"\r\n]') THEN "
                        f"'\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END")
            cells.append(text)
        line = f"concat_ws({sep}, " + ", ".join(f"coalesce({c}, '')" for c in cells) + ")"
        if len(cells) == 1:  # an empty one-field line would read as no row at all
            line = f"CASE WHEN {line} = '' THEN '\"\"' ELSE {line} END"
        return line
    parts = []
    for k, (col, ref, family, t) in enumerate(zip(cols, refs, families, types, strict=True)):
        key = json.dumps(str(col), ensure_ascii=False) + ": "
        parts.append(_literal(("{" if k == 0 else ", ") + key))
        parts.append(_sql_json(ref, family,  # type: ignore[arg-type]
                               decimal=t.upper().startswith("DECIMAL")))
    parts.append("'}'")
    return "concat(" + ", ".join(parts) + ")"


def _finite(v: Any) -> Any:
    return v if v is None or math.isfinite(v) else None


def _json_converters(types: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    out: list[Callable[[Any], Any] | None] = []
    for t in types:
        if _is_plain(t) or t.upper() == "BOOLEAN":
            out.append(None)
        elif t.upper() == "DOUBLE":
            out.append(_finite)
        elif t.upper() == "FLOAT":
            out.append(lambda v: _finite(_float32(v)))
        else:
            out.append(json_value)
    return out


def _convert(batch: list[tuple[Any, ...]], conv: list[Callable[[Any], Any] | None]
             ) -> Iterable[Sequence[Any]]:
    if not any(conv):
        return batch
    pairs = [(i, f) for i, f in enumerate(conv) if f is not None]
    out = []
    for row in batch:
        r = list(row)
        for i, f in pairs:
            r[i] = f(r[i])
        out.append(r)
    return out


# -- choosing a format and a destination -----------------------------------------------------


def default_format(stream: IO[str] | None = None) -> str:
    """``table`` on a terminal, ``tsv`` when piped."""
    stream = stream or sys.stdout
    isatty = getattr(stream, "isatty", None)
    return "table" if isatty is not None and isatty() else "tsv"


def choose_format(fmt: str | None, output: str | Path | None = None,
                  stream: IO[str] | None = None) -> str:
    """The format to write: ``--format`` (any case), else ``-o``'s extension, else by stdout.

    Raises
    ------
    ConfigError : an unknown format, or an ``-o`` extension that names none (without
        ``--format``), or parquet without ``-o``, or a table into a file.
    """
    if fmt is not None:
        chosen = fmt.strip().lower()
        if chosen not in FORMATS:
            raise ConfigError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
    elif output is not None:
        suffix = Path(output).suffix.lower()
        if suffix not in SUFFIXES:
            raise ConfigError(
                f"-o {output}: cannot tell the format from the extension {suffix or '(none)'!r};"
                f" use one of {', '.join(SUFFIXES)} or give --format")
        chosen = SUFFIXES[suffix]
    else:
        chosen = default_format(stream)
    if chosen == "parquet" and output is None:
        raise ConfigError("--format parquet writes a binary file: give -o FILE.parquet")
    if chosen == "table" and output is not None:
        raise ConfigError("--format table is for the terminal; with -o use tsv, csv, json, "
                          "jsonl or parquet")
    return chosen


def check_output(output: str | Path) -> Path:
    """``-o FILE`` can be written: its folder exists and it is not a folder itself.

    Raises
    ------
    ConfigError : naming the path and what to do.
    """
    path = Path(output).expanduser()
    parent = path.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write -o {output}: folder {str(parent)!r} does not exist; "
                          "create it first or choose another path")
    if path.is_dir():
        raise ConfigError(f"cannot write -o {output}: it is a folder; give a file name")
    probe = parent / f".{path.name}.{os.getpid()}.probe"
    try:  # what the system says, not what the mode bits say (root, /proc, read-only mounts)
        probe.touch()
        probe.unlink()
    except OSError as err:
        raise ConfigError(f"cannot write -o {output}: {err.strerror or err} in "
                          f"{str(parent)!r}; choose another path") from None
    return path


class _AtomicFile:
    """``with _AtomicFile(path) as tmp``: write ``tmp``, renamed to ``path`` on success only,
    so a failed export never leaves half a file under the name asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.part")

    def __enter__(self) -> Path:
        return self.tmp

    def __exit__(self, kind: object, err: object, tb: object) -> None:
        if err is None:
            os.replace(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)


# -- rendering ------------------------------------------------------------------------------


def as_rows(data: Any) -> Rows:
    """What the renderer reads: :class:`Rows` as they are; a polars frame or Arrow table is
    read through an in-memory DuckDB (one type system, one encoder for every source)."""
    from ratgtex_db.result import Rows

    if isinstance(data, Rows):
        return data
    import duckdb

    table = data.to_arrow() if hasattr(data, "to_arrow") else data
    con = duckdb.connect()
    con.register("_frame", table)
    return Rows(con.sql("SELECT * FROM _frame"), con=con)


def render(
    data: Any,
    fmt: str | None = None,
    output: str | Path | None = None,
    *,
    limit: int | None = None,
    title: str | None = None,
    stream: IO[str] | None = None,
) -> None:
    """Write ``data`` (Rows, a polars frame or Arrow) in ``fmt`` to ``output`` or ``stream``.

    Raises
    ------
    ConfigError : a bad format, limit or output path (see :func:`choose_format`).
    BrokenPipeError : the reader closed the pipe (the caller stops quietly).
    """
    if limit is not None and limit < 0:
        raise ConfigError(f"--limit must be 0 or more, not {limit}")
    path = check_output(output) if output is not None else None
    fmt = choose_format(fmt, output, stream)
    rows = as_rows(data)
    if limit is not None:
        rows = rows.head(limit)
    if fmt == "table":
        show_table(rows, title=title, limit=limit, stream=stream)
        return
    if output is None:
        write_text(rows, fmt, stream or sys.stdout)
        return
    assert path is not None
    with _AtomicFile(path) as tmp:
        if fmt == "parquet":
            rows.write_parquet(tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                write_text(rows, fmt, fh)


def write_text(rows: Rows, fmt: str, out: IO[str]) -> None:
    """Stream ``rows`` as tsv, csv, json (one array, one object per line) or jsonl."""
    if fmt not in ("tsv", "csv", "json", "jsonl"):
        raise ConfigError(f"unknown text format {fmt!r}")
    cols, types = rows.columns, rows.types
    if fmt in ("tsv", "csv"):
        writer = csv.writer(out, delimiter="\t" if fmt == "tsv" else ",", lineterminator="\n",
                            quoting=csv.QUOTE_MINIMAL)
        writer.writerow(cols)
    select = _sql_line(cols, types, fmt)
    lines = rows.projected(select) if select is not None else None
    if lines is None:
        lines = _python_lines(rows, fmt)
    first = True
    if fmt == "json":
        out.write("[")
    for batch in lines:
        if not batch:
            continue
        if fmt == "json":
            out.write(("\n" if first else ",\n") + ",\n".join([r[0] for r in batch]))
        else:
            out.write("\n".join([r[0] for r in batch]) + "\n")
        first = False
    if fmt == "json":
        out.write("]\n" if first else "\n]\n")


def _python_batches(rows: Rows) -> Iterable[list[tuple[Any, ...]]]:
    """The rows for the Python encoder; INTERVAL columns come as DuckDB's ISO text (Python
    receives intervals as timedeltas, months turned into 30 days)."""
    families = [_base(t) for t in rows.types]
    if "interval" in families:
        select = ", ".join(_sql_iso_interval(f"_c{i}") if f == "interval" else f"_c{i}"
                           for i, f in enumerate(families))
        projected = rows.projected(select)
        if projected is not None:
            return projected
    return rows.batches()


def _python_lines(rows: Rows, fmt: str) -> Iterator[list[tuple[str]]]:
    """Each row as a one-item tuple holding its line, encoded in Python (the types the SQL
    encoder leaves out, or rows that are not a query)."""
    cols = rows.columns
    if fmt in ("tsv", "csv"):
        conv = _text_converters(rows.types)
        delim = "\t" if fmt == "tsv" else ","
        special = re.compile(f'[{delim}"\r\n]')

        def cell(v: Any) -> str:
            text = "" if v is None else str(v)
            return '"' + text.replace('"', '""') + '"' if special.search(text) else text

        for batch in _python_batches(rows):
            lines = [delim.join(cell(v) for v in r) for r in _convert(batch, conv)]
            if len(cols) == 1:  # an empty one-field line would read as no row at all
                lines = [ln or '""' for ln in lines]
            yield [(ln,) for ln in lines]
        return
    conv = _json_converters(rows.types)
    dumps = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
    keys = [dumps(str(c)) + ": " for c in cols]  # every column, duplicate names too
    for batch in _python_batches(rows):
        yield [("{" + ", ".join(k + dumps(v) for k, v in zip(keys, r, strict=True)) + "}",)
               for r in _convert(batch, conv)]


def to_text(data: Any, fmt: str) -> str:
    """The whole text ``render`` writes in ``fmt`` (tsv, csv, json, jsonl), as one string."""
    buf = io.StringIO()
    write_text(as_rows(data), fmt, buf)
    return buf.getvalue()


def json_document(parts: dict[str, Any]) -> str:
    """Several results (and plain values) as one JSON object: ``{name: [row, ...], ...}``."""
    doc: dict[str, Any] = {}
    for name, part in parts.items():
        if part is None or isinstance(part, (bool, int, float, str, list, dict)):
            doc[name] = json_value(part)
        else:
            rows = as_rows(part)
            cols = rows.columns
            doc[name] = [{c: json_value(v) for c, v in zip(cols, r, strict=True)}
                         for batch in rows.batches() for r in batch]
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=2) + "\n"


# -- terminal tables ------------------------------------------------------------------------


def table_cell(value: Any) -> str:
    """A value as a terminal table shows it (numbers to 6 significant digits)."""
    if value is None:
        return "NULL"
    if isinstance(value, float):
        return f"{value:.6g}"
    return text_cell(value)


def _console(stream: IO[str] | None) -> Console:
    piped = _piped_console()
    return piped(file=stream) if stream is not None else piped()


@functools.cache
def _piped_console() -> type[Console]:
    """rich's Console, except that a closed pipe raises BrokenPipeError: rich exits with status
    1 there, and the CLI stops a closed pipe like every other format (status 0, nothing said:
    ``| head`` is not an error)."""
    from rich.console import Console

    class _Piped(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Piped


def show_table(rows: Rows, *, title: str | None = None, limit: int | None = None,
               stream: IO[str] | None = None) -> None:
    """The first rows that fit a terminal, then how many more there are."""
    shown = limit if limit is not None else TABLE_ROWS
    cols, numeric = rows.columns, rows.numeric
    fetched: list[tuple[Any, ...]] = []
    for batch in rows.head(shown + 1).batches(shown + 1):
        fetched.extend(batch)
    more = 0
    if len(fetched) > shown:
        fetched = fetched[:shown]
        more = rows.count() - shown
    cells = [[table_cell(v) for v in r] for r in fetched]
    nulls = [[v is None for v in r] for r in fetched]
    noun = "row" if len(cells) == 1 else "rows"
    footer = (f"{len(cells)} {noun} shown; ... {more:,} more row{'s' if more != 1 else ''} "
              f"({MORE_HINT})" if more else f"{len(cells)} {noun}")
    print_table(cols, cells, title=title, numeric=numeric, footer=footer, nulls=nulls,
                console=_console(stream))


def _fit(cols: Sequence[str], cells: Sequence[Sequence[str]], numeric: Sequence[bool],
         width: int) -> list[int | None] | None:
    """Per column the widest it may be (``None``: as wide as it is), or ``None`` when even
    cut text columns do not fit side by side (then rows print as records)."""
    natural = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(cols)]
    frame = 3 * len(cols) + 1
    if sum(natural) + frame <= width:
        return [None] * len(cols)
    fixed = sum(w for w, num in zip(natural, numeric, strict=True) if num)
    texts = [w for w, num in zip(natural, numeric, strict=True) if not num]
    if not texts:
        return None
    for cap in range(max(texts), MIN_TEXT_WIDTH - 1, -1):
        if fixed + sum(min(w, cap) for w in texts) + frame <= width:
            return [None if num else cap for num in numeric]
    return None


def print_table(cols: Sequence[str], cells: Sequence[Sequence[str]], *,
                title: str | None = None, caption: str | None = None,
                numeric: Sequence[bool] | None = None, footer: str | None = None,
                nulls: Sequence[Sequence[bool]] | None = None,
                console: Console | None = None) -> None:
    """Print text cells as a rich table (records when the columns cannot fit side by side).

    Every cell, header, title and caption is plain text: ``[x]`` prints as ``[x]``.
    """
    from rich.table import Table
    from rich.text import Text

    console = console or _console(None)
    numeric = list(numeric) if numeric is not None else [False] * len(cols)

    def text(j: int, i: int) -> Text:
        null = nulls is not None and nulls[i][j]
        return Text(cells[i][j], style="dim" if null else "")

    caps = _fit(cols, cells, numeric, console.width) if cells else [None] * len(cols)
    if caps is not None:
        table = Table(title=Text(title) if title else None,
                      caption=Text(caption) if caption else None, header_style="bold")
        for col, num, cap in zip(cols, numeric, caps, strict=True):
            table.add_column(Text(col), justify="right" if num else "left", max_width=cap,
                             no_wrap=cap is not None, overflow="ellipsis")
        for i in range(len(cells)):
            table.add_row(*(text(j, i) for j in range(len(cols))))
        console.print(table)
    else:
        if title:
            console.print(Text(title, style="bold"))
        for i in range(len(cells)):
            record = Table(title=Text(f"row {i + 1}"), show_header=False,
                           title_justify="left", title_style="bold")
            record.add_column(style="bold")
            record.add_column(overflow="fold")
            for j, col in enumerate(cols):
                record.add_row(Text(col), text(j, i))
            console.print(record)
        if caption:
            console.print(Text(caption))
    if footer:
        console.print(Text(footer, style="dim"))

