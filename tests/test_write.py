"""The Parquet writer: even row groups, dictionary pages only where values repeat, plain
string columns for dictionary-coded input, and a Parquet schema any engine reads as declared."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.parquet as pq

from ratgtex_db.tables import TABLES
from ratgtex_db.write import PartitionWriter, RunSorter


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


def _write_and_encodings(table, source: pa.Table, tmp_path, **kw) -> tuple:
    """Write ``source`` as one partition of ``table``; the file and its first row group's
    encodings by column."""
    writer = PartitionWriter(table, tmp_path, **kw)
    writer.write(source)
    path = writer.close()
    meta = pq.ParquetFile(path).metadata.row_group(0)
    return path, {meta.column(j).path_in_schema: meta.column(j).encodings
                  for j in range(meta.num_columns)}


def test_dictionaries_by_kind_of_column_and_exact_values(tmp_path):
    """Ids repeated ~50 times and allele frequencies k/2n get dictionaries; near-distinct
    doubles and allele counts with a few percent distinct stay plain; every double reads back
    bit for bit."""
    table = TABLES["cis_qtl_signif"]
    n, rats = 20_000, 400
    k = pa.array([(j * 7919) % (2 * rats) for j in range(n)], pa.int32())
    columns = {
        "phenotype_id": pa.array([f"Gene{j // 50}__grp_1_upstream_NM_{j // 50:06d}.1"
                                  for j in range(n)]),  # 2% distinct
        "gene_id": pa.array([f"Gene{j // 50}" for j in range(n)]),
        "variant_id": pa.array([f"chr1:{1000 + j}" for j in range(n)]),
        "chrom": pa.array(["chr1"] * n),
        "pos": pa.array(range(1000, 1000 + n), pa.int32()),
        "tss_distance": pa.array([j % 5000 - 2500 for j in range(n)], pa.int32()),
        "af": pa.array([x / (2 * rats) for x in k.to_pylist()]),  # 4% distinct
        "ma_samples": pa.array([j % 700 for j in range(n)], pa.int32()),  # 3.5% distinct
        "ma_count": pa.array([j % 900 for j in range(n)], pa.int32()),
        "pval_nominal": pa.array([float(f"{(j + 1) / 3e9:.6g}") for j in range(n)]),
        "slope": pa.array([float(f"{(j * 0.6180339) % 1 - 0.5:.6g}") for j in range(n)]),
        "slope_se": pa.array([float(f"{0.05 + (j * 0.7548776) % 1 / 10:.6g}") for j in range(n)]),
        "pval_nominal_threshold": pa.array([1e-5 + (j // 50) * 1e-9 for j in range(n)]),
    }
    source = pa.table({c: columns[c] for c in table.column_names})
    path, enc = _write_and_encodings(table, source, tmp_path)
    dictionary = {c for c, e in enc.items() if "RLE_DICTIONARY" in e}
    assert {"phenotype_id", "gene_id", "chrom", "af", "pval_nominal_threshold"} <= dictionary
    assert not dictionary & {"variant_id", "pos", "ma_samples", "ma_count",
                             "pval_nominal", "slope", "slope_se"}
    got = pq.read_table(path)
    for c in ("af", "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"):
        assert got.column(c).cast(pa.float64()).to_numpy().view("u8").tolist() == \
            source.column(c).to_numpy().view("u8").tolist(), c


def test_long_matrix_rat_ids_are_dictionaries_whatever_the_rat_count(tmp_path):
    """A long matrix's rat ids recur once per phenotype: with 900 rats the writer's first
    8,192 rows hold 11% distinct ids, yet the table declares them a dictionary column."""
    table = TABLES["phenotypes"]
    assert "rat_id" in table.dictionary
    rats = [f"00078A{i:04d}" for i in range(900)]
    genes = 12
    n = genes * len(rats)
    source = pa.table({
        "phenotype_id": pa.array([f"G{g}" for g in range(genes) for _ in rats]),
        "gene_id": pa.array([f"G{g}" for g in range(genes) for _ in rats]),
        "chrom": pa.array(["chr1"] * n),
        "tss": pa.array([1000 * g for g in range(genes) for _ in rats], pa.int32()),
        "rat_id": pa.array(rats * genes),
        "value": pa.array([float(i % 977) / 7 for i in range(n)]),
    })
    path, enc = _write_and_encodings(table, source.select(table.column_names), tmp_path,
                                     presorted=True)
    assert "RLE_DICTIONARY" in enc["rat_id"]
    assert pq.read_table(path).column("rat_id").to_pylist() == rats * genes


def test_trans_pairs_by_chromosome_then_gene_with_delta_pages(tmp_path):
    """Trans pairs come one variant after another; each chromosome's run is stored ordered by
    gene (phenotype, then position; ties in file order), so the row groups' min/max of
    ``gene_id`` are narrow. `pos` gets DELTA_BINARY_PACKED pages and `variant_id`
    DELTA_BYTE_ARRAY ones; DuckDB reads every value back, in that order, and finds a gene on
    statistics and an id through its bloom filter."""
    import duckdb

    table = TABLES["trans_qtl_pairs"]
    n = 40_000
    pos = [100 + 37 * (i // 2) for i in range(n)]  # two genes per variant
    chrom = ["chr1" if i < n // 2 else "chr10" for i in range(n)]
    genes = [f"Gene{(i * 7) % 2000:04d}" for i in range(n)]
    source = pa.table({
        "variant_id": pa.array([f"{c}:{p}" for c, p in zip(chrom, pos, strict=True)]),
        "chrom": pa.array(chrom), "pos": pa.array(pos, pa.int32()),
        "phenotype_id": pa.array(genes), "gene_id": pa.array(genes),
        "pval": pa.array([float(f"{1e-5 / (1 + i % 997):.6g}") for i in range(n)]),
        "slope": pa.array([float(f"{(i % 113) / 50 - 1:.6g}") for i in range(n)]),
        "slope_se": pa.array([float(f"{0.05 + (i % 89) / 400:.6g}") for i in range(n)]),
        "af": pa.array([(i % 800) / 800 for i in range(n)]),
    }).select(table.column_names)
    path, enc = _write_and_encodings(table, source, tmp_path)
    assert "DELTA_BINARY_PACKED" in enc["pos"]
    assert "DELTA_BYTE_ARRAY" in enc["variant_id"]
    rows = [tuple(r.values()) for r in source.to_pylist()]
    names = table.column_names
    c, ph, ps, v = (names.index(k) for k in ("chrom", "phenotype_id", "pos", "variant_id"))
    want = sorted(rows, key=lambda r: (r[c] != "chr1", r[ph], r[ps], r[v]))
    con = duckdb.connect()
    got = con.execute(f"SELECT {', '.join(names)} FROM read_parquet(?, file_row_number = true) "
                      "ORDER BY file_row_number", [str(path)]).fetchall()
    assert got == want
    # a gene's rows lie in at most one or two row groups per chromosome: min/max skip the rest
    groups = con.execute("SELECT count(*) FROM parquet_metadata(?) WHERE path_in_schema = "
                         "'gene_id' AND ? BETWEEN stats_min_value AND stats_max_value",
                         [str(path), "Gene1234"]).fetchone()[0]
    assert 1 <= groups <= 4
    hit = con.execute("SELECT pos FROM read_parquet(?) WHERE variant_id = ?",
                      [str(path), f"chr10:{pos[30_000]}"]).fetchall()
    assert hit == [(pos[30_000],)] * 2


def test_run_sorter_orders_runs_in_blocks_and_keeps_ties_in_order():
    """Runs of one chromosome, in arrival order (a chromosome may come back later), each
    ordered by the other keys; a run longer than the block size is ordered block by block;
    ties keep their order; dictionary-coded keys are ordered by their values."""
    chrom = ["chr2"] * 5 + ["chr1"] * 7 + ["chr2"] * 3
    gene = ["b", "a", "b", "a", "c", "z", "y", "x", "y", "w", "v", "u", "b", "a", "a"]
    data = pa.table({"chrom": pa.array(chrom).dictionary_encode(),
                     "phenotype_id": pa.array(gene).dictionary_encode(),
                     "row": pa.array(range(15))})
    sorter = RunSorter(("chrom", "phenotype_id"), max_rows=4)
    out = []
    for start, size in ((0, 2), (2, 6), (8, 1), (9, 6)):  # runs cut across batches
        out += sorter.add(data.slice(start, size))
    out += sorter.finish()
    got = pa.concat_tables(out)
    assert got.column("row").to_pylist() == [
        1, 3, 0, 2, 4,  # chr2: its run ends inside the second batch
        7, 6, 8, 5,  # chr1: a block, the cap of 4 buffered rows reached after the third batch
        11, 10, 9,  # the rest of chr1's run
        13, 14, 12,  # chr2 again: its own run; the tie a, a in arrival order
    ]
    # a NULL run key is a run of its own, split across batches like any other
    nulls = pa.table({"chrom": pa.array(["a", None, None, "a", None, "b"]),
                      "phenotype_id": pa.array(["z", "y", "x", "w", "v", "u"]),
                      "row": pa.array(range(6))})
    sorter = RunSorter(("chrom", "phenotype_id"))
    out = sorter.add(nulls.slice(0, 2)) + sorter.add(nulls.slice(2)) + sorter.finish()
    assert pa.concat_tables(out).column("row").to_pylist() == [0, 2, 1, 3, 4, 5]


def test_sorted_qtl_tables_keep_the_writers_options(tmp_path):
    """A table with a sort key is sorted by DuckDB and written by pyarrow with the table's own
    options: even row groups in (gene, tissue) order, every value kept, and a bloom filter on
    variant_id that DuckDB uses to find a variant."""
    import duckdb

    table = dataclasses.replace(TABLES["eqtls_indep"], row_group_rows=1000)
    n = 3500
    source = pa.table({c: pa.nulls(n, t) for c, t in table.columns})
    genes = [f"G{(i * 7919) % 500:03d}" for i in range(n)]
    source = source.set_column(table.column_names.index("gene_id"), "gene_id", pa.array(genes))
    source = source.set_column(table.column_names.index("tissue"), "tissue",
                               pa.array([("BLA", "IL")[i % 2] for i in range(n)]))
    source = source.set_column(table.column_names.index("variant_id"), "variant_id",
                               pa.array([f"chr1:{100 + i}" for i in range(n)]))
    source = source.set_column(table.column_names.index("pval_nominal"), "pval_nominal",
                               pa.array([1e-300 * (i + 1) for i in range(n)]))
    writer = PartitionWriter(table, tmp_path)
    writer.write(source)
    path = writer.close()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000] * 3 + [500]
    con = duckdb.connect()
    got = con.execute("SELECT gene_id, tissue, variant_id, pval_nominal FROM read_parquet(?) "
                      "ORDER BY file_row_number", [str(path)]).fetchall()
    want = sorted(zip(genes, [("BLA", "IL")[i % 2] for i in range(n)],
                      [f"chr1:{100 + i}" for i in range(n)],
                      [1e-300 * (i + 1) for i in range(n)], strict=True),
                  key=lambda r: (r[0], r[1]))
    assert sorted(got) == sorted(want) and [r[:2] for r in got] == [r[:2] for r in want]
    blooms = con.execute("SELECT count(*) FROM parquet_metadata(?) WHERE path_in_schema = "
                         "'variant_id' AND bloom_filter_offset IS NOT NULL",
                         [str(path)]).fetchone()[0]
    assert blooms == meta.num_row_groups
    hit = con.execute("SELECT pval_nominal FROM read_parquet(?) WHERE variant_id = 'chr1:107'",
                      [str(path)]).fetchall()
    assert hit == [(1e-300 * 8,)]


def _data_pages(path) -> dict[str, list[int]]:
    """Data pages per column chunk of each column, from the file's encoding statistics."""
    import duckdb

    rows = duckdb.execute(
        "SELECT path_in_schema, list_sum([s.count FOR s IN encoding_stats "
        "IF s.page_type LIKE 'DATA_PAGE%']) FROM parquet_metadata(?) "
        "ORDER BY row_group_id, column_id", [str(path)]).fetchall()
    pages: dict[str, list[int]] = {}
    for name, n in rows:
        pages.setdefault(name, []).append(n)
    return pages


