"""One declaration per target table of the contract (architecture.md section 3).

Each :class:`Table` holds the typed columns stored in the Parquet files (partition columns
excluded: they live in the hive directory names), the partition keys, and the sort key used when
a partition is written. Readers, shaping, views and tests all read these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

S = pa.string()
I32 = pa.int32()
I64 = pa.int64()
F64 = pa.float64()
B = pa.bool_()

#: DuckDB types of the hive partition columns (everything else comes from the Parquet schema).
PARTITION_TYPES: dict[str, str] = {
    "version": "VARCHAR",
    "tissue": "VARCHAR",
    "modality": "VARCHAR",
    "normalized": "BOOLEAN",
    "unit": "VARCHAR",
    "dataset": "VARCHAR",
}

#: The DuckDB type of each stored Arrow type (the typed empty ``_ratgtex.lake_`` views).
DUCKDB_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.binary(): "BLOB",
    pa.list_(pa.int8()): "TINYINT[]",
}


@dataclass(frozen=True)
class Table:
    """A target table: stored columns, partition keys, sort key (empty = keep file order)."""

    name: str
    columns: tuple[tuple[str, pa.DataType], ...]
    partition_keys: tuple[str, ...]
    sort_key: tuple[str, ...] = ()
    doc: str = ""
    #: Rows per Parquet row group: small for pair tables so that gene (chrom + TSS window) and
    #: variant/region lookups skip most of a file on row-group min/max statistics.
    row_group_rows: int = 256 * 1024
    #: Columns with a Parquet bloom filter per row group: the ids users filter on by equality
    #: (``WHERE gene_id = ?``, ``IN``, ``list_contains``) whose values are not ordered in the
    #: file, so min/max statistics cannot skip a row group; DuckDB probes the filters.
    bloom: tuple[str, ...] = ()
    #: Columns stored with delta pages: integers DELTA_BINARY_PACKED, strings DELTA_BYTE_ARRAY
    #: (each value's common prefix with the previous one). TSS distances step with the
    #: positions inside a phenotype's window but are shifted by each phenotype's TSS, so plain
    #: + zstd cannot match one window's run in the next; their deltas repeat (4M-row signif
    #: file: 3.3 -> 2.3 bytes per row). Positions that repeat window after window (signif,
    #: cis_pvals) are smaller plain; positions and ids in genome order (trans) are not.
    delta: tuple[str, ...] = ()
    #: (column, the column older versions stored instead): files with the old one cannot be
    #: read as this table (``catalog.lake_view_sql`` makes the column an error naming the fix).
    replaced: tuple[tuple[str, str], ...] = ()
    #: Columns stored with dictionary pages whatever their share of distinct values in the
    #: writer's first rows (``write.DICTIONARY_MAX_DISTINCT`` decides the others): ids that the
    #: layout repeats with a period longer than that sample, such as a long matrix's rat ids,
    #: which recur once per phenotype (every ~50-1,500 rows). In the release-shaped lake the
    #: files of tissues with more than ~410 rats stored them plain: 0.55 bytes per row against
    #: 0.10 as a dictionary (77 MB of the 1,944 MB of phenotypes).
    dictionary: tuple[str, ...] = ()
    #: (run column, then order keys): each run of rows with one value of the first column, in
    #: file order, is stored ordered by the other columns (ties in file order); empty = file
    #: order. A run longer than ``write.BLOCK_ROWS`` is ordered block by block, so memory stays
    #: bounded whatever the file's order (see ``TRANS_BLOCK_SORT``).
    block_sort: tuple[str, ...] = ()
    #: Rows per data page at most (None: ``write.PAGE_ROWS``). DuckDB inflates only the pages
    #: of a hit row group that hold selected rows, so a lookup's few rows in a small page cost
    #: less than in a large one (see ``QTL_PAGE_ROWS``).
    page_rows: int | None = None
    #: Bytes per data page, with a page index (None: pyarrow's default, no page index); see
    #: ``LOOKUP_PAGE_BYTES``.
    page_bytes: int | None = None
    #: Partition keys whose values the rows carry rather than the file's name (the gene
    #: table's wide per-tissue flags): the shaped batches hold these columns too, and the
    #: writer stores one file per value, in that value's hive directory, without the column.
    row_partition_keys: tuple[str, ...] = ()

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(n, t) for n, t in self.columns])

    @property
    def column_names(self) -> list[str]:
        return [n for n, _ in self.columns]

    @property
    def all_columns(self) -> list[str]:
        """Partition columns first, then stored columns: the view's column list."""
        return list(self.partition_keys) + self.column_names


