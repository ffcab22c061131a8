"""Audit of the database directory contract (architecture.md sections 1 and 2) with real
processes and real engines: catalog.duckdb + a hive-partitioned lake, opened by the stock reader
(plain ``duckdb.connect(read_only=True)``, the stock CLI, older Python DuckDB in its own venv),
moved and copied directories, the lake read by pyarrow / polars / DuckDB without our code,
kill -9 of a big ingest, readers (API, stock, CLI, ``serve``) beside one ingest, the manifest
and ``validate``.

What tests/test_live_catalog.py, tests/test_crash_concurrency.py and tests/test_ingest.py
already cover is not repeated: here the stock reader is used *before* any ratgtex-db command
after a move or copy, the older DuckDB runs from a real venv (also the pyproject lower bound,
and on catalogs rewritten by an incremental ingest and by a move), every contract table of the
lake is compared row for row with its view, the killed ingest is one big file in the middle of
its conversion, ``serve`` and the stock CLI are among the readers, each reader's answer is
checked against the manifest row of the same snapshot, and the manifest's bytes / sha256 are
recomputed here.

Where the document leaves room, the test says so in its docstring.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

# Subprocess-heavy (~30-45 s): run with `python -m pytest -m slow`; the suite's default
# run keeps within CI's time budget.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
RG = shutil.which("ratgtex-db")
RG_CMD = [RG] if RG else [sys.executable, "-m", "ratgtex_db"]

#: Partition columns of each contract table (architecture.md section 3, "partition columns").
PARTITIONS: dict[str, tuple[str, ...]] = {
    "tissues": ("version",),
    "genes": ("version",),
    "gene_tissue_status": ("version", "tissue"),
    "exons": ("version",),
    "rats": ("version",),
    "samples": ("version",),
    "rat_ids": ("version", "tissue"),
    "fastq_map": ("version", "tissue"),
    "expression": ("version", "tissue", "unit"),
    "phenotypes": ("version", "tissue", "modality", "normalized"),
    "covariates": ("version", "tissue", "modality"),
    "median_expression": ("version",),
    "top_expressed": ("version",),
    "top_assoc": ("version",),
    "eqtls_indep": ("version",),
    "xqtl_top_assoc": ("version", "modality"),
    "xqtls_indep": ("version", "modality"),
    "xqtl_top_assoc_cross_modality": ("version",),
    "xqtls_indep_cross_modality": ("version",),
    "cis_qtl_signif": ("version", "tissue", "modality"),
    "trans_qtl_pairs": ("version", "tissue", "modality"),
    "cis_pvals": ("version", "tissue"),
    "gene_esnps": ("version",),
    "variants": ("version", "dataset"),
    "genotypes": ("version", "dataset"),
}

#: ingested_files columns (architecture.md section 3).
MANIFEST_COLUMNS = ("path", "kind", "version", "tissue", "modality", "bytes", "sha256",
                    "rows_read", "rows_written", "status", "message", "synthetic", "ingested_at")

BIG_ROWS = 3_000_000


# --- helpers ----------------------------------------------------------------------------------


def rg(*args: str, db: Path | None = None, cwd: Path | str | None = None,
       env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The ``ratgtex-db`` command line, as a user runs it."""
    cmd = [*RG_CMD, *(["--db", str(db)] if db is not None else []), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd,
                          env={**os.environ, **(env or {})})


#: Stock reader: no ratgtex code, only the duckdb module of the interpreter that runs it.
PROBE = r"""
import duckdb, json, sys
path, views, extra = sys.argv[1], [v for v in sys.argv[2].split(",") if v], sys.argv[3]
out = {"version": duckdb.__version__, "counts": {}, "errors": {}, "view_sql": "", "extra": None}
try:
    con = duckdb.connect(path, read_only=True)
except Exception as e:
    out["errors"]["<open>"] = str(e)[:400]
    print(json.dumps(out)); sys.exit(0)
for v in views:
    try:
        out["counts"][v] = con.execute("SELECT count(*) FROM " + v).fetchall()[0][0]
    except Exception as e:
        out["errors"][v] = str(e)[:400]
try:
    out["view_sql"] = " ".join(r[0] or "" for r in con.execute(
        "SELECT sql FROM duckdb_views() WHERE NOT internal").fetchall())
except Exception as e:
    out["errors"]["<views>"] = str(e)[:400]
if extra:
    try:
        out["extra"] = [[str(x) for x in r] for r in con.execute(extra).fetchall()]
    except Exception as e:
        out["errors"]["<extra>"] = str(e)[:400]
print(json.dumps(out))
"""

#: A value query every DuckDB version answers alike (rounded: float sums differ in the last bits).
VALUES_SQL = ("SELECT (SELECT round(sum(pval_nominal) * 1e6, 3) FROM cis_qtl_signif), "
              "(SELECT count(DISTINCT gene_id) FROM egenes), "
              "(SELECT sum(dosage) FROM genotypes), "
              "(SELECT count(*) FROM ingested_files WHERE status = 'ingested')")


def probe(catalog: Path | str, views: list[str], *, python: str = sys.executable,
          cwd: Path | str = "/", extra: str = "") -> dict:
    got = subprocess.run([python, "-c", PROBE, str(catalog), ",".join(views), extra],
                         capture_output=True, text=True, cwd=cwd, timeout=120,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert got.returncode == 0, got.stderr[-2000:]
    return json.loads(got.stdout)


def public_views(db: Path) -> list[str]:
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        return sorted(r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
            "AND database_name = current_database()").fetchall())
    finally:
        con.close()


