"""CLI shell: ingest/sql/info/validate on small real files; exit codes; every command documented."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ratgtex_db.cli import app

SIGNIF = (
    "phenotype_id\tvariant_id\ttss_distance\taf\tma_samples\tma_count\tpval_nominal\tslope\t"
    "slope_se\tpval_nominal_threshold\n"
    "Grin2b\tchr1:1000\t-50\t0.25\t10\t12\t1.23457e-08\t0.5\t0.1\t1e-05\n"
    "Grin2b\tchr1:1200\t150\t0.3\t11\t13\t2e-06\t-0.4\t0.1\t1e-05\n"
)


@pytest.fixture
def release(tmp_path: Path) -> Path:
    root = tmp_path / "release"
    (root / "xqtl").mkdir(parents=True)
    (root / "xqtl" / "cis_qtl_signif.BLA.expression.v4_rn8.txt.gz").write_bytes(
        gzip.compress(SIGNIF.encode(), mtime=0))
    (root / "README.txt").write_text("not a release file\n")
    return root


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_ingest_then_sql_json(release, tmp_path, runner):
    db = tmp_path / "db"
    res = runner.invoke(app, ["--db", str(db), "ingest", "--quiet", str(release)])
    assert res.exit_code == 0, res.output
    assert "README.txt" in res.stderr and "README.txt" not in res.stdout  # a warning
    res = runner.invoke(app, ["--db", str(db), "sql", "--format", "json",
                              "SELECT variant_id, pval_nominal, tss_distance FROM cis_qtl_signif "
                              "ORDER BY pos"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == [
        {"variant_id": "chr1:1000", "pval_nominal": 1.23457e-08, "tss_distance": -50},
        {"variant_id": "chr1:1200", "pval_nominal": 2e-06, "tss_distance": 150},
    ]
    res = runner.invoke(app, ["--db", str(db), "sql", "--format", "csv",
                              "SELECT pos FROM cis_qtl_signif ORDER BY pos"])
    assert res.output == "pos\n1000\n1200\n"
    q = tmp_path / "q.sql"
    q.write_text("SELECT count(*) AS n FROM cis_qtl_signif")
    res = runner.invoke(app, ["--db", str(db), "sql", "-f", str(q), "--format", "tsv"])
    assert res.output == "n\n2\n"
    out = tmp_path / "out.parquet"
    res = runner.invoke(app, ["--db", str(db), "sql", "--format", "parquet", "-o", str(out),
                              "SELECT * FROM cis_qtl_signif"])
    assert res.exit_code == 0 and out.stat().st_size > 0


def test_sql_refuses_writes(release, tmp_path, runner):
    db = tmp_path / "db"
    runner.invoke(app, ["--db", str(db), "ingest", "--quiet", str(release)])
    for stmt in ["CREATE TABLE t (a INT)", f"COPY (SELECT 1) TO '{tmp_path}/x.csv'",
                 "INSTALL httpfs", f"ATTACH '{tmp_path}/other.duckdb'",
                 f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{tmp_path}/x.csv'",  # runs the COPY
                 f"explain (format json) copy (select 1) to '{tmp_path}/x.csv'",
                 f"PRAGMA profile_output = '{tmp_path}/x.csv'", "PRAGMA enable_profiling",
                 # a ')' in a string, then a comment, must not hide the explained COPY
                 f"EXPLAIN (ANALYZE 'x)SELECT 1 --') COPY (SELECT 42) TO '{tmp_path}/x.csv'",
                 # table functions that write files or change the session
                 f"SELECT * FROM enable_profiling(format := 'json', "
                 f"save_location := '{tmp_path}/x.json')",
                 "SELECT 1 WHERE 1 IN (SELECT 1 FROM enable_logging())"]:
        res = runner.invoke(app, ["--db", str(db), "sql", stmt])
        assert res.exit_code == 1, stmt
        assert "read-only" in res.output
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.json").exists()
    for stmt in ["EXPLAIN ANALYZE SELECT count(*) FROM genes", "PRAGMA version",
                 "PRAGMA table_info('genes')"]:
        res = runner.invoke(app, ["--db", str(db), "sql", stmt])
        assert res.exit_code == 0, (stmt, res.output)


def test_info_and_validate(release, tmp_path, runner):
    db = tmp_path / "db"
    runner.invoke(app, ["--db", str(db), "ingest", "--quiet", str(release)])
    res = runner.invoke(app, ["--db", str(db), "info"])
    assert res.exit_code == 0 and "cis_qtl_signif" in res.output
    res = runner.invoke(app, ["--db", str(db), "validate"])
    assert res.exit_code == 0 and "ok" in res.output
    # removing a lake file is found by validate
    next((db / "lake").rglob("*.parquet")).unlink()
    res = runner.invoke(app, ["--db", str(db), "validate"])
    assert res.exit_code == 1 and "missing Parquet file" in res.output


def test_validate_finds_damaged_pages(release, tmp_path, runner):
    """Bytes flipped inside a lake object (its size and footer intact) are found: every page
    is read back and its checksum compared."""
    db = tmp_path / "db"
    runner.invoke(app, ["--db", str(db), "ingest", "--quiet", str(release)])
    big = max((db / ".store").rglob("*.parquet"), key=lambda p: p.stat().st_size)
    data = bytearray(big.read_bytes())
    mid = len(data) // 2
    data[mid : mid + 64] = bytes(b ^ 0x5A for b in data[mid : mid + 64])
    big.write_bytes(bytes(data))
    res = runner.invoke(app, ["--db", str(db), "validate"])
    assert res.exit_code == 1 and "damaged or unreadable" in res.output, res.output


def test_missing_catalog_is_a_clear_error(tmp_path, runner):
    res = runner.invoke(app, ["--db", str(tmp_path / "nothing"), "sql", "SELECT 1"])
    assert res.exit_code == 1
    assert "no catalog" in res.output and "ingest" in res.output


def test_every_command_has_help_with_an_example(runner):
    """Each command's --help works and shows an example (the help is the documentation)."""
    import typer.main

    group = typer.main.get_command(app)
    for name in group.commands:
        res = runner.invoke(app, [name, "--help"])
        assert res.exit_code == 0, name
        assert "Example" in res.output, f"{name} --help lacks an example"