#: A looked-up gene or variant has a few hundred rows in a file, inside one or two row groups
#: that DuckDB inflates whole (column chunk by column chunk), so a lookup's cost is mostly the
#: size of the groups it hits times the 78 files. Measured on the release-shaped lake (CPU per
#: lookup, gene / variant / region): 32k rows 125-177 / 280-356 / 263-394 ms; 16k 136 / 209 /
#: 215 ms for +1% bytes; 8k 143 / 168 / 206 ms but the floor (bloom probes of every group)
#: 38 -> 89 ms; 4096-row pages in 32k groups helped as much as 16k groups but cost 10-40% bytes.
PAIR_ROW_GROUP_ROWS = 16 * 1024

#: Bytes per data page (with a page index) of the tables looked up by id: DuckDB reads only the
#: pages of a hit row group that hold selected rows, so a gene's or variant's few hundred rows
#: no longer inflate the whole row group of every column. A byte limit keeps the bulky
#: columns (doubles: ~8k rows per page) finely split and the small ones (ids, positions) in few
#: pages, whose zstd matches across a window's repeated runs are what keeps the lake small.
#: Measured on the release-shaped lake (78 files, 27 M rows; CPU ms per ad hoc lookup, gene /
#: variant / region, same minutes; lake bytes): one page per column chunk 159-235 / 272-372 /
#: 306-379, 1.00x; 4096 rows per page 135 / 203 / 245, 1.092x; 64 KB pages 123 / 255 / 217,
#: 1.036x. On a 66-file lake 2048 rows gave 1.107x and 1024 rows 1.159x for no further gain.
#: The page index itself costs < 0.1%. 128 KB pages with the doubles at zstd 4 (the 78 files of
#: the 23:03 release lake rewritten, 20 ids, three rounds): 2.9% fewer bytes (the 4M-row file
#: 1.021x -> 1.001x its gzip), gene lookups alike, variant lookups 133-158 -> 175-218 ms: not
#: taken. The long matrices too: a gene's rats (one phenotype of ~1,000 rats, or a splicing
#: gene's dozen) are a few thousand contiguous rows of a 64k-row group. Release-shaped lake, 20
#: genes, `SELECT * ... WHERE gene_id = ?`, two rounds: the 26 splicing BEDs 69-81 -> 31-48 ms,
#: the 13 expression BEDs 26-35 -> 23-26 ms, +5% bytes (32 KB pages +13% for no more; 128k or
#: 256k-row groups: splicing 27-30 ms, expression 32-59 ms).
LOOKUP_PAGE_BYTES = 64 * 1024

#: ``cis_qtl_signif`` has small pages and a page index (LOOKUP_PAGE_BYTES), so a hit group's
#: cost is the pages holding its rows, not its size, while every group of every file the view
#: opens costs a bloom probe: at the release's 1-20 M rows per file the probes of the groups
#: that cannot match dominate (most files do not hold a given gene). Same file, same minutes,
#: CPU ms per lookup, gene / absent gene / variant / region: one 4M-row file, 16k groups 22-28
#: / 18-20 / 38-40 / 43-50; 64k 19-23 / 7-8 / 36-39 / 41-50; 128k 20-24 / 5-6 / 38-42 /
#: 38-51. On the 78 files of 350k rows of the release-shaped bench lake (5 groups per file at
#: 64k), 64k against 16k: gene 135 vs 139-161, absent 34-44 vs 62-100, but variant 209-239 vs
#: 164-198 and region ~300 vs 236-316 (noisy). 64k: the real files' size decides.
SIGNIF_ROW_GROUP_ROWS = 64 * 1024

#: ``cis_pvals`` (a gene's whole cis window, ~2k contiguous rows per gene, 2 M rows per tissue)
#: in 64k-row groups: 4x fewer bloom probes for a little more to inflate per hit. The 13 files
#: of the release-shaped lake rewritten both ways, 20 ids, two rounds, p50: gene 34-36 -> 18-23
#: ms, variant 65-75 -> 58-60 ms, 3% fewer bytes; 64 KB pages on top cost +20% bytes for no
#: gain. (``gene_esnps``, one file, stays at 16k: its variant lookups went 24-27 -> 41-51 ms.)
CIS_PVALS_ROW_GROUP_ROWS = 64 * 1024