def test_gene_sorted_tables_have_small_pages_and_pair_tables_do_not(tmp_path):
    """The gene-sorted lookup tables cut pages at ``QTL_PAGE_ROWS`` rows (a lookup inflates a
    page or two of a hit row group); the others keep ``write.PAGE_ROWS``."""
    from ratgtex_db.tables import QTL_PAGE_ROWS
    from ratgtex_db.write import PAGE_ROWS

    n = 20_000
    top = TABLES["top_assoc"]
    cols = {}
    for name, typ in top.columns:
        if pa.types.is_string(typ):
            cols[name] = pa.array([f"{name}{i % 997}" for i in range(n)])
        elif pa.types.is_floating(typ):
            cols[name] = pa.array([i / 7 for i in range(n)], typ)
        else:
            cols[name] = pa.array([i % 30_000 for i in range(n)], typ)
    cols["gene_id"] = pa.array([f"G{i // 13:05d}" for i in range(n)])
    path, _ = _write_and_encodings(top, pa.table(cols), tmp_path, presorted=True)
    assert pq.ParquetFile(path).metadata.row_group(0).num_rows == top.row_group_rows
    for name, pages in _data_pages(path).items():
        assert pages[0] >= top.row_group_rows // QTL_PAGE_ROWS, name
    got = pq.read_table(path)
    assert got.equals(pa.table(cols).cast(top.schema))

    pvals = TABLES["cis_pvals"]
    assert pvals.page_rows is None and PAGE_ROWS > QTL_PAGE_ROWS
    m = 3 * PAGE_ROWS
    source = pa.table({"gene_id": pa.array(["G1"] * m), "variant_id": pa.array(["chr1:1"] * m),
                       "chrom": pa.array(["chr1"] * m), "pos": pa.array([1] * m, pa.int32()),
                       "pval_nominal": pa.array([0.5] * m)})
    path, _ = _write_and_encodings(pvals, source, tmp_path)
    assert _data_pages(path)["pos"][0] == 3  # cut at PAGE_ROWS, not at QTL_PAGE_ROWS


