"""The catalog beside open sessions: long-lived readers and one ingest at once, stock and older
DuckDB, copies and moves, readers that glob the lake, kill -9 (architecture section 2)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import ratgtex_db
from ratgtex_db import lake
from ratgtex_db.ingest import ingest

TABLES = ("top_assoc", "eqtls_indep", "cis_qtl_signif")

#: A reader process that keeps one connection for its whole life and answers "q" on stdin with
#: the row counts of TABLES as JSON (mode "api": ratgtex_db.open; "stock": plain duckdb).
HOLDER = r"""
import json, sys
mode, db = sys.argv[1], sys.argv[2]
tables = sys.argv[3].split(",")
if mode == "api":
    import ratgtex_db
    h = ratgtex_db.open(db)
    count = lambda t: int(h.sql(f"SELECT count(*) AS n FROM {t}")["n"][0])
elif mode == "stock":
    import duckdb
    con = duckdb.connect(db + "/catalog.duckdb", read_only=True)
    count = lambda t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
else:  # "writer": a stock session that opened catalog.duckdb read-write
    import duckdb
    con = duckdb.connect(db + "/catalog.duckdb")
    count = lambda t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
print("ready", flush=True)
for line in sys.stdin:
    if line.strip() != "q":
        break
    try:
        print(json.dumps({t: count(t) for t in tables}), flush=True)
    except Exception as e:
        print(json.dumps({"error": repr(e)}), flush=True)
"""


class Holder:
    def __init__(self, mode: str, db: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, mode, str(db), ",".join(TABLES)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def counts(self) -> dict:
        self.proc.stdin.write("q\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        try:
            self.proc.stdin.close()
        finally:
            self.proc.wait(timeout=30)


def _cli(db: Path, *args: str, env: dict | None = None, timeout: float = 300
         ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _view_counts(db: Path) -> dict[str, int]:
    with ratgtex_db.open(db) as h:
        return {t: int(h.sql(f"SELECT count(*) AS n FROM {t}")["n"][0]) for t in TABLES}


def _glob_counts(db: Path) -> dict[str, int]:
    """What a reader that globs the lake sees (polars, hive partitions)."""
    import polars as pl

    out = {}
    for t in TABLES:
        files = list((db / "lake" / t).rglob("*.parquet"))
        out[t] = 0 if not files else pl.scan_parquet(
            str(db / "lake" / t / "**" / "*.parquet"), hive_partitioning=True
        ).select(pl.len()).collect().item()
    return out


@pytest.fixture()
def release(tiny_v4: Path, tmp_path: Path) -> Path:
    """A writable copy of the tiny release's eqtl and xqtl folders."""
    src = tmp_path / "src"
    shutil.copytree(tiny_v4 / "eqtl", src / "eqtl")
    shutil.copytree(tiny_v4 / "xqtl", src / "xqtl")
    return src


def _truncate(path: Path, drop: int) -> None:
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-drop]))


def test_long_lived_readers_and_an_ingest_run_side_by_side(release, tmp_path, monkeypatch):
    """A Database and a stock read-only connection stay open across an ingest: the ingest never
    waits on them; each sees old or new counts; the Database sees the new data at its next
    query, the stock session keeps its snapshot (its files are kept while it is open)."""
    db = tmp_path / "db"
    assert not ingest([release], db).failed
    old = _view_counts(db)
    _truncate(release / "eqtl" / "top_assoc.v4_rn8.tsv", 3)
    new = dict(old, top_assoc=old["top_assoc"] - 3)
    api, stock = Holder("api", db), Holder("stock", db)
    try:
        assert api.counts() == old and stock.counts() == old
        t0 = time.monotonic()
        writer = subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                                   "--quiet", "--force", str(release)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env={**os.environ, "RATGTEX_DB_GC_GRACE": "0"})
        seen_api, seen_stock = [], []
        while writer.poll() is None:
            seen_api.append(api.counts())
            seen_stock.append(stock.counts())
        _, err = writer.communicate()
        elapsed = time.monotonic() - t0
        assert writer.returncode == 0, err
        assert elapsed < 60, elapsed  # (it used to wait 30 s per commit, then fail)
        assert all(c in (old, new) for c in seen_api), seen_api
        assert all(c == old for c in seen_stock), seen_stock
        assert api.counts() == new  # the next query after the ingest
        assert stock.counts() == old  # its snapshot, whole, files still there (grace 0)
    finally:
        api.close()
        stock.close()
    # nobody holds the old snapshot now: the next ingest collects its files
    monkeypatch.setenv("RATGTEX_DB_GC_GRACE", "0")
    ingest([release], db)
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        named = {r[0] for r in con.execute("SELECT file FROM _ratgtex.lake_files").fetchall()}
    finally:
        con.close()
    stored = {p.relative_to(db / ".store").as_posix() for p in (db / ".store").rglob("*.parquet")}
    assert stored == named
    assert len(list((db / ".snapshots").glob("catalog-*.duckdb"))) == 1