#: The QTL summary tables (a row per gene or independent QTL and tissue, 0.1-0.4 M rows) are
#: sorted by gene, then tissue: a gene's rows of every tissue are contiguous, so min/max of
#: gene_id leave a gene lookup one row group of this size instead of the whole table (sorted
#: by tissue first, every group held every gene's name range).
QTL_ROW_GROUP_ROWS = 16 * 1024
#: The QTL summary tables are sorted by gene: a variant's rows (its lead eQTLs and xQTLs) lie
#: anywhere, so `variant` and `WHERE variant_id = ?` read every group's ids without a bloom
#: filter (xqtl_top_assoc, 355k rows of the release-shaped lake: ~20 ms a lookup).
QTL_BLOOM = ("variant_id",)
#: Pages of at most this many rows in the gene-sorted tables: a gene's rows (one per tissue,
#: a few per independent QTL) or a variant's fill a page or two of the 16k-row group that
#: min/max or the bloom filter leave, and DuckDB inflates only those pages of every column
#: instead of the group's one or two 16k-row pages. The release-shaped lake's nine such tables
#: rewritten with 4096, 2048 and 1024-row pages (and 4k or 8k-row groups), 20 ids, two rounds,
#: p50 ms, before -> 2048: ad hoc top_assoc gene 12 -> 7-9, xqtl_top_assoc variant 26-33 ->
#: 19-21, canned `gene` 74-75 -> 59-68, `eqtls` 23-28 -> 20-23; 4096 gained about half as
#: much, 1024 or smaller groups no more; +7-10% bytes on tables of 0.1-14 MB.
QTL_PAGE_ROWS = 2048
#: The layout of the gene-sorted lookup tables (``_t`` drops the bloom filter of a table
#: without ``variant_id``).
QTL_LAYOUT = {"row_group_rows": QTL_ROW_GROUP_ROWS, "bloom": QTL_BLOOM,
              "page_rows": QTL_PAGE_ROWS}


#: Rows per row group of the long matrices (expression, phenotypes): a gene's values (one row
#: per rat, a few hundred rats) sit in one or two groups.
MATRIX_ROW_GROUP_ROWS = 64 * 1024

#: The long matrices are sorted by gene, then phenotype (a phenotype's rats keep the BED's
#: sample-column order), not kept in BED (genome) order: every lookup of them is by gene or
#: phenotype, and sorted ids give each row group a narrow min/max that DuckDB checks for almost
#: nothing, where in BED order it had to probe the bloom filter of every group (0.06 ms each;
#: 5,000 groups in the release-shaped lake's 156 phenotype files). Those files rewritten both
#: ways, 20 genes, two rounds, p50: `SELECT *` 437-441 -> 247-252 ms, per-tissue aggregate
#: 307-322 -> 109-121 ms; the 13 expression files 40-41 -> 24-27 and 30-35 -> 13-18 ms; 2% fewer
#: bytes.
MATRIX_SORT_KEY = ("gene_id", "phenotype_id")

#: Variants per row group of the genotype table: a lookup of one variant inflates the
#: dosages of its whole group (1,000-1,500 rats each), so small groups keep ``/dyneqtl`` and
#: ``genotype-expression`` from decompressing megabytes for one row. Medium release (92k
#: variants x 1,333 rats), one variant's calls through the genotypes view, p50 / VCF ingest:
#: 4,096 variants ~50 ms (each group ~22 MB of dosages); 1,024: 48 ms / 5.2 s; 512: 39 ms /
#: 6.0 s; 256: 35 ms / 7.6 s. The bloom filter on variant_id skips groups whose chrom/pos
#: range straddles a chromosome boundary (chr1 < chr10 < chr2).
GENOTYPE_ROW_GROUP_ROWS = 512

