"""Audit of the CLI (architecture.md section 4) and the Python API (section 5), driven as a user
drives them: real `ratgtex-db` processes on a database built by the CLI itself (a tiny
synthetic v4 release ingested with --jobs 2, then a tiny v3 one), expectations computed
independently with DuckDB SQL over the views (stock `duckdb`, read-only), never from our code.

A test that fails here is a finding: documented behaviour the package does not have.
"""

from __future__ import annotations

import datetime as dt
import decimal
import fcntl
import hashlib
import importlib.metadata
import json
import math
import os
import pty
import re
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

import duckdb
import pytest

# Subprocess-heavy (~30-45 s): run with `python -m pytest -m slow`; the suite's default
# run keeps within CI's time budget.
pytestmark = pytest.mark.slow

GENE = "A1c612"        # v4 gene (tiny, seed 1): eGene in BLA, NAcc, pVTA; xQTLs; cis pairs
GENE2 = "Cysl25"       # another v4 eGene
V3_GENE = "C6ad13"     # a v3-only gene
SHARED_GENE = "Mt-nd1"  # a chrM gene in both versions
VARIANT = "chr2:4616631"  # GENE's lead variant in BLA
REGION = "chr2:4000000-4700000"

TIMEOUT = 120


# -- fixtures -----------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("RATGTEX_DB", "COLUMNS", "LINES")}


def _run(args: list[str], *, input: str | None = None, env: dict | None = None,
         cwd: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["ratgtex-db", *args], input=input, capture_output=True, text=True,
                          env=env or _env(), timeout=TIMEOUT, cwd=cwd)


@pytest.fixture(scope="session")
def own_tmp():
    """A temp folder of our own: pytest's numbered basetemp folders are pruned by any other
    pytest session started meanwhile on this machine (it keeps the newest three)."""
    with tempfile.TemporaryDirectory(prefix="ratgtex-audit-cli-") as d:
        yield Path(d)


@pytest.fixture
def tmp_path(own_tmp, request) -> Path:  # this module's tmp_path: in own_tmp
    path = own_tmp / "t" / re.sub(r"[^\w.-]", "_", request.node.name)[:80]
    path.mkdir(parents=True)
    return path


@pytest.fixture(scope="session")
def world(own_tmp):
    """Two synthetic releases written and ingested by the CLI into one database."""
    root = own_tmp / "world"
    db = root / "db"
    # choices are case-insensitive: --scale Tiny, --version V3
    for args in (["synth", str(root / "rel4"), "--scale", "Tiny"],
                 ["synth", str(root / "rel3"), "--scale", "tiny", "--version", "V3",
                  "--tissues", "BLA,Liver,NAcc"]):
        res = _run(args)
        assert res.returncode == 0, res.stderr
    # v4 first with --jobs 2 (--db before the command), then v3 (--db after the command):
    # the newest *release* (v4) must stay the default though v3 was ingested last
    res = _run(["--db", str(db), "ingest", str(root / "rel4" / "data" / "v4"), "--jobs", "2",
                "-q"])
    assert res.returncode == 0, res.stderr
    res = _run(["ingest", str(root / "rel3" / "data" / "v3"), "-q", "--db", str(db)])
    assert res.returncode == 0, res.stderr
    return {"root": root, "db": db, "rel4": root / "rel4" / "data" / "v4",
            "rel3": root / "rel3" / "data" / "v3"}


@pytest.fixture(scope="session")
def db_dir(world) -> Path:
    return world["db"]


