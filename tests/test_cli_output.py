"""CLI output: every format to stdout and to -o FILE, streamed; a closed pipe ends the command
at once with status 0; info/validate/views as one JSON document."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from ratgtex_db.cli import app

Q = "SELECT tissue, gene_id, variant_id, pos, pval_nominal FROM eqtls_indep ORDER BY ALL"


def _cli(tiny_db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), *args]


@pytest.mark.parametrize("fmt", ["tsv", "csv", "json", "jsonl"])
def test_output_file_holds_what_stdout_shows(fmt, run, tmp_path):
    """-o FILE writes the same bytes as stdout; the format follows the extension."""
    shown = run("sql", Q, "--format", fmt)
    assert shown.exit_code == 0, shown.output
    out = tmp_path / f"eqtls.{fmt}"
    res = run("sql", Q, "-o", str(out))
    assert res.exit_code == 0, res.output
    assert out.read_text() == shown.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_formats_parse_back_to_the_same_rows(run, tiny_db, tmp_path):
    with duckdb.connect(str(tiny_db / "catalog.duckdb"), read_only=True) as con:
        want = con.sql(Q).fetchall()
    rows = json.loads(run("sql", Q, "--format", "JSON").stdout)
    assert [tuple(r.values()) for r in rows] == want
    lines = run("sql", Q, "--format", "jsonl").stdout.splitlines()
    assert [tuple(json.loads(ln).values()) for ln in lines] == want
    out = tmp_path / "x.parquet"
    assert run("sql", Q, "-o", str(out)).exit_code == 0
    assert duckdb.sql(f"SELECT * FROM '{out}'").fetchall() == want
    tsv = run("sql", Q, "--format", "Tsv").stdout.splitlines()
    assert len(tsv) == len(want) + 1 and tsv[0] == "tissue\tgene_id\tvariant_id\tpos\tpval_nominal"


def test_unknown_extension_needs_format(run, tmp_path):
    res = run("sql", "SELECT 1 AS x", "-o", str(tmp_path / "e.xlsx"))
    assert res.exit_code == 1 and not (tmp_path / "e.xlsx").exists()
    assert "cannot tell the format from the extension '.xlsx'" in res.stderr
    assert "--format" in res.stderr
    res = run("sql", "SELECT 1 AS x", "-o", str(tmp_path / "e.xlsx"), "--format", "csv")
    assert res.exit_code == 0 and (tmp_path / "e.xlsx").read_text() == "x\n1\n"


def test_a_failed_export_leaves_no_file(run, tmp_path):
    out = tmp_path / "x.tsv"
    res = run("sql", "SELECT CAST('a' || i AS INTEGER) AS n FROM range(100000) t(i)", "-o",
              str(out))
    assert res.exit_code == 1 and "Conversion Error" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_terminal_table_caps_rows_and_says_how_many_more(run):
    res = run("sql", "SELECT i, 'gene ' || i AS name FROM range(500) t(i)", "--format", "table")
    assert res.exit_code == 0
    assert "50 rows shown; ... 450 more rows (use --limit, -o or --format)" in res.stdout
    res = run("sql", "SELECT i FROM range(500) t(i)", "--format", "table", "--limit", "70")
    assert "70 rows" in res.stdout and "more rows" not in res.stdout


def test_table_cells_are_not_markup(run):
    res = run("sql", "SELECT 'kinase [provisional] x' AS \"[b]x[/b]\", '[/]' AS y",
              "--format", "table")
    assert res.exit_code == 0, res.output
    assert "kinase [provisional] x" in res.stdout and "[/]" in res.stdout
    assert "[b]x[/b]" in res.stdout


def test_closed_pipe_stops_the_query_at_once(tiny_db):
    """`| head -1` on a result that would take hours: the command ends as soon as the reader
    goes, with status 0 and nothing on stderr."""
    for fmt in ("tsv", "jsonl", "json", "csv"):
        proc = subprocess.Popen(
            _cli(tiny_db, "sql", "SELECT i, i * 2 AS j FROM range(10000000000) t(i)",
                 "--format", fmt),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = proc.stdout.readline()  # type: ignore[union-attr]
        proc.stdout.close()  # type: ignore[union-attr]
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise AssertionError(f"{fmt}: the query went on after the pipe closed") from None
        assert first, fmt
        assert code == 0, (fmt, proc.stderr.read())  # type: ignore[union-attr]
        assert proc.stderr.read() == b"", fmt  # type: ignore[union-attr]


def test_closed_pipe_of_a_terminal_table_is_status_0(tiny_db):
    """The table format too (rich would exit with status 1 on the broken pipe)."""
    proc = subprocess.Popen(_cli(tiny_db, "sql", "SELECT * FROM range(1000)", "--format",
                                 "table"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # type: ignore[union-attr]  # gone before the first row
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""  # type: ignore[union-attr]


def test_head_of_a_shell_pipe(tiny_db):
    """The same through a real shell pipe: `ratgtex-db sql ... | head -1`."""
    cmd = " ".join(f"'{a}'" for a in _cli(tiny_db, "sql", "SELECT * FROM range(10000000000)"))
    started = time.monotonic()
    res = subprocess.run(f"set -o pipefail; {cmd} | head -1", shell=True, executable="/bin/bash",
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "range\n" and res.stderr == ""
    assert time.monotonic() - started < 120


def test_info_json_is_one_document(run):
    res = run("info", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"database", "synthetic", "versions", "tissues", "tables"}
    assert doc["synthetic"] is True and doc["versions"][0]["version"] == "v4"
    assert any(t["table"] == "cis_qtl_signif" and t["rows"] > 0 for t in doc["tables"])
    views = {t["table"]: t["views"] for t in doc["tables"]}  # which views read each lake table
    assert views["phenotypes"] == "expression, phenotypes"  # the view's TPM from phenos
    assert views["genotype_rows"] == "genotypes"


def test_validate_json_is_one_document(tiny_v4, tmp_path):
    from ratgtex_db.ingest import ingest

    db = tmp_path / "db"
    ingest([tiny_v4 / "eqtl"], db)
    runner = CliRunner()
    res = runner.invoke(app, ["validate", "--format", "json", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["ok"] is True and json.loads(res.stdout)["problems"] == []
    victim = next((db / ".store").rglob("*.parquet"))  # a file the views read
    victim.unlink()
    res = runner.invoke(app, ["--db", str(db), "validate", "--format", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["ok"] is False
    assert [p["problem"] for p in doc["problems"]] == ["missing Parquet file"]
    assert doc["problems"][0]["path"] == str(victim)


def test_views_lists_public_views_with_meanings(run, tiny_db):
    res = run("views", "--format", "json")
    assert res.exit_code == 0, res.output
    views = {v["view"]: v for v in json.loads(res.stdout)}
    assert not [v for v in views if v.startswith("_")]
    assert {"cis_qtl_signif", "genes", "tissues", "eqtls_indep", "ingested_files"} <= set(views)
    sql_file = Path(__file__).parents[1] / "sql" / "views" / "cis_qtl_signif.sql"
    header = sql_file.read_text().splitlines()[0]
    assert header == f"-- cis_qtl_signif: {views['cis_qtl_signif']['meaning']}"
    assert views["cis_qtl_signif"]["columns"].startswith("version VARCHAR, ")
    res = run("views", "cis_qtl_signif", "--format", "json")
    cols = [(c["column"], c["type"]) for c in json.loads(res.stdout)]
    with duckdb.connect(str(tiny_db / "catalog.duckdb"), read_only=True) as con:
        want = [(r[0], r[1]) for r in con.sql("DESCRIBE cis_qtl_signif").fetchall()]
    assert cols == want
    res = run("views", "_lake_files")
    assert res.exit_code == 1 and "no public view '_lake_files'" in res.stderr
    assert "cis_qtl_signif" in res.stderr


def test_export_benchmark_runs(tiny_db, tmp_path):
    """bench/export.py runs end to end on a small db, so it never rots (no timing checks)."""
    out = tmp_path / "export.json"
    script = Path(__file__).resolve().parents[1] / "bench" / "export.py"
    subprocess.run([sys.executable, str(script), "--db", str(tiny_db), "--copies", "2",
                    "--formats", "tsv,parquet", "--json", str(out)],
                   check=True, capture_output=True, text=True, timeout=600)
    results = json.loads(out.read_text())
    assert set(results["formats"]) == {"tsv", "parquet"} and results["copies"] == 2
    tsv = results["formats"]["tsv"]
    assert {"ours_file", "ours_pipe", "head_s", "duckdb_copy", "materialise"} <= set(tsv)