#: Bloom-filtered id columns of the pair tables and of the matrices.
PAIR_BLOOM = ("phenotype_id", "gene_id", "variant_id")
MATRIX_BLOOM = ("phenotype_id", "gene_id")
#: Trans pairs come in genome order, one variant after another: their positions and ids grow
#: by small steps, which delta pages store in fewer bytes than plain + zstd. A 1M-row trans
#: file of the real shape (23.6 MB gz): `pos` 3.70 -> 1.88 and `variant_id` 4.52 -> 3.02 bytes
#: per row, 40.8 -> 37.5 MB, lookups by gene, variant and region alike (three rounds). Stored
#: by chromosome, then gene (``TRANS_BLOCK_SORT``), a gene's positions still rise: 36.8 MB
#: with, 37.4 MB without these pages. The same encodings on cis_pvals, whose windows repeat
#: positions gene after gene: 223 -> 256 MB.
TRANS_DELTA = ("pos", "variant_id")
#: Trans pairs come in genome order, so a gene's ~50 hits in a real file (0.5-5 M rows) lie in
#: nearly every row group and a gene lookup inflated them all; each chromosome's run is stored
#: ordered by gene instead, so a gene's hits sit in at most one or two groups per chromosome
#: and min/max statistics of ``phenotype_id``/``gene_id`` skip the rest, while the chromosome's
#: statistics still confine a region or variant lookup to that chromosome's groups. A 1M-row
#: trans file of the real shape (24.7 MB gz, 62 groups), 20 ids, two rounds, p50 ms, genome
#: order -> by chromosome, then gene: gene 51-109 -> 26-30, variant 6-7 -> 5-7, region 7-8 ->
#: 14-16, 37.7 -> 36.8 MB. Wholly by gene: gene 5-6, but region 71-138 ms (positions no longer
#: prune), growing with the file.
TRANS_BLOCK_SORT = ("chrom", "phenotype_id", "pos", "variant_id")
#: Pages of at most this many rows in the trans table: a gene's hits are a few contiguous rows
#: of one 16k-row group per chromosome, and DuckDB inflates only the pages that hold them
#: (without a page index: it skips whole pages by their headers). The 1M-row trans file of the
#: real shape rewritten, 20 ids, best of 3 rounds, p50 ms, gene / variant / region (1 Mb), two
#: passes: one 16k-row page per column chunk (before) 19.6-26.1 / 4.0-5.3 / 9.5-11.2, 36.85 MB;
#: 4096 rows 9.1-11.8 / 3.0-5.0 / 8.7-12.8, 38.19 MB (+3.6%); 2048 rows 6.9-9.8 / 3.1-4.4 /
#: 10.9-11.0, 38.68 MB (+5.0%); a page index on top changed nothing; 64 KB pages 13.6 ms for
#: a gene. 4096: the gene lookup under the 20 ms target for the fewest bytes.
TRANS_PAGE_ROWS = 4096
#: The long matrices' rat ids (one per sample column, repeated for every phenotype).
MATRIX_DICTIONARY = ("rat_id",)


def _t(name, partition_keys, columns, sort_key=(), doc="", row_group_rows=256 * 1024,
       bloom=(), replaced=(), dictionary=(), delta=(), block_sort=(), page_rows=None,
       page_bytes=None, row_partition_keys=()):
    cols = tuple(columns)
    names = {n for n, _ in cols}
    if "tss_distance" in names and not sort_key:
        delta = ("tss_distance", *delta)
    return Table(name, cols, tuple(partition_keys), tuple(sort_key), doc, row_group_rows,
                 tuple(b for b in bloom if b in names), tuple(d for d in delta if d in names),
                 tuple(replaced), tuple(d for d in dictionary if d in names),
                 tuple(block_sort), page_rows, page_bytes, tuple(row_partition_keys))