@pytest.fixture(scope="session")
def con(db_dir):
    """Stock DuckDB on the catalog: the independent oracle."""
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
    def call(*args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return _run(["--db", str(db_dir), *args], input=input)

    return call


def ok(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 0, (res.args, res.returncode, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    return res.stdout


def tsv(res: subprocess.CompletedProcess) -> list[dict[str, str]]:
    lines = ok(res).splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"), strict=True)) for ln in lines[1:]]


def jrows(res: subprocess.CompletedProcess) -> list[dict]:
    return _plain(json.loads(ok(res)))


def q(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


_FRACTION = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d*?)0+$")


def _plain(v):
    if isinstance(v, str):  # ISO times as the CLI writes them (DuckDB's: no trailing zeros)
        return _FRACTION.sub(r"\1", v).removesuffix(".")
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return _plain(v.isoformat())
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def frame_rows(frame) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dicts()]


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def run_tty(args: list[str], cols: int = 220, rows: int = 60) -> tuple[int, str, str]:
    """The command with stdout on a pseudo-terminal (as a user at a terminal runs it)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    env = {**_env(), "TERM": "xterm-256color"}
    proc = subprocess.Popen(["ratgtex-db", *args], stdout=slave, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    code = proc.wait(timeout=TIMEOUT)
    os.close(master)
    err = proc.stderr.read().decode()  # type: ignore[union-attr]
    return code, ANSI.sub("", out.decode("utf-8", "replace")).replace("\r", ""), err


# -- conventions: --version, --db, formats, -o, --limit, terminal ------------------------------


def test_version_prints_the_package_version():
    res = _run(["--version"])
    assert ok(res).strip() == f"ratgtex-db {importlib.metadata.version('ratgtex-db')}"


def test_db_before_or_after_the_command_on_the_real_entry_point(db_dir):
    want = ok(_run(["--db", str(db_dir), "eqtls", "--gene", GENE, "--format", "tsv"]))
    assert want.count("\n") > 1
    assert ok(_run(["eqtls", "--gene", GENE, "--format", "tsv", "--db", str(db_dir)])) == want
    assert ok(_run(["eqtls", f"--db={db_dir}", "--gene", GENE, "--format", "tsv"])) == want
    # and $RATGTEX_DB when --db is not given
    assert ok(_run(["eqtls", "--gene", GENE, "--format", "tsv"],
                   env={**_env(), "RATGTEX_DB": str(db_dir)})) == want


def test_piped_stdout_is_tsv_and_a_terminal_gets_a_table(cli, db_dir, con):
    piped = ok(cli("tissues"))
    assert piped == ok(cli("tissues", "--format", "tsv"))
    assert piped.splitlines()[0].startswith("tissue\t")
    code, out, err = run_tty(["--db", str(db_dir), "tissues"])
    assert code == 0, err
    assert "\t" not in out and any(ch in out for ch in "┃│┏┌")
    for (t,) in q(con, "SELECT tissue FROM tissues WHERE version = 'v4'"):
        assert t in out


def test_terminal_table_says_how_many_rows_are_left(db_dir, con):
    (n,) = q(con, "SELECT count(*) FROM eqtls_indep WHERE version = 'v4'")[0]
    assert n > 50
    code, out, err = run_tty(["--db", str(db_dir), "eqtls"])
    assert code == 0, err
    assert f"50 rows shown; ... {n - 50} more rows" in out, out[-400:]
    code, out, err = run_tty(["--db", str(db_dir), "eqtls", "--limit", "5"])
    assert code == 0 and "5 rows" in out and "more row" not in out


def test_every_format_holds_the_methods_rows(cli, api, tmp_path):
    import pyarrow.parquet as pq

    args = ["eqtls", "--gene", f"{GENE},{GENE2}", "--tissue", "BLA,NAcc"]
    want = frame_rows(api.eqtls(gene=[GENE, GENE2], tissue=["BLA", "NAcc"]))
    assert want
    assert jrows(cli(*args, "--format", "json")) == want
    lines = ok(cli(*args, "--format", "JSONL")).splitlines()
    assert [json.loads(ln) for ln in lines] == want
    head, *body = ok(cli(*args, "--format", "Csv")).splitlines()
    assert head.split(",") == list(want[0]) and len(body) == len(want)
    head, *body = ok(cli(*args, "--format", "tsv")).splitlines()
    assert head.split("\t") == list(want[0]) and len(body) == len(want)
    out = tmp_path / "e.parquet"
    assert ok(cli(*args, "-o", str(out))) == ""
    table = pq.read_table(out)
    assert table.column_names == list(want[0])
    assert [{k: _plain(v) for k, v in r.items()} for r in table.to_pylist()] == want
    out = tmp_path / "e.parquet2"
    ok(cli(*args, "--format", "parquet", "--output", str(out)))
    assert pq.read_table(out).num_rows == len(want)


def test_output_format_from_extension_or_the_given_one(cli, tmp_path):
    args = ["eqtls", "--gene", GENE]
    as_csv = ok(cli(*args, "--format", "csv"))
    as_jsonl = ok(cli(*args, "--format", "jsonl"))
    for name, want in (("A.CSV", as_csv), ("a.jsonl", as_jsonl)):
        path = tmp_path / name
        assert ok(cli(*args, "-o", str(path))) == ""  # nothing on stdout
        assert path.read_text() == want, name
    path = tmp_path / "given.json"
    ok(cli(*args, "-o", str(path), "--format", "csv"))  # the given format wins
    assert path.read_text() == as_csv


LIMITED = {
    "eqtls": (["eqtls"], lambda d: d.eqtls()),
    "assoc": (["assoc", "--region", "chr2"], lambda d: d.assoc(region="chr2")),
    "region": (["region", "chr2"], lambda d: d.region("chr2")),
    "sql": (["sql", "SELECT * FROM cis_qtl_signif ORDER BY ALL"],
            lambda d: d.sql("SELECT * FROM cis_qtl_signif ORDER BY ALL")),
}


@pytest.mark.parametrize("name", sorted(LIMITED))
def test_limit_caps_the_rows(name, cli, api):
    args, call = LIMITED[name]
    full = frame_rows(call(api))
    assert len(full) > 3
    assert jrows(cli(*args, "--limit", "3", "--format", "json")) == full[:3]
    assert jrows(cli(*args, "--limit", "0", "--format", "json")) == []


def test_version_defaults_to_the_newest_ingested(cli, con):
    v4 = ok(cli("tissues", "--format", "tsv"))
    assert v4 == ok(cli("tissues", "--version", "v4"))
    v3 = tsv(cli("tissues", "--version", "V3"))  # any case
    want = {t for (t,) in q(con, "SELECT DISTINCT tissue FROM tissues WHERE version = 'v3'")}
    assert {r["tissue"] for r in v3} == want
    assert {r["tissue"] for r in tsv(cli("tissues"))} == {
        t for (t,) in q(con, "SELECT DISTINCT tissue FROM tissues WHERE version = 'v4'")}
    # a v3 gene is found with --version v3 only
    assert {r["gene_id"] for r in tsv(cli("eqtls", "--gene", V3_GENE, "--version", "v3"))} == {
        V3_GENE}
    res = cli("eqtls", "--gene", V3_GENE)
    assert res.returncode == 1 and "unknown gene" in res.stderr


QUERY_COMMANDS = {  # command -> arguments that make it answer
    "tissues": [], "gene": [GENE], "eqtls": [], "xqtls": [], "assoc": ["--gene", GENE],
    "expression": [GENE], "top-expressed": ["BLA"], "sharing": [], "specific": ["BLA"],
    "trans": [], "variant": [VARIANT], "region": [REGION],
    "genotype-expression": ["--gene", GENE, "--variant", VARIANT, "--tissue", "BLA"],
}


@pytest.mark.parametrize("command", sorted(QUERY_COMMANDS))
def test_query_command_takes_version_format_output_limit(command, cli, tmp_path):
    args = [command, *QUERY_COMMANDS[command]]
    out = tmp_path / "x.jsonl"
    res = cli(*args, "--version", "v4", "--format", "jsonl", "-o", str(out), "--limit", "1")
    assert ok(res) == ""
    assert len(out.read_text().splitlines()) == 1


def same(cli, api, args, call) -> None:
    want = frame_rows(call(api))
    assert want, args
    assert jrows(cli(*args, "--format", "json")) == want, args


def test_choices_are_case_insensitive(cli, api):
    same(cli, api, ["expression", GENE, "--unit", "LOG2"],
         lambda d: d.expression(GENE, unit="log2"))
    same(cli, api, ["top-expressed", "bla", "--n", "5"], lambda d: d.top_expressed("BLA", 5))
    same(cli, api, ["specific", "nacc"], lambda d: d.specific("NAcc"))
    same(cli, api, ["sharing", "--modality", "Splicing"], lambda d: d.sharing("splicing"))
    same(cli, api, ["assoc", "--gene", GENE, "--tissue", "nacc", "--modality", "ALT_TSS"],
         lambda d: d.assoc(GENE, tissue="NAcc", modality="alt_TSS"))
    assert ok(cli("tissues", "--format", "JSONL")).startswith('{"tissue"')


def test_multi_value_options_are_repeatable_and_comma_lists(cli, api):
    for args in (["eqtls", "--tissue", "BLA", "--tissue", "NAcc", "--gene", GENE, "--gene", GENE2],
                 ["eqtls", "--tissue", "BLA,NAcc", "--gene", f"{GENE},{GENE2}"]):
        same(cli, api, args, lambda d: d.eqtls([GENE, GENE2], tissue=["BLA", "NAcc"]))
    for args in (["xqtls", "--gene", GENE, "--modality", "splicing", "--modality", "isoforms"],
                 ["xqtls", "--gene", GENE, "--modality", "splicing,isoforms"]):
        same(cli, api, args, lambda d: d.xqtls(GENE, modality=["splicing", "isoforms"]))
    for args in (["assoc", "--variant", VARIANT, "--variant", "chr2:3213711"],
                 ["assoc", "--variant", f"{VARIANT},chr2:3213711"]):
        same(cli, api, args, lambda d: d.assoc(variant=[VARIANT, "chr2:3213711"]))


def test_gene_dash_reads_genes_from_stdin(cli, api):
    want = frame_rows(api.eqtls([GENE, GENE2]))
    res = cli("eqtls", "--gene", "-", "--format", "json",
              input=f"{GENE.lower()}\n{GENE2.upper()}\n")
    assert jrows(res) == want
    res = cli("gene", "-", "--format", "json", input=f"{GENE} {GENE2}\n")
    assert jrows(res) == frame_rows(api.gene([GENE, GENE2]))


def test_gene_symbols_are_case_insensitive(cli, api):
    same(cli, api, ["gene", GENE.upper()], lambda d: d.gene(GENE))
    same(cli, api, ["assoc", "--gene", GENE.lower()], lambda d: d.assoc(GENE))
    same(cli, api, ["compare", SHARED_GENE.upper()], lambda d: d.compare(SHARED_GENE))


@pytest.mark.parametrize("args", [
    ["gene", "A1c61"], ["eqtls", "--gene", "A1c61"], ["xqtls", "--gene", "a1c61"],
    ["assoc", "--gene", "A1c61"], ["expression", "A1c61"], ["trans", "--gene", "A1c61"],
    ["genotype-expression", "--gene", "A1c61", "--variant", VARIANT, "--tissue", "BLA"],
    ["compare", "A1c61"],
])
def test_unknown_gene_exits_1_with_did_you_mean(args, cli):
    """Section 4: 'an unknown gene gives exit 1 and "did you mean" suggestions' — A1c61 is one
    letter short of the v4 gene A1c612, which must be suggested."""
    res = cli(*args)
    assert res.returncode == 1 and res.stdout == "", (res.returncode, res.stdout)
    assert "Traceback" not in res.stderr
    assert "did you mean" in res.stderr and GENE in res.stderr, res.stderr


@pytest.mark.parametrize("args,code", [
    (["eqtls", "--region", "chr2:5-1"], 1),
    (["eqtls", "--gene", GENE, "-o", "/nonexistent-dir/x.tsv"], 1),
    (["eqtls", "--format", "xml"], 1),
    (["tissues", "--version", "v9"], 1),
    (["sharing", "--modality", "nope"], 1),
    (["specific", "Kidney"], 1),
    (["top-expressed", "Kidney"], 1),
    (["trans", "--max-pval", "5"], 1),
    (["xqtls", "--modality", "methylation"], 1),
    (["variant", "chr2:1"], 1),
    (["eqtls", "--limit", "-1"], 2),
    (["top-expressed", "BLA", "--n", "-1"], 2),
    (["compare"], 2),
    (["region"], 2),
    (["eqtls", "--nope"], 2),
])
def test_mistakes_go_to_stderr_with_exit_1_or_2_and_no_traceback(args, code, cli):
    res = cli(*args)
    assert res.returncode == code, (res.returncode, res.stderr)
    assert res.stdout == "" and res.stderr.strip(), (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    if code == 1:
        assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_missing_database_is_an_error_not_a_traceback(tmp_path):
    res = _run(["--db", str(tmp_path / "none"), "eqtls"])
    assert res.returncode == 1 and "Traceback" not in res.stderr and res.stderr.strip()


@pytest.mark.parametrize("args", [["assoc", "--region", "chr2"], ["eqtls"],
                                  ["sql", "SELECT * FROM range(100000000)"]])
def test_closed_pipe_stops_quietly(args, db_dir):
    cmd = " ".join(f"'{a}'" for a in ["ratgtex-db", "--db", str(db_dir), *args])
    res = subprocess.run(f"set -o pipefail; {cmd} | head -1", shell=True, executable="/bin/bash",
                         capture_output=True, text=True, timeout=TIMEOUT, env=_env())
    assert res.returncode == 0, res.stderr
    assert res.stderr == "" and len(res.stdout.splitlines()) == 1


# -- regions ------------------------------------------------------------------------------------


def test_region_strings_are_one_based_inclusive(cli, con):
    chrom, pos = VARIANT.split(":")
    p = int(pos)
    got = tsv(cli("eqtls", "--region", f"{chrom}:{p}-{p}"))
    want = q(con, "SELECT count(*) FROM eqtls_indep WHERE version = 'v4' AND chrom = ? "
                  "AND pos = ?", [chrom, p])[0][0]
    assert len(got) == want > 0 and {r["pos"] for r in got} == {pos}
    assert not [r for r in tsv(cli("eqtls", "--region", f"{chrom}:{p + 1}-{p + 1000}"))
                if int(r["pos"]) == p]
    assert not [r for r in tsv(cli("eqtls", "--region", f"{chrom}:{p - 1000}-{p - 1}"))
                if int(r["pos"]) == p]
    # genes: body start..end (1-based inclusive) overlapping the region
    g, start, end = q(con, "SELECT gene_id, start, \"end\" FROM genes WHERE version = 'v4' "
                           "AND gene_id = ?", [GENE])[0]
    for region, inside in ((f"chr2:{end}-{end + 10}", True), (f"chr2:{start - 10}-{start}", True),
                           (f"chr2:{end + 1}-{end + 10}", False),
                           (f"chr2:{start - 10}-{start - 1}", False)):
        genes = {r["gene_id"] for r in tsv(cli("region", region)) if r["source"] == "gene"}
        assert (g in genes) is inside, region


def test_region_command_matches_sql(cli, con):
    chrom, rest = REGION.split(":")
    lo, hi = map(int, rest.split("-"))
    rows = tsv(cli("region", REGION))
    genes = {r["gene_id"] for r in rows if r["source"] == "gene"}
    assert genes == {x for (x,) in q(con, "SELECT gene_id FROM genes WHERE version = 'v4' AND "
                                          "chrom = ? AND start <= ? AND \"end\" >= ?",
                                     [chrom, hi, lo])}
    eq = sorted((r["tissue"], r["gene_id"], r["variant_id"]) for r in rows
                if r["source"] == "eqtl")
    assert eq == sorted(q(con, "SELECT tissue, gene_id, variant_id FROM eqtls_indep WHERE "
                               "version = 'v4' AND chrom = ? AND pos BETWEEN ? AND ?",
                          [chrom, lo, hi]))
    xq = sorted((r["tissue"], r["modality"], r["phenotype_id"], r["variant_id"]) for r in rows
                if r["source"] == "xqtl")
    assert xq == sorted(q(con, "SELECT tissue, modality, phenotype_id, variant_id FROM "
                               "xqtls_indep WHERE version = 'v4' AND modality <> 'expression' "
                               "AND chrom = ? AND pos BETWEEN ? AND ?", [chrom, lo, hi])) != []


def test_whole_chromosome_region(cli, con):
    got = tsv(cli("eqtls", "--region", "chr2"))
    want = q(con, "SELECT count(*) FROM eqtls_indep WHERE version = 'v4' AND chrom = 'chr2'")
    assert len(got) == want[0][0] > 0 and {r["chrom"] for r in got} == {"chr2"}
    genes = {r["gene_id"] for r in tsv(cli("region", "chr2")) if r["source"] == "gene"}
    assert genes == {x for (x,) in q(con, "SELECT gene_id FROM genes WHERE version = 'v4' "
                                          "AND chrom = 'chr2'")}


# -- every query command is the same-named method --------------------------------------------


CALLS = {
    "tissues-v3": (["tissues", "--version", "v3", "--tissue", "liver,BLA"],
                   lambda d: d.tissues(["Liver", "BLA"], version="v3")),
    "gene": (["gene", GENE, GENE2, "--tissue", "NAcc"], lambda d: d.gene([GENE, GENE2], ["NAcc"])),
    "eqtls-variant": (["eqtls", "--variant", VARIANT], lambda d: d.eqtls(variant=VARIANT)),
    "xqtls-cross": (["xqtls", "--gene", GENE, "--cross-modality"],
                    lambda d: d.xqtls(GENE, cross_modality=True)),
    "assoc-region": (["assoc", "--region", REGION, "--modality", "splicing"],
                     lambda d: d.assoc(region=REGION, modality="splicing")),
    "expression-samples": (["expression", GENE, "--samples", "--tissue", "BLA"],
                           lambda d: d.expression(GENE, "BLA", samples=True)),
    "top-expressed": (["top-expressed", "NAcc"], lambda d: d.top_expressed("NAcc")),
    "sharing": (["sharing"], lambda d: d.sharing()),
    "specific": (["specific", "pVTA", "--modality", "isoforms"],
                 lambda d: d.specific("pVTA", "isoforms")),
    "trans": (["trans", "--max-pval", "1e-6"], lambda d: d.trans(max_pval=1e-6)),
    "variant": (["variant", VARIANT, "chr2:3213711"],
                lambda d: d.variant([VARIANT, "chr2:3213711"])),
    "region": (["region", "chr2"], lambda d: d.region("chr2")),
    "genotype-expression": (["genotype-expression", "--gene", GENE, "--variant", VARIANT,
                             "--tissue", "BLA"],
                            lambda d: d.genotype_expression(GENE, VARIANT, "BLA")),
    "versions": (["versions"], lambda d: d.versions()),
    "compare": (["compare", SHARED_GENE], lambda d: d.compare(SHARED_GENE)),
    "views": (["views", "top_assoc"], lambda d: d.views("top_assoc")),
    "sql": (["sql", "SELECT tissue, count(*) AS n FROM eqtls_indep GROUP BY 1 ORDER BY 1"],
            lambda d: d.sql("SELECT tissue, count(*) AS n FROM eqtls_indep GROUP BY 1 ORDER BY 1")),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_cli_output_is_the_methods_result(name, cli, api):
    args, call = CALLS[name]
    want = frame_rows(call(api))
    assert want, f"{name}: the call should return rows"
    assert jrows(cli(*args, "--format", "json")) == want


def test_open_with_a_version_is_the_default_of_its_methods(db_dir):
    import ratgtex_db

    with ratgtex_db.open(db_dir, version="v3") as d:
        assert set(d.tissues()["tissue"]) == {"BLA", "Liver", "NAcc"}
        assert set(d.eqtls(V3_GENE)["gene_id"]) == {V3_GENE}


# -- Python API (section 5) -------------------------------------------------------------------


def test_sql_returns_polars_and_arrow(api, con):
    import polars as pl
    import pyarrow as pa

    frame = api.sql("SELECT tissue, count(*) AS n FROM eqtls_indep GROUP BY 1 ORDER BY 1")
    assert isinstance(frame, pl.DataFrame)
    assert frame.rows() == q(con, "SELECT tissue, count(*) FROM eqtls_indep GROUP BY 1 ORDER BY 1")
    table = api.sql("SELECT * FROM top_assoc WHERE gene_id = ?", [GENE]).arrow()
    assert isinstance(table, pa.Table)
    assert table.num_rows == q(con, "SELECT count(*) FROM top_assoc WHERE gene_id = ?",
                               [GENE])[0][0] > 0
    named = api.sql("SELECT count(*) AS n FROM top_assoc WHERE gene_id = $g", {"g": GENE})
    assert named["n"][0] == table.num_rows
    assert isinstance(api.eqtls(gene=[GENE], tissue=["BLA"]), pl.DataFrame)


def test_open_without_a_path_uses_ratgtex_db(db_dir):
    code = ("import ratgtex_db\n"
            "d = ratgtex_db.open()\n"
            "print(d.sql('SELECT count(*) AS n FROM genes')['n'][0])\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**_env(), "RATGTEX_DB": str(db_dir)}, timeout=TIMEOUT)
    assert res.returncode == 0, res.stderr
    assert int(res.stdout) > 0


@pytest.mark.parametrize("stmt", [
    "CREATE TABLE t AS SELECT 1 AS a",
    "CREATE VIEW v AS SELECT 1 AS a",
    "DROP VIEW genes",
    "INSERT INTO ingested_files SELECT * FROM ingested_files LIMIT 1",
    "DELETE FROM ingested_files",
])
def test_connection_is_read_only(stmt, api, con):
    before = q(con, "SELECT count(*) FROM ingested_files")
    with pytest.raises(duckdb.Error):
        api.connection.execute(stmt)
    assert q(con, "SELECT count(*) FROM ingested_files") == before
    assert api.sql("SELECT count(*) AS n FROM genes")["n"][0] > 0


def test_api_takes_comma_lists_as_the_cli_does(api):
    """README: db.eqtls(gene="Lft19,T1sy6", tissue="bla") is db.eqtls(gene=[...], ...)."""
    want = api.eqtls(gene=[GENE, GENE2], tissue=["BLA"])
    assert want.height > 0
    assert api.eqtls(gene=f"{GENE.lower()},{GENE2}", tissue="bla").equals(want)


def test_db_sql_refuses_writes(api, tmp_path):
    import ratgtex_db

    for stmt in ("DROP VIEW genes", f"COPY (SELECT 1) TO '{tmp_path}/x.csv'",
                 "CREATE TABLE t AS SELECT 1", "SET threads = 1",
                 f"ATTACH '{tmp_path}/x.duckdb' AS x"):
        with pytest.raises(ratgtex_db.RatgtexError):
            api.sql(stmt)
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "x.duckdb").exists()


def test_sql_file_is_read_only(cli, tmp_path, db_dir):
    good = tmp_path / "good.sql"
    good.write_text("SELECT count(*) AS n FROM genes WHERE version = 'v4'\n")
    assert int(tsv(cli("sql", "-f", str(good)))[0]["n"]) > 0
    before = hashlib.sha256((db_dir / "catalog.duckdb").read_bytes()).hexdigest()
    bad = tmp_path / "bad.sql"
    bad.write_text("DROP VIEW genes;\n")
    res = cli("sql", "-f", str(bad))
    assert res.returncode == 1 and "read-only" in res.stderr and "Traceback" not in res.stderr
    res = cli("sql", "SELECT 1; DELETE FROM ingested_files")
    assert res.returncode == 1 and "read-only" in res.stderr
    assert hashlib.sha256((db_dir / "catalog.duckdb").read_bytes()).hexdigest() == before
    assert int(tsv(cli("sql", "SELECT count(*) AS n FROM genes"))[0]["n"]) > 0


def test_sql_runs_a_read_only_pivot(cli, con):
    """Section 4: `sql QUERY` is 'read-only ad hoc SQL over the views'. DuckDB's PIVOT reads
    only (stock DuckDB and db.connection run it), so it must be answered, not refused."""
    query = ("PIVOT (SELECT tissue, modality FROM xqtls_indep WHERE version = 'v4') "
             "ON modality USING count(*) ORDER BY tissue")
    want = con.execute(query)
    cols = [d[0] for d in want.description]
    rows = want.fetchall()
    res = cli("sql", query, "--format", "json")
    assert res.returncode == 0, res.stderr
    assert [tuple(r[c] for c in cols) for r in json.loads(res.stdout)] == rows


# -- the report commands -----------------------------------------------------------------------


def test_info_lists_versions_tissues_tables_and_sizes(cli, con, api):
    doc = jrows(cli("info", "--format", "json"))
    for part, frame in api.info().items():  # the same as db.info()
        assert doc[part] == frame_rows(frame), part
    assert {v["version"] for v in doc["versions"]} == {"v3", "v4"}
    text = json.dumps(doc)
    for (t,) in q(con, "SELECT DISTINCT tissue FROM tissues"):
        assert t in text
    tables = {t["table"]: t for t in doc["tables"]}
    assert tables["top_assoc"]["rows"] == q(con, "SELECT count(*) FROM top_assoc")[0][0]
    assert all(t["rows"] >= 0 and "lake_bytes" in t for t in doc["tables"])
    assert all(v["source_bytes"] > 0 and v["lake_bytes"] > 0 for v in doc["versions"])
    out = ok(cli("info"))
    assert "top_assoc" in out and "v3" in out and "v4" in out


def test_validate_is_ok_on_a_fresh_database(cli):
    doc = jrows(cli("validate", "--format", "json"))
    assert doc["ok"] is True and doc["problems"] == []


def test_versions_reports_each_release(cli, con):
    rows = {r["version"]: r for r in jrows(cli("versions", "--format", "json"))}
    assert set(rows) == {"v3", "v4"}
    assert rows["v4"]["genome"] == "rn8" and rows["v3"]["genome"] == "rn7"
    for v, r in rows.items():
        tissues = {t for (t,) in q(con, "SELECT DISTINCT tissue FROM tissues WHERE version = ?",
                                   [v])}
        assert set(r["tissues"].split(", ")) >= tissues
        n = q(con, "SELECT count(*) FROM ingested_files WHERE version = ? AND "
                   "status = 'ingested'", [v])[0][0]
        assert r["files_ingested"] == n


def test_views_lists_every_public_view_with_types(cli, con):
    views = {v["view"]: v for v in jrows(cli("views", "--format", "json"))}
    documented = ("tissues genes gene_tissue_status exons rats samples rat_ids fastq_map "
                  "expression phenotypes covariates median_expression top_expressed top_assoc "
                  "eqtls_indep xqtl_top_assoc xqtls_indep xqtl_top_assoc_cross_modality "
                  "xqtls_indep_cross_modality cis_qtl_signif trans_qtl_pairs cis_pvals "
                  "gene_esnps variants genotypes ingested_files").split()
    assert set(documented) <= set(views)
    assert all(v["meaning"] for v in views.values())
    cols = jrows(cli("views", "TOP_ASSOC", "--format", "json"))
    want = [(r[0], r[1]) for r in q(con, "DESCRIBE top_assoc")]
    assert [(c["column"], c["type"]) for c in cols] == want


# -- what the query commands return, checked with SQL ------------------------------------------


def test_tissues_counts(cli, con):
    for r in tsv(cli("tissues")):
        t = r["tissue"]
        assert int(r["egenes"]) == q(con, "SELECT count(DISTINCT gene_id) FROM top_assoc "
                                          "WHERE version = 'v4' AND tissue = ? AND qval < 0.05",
                                     [t])[0][0]
        assert int(r["indep_eqtls"]) == q(con, "SELECT count(*) FROM eqtls_indep WHERE "
                                               "version = 'v4' AND tissue = ?", [t])[0][0]
        assert int(r["samples"]) == q(con, "SELECT count(*) FROM rat_ids WHERE version = 'v4' "
                                           "AND tissue = ?", [t])[0][0]
        assert int(r["xqtl_splicing"]) == q(con, "SELECT count(DISTINCT gene_id) FROM "
                                                 "xqtls_indep WHERE version = 'v4' AND tissue = ? "
                                                 "AND modality = 'splicing'", [t])[0][0]


def test_gene_status_and_lead_eqtl(cli, con):
    rows = {r["tissue"]: r for r in tsv(cli("gene", GENE))}
    assert set(rows) == {t for (t,) in q(con, "SELECT tissue FROM tissues WHERE version='v4'")}
    for t, r in rows.items():
        ta = q(con, "SELECT qval FROM top_assoc WHERE version='v4' AND tissue=? AND gene_id=?",
               [t, GENE])
        assert r["egene"] == str(bool(ta and ta[0][0] < 0.05)).lower()
        lead = q(con, "SELECT variant_id FROM eqtls_indep WHERE version='v4' AND tissue=? AND "
                      "gene_id=? AND rank=1", [t, GENE])
        assert r["lead_variant_id"] == (lead[0][0] if lead else "")
        med = q(con, "SELECT median_tpm FROM median_expression WHERE version='v4' AND tissue=? "
                     "AND gene_id=?", [t, GENE])
        assert float(r["median_tpm"]) == pytest.approx(med[0][0])
        assert r["tested"] == str(bool(ta)).lower()
        st = q(con, "SELECT expressed FROM gene_tissue_status WHERE version='v4' AND tissue=? "
                    "AND gene_id=?", [t, GENE])
        assert r["expressed"] == str(st[0][0]).lower()
        assert int(r["indep_eqtls"]) == q(con, "SELECT count(*) FROM eqtls_indep WHERE "
                                               "version='v4' AND tissue=? AND gene_id=?",
                                          [t, GENE])[0][0]
        for m in ("expression", "isoforms", "splicing", "alt_TSS", "alt_polyA", "stability"):
            n = q(con, "SELECT count(*) FROM xqtls_indep WHERE version='v4' AND tissue=? AND "
                       "gene_id=? AND modality=?", [t, GENE, m])[0][0]
            assert int(r[f"indep_xqtls_{m}"] or 0) == n, (t, m)


def test_top_expressed_default_n_and_exclude_mt(cli, con):
    want = q(con, "SELECT m.gene_id, m.median_tpm, g.chrom FROM median_expression m JOIN genes g "
                  "USING (version, gene_id) WHERE version='v4' AND tissue='BLA' AND median_tpm "
                  "IS NOT NULL ORDER BY median_tpm DESC, gene_id")
    assert len(want) > 50 and any(c == "chrM" for _, _, c in want[:5])
    got = tsv(cli("top-expressed", "BLA"))
    assert [r["gene_id"] for r in got] == [g for g, _, _ in want[:50]]  # default --n 50
    tpm = [float(r["median_tpm"]) for r in got]
    assert tpm == sorted(tpm, reverse=True)
    got = tsv(cli("top-expressed", "BLA", "--n", "7", "--exclude-mt"))
    assert [r["gene_id"] for r in got] == [g for g, _, c in want if c != "chrM"][:7]
    assert len(tsv(cli("top-expressed", "BLA", "-n", "3"))) == 3


def test_specific_is_significant_in_that_tissue_only_among_tissues_where_tested(cli, con):
    """Section 4: 'eGenes significant in that tissue only, among tissues where tested'. An
    eGene of BLA tested in no other tissue is significant in BLA only (it is not significant
    in any other tissue where it was tested)."""
    want = {g for (g,) in q(con, """
        WITH t AS (SELECT tissue, gene_id, qval FROM top_assoc WHERE version = 'v4')
        SELECT gene_id FROM t WHERE tissue = 'BLA' AND qval < 0.05 AND NOT EXISTS (
            SELECT 1 FROM t o WHERE o.gene_id = t.gene_id AND o.tissue <> 'BLA'
            AND o.qval < 0.05)""")}
    got = {r["gene_id"] for r in tsv(cli("specific", "BLA"))}
    tested_elsewhere = {g for (g,) in q(con, "SELECT DISTINCT gene_id FROM top_assoc WHERE "
                                             "version='v4' AND tissue <> 'BLA'")}
    assert got <= want  # what it returns is right ...
    assert got == want, ("eGenes of BLA tested in no other tissue are left out:",
                         sorted(want - got), sorted((want - got) - tested_elsewhere))


def test_sharing_jaccard_is_that_of_the_egene_sets(cli, con):
    """Section 4: sharing gives 'eGene overlap, Jaccard': |E1 & E2| / |E1 | E2|, consistent with
    the egenes1, egenes2 and shared_egenes columns of the same row."""
    rows = tsv(cli("sharing"))
    tissues = [t for (t,) in q(con, "SELECT DISTINCT tissue FROM top_assoc WHERE version='v4'")]
    assert len(rows) == len(tissues) * (len(tissues) - 1)
    problems = []
    for r in rows:
        e1 = {g for (g,) in q(con, "SELECT gene_id FROM top_assoc WHERE version='v4' AND "
                                   "tissue=? AND qval < 0.05", [r["tissue1"]])}
        e2 = {g for (g,) in q(con, "SELECT gene_id FROM top_assoc WHERE version='v4' AND "
                                   "tissue=? AND qval < 0.05", [r["tissue2"]])}
        assert int(r["egenes1"]) == len(e1) and int(r["egenes2"]) == len(e2)
        assert int(r["shared_egenes"]) == len(e1 & e2)
        tops = q(con, "SELECT a.variant_id = b.variant_id, sign(a.slope) = sign(b.slope) "
                      "FROM top_assoc a JOIN top_assoc b USING (version, gene_id) WHERE "
                      "version='v4' AND a.tissue=? AND b.tissue=? AND a.qval < 0.05 AND "
                      "b.qval < 0.05", [r["tissue1"], r["tissue2"]])
        assert int(r["same_top_variant"]) == sum(1 for same, _ in tops if same)
        assert float(r["sign_concordance"]) == pytest.approx(
            sum(1 for _, sign in tops if sign) / len(tops))
        want = len(e1 & e2) / len(e1 | e2)
        if float(r["jaccard"]) != pytest.approx(want):
            problems.append((r["tissue1"], r["tissue2"], float(r["jaccard"]), want))
    assert not problems, problems


def test_trans_max_pval(cli, con):
    got = sorted((r["tissue"], r["variant_id"], r["phenotype_id"])
                 for r in tsv(cli("trans", "--max-pval", "1e-7")))
    want = sorted(q(con, "SELECT tissue, variant_id, phenotype_id FROM trans_qtl_pairs WHERE "
                         "version='v4' AND pval <= 1e-7"))
    assert got == want and want
    gene = want[0][2]
    got = sorted((r["tissue"], r["variant_id"]) for r in tsv(cli("trans", "--gene", gene)))
    assert got == sorted(q(con, "SELECT tissue, variant_id FROM trans_qtl_pairs WHERE "
                                "version='v4' AND gene_id=?", [gene]))
    all_pairs = q(con, "SELECT count(*) FROM trans_qtl_pairs WHERE version='v4'")[0][0]
    assert len(tsv(cli("trans"))) == all_pairs > len(want)


def test_expression_units_and_samples(cli, con):
    for unit in ("tpm", "log2"):
        rows = {r["tissue"]: r for r in tsv(cli("expression", GENE, "--unit", unit))}
        for t, r in rows.items():
            n, med = q(con, "SELECT count(value), quantile_cont(value, 0.5) FROM expression "
                            "WHERE version='v4' AND gene_id=? AND tissue=? AND unit=?",
                       [GENE, t, unit])[0]
            assert int(r["n"]) == n and float(r["median"]) == pytest.approx(med)
            assert r["unit"] == unit
    got = sorted((r["rat_id"], float(r["value"]))
                 for r in tsv(cli("expression", GENE, "--samples", "--tissue", "NAcc")))
    want = sorted(q(con, "SELECT rat_id, value FROM expression WHERE version='v4' AND "
                         "gene_id=? AND tissue='NAcc' AND unit='tpm'", [GENE]))
    assert got == [(a, pytest.approx(b)) for a, b in want] and want


def test_xqtls_modality_and_cross_modality(cli, con):
    got = sorted((r["tissue"], r["modality"], r["phenotype_id"], r["rank"])
                 for r in tsv(cli("xqtls", "--gene", GENE, "--modality", "splicing,alt_polyA")))
    want = sorted((t, m, p, str(k)) for t, m, p, k in q(
        con, "SELECT tissue, modality, phenotype_id, rank FROM xqtls_indep WHERE version='v4' "
             "AND gene_id=? AND modality IN ('splicing', 'alt_polyA')", [GENE]))
    assert got == want and want
    got = sorted((r["tissue"], r["modality"], r["phenotype_id"], r["rank"])
                 for r in tsv(cli("xqtls", "--gene", GENE, "--cross-modality")))
    want = sorted((t, m, p, str(k)) for t, m, p, k in q(
        con, "SELECT tissue, modality, phenotype_id, rank FROM xqtls_indep_cross_modality "
             "WHERE version='v4' AND gene_id=?", [GENE]))
    assert got == want and want


def test_assoc_and_variant_match_sql(cli, con):
    got = tsv(cli("assoc", "--gene", GENE, "--tissue", "BLA", "--modality", "expression"))
    want = q(con, "SELECT count(*) FROM cis_qtl_signif WHERE version='v4' AND gene_id=? AND "
                  "tissue='BLA' AND modality='expression'", [GENE])[0][0]
    assert len(got) == want > 0
    rows = tsv(cli("variant", VARIANT))
    cis = [r for r in rows if r["source"] == "cis"]
    assert len(cis) == q(con, "SELECT count(*) FROM cis_qtl_signif WHERE version='v4' AND "
                              "variant_id=?", [VARIANT])[0][0]
    (allele,) = [r for r in rows if r["source"] == "variant"]
    assert (allele["ref"], allele["alt"]) == q(con, "SELECT ref, alt FROM variants WHERE "
                                                    "version='v4' AND variant_id=?", [VARIANT])[0]
    eq = [r for r in rows if r["source"] == "eqtl"]
    assert len(eq) == q(con, "SELECT count(*) FROM eqtls_indep WHERE version='v4' AND "
                             "variant_id=?", [VARIANT])[0][0] > 0


def test_compare_spans_the_versions(cli, con):
    rows = tsv(cli("compare", V3_GENE))
    v3 = {r["tissue"]: r for r in rows if r["version"] == "v3"}
    want = dict(q(con, "SELECT tissue, qval < 0.05 FROM top_assoc WHERE version='v3' AND "
                       "gene_id=?", [V3_GENE]))
    assert {t: r["egene"] for t, r in v3.items() if t in want} == {
        t: str(e).lower() for t, e in want.items()}
    assert {r["version"] for r in rows} == {"v3", "v4"}
    for t, r in v3.items():
        lead = q(con, "SELECT variant_id FROM top_assoc WHERE version='v3' AND tissue=? AND "
                      "gene_id=?", [t, V3_GENE])
        assert r["lead_variant_id"] == (lead[0][0] if lead else ""), t
        med = q(con, "SELECT median_tpm FROM median_expression WHERE version='v3' AND tissue=? "
                     "AND gene_id=?", [t, V3_GENE])
        if med:
            assert float(r["median_tpm"]) == pytest.approx(med[0][0]), t


# -- ingest ------------------------------------------------------------------------------------


def _state(db: Path) -> tuple:
    files = sorted((str(p.relative_to(db)), p.stat().st_size, p.stat().st_ino)
                   for p in (db / "lake").rglob("*") if p.is_file())
    return hashlib.sha256((db / "catalog.duckdb").read_bytes()).hexdigest(), files


def test_ingest_dry_run_changes_nothing(world, tmp_path):
    fresh = tmp_path / "fresh"
    res = _run(["--db", str(fresh), "ingest", "--dry-run", str(world["rel4"] / "eqtl")])
    ok(res)
    assert not (fresh / "catalog.duckdb").exists()
    assert not fresh.exists() or not any(fresh.rglob("*.parquet"))
    db = world["db"]
    before = _state(db)
    ok(_run(["--db", str(db), "ingest", "--dry-run", "--force", str(world["rel4"] / "eqtl")]))
    assert _state(db) == before


def test_ingest_dry_run_lists_what_it_would_do(world, tmp_path):
    """`ingest --help`: '--dry-run  Only list what would be done.' A user reads which files
    would be ingested (as `download --dry-run` lists its files), not only how many."""
    res = _run(["--db", str(tmp_path / "fresh"), "ingest", "--dry-run",
                str(world["rel4"] / "eqtl")])
    out = ok(res) + res.stderr
    for name in ("top_assoc.v4_rn8.tsv", "eqtls_indep.v4_rn8.tsv", "all_gene_esnps.v4.zip"):
        assert name in out, out


def test_ingest_with_jobs_2_holds_every_row(world, con):
    """The fixture ingested v4 with --jobs 2: the tables hold the source files' rows."""
    rel = world["rel4"]
    for path, sql in ((rel / "eqtl" / "top_assoc.v4_rn8.tsv",
                       "SELECT count(*) FROM top_assoc WHERE version='v4'"),
                      (rel / "eqtl" / "eqtls_indep.v4_rn8.tsv",
                       "SELECT count(*) FROM eqtls_indep WHERE version='v4'"),
                      (rel / "xqtl" / "xqtls_indep.splicing.v4_rn8.tsv",
                       "SELECT count(*) FROM xqtls_indep WHERE version='v4' AND "
                       "modality='splicing'")):
        lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
        assert q(con, sql)[0][0] == len(lines) - 1, path.name
    failed = q(con, "SELECT count(*) FROM ingested_files WHERE status = 'failed'")[0][0]
    assert failed == 0