def test_database_follows_ingests_in_the_same_process(release, tmp_path):
    """An open Database answers the next query from the new snapshot; its connection object
    stays the same; refresh() says whether there was anything newer."""
    db = tmp_path / "db"
    ingest([release / "eqtl"], db)
    with ratgtex_db.open(db) as h:
        con = h.connection
        assert h.sql("SELECT count(*) AS n FROM cis_qtl_signif")["n"][0] == 0
        ingest([release / "xqtl"], db)
        assert h.sql("SELECT count(*) AS n FROM cis_qtl_signif")["n"][0] > 0
        assert h.connection is con
        assert h.refresh() is False


def test_gene_lists_the_tissues_of_the_newest_snapshot(tmp_path):
    """``gene`` lists every tissue of the version (tissue_info, the gene table, top_assoc),
    which an open Database reads once per catalog snapshot: a tissue that a later ingest adds
    is listed by the same Database's next call."""
    data = Path(__file__).parent / "data" / "audit_queries" / "v4"
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(data / "gene.v4.tsv", src)
    db = tmp_path / "db"
    ingest([src], db)
    with ratgtex_db.open(db) as h:
        first = h.gene("Grin2b").rows()
        assert sorted(r[7] for r in first) == ["BLA", "Eye", "NAcc"]
        lines = (data / "tissue_info.v4.tsv").read_text().splitlines()
        extra = lines[1].split("\t")
        extra[0] = extra[1] = "IL"
        extra[2] = "Infralimbic cortex"
        (src / "tissue_info.v4.tsv").write_text("\n".join([*lines, "\t".join(extra)]) + "\n")
        ingest([src], db)
        rows = {r[7]: r for r in h.gene("Grin2b").rows()}
        assert sorted(rows) == ["BLA", "Eye", "IL", "NAcc"]
        assert rows["IL"][8] is None and rows["IL"][9] is False  # expressed, tested
        assert [rows[t] for t in ("BLA", "Eye", "NAcc")] == sorted(first, key=lambda r: r[7])


def test_show_tables_lists_only_public_views(tiny_db):
    with ratgtex_db.open(tiny_db) as h:
        names = set(h.sql("SHOW TABLES")["name"].to_list())
    assert "cis_qtl_signif" in names and "ingested_files" in names
    assert not [n for n in names if n.startswith("_")], names


def test_glob_readers_never_see_a_partition_twice_even_after_kill_9(release, tmp_path):
    """kill -9 at random points of an ingest: a glob reader sees each table's old or new rows,
    never twice; after the next command of any kind it sees exactly what the views see."""
    db = tmp_path / "db"
    assert not ingest([release], db).failed
    full = (release / "eqtl" / "top_assoc.v4_rn8.tsv").read_text()
    states = [_view_counts(db)]
    _truncate(release / "eqtl" / "top_assoc.v4_rn8.tsv", 5)
    states.append(dict(states[0], top_assoc=states[0]["top_assoc"] - 5))
    rng = random.Random(7)
    for i in range(6):
        path = release / "eqtl" / "top_assoc.v4_rn8.tsv"
        path.write_text(full)  # alternate between the full and the truncated table
        if i % 2 == 0:
            _truncate(path, 5)
        proc = subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                                 "--quiet", "--force", str(release)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + rng.uniform(0.3, 4.0)
        while time.monotonic() < deadline and proc.poll() is None:
            glob = _glob_counts(db)
            assert glob in states, glob  # during the ingest: old or new, never doubled
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        glob = _glob_counts(db)
        assert glob in states, glob
        out = _cli(db, "sql", "SELECT 1 AS one")  # any command
        assert out.returncode == 0, out.stderr
        assert _glob_counts(db) == _view_counts(db)
    assert not list(db.glob(".staging/**/*.parquet"))


