"""CLI errors: every user mistake is one line on stderr saying what to do, exit 1 (usage
errors exit 2), nothing on stdout; never an empty success where the input named something
absent; conventions (--version, --db after the command, case-insensitive choices)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ratgtex_db.cli import app

GENE = "A1c612"  # a gene of the tiny release (seed 1)
VARIANT = "chr2:4616631"  # its lead variant in BLA


def one_error(res, *parts: str) -> str:
    """The result is exit 1 with exactly one 'Error: ...' line naming ``parts``."""
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert res.exit_code == 1, (res.exit_code, res.output)
    assert res.stdout == "", res.stdout
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    for part in parts:
        assert part in lines[0], (part, lines[0])
    return lines[0]


@pytest.mark.parametrize("args,parts", [
    (["tissues", "--version", "v3"], ["version 'v3' is not ingested", "ingested: v4",
                                      "--version"]),
    (["variant", "chr2:1"], ["variant chr2:1 not found in v4", "check the id"]),
    (["genotype-expression", "--gene", GENE, "--variant", "chr2:1", "--tissue", "BLA"],
     ["variant chr2:1 has no genotype calls in v4"]),
    (["gene", "Nope"], ["unknown gene 'Nope'"]),
    (["eqtls", "--tissue", "Kidney"], ["unknown tissue 'Kidney'", "BLA"]),
    (["eqtls", "--tissue", "liver"], ["tissue 'Liver' is not ingested in v4", "ingest its"]),
    (["assoc", "--gene", ""], ["no gene named", "leave the option out"]),  # never "all"
    (["eqtls", "--gene", ","], ["no gene named"]),
    (["eqtls", "--variant", ""], ["no variant named"]),
    (["region", "chr99:1-100"], ["chr99 is not a rat chromosome"]),  # not an empty answer
    (["trans", "--max-pval", "-1"], ["--max-pval -1", "between 0 and 1"]),
    (["assoc", "--variant", "21:5"], ["chr21 is not a rat chromosome"]),
    (["assoc", "--gene", GENE, "--modality", " "], ["no modality named"]),
    (["views", "nope"], ["no public view 'nope'", "cis_qtl_signif"]),
    (["sql", "SELECT * FROM no_such_view"], ["no_such_view"]),
    (["sql", "SELECT 1", "--format", "xml"], ["unknown --format 'xml'", "tsv"]),
    (["sql", "SELECT 1", "--format", "parquet"], ["give -o FILE.parquet"]),
    (["sql", "DROP VIEW genes"], ["read-only"]),
    (["sql", "-f", "missing.sql"], ["cannot read -f missing.sql: no such file",
                                    "-f - to read the SQL from stdin"]),
    (["sql", "SELECT 1", "-o", "missing-dir/x.tsv"],
     ["cannot write -o missing-dir/x.tsv: folder 'missing-dir' does not exist", "create it"]),
    (["sql", "SELECT 1", "-o", "e.xlsx"], ["'.xlsx'", "--format"]),
    (["sql", "SELECT 1", "-o", "/proc/x.tsv"], ["cannot write -o /proc/x.tsv",
                                                "choose another path"]),
    (["expression", GENE, "--unit", "fpkm"], ["unknown unit 'fpkm'"]),
])
def test_user_mistakes_are_one_line_exit_1(run, args, parts):
    one_error(run(*args), *parts)


def test_unreadable_paths_are_one_line(run, tmp_path):
    one_error(run("sql", "-f", str(tmp_path)), "it is a folder")
    bad = tmp_path / "latin1.sql"
    bad.write_bytes(b"SELECT '\xe9'")
    one_error(run("sql", "-f", str(bad)), "not UTF-8")
    one_error(run("sql", "SELECT 1", "-o", str(tmp_path)), "it is a folder")
    res = CliRunner().invoke(app, ["--db", str(tmp_path / "nothing"), "tissues"])
    one_error(res, "no catalog")
    for args in (["info"], ["ingest", str(tmp_path)]):  # --db names a file
        res = CliRunner().invoke(app, ["--db", str(bad), *args])
        one_error(res, f"--db {bad} is a file, not a database folder")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "catalog.duckdb").write_text("not a database")
    (tmp_path / "top_assoc.v4_rn8.tsv").write_text("tissue\tgene_id\n")
    res = CliRunner().invoke(app, ["--db", str(garbage), "ingest",
                                   str(tmp_path / "top_assoc.v4_rn8.tsv")])
    one_error(res, "not a valid DuckDB database", "check --db")


@pytest.mark.parametrize("args,option", [
    (["tissues", "--limit", "-1"], "--limit"),
    (["sql", "SELECT 1", "--limit", "-5"], "--limit"),
    (["top-expressed", "BLA", "--n", "-2"], "--n"),
    (["assoc", "--tissue", "BLA"], "--gene, --variant or --region"),
    (["sql"], "QUERY or --file"),
    (["tissues", "--limit", "ten"], "--limit"),
])
def test_usage_errors_exit_2(run, args, option):
    res = run(*args)
    assert res.exit_code == 2, res.output
    assert option in res.stderr and res.stdout == ""


def test_unknown_gene_among_known_ones_warns_and_answers_the_rest(run):
    res = run("gene", GENE, "Nope", "--format", "tsv")
    assert res.exit_code == 0, res.output
    rows = res.stdout.splitlines()[1:]
    assert rows and all(r.startswith(GENE + "\t") for r in rows)
    assert res.stdout == run("gene", GENE, "--format", "tsv").stdout
    (warning,) = res.stderr.strip().splitlines()
    assert warning.startswith("Warning: unknown gene 'Nope'; did you mean: ")
    res = run("eqtls", "--gene", f"{GENE},A1c61", "--format", "tsv")
    assert res.exit_code == 0 and "did you mean: A1c612" in res.stderr


def test_absent_variant_among_known_ones_warns(run):
    res = run("variant", VARIANT, "chr2:1", "--format", "tsv")
    assert res.exit_code == 0, res.output
    assert "chr2:1" not in res.stdout and VARIANT in res.stdout
    assert res.stderr.startswith("Warning: variant chr2:1 not found in v4")


def test_sql_from_stdin(run):
    res = run("sql", "-f", "-", "--format", "csv", input="SELECT 42 AS answer\n")
    assert res.exit_code == 0 and res.stdout == "answer\n42\n"


def test_version_flag(run):
    from ratgtex_db import __version__

    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout == f"ratgtex-db {__version__}\n"


def test_db_before_or_after_the_command(tiny_db):
    runner = CliRunner()
    before = runner.invoke(app, ["--db", str(tiny_db), "tissues", "--format", "tsv"])
    after = runner.invoke(app, ["tissues", "--format", "tsv", "--db", str(tiny_db)])
    equals = runner.invoke(app, ["tissues", f"--db={tiny_db}", "--format", "tsv"])
    assert before.exit_code == 0 and before.stdout.count("\n") > 1
    assert after.stdout == before.stdout == equals.stdout


def test_choices_are_case_insensitive(run):
    want = run("expression", GENE, "--unit", "log2", "--format", "tsv").stdout
    got = run("expression", GENE, "--unit", "LOG2", "--format", "TSV")
    assert got.exit_code == 0 and got.stdout == want
    res = run("xqtls", "--gene", GENE, "--modality", "SPLICING,Alt_tss", "--format", "tsv")
    assert res.exit_code == 0 and res.stdout.count("\n") >= 1
    assert run("tissues", "--tissue", "bla", "--format", "Csv").stdout.startswith("tissue,")


def test_after_demo_a_plain_command_says_which_db(tmp_path):
    """`ratgtex-db demo` without --db uses its own folder (never $RATGTEX_DB's catalog); a
    plain query afterwards says how to reach it, and works with the RATGTEX_DB it names."""
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "RATGTEX_DB": None}
    runner = CliRunner()
    real = tmp_path / "my-real-db"
    res = runner.invoke(app, ["demo", "--scale", "tiny"], env={**env, "RATGTEX_DB": str(real)})
    assert res.exit_code == 0, res.output
    assert not real.exists()
    demo = tmp_path / "cache" / "ratgtex-db" / "demo"
    assert (demo / "catalog.duckdb").exists()
    assert f"export RATGTEX_DB={demo}" in res.stdout
    line = one_error(runner.invoke(app, ["tissues"], env=env), "the demo database is at")
    assert f"--db {demo}" in line and f"RATGTEX_DB={demo}" in line
    res = runner.invoke(app, ["tissues", "--format", "tsv"], env={**env, "RATGTEX_DB": str(demo)})
    assert res.exit_code == 0 and "BLA" in res.stdout