def native_copy(base: Path, dest: Path) -> Path:
    """A database of its own at ``dest``: ``cp -a`` of ``base``, then one ratgtex-db command
    (the README: the first command of a writable copy rewrites its catalog for it)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(base), str(dest)], check=True)
    out = rg("sql", "SELECT 1 AS one", db=dest)
    assert out.returncode == 0, out.stderr
    text = probe(dest / "catalog.duckdb", [])["view_sql"]
    assert str(base) not in text, "the copy's catalog still names the base's files"
    return dest


def truncate_lines(path: Path, drop: int) -> int:
    """Drop the last ``drop`` data lines of a text file; returns the data lines left."""
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-drop]))
    return len(lines) - 1 - drop


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def lake_entries_not_hidden(lake: Path) -> list[str]:
    """Names under lake/ that a hive reader would take as data or partitions, other than the
    expected ``k=v`` folders and ``*.parquet`` files (staging, trash, temp names)."""
    bad = []
    for root, dirs, files in os.walk(lake):
        for d in dirs:
            if d[0] in "._":
                bad.append(f"hidden dir under lake/: {Path(root, d)}")  # never inside the lake
            elif "=" not in d and Path(root) != lake:
                bad.append(f"non-hive dir: {Path(root, d)}")
        for f in files:
            if f[0] in "._":
                continue  # hive readers ignore these
            if not f.endswith(".parquet"):
                bad.append(f"non-parquet visible file: {Path(root, f)}")
    # hidden dirs inside lake/ are harmless for readers; report only visible problems
    return [b for b in bad if not b.startswith("hidden dir")]


def glob_counts(lake_table: Path) -> dict[str, int]:
    """Row counts of one lake table by pyarrow datasets, polars and DuckDB (no ratgtex code)."""
    import polars as pl
    import pyarrow.dataset as ds

    if not lake_table.exists() or not any(lake_table.rglob("*.parquet")):
        return {"pyarrow": 0, "polars": 0, "duckdb": 0}
    glob = str(lake_table / "**" / "*.parquet")
    con = duckdb.connect()
    try:
        n_duck = con.execute(f"SELECT count(*) FROM read_parquet('{glob}', "
                             "hive_partitioning = true)").fetchone()[0]
    finally:
        con.close()
    return {
        "pyarrow": ds.dataset(str(lake_table), format="parquet",
                              partitioning="hive").count_rows(),
        "polars": pl.scan_parquet(glob, hive_partitioning=True).select(pl.len()).collect().item(),
        "duckdb": n_duck,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, timeout: float = 10) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - loopback only
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ratgtex-db synth OUT --scale tiny`` (the root holding data/v4/...)."""
    out = tmp_path_factory.mktemp("audit_rel") / "rel"
    got = rg("synth", str(out), "--scale", "tiny")
    assert got.returncode == 0, got.stderr
    return out


