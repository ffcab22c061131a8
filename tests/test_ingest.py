"""Ingest of the tiny synthetic release: every view against counts taken from the source files."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

import ratgtex_db
from ratgtex_db.ingest import ingest
from ratgtex_db.registry import match

# -- independent counts, straight from the files (no ratgtex_db reader involved) -------------


def _lines(path: Path) -> list[str]:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rt", newline="") as f:
        return [ln.rstrip("\r\n") for ln in f if ln.strip()]


def _count(path: Path) -> int:
    """Rows a file contributes to its (first) table, counted the simple way."""
    m = match(path.name)
    layout = m.kind.layout
    if layout == "zip":
        with zipfile.ZipFile(path) as zf:
            return sum(len(zf.read(n).decode().strip().splitlines()) - 1
                       for n in zf.namelist() if not n.endswith("/"))
    lines = _lines(path)
    if layout in ("rat_ids", "fastq_map"):
        return len(lines)
    header = lines[0].split("\t")
    data = len(lines) - 1
    if layout == "bed":
        return data * (len(header) - 4)
    if layout in ("covar", "median"):
        return data * (len(header) - 1)
    if layout == "gene":
        return data
    return data


@pytest.fixture(scope="module")
def db_dir(tiny_v4: Path, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("db")
    report = ingest([tiny_v4], d)
    assert not report.failed, [r.message for r in report.failed]
    return d


def _files(tiny_v4: Path) -> list[Path]:
    return sorted(p for p in tiny_v4.rglob("*") if p.is_file() and match(p.name))


def _con(db_dir: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db_dir / "catalog.duckdb"), read_only=True)


def test_every_view_has_the_source_row_count(db_dir, tiny_v4):
    """Row count of each table = rows in its source files, counted independently."""
    expected: dict[str, int] = {}
    tpm_copies = 0
    for path in _files(tiny_v4):
        m = match(path.name)
        if m.kind.layout in ("skip", "vcf"):
            continue
        n = _count(path)
        if m.kind.name == "expr" and m.values["unit"] == "tpm":
            tpm_copies += n  # skipped as a byte copy, served by the expression view
            continue
        expected[m.kind.tables[0]] = expected.get(m.kind.tables[0], 0) + n
    con = _con(db_dir)
    try:
        for table, n in expected.items():
            got = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            if table == "expression":
                n += tpm_copies
            assert got == n, table
        # gene flags: one status row per gene and tissue of the flag columns
        genes = _lines(tiny_v4 / "gene.v4.tsv")
        tissues = {c.split("_", 1)[1] for c in genes[0].split("\t") if c.startswith("expr_")}
        got = con.execute("SELECT count(*) FROM gene_tissue_status").fetchone()[0]
        assert got == (len(genes) - 1) * len(tissues)
    finally:
        con.close()


def test_manifest_records_every_file(db_dir, tiny_v4):
    con = _con(db_dir)
    try:
        rows = con.execute(
            "SELECT path, kind, status, sha256, bytes, rows_read, rows_written, synthetic "
            "FROM ingested_files"
        ).fetchall()
    finally:
        con.close()
    by_path = {Path(r[0]).name: r for r in rows}
    for path in _files(tiny_v4):
        r = by_path[path.name]
        assert r[4] == path.stat().st_size
        assert r[7] is True, "synthetic release must be marked"
        if r[2] == "ingested":
            assert len(r[3]) == 64
    statuses = {Path(r[0]).name: (r[2], r[1]) for r in rows}
    assert all(s in ("ingested", "skipped") for s, _ in statuses.values())
    assert any(k == "autocomplete" and s == "skipped" for s, k in statuses.values())
    assert any(k == "expr" and s == "skipped" for s, k in statuses.values())


def test_spot_values(db_dir, tiny_v4):
    """Hex ids stay strings, each p-value notation parses, NA -> NULL, flags -> BOOLEAN."""
    con = _con(db_dir)
    try:
        # a rat id that a float parser would take for a number (e.g. 12345E1234) stays text
        rat_ids = [ln for p in (tiny_v4 / "rat_ids").iterdir() for ln in _lines(p)]
        floaty = [r for r in rat_ids if re.fullmatch(r"\d+E\d+", r)]
        assert floaty, "the synthetic release should contain float-looking hex ids"
        n = con.execute("SELECT count(*) FROM rat_ids WHERE rat_id = ?", [floaty[0]]).fetchone()
        assert n[0] >= 1
        assert con.execute(
            "SELECT count(*) FROM phenotypes WHERE rat_id = ?", [floaty[0]]).fetchone()[0] > 0
        # p-values in the pandas dialect (1.2e-05) in signif files
        path = next((tiny_v4 / "xqtl").glob("cis_qtl_signif.*.expression.*.txt.gz"))
        lines = _lines(path)
        hdr = lines[0].split("\t")
        for ln in lines[1:]:
            f = dict(zip(hdr, ln.split("\t"), strict=True))
            if re.search(r"e-0\d", f["pval_nominal"]):
                break
        tissue = path.name.split(".")[1]
        got = con.execute(
            "SELECT pval_nominal FROM cis_qtl_signif WHERE tissue = ? AND modality = 'expression'"
            " AND phenotype_id = ? AND variant_id = ?",
            [tissue, f["phenotype_id"], f["variant_id"]],
        ).fetchone()[0]
        assert got == float(f["pval_nominal"])
        # readr dialect (e.g. 1e-5, 3e3) and NA in eqtl/top_assoc
        lines = _lines(tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv")
        hdr = lines[0].split("\t")
        rows = [dict(zip(hdr, ln.split("\t"), strict=True)) for ln in lines[1:]]
        for r in rows:
            got = con.execute(
                "SELECT pval_nominal, log2_aFC, ref FROM top_assoc WHERE tissue = ? AND "
                "gene_id = ?", [r["tissue"], r["gene_id"]]).fetchone()
            assert got[0] == float(r["pval_nominal"])
            assert (got[1] is None) == (r["log2_aFC"] == "NA")
            assert (got[2] is None) == (r["ref"] == "NA")
        # flags are BOOLEAN
        t = con.execute("SELECT typeof(expressed), typeof(has_eqtl) FROM gene_tissue_status "
                        "JOIN genes USING (version, gene_id) LIMIT 1").fetchone()
        assert t == ("BOOLEAN", "BOOLEAN")
        # rats with NA sex come back NULL, hex colours stay strings
        assert con.execute("SELECT typeof(color_hex) FROM tissues LIMIT 1").fetchone()[0] == \
            "VARCHAR"
    finally:
        con.close()


def _lake_state(db_dir: Path) -> dict[str, tuple[int, float]]:
    return {str(p.relative_to(db_dir)): (p.stat().st_ino, p.stat().st_mtime)
            for p in (db_dir / "lake").rglob("*.parquet")}


def test_reingest_is_incremental(tiny_release, tmp_path):
    """Twice = nothing rewritten; one changed file = only its partition rewritten."""
    release = tmp_path / "release"
    shutil.copytree(tiny_release, release)
    db = tmp_path / "db"
    first = ingest([release / "data"], db)
    assert not first.failed
    before = _lake_state(db)
    again = ingest([release / "data"], db)
    assert again.count("ingested") == 0
    assert _lake_state(db) == before
    # change one file: its partition (and only it) is replaced
    path = release / "data" / "v4" / "eqtl" / "top_assoc.v4_rn8.tsv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]))  # drop the last row
    third = ingest([release / "data"], db)
    assert [Path(r.path).name for r in third.results if r.status == "ingested"] == [path.name]
    after = _lake_state(db)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed and all(k.startswith("lake/top_assoc/") for k in changed)
    with ratgtex_db.open(db) as dbh:
        n = dbh.sql("SELECT count(*) AS n FROM top_assoc")["n"][0]
    assert n == len(lines) - 2


def test_files_committed_together_leave_no_orphans(tiny_v4, tmp_path):
    """Commits are grouped: two files of one partition in one group keep only the later one's
    Parquet file, and the lake holds exactly the files the manifest names."""
    src = tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv"
    lines = src.read_text().splitlines(keepends=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / src.name).write_text("".join(lines))
    (tmp_path / "b" / src.name).write_text("".join(lines[:-3]))
    db = tmp_path / "db"
    report = ingest([tmp_path / "a", tmp_path / "b", tiny_v4 / "xqtl"], db)
    assert not report.failed and report.count("ingested") > 2
    last = [r.path for r in report.results if Path(r.path).name == src.name][-1]
    with ratgtex_db.open(db) as dbh:
        n = dbh.sql("SELECT count(*) AS n FROM top_assoc")["n"][0]
        listed = dbh.sql("SELECT partition, file FROM _ratgtex.lake_files").rows()
        assert dbh.validate().height == 0
    assert n == len(Path(last).read_text().splitlines()) - 1
    named = {f for _, f in listed}
    in_store = {p.relative_to(db / ".store").as_posix()
                for p in (db / ".store").rglob("*.parquet")}
    assert in_store == named  # the replaced object of the group was never kept
    visible = {p.relative_to(db / "lake").as_posix() for p in (db / "lake").rglob("*.parquet")}
    assert visible == {f"{part}/part-0.parquet" for part, _ in listed}
    assert len([f for f in named if f.startswith("top_assoc/")]) == 1


def test_a_source_whose_partition_another_replaced_is_marked_and_comes_back(tiny_v4, tmp_path):
    """Two files of one partition: the later one's rows stand, the run says whose rows it
    replaced, the earlier one is 'replaced' in the manifest (its row count no longer claims
    the lake), and ingesting it again is not skipped as unchanged: its rows come back."""
    src = tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv"
    lines = src.read_text().splitlines(keepends=True)
    a, b = tmp_path / "a" / src.name, tmp_path / "b" / src.name
    a.parent.mkdir()
    b.parent.mkdir()
    a.write_text("".join(lines))
    b.write_text("".join(lines[:4]))
    db = tmp_path / "db"
    assert not ingest([a], db).failed
    report = ingest([b], db)
    (res,) = [r for r in report.results if r.path == str(b)]
    assert res.status == "ingested" and str(a) in (res.message or "")

    def state():
        with ratgtex_db.open(db) as h:
            status = dict(h.sql("SELECT path, status FROM ingested_files").rows())
            return status, h.sql("SELECT count(*) AS n FROM top_assoc")["n"][0]

    assert state() == ({str(a): "replaced", str(b): "ingested"}, 3)
    with ratgtex_db.open(db) as h:  # the counts add up: 2 files = 1 ingested + 1 replaced
        row = h.versions().row(0, named=True)
        assert (row["files"], row["files_ingested"], row["files_replaced"]) == (2, 1, 1)
    again = ingest([a], db)
    assert again.count("ingested") == 1
    assert state() == ({str(a): "ingested", str(b): "replaced"}, len(lines) - 1)


def test_moved_database_still_opens(tiny_v4, tmp_path):
    db = tmp_path / "db"
    ingest([tiny_v4 / "eqtl"], db)
    moved = tmp_path / "elsewhere" / "db2"
    moved.parent.mkdir()
    shutil.move(str(db), str(moved))
    with ratgtex_db.open(moved) as dbh:
        n = dbh.sql("SELECT count(*) AS n FROM eqtls_indep")["n"][0]
    assert n == len(_lines(tiny_v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv")) - 1


def test_stock_duckdb_reads_catalog_from_any_directory(db_dir):
    """A plain duckdb process started in / opens the catalog and reads the views."""
    code = (
        "import duckdb, json, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
        "print(json.dumps(con.execute('SELECT count(*) FROM cis_qtl_signif').fetchone()[0]))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(db_dir / "catalog.duckdb")],
                         cwd="/", capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) > 0


def test_lake_is_plain_hive_parquet(db_dir):
    """Any Parquet engine reads the lake: polars scans it with hive partitions."""
    import polars as pl

    df = pl.scan_parquet(str(db_dir / "lake" / "cis_qtl_signif" / "**" / "*.parquet"),
                         hive_partitioning=True).select(pl.len()).collect()
    con = _con(db_dir)
    try:
        assert df.item() == con.execute("SELECT count(*) FROM cis_qtl_signif").fetchone()[0]
    finally:
        con.close()


def test_a_file_whose_commit_fails_fails_alone(tiny_v4, tmp_path):
    """Files are committed in groups; when one cannot be swapped in (here its partition
    directory in the object store is blocked by a plain file), the group is retried file by
    file: that file fails with its reason and the others of the group are ingested."""
    db = tmp_path / "db"
    blocked = db / ".store" / "top_assoc" / "version=v4"
    blocked.parent.mkdir(parents=True)
    blocked.write_text("not a directory")
    report = ingest([tiny_v4 / "eqtl"], db)
    failed = {Path(r.path).name: r.message for r in report.failed}
    assert list(failed) == ["top_assoc.v4_rn8.tsv"], failed
    assert "top_assoc.v4_rn8.tsv" in failed["top_assoc.v4_rn8.tsv"]
    assert report.count("ingested") >= 2
    with ratgtex_db.open(db) as dbh:
        assert dbh.sql("SELECT count(*) AS n FROM eqtls_indep")["n"][0] > 0
        assert dbh.sql("SELECT count(*) AS n FROM top_assoc")["n"][0] == 0
        status = dict(dbh.sql("SELECT path, status FROM ingested_files").rows())
    assert sum(s == "failed" for s in status.values()) == 1
    blocked.unlink()  # unblocked: the next run ingests it
    again = ingest([tiny_v4 / "eqtl"], db)
    assert not again.failed and [Path(r.path).name for r in again.results
                                 if r.status == "ingested"] == ["top_assoc.v4_rn8.tsv"]


def test_missing_source_is_a_one_line_error_and_creates_nothing(tmp_path):
    db = tmp_path / "db"
    out = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                          str(tmp_path / "nope")], capture_output=True, text=True)
    assert out.returncode == 1
    assert "nope: no such file or directory" in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert not db.exists()


def test_folder_without_release_files_is_an_error_and_creates_nothing(tmp_path):
    src = tmp_path / "notes"
    src.mkdir()
    (src / "README.txt").write_text("not a release\n")
    db = tmp_path / "db"
    with pytest.raises(ratgtex_db.RatgtexError, match="no RatGTEx release file found"):
        ingest([src], db)
    assert not db.exists()


def test_exons_keep_the_file_order(tmp_path):
    """The portal's /exon returns a gene's exons in exon.v4.tsv's row order, so the lake keeps
    it (a minus-strand gene listed by position: exon 2 before exon 1)."""
    v4 = tmp_path / "v4"
    v4.mkdir()
    (v4 / "exon.v4.tsv").write_text(
        "chromosome\tend\texonId\texonNumber\tfeatureType\tgeneId\tstart\tstrand\ttranscriptId\n"
        "chr1\t2110000\tCbln1_2\t2\texon\tCbln1\t2109000\t-\tCbln1\n"
        "chr1\t2100500\tCbln1_1\t1\texon\tCbln1\t2100000\t-\tCbln1\n"
        "chr1\t1100500\tGad1_1\t1\texon\tGad1\t1100000\t+\tGad1\n")
    assert not ingest([v4], tmp_path / "db").failed
    con = ratgtex_db.open(tmp_path / "db").connection
    from ratgtex_db import queries

    got = [r[2] for r in queries.execute(con, "portal_exons",
                                         {"version": "v4", "gene_id": "Cbln1"}).rows()]
    assert got == ["Cbln1_2", "Cbln1_1"]


def test_a_byte_order_mark_before_the_header_is_not_part_of_the_first_column(tiny_v4, tmp_path):
    """A file re-saved by a spreadsheet starts with a UTF-8 BOM: the header still binds."""
    src = tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv"
    bom = tmp_path / "src" / src.name
    bom.parent.mkdir()
    bom.write_bytes(b"\xef\xbb\xbf" + src.read_bytes())
    db = tmp_path / "db"
    assert not ingest([bom], db).failed
    with ratgtex_db.open(db) as h:
        n, tissues = h.sql("SELECT count(*), count(DISTINCT tissue) FROM top_assoc").row(0)
    assert n == len(_lines(src)) - 1 and tissues > 1


def test_two_byte_copies_of_a_release_settle(tiny_v4, tmp_path):
    """Two identical copies of a release ingested together: the second run has nothing to do
    (a byte copy displaces nothing, so neither copy is marked replaced)."""
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(tiny_v4 / "eqtl", a)
    shutil.copytree(tiny_v4 / "eqtl", b)
    db = tmp_path / "db"
    first = ingest([a, b], db)
    assert not first.failed and not any(r.message for r in first.results
                                        if r.status == "ingested")
    again = ingest([a, b], db)
    assert again.count("ingested") == 0
    with ratgtex_db.open(db) as h:
        assert set(h.sql("SELECT DISTINCT status FROM ingested_files")["status"]) == {"ingested"}