def test_table_output_turns_to_records_when_columns_do_not_fit():
    """On a terminal too narrow for the columns side by side, rows print as records."""
    import io

    import polars as pl

    from ratgtex_db.render import render

    wide = pl.DataFrame({f"column_{i}": [i, i + 100] for i in range(20)})
    out = io.StringIO()
    render(wide, "table", stream=out)
    text = out.getvalue()
    assert "row 1" in text and "row 2" in text and "2 rows" in text
    lines = text.splitlines()
    assert any("column_19" in ln and "119" in ln for ln in lines)  # name and value side by side
    narrow = pl.DataFrame({"tissue": ["BLA"], "n": [3]})
    out = io.StringIO()
    render(narrow, "table", stream=out)
    assert "row 1" not in out.getvalue()
    assert any("tissue" in ln and "n" in ln for ln in out.getvalue().splitlines())


def test_demo_synthesises_ingests_and_tours(tmp_path):
    """The README's first command: a synthetic release, ingested, then a tour of queries; a
    second run finds everything ingested and still tours."""
    runner = CliRunner()
    db = tmp_path / "demo-db"
    res = runner.invoke(app, ["--db", str(db), "demo", "--scale", "TINY"])
    assert res.exit_code == 0, res.output
    # three canned commands, each shown as the command line a user can type again
    commands = [ln.split(f"--db {db} ", 1)[1] for ln in res.stdout.splitlines()
                if ln.startswith("$ ratgtex-db")]
    assert [c.split()[0] for c in commands] == ["tissues", "gene", "assoc"]
    gene = commands[1].split()[1]
    assert commands[2] == f"assoc --gene {gene} --limit 10"
    assert "tissue\ttissue_site_detail\tsamples" in res.stdout  # tissues' header (piped: tsv)
    assert f"{gene}\tchr" in res.stdout and "These data are SYNTHETIC" in res.stdout
    assert f"export RATGTEX_DB={db}" in res.stdout
    assert (db / "catalog.duckdb").exists() and (db / "synthetic-release" / "data").exists()
    again = runner.invoke(app, ["--db", str(db), "demo", "--scale", "tiny"])
    assert again.exit_code == 0, again.output
    assert f"$ ratgtex-db --db {db} gene {gene}" in again.stdout
    # the commands of the tour run as printed
    for command in commands:
        rerun = runner.invoke(app, ["--db", str(db), *command.split(), "--format", "tsv"])
        assert rerun.exit_code == 0 and rerun.stdout.count("\n") > 1, command