QTL_STATS = (
    ("num_var", I32),
    ("variant_id", S),
    ("chrom", S),
    ("pos", I32),
    ("ref", S),
    ("alt", S),
    ("af", F64),
    ("tss_distance", I32),
    ("pval_nominal", F64),
    ("slope", F64),
    ("slope_se", F64),
    ("pval_beta", F64),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        _t(
            "tissues",
            ["version"],
            [
                ("tissue", S),
                ("tissue_site_detail_abbr", S),
                ("tissue_site_detail", S),
                ("tissue_site", S),
                ("color_hex", S),
                ("color_rgb", S),
                ("dataset", S),
                ("rna_seq_sample_count", I32),
                ("rna_seq_and_genotype_sample_count", I32),
                ("expressed_gene_count", I32),
                ("e_gene_count", I32),
                ("dataset_id", S),
                ("has_e_genes", B),
            ],
            doc="One row per tissue (tissue_info).",
        ),
        _t(
            "genes",
            ["version"],
            [
                ("gene_id", S),
                ("chrom", S),
                ("start", I32),
                ("end", I32),
                ("strand", S),
                ("tss", I32),
                ("description", S),
                ("has_eqtl", B),
                ("gene_symbol", S),
                ("gene_id_ensembl", S),
            ],
            sort_key=("gene_id",), page_rows=QTL_PAGE_ROWS,
            doc="Gene annotation (annotation part of the gene table). gene_symbol: the "
                "symbol of v1/v2's Ensembl gene ids (geneSymbol); gene_id_ensembl: v3's "
                "Ensembl id of a RefSeq gene (geneIdEnsembl); NULL where a version has none.",
        ),
        _t(
            "gene_tissue_status",
            ["version", "tissue"],
            [
                ("gene_id", S),
                ("expressed", B),
                ("tested_eqtl", B),
                ("eqtl", B),
                ("alt_splice", B),
                ("tested_sqtl", B),
                ("sqtl", B),
            ],
            sort_key=("gene_id",), row_partition_keys=("tissue",), **QTL_LAYOUT,
            doc="Per gene and tissue: expressed / tested for eQTLs / has an eQTL; v1-v3 "
                "also alternatively spliced / tested for sQTLs / has an sQTL (NULL in v4).",
        ),
        _t(
            "exons",
            ["version"],
            [
                ("exon_id", S),
                ("gene_id", S),
                ("chrom", S),
                ("start", I32),
                ("end", I32),
                ("strand", S),
                ("exon_number", I32),
                ("feature_type", S),
                ("transcript_id", S),
            ],
            # no sort: the file's row order is kept, the order in which the portal's /exon
            # returns a gene's exons (the file is grouped by gene already)
        ),
        _t("rats", ["version"], [("rat_id", S), ("sex", S), ("coatcolor", S), ("tissues", S)],
           sort_key=("rat_id",)),
        _t(
            "samples",
            ["version"],
            [
                ("tissue", S),
                ("rat_id", S),
                ("geo_accession", S),
                ("biosample_accession", S),
                ("sra_accession", S),
            ],
            sort_key=("tissue", "rat_id"),
        ),
        _t("rat_ids", ["version", "tissue"], [("rat_id", S)]),
        _t(
            "fastq_map",
            ["version", "tissue"],
            [("fastq_1", S), ("fastq_2", S), ("rat_id", S), ("paired", B)],
        ),
        _t(
            "expression",
            ["version", "tissue", "unit"],
            [("phenotype_id", S), ("gene_id", S), ("chrom", S), ("tss", I32), ("rat_id", S),
             ("value", F64)],
            sort_key=MATRIX_SORT_KEY, row_group_rows=MATRIX_ROW_GROUP_ROWS,
            bloom=MATRIX_BLOOM, dictionary=MATRIX_DICTIONARY,
            page_bytes=LOOKUP_PAGE_BYTES,
        ),
        _t(
            "phenotypes",
            ["version", "tissue", "modality", "normalized"],
            [("phenotype_id", S), ("gene_id", S), ("chrom", S), ("tss", I32), ("rat_id", S),
             ("value", F64)],
            sort_key=MATRIX_SORT_KEY, row_group_rows=MATRIX_ROW_GROUP_ROWS,
            bloom=MATRIX_BLOOM, dictionary=MATRIX_DICTIONARY,
            page_bytes=LOOKUP_PAGE_BYTES,
        ),
        _t(
            "covariates",
            ["version", "tissue", "modality"],
            [("covariate", S), ("rat_id", S), ("value", F64)],
        ),
        _t("median_expression", ["version"], [("gene_id", S), ("tissue", S), ("median_tpm", F64)],
           sort_key=("gene_id", "tissue"), **QTL_LAYOUT),
        _t(
            "top_expressed",
            ["version"],
            [
                ("tissue", S),
                ("gene_id", S),
                ("median_tpm", F64),
                ("chrom", S),
                ("mt_gene", B),
                ("dataset_id", S),
                ("unit", S),
            ],
        ),
        _t(
            "top_assoc",
            ["version"],
            [("tissue", S), ("gene_id", S), *QTL_STATS, ("qval", F64),
             ("pval_nominal_threshold", F64), ("log2_aFC", F64), ("gene_name", S)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
        ),
        _t(
            "eqtls_indep",
            ["version"],
            [("tissue", S), ("gene_id", S), *QTL_STATS, ("rank", I32), ("log2_aFC", F64),
             ("gene_name", S), ("log2_aFC_bLR_bHR", F64), ("upregulated_in", S)],
            sort_key=("gene_id", "tissue", "rank"), **QTL_LAYOUT,
            doc="log2_aFC_bLR_bHR, upregulated_in: the HPC_F2 study's founder-line aFC and "
                "the line (bLR, bHR, equal) with the higher expression; NULL elsewhere.",
        ),
        _t(
            "xqtl_top_assoc",
            ["version", "modality"],
            [("tissue", S), ("phenotype_id", S), ("gene_id", S), *QTL_STATS, ("qval", F64),
             ("pval_nominal_threshold", F64), ("gene_name", S), ("group_size", I32)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
        ),
        _t(
            "xqtls_indep",
            ["version", "modality"],
            [("tissue", S), ("phenotype_id", S), ("gene_id", S), *QTL_STATS, ("rank", I32),
             ("gene_name", S), ("group_size", I32)],
            sort_key=("gene_id", "tissue", "rank"), **QTL_LAYOUT,
        ),
        _t(
            "xqtl_top_assoc_cross_modality",
            ["version"],
            [("tissue", S), ("modality", S), ("phenotype_id", S), ("gene_id", S), *QTL_STATS,
             ("qval", F64), ("pval_nominal_threshold", F64)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
        ),
        _t(
            "xqtls_indep_cross_modality",
            ["version"],
            [("tissue", S), ("modality", S), ("phenotype_id", S), ("gene_id", S), *QTL_STATS,
             ("rank", I32)],
            sort_key=("gene_id", "tissue", "rank"), **QTL_LAYOUT,
        ),
        # Pair tables keep the release order (chromosome, phenotype TSS, phenotype, position;
        # release-format 3.15-3.18): cis windows are local, so row-group min/max of chrom and
        # pos prune region lookups and the canned gene (chrom + TSS +- 1 Mb) and variant
        # lookups; a phenotype's (so a gene's) pairs are contiguous, so the bloom filters of
        # the ids leave an ad hoc `WHERE gene_id = ?` one or two row groups per file. Sorting
        # by gene instead would make region lookups read every row group.
        _t(
            "cis_qtl_signif",
            ["version", "tissue", "modality"],
            [
                ("phenotype_id", S),
                ("gene_id", S),
                ("variant_id", S),
                ("chrom", S),
                ("pos", I32),
                ("tss_distance", I32),
                ("af", F64),
                ("ma_samples", I32),
                ("ma_count", I32),
                ("pval_nominal", F64),
                ("slope", F64),
                ("slope_se", F64),
                ("pval_nominal_threshold", F64),
            ],
            row_group_rows=SIGNIF_ROW_GROUP_ROWS, bloom=PAIR_BLOOM,
            page_bytes=LOOKUP_PAGE_BYTES,
        ),
        _t(
            "trans_qtl_pairs",
            ["version", "tissue", "modality"],
            [
                ("variant_id", S),
                ("chrom", S),
                ("pos", I32),
                ("phenotype_id", S),
                ("gene_id", S),
                ("pval", F64),
                ("slope", F64),
                ("slope_se", F64),
                ("af", F64),
            ],
            row_group_rows=PAIR_ROW_GROUP_ROWS, bloom=PAIR_BLOOM, delta=TRANS_DELTA,
            block_sort=TRANS_BLOCK_SORT, page_rows=TRANS_PAGE_ROWS,
        ),
        _t(
            "cis_pvals",
            ["version", "tissue"],
            [("gene_id", S), ("variant_id", S), ("chrom", S), ("pos", I32), ("pval_nominal", F64)],
            row_group_rows=CIS_PVALS_ROW_GROUP_ROWS, bloom=PAIR_BLOOM,
        ),
        _t(
            "gene_esnps",
            ["version"],
            [
                ("gene_id", S),
                ("tissue", S),
                ("variant_id", S),
                ("chrom", S),
                ("pos", I32),
                ("pval_nominal", F64),
                ("slope", F64),
            ],
            row_group_rows=PAIR_ROW_GROUP_ROWS, bloom=PAIR_BLOOM,
        ),
        _t(
            "variants",
            ["version", "dataset"],
            [("variant_id", S), ("chrom", S), ("pos", I32), ("ref", S), ("alt", S)],
        ),
        # Genotypes are stored one row per variant with its ALT dosages as a plain
        # LIST<TINYINT> (readers.gt.dosage_lists; sample order of genotype_samples, NULL for a
        # missing call); sql/views/genotypes.sql pairs them with the rats into the contract's
        # long view.
        _t(
            "genotype_rows",
            ["version", "dataset"],
            [("variant_id", S), ("chrom", S), ("pos", I32), ("dosages", pa.list_(pa.int8()))],
            row_group_rows=GENOTYPE_ROW_GROUP_ROWS, bloom=("variant_id",),
            # two bits a rat in one BLOB from 2026-12-02 to 12-04: a custom encoding that
            # other Parquet engines cannot read (architecture section 2)
            replaced=(("dosages", "packed_dosages"),),
        ),
        _t(
            "genotype_samples",
            ["version", "dataset"],
            [("sample_index", I32), ("rat_id", S)],
        ),
        # --- study data archives (release-format 10): tables with no release counterpart ---
        _t(
            "expression_raw",
            ["version", "unit"],
            [("tissue", S), ("phenotype_id", S), ("gene_id", S), ("rat_id", S),
             ("library", S), ("value", F64)],
            sort_key=MATRIX_SORT_KEY, row_group_rows=MATRIX_ROW_GROUP_ROWS,
            bloom=MATRIX_BLOOM, dictionary=(*MATRIX_DICTIONARY, "library", "tissue"),
            doc="Gene x library matrices of a study (units raw_count, raw_tpm), one file for "
                "all tissues: library {rfid}_{region} -> rat_id, tissue. Read through the "
                "expression view.",
        ),
        _t(
            "study_sample_metadata",
            ["version"],
            [("library", S), ("rat_id", S), ("tissue", S), ("brain_region", S),
             ("sequencing_batch", S), ("qc_pass", B), ("fields", S)],
            sort_key=("library",),
            doc="Per-library sample metadata of a study; fields: the other columns of the "
                "CSV as one JSON object (header name -> text, NA as null).",
        ),
        _t(
            "study_cis_qtl",
            ["version"],
            [("tissue", S), ("phenotype_id", S), ("gene_id", S), ("num_var", I32),
             ("beta_shape1", F64), ("beta_shape2", F64), ("true_df", F64),
             ("pval_true_df", F64), ("variant_id", S), ("chrom", S), ("pos", I32),
             ("tss_distance", I32), ("ma_samples", I32), ("ma_count", I32), ("af", F64),
             ("pval_nominal", F64), ("slope", F64), ("slope_se", F64), ("pval_perm", F64),
             ("pval_beta", F64), ("qval", F64), ("pval_nominal_threshold", F64)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
            doc="tensorQTL map_cis output of a study, one row per phenotype (Eye).",
        ),
        _t(
            "study_ase_afc",
            ["version"],
            [("tissue", S), ("gene_id", S), ("variant_id", S), ("chrom", S), ("pos", I32),
             ("log2_aFC_ASE", F64)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
            doc="Allelic fold change of a study's eQTLs from allele-specific expression.",
        ),
        _t(
            "study_afc",
            ["version"],
            [("tissue", S), ("gene_id", S), ("variant_id", S), ("chrom", S), ("pos", I32),
             ("log2_aFC", F64), ("log2_aFC_lower", F64), ("log2_aFC_upper", F64)],
            sort_key=("gene_id", "tissue"), **QTL_LAYOUT,
            doc="Allelic fold change of a study's eQTLs with its confidence bounds.",
        ),
        _t(
            "study_colocs",
            ["version"],
            [("tissue", S), ("gene_id", S), ("gene_name", S), ("variant_id", S),
             ("chrom", S), ("pos", I32), ("z_eQTL", F64), ("trait", S), ("z_GWAS", F64),
             ("T_SMR", F64), ("p_SMR", F64)],
            doc="SMR colocalisation of a study's eQTLs with GWAS traits (colocs.tsv).",
        ),
        _t(
            "study_colocs_sig",
            ["version"],
            [("tissue", S), ("gene_id", S), ("gene_name", S), ("variant_id", S),
             ("chrom", S), ("pos", I32), ("z_eQTL", F64), ("trait", S), ("z_GWAS", F64),
             ("T_SMR", F64), ("p_SMR", F64)],
            doc="The significant rows of study_colocs (colocs_sig.tsv); the study_colocs view "
                "reads them as its 'significant' flag.",
        ),
    ]
}
