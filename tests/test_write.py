"""The Parquet writer: even row groups, dictionary pages only where values repeat, plain
string columns for dictionary-coded input, and a Parquet schema any engine reads as declared."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.parquet as pq

from ratgtex_db.tables import TABLES
from ratgtex_db.write import PartitionWriter


def test_row_groups_are_even_and_encodings_follow_the_data(tmp_path):
    table = dataclasses.replace(TABLES["cis_pvals"], row_group_rows=1000)
    writer = PartitionWriter(table, tmp_path)
    n = 0
    for size in (700, 900, 1300, 50, 2600, 333):  # uneven batches
        ids = pa.array([f"chr1:{n + i}" for i in range(size)])
        batch = {"gene_id": pa.array(["G1"] * size), "variant_id": ids,
                 "chrom": pa.DictionaryArray.from_arrays(pa.array([0] * size, pa.int32()),
                                                         pa.array(["chr1"])),
                 "pos": pa.array(range(n, n + size), pa.int32()),
                 "pval_nominal": pa.array([0.5] * size)}
        writer.write(pa.table({c: batch[c] for c in table.column_names}))
        n += size
    path = writer.close()
    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    assert sizes == [1000] * (n // 1000) + [n % 1000]
    col = {meta.row_group(0).column(j).path_in_schema: meta.row_group(0).column(j)
           for j in range(meta.row_group(0).num_columns)}
    assert "RLE_DICTIONARY" in col["gene_id"].encodings  # one distinct value
    assert "RLE_DICTIONARY" not in col["variant_id"].encodings  # all distinct
    assert "RLE_DICTIONARY" not in col["pos"].encodings
    got = pq.read_table(path)
    assert got.schema == table.schema  # dictionary input is stored as a plain string column
    assert got.num_rows == n and got.column("chrom").unique().to_pylist() == ["chr1"]
    assert got.column("pos").to_pylist() == list(range(n))
