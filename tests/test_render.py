"""render: one encoder for every DuckDB type (JSON and text), formats chosen from --format or
-o's extension, plain-text tables; values come from a real in-memory DuckDB."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import duckdb
import pytest

from ratgtex_db.errors import ConfigError
from ratgtex_db.render import (
    TABLE_ROWS,
    choose_format,
    iso_duration,
    json_value,
    render,
    text_cell,
    to_text,
)
from ratgtex_db.result import Rows

#: One column per DuckDB type family, with the JSON each must give.
TYPES = {
    "dec": ("1.5::DECIMAL(4,1)", 1.5),
    "big": ("12345678901234567890::HUGEINT", 12345678901234567890),
    "d": ("DATE '2024-01-02'", "2024-01-02"),
    "t": ("TIME '01:02:03.5'", "01:02:03.5"),
    "ts": ("TIMESTAMP '2024-01-02 03:04:05'", "2024-01-02T03:04:05"),
    "iv": ("INTERVAL '1 day 2 hours 3 minutes 4.5 seconds'", "P1DT2H3M4.5S"),
    "neg": ("INTERVAL '-90 minutes'", "-PT1H30M"),
    "zero": ("INTERVAL '0 seconds'", "PT0S"),
    "months": ("INTERVAL '1 year 2 months'", "P1Y2M"),
    "hours": ("INTERVAL '36 hours'", "PT36H"),
    "blob": (r"'\xAA\x00'::BLOB", "qgA="),
    "u": ("'5b5e0c1c-4a5f-4e5e-9f1e-7d2a8a1b2c3d'::UUID", "5b5e0c1c-4a5f-4e5e-9f1e-7d2a8a1b2c3d"),
    "l": ("[1, NULL, 3]", [1, None, 3]),
    "s": ("{'a': 1, 'b': [DATE '2024-01-02']}", {"a": 1, "b": ["2024-01-02"]}),
    "m": ("MAP {1: 'x'}", {"1": "x"}),
    "nan": ("'nan'::DOUBLE", None),
    "inf": ("'-inf'::DOUBLE", None),
    "nested_nan": ("['nan'::DOUBLE, 2.5]", [None, 2.5]),
    "b": ("true", True),
    "n": ("NULL::INTEGER", None),
    "txt": ("'kinase [provisional] x'", "kinase [provisional] x"),
}


@pytest.fixture
def rows() -> Rows:
    con = duckdb.connect()
    sql = "SELECT " + ", ".join(f"{expr} AS {name}" for name, (expr, _) in TYPES.items())
    return Rows(con.sql(sql), con=con)


def test_intervals_keep_their_months_beside_nested_columns():
    """An INTERVAL column is DuckDB's ISO text also when a nested column sends the rest of
    the row through Python."""
    con = duckdb.connect()
    rel = con.sql("SELECT INTERVAL '1 month 2 days' AS iv, [INTERVAL '1 day'] AS l")
    assert json.loads(to_text(Rows(rel, con=con), "json")) == [{"iv": "P1M2D", "l": ["P1D"]}]


def test_json_encodes_every_type(rows):
    """DECIMAL -> number, temporal -> ISO 8601, INTERVAL -> ISO duration, BLOB -> base64,
    UUID -> text, nested -> nested, NaN/inf -> null."""
    (got,) = json.loads(to_text(rows, "json"))
    assert got == {name: want for name, (_, want) in TYPES.items()}
    (line,) = to_text(rows, "jsonl").splitlines()
    assert json.loads(line) == got


def test_text_cells_of_every_type(rows):
    header, line = csv.reader(io.StringIO(to_text(rows, "tsv")), delimiter="\t")
    cells = dict(zip(header, line, strict=True))
    assert cells["dec"] == "1.5" and cells["b"] == "true" and cells["n"] == ""
    assert cells["iv"] == "P1DT2H3M4.5S" and cells["blob"] == "qgA="
    assert cells["ts"] == "2024-01-02T03:04:05"
    assert json.loads(cells["s"]) == {"a": 1, "b": ["2024-01-02"]}
    assert cells["txt"] == "kinase [provisional] x"


SIMPLE = ("SELECT i::INTEGER AS i, i / 7 AS d, (i * 1e-9)::DOUBLE AS tiny, i % 3 = 0 AS b, "
          "CASE WHEN i % 5 = 0 THEN NULL ELSE 'g' || i END AS s, "
          "['plain', 'tab\there', 'say \"hi\"', 'comma,x', 'line\nbreak', '', 'é [x]'][i % 7 + 1]"
          " AS txt, (i * 1.25)::DECIMAL(10,2) AS dec, DATE '2024-01-01' + i::INTEGER AS day, "
          "TIMESTAMP '2024-01-02 03:04:05' + i * INTERVAL 1500 MILLISECOND AS ts, "
          "TIME '01:02:03' AS t, '\\xAA\\x01'::BLOB AS blob, "
          "CASE WHEN i = 3 THEN 'nan'::DOUBLE WHEN i = 4 THEN 'inf'::DOUBLE ELSE 0.5 END AS odd, "
          "NULL AS nothing, 12345678901234567890::HUGEINT AS big "
          "FROM range(-20, 40) t(i)")


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl"])
def test_duckdb_and_python_halves_of_the_encoder_agree(fmt):
    """The fast path (DuckDB formats each line) gives the very bytes the Python encoder gives
    for the same rows (here read into Python first, which forces the Python path)."""
    con = duckdb.connect()
    fast = to_text(Rows(con.sql(SIMPLE), con=con), fmt)
    held = Rows(con.sql(SIMPLE), con=con)
    held.rows()
    assert to_text(held, fmt) == fast
    if fmt in ("json", "jsonl"):
        rows = json.loads(fast) if fmt == "json" else [json.loads(x) for x in fast.splitlines()]
        assert len(rows) == 60 and rows[23]["odd"] is None and rows[24]["odd"] is None
    else:
        parsed = list(csv.reader(io.StringIO(fast), delimiter="\t" if fmt == "tsv" else ","))
        assert len(parsed) == 61 and {len(r) for r in parsed} == {14}
        assert "line\nbreak" in {r[5] for r in parsed}


def test_json_of_no_rows_is_an_empty_array():
    con = duckdb.connect()
    rel = con.sql("SELECT 1 AS x WHERE false")
    assert json.loads(to_text(Rows(rel, con=con), "json")) == []
    assert to_text(Rows(rel, con=con), "jsonl") == ""
    assert to_text(Rows(rel, con=con), "csv") == "x\n"


@pytest.mark.parametrize("value,text", [
    (dt.timedelta(0), "PT0S"), (dt.timedelta(days=3), "P3D"),
    (dt.timedelta(seconds=0.25), "PT0.25S"), (dt.timedelta(hours=-1), "-PT1H"),
])
def test_iso_duration(value, text):
    assert iso_duration(value) == text


def test_encoder_values():
    assert json_value(float("nan")) is None and text_cell(None) == ""
    assert text_cell(False) == "false" and json_value(b"\x00") == "AA=="


@pytest.mark.parametrize("fmt,output,want", [
    ("TSV", None, "tsv"), ("Json", None, "json"), (None, "a.CSV", "csv"),
    (None, "x.parquet", "parquet"), (None, "x.jsonl", "jsonl"), ("csv", "e.xlsx", "csv"),
])
def test_choose_format(fmt, output, want):
    assert choose_format(fmt, output, io.StringIO()) == want


@pytest.mark.parametrize("fmt,output,message", [
    (None, "e.xlsx", r"-o e\.xlsx: cannot tell the format from the extension '\.xlsx'.*--format"),
    ("xml", None, "unknown --format 'xml'"),
    ("parquet", None, "give -o FILE.parquet"),
    ("table", "x.txt", "table is for the terminal"),
])
def test_choose_format_refuses(fmt, output, message):
    with pytest.raises(ConfigError, match=message):
        choose_format(fmt, output, io.StringIO())


def test_piped_default_is_tsv():
    assert choose_format(None, None, io.StringIO()) == "tsv"


def _table(sql: str, width: int = 100, **kw) -> str:
    from rich.console import Console

    con = duckdb.connect()
    out = io.StringIO()
    import ratgtex_db.render as r

    real = r._console
    r._console = lambda stream: Console(file=out, width=width)
    try:
        render(Rows(con.sql(sql), con=con), "table", **kw)
    finally:
        r._console = real
    return out.getvalue()


def test_table_markup_is_plain_text():
    """Cells, headers and titles are never read as rich markup."""
    text = _table("SELECT 'kinase [provisional] x' AS \"[bold]h[/bold]\", '[/]' AS b",
                  title="[red]t")
    assert "kinase [provisional] x" in text and "[/]" in text
    assert "[bold]h[/bold]" in text and "[red]t" in text


def test_table_shows_the_first_rows_and_counts_the_rest():
    text = _table("SELECT i, 'x' || i AS name FROM range(120) t(i)")
    assert f"{TABLE_ROWS} rows shown; ... 70 more rows (use --limit, -o or --format)" in text
    assert "│ 49 " in text and "│ 50 " not in text
    text = _table("SELECT i FROM range(120) t(i)", limit=60)
    assert "60 rows" in text and "more rows" not in text


def test_table_cuts_long_text_before_falling_back_to_records():
    """Columns that fit once long text is cut stay side by side; too many become records."""
    text = _table("SELECT 1 AS id, repeat('abcdefghij', 30) AS description, 2.5 AS x",
                  width=80)
    assert "row 1" not in text and "…" in text
    assert all(len(line) <= 80 for line in text.splitlines())
    text = _table("SELECT " + ", ".join(f"{i} AS column_{i}" for i in range(30)), width=80)
    assert "row 1" in text and any("column_29" in ln and "29" in ln for ln in text.splitlines())
