"""CLI of the canned queries: every command's TSV equals its Database method's frame; exit
codes and messages for unknown genes, bad ids and missing filters; stdin and comma lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

import ratgtex_db
from ratgtex_db import sqlfiles
from ratgtex_db.cli import app
from ratgtex_db.render import to_text

GENE = "A1c612"  # a gene of the tiny release (seed 1): eGene in two tissues, xQTLs, cis pairs
VARIANT = "chr2:4616631"
REGION = "chr2:4000000-4700000"
GX_VARIANT = VARIANT  # the gene's lead variant in BLA

#: command -> (CLI arguments, the same call of the Database method)
CALLS = {
    "tissues": (["--tissue", "BLA,NAcc"], lambda db: db.tissues(["BLA", "NAcc"])),
    "gene": (["a1c612", "C6lf12", "--tissue", "BLA"],
             lambda db: db.gene(["a1c612", "C6lf12"], ["BLA"])),
    "eqtls": (["--gene", GENE, "--gene", "C6lf12"], lambda db: db.eqtls([GENE, "C6lf12"])),
    "xqtls": (["--gene", GENE, "--modality", "splicing,isoforms"],
              lambda db: db.xqtls(GENE, modality=["splicing", "isoforms"])),
    "assoc": (["--gene", GENE, "--tissue", "BLA", "--limit", "40"],
              lambda db: db.assoc(GENE, tissue="BLA", limit=40)),
    "expression": ([GENE, "--unit", "log2"], lambda db: db.expression(GENE, unit="log2")),
    "top-expressed": (["BLA", "--n", "7", "--exclude-mt"],
                      lambda db: db.top_expressed("BLA", 7, True)),
    "sharing": (["--modality", "splicing"], lambda db: db.sharing("splicing")),
    "specific": (["NAcc"], lambda db: db.specific("NAcc")),
    "trans": (["--tissue", "NAcc", "--max-pval", "1e-8"],
              lambda db: db.trans(tissue="NAcc", max_pval=1e-8)),
    "variant": ([VARIANT, "2:5137121"], lambda db: db.variant([VARIANT, "2:5137121"])),
    "region": ([REGION], lambda db: db.region(REGION)),
    "genotype-expression": (["--gene", GENE, "--variant", GX_VARIANT, "--tissue", "BLA"],
                            lambda db: db.genotype_expression(GENE, GX_VARIANT, "BLA")),
    "views": (["CIS_QTL_SIGNIF"], lambda db: db.views("cis_qtl_signif")),
    "versions": ([], lambda db: db.versions()),
    "compare": ([GENE.lower()], lambda db: db.compare(GENE.lower())),
}


@pytest.fixture(scope="module")
def db(tiny_db: Path):
    with ratgtex_db.open(tiny_db) as d:
        yield d


@pytest.fixture
def run(tiny_db: Path):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(app, ["--db", str(tiny_db), *args], input=input)

    return invoke


def query_commands() -> list[str]:
    """Commands of the Typer app backed by a canned query (sql/queries/<name>.sql)."""
    names = set(sqlfiles.shipped())
    return [c for c in typer.main.get_command(app).commands if c.replace("-", "_") in names]


def test_every_query_command_is_covered():
    assert sorted(query_commands()) == sorted(CALLS)


@pytest.mark.parametrize("command", sorted(CALLS))
def test_cli_tsv_equals_the_python_method(command, run, db):
    """The CLI only parses and renders: its TSV is the method's frame, byte for byte."""
    args, call = CALLS[command]
    res = run(command, *args, "--format", "tsv")
    assert res.exit_code == 0, res.output
    frame = call(db)
    assert frame.height > 0, f"{command}: the example should return rows"
    assert res.stdout == to_text(frame, "tsv")


def test_every_command_has_an_example_in_its_help(run):
    for command in CALLS:
        res = run(command, "--help")
        assert res.exit_code == 0 and "Example: ratgtex-db" in res.output, command


def test_unknown_gene_exits_1_with_suggestions(run):
    for args in (["gene", "A1c61"], ["eqtls", "--gene", "A1c61"], ["assoc", "--gene", "a1c61"],
                 ["expression", "A1c61"]):
        res = run(*args)
        assert res.exit_code == 1, args
        assert "unknown gene 'A1c61'" in res.output.replace("a1c61", "A1c61")
        assert "did you mean: A1c612" in res.output