def test_trans_pairs_have_small_pages(tmp_path):
    """A gene's trans hits are a few rows of a group per chromosome: the trans table cuts its
    pages at ``TRANS_PAGE_ROWS`` rows, so a lookup inflates one page of each column, and the
    rows read back unchanged in the table's block order (chromosome, then phenotype)."""
    from ratgtex_db.tables import TRANS_PAGE_ROWS

    trans = TABLES["trans_qtl_pairs"]
    assert trans.page_rows == TRANS_PAGE_ROWS < trans.row_group_rows
    n = trans.row_group_rows + 5
    pos = [1_000 + 7 * i for i in range(n)]
    genes = [f"Gene{(i * 7919) % 500:03d}" for i in range(n)]
    source = pa.table({
        "variant_id": pa.array([f"chr1:{p}" for p in pos]),
        "chrom": pa.array(["chr1"] * n),
        "pos": pa.array(pos, pa.int32()),
        "phenotype_id": pa.array(genes),
        "gene_id": pa.array(genes),
        "pval": pa.array([1e-6 + i * 1e-12 for i in range(n)]),
        "slope": pa.array([(i % 101) / 37 - 1.3 for i in range(n)]),
        "slope_se": pa.array([0.01 + (i % 89) / 1000 for i in range(n)]),
        "af": pa.array([(i % 400 + 1) / 800 for i in range(n)]),
    }).cast(trans.schema)
    path, _ = _write_and_encodings(trans, source, tmp_path)
    pages = _data_pages(path)
    for name in ("pval", "slope", "slope_se", "phenotype_id"):
        assert pages[name][0] >= trans.row_group_rows // TRANS_PAGE_ROWS, (name, pages[name])
    got = pq.read_table(path)
    order = sorted(range(n), key=lambda i: (genes[i], pos[i]))
    assert got.column("pos").to_pylist() == [pos[i] for i in order]
    assert got.column("slope").to_pylist() == [source.column("slope")[i].as_py() for i in order]
