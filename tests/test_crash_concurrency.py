"""kill -9 during ingest, readers during ingest, two ingests at once: nothing is lost."""

from __future__ import annotations

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
from ratgtex_db.ingest import ingest


def _ingest_proc(db: Path, src: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                             "--quiet", *extra, str(src)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _check_consistent(db: Path, expected: dict[str, int]) -> None:
    """Catalog opens; every listed file exists and reads; each table has its full count or 0
    rows, never a partial one (tables were either committed before the kill or not)."""
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        for (rel,) in con.execute("SELECT file FROM _ratgtex.lake_files").fetchall():
            assert (db / ".store" / rel).exists(), rel
        for table, n in expected.items():
            got = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            assert got == n, (table, got, n)
    finally:
        con.close()


def test_kill_9_at_random_moments(tiny_v4, tmp_path):
    """Repeatedly kill an ingest; old data stays intact; the next ingest finishes and cleans."""
    db = tmp_path / "db"
    eqtl = tiny_v4 / "eqtl"
    assert not ingest([eqtl], db).failed
    with ratgtex_db.open(db) as h:
        base = {t: h.sql(f"SELECT count(*) AS n FROM {t}")["n"][0]
                for t in ("top_assoc", "eqtls_indep", "gene_esnps")}
    rng = random.Random(11)
    for _ in range(7):  # moments over the whole run: 0.3-3 s into an ingest of ~3 s
        proc = _ingest_proc(db, tiny_v4, "--force")
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _check_consistent(db, base)  # the eqtl tables are always complete (old or re-ingested)
    proc = _ingest_proc(db, tiny_v4)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    _check_consistent(db, base)
    assert not (db / ".staging").exists() or not any((db / ".staging").rglob("*.parquet"))
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        listed = {r[0] for r in con.execute(
            "SELECT partition || '/part-0.parquet' FROM _ratgtex.lake_files").fetchall()}
    finally:
        con.close()
    on_disk = {p.relative_to(db / "lake").as_posix() for p in (db / "lake").rglob("*.parquet")}
    assert on_disk == listed  # no orphan from a killed run survives the next ingest


READER = """
import os, sys, time, ratgtex_db
db, n_old, n_new, stop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
seen, errors = set(), []
deadline = time.time() + 120
while not os.path.exists(stop) and time.time() < deadline:
    try:
        with ratgtex_db.open(db) as h:
            seen.add(int(h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0]))
    except Exception as e:
        errors.append(repr(e))
    time.sleep(0.01)
print(sorted(seen)); print(errors)
"""


def test_reader_during_ingest_sees_old_or_new(tiny_v4, tmp_path):
    src = tmp_path / "src"
    shutil.copytree(tiny_v4, src)
    db = tmp_path / "db"
    assert not ingest([src], db).failed
    path = src / "eqtl" / "top_assoc.v4_rn8.tsv"
    lines = path.read_text().splitlines(keepends=True)
    n_old = len(lines) - 1
    path.write_text("".join(lines[:-3]))
    n_new = n_old - 3
    stop = tmp_path / "stop"  # the reader reads until the ingest is over, and a moment more
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(n_old), str(n_new),
                               str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    time.sleep(2)
    writer = _ingest_proc(db, src, "--force")
    _, werr = writer.communicate(timeout=300)
    time.sleep(1)
    stop.touch()
    out, rerr = reader.communicate(timeout=120)
    assert writer.returncode == 0, werr
    seen_line, errors_line = out.strip().splitlines()[-2:]
    seen = set(eval(seen_line))  # noqa: S307 - our own child's repr of a list of ints
    assert errors_line == "[]", errors_line
    assert seen <= {n_old, n_new} and n_new in seen, seen


def test_second_ingest_stops_with_a_clear_message(tiny_v4, tmp_path):
    db = tmp_path / "db"
    first = _ingest_proc(db, tiny_v4)
    deadline = time.time() + 60
    while not (db / ".ingest.lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    second = _ingest_proc(db, tiny_v4)
    out2, err2 = second.communicate(timeout=120)
    out1, err1 = first.communicate(timeout=300)
    assert first.returncode == 0, err1
    assert second.returncode == 1
    assert "another ingest is running" in err2
    assert not ingest([tiny_v4], db).failed  # and nothing is corrupt


def test_ingest_waits_for_a_readers_upkeep(tiny_v4, tmp_path):
    """A reader's upkeep (garbage collection, the snapshot of a copied directory) takes the
    writer's lock for a moment; an ingest started then waits for it instead of failing."""
    db = tmp_path / "db"
    db.mkdir()
    code = ("import sys, time; from pathlib import Path; from ratgtex_db.lake import IngestLock; "
            "lock = IngestLock(Path(sys.argv[1]), role='maintenance'); "
            "assert lock.acquire(quiet=True); print('locked', flush=True); time.sleep(2); "
            "lock.release()")
    upkeep = subprocess.Popen([sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE,
                              text=True)
    assert upkeep.stdout.readline().strip() == "locked"
    t0 = time.time()
    writer = _ingest_proc(db, tiny_v4)
    _, err = writer.communicate(timeout=300)
    upkeep.wait(timeout=60)
    assert writer.returncode == 0, err
    assert time.time() - t0 >= 1.5  # it did wait
    assert int(ratgtex_db.open(db).sql("SELECT count(*) AS n FROM ingested_files")["n"][0]) > 0


@pytest.mark.parametrize("name", ["with space", "ünïcödé ärten"])
def test_paths_with_spaces_and_unicode(tiny_v4, tmp_path, name):
    src = tmp_path / name / "release"
    shutil.copytree(tiny_v4 / "eqtl", src)
    db = tmp_path / f"db {name}"
    assert not ingest([src], db).failed
    with ratgtex_db.open(db) as h:
        assert h.sql("SELECT count(*) AS n FROM eqtls_indep")["n"][0] > 0
    assert os.path.isdir(db / "lake")