def test_bad_inputs_exit_1_with_the_reason(run):
    cases = [
        (["eqtls", "--variant", "rs42"], "bad variant id 'rs42'"),
        (["assoc", "--region", "chr2:100"], "bad region"),
        (["region", "chr2:9-1"], "bad region"),
        (["eqtls", "--tissue", "Kidney"], "unknown tissue 'Kidney'"),
        (["xqtls", "--modality", "methylation"], "unknown modality"),
        (["expression", GENE, "--unit", "fpkm"], "unknown unit"),
        (["top-expressed", "Kidney"], "unknown tissue"),
    ]
    for args, message in cases:
        res = run(*args)
        assert res.exit_code == 1, args
        assert message in res.output, (args, res.output)


def test_assoc_without_a_filter_is_a_usage_error(run):
    res = run("assoc", "--tissue", "BLA")
    assert res.exit_code == 2 and "--gene, --variant or --region" in res.output


def test_genes_from_stdin_and_comma_lists(run, db):
    """'--gene -' reads ids (whitespace or commas) from stdin, mixed with other values."""
    res = run("eqtls", "--gene", "-", "--gene", "Cyem16", "--format", "tsv",
              input="A1c612\nC6lf12, LOC124611331\n")
    assert res.exit_code == 0, res.output
    expected = db.eqtls(["A1c612", "C6lf12", "LOC124611331", "Cyem16"])
    assert res.stdout == to_text(expected, "tsv")
    res = run("gene", "-", "--format", "tsv", input="a1c612 c6lf12")
    assert res.stdout == to_text(db.gene(["A1c612", "C6lf12"]), "tsv")


def test_quotes_and_semicolons_are_data(run, db):
    res = run("eqtls", "--gene", "x'; DROP VIEW genes; --")
    assert res.exit_code == 1 and "unknown gene" in res.output
    assert db.sql("SELECT count(*) AS n FROM genes")["n"][0] > 0


def test_json_output_file_and_limit(run, tmp_path):
    out = tmp_path / "eqtls.json"
    res = run("eqtls", "--gene", GENE, "--format", "json", "-o", str(out))
    assert res.exit_code == 0, res.output
    rows = json.loads(out.read_text())
    assert rows and {r["gene_id"] for r in rows} == {GENE}
    res = run("assoc", "--gene", GENE, "--limit", "3", "--format", "csv")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 4


def test_version_option(run):
    """A version that is not ingested is an error naming the ingested ones, never an empty
    table."""
    res = run("tissues", "--version", "v4", "--format", "tsv")
    assert res.exit_code == 0 and "BLA" in res.stdout
    for args in (["tissues"], ["gene", GENE], ["eqtls", "--gene", GENE]):
        res = run(*args, "--version", "v3", "--format", "tsv")
        assert res.exit_code == 1, args
        assert res.stdout == ""
        assert "version 'v3' is not ingested" in res.stderr and "ingested: v4" in res.stderr


@pytest.mark.parametrize("command", ["gene", "assoc", "variant", "expression"])
def test_cli_parquet_equals_the_python_method(command, run, db, tmp_path):
    """Parquet written by the CLI (DuckDB writes it) holds the method's frame, types included."""
    import polars as pl

    args, call = CALLS[command]
    out = tmp_path / f"{command}.parquet"
    res = run(command, *args, "--format", "parquet", "-o", str(out))
    assert res.exit_code == 0, res.output
    got, want = pl.read_parquet(out), call(db)
    assert got.schema == want.schema
    assert got.equals(want)


def test_query_commands_load_neither_polars_nor_pyarrow(tiny_db):
    """The CLI renders DuckDB's rows itself: polars and pyarrow would cost more start-up time
    than the query (issue 4's 0.5 s round trip)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from ratgtex_db.cli import main\n"
        f"sys.argv = ['ratgtex-db', '--db', {str(tiny_db)!r}, 'gene', {GENE!r}, '--format', "
        "'tsv']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stdout.flush()\n"
        "print('LOADED', sorted(m for m in ('polars', 'pyarrow', 'pandas', 'numpy') "
        "if m in sys.modules), file=sys.stderr)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert GENE in res.stdout
    assert "LOADED []" in res.stderr, res.stderr


def test_query_modules_do_not_import_the_database_module():
    """queries.py (runner), sqlfiles.py (loader), inputs.py (parsing) and result.py (types)
    stand below database.py: importing them never loads it (no cycle)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "import ratgtex_db.queries, ratgtex_db.sqlfiles, ratgtex_db.inputs, "
            "ratgtex_db.result, ratgtex_db.render\n"
            "print(sorted(m for m in ('ratgtex_db.database', 'ratgtex_db.cli', 'polars') "
            "if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
