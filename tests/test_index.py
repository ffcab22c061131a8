"""The gene index of the catalog (``_ratgtex.gene_index``): built by each ingest commit from the
committed objects, kept in line when a partition is replaced, and used by ``assoc --gene`` to
open only the partitions that hold the gene, with the same answer as a scan of every file."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

import ratgtex_db
from ratgtex_db import index, lake
from ratgtex_db.ingest import ingest
from ratgtex_db.paths import store_dir

KEYS = ("tissue", "modality")


def _distinct_genes_per_object(db: Path) -> set[tuple[str, str]]:
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        files = [r[0] for r in con.execute(
            "SELECT file FROM _ratgtex.lake_files WHERE table_name = 'cis_qtl_signif'"
        ).fetchall()]
        got = set(con.execute("SELECT file, gene_id FROM _ratgtex.gene_index "
                              "WHERE table_name = 'cis_qtl_signif'").fetchall())
    finally:
        con.close()
    want = set()
    for rel in files:
        for (g,) in duckdb.connect().execute(
                "SELECT DISTINCT gene_id FROM read_parquet(?)",
                [str(store_dir(db) / rel)]).fetchall():
            want.add((rel, g))
    assert got == want
    return got


def test_index_holds_each_objects_genes(tiny_db: Path):
    rows = _distinct_genes_per_object(tiny_db)
    assert len({f for f, _ in rows}) > 1


def test_assoc_opens_only_the_partitions_holding_the_gene(tiny_db: Path):
    with ratgtex_db.open(tiny_db) as db:
        con = db.connection
        counts = con.execute(
            "SELECT gene_id, count(DISTINCT tissue || '/' || modality) AS n FROM cis_qtl_signif "
            "GROUP BY 1 ORDER BY n, gene_id").fetchall()
        gene, n = counts[0]
        total = con.execute("SELECT count(DISTINCT tissue || '/' || modality) "
                            "FROM cis_qtl_signif").fetchone()[0]
        assert n < total
        parts = index.partitions(con, "cis_qtl_signif", [gene], KEYS)
        assert len(parts) == n
        assert index.partitions(con, "cis_qtl_signif", ["NoSuchGene"], KEYS) == []
        got = db.assoc(gene).to_arrow()
        full = con.sql("SELECT * FROM cis_qtl_signif WHERE gene_id = ?",
                       params=[gene]).to_arrow_table()
        assert got.num_rows == full.num_rows > 0
        assert sorted(got.column("variant_id").to_pylist()) == sorted(
            full.column("variant_id").to_pylist())
        assert {f"{t}/{m}" for t, m in zip(got.column("tissue").to_pylist(),
                                           got.column("modality").to_pylist(),
                                           strict=True)} == set(parts)


def _drop_index_of(db: Path, table: str, files: list[str]) -> None:
    """Publish a snapshot in which ``files`` are not indexed (as a catalog written before the
    index existed would be)."""
    with lake.IngestLock(db), lake.snapshot(db) as con:
        for t in ("gene_index", "indexed_files"):
            con.execute(f"DELETE FROM _ratgtex.{t} WHERE table_name = ? AND list_contains(?, file)",
                        [table, files])


def test_unindexed_partitions_are_always_scanned(tiny_db: Path, tmp_path: Path):
    db = tmp_path / "db"
    shutil.copytree(tiny_db, db)
    with ratgtex_db.open(db) as h:
        gene = h.sql("SELECT gene_id FROM cis_qtl_signif LIMIT 1")["gene_id"][0]
        want = h.assoc(gene).height
        every = h.sql("SELECT file FROM _ratgtex.lake_files "
                      "WHERE table_name = 'cis_qtl_signif'")["file"].to_list()
    _drop_index_of(db, "cis_qtl_signif", every[:2])
    with ratgtex_db.open(db) as h:
        parts = index.partitions(h.connection, "cis_qtl_signif", ["NoSuchGene"], KEYS)
        assert len(parts) == 2  # the two unindexed partitions
        assert h.assoc(gene).height == want


def test_reingest_replaces_the_index_rows_of_a_partition(tiny_v4: Path, tmp_path: Path):
    src = tmp_path / "v4" / "xqtl"
    src.mkdir(parents=True)
    name = "cis_qtl_signif.BLA.expression.v4_rn8.txt.gz"
    shutil.copy(tiny_v4 / "xqtl" / name, src / name)
    db = tmp_path / "db"
    assert not ingest([tmp_path / "v4"], db).failed
    before = _distinct_genes_per_object(db)
    # the same partition again, with only the first phenotype's rows
    import gzip

    lines = gzip.decompress((src / name).read_bytes()).decode().splitlines()
    first = lines[1].split("\t")[0]
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split("\t")[0] == first]
    (src / name).write_bytes(gzip.compress(("\n".join(keep) + "\n").encode()))
    assert not ingest([tmp_path / "v4"], db).failed
    after = _distinct_genes_per_object(db)
    assert len({g for _, g in after}) == 1 < len({g for _, g in before})
    assert not {f for f, _ in after} & {f for f, _ in before}


@pytest.mark.parametrize("gene_ids", [[], ["NoSuchGene"]])
def test_assoc_for_a_gene_in_no_partition_is_empty(tiny_db: Path, gene_ids: list[str]):
    with ratgtex_db.open(tiny_db) as db:
        parts = index.partitions(db.connection, "cis_qtl_signif", gene_ids, KEYS)
        assert parts == []


def _index_state(db: Path) -> tuple[list[tuple[str, str, str]], int]:
    """``gene_index`` rows in storage order, and the rows appended since its last sort."""
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT table_name, gene_id, file FROM _ratgtex.gene_index "
                           "ORDER BY rowid").fetchall()
        (tail,) = con.execute("SELECT CAST(value AS BIGINT) FROM _ratgtex.meta "
                              "WHERE key = ?", [index.UNSORTED_KEY]).fetchone()
    finally:
        con.close()
    return rows, tail


def test_the_index_stays_sorted_but_for_a_bounded_tail(tiny_v4: Path, tmp_path: Path):
    """Each ingest appends its objects' genes; once the appended rows exceed RESORT_SHARE of
    the table, the table is stored sorted again. So at every snapshot the rows before the tail
    are in (table, gene, file) order and the tail is at most that share, and lookups answer
    the same throughout."""
    names = sorted(p.name for p in (tiny_v4 / "xqtl").glob("cis_qtl_signif.*.txt.gz"))[:8]
    src = tmp_path / "v4" / "xqtl"
    src.mkdir(parents=True)
    db = tmp_path / "db"
    tails, resorted_after_tail = [], False
    for name in names:
        shutil.copy(tiny_v4 / "xqtl" / name, src / name)
        assert not ingest([tmp_path / "v4"], db).failed
        rows, tail = _index_state(db)
        assert 0 <= tail <= index.RESORT_SHARE * len(rows)
        head = rows[:len(rows) - tail]
        assert head == sorted(head)
        if tails and tails[-1] > 0 and tail == 0:
            resorted_after_tail = True
        tails.append(tail)
        assert {(f, g) for _, g, f in rows} == _distinct_genes_per_object(db)
    assert any(tails) and resorted_after_tail, tails
    with ratgtex_db.open(db) as h:
        con = h.connection
        for gene in {g for _, g, _ in rows[::7]}:
            want = sorted(r[0] for r in con.execute(
                "SELECT DISTINCT tissue || '/' || modality FROM cis_qtl_signif "
                "WHERE gene_id = ?", [gene]).fetchall())
            assert index.partitions(con, "cis_qtl_signif", [gene], KEYS) == want != []
