"""Audit of the output formats (architecture.md sections 3-5, README "Output is streamed ...",
the module doc of ratgtex_db/render.py), driven as a user drives them: real `ratgtex-db`
processes on a database the CLI itself built (`synth --scale tiny` + `ingest`), every value
compared with what stock DuckDB (read-only on the catalog) holds -- floats bit for bit -- and
parsed back with the tools a reader uses (Python's csv and json modules, pandas, polars,
pyarrow).

A test that fails here is a finding: documented behaviour the package does not have.
The memory and closed-pipe checks on a bigger database are marked ``slow``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import signal
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import duckdb
import pytest

# Subprocess-heavy (~30-45 s): run with `python -m pytest -m slow`; the suite's default
# run keeps within CI's time budget.
pytestmark = pytest.mark.slow

TIMEOUT = 300
TEXT = ("tsv", "csv", "json", "jsonl")
FORMATS = (*TEXT, "parquet")
EXT = {"tsv": ".tsv", "csv": ".csv", "json": ".json", "jsonl": ".jsonl", "parquet": ".parquet"}


# -- fixtures ---------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("RATGTEX_DB", "COLUMNS", "LINES")}


def _run(args: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["ratgtex-db", *args], capture_output=True, env=_env(),
                          timeout=TIMEOUT, **kw)


def ok(res: subprocess.CompletedProcess) -> bytes:
    assert res.returncode == 0, (res.args, res.returncode, res.stderr[-2000:])
    assert b"Traceback" not in res.stderr, res.stderr
    return res.stdout


@pytest.fixture(scope="session")
def own_tmp():
    """A temp folder of our own (pytest's numbered basetemp folders are pruned by any other
    pytest session started meanwhile on this machine)."""
    with tempfile.TemporaryDirectory(prefix="ratgtex-audit-output-") as d:
        yield Path(d)


@pytest.fixture
def tmp(own_tmp, request) -> Path:
    path = own_tmp / "t" / re.sub(r"[^\w.-]", "_", request.node.name)[:80]
    path.mkdir(parents=True)
    return path


def _build(root: Path, scale: str) -> Path:
    ok(_run(["synth", str(root / "rel"), "--scale", scale]))
    db = root / "db"
    ok(_run(["--db", str(db), "ingest", str(root / "rel" / "data" / "v4"), "-q"]))
    return db


@pytest.fixture(scope="session")
def db_dir(own_tmp) -> Path:
    """A tiny synthetic v4 release written and ingested by the CLI."""
    return _build(own_tmp / "tiny", "tiny")


@pytest.fixture(scope="session")
def con(db_dir):
    """Stock DuckDB on the catalog, read-only: the oracle."""
    c = duckdb.connect(str(db_dir / "catalog.duckdb"), read_only=True)
    yield c
    c.close()


@pytest.fixture(scope="session")
def api(db_dir):
    import ratgtex_db

    d = ratgtex_db.open(db_dir)
    yield d
    d.close()


@pytest.fixture(scope="session")
def cli(db_dir):
    def call(*args: str) -> bytes:
        return ok(_run(["--db", str(db_dir), *args]))

    return call


def oracle(con, sql: str, params=None) -> tuple[list[str], list[str], list[tuple]]:
    """Columns, DuckDB types and rows of a query, from stock DuckDB."""
    cur = con.cursor()
    rel = cur.sql(sql, params=params)
    return list(rel.columns), [str(t) for t in rel.types], rel.fetchall()


def export(cli, tmp: Path, fmt: str, sql: str, *extra: str, infer: bool = False):
    """The query's output in ``fmt``: stdout for text (``--format``), or ``-o`` a file whose
    format comes from its extension (``infer``) -- parquet always goes through a file."""
    if fmt == "parquet" or infer:
        out = tmp / f"out{EXT[fmt]}"
        assert cli("sql", sql, "-o", str(out), *extra) == b""
        return out.read_bytes() if fmt != "parquet" else out
    return cli("sql", sql, "--format", fmt, *extra)


def read_back(fmt: str, data) -> tuple[list[str], list[list]]:
    """Header and rows as a reader gets them: text cells (tsv/csv, Python's csv module), JSON
    values (object pairs kept in order, duplicates too), Python values (pyarrow)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(data)
        columns = [c.to_pylist() for c in table.columns]
        return table.column_names, [list(r) for r in zip(*columns, strict=True)]
    text = data.decode("utf-8")
    if fmt in ("tsv", "csv"):
        lines = list(csv.reader(io.StringIO(text, newline=""),
                                delimiter="\t" if fmt == "tsv" else ","))
        return lines[0], lines[1:]
    docs = (json.loads(text) if fmt == "json"
            else [json.loads(ln) for ln in text.split("\n") if ln])
    header = list(docs[0]) if docs else []
    return header, [list(d.values()) for d in docs]


def bits(x: float) -> bytes:
    return struct.pack("<d", x)


def same_float(got, want: float | None, fmt: str) -> bool:
    """``got`` (as read back from ``fmt``) is exactly DuckDB's double ``want``."""
    if want is None:
        return got in (None, "")
    if math.isnan(want) or math.isinf(want):
        if fmt in ("json", "jsonl"):
            return got is None  # documented: NaN and infinities are null in JSON
        value = float(got) if isinstance(got, str) else got
        return (math.isnan(value) and math.isnan(want)) or value == want
    if isinstance(got, str):
        got = float(got)
    return isinstance(got, float | int) and bits(float(got)) == bits(want)


# -- 1. exactness -----------------------------------------------------------------------------

#: Doubles as DuckDB parses their text: exponents, subnormals, signed zero, ties, non-finite.
DOUBLES = ["1.23457e-08", "4.94066e-324", "5e-324", "1e+06", "0.1", "-0.0", "0.0",
           "1.7976931348623157e+308", "2.2250738585072014e-308", "2.225073858507201e-308",
           "1e-300", "1e+300", "123456789.123", "0.30000000000000004", "1e+16", "1e+15",
           "1e22", "1e23", "9007199254740993", "-1.5e-10", "3.141592653589793",
           "6.02214076e23", "1.0000000000000002", "4.35e-5", "nan", "inf", "-inf"]


def _doubles_sql(nested: bool) -> str:
    cols = [f"'{v}'::DOUBLE AS d{i:02d}" for i, v in enumerate(DOUBLES)]
    cols.append("NULL::DOUBLE AS d_null")
    if nested:  # a nested column sends the rows through the Python half of the encoder
        cols.append("[1] AS nested")
    return "SELECT " + ", ".join(cols)


@pytest.mark.parametrize("path", ["duckdb_encoder", "python_encoder"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_doubles_round_trip_bit_for_bit(fmt, path, cli, con, tmp):
    """Every double reads back as the very float64 DuckDB holds (NaN/inf: null in JSON, as
    DuckDB's own CSV writer writes them in tsv/csv); NULL is empty / null."""
    sql = _doubles_sql(path == "python_encoder")
    cols, _, (want,) = oracle(con, sql)
    header, rows = read_back(fmt, export(cli, tmp, fmt, sql))
    assert header == cols and len(rows) == 1
    bad = {c: (g, repr(w)) for c, g, w in zip(cols, rows[0], want, strict=True)
           if c.startswith("d") and not same_float(g, w, fmt)}
    assert not bad, bad


PAIRS = ("SELECT * FROM cis_qtl_signif ORDER BY tissue, modality, phenotype_id, variant_id "
         "LIMIT 12000")


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_pair_reads_back_exactly(fmt, cli, con, tmp):
    """All of cis_qtl_signif (ids, INTEGER positions and counts, DOUBLE statistics) through
    `-o FILE.ext` (format from the extension): each cell is DuckDB's value, floats bit for
    bit, ids unchanged text."""
    cols, types, want = oracle(con, PAIRS)
    data = export(cli, tmp, fmt, PAIRS, infer=True)
    header, rows = read_back(fmt, data)
    assert header == cols and len(rows) == len(want) > 1000
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == types
    for j, (col, t) in enumerate(zip(cols, types, strict=True)):
        for i in range(len(want)):
            w, g = want[i][j], rows[i][j]
            if t == "DOUBLE":
                good = same_float(g, w, fmt)
            elif t == "INTEGER":
                good = (g == "" if w is None else int(g) == w) if fmt in ("tsv", "csv") \
                    else (g == w and type(g) is type(w))
            else:
                good = (g == ("" if w is None else w)) if fmt in ("tsv", "csv") else g == w
            assert good, (col, i, g, w)


INTS = ("SELECT (-2147483648)::INTEGER AS i_min, 2147483647::INTEGER AS i_max, "
        "(-9223372036854775808)::BIGINT AS b_min, 9223372036854775807::BIGINT AS b_max, "
        "(-128)::TINYINT AS t, (-32768)::SMALLINT AS s, 4294967295::UINTEGER AS ui, "
        "18446744073709551615::UBIGINT AS ub, 9007199254740993::BIGINT AS past_2_53, "
        "0::BIGINT AS zero, NULL::INTEGER AS n_int, NULL::BIGINT AS n_big")


@pytest.mark.parametrize("fmt", FORMATS)
def test_integers_are_exact(fmt, cli, con, tmp):
    """INTEGER / BIGINT (and the other integer widths) exact, negative and at their limits;
    integers in JSON (never floats), the same integer type in Parquet."""
    cols, types, (want,) = oracle(con, INTS)
    data = export(cli, tmp, fmt, INTS, infer=True)
    header, (got,) = read_back(fmt, data)
    assert header == cols
    if fmt in ("tsv", "csv"):
        assert [None if g == "" else int(g) for g in got] == list(want)
        assert all(re.fullmatch(r"-?\d+|", g) for g in got), got  # no 1e+18, no .0
    else:
        assert got == list(want) and all(type(g) is type(w) for g, w in zip(got, want, strict=True))
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == types


def test_hugeint_counts_stay_integers_in_parquet(cli, con, tmp):
    """sum() of an INTEGER column is a HUGEINT in DuckDB: counts are integers (section 3),
    exact in every format. JSON and tsv keep them; Parquet should hold them as an integer (or
    DECIMAL(38,0)), never a DOUBLE (which also loses digits past 2^53)."""
    sql = ("SELECT sum(ma_count) AS total_ma_count, "
           "170141183460469231731687303715884105727::HUGEINT AS hmax, "
           "12345678901234567891::HUGEINT AS past_uint64 FROM cis_qtl_signif")
    cols, _, (want,) = oracle(con, sql)
    as_json = json.loads(cli("sql", sql, "--format", "json"))
    assert list(as_json[0].values()) == list(want)  # JSON is exact
    _, (got,) = read_back("parquet", export(cli, tmp, "parquet", sql))
    # an integer, or an exact DECIMAL(38, 0) (what DuckDB hands Arrow for a HUGEINT)
    assert [(c, type(g).__name__ in ("int", "Decimal") and g == int(g), g)
            for c, g in zip(cols, got, strict=True)] == \
        [(c, True, w) for c, w in zip(cols, want, strict=True)]


def test_versions_byte_counts_are_integers_in_parquet(cli, con, tmp):
    """`versions` (a canned command) returns its byte counts as HUGEINT; `-o v.parquet`
    must keep them integers, as its tsv and JSON do."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = tmp / "versions.parquet"
    cli("versions", "-o", str(out))
    doc = json.loads(cli("versions", "--format", "json"))
    assert doc and isinstance(doc[0]["source_bytes"], int)
    field = pq.read_schema(out).field("source_bytes")
    assert pa.types.is_integer(field.type) or pa.types.is_decimal(field.type), field


#: Ids that look like numbers, booleans or NULL: text, always (section 3).
IDS = ["00077E67B5", "933000320045751", "1e5000", "007", "2083E01823", "0682E30048",
       "7458E73600", "-0", "1.50", "+5", " 42", "42 ", "NaN", "Infinity", "inf", "true",
       "False", "null", "NULL", "NA", "1,000", "0x1F", "1_000", "٣"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_numeric_looking_ids_stay_text(fmt, cli, con, tmp):
    """Every rat id of the release (`2083E01823` is 2083x10^1823 to a number parser) and ids
    that look like numbers stay text: quoted strings in JSON, byte-identical cells in tsv/csv,
    VARCHAR in Parquet."""
    values = ", ".join("(" + "'" + v.replace("'", "''") + "')" for v in IDS)
    sql = (f"SELECT id FROM (SELECT rat_id AS id FROM rat_ids UNION ALL "
           f"SELECT * FROM (VALUES {values})) ORDER BY id")
    cols, _, want = oracle(con, sql)
    assert any(re.fullmatch(r"\d+E\d+", w) for (w,) in want)  # the release has them
    data = export(cli, tmp, fmt, sql)
    header, rows = read_back(fmt, data)
    assert header == ["id"] and [r[0] for r in rows] == [w for (w,) in want]
    if fmt in ("json", "jsonl"):
        for v in ("00077E67B5", "933000320045751", "1e5000", "2083E01823"):
            assert f'"id": "{v}"'.encode() in data
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == ["VARCHAR"]
    if fmt in ("tsv", "csv"):
        lines = data.decode().split("\n")[1:-1]
        assert [ln for ln in lines if ln.startswith('"')] == [f'"{v}"' for v in ["1,000"]
                                                               if fmt == "csv"]


NULLS = ("SELECT NULL::VARCHAR AS s_null, '' AS s_empty, NULL::INTEGER AS i_null, "
         "NULL::DOUBLE AS d_null, true AS b_true, false AS b_false, NULL::BOOLEAN AS b_null, "
         "NULL::INTEGER[] AS l_null, [NULL]::INTEGER[] AS l_of_null, 'x' AS s")


@pytest.mark.parametrize("fmt", FORMATS)
def test_null_and_booleans(fmt, cli, con, tmp):
    """NULL: empty in tsv/csv, null in JSON (apart from the empty string: ``""``), NULL in
    Parquet; BOOLEAN: true/false."""
    cols, types, (want,) = oracle(con, NULLS)
    data = export(cli, tmp, fmt, NULLS)
    header, (got,) = read_back(fmt, data)
    assert header == cols
    if fmt in ("tsv", "csv"):
        assert got == ["", "", "", "", "true", "false", "", "", "[null]", "x"]
    else:
        assert got == list(want)
        assert [type(g) for g in got[4:6]] == [bool, bool]
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == types


@pytest.mark.parametrize("fmt", ["tsv", "csv"])
def test_a_one_column_null_row_is_still_a_row(fmt, cli, con):
    """A one-column result whose cell is NULL or '' must still be a row with one (empty) field,
    as Python's own csv.writer writes it (``""``): a bare empty line is no row at all to
    csv.reader (``[]``) and pandas drops it (skip_blank_lines). Rows are lost otherwise."""
    import pandas as pd

    sql = "SELECT x FROM (VALUES (1, NULL::VARCHAR), (2, ''), (3, 'a')) t(k, x) ORDER BY k"
    _, _, want = oracle(con, sql)
    data = cli("sql", sql, "--format", fmt).decode()
    header, rows = read_back(fmt, data.encode())
    assert header == ["x"] and rows == [[""], [""], ["a"]], repr(data)
    frame = pd.read_csv(io.StringIO(data), sep="\t" if fmt == "tsv" else ",", dtype=str)
    assert len(frame) == len(want), repr(data)


#: Text a cell may hold: delimiters, quotes, line ends, non-ASCII, lookalikes of NULL.
TEXTS = {"tab": "a\tb", "newline": "line\nbreak", "crlf": "x\r\ny", "cr": "cr\r",
         "quote": 'say "hi"', "lone_quote": '"', "comma": "a,b", "both": 'x,"y"\tz',
         "accents": "é ü ß 中 😀", "backslash": "C:\\dir\\n", "spaces": "  pad  ",
         "ls": "a\u2028b", "empty": "", "brackets": "[1, 2]", "na": "NA", "ctrl": "\x01\x1f"}


def _text_sql(nested: bool) -> str:
    def lit(s: str) -> str:
        return "(" + " || ".join(f"chr({ord(c)})" for c in s) + ")" if s else "''"

    # odd column names too: the header is written as the query names its columns, in order
    names = {"tab": "z col", "comma": "a,col", "quote": 'q"col', "accents": "ñ"}
    cols = [f'{lit(v)} AS "{names.get(k, k).replace(chr(34), chr(34) * 2)}"'
            for k, v in TEXTS.items()]
    if nested:
        cols.append("['a\tb', 'c\"d']::VARCHAR[] AS nested")
    return "SELECT " + ", ".join(cols)


@pytest.mark.parametrize("path", ["duckdb_encoder", "python_encoder"])
@pytest.mark.parametrize("fmt", TEXT)
def test_text_with_delimiters_quotes_and_line_ends(fmt, path, cli, con):
    """Cells with tabs, newlines, CR, quotes, commas and non-ASCII parse back exactly with
    Python's csv / json modules, pandas and polars; the header holds the query's column
    names in its order."""
    import pandas as pd
    import polars as pl

    sql = _text_sql(path == "python_encoder")
    cols, _, (want,) = oracle(con, sql)
    want = list(want)
    if path == "python_encoder":
        want[-1] = want[-1] if fmt in ("json", "jsonl") else json.dumps(want[-1],
                                                                        ensure_ascii=False)
    data = cli("sql", sql, "--format", fmt)
    header, rows = read_back(fmt, data)
    assert header == cols and rows == [want]
    if fmt in ("tsv", "csv"):
        sep = "\t" if fmt == "tsv" else ","
        frame = pd.read_csv(io.BytesIO(data), sep=sep, dtype=str, keep_default_na=False)
        assert list(frame.columns) == cols and frame.values.tolist() == [want]
        frame = pl.read_csv(data, separator=sep, infer_schema=False)
        # (polars keeps a quoted header's doubled quote: 'q""col'; its bug, not ours)
        assert [c.replace('""', '"') for c in frame.columns] == cols
        assert [("" if v is None else v) for v in frame.row(0)] == want


def test_duplicate_column_names_keep_every_value(cli, con):
    """Ad hoc SQL may repeat a name (`SELECT 1 AS a, 2 AS a`); the renderer renames columns
    by position for that reason. Neither encoder may drop a column: the JSON line holds
    every value in the query's order (a nested column beside them must not change that)."""
    for sql in ("SELECT 1 AS a, 2 AS a", "SELECT 1 AS a, 2 AS a, [3] AS l"):
        cols, _, (want,) = oracle(con, sql)
        got = json.loads(cli("sql", sql, "--format", "jsonl"), object_pairs_hook=list)
        assert [k for k, _ in got] == cols and [v for _, v in got] == list(want), sql
        tsv = cli("sql", sql, "--format", "tsv").decode().splitlines()
        assert tsv[0].split("\t") == cols


def test_decimal_and_float_cells_do_not_depend_on_the_other_columns(cli):
    """One encoder: a DECIMAL / FLOAT cell is the same text whether or not a nested column
    sits beside it in the row (the two halves of the encoder must agree)."""
    base = ("SELECT 0.0000001::DECIMAL(18,10) AS small_dec, 100::DECIMAL(10,2) AS dec, "
            "0.1::FLOAT AS real, 3.4e38::FLOAT AS real_big")
    for fmt in ("tsv", "json"):
        plain = read_back(fmt, cli("sql", base, "--format", fmt))
        nested = read_back(fmt, cli("sql", base + ", [1] AS l", "--format", fmt))
        assert nested[1][0][:-1] == plain[1][0], (fmt, plain, nested)


NESTED = ("SELECT [1, 2] AS l, {'a': 1} AS s, [[1.5, NULL], []]::DOUBLE[][] AS ll, "
          "{'id': '00077E67B5', 'x': [0.1, 5e-324]::DOUBLE[]} AS st, ['1e5000', NULL] AS ids, "
          "MAP {'k': 1} AS m, NULL::INTEGER[] AS nl")


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_and_struct_columns(fmt, cli, con, tmp):
    """LIST / STRUCT / MAP: nested JSON in JSON and in tsv/csv cells (README), the same nested
    types in Parquet; ids inside them stay strings, doubles exact."""
    cols, types, (want,) = oracle(con, NESTED)
    data = export(cli, tmp, fmt, NESTED)
    header, (got,) = read_back(fmt, data)
    assert header == cols
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == types
        assert duckdb.sql(f"SELECT * FROM '{data}'").fetchall() == [want]
        return
    if fmt in ("tsv", "csv"):
        got = [json.loads(g) if g else None for g in got]
    assert got == [[1, 2], {"a": 1}, [[1.5, None], []], {"id": "00077E67B5", "x": [0.1, 5e-324]},
                   ["1e5000", None], {"k": 1}, None]
    assert bits(got[3]["x"][1]) == bits(5e-324)


GENO = ("SELECT variant_id, pos, dosages FROM _ratgtex.lake_genotype_rows "
        "WHERE len(dosages) > list_count(dosages) ORDER BY variant_id LIMIT 50")


@pytest.mark.parametrize("fmt", FORMATS)
def test_genotype_dosage_lists(fmt, cli, con, tmp):
    """The genotypes' dosage lists (LIST<TINYINT>, NULL: a missing call) read back element
    for element, NULLs kept in place."""
    cols, types, want = oracle(con, GENO)
    assert len(want) == 50 and any(None in w[2] for w in want)
    data = export(cli, tmp, fmt, GENO)
    header, rows = read_back(fmt, data)
    assert header == cols
    if fmt in ("tsv", "csv"):
        rows = [[r[0], int(r[1]), json.loads(r[2])] for r in rows]
    assert [tuple(r) for r in rows] == want
    if fmt == "parquet":
        assert [str(t) for t in duckdb.sql(f"SELECT * FROM '{data}'").types] == types


@pytest.mark.parametrize("fmt", FORMATS)
def test_limit_gives_exactly_n_rows(fmt, cli, con, tmp):
    """--limit N: exactly N rows (the first N of the query), in every format; --limit 0: the
    header alone / an empty array / nothing / an empty file with the columns."""
    cols, _, want = oracle(con, PAIRS.replace("12000", "7"))
    for n, rows_want in ((7, want), (0, [])):
        data = export(cli, tmp, fmt, PAIRS, "--limit", str(n))
        header, rows = read_back(fmt, data)
        assert len(rows) == n, (fmt, n)
        if fmt in ("tsv", "csv", "parquet"):
            assert header == cols
        if fmt == "parquet":
            assert [tuple(r) for r in rows] == rows_want


# -- canned commands: the CLI's output is the method's rows, exactly --------------------------

CANNED = {
    "eqtls": (["eqtls", "--tissue", "BLA,NAcc"], lambda d: d.eqtls(tissue=["BLA", "NAcc"])),
    "assoc": (["assoc", "--gene", "A1c612"], lambda d: d.assoc(gene="A1c612")),
    "gene": (["gene", "A1c612", "Cysl25"], lambda d: d.gene(["A1c612", "Cysl25"])),
}


@pytest.mark.parametrize("name", sorted(CANNED))
def test_canned_commands_json_and_tsv_are_the_methods_values(name, cli, api, tmp):
    """`eqtls` / `assoc` / `gene` in JSON, tsv and Parquet hold the Python method's rows:
    same columns in order, doubles bit for bit, integers exact, ids text."""
    import polars as pl

    args, call = CANNED[name]
    frame = call(api)
    assert frame.height > 0
    want = frame.rows()
    doc = json.loads(cli(*args, "--format", "json"), object_pairs_hook=list)
    assert [k for k, _ in doc[0]] == frame.columns
    floats = [dt == pl.Float64 for dt in frame.dtypes]
    for got, w in zip(([v for _, v in d] for d in doc), want, strict=True):
        for g, x, f in zip(got, w, floats, strict=True):
            assert same_float(g, x, "json") if f else (g == x and type(g) is type(x)), (g, x)
    head, *body = read_back("tsv", cli(*args, "--format", "tsv"))[0:2]
    assert head == frame.columns
    for got, w in zip(body[0], want, strict=True):
        for g, x, f, dt in zip(got, w, floats, frame.dtypes, strict=True):
            if f:
                assert same_float(g, x, "tsv"), (g, x)
            elif x is None:
                assert g == ""
            elif dt == pl.Boolean:
                assert g == ("true" if x else "false")
            else:
                assert g == str(x), (g, x)
    out = tmp / f"{name}.parquet"
    cli(*args, "-o", str(out))
    back = pl.read_parquet(out)
    assert back.schema == frame.schema and back.rows() == want


# -- 3. Python API ------------------------------------------------------------------------------

ID_SQL = ("SELECT r.rat_id, g.variant_id, g.dataset, c.phenotype_id, c.gene_id, c.pos, "
          "c.ma_count, c.pval_nominal, e.expressed, '933000320045751' AS lit_id "
          "FROM (SELECT DISTINCT rat_id FROM rat_ids "
          "WHERE regexp_matches(rat_id, '^[0-9]+$|^[0-9]+E[0-9]+$') ORDER BY 1 LIMIT 5) r, "
          "(SELECT * FROM variants ORDER BY variant_id LIMIT 2) g, "
          "(SELECT * FROM cis_qtl_signif ORDER BY ALL LIMIT 2) c, "
          "(SELECT * FROM gene_tissue_status ORDER BY ALL LIMIT 1) e ORDER BY ALL")


def test_api_sql_is_polars_with_ids_as_strings(api, con):
    """db.sql(q) -> polars.DataFrame; id columns are String (never numbers, even when every
    value is digits), counts integers, statistics Float64, flags Boolean; values are DuckDB's."""
    import polars as pl

    frame = api.sql(ID_SQL)
    assert isinstance(frame, pl.DataFrame)
    cols, types, want = oracle(con, ID_SQL)
    assert frame.columns == cols and frame.rows() == want and frame.height == 20
    assert dict(frame.schema) == {
        "rat_id": pl.String, "variant_id": pl.String, "dataset": pl.String,
        "phenotype_id": pl.String, "gene_id": pl.String, "pos": pl.Int32,
        "ma_count": pl.Int32, "pval_nominal": pl.Float64, "expressed": pl.Boolean,
        "lit_id": pl.String}


ARROW_SQL = ("SELECT c.*, [1, 2]::INTEGER[] AS l, {'a': 1} AS s, true AS b, 5::BIGINT AS big, "
             "g.dosage FROM cis_qtl_signif c, "
             "(SELECT dosage FROM genotypes ORDER BY variant_id, rat_id LIMIT 1) g "
             "WHERE c.gene_id = ? ORDER BY ALL")


def test_api_arrow_has_duckdbs_types(api, con):
    """db.sql(q, params).arrow() is an Arrow table with the columns, types and values DuckDB's
    own Arrow result has for the same query (section 5: 'Arrow without copy where possible')."""
    import pyarrow as pa

    table = api.sql(ARROW_SQL, ["A1c612"]).arrow()
    assert isinstance(table, pa.Table)
    want = con.cursor().sql(ARROW_SQL, params=["A1c612"]).to_arrow_table()
    assert table.num_rows == want.num_rows > 0
    assert table.to_pylist() == want.to_pylist()
    assert {f.name: str(f.type) for f in table.schema} == \
        {f.name: str(f.type) for f in want.schema}


def test_api_methods_and_cli_json_agree_on_types(api, con):
    """The canned methods' frames carry the contract's types: ids String, pos Int32,
    statistics Float64 (eqtls) -- what the CLI's JSON then writes."""
    import polars as pl

    frame = api.eqtls(tissue=["BLA"])
    schema = dict(frame.schema)
    for col in ("gene_id", "variant_id", "tissue", "chrom", "ref", "alt", "version"):
        assert schema[col] == pl.String, col
    for col in ("pval_nominal", "slope", "slope_se", "af"):
        assert schema[col] == pl.Float64, col
    assert schema["pos"] in (pl.Int32, pl.Int64) and schema["rank"] in (pl.Int32, pl.Int64)


# -- 2. streaming and bounded memory (slow: a small-scale release, ~1.4M signif pairs) ------


@pytest.fixture(scope="session")
def big_db(own_tmp) -> Path:
    db = _build(own_tmp / "small", "small")
    with duckdb.connect(str(db / "catalog.duckdb"), read_only=True) as c:
        assert c.sql("SELECT count(*) FROM cis_qtl_signif").fetchall()[0][0] > 1_000_000
    return db


def peak_rss_mb(args: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int, bytes]:
    """Peak RSS (MiB) of the command (wait4 of the child), its status and stderr."""
    proc = subprocess.Popen(["ratgtex-db", *args], stdout=stdout, stderr=subprocess.PIPE,
                            env=_env())
    err = b""

    def drain() -> None:
        nonlocal err
        err = proc.stderr.read()  # type: ignore[union-attr]

    reader = threading.Thread(target=drain)
    reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    return usage.ru_maxrss / 1024, proc.returncode, err


BIG = "SELECT * FROM cis_qtl_signif"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_memory_stays_flat_in_the_results_size(fmt, big_db, own_tmp):
    """'memory stays flat in the result's size': the peak RSS of an export of 1.4M rows and
    of 5.6M rows (the pairs four times over, UNION ALL) is that of 10k rows, up to a fixed
    allowance."""
    out = own_tmp / f"mem{EXT[fmt]}"
    peaks = {}
    for label, sql in (("10k", BIG + " LIMIT 10000"), ("1x", BIG),
                       ("4x", " UNION ALL ".join([BIG] * 4))):
        rss, code, err = peak_rss_mb(["--db", str(big_db), "sql", sql, "--format", fmt,
                                      "-o", str(out)])
        assert code == 0, err
        peaks[label] = round(rss)
        out.unlink()
    print(f"\npeak RSS {fmt}: {peaks} MiB")
    assert peaks["4x"] <= peaks["1x"] * 1.15 + 32, peaks  # no growth with the result's size
    assert peaks["1x"] <= peaks["10k"] + 192, peaks


@pytest.mark.slow
def test_python_encoder_memory_stays_flat(big_db, own_tmp):
    """The same through the Python half of the encoder (a nested column in the row)."""
    out = own_tmp / "mem_nested.jsonl"
    peaks = {}
    for label, n in (("10k", 10_000), ("1.4M", 2_000_000)):
        sql = f"SELECT *, [pos, ma_count] AS l FROM cis_qtl_signif LIMIT {n}"
        rss, code, err = peak_rss_mb(["--db", str(big_db), "sql", sql, "-o", str(out)])
        assert code == 0, err
        peaks[label] = round(rss)
    print(f"\npeak RSS jsonl (python encoder): {peaks} MiB")
    assert peaks["1.4M"] <= peaks["10k"] + 96, peaks


@pytest.mark.slow
@pytest.mark.parametrize("fmt", TEXT)
@pytest.mark.parametrize("nested", [False, True])
def test_closed_pipe_stops_a_big_query_promptly(fmt, nested, big_db):
    """`ratgtex-db sql "SELECT * FROM cis_qtl_signif" | head -1` on millions of rows ends as
    soon as head does (well before the whole export would), exit status 0 (or 141), and
    nothing on stderr."""
    sql = ("SELECT c.*" + (", [c.pos] AS l" if nested else "") +
           " FROM cis_qtl_signif c, range(8) r")
    cmd = (f"ratgtex-db --db '{big_db}' sql \"{sql}\" --format {fmt} | head -1; "
           "echo \"status=${PIPESTATUS[0]}\"")
    started = time.monotonic()
    res = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=TIMEOUT,
                         env=_env())
    took = time.monotonic() - started
    first, status = res.stdout.splitlines()[0], res.stdout.splitlines()[-1]
    assert status in ("status=0", "status=141"), (status, res.stderr)
    assert res.stderr == "", res.stderr
    assert first.startswith(("version", "[", "{")), first
    assert took < 10, took  # the whole run is 11M rows: tens of seconds to minutes


@pytest.mark.slow
def test_closed_pipe_does_not_leave_a_child_running(big_db):
    """After head exits, the ratgtex-db process is gone (not still reading the query)."""
    proc = subprocess.Popen(["ratgtex-db", "--db", str(big_db), "sql",
                             "SELECT c.* FROM cis_qtl_signif c, range(8) r", "--format", "csv"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    proc.stdout.readline()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    started = time.monotonic()
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        raise AssertionError("still running 60 s after the pipe closed") from None
    assert time.monotonic() - started < 10
    assert code in (0, -signal.SIGPIPE, 141)
    assert proc.stderr.read() == b""  # type: ignore[union-attr]


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_limit_on_the_big_table_is_exact_and_quick(fmt, big_db, own_tmp):
    """--limit 100000 on 1.4M rows: exactly 100000 rows in every format."""
    out = own_tmp / f"lim{EXT[fmt]}"
    ok(_run(["--db", str(big_db), "sql", BIG, "--limit", "100000", "-o", str(out)]))
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_metadata(out).num_rows == 100000
    elif fmt == "json":
        assert len(json.loads(out.read_bytes())) == 100000
    elif fmt == "jsonl":
        assert out.read_bytes().count(b"\n") == 100000
    else:
        with open(out, newline="") as fh:
            assert sum(1 for _ in csv.reader(fh, delimiter="\t" if fmt == "tsv" else ",")) \
                == 100001
    out.unlink()

