"""Tables partitioned by values the rows carry (architecture section 3: `gene_tissue_status` is
partitioned by version and tissue, from the gene table's wide per-tissue flag columns)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ratgtex_db.ingest import ingest
from ratgtex_db.paths import catalog_path

HEAD = ("geneId\tchromosome\tstart\tend\tstrand\ttss\tdescription\thasEqtl\t"
        "{expr}\t{tested}\t{eqtl}\n")


def _gene_file(folder: Path, tissues: list[str]) -> Path:
    """A v4 gene table written by hand from release-format (two genes)."""
    folder.mkdir(parents=True, exist_ok=True)
    head = HEAD.format(expr="\t".join(f"expr_{t}" for t in tissues),
                       tested="\t".join(f"testedEqtl_{t}" for t in tissues),
                       eqtl="\t".join(f"eqtl_{t}" for t in tissues))
    rows = []
    for i, gene in enumerate(["Gx1", "Ax2"]):
        flags = [("True" if (i + j) % 2 == 0 else "False") for j in range(len(tissues))]
        rows.append(f"{gene}\tchr1\t{100 + i}\t{900 + i}\t+\t{100 + i}\td {i}\tTrue\t"
                    + "\t".join(flags) + "\t" + "\t".join(["True"] * len(tissues)) + "\t"
                    + "\t".join(["False"] * len(tissues)) + "\n")
    path = folder / "gene.v4.tsv"
    path.write_text(head + "".join(rows))
    return path


def _status(db: Path) -> list[tuple]:
    con = duckdb.connect(str(catalog_path(db)), read_only=True)
    try:
        return con.execute("SELECT version, tissue, gene_id, expressed, tested_eqtl, eqtl "
                           "FROM gene_tissue_status ORDER BY tissue, gene_id").fetchall()
    finally:
        con.close()


def test_one_partition_per_tissue_readable_without_our_code(tmp_path):
    rel = tmp_path / "rel" / "v4"
    _gene_file(rel, ["BLA", "NAcc", "Eye"])
    db = tmp_path / "db"
    report = ingest([rel], db)
    assert not report.failed, [r.message for r in report.failed]
    root = db / "lake" / "gene_tissue_status" / "version=v4"
    assert sorted(p.name for p in root.iterdir()) == ["tissue=BLA", "tissue=Eye", "tissue=NAcc"]
    for tissue_dir in root.iterdir():
        (f,) = tissue_dir.glob("*.parquet")
        assert "tissue" not in pq.read_schema(f).names  # the partition gives it
    assert _status(db) == [
        ("v4", "BLA", "Ax2", False, True, False), ("v4", "BLA", "Gx1", True, True, False),
        ("v4", "Eye", "Ax2", False, True, False), ("v4", "Eye", "Gx1", True, True, False),
        ("v4", "NAcc", "Ax2", True, True, False), ("v4", "NAcc", "Gx1", False, True, False),
    ]
    # any Parquet engine: a hive dataset over the lake folder gives the same rows
    got = ds.dataset(db / "lake" / "gene_tissue_status", format="parquet",
                     partitioning="hive").to_table()
    assert sorted(zip(got["tissue"].to_pylist(), got["gene_id"].to_pylist(),
                      strict=True)) == [(t, g) for _v, t, g, *_ in _status(db)]
    # every file sorted by gene
    for f in root.glob("*/*.parquet"):
        genes = pq.read_table(f)["gene_id"].to_pylist()
        assert genes == sorted(genes)


def test_a_tissue_gone_from_the_file_leaves_the_lake(tmp_path):
    rel = tmp_path / "rel" / "v4"
    _gene_file(rel, ["BLA", "NAcc"])
    db = tmp_path / "db"
    assert not ingest([rel], db).failed
    _gene_file(rel, ["NAcc"])
    report = ingest([rel], db)
    assert not report.failed, [r.message for r in report.failed]
    assert {t for _v, t, *_ in _status(db)} == {"NAcc"}
    root = db / "lake" / "gene_tissue_status" / "version=v4"
    assert [p.name for p in root.iterdir()] == ["tissue=NAcc"]
    con = duckdb.connect(str(catalog_path(db)), read_only=True)
    try:
        parts = con.execute("SELECT partition FROM _ratgtex.lake_files "
                            "WHERE table_name = 'gene_tissue_status'").fetchall()
    finally:
        con.close()
    assert parts == [("gene_tissue_status/version=v4/tissue=NAcc",)]


def test_a_header_only_gene_file_empties_the_table(tmp_path):
    rel = tmp_path / "rel" / "v4"
    path = _gene_file(rel, ["BLA"])
    db = tmp_path / "db"
    assert not ingest([rel], db).failed
    path.write_text(path.read_text().splitlines()[0] + "\n")
    report = ingest([rel], db)
    assert not report.failed, [r.message for r in report.failed]
    assert _status(db) == []
    assert not (db / "lake" / "gene_tissue_status" / "version=v4").exists()


def test_files_of_the_older_layout_still_read(tmp_path):
    """A lake written before the split kept one file per version with a `tissue` column; the
    view reads it beside new per-tissue files (until the gene table is ingested again)."""
    import pyarrow as pa

    from ratgtex_db.catalog import lake_view_sql
    from ratgtex_db.tables import TABLES

    table = TABLES["gene_tissue_status"]
    flags = {c: pa.array([True], pa.bool_()) for c in table.column_names if c != "gene_id"}
    old = tmp_path / "gene_tissue_status" / "version=v3" / "old.parquet"
    old.parent.mkdir(parents=True)
    pq.write_table(pa.table({"tissue": ["BLA"], "gene_id": ["G1"], **flags}), old)
    new = tmp_path / "gene_tissue_status" / "version=v4" / "tissue=Eye" / "new.parquet"
    new.parent.mkdir(parents=True)
    pq.write_table(pa.table({"gene_id": ["G2"], **flags}), new)
    sql = lake_view_sql(table, [str(old), str(new)])
    got = duckdb.sql(f"SELECT version, tissue, gene_id, eqtl FROM ({sql}) ORDER BY ALL"
                     ).fetchall()
    assert got == [("v3", "BLA", "G1", True), ("v4", "Eye", "G2", True)]