def _hold_ingest_lock(db: Path) -> subprocess.Popen:
    code = ("import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); sys.stdin.read()")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db / ".ingest.lock")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_copy_with_the_original_moved_away(release, tmp_path):
    """A copied db answers from its own files: through the Python API even when it cannot write
    (here: another process holds its writer lock), through the CLI, and through stock DuckDB
    after one ratgtex-db command."""
    a = tmp_path / "a" / "db"
    assert not ingest([release], a).failed
    expected = _view_counts(a)
    b = tmp_path / "copy" / "db"
    shutil.copytree(a, b)
    gone = tmp_path / "moved-away"
    shutil.move(str(a.parent), str(gone))

    lock = _hold_ingest_lock(b)
    try:
        with ratgtex_db.open(b) as h:  # cannot rewrite its catalog: re-pointed in memory
            assert {t: int(h.sql(f"SELECT count(*) AS n FROM {t}")["n"][0])
                    for t in TABLES} == expected
            sql = h.sql("SELECT sql FROM duckdb_views() WHERE view_name = 'lake_top_assoc' "
                        "AND database_name = 'memory'")["sql"][0]
        assert str(b.resolve()) in sql and str(gone) not in sql
        assert not (b / "catalog.duckdb").samefile(gone / "db" / "catalog.duckdb")
    finally:
        lock.stdin.close()
        lock.wait()

    out = _cli(b, "sql", "SELECT count(*) AS n FROM top_assoc")
    assert out.returncode == 0, out.stderr
    assert str(expected["top_assoc"]) in out.stdout.split()
    # that command rewrote the copy's catalog and re-linked its lake (copytree had made every
    # lake file a second copy of its object)
    for part in (b / "lake").rglob("part-0.parquet"):
        assert any(part.samefile(o) for o in (b / ".store").rglob("*.parquet")), part
    code = ("import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
            f"print(json.dumps([con.execute('SELECT count(*) FROM ' + t).fetchone()[0] "
            f"for t in {list(TABLES)!r}]))")
    got = subprocess.run([sys.executable, "-c", code, str(b / "catalog.duckdb")], cwd="/",
                         capture_output=True, text=True, check=True)
    assert json.loads(got.stdout) == [expected[t] for t in TABLES]
    con = duckdb.connect(str(b / "catalog.duckdb"), read_only=True)
    try:
        text = " ".join(r[0] for r in con.execute("SELECT sql FROM duckdb_views()").fetchall())
    finally:
        con.close()
    assert str(b.resolve()) in text and str(gone) not in text


def test_a_copy_never_reads_the_originals_files(release, tmp_path):
    """With the original still in place, a copy's queries read the copy: remove the original's
    objects and the copy still answers."""
    a = tmp_path / "a"
    assert not ingest([release / "eqtl"], a).failed
    b = tmp_path / "b"
    shutil.copytree(a, b)
    shutil.rmtree(a / ".store")
    shutil.rmtree(a / "lake")
    with ratgtex_db.open(b) as h:
        assert h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0] > 0


def test_a_copy_keeps_its_objects_when_garbage_collection_is_due(release, tmp_path):
    """cp -r and copytree do not keep hard links, so no snapshot of a copy shares the inode of
    its catalog.duckdb: garbage collection after the grace period (as at any later open) must
    still keep every object the catalog names."""
    a = tmp_path / "a"
    assert not ingest([release / "eqtl"], a).failed
    expected = _view_counts(a)
    b = tmp_path / "b"
    shutil.copytree(a, b)
    objects = sorted(p.relative_to(b) for p in (b / ".store").rglob("*.parquet"))
    (b / ".store" / lake.GC_DUE_NAME).write_text("0")  # the grace period is over
    os.environ["RATGTEX_DB_GC_GRACE"] = "0"
    try:
        with ratgtex_db.open(b) as h:  # runs the collection first
            got = {t: int(h.sql(f"SELECT count(*) AS n FROM {t}")["n"][0]) for t in TABLES}
    finally:
        del os.environ["RATGTEX_DB_GC_GRACE"]
    assert got == expected
    assert sorted(p.relative_to(b) for p in (b / ".store").rglob("*.parquet")) == objects