@pytest.fixture(scope="session")
def base_db(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ratgtex-db --db DIR ingest OUT`` (read-only use: tests copy it)."""
    db = tmp_path_factory.mktemp("audit_base") / "db"
    t0 = time.time()
    got = rg("ingest", "--quiet", str(release), db=db)
    assert got.returncode == 0, got.stderr
    (db.parent / "ingest_window.json").write_text(json.dumps([t0, time.time()]))
    return db


@pytest.fixture(scope="session")
def base_views(base_db: Path) -> list[str]:
    return public_views(base_db)


@pytest.fixture(scope="session")
def base_counts(base_db: Path, base_views: list[str]) -> dict[str, int]:
    out = probe(base_db / "catalog.duckdb", base_views)
    assert not out["errors"], out["errors"]
    return out["counts"]


@pytest.fixture(scope="session")
def big_signif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One big ``cis_qtl_signif`` text file (release-format 3.15 columns), gzip."""
    import isal.igzip as igzip

    folder = tmp_path_factory.mktemp("audit_big")
    plain = folder / "signif.txt"
    con = duckdb.connect()
    try:
        con.execute(f"""
            COPY (SELECT 'Gbig' || lpad(CAST(i // 5000 AS VARCHAR), 5, '0') AS phenotype_id,
                         'chr1:' || CAST(1000 + i AS VARCHAR) AS variant_id,
                         CAST((i % 5000) - 2500 AS INTEGER) AS tss_distance,
                         round(0.05 + (i % 90) / 100.0, 6) AS af,
                         CAST(i % 20 + 1 AS INTEGER) AS ma_samples,
                         CAST(i % 25 + 1 AS INTEGER) AS ma_count,
                         printf('%.5e', 1e-5 / (1 + i % 997)) AS pval_nominal,
                         round(((i % 200) - 100) / 77.0, 5) AS slope,
                         round(0.1 + (i % 50) / 500.0, 5) AS slope_se,
                         '3.50000e-06' AS pval_nominal_threshold
                  FROM range({BIG_ROWS}) t(i) ORDER BY i)
            TO '{plain}' (FORMAT csv, DELIMITER '\t', HEADER true, QUOTE '')""")
    finally:
        con.close()
    gz = folder / "signif.txt.gz"
    with open(plain, "rb") as f, igzip.open(gz, "wb", compresslevel=1) as g:
        shutil.copyfileobj(f, g, 1 << 22)
    plain.unlink()
    return gz


def _place(src: Path, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
    return dest


def _pyproject_lower_bound() -> str:
    text = (ROOT / "pyproject.toml").read_text()
    m = re.search(r'"duckdb>=([0-9][0-9.]*)', text)
    assert m, "pyproject.toml names no duckdb lower bound"
    return m.group(1)


_OLD = ["1.1.3", _pyproject_lower_bound()]


@pytest.fixture(scope="session", params=list(dict.fromkeys(_OLD)),
                ids=lambda v: f"duckdb{v}")
def old_python(request, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A venv (under a tmp dir) with an older duckdb: ``python -m venv`` + ``pip install``."""
    spec = request.param
    venv = tmp_path_factory.mktemp(f"venv_duckdb_{spec}")
    made = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a venv: {made.stderr[-300:]}")
    py = str(venv / "bin" / "python")
    got = subprocess.run([py, "-m", "pip", "install", "-q", f"duckdb=={spec}"],
                         capture_output=True, text=True, timeout=600)
    if got.returncode != 0:
        pytest.skip(f"cannot install duckdb=={spec}: {got.stderr.strip()[-300:]}")
    ver = subprocess.run([py, "-c", "import duckdb; print(duckdb.__version__)"],
                         capture_output=True, text=True, check=True).stdout.strip()
    # "1.1" is PEP 440 equal to "1.1.0"
    assert [int(x) for x in ver.split(".")] + [0] * 3 >= [int(x) for x in spec.split(".")]
    return py


@pytest.fixture(scope="session")
def duckdb_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The stock DuckDB CLI 1.x (the duckdb-cli wheel)."""
    target = tmp_path_factory.mktemp("duckdb_cli")
    got = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                          "--target", str(target), "duckdb-cli==1.5.6"],
                         capture_output=True, text=True, timeout=600)
    if got.returncode != 0:
        pytest.skip(f"cannot install duckdb-cli: {got.stderr.strip()[-300:]}")
    binary = target / "duckdb_cli" / "duckdb"
    binary.chmod(0o755)
    return binary


# === 1. the catalog opens from any directory, in older DuckDB ================================


def test_stock_reader_opens_catalog_by_relative_path_from_other_directories(base_db, base_views,
                                                                            base_counts,
                                                                            tmp_path):
    """``duckdb.connect(path, read_only=True)`` answers every view from an unrelated working
    directory and by a path relative to it."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rel = os.path.relpath(base_db / "catalog.duckdb", elsewhere)
    for cwd, path in ((elsewhere, rel), ("/", base_db / "catalog.duckdb"),
                      (base_db, "catalog.duckdb"), (base_db / "lake", "../catalog.duckdb")):
        out = probe(path, base_views, cwd=cwd)
        assert not out["errors"], (cwd, out["errors"])
        assert out["counts"] == base_counts, cwd


@pytest.mark.slow  # venvs with pip installs; tests/test_live_catalog.py checks duckdb 1.1.3
def test_catalog_opens_read_only_in_an_older_duckdb_venv(old_python, base_db, base_views,
                                                          base_counts, tmp_path):
    """architecture 2: "The catalog opens in the DuckDB versions users have: ... Python duckdb
    >= the lower bound in pyproject". Every view answers, with the same values."""
    new = probe(base_db / "catalog.duckdb", base_views, extra=VALUES_SQL)
    out = probe(base_db / "catalog.duckdb", base_views, python=old_python, cwd=tmp_path,
                extra=VALUES_SQL)
    assert not out["version"].startswith("2"), out["version"]
    assert not out["errors"], out["errors"]
    assert out["counts"] == base_counts
    assert out["extra"] == new["extra"]


@pytest.mark.slow  # a venv with a pip install
@pytest.mark.parametrize("old_python", [_OLD[-1]], indirect=True, ids=lambda v: f"duckdb{v}")
def test_rewritten_catalogs_still_open_in_an_older_duckdb(old_python, base_db, release,
                                                          tmp_path):
    """The catalog written by an incremental ingest (a snapshot copied and changed by the
    installed DuckDB) and the one rewritten after a move still open in the older DuckDB."""
    a = native_copy(base_db, tmp_path / "a" / "db")
    extra = tmp_path / "extra" / "eqtl" / "top_assoc.v4_rn8.tsv"
    extra.parent.mkdir(parents=True)
    shutil.copyfile(release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv", extra)
    left = truncate_lines(extra, 4)
    got = rg("ingest", "--quiet", str(extra), db=a)
    assert got.returncode == 0, got.stderr
    views = public_views(a)
    new = probe(a / "catalog.duckdb", views, extra=VALUES_SQL)
    assert new["counts"]["top_assoc"] == left
    out = probe(a / "catalog.duckdb", views, python=old_python, cwd=tmp_path, extra=VALUES_SQL)
    assert not out["errors"], out["errors"]
    assert out["counts"] == new["counts"] and out["extra"] == new["extra"]
    b = tmp_path / "moved" / "db"
    b.parent.mkdir()
    shutil.move(str(a), str(b))
    got = rg("info", db=b)  # rewrites the moved directory's catalog
    assert got.returncode == 0, got.stderr
    out = probe(b / "catalog.duckdb", views, python=old_python, cwd=tmp_path, extra=VALUES_SQL)
    assert not out["errors"], out["errors"]
    assert out["counts"] == new["counts"] and out["extra"] == new["extra"]


# === 2. moved and copied databases ===========================================================


def test_moved_db_answers_through_api_cli_and_then_stock_reader(base_db, base_views,
                                                                base_counts, release, tmp_path):
    """After ``mv`` (and a different database created at the old path): our API, our CLI
    (sql, info, validate) and, after that first command, plain duckdb answer from the moved
    directory's own files."""
    import ratgtex_db

    a = native_copy(base_db, tmp_path / "a" / "db")
    b = tmp_path / "b" / "db"
    b.parent.mkdir()
    subprocess.run(["mv", str(a), str(b)], check=True)
    # someone makes a new, smaller database where the old one was
    got = rg("ingest", "--quiet", str(release / "data" / "v4" / "eqtl"), db=a)
    assert got.returncode == 0, got.stderr
    assert probe(a / "catalog.duckdb", ["cis_qtl_signif"])["counts"]["cis_qtl_signif"] == 0

    with ratgtex_db.open(b) as h:
        assert {v: int(h.sql(f"SELECT count(*) AS n FROM {v}")["n"][0])
                for v in base_views} == base_counts
    got = rg("sql", "SELECT count(*) AS n FROM cis_qtl_signif", "--format", "csv", db=b,
             cwd="/")
    assert got.returncode == 0, got.stderr
    assert got.stdout.split()[-1] == str(base_counts["cis_qtl_signif"])
    for cmd in (["info"], ["validate", "--quick"]):
        got = rg(*cmd, db=b)
        assert got.returncode == 0, (cmd, got.stdout, got.stderr)
    out = probe(b / "catalog.duckdb", base_views)
    assert not out["errors"], out["errors"]
    assert out["counts"] == base_counts
    assert str(a) not in out["view_sql"] and str(b.resolve()) in out["view_sql"]


def test_copied_db_api_and_cli_ignore_changes_to_the_original(base_db, base_views, base_counts,
                                                              release, tmp_path):
    """``cp -r``; then the original's lake changes (a smaller top_assoc is ingested into it),
    its lake and objects are deleted, and finally the whole original: the copy keeps answering
    its own rows through our API, our CLI, and plain duckdb after that first command."""
    import ratgtex_db

    a = native_copy(base_db, tmp_path / "a" / "db")
    b = tmp_path / "b" / "db"
    b.parent.mkdir()
    subprocess.run(["cp", "-r", str(a), str(b)], check=True)
    extra = tmp_path / "extra" / "top_assoc.v4_rn8.tsv"
    extra.parent.mkdir()
    shutil.copyfile(release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv", extra)
    left = truncate_lines(extra, 5)
    assert rg("ingest", "--quiet", str(extra), db=a).returncode == 0
    assert probe(a / "catalog.duckdb", ["top_assoc"])["counts"]["top_assoc"] == left
    # the original's lake and objects go (as its garbage collection or a clean-up would)
    shutil.rmtree(a / "lake")
    shutil.rmtree(a / ".store")
    with ratgtex_db.open(b) as h:
        assert int(h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0]) == \
            base_counts["top_assoc"]
    shutil.rmtree(a)
    got = rg("sql", "SELECT count(*) AS n FROM top_assoc", "--format", "csv", db=b)
    assert got.returncode == 0, got.stderr
    assert got.stdout.split()[-1] == str(base_counts["top_assoc"])
    out = probe(b / "catalog.duckdb", base_views)
    assert not out["errors"], out["errors"]
    assert out["counts"] == base_counts


# === 3. the lake without our code ============================================================


PLAIN_TYPES = re.compile(r"^(string|large_string|string_view|u?int(8|16|32|64)|double|float|"
                         r"bool|date32\[day\]|timestamp\[.*\]|dictionary<values=string.*|"
                         r"list<element: int8>)$")
#: Views whose rows the lake holds in another shape (tested on their own below): expression's
#: TPM rows may live under lake/phenotypes (expr.tpm skipped as a copy of phenos expression
#: unnorm), and genotypes are one dosage list per variant (lake/genotype_rows) paired with
#: the dataset's rats (lake/genotype_samples).
RESHAPED = {"expression", "genotypes"}
ID_COLUMNS = {"gene_id", "variant_id", "rat_id", "phenotype_id", "exon_id", "transcript_id",
              "tissue", "version", "chrom", "covariate", "dataset", "modality"}


@pytest.mark.parametrize("table", sorted(set(PARTITIONS) - RESHAPED))
def test_lake_table_is_its_view_for_any_parquet_engine(table, base_db):
    """architecture 2: lake/<table>/k=v/.../*.parquet, "only keys that the table has", "readable
    without our code by any Parquet engine ...: plain types, hive partitions, no custom
    encodings"; no partition's rows twice. pyarrow datasets, polars and DuckDB read the same
    rows as the view (as a multiset of the view's columns), ids as strings."""
    import pyarrow.dataset as ds

    lake_table = base_db / "lake" / table
    assert lake_table.is_dir(), (
        f"no lake/{table}: lake holds {sorted(p.name for p in (base_db / 'lake').iterdir())}")
    files = sorted(lake_table.rglob("*.parquet"))
    assert files, f"lake/{table} has no Parquet file"
    for f in files:
        keys = [p.split("=", 1)[0] for p in f.relative_to(lake_table).parent.parts]
        assert tuple(keys) == PARTITIONS[table], (f, keys)

    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{base_db / 'catalog.duckdb'}' AS rg (READ_ONLY)")
        view_cols = [r[0] for r in con.execute(f"DESCRIBE rg.{table}").fetchall()]
        n_view = con.execute(f"SELECT count(*) FROM rg.{table}").fetchone()[0]
        counts = glob_counts(lake_table)
        assert counts == {"pyarrow": n_view, "polars": n_view, "duckdb": n_view}, (
            f"lake/{table} rows by engine {counts}, view {n_view}")

        schema = ds.dataset(str(lake_table), format="parquet", partitioning="hive").schema
        types = {f.name: str(f.type) for f in schema}
        odd = {n: t for n, t in types.items() if not PLAIN_TYPES.match(t)}
        assert not odd, f"lake/{table}: columns of non-plain types {odd}"
        for n in ID_COLUMNS & set(types) - set(PARTITIONS[table]):
            assert "string" in types[n], (n, types[n])
        lower = {n.lower() for n in types}
        missing = [c for c in view_cols if c.lower() not in lower]
        assert not missing, f"lake/{table} lacks view columns {missing} (types: {types})"

        glob = str(lake_table / "**" / "*.parquet")
        cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in view_cols)
        lake_sql = f"SELECT {cols} FROM read_parquet('{glob}', hive_partitioning = true)"
        view_sql = f"SELECT {cols} FROM rg.{table}"
        only_lake, only_view = con.execute(
            f"SELECT (SELECT count(*) FROM ({lake_sql} EXCEPT ALL {view_sql})), "
            f"(SELECT count(*) FROM ({view_sql} EXCEPT ALL {lake_sql}))").fetchone()
        assert (only_lake, only_view) == (0, 0), (
            f"lake/{table} vs view: {only_lake} rows only in the lake, "
            f"{only_view} only in the view")
    finally:
        con.close()


def _same_rows(con: duckdb.DuckDBPyConnection, a: str, b: str) -> tuple[int, int]:
    a, b = f"SELECT * FROM ({a})", f"SELECT * FROM ({b})"
    return con.execute(f"SELECT (SELECT count(*) FROM ({a} EXCEPT ALL {b})), "
                       f"(SELECT count(*) FROM ({b} EXCEPT ALL {a}))").fetchone()


def test_expression_is_lake_expression_and_phenos_expression_unnorm(base_db):
    """The expression view from the lake alone: lake/expression, plus the TPM of tissues whose
    expr.tpm was skipped as a byte copy of phenos expression unnorm (release-format 3.5), which
    lake/phenotypes holds (modality=expression, normalized=false)."""
    lake = base_db / "lake"
    cols = "version, tissue, unit, phenotype_id, gene_id, rat_id, value"
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{base_db / 'catalog.duckdb'}' AS rg (READ_ONLY)")
        stored = (f"SELECT {cols} FROM read_parquet('{lake}/expression/**/*.parquet', "
                  "hive_partitioning = true)")
        tpm_tissues = (f"SELECT DISTINCT tissue FROM read_parquet('{lake}/expression/**/*.parquet',"
                       " hive_partitioning = true) WHERE unit = 'tpm'")
        from_phenos = (
            "SELECT version, tissue, 'tpm' AS unit, phenotype_id, gene_id, rat_id, value "
            f"FROM read_parquet('{lake}/phenotypes/**/*.parquet', hive_partitioning = true) "
            "WHERE modality = 'expression' AND NOT normalized "
            f"AND tissue NOT IN ({tpm_tissues})")
        assert _same_rows(con, f"{stored} UNION ALL {from_phenos}",
                          f"SELECT {cols} FROM rg.expression") == (0, 0)
    finally:
        con.close()


def test_genotypes_are_lake_dosage_lists_paired_with_the_rats(base_db):
    """The genotypes view from the lake alone, with any engine's plain list functions: each
    variant's LIST<TINYINT> of dosages (lake/genotype_rows) paired by position with the
    dataset's rats (lake/genotype_samples, sample_index from 0); NULL for a missing call."""
    import polars as pl

    lake = base_db / "lake"
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{base_db / 'catalog.duckdb'}' AS rg (READ_ONLY)")
        rows = f"read_parquet('{lake}/genotype_rows/**/*.parquet', hive_partitioning = true)"
        samples = f"read_parquet('{lake}/genotype_samples/**/*.parquet', hive_partitioning = true)"
        paired = (f"SELECT r.version, r.dataset, r.variant_id, r.chrom, r.pos, s.rat_id, "
                  f"r.dosages[s.sample_index + 1] AS dosage FROM {rows} AS r "
                  f"JOIN {samples} AS s USING (version, dataset)")
        view = "SELECT version, dataset, variant_id, chrom, pos, rat_id, dosage FROM rg.genotypes"
        n = con.execute("SELECT count(*) FROM rg.genotypes").fetchone()[0]
        assert n > 0
        assert _same_rows(con, paired, view) == (0, 0)
        # polars, by its own explode: the same count of calls and of missing ones
        g = pl.read_parquet(lake / "genotype_rows", hive_partitioning=True)
        calls = g.select(pl.col("dosages").explode())
        missing = con.execute("SELECT count(*) FROM rg.genotypes WHERE dosage IS NULL"
                              ).fetchone()[0]
        assert (calls.height, calls["dosages"].null_count()) == (n, missing)
    finally:
        con.close()


def test_no_lake_table_stores_packed_or_binary_columns(base_db):
    """architecture 2: "plain types ... no custom encodings" for every Parquet engine; section 3:
    genotypes are (variant_id, rat_id, dosage TINYINT NULL) rows. A reader of lake/ without our
    code must not need to unpack bit strings."""
    import pyarrow.dataset as ds

    odd = {}
    for table in sorted(p for p in (base_db / "lake").iterdir() if p.is_dir()):
        schema = ds.dataset(str(table), format="parquet", partitioning="hive").schema
        odd.update({f"{table.name}.{f.name}": str(f.type) for f in schema
                    if not PLAIN_TYPES.match(str(f.type))})
    assert not odd, f"lake columns that are not plain values: {odd}"


@pytest.mark.slow  # a 3M-row file; tests/test_live_catalog.py kills an ingest too
def test_glob_readers_during_and_after_kill_9_in_the_middle_of_a_big_file(
        base_db, big_signif, tmp_path):
    """architecture 2: staging and trash "live under names hive readers ignore: _ or .
    prefixes"; a glob reader never sees a partition's rows twice; "Concurrent readers see either
    the old or the new state". A 3M-row cis_qtl_signif file replacing a partition is ingested
    and killed with SIGKILL while it is being converted; pyarrow, polars and DuckDB glob
    readers are polled throughout and after; the next command leaves lake/ = the views."""
    db = native_copy(base_db, tmp_path / "db")
    src = _place(big_signif, tmp_path / "big" / "xqtl" / "cis_qtl_signif.BLA.alt_TSS.v4_rn8.txt.gz")
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        old, part = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE tissue = 'BLA' AND modality = 'alt_TSS') "
            "FROM cis_qtl_signif").fetchone()
    finally:
        con.close()
    states = {old, old - part + BIG_ROWS}
    lake_table = db / "lake" / "cis_qtl_signif"
    proc = subprocess.Popen([*RG_CMD, "--db", str(db), "ingest", "--quiet", str(src)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    seen, staged_seen = [], False
    try:
        while time.monotonic() - t0 < 60 and proc.poll() is None:
            assert lake_entries_not_hidden(db / "lake") == []
            c = glob_counts(lake_table)
            seen.append(c)
            assert set(c.values()) <= states, (c, states)
            staging = db / ".staging"
            if staging.exists() and any(p.is_file() and p.stat().st_size > 0
                                        for p in staging.rglob("*")):
                staged_seen = True
                time.sleep(0.4)  # well inside the conversion
                break
            time.sleep(0.05)
        assert proc.poll() is None, "the ingest ended before it could be killed: use a bigger file"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert staged_seen, "no staging file was seen during the ingest"
    # after the kill: the leftovers must be invisible to hive readers
    visible = [p for p in db.rglob("*") if not any(part[0] in "._" for part in
                                                   p.relative_to(db).parts)]
    odd = [p for p in visible if p.relative_to(db).parts[0] not in ("lake", "catalog.duckdb")]
    assert not odd, f"visible leftovers of the killed ingest: {odd}"
    assert lake_entries_not_hidden(db / "lake") == []
    c = glob_counts(lake_table)
    assert set(c.values()) <= states and len(set(c.values())) == 1, (c, states)
    stock = probe(db / "catalog.duckdb", ["cis_qtl_signif"])
    assert not stock["errors"] and stock["counts"]["cis_qtl_signif"] in states
    got = rg("info", db=db)  # any command cleans up
    assert got.returncode == 0, got.stderr
    assert not (db / ".staging").exists() or not any((db / ".staging").rglob("*.parquet"))
    stock = probe(db / "catalog.duckdb", ["cis_qtl_signif"])
    assert set(glob_counts(lake_table).values()) == {stock["counts"]["cis_qtl_signif"]}
    assert seen, "no reader poll ran during the ingest"


# === 4. readers beside one ingest ============================================================


HOLDER = r"""
import json, sys
mode, db = sys.argv[1], sys.argv[2]
if mode == "api":
    import ratgtex_db
    h = ratgtex_db.open(db)
    run = lambda q: [list(r) for r in h.sql(q).rows()]
else:
    import duckdb
    con = duckdb.connect(db + "/catalog.duckdb", read_only=True)
    run = lambda q: [list(r) for r in con.execute(q).fetchall()]
print("ready", flush=True)
for line in sys.stdin:
    q = line.strip()
    if not q:
        break
    try:
        print(json.dumps({"rows": run(q)}, default=str), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
"""


class Reader:
    """A long-lived reader process: ``api`` (ratgtex_db.open), ``stock`` (duckdb.connect
    read-only) or ``cli`` (the stock DuckDB CLI with -readonly)."""

    def __init__(self, mode: str, db: Path, cli: Path | None = None) -> None:
        self.mode = mode
        if mode == "cli":
            self.proc = subprocess.Popen([str(cli), "-readonly", "-csv", "-noheader",
                                          str(db / "catalog.duckdb")],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, text=True, bufsize=1)
        else:
            self.proc = subprocess.Popen([sys.executable, "-c", HOLDER, mode, str(db)],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, bufsize=1)
            assert self.proc.stdout.readline().strip() == "ready"

    def ask(self, sql: str) -> list:
        self.proc.stdin.write(sql.replace("\n", " ") + ("\n" if self.mode != "cli" else ";\n"))
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if self.mode == "cli":
            assert line, self.proc.stderr.read() if self.proc.poll() is not None else "no line"
            return next(csv.reader(io.StringIO(line)))
        got = json.loads(line)
        assert "rows" in got, got
        return got["rows"][0]

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _state_sql(rel: Path) -> str:
    ta = rel / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv"
    ti = rel / "data" / "v4" / "tissue_info.v4.tsv"
    return (
        "SELECT (SELECT count(*) FROM top_assoc) AS ta, "
        f"(SELECT rows_written FROM ingested_files WHERE path = '{ta}') AS ta_manifest, "
        "(SELECT rna_seq_sample_count FROM tissues WHERE tissue = 'BLA') AS bla, "
        f"(SELECT sha256 FROM ingested_files WHERE path = '{ti}') AS ti_sha, "
        "(SELECT count(*) FROM cis_qtl_signif) AS cis, "
        "(SELECT coalesce(sum(rows_written), 0) FROM ingested_files "
        "WHERE path LIKE '%/cis_qtl_signif.IL.expression.v4_rn8.txt.gz') AS big")


def _norm(row: list) -> tuple:
    ta, tam, bla, sha, cis, big = row
    return (int(ta), int(tam), int(bla), str(sha), int(cis), int(big))


@pytest.mark.slow  # ~6 s; tests/test_live_catalog.py runs readers beside an ingest too
def test_readers_api_stock_cli_and_serve_beside_an_incremental_ingest(
        base_db, release, big_signif, duckdb_cli, tmp_path):
    """architecture 2: "readers must never block ingest, nor ingest readers: long-lived readers
    (notebooks, the stock CLI with -readonly, serve) and one ingest run side by side, each reader
    seeing one consistent snapshot per query"; "the manifest and views change in one transaction".
    A ratgtex_db.open reader, a plain duckdb.connect(read_only=True), the stock CLI -readonly and
    a ``serve`` process stay open while another process ingests two changed files and a new big
    one. Every answer is the old or the new state of each file, its view rows agreeing with its
    manifest row in the same query. Afterwards (README): the API's next query and serve's next
    request see the new data; a stock session keeps its snapshot until it reopens."""
    rel = tmp_path / "rel"
    shutil.copytree(release, rel)
    db = tmp_path / "db"
    sources = [str(rel / "data" / "v4" / "eqtl"), str(rel / "data" / "v4" / "tissue_info.v4.tsv")]
    got = rg("ingest", "--quiet", *sources, db=db)
    assert got.returncode == 0, got.stderr
    before = {p: r["ingested_at"] for p, r in _manifest(db).items() if r["status"] == "ingested"}
    sql = _state_sql(rel)
    first = Reader("stock", db)
    old = _norm(first.ask(sql))
    first.close()
    ta_old, _, bla_old, sha_old, cis_old, _ = old
    assert old[0] == old[1] and old[5] == 0

    # the changes: top_assoc loses 3 rows, BLA's sample count changes, a new 3M-row partition
    ta_new = truncate_lines(rel / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv", 3)
    ti = rel / "data" / "v4" / "tissue_info.v4.tsv"
    lines = ti.read_text().splitlines(keepends=True)
    head = lines[0].rstrip("\n").split("\t")
    k = head.index("rnaSeqSampleCount")
    for i, line in enumerate(lines[1:], 1):
        cells = line.rstrip("\n").split("\t")
        if cells[0] == "BLA":
            cells[k] = "777"
            lines[i] = "\t".join(cells) + "\n"
    ti.write_text("".join(lines))
    sha_new = sha256(ti)
    big = _place(big_signif, tmp_path / "big" / "xqtl" /
                 "cis_qtl_signif.IL.expression.v4_rn8.txt.gz")
    new = (ta_new, ta_new, 777, sha_new, cis_old + BIG_ROWS, BIG_ROWS)

    def consistent(s: tuple) -> bool:
        ta, tam, bla, sha, cis, nbig = s
        return (ta == tam and ta in (ta_old, ta_new)
                and (bla, sha) in ((bla_old, sha_old), (777, sha_new))
                and (cis, nbig) in ((cis_old, 0), (cis_old + BIG_ROWS, BIG_ROWS)))

    port = free_port()
    serve_log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed below
    serve = subprocess.Popen([*RG_CMD, "--db", str(db), "serve", "--port", str(port)],
                             stdout=subprocess.DEVNULL, stderr=serve_log, text=True)
    readers = {m: Reader(m, db, duckdb_cli) for m in ("api", "stock", "cli")}
    base_url = f"http://127.0.0.1:{port}/api/v4/tissueInfo"

    def bla_served() -> int:
        status, body = http_json(base_url)
        assert status == 200, body
        return next(t["rnaSeqSampleCount"] for t in body["tissueInfo"]
                    if t["tissueSiteDetailId"] == "BLA")

    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert bla_served() == bla_old
                break
            except (OSError, urllib.error.URLError):
                assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        for m, r in readers.items():
            assert _norm(r.ask(sql)) == old, m

        t0 = time.monotonic()
        writer = subprocess.Popen([*RG_CMD, "--db", str(db), "ingest", "--quiet", *sources,
                                   str(big.parent.parent)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: dict[str, list] = {m: [] for m in (*readers, "serve")}
        while writer.poll() is None:
            for m, r in readers.items():
                seen[m].append(_norm(r.ask(sql)))
            seen["serve"].append(bla_served())
        _, err = writer.communicate()
        elapsed = time.monotonic() - t0
        assert writer.returncode == 0, err
        assert elapsed < 60, elapsed
        for m in readers:
            assert seen[m], f"{m} gave no answer during the ingest"
            bad = [s for s in seen[m] if not consistent(s)]
            assert not bad, (m, bad[:3], old, new)
        assert set(seen["serve"]) <= {bla_old, 777}, seen["serve"]
        assert all(s == old for s in seen["stock"] + seen["cli"])  # their snapshot, whole

        assert _norm(readers["api"].ask(sql)) == new  # the next query after the ingest
        assert bla_served() == 777  # "picked up at the next request"
        assert _norm(readers["stock"].ask(sql)) == old  # keeps its snapshot ...
        assert _norm(readers["cli"].ask(sql)) == old
    finally:
        for r in readers.values():
            r.close()
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serve.kill()
            serve.wait()
        serve_log.close()
    again = Reader("stock", db)  # ... until it reopens
    try:
        assert _norm(again.ask(sql)) == new
    finally:
        again.close()
    after = {p: r["ingested_at"] for p, r in _manifest(db).items() if r["status"] == "ingested"}
    changed = {Path(p).name for p in after if before.get(p) != after[p]}
    assert changed == {"top_assoc.v4_rn8.tsv", "tissue_info.v4.tsv", big.name}, changed


@pytest.mark.slow  # two ingests and the 5 s snapshot grace period
def test_a_stock_session_keeps_reading_its_snapshot_across_two_ingests(base_db, release,
                                                                      tmp_path):
    """README: a stock session "keeps answering from the snapshot it opened (its files are kept
    while it is open)". Two ingests and a collecting command run while it is open, with the
    grace period at 0; its queries still read the data (not just footers) of its snapshot."""
    db = native_copy(base_db, tmp_path / "db")
    sql = ("SELECT count(*), round(sum(slope) * 1e6, 2), round(sum(pval_nominal) * 1e12, 2) "
           "FROM top_assoc")
    stock = Reader("stock", db)
    try:
        before = stock.ask(sql)
        src = tmp_path / "x" / "top_assoc.v4_rn8.tsv"
        src.parent.mkdir()
        env = {"RATGTEX_DB_GC_GRACE": "0"}
        for drop in (3, 6):
            shutil.copyfile(release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv", src)
            truncate_lines(src, drop)
            got = rg("ingest", "--quiet", str(src), db=db, env=env)
            assert got.returncode == 0, got.stderr
        time.sleep(5.2)  # past the snapshot grace period: the next command collects
        assert rg("sql", "SELECT 1", db=db, env=env).returncode == 0
        assert stock.ask(sql) == before
    finally:
        stock.close()
    now = Reader("stock", db)
    try:
        assert now.ask(sql)[0] == before[0] - 6
    finally:
        now.close()


def test_api_opened_with_a_relative_path_follows_ingests_after_chdir(base_db, release,
                                                                     tmp_path):
    """"from any working directory" + README: "An open Database checks before each query
    whether a newer snapshot was published and moves to it ... the next query after an ingest
    sees the new data". A notebook opens ``ratgtex_db.open("db")`` and then changes directory;
    an ingest happens; its next query must see the new rows."""
    db = native_copy(base_db, tmp_path / "work" / "db")
    src = tmp_path / "x" / "top_assoc.v4_rn8.tsv"
    src.parent.mkdir()
    shutil.copyfile(release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv", src)
    left = truncate_lines(src, 2)
    code = (
        "import os, subprocess, sys, json, ratgtex_db\n"
        "h = ratgtex_db.open('db')\n"
        "n0 = int(h.sql('SELECT count(*) AS n FROM top_assoc')['n'][0])\n"
        "os.chdir('/')\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "assert r.returncode == 0, r.stderr\n"
        "n1 = int(h.sql('SELECT count(*) AS n FROM top_assoc')['n'][0])\n"
        "print(json.dumps([n0, n1]))\n")
    got = subprocess.run([sys.executable, "-c", code, *RG_CMD, "--db", str(db), "ingest",
                          "--quiet", str(src)], cwd=db.parent, capture_output=True, text=True,
                         timeout=120)
    assert got.returncode == 0, got.stderr
    n0, n1 = json.loads(got.stdout)
    assert n0 != left
    assert n1 == left, f"after chdir the open Database still answers {n1} rows (new: {left})"


# === 5. the manifest and validate ============================================================


def _manifest(db: Path) -> dict[str, dict]:
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM ingested_files")
        cols = [d[0] for d in cur.description]
        return {r[0]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}
    finally:
        con.close()


def _release_files(release: Path) -> list[Path]:
    return sorted(p for p in release.rglob("*") if p.is_file()
                  and p.name != "SYNTHETIC_RELEASE.txt")


def test_manifest_columns_bytes_sha256_rows_and_time(base_db, release):
    """architecture 1 ("record: manifest row: source path, size, sha256, kind, partition, rows
    in/out, time") and 3 (ingested_files columns). sha256 and bytes recomputed here; rows_read
    of text tables = data lines; rows_written = the view's rows of that file's partition."""
    import gzip

    con = duckdb.connect(str(base_db / "catalog.duckdb"), read_only=True)
    try:
        desc = {r[0]: r[1] for r in con.execute("DESCRIBE ingested_files").fetchall()}
        signif = dict(((t, m), n) for t, m, n in con.execute(
            "SELECT tissue, modality, count(*) FROM cis_qtl_signif GROUP BY ALL").fetchall())
        n_top = con.execute("SELECT count(*) FROM top_assoc").fetchone()[0]
    finally:
        con.close()
    assert set(desc) == set(MANIFEST_COLUMNS), set(desc) ^ set(MANIFEST_COLUMNS)
    assert desc["ingested_at"].startswith("TIMESTAMP") and desc["synthetic"] == "BOOLEAN"
    assert desc["bytes"] in ("BIGINT", "INTEGER", "HUGEINT", "UBIGINT")
    t0, t1 = json.loads((base_db.parent / "ingest_window.json").read_text())
    man = _manifest(base_db)
    files = _release_files(release)
    missing = [str(p) for p in files if str(p) not in man]
    assert not missing, f"release files without a manifest row: {missing}"
    for p in files:
        row = man[str(p)]
        assert row["bytes"] == p.stat().st_size, p
        assert row["status"] in ("ingested", "skipped"), (p, row["status"], row["message"])
        if row["status"] == "ingested":
            assert row["sha256"] == sha256(p), p
            assert row["kind"] and row["version"] == "v4", row
            assert row["rows_read"] is not None and row["rows_written"] is not None, row
        else:
            assert row["message"], f"skipped without a reason: {p}"
            if row["sha256"] is not None:
                assert row["sha256"] == sha256(p), p
        assert row["synthetic"] is True, p
        # a naive UTC timestamp within the ingest run
        at = (row["ingested_at"].replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
        assert t0 - 2 <= at <= t1 + 2, (p, row["ingested_at"], t0, t1)
    for p in files:
        m = re.match(r"cis_qtl_signif\.(\w+)\.(\w+)\.v4_rn8\.txt\.gz$", p.name)
        if m:
            row = man[str(p)]
            assert (row["kind"], row["tissue"], row["modality"]) == (
                "cis_qtl_signif", m.group(1), m.group(2)), row
            with gzip.open(p, "rt") as f:
                lines = sum(1 for _ in f) - 1
            assert row["rows_read"] == lines == row["rows_written"] == signif.get(
                (m.group(1), m.group(2)), 0), (p, row)
    top = release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv"
    row = man[str(top)]
    assert row["rows_read"] == len(top.read_text().splitlines()) - 1 == row["rows_written"] \
        == n_top


def test_manifest_hashes_every_file_it_reads(base_db, release):
    """architecture 1: a manifest row records "source path, size, sha256"; section 3: files that
    are pure presentation "are recorded in the manifest as skipped with the reason". Every file
    that is read (ingested, or compared as a copy) has its sha256; a file skipped by its kind
    alone is never read (a real release's prediction files are GBs), so it has its size and
    reason but no sha256."""
    man = _manifest(base_db)
    for path, r in man.items():
        assert r["bytes"] == Path(path).stat().st_size, path
        if r["sha256"] is None:
            assert r["status"] == "skipped" and r["message"], (path, r)
            assert not r["message"].startswith("copy"), (path, r)
        else:
            assert r["sha256"] == hashlib.sha256(Path(path).read_bytes()).hexdigest(), path
    assert any(r["sha256"] is None for r in man.values())  # autocomplete.v4.json


def test_incremental_ingest_skips_unchanged_and_reingests_changed(release, tmp_path):
    """Re-ingest: nothing rewritten; a touched file (same bytes, new mtime) is not re-ingested;
    a same-size edit with its mtime restored is (its sha256 differs); the manifest follows."""
    rel = tmp_path / "rel"
    shutil.copytree(release / "data" / "v4" / "eqtl", rel / "eqtl")
    shutil.copy(release / "data" / "v4" / "tissue_info.v4.tsv", rel)
    shutil.copytree(release / "data" / "v4" / "expr", rel / "expr")  # holds skipped copies
    db = tmp_path / "db"
    assert rg("ingest", "--quiet", str(rel), db=db).returncode == 0

    def state() -> tuple[dict, dict]:
        """(manifest rows of ingested files, lake file inodes); the rows of skipped files are
        rewritten by every run (their ingested_at moves), which the document allows."""
        lake = {p.relative_to(db).as_posix(): p.stat().st_ino
                for p in (db / "lake").rglob("*.parquet")}
        return {p: r for p, r in _manifest(db).items() if r["status"] != "skipped"}, lake

    man0, lake0 = state()
    got = rg("ingest", "--quiet", str(rel), db=db)
    assert got.returncode == 0, got.stderr
    man1, lake1 = state()
    assert man1 == man0 and lake1 == lake0

    top = rel / "eqtl" / "top_assoc.v4_rn8.tsv"
    os.utime(top, (time.time() + 100, time.time() + 100))
    got = rg("ingest", "--quiet", str(rel), db=db)
    assert got.returncode == 0, got.stderr
    man2, lake2 = state()
    assert man2 == man0 and lake2 == lake0, "a touched, unchanged file was re-ingested"

    st = top.stat()
    text = top.read_text()
    lines = text.splitlines(keepends=True)
    head = lines[0].rstrip("\n").split("\t")
    k = head.index("slope")
    cells = lines[1].rstrip("\n").split("\t")
    old_slope = cells[k]
    digits = [i for i, ch in enumerate(old_slope) if ch.isdigit() and ch != "0"]
    i = digits[-1]
    cells[k] = old_slope[:i] + ("1" if old_slope[i] != "1" else "2") + old_slope[i + 1:]
    lines[1] = "\t".join(cells) + "\n"
    top.write_text("".join(lines))
    os.utime(top, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert top.stat().st_size == st.st_size and top.stat().st_mtime_ns == st.st_mtime_ns
    got = rg("ingest", "--quiet", str(rel), db=db)
    assert got.returncode == 0, got.stderr
    man3, lake3 = state()
    assert man3[str(top)]["sha256"] == sha256(top) != man0[str(top)]["sha256"]
    assert man3[str(top)]["ingested_at"] > man0[str(top)]["ingested_at"]
    changed_rows = {p for p in man0 if man3[p] != man0[p]}
    assert changed_rows == {str(top)}, changed_rows
    changed_lake = {p for p in set(lake0) | set(lake3) if lake0.get(p) != lake3.get(p)}
    assert changed_lake and all(p.startswith("lake/top_assoc/") for p in changed_lake)
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        got_slope = con.execute("SELECT slope FROM top_assoc WHERE gene_id = ? AND tissue = ? "
                                "AND variant_id = ?",
                                [cells[head.index("gene_id")], cells[head.index("tissue")],
                                 cells[head.index("variant_id")]]).fetchall()
    finally:
        con.close()
    assert got_slope == [(float(cells[k]),)], (got_slope, cells[k])


def _validate(db: Path) -> subprocess.CompletedProcess:
    return rg("validate", db=db)


def test_validate_names_a_truncated_lake_file_and_exits_1(base_db, tmp_path):
    db = native_copy(base_db, tmp_path / "db")
    ok = _validate(db)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    victim = next((db / "lake" / "cis_qtl_signif").rglob("part-0.parquet"))
    size = victim.stat().st_size
    with open(victim, "r+b") as f:  # damaged in place (as a disk error would)
        f.truncate(size // 2)
    got = _validate(db)
    out = got.stdout + got.stderr
    assert got.returncode == 1, out
    assert "cis_qtl_signif" in out and ("damaged" in out or "unreadable" in out), out


def test_validate_finds_a_deleted_lake_file(base_db, tmp_path):
    db = native_copy(base_db, tmp_path / "db")
    gone = next((db / "lake" / "top_assoc").rglob("part-0.parquet"))
    gone.unlink()
    got = _validate(db)
    out = got.stdout + got.stderr
    assert got.returncode == 1, out
    assert "top_assoc" in out and "missing" in out and str(gone.relative_to(db)) in out, out


def test_validate_says_a_substituted_lake_file_differs_not_that_it_is_missing(base_db,
                                                                              tmp_path):
    """A lake/ file replaced by another valid Parquet file (1 row instead of the partition's):
    what glob readers see is then not what the views see. validate exits 1; its message must
    say what is wrong with the file that is there (a clear message), not call it missing."""
    db = native_copy(base_db, tmp_path / "db")
    other = next((db / "lake" / "eqtls_indep").rglob("part-0.parquet"))
    fake = other.with_name("fake.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet('{other}') LIMIT 1) TO '{fake}' "
                    "(FORMAT parquet)")
    finally:
        con.close()
    os.replace(fake, other)
    got = _validate(db)
    out = got.stdout + got.stderr
    assert got.returncode == 1, out
    line = next((ln for ln in out.splitlines() if "eqtls_indep" in ln), "")
    assert line, out
    assert "missing" not in line.lower(), (
        f"validate calls a present, substituted file missing: {line}")


def test_validate_names_a_missing_store_object(base_db, tmp_path):
    """The object behind a view deleted (the views then fail): validate says which, exit 1,
    in text and in --format json."""
    db = native_copy(base_db, tmp_path / "db")
    obj = next((db / ".store" / "gene_esnps").rglob("*.parquet"))
    obj.unlink()
    got = _validate(db)
    out = got.stdout + got.stderr
    assert got.returncode == 1, out
    assert "gene_esnps" in out and "missing" in out, out
    got = rg("validate", "--format", "json", db=db)
    assert got.returncode == 1
    doc = json.loads(got.stdout)
    assert doc["ok"] is False and any("gene_esnps" in json.dumps(p) for p in doc["problems"])
