"""Lookups skip the row groups that cannot match: pair tables and matrices carry bloom filters
on their id columns, and DuckDB, given ``WHERE id = ?`` / ``IN`` / ``list_contains``, reads only
the row groups whose filter may hold the value (counted from DuckDB's own JSON profile)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ratgtex_db.tables import TABLES
from ratgtex_db.write import PartitionWriter

ROWS_PER_GROUP = 1000


def _signif_file(tmp_path: Path) -> Path:
    """A cis_qtl_signif partition in release order: phenotype blocks by TSS, each a window of
    positions; gene names in no order (so min/max statistics cannot prune on them)."""
    table = dataclasses.replace(TABLES["cis_qtl_signif"], row_group_rows=ROWS_PER_GROUP)
    writer = PartitionWriter(table, tmp_path)
    names = [f"Gene{(i * 7919) % 1000:03d}x" for i in range(40)]  # unordered
    for block, gene in enumerate(names):
        n = 250
        tss = 1_000_000 + 50_000 * block
        pos = [tss - 120_000 + 1000 * k for k in range(n)]
        writer.write(pa.table({
            "phenotype_id": [f"{gene}__grp_{block % 3}"] * n,
            "gene_id": [gene] * n,
            "variant_id": [f"chr1:{p}" for p in pos],
            "chrom": ["chr1"] * n,
            "pos": pa.array(pos, pa.int32()),
            "tss_distance": pa.array([p - tss for p in pos], pa.int32()),
            "af": [0.25] * n,
            "ma_samples": pa.array([10] * n, pa.int32()),
            "ma_count": pa.array([11] * n, pa.int32()),
            "pval_nominal": [1e-8 * (k + 1) for k in range(n)],
            "slope": [0.5] * n,
            "slope_se": [0.1] * n,
            "pval_nominal_threshold": [1e-5] * n,
        }))
    return writer.close()


def _groups_read(con: duckdb.DuckDBPyConnection, sql: str, params: list, tmp_path: Path
                 ) -> tuple[int, int, int]:
    out = tmp_path / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{out}'")
    rows = len(con.execute(sql, params).fetchall())
    con.execute("PRAGMA disable_profiling")
    q = json.loads(out.read_text())["query"]
    return rows, q["total_row_groups_scanned"], q["total_row_groups_to_scan"]


@pytest.fixture(scope="module")
def signif(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _signif_file(tmp_path_factory.mktemp("prune"))


def test_id_columns_have_bloom_filters_and_tss_distance_is_delta_encoded(signif: Path):
    meta = pq.ParquetFile(signif).metadata
    assert meta.num_row_groups == 10
    con = duckdb.connect()
    for col in ("gene_id", "phenotype_id", "variant_id"):
        probe = con.execute("SELECT bloom_filter_excludes FROM parquet_bloom_probe(?, ?, ?)",
                            [str(signif), col, "absent-value"]).fetchall()
        assert len(probe) == 10 and sum(x for (x,) in probe) >= 9, col
    rg = meta.row_group(0)
    cols = {rg.column(j).path_in_schema: rg.column(j) for j in range(rg.num_columns)}
    assert "DELTA_BINARY_PACKED" in cols["tss_distance"].encodings
    got = pq.read_table(signif)
    assert got.column("tss_distance").to_pylist() == [
        p - (1_000_000 + 50_000 * (i // 250)) for i, p in enumerate(got.column("pos").to_pylist())]


@pytest.mark.parametrize("where", ["gene_id = ?", "gene_id IN (?)", "list_contains([?], gene_id)"])
def test_gene_lookup_reads_only_the_groups_holding_the_gene(signif: Path, tmp_path: Path,
                                                           where: str):
    con = duckdb.connect()
    gene = "Gene" + f"{(17 * 7919) % 1000:03d}x"  # block 17: rows 4250..4499, one row group
    sql = f"SELECT * FROM read_parquet(?) WHERE {where}"
    rows, read, total = _groups_read(con, sql, [str(signif), gene], tmp_path)
    assert rows == 250
    assert total == 10 and read <= 2  # its group, plus at most one bloom false positive


def test_variant_and_phenotype_lookups_prune(signif: Path, tmp_path: Path):
    con = duckdb.connect()
    # chr1:1000000 lies in the windows of blocks 0, 1 and 2 (rows 120, 320, 520: groups 0)
    rows, read, _ = _groups_read(con, "SELECT * FROM read_parquet(?) WHERE variant_id = ?",
                                 [str(signif), "chr1:1000000"], tmp_path)
    assert rows == 3 and read <= 2
    rows, read, _ = _groups_read(con, "SELECT * FROM read_parquet(?) WHERE phenotype_id = ?",
                                 [str(signif), "Gene" + f"{(3 * 7919) % 1000:03d}x__grp_0"],
                                 tmp_path)
    assert rows == 250 and read <= 2


def test_signif_files_carry_a_page_index(tmp_path: Path):
    """cis_qtl_signif is written with small data pages and a page index (offset and column
    index), so a lookup inflates only the pages of a hit row group that hold its rows."""
    table = dataclasses.replace(TABLES["cis_qtl_signif"], row_group_rows=3 * 4096)
    writer = PartitionWriter(table, tmp_path)
    n = table.row_group_rows
    writer.write(pa.table({
        "phenotype_id": ["G__a"] * n, "gene_id": ["G"] * n,
        "variant_id": [f"chr1:{i + 1}" for i in range(n)], "chrom": ["chr1"] * n,
        "pos": pa.array(range(1, n + 1), pa.int32()),
        "tss_distance": pa.array(range(n), pa.int32()), "af": [0.5] * n,
        "ma_samples": pa.array([1] * n, pa.int32()), "ma_count": pa.array([1] * n, pa.int32()),
        "pval_nominal": [1e-8] * n, "slope": [0.5] * n, "slope_se": [0.1] * n,
        "pval_nominal_threshold": [1e-5] * n,
    }))
    path = writer.close()
    con = duckdb.connect()
    groups = con.execute("SELECT count(*) FROM parquet_metadata(?) WHERE path_in_schema = 'pos'",
                         [str(path)]).fetchone()[0]
    assert groups == 1
    col = pq.ParquetFile(path).metadata.row_group(0).column(4)
    assert col.path_in_schema == "pos" and col.has_offset_index and col.has_column_index
    rows, read, _ = _groups_read(con, "SELECT * FROM read_parquet(?) WHERE pos = ?",
                                 [str(path), n - 5], tmp_path)
    assert rows == 1 and read == 1


def test_matrix_files_carry_a_page_index(tmp_path: Path):
    """The long expression and phenotype tables get the same small pages and page index: a
    gene's few thousand rats are a small part of a 64k-row group. (The rows come in the
    tables' sort order, as the BED shape step yields them.)"""
    for name in ("expression", "phenotypes"):
        table = dataclasses.replace(TABLES[name], row_group_rows=4096)
        writer = PartitionWriter(table, tmp_path / name, presorted=True)
        n = 2 * table.row_group_rows
        writer.write(pa.table({
            "phenotype_id": [f"G{i // 512:02d}" for i in range(n)],
            "gene_id": [f"G{i // 512:02d}" for i in range(n)], "chrom": ["chr1"] * n,
            "tss": pa.array([i // 512 for i in range(n)], pa.int32()),
            "rat_id": [f"R{i % 512}" for i in range(n)], "value": [i / 7 for i in range(n)],
        }))
        meta = pq.ParquetFile(writer.close()).metadata
        assert meta.num_row_groups == 2
        value = meta.row_group(0).column(5)
        assert value.path_in_schema == "value"
        assert value.has_offset_index and value.has_column_index, name