def test_a_stock_session_holding_the_catalog_for_writing_blocks_nothing(release, tmp_path):
    """Someone ran `duckdb catalog.duckdb` (read-write): ratgtex-db still answers and ingests."""
    db = tmp_path / "db"
    ingest([release / "eqtl"], db)
    holder = Holder("writer", db)
    try:
        with ratgtex_db.open(db) as h:
            assert h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0] > 0
        report = ingest([release / "xqtl"], db)
        assert not report.failed
        with ratgtex_db.open(db) as h:
            assert h.sql("SELECT count(*) AS n FROM cis_qtl_signif")["n"][0] > 0
    finally:
        holder.close()


# --- the DuckDB versions users have ---------------------------------------------------------

CACHE = Path(os.environ.get("RATGTEX_DB_TEST_CACHE",
                            Path.home() / ".cache" / "ratgtex-db-tests"))


def _pip_target(spec: str) -> Path:
    """Install ``spec`` into a cached folder of its own (once per machine)."""
    target = CACHE / spec.replace("==", "-")
    if (target / ".done").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    got = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                          "--target", str(target), spec], capture_output=True, text=True)
    if got.returncode != 0:
        pytest.skip(f"cannot install {spec} here: {got.stderr.strip()[-300:]}")
    (target / ".done").write_text("ok")
    return target


@pytest.fixture(scope="module")
def duckdb_1_1() -> Path:
    return _pip_target("duckdb==1.1.3")


@pytest.fixture(scope="module")
def duckdb_cli_1_5() -> Path:
    binary = _pip_target("duckdb-cli==1.5.6") / "duckdb_cli" / "duckdb"
    assert binary.exists(), binary
    binary.chmod(0o755)
    return binary


def _public_views(db: Path) -> list[str]:
    with ratgtex_db.open(db) as h:
        return sorted(h.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal "
                            "AND schema_name = 'main' AND database_name = 'ratgtex'")
                      ["view_name"].to_list())


OLD_PY = r"""
import duckdb, json, sys
db, views = sys.argv[1], sys.argv[2].split(",")
con = duckdb.connect(db + "/catalog.duckdb", read_only=True)
counts = {v: con.execute(f"SELECT count(*) FROM {v}").fetchone()[0] for v in views}
att = duckdb.connect()
att.execute(f"ATTACH '{db}/catalog.duckdb' AS rg (READ_ONLY)")
att.execute("USE rg")
attached = att.execute("SELECT count(*) FROM cis_qtl_signif").fetchone()[0]
lake = duckdb.connect().execute(
    f"SELECT count(*) FROM read_parquet('{db}/lake/cis_qtl_signif/**/*.parquet', "
    "hive_partitioning = true)").fetchone()[0]
print(json.dumps({"version": duckdb.__version__, "counts": counts, "attached": attached,
                  "lake": lake}))
"""


def test_catalog_and_lake_open_in_python_duckdb_1_1(tiny_db, duckdb_1_1):
    """Our lower bound reads the catalog (every view answers), the ATTACH pattern of the
    README, and the lake by glob."""
    views = _public_views(tiny_db)
    got = subprocess.run([sys.executable, "-c", OLD_PY, str(tiny_db), ",".join(views)],
                         env={**os.environ, "PYTHONPATH": str(duckdb_1_1)}, cwd="/",
                         capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    out = json.loads(got.stdout)
    assert out["version"] == "1.1.3"
    with ratgtex_db.open(tiny_db) as h:
        for v in views:
            assert out["counts"][v] == h.sql(f"SELECT count(*) AS n FROM {v}")["n"][0], v
        n = h.sql("SELECT count(*) AS n FROM cis_qtl_signif")["n"][0]
    assert out["attached"] == n and out["lake"] == n


def test_catalog_opens_in_the_stock_duckdb_cli_1_5(tiny_db, duckdb_cli_1_5):
    views = _public_views(tiny_db)
    query = "; ".join(f"SELECT '{v}' AS v, count(*) AS n FROM {v}" for v in views) + ";"
    got = subprocess.run([str(duckdb_cli_1_5), "-readonly", "-csv", "-noheader",
                          str(tiny_db / "catalog.duckdb"), "-c", query],
                         capture_output=True, text=True, cwd="/")
    assert got.returncode == 0, got.stderr
    counts = dict(line.split(",") for line in got.stdout.split())
    with ratgtex_db.open(tiny_db) as h:
        for v in views:
            assert int(counts[v]) == h.sql(f"SELECT count(*) AS n FROM {v}")["n"][0], v
    attach = (f"ATTACH '{tiny_db}/catalog.duckdb' AS rg (READ_ONLY); "
              "SELECT count(*) FROM rg.top_assoc;")
    got = subprocess.run([str(duckdb_cli_1_5), "-csv", "-noheader", "-c", attach],
                         capture_output=True, text=True, cwd="/")
    assert got.returncode == 0, got.stderr
    assert int(got.stdout.split()[-1]) == int(counts["top_assoc"])


def _make_legacy(db: Path) -> None:
    """Rewrite a database by hand in the layout of ratgtex-db 0.1 (catalog schema 1): files
    named directly under lake/, internal tables and ``_lake_*`` views in main."""
    from ratgtex_db.manifest import SCHEMA_SQL

    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        files = con.execute("SELECT table_name, partition, file, rows, bytes, source "
                            "FROM _ratgtex.lake_files").fetchall()
        manifest = con.execute("SELECT * FROM ingested_files").fetchall()
    finally:
        con.close()
    shutil.rmtree(db / "lake")
    for _t, _p, rel, *_ in files:
        (db / "lake" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(db / ".store" / rel), str(db / "lake" / rel))
    for name in (".store", ".snapshots"):
        shutil.rmtree(db / name)
    (db / "catalog.duckdb").unlink()
    con = duckdb.connect(str(db / "catalog.duckdb"))
    try:
        con.execute(SCHEMA_SQL)
        con.execute("CREATE TABLE _lake_files (table_name VARCHAR, partition VARCHAR, "
                    "file VARCHAR, rows BIGINT, bytes BIGINT, source VARCHAR)")
        con.execute("CREATE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.executemany("INSERT INTO _lake_files VALUES (?, ?, ?, ?, ?, ?)",
                        [list(f) for f in files])
        con.executemany(f"INSERT INTO ingested_files VALUES ({', '.join('?' * 13)})",
                        [list(r) for r in manifest])
        con.execute("INSERT INTO _meta VALUES ('schema_version', '1'), ('db_dir', ?)",
                    [str(db.resolve())])
        top = [str(db / "lake" / f[2]) for f in files if f[0] == "top_assoc"]
        con.execute(f"CREATE VIEW top_assoc AS SELECT * FROM read_parquet({top!r})")
    finally:
        con.close()


def test_a_catalog_of_ratgtex_db_0_1_is_converted_in_place(release, tmp_path):
    """A schema-1 database opens (the first command converts it) with the same rows, in the
    new layout; a schema-1 database also takes a new ingest."""
    db = tmp_path / "db"
    assert not ingest([release / "eqtl"], db).failed
    expected = _view_counts(db)
    twin = tmp_path / "twin"
    shutil.copytree(db, twin)
    for d in (db, twin):
        _make_legacy(d)
    assert _view_counts(db) == expected
    assert (db / ".store").is_dir() and _glob_counts(db) == expected
    report = ingest([release], twin)
    assert not report.failed
    with ratgtex_db.open(twin) as h:
        assert h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0] == expected["top_assoc"]
        assert h.sql("SELECT count(*) AS n FROM cis_qtl_signif")["n"][0] > 0
