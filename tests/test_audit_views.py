"""Audit of the v4 views against the contract: architecture.md section 3 (views, columns,
partition columns, keys, types, general rules) and release-format.md section 3 (every v4 file).

The input is a small v4 release tree, tests/data/audit_views/data/v4, one file of (nearly) every
v4 kind under exactly its documented name and encoding (BGZF BEDs and VCF, plain and
multi-member gzip, zip archives), typed by hand from release-format.md section 3
(tests/data/audit_views/make_audit_views.py writes it; never from synth*.py). Its tricky but
documented values: rat ids 0007789E12 / 00077E67B5 / 0000000E01 (hex that parses as a float) and
15-digit 933000320045751; colorHex 1e5000 and 007700; readr shortest forms in INTEGER columns
(2e3, 1e8, 1.0088e8, -1e4, 8.7e5, 3.7e5), pandas %g (1.2e-05, 1e+06, 4.94066e-324), R
write.table (1e-06, 1e+05); NA, NaN, Inf, -Inf, inf, -inf and empty fields; True/False; phenotype
ids with and without '__' and a splice junction shared by two genes; a gene description with an
apostrophe and commas; merged-tissue fastq paths with 2 and 3 fields; phased and missing GTs;
header-only files; presentation files and a byte-copy expr.tpm that must be skipped.

Every expected value below is typed from those files: a double is the nearest double to its
text, an integer the number its text denotes. The tree is ingested once with the real CLI into
a temporary database; the views are read with real DuckDB (read-only) and the Python API.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from itertools import product
from pathlib import Path

import duckdb
import pytest

TREE = Path(__file__).resolve().parent / "data" / "audit_views" / "data" / "v4"
V = "v4"
PV = ["0007789E12", "00077E67B5", "933000320045751"]  # pVTA rats (rat_ids order)
BL = ["933000320045751", "933000320046002"]  # BLA rats
VCF_RATS = ["0000000E01", "0007789E12", "00077E67B5", "933000320045751", "933000320046002"]
TISSUES_V4 = ["Adipose", "BLA", "Brain", "Eye", "IC", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
              "RMTg", "pVTA"]
SP1 = "Cd300lf__chr10_100862967_100866541_clu_7827_-"
SP2 = "Cd300lf__chr10_100862967_100869000_clu_7827_-"
SP3 = "Cd300ld__chr10_100862967_100866541_clu_7827_-"
ISO1, ISO2, ENOISO = "Cd300lf__NM_001100.1", "Cd300lf__XM_006245678.3", "Eno1__XM_039012345.2"
TSS1 = "Eno1__grp_1_upstream_NM_001012345.1"
TSS2 = "Eno1__grp_2_upstream_XM_039012345.2"
PA2 = "Eno1__grp_2_downstream_XM_039012345.2"
DATASET = "ratgtex_v4_round11_2"


def cli(db: Path, *args: str, check: bool = True, cwd: Path | None = None
        ) -> subprocess.CompletedProcess:
    exe = shutil.which("ratgtex-db")
    cmd = [exe] if exe else [sys.executable, "-m", "ratgtex_db"]
    proc = subprocess.run([*cmd, "--db", str(db), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "COLUMNS": "250"})
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
    return proc


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit_views") / "db"
    cli(out, "ingest", str(TREE))
    failed = q(out, "SELECT path, message FROM ingested_files WHERE status = 'failed'")
    assert failed == [], failed
    return out


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def columns(db: Path, view: str) -> dict[str, str]:
    return {r[0]: r[1] for r in q(db, f"DESCRIBE {view}")}


# --- the contract: architecture.md section 3, columns of each view --------------------------

CONTRACT: dict[str, list[str]] = {
    "tissues": "version, tissue, tissue_site_detail_abbr, tissue_site_detail, tissue_site, "
               "color_hex, color_rgb, dataset, rna_seq_sample_count, "
               "rna_seq_and_genotype_sample_count, expressed_gene_count, e_gene_count, "
               "dataset_id, has_e_genes",
    "genes": "version, gene_id, chrom, start, end, strand, tss, description, has_eqtl",
    "gene_tissue_status": "version, tissue, gene_id, expressed, tested_eqtl, eqtl",
    "exons": "version, exon_id, gene_id, chrom, start, end, strand, exon_number, feature_type, "
             "transcript_id",
    "rats": "version, rat_id, sex, coatcolor, tissues",
    "samples": "version, tissue, rat_id, geo_accession, biosample_accession, sra_accession",
    "rat_ids": "version, tissue, rat_id",
    "fastq_map": "version, tissue, fastq_1, fastq_2, rat_id, paired",
    "expression": "version, tissue, unit, phenotype_id, gene_id, rat_id, value",
    "phenotypes": "version, tissue, modality, normalized, phenotype_id, gene_id, rat_id, value",
    "covariates": "version, tissue, modality, covariate, rat_id, value",
    "median_expression": "version, gene_id, tissue, median_tpm",
    "top_expressed": "version, tissue, gene_id, median_tpm, chrom, mt_gene, dataset_id, unit",
    "top_assoc": "version, tissue, gene_id, num_var, variant_id, chrom, pos, ref, alt, af, "
                 "tss_distance, pval_nominal, slope, slope_se, pval_beta, qval, "
                 "pval_nominal_threshold, log2_aFC",
    "eqtls_indep": "version, tissue, gene_id, num_var, variant_id, chrom, pos, ref, alt, af, "
                   "tss_distance, pval_nominal, slope, slope_se, pval_beta, rank, log2_aFC",
    "xqtl_top_assoc": "version, modality, tissue, phenotype_id, gene_id, num_var, variant_id, "
                      "chrom, pos, ref, alt, af, tss_distance, pval_nominal, slope, slope_se, "
                      "pval_beta, qval, pval_nominal_threshold",
    "xqtls_indep": "version, modality, tissue, phenotype_id, gene_id, num_var, variant_id, chrom, "
                   "pos, ref, alt, af, tss_distance, pval_nominal, slope, slope_se, pval_beta, "
                   "rank",
    "cis_qtl_signif": "version, tissue, modality, phenotype_id, gene_id, variant_id, chrom, pos, "
                      "tss_distance, af, ma_samples, ma_count, pval_nominal, slope, slope_se, "
                      "pval_nominal_threshold",
    "trans_qtl_pairs": "version, tissue, modality, variant_id, chrom, pos, phenotype_id, gene_id, "
                       "pval, slope, slope_se, af",
    "cis_pvals": "version, tissue, gene_id, variant_id, chrom, pos, pval_nominal",
    "gene_esnps": "version, gene_id, tissue, variant_id, chrom, pos, pval_nominal, slope",
    "variants": "version, dataset, variant_id, chrom, pos, ref, alt",
    "genotypes": "version, dataset, variant_id, chrom, pos, rat_id, dosage",
    "ingested_files": "path, kind, version, tissue, modality, bytes, sha256, rows_read, "
                      "rows_written, status, message, synthetic, ingested_at",
}
CONTRACT = {k: [c.strip() for c in v.split(",")] for k, v in CONTRACT.items()}
CONTRACT["xqtl_top_assoc_cross_modality"] = CONTRACT["xqtl_top_assoc"]
CONTRACT["xqtls_indep_cross_modality"] = CONTRACT["xqtls_indep"]
CONTRACT["egenes"] = CONTRACT["top_assoc"]  # top_assoc rows with qval < 0.05

#: Keys (architecture 3, with the partition columns that make them unique across files).
KEYS: dict[str, list[str]] = {
    "tissues": ["version", "tissue"],
    "genes": ["version", "gene_id"],
    "gene_tissue_status": ["version", "tissue", "gene_id"],
    "exons": ["version", "exon_id"],
    "rats": ["version", "rat_id"],
    "samples": ["version", "tissue", "rat_id"],
    "rat_ids": ["version", "tissue", "rat_id"],
    "expression": ["version", "tissue", "unit", "gene_id", "rat_id"],
    "phenotypes": ["version", "tissue", "modality", "normalized", "phenotype_id", "rat_id"],
    "covariates": ["version", "tissue", "modality", "covariate", "rat_id"],
    "median_expression": ["version", "gene_id", "tissue"],
    "top_expressed": ["version", "tissue", "gene_id"],
    "top_assoc": ["version", "tissue", "gene_id"],
    "egenes": ["version", "tissue", "gene_id"],
    "eqtls_indep": ["version", "tissue", "gene_id", "rank"],
    "xqtl_top_assoc": ["version", "modality", "tissue", "gene_id"],
    "xqtls_indep": ["version", "modality", "tissue", "gene_id", "rank"],
    "xqtl_top_assoc_cross_modality": ["version", "tissue", "gene_id"],
    "xqtls_indep_cross_modality": ["version", "tissue", "gene_id", "rank"],
    "cis_qtl_signif": ["version", "tissue", "modality", "phenotype_id", "variant_id"],
    "trans_qtl_pairs": ["version", "tissue", "modality", "variant_id", "phenotype_id"],
    "cis_pvals": ["version", "tissue", "gene_id", "variant_id"],
    "gene_esnps": ["version", "gene_id", "tissue", "variant_id"],
    "variants": ["version", "dataset", "variant_id"],
    "genotypes": ["version", "dataset", "variant_id", "rat_id"],
    "ingested_files": ["path"],
}

#: Documented type of each column name (architecture 3 "Types", release-format 3).
VARCHAR = {"version", "tissue", "modality", "unit", "dataset", "gene_id", "phenotype_id",
           "variant_id", "chrom", "rat_id", "ref", "alt", "strand", "description", "exon_id",
           "feature_type", "transcript_id", "covariate", "sex", "coatcolor", "tissues",
           "geo_accession", "biosample_accession", "sra_accession", "tissue_site_detail_abbr",
           "tissue_site_detail", "tissue_site", "color_hex", "color_rgb", "dataset_id",
           "fastq_1", "fastq_2", "path", "kind", "sha256", "status", "message"}
INTEGERS = {"pos", "start", "end", "tss", "num_var", "tss_distance", "rank", "ma_samples",
            "ma_count", "exon_number", "rna_seq_sample_count",
            "rna_seq_and_genotype_sample_count", "expressed_gene_count", "e_gene_count",
            "bytes", "rows_read", "rows_written"}
DOUBLES = {"af", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
           "pval_nominal_threshold", "log2_aFC", "value", "median_tpm", "pval"}
BOOLEANS = {"normalized", "has_e_genes", "has_eqtl", "expressed", "tested_eqtl", "eqtl",
            "paired", "mt_gene", "synthetic"}


def expected_type(col: str) -> set[str]:
    if col in VARCHAR:
        return {"VARCHAR"}
    if col in INTEGERS:
        return {"INTEGER", "BIGINT"}
    if col in DOUBLES:
        return {"DOUBLE"}
    if col in BOOLEANS:
        return {"BOOLEAN"}
    if col == "dosage":
        return {"TINYINT"}
    if col == "ingested_at":
        return {"TIMESTAMP", "TIMESTAMP WITH TIME ZONE"}
    raise AssertionError(col)


# --- views, columns, types ------------------------------------------------------------------

@pytest.mark.parametrize("view", sorted(CONTRACT))
def test_view_has_every_documented_column_with_its_type(db, view):
    got = {k.lower(): v for k, v in columns(db, view).items()}
    missing = [c for c in CONTRACT[view] if c.lower() not in got]
    assert not missing, f"{view} lacks {missing}; has {sorted(got)}"
    wrong = {c: got[c.lower()] for c in CONTRACT[view]
             if got[c.lower()] not in expected_type(c)}
    assert not wrong, f"{view}: documented types violated: {wrong}"


@pytest.mark.parametrize("view", sorted(KEYS))
def test_keys_are_unique_and_never_null(db, view):
    cols = ", ".join(KEYS[view])
    dup = q(db, f"SELECT {cols}, count(*) FROM {view} GROUP BY ALL HAVING count(*) > 1")
    assert dup == [], f"{view}: duplicate keys {dup[:5]}"
    nulls = q(db, f"SELECT count(*) FROM {view} WHERE " +
              " OR ".join(f"{c} IS NULL" for c in KEYS[view]))
    assert nulls == [(0,)], f"{view}: NULL in a key column"


def _views_with(db: Path, col: str) -> list[str]:
    return [v for (v,) in q(db, "SELECT DISTINCT table_name FROM information_schema.columns "
                                "WHERE table_schema = 'main' AND column_name = ? "
                                "AND NOT starts_with(table_name, 'study') "
                                "AND table_name NOT IN ('ingested_files')", [col])]


def test_chrom_and_pos_follow_variant_id_in_every_view(db):
    views = _views_with(db, "variant_id")
    assert {"top_assoc", "cis_qtl_signif", "trans_qtl_pairs", "cis_pvals", "gene_esnps",
            "variants", "genotypes"} <= set(views)
    for view in views:
        bad = q(db, f"SELECT variant_id, chrom, pos FROM {view} WHERE chrom IS DISTINCT FROM "
                    "split_part(variant_id, ':', 1) OR pos IS DISTINCT FROM "
                    "CAST(split_part(variant_id, ':', 2) AS INTEGER) OR NOT starts_with(chrom, "
                    "'chr')")
        assert bad == [], f"{view}: {bad[:5]}"
        assert q(db, f"SELECT count(*) FROM {view}")[0][0] > 0, view


def test_gene_id_is_phenotype_id_before_first_double_underscore_in_every_view(db):
    views = _views_with(db, "phenotype_id")
    assert {"phenotypes", "expression", "cis_qtl_signif", "trans_qtl_pairs", "xqtl_top_assoc",
            "xqtls_indep", "xqtl_top_assoc_cross_modality",
            "xqtls_indep_cross_modality"} <= set(views)
    for view in views:
        bad = q(db, f"SELECT phenotype_id, gene_id FROM {view} "
                    "WHERE gene_id IS DISTINCT FROM split_part(phenotype_id, '__', 1)")
        assert bad == [], f"{view}: {bad[:5]}"


# --- 3.1 gene.v4.tsv -> genes, gene_tissue_status --------------------------------------------

def test_genes(db):
    assert q(db, "SELECT version, gene_id, chrom, start, \"end\", strand, tss, description, "
                 "has_eqtl FROM genes ORDER BY gene_id") == [
        (V, "Cd300lf", "chr10", 100862000, 100870000, "-", 100870000,
         "CD300 molecule-like family member f", True),
        (V, "Eno1", "chr5", 1000, 5000, "+", 1000, "enolase 1, (alpha)", False),
        (V, "LOC120093067", "chr1", 200, 900, "+", 200, None, True),  # empty -> NULL
        (V, "Mt-co1", "chrM", 5000, 6500, "+", 5000, "cytochrome c oxidase I, mitochondrial",
         False),
        (V, "Nt5c1a", "chr5", 3000000, 3010000, "-", 3010000, "5'-nucleotidase, cytosolic IA",
         False),
        (V, "Xist", "chrX", 300, 800, "-", 800, "X inactive specific transcript", False)]


def test_gene_tissue_status_unpivots_every_flag_by_name(db):
    expressed = {("Cd300lf", "BLA"), ("Cd300lf", "pVTA"), ("Eno1", "pVTA"), ("Mt-co1", "pVTA"),
                 ("Xist", "BLA")}
    tested = {("Cd300lf", "BLA"), ("Cd300lf", "NAcc"), ("Cd300lf", "pVTA"), ("Eno1", "NAcc"),
              ("Eno1", "pVTA")}
    eqtl = {("Cd300lf", "BLA"), ("Cd300lf", "pVTA")}
    genes = ["Cd300lf", "Eno1", "LOC120093067", "Mt-co1", "Nt5c1a", "Xist"]
    want = sorted((V, t, g, (g, t) in expressed, (g, t) in tested, (g, t) in eqtl)
                  for g, t in product(genes, TISSUES_V4))
    assert q(db, "SELECT version, tissue, gene_id, expressed, tested_eqtl, eqtl "
                 "FROM gene_tissue_status ORDER BY ALL") == want


# --- 3.2 exon, 3.3 tissue_info ----------------------------------------------------------------

def test_exons(db):
    assert q(db, "SELECT version, exon_id, gene_id, chrom, start, \"end\", strand, exon_number, "
                 "feature_type, transcript_id FROM exons ORDER BY exon_id") == [
        (V, "Cd300lf_1", "Cd300lf", "chr10", 100869000, 100870000, "-", 1, "exon", "Cd300lf"),
        (V, "Cd300lf_2", "Cd300lf", "chr10", 100862000, 100865000, "-", 2, "exon", "Cd300lf"),
        (V, "Eno1_1", "Eno1", "chr5", 1000, 2000, "+", 1, "exon", "Eno1"),
        (V, "Mt-co1_1", "Mt-co1", "chrM", 5000, 6500, "+", 1, "exon", "Mt-co1")]


def test_tissues(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["tissues"]) + " FROM tissues ORDER BY tissue") \
        == [
        (V, "BLA", "BLA", "Basolateral amygdala", "Brain", "377eb8", "55,126,184", DATASET,
         2, 2, 2, 1, "ratgtex_v4", True),
        (V, "NAcc", "NAcc", "Nucleus accumbens core", "Brain", "1e5000", "30,80,0", DATASET,
         570, 570, 24107, None, "ratgtex_v4", True),  # eGeneCount NA -> NULL
        (V, "pVTA", "pVTA", "Posterior ventral tegmental area", "Brain", "007700", "0,119,0",
         DATASET, 3, 3, 3, 1, "ratgtex_v4", True)]


# --- 3.10 / 3.11 rats, samples, rat_ids, fastq_map --------------------------------------------

def test_rats_and_samples(db):
    assert q(db, "SELECT version, rat_id, sex, coatcolor, tissues FROM rats ORDER BY rat_id") == [
        (V, "0007789E12", None, None, "pVTA1"),
        (V, "00077E67B5", "F", "BLACKHOOD", "NAcc1, pVTA2"),
        (V, "933000320045751", "M", "BROWNHOOD", "BLA, pVTA2"),
        (V, "933000320046002", "M", None, "BLA")]
    assert q(db, "SELECT version, tissue, rat_id, geo_accession, biosample_accession, "
                 "sra_accession FROM samples ORDER BY tissue, rat_id") == [
        (V, "BLA", "933000320045751", None, None, None),
        (V, "BLA", "933000320046002", None, None, None),
        (V, "NAcc1", "00077E67B5", "GSM5123456", "SAMN17123456", "SRX10123456"),
        (V, "pVTA1", "0007789E12", None, None, None),
        (V, "pVTA2", "00077E67B5", None, None, None),
        (V, "pVTA2", "933000320045751", None, None, None)]


def test_rat_ids_and_fastq_map(db):
    assert q(db, "SELECT version, tissue, rat_id FROM rat_ids ORDER BY ALL") == sorted(
        [(V, "BLA", r) for r in BL] + [(V, "pVTA", r) for r in PV])
    assert q(db, "SELECT version, tissue, fastq_1, fastq_2, rat_id, paired FROM fastq_map "
                 "ORDER BY fastq_1") == [
        (V, "pVTA", "pVTA1/0007789E12_L2_R1.fastq.gz", "pVTA1/0007789E12_L2_R2.fastq.gz",
         "0007789E12", True),
        (V, "pVTA", "pVTA1/0007789E12_R1.fastq.gz", "pVTA1/0007789E12_R2.fastq.gz",
         "0007789E12", True),
        (V, "pVTA", "pVTA2/0000000E01.fastq.gz", None, "0000000E01", False),
        (V, "pVTA", "pVTA2/00077E67B5.fastq.gz", None, "00077E67B5", False),
        (V, "pVTA", "pVTA2/933000320045751.fastq.gz", None, "933000320045751", False)]


# --- 3.9 covariates ---------------------------------------------------------------------------

def test_covariates(db):
    def rows(tissue, modality, rats, table):
        return [(V, tissue, modality, cov, rat, val)
                for cov, vals in table.items() for rat, val in zip(rats, vals, strict=True)]
    want = (rows("pVTA", "splicing", PV, {"geno_PC1": [0.1, -0.2, 1e-06],
                                          "geno_PC2": [-0.5, 0.25, 0.0],
                                          "pheno_PC1": [-1.2e-05, 12.345678, -3.0],
                                          "pheno_PC2": [100000.0, -1.0, -1.0]})
            + rows("pVTA", "cross_modality", PV, {"geno_PC1": [0.1, -0.2, 1e-06],
                                                  "pheno_PC1": [5e-04, -0.333333, 0.333333]})
            + rows("BLA", "expression", BL, {"geno_PC1": [0.707107, -0.707107],
                                             "pheno_PC1": [1.0, -1.0]}))
    assert q(db, "SELECT version, tissue, modality, covariate, rat_id, value FROM covariates "
                 "ORDER BY ALL") == sorted(want)


# --- 3.5 / 3.6 BEDs -> expression, phenotypes --------------------------------------------------

#: (chrom, tss) of each gene in the BEDs (end column = TSS).
LOC = {"LOC120093067": ("chr1", 200), "Cd300lf": ("chr10", 100870000), "Eno1": ("chr5", 1000),
       "Mt-co1": ("chrM", 5000), "Xist": ("chrX", 800), "Cd300ld": ("chr10", 100880000)}


def _long(key, rats, table):
    """(*key, phenotype_id, gene_id, chrom, tss, rat_id, value) of a BED typed as a dict."""
    out = []
    for pid, vals in table.items():
        gene = pid.split("__")[0]
        for rat, val in zip(rats, vals, strict=True):
            out.append((*key, pid, gene, *LOC[gene], rat, val))
    return out


PVTA_TPM = {"LOC120093067": [0.0, 0.001, 1e-05], "Cd300lf": [2500.0, 3000.0, 3500.0],
            "Eno1": [1234.57, 1000.0, 2000.0], "Mt-co1": [25000.0, 25000.0, 30000.0],
            "Xist": [0.0, 0.0, 0.0]}


def test_expression_units_log2_and_tpm_with_tpm_from_the_skipped_copy(db):
    want = (_long((V, "pVTA", "log2"), PV, {
                "LOC120093067": [0.0, 1.0, 1.58496], "Cd300lf": [11.2881, 11.5507, 11.7731],
                "Eno1": [10.2708, 9.96722, 10.0], "Mt-co1": [14.6096, 14.6096, 14.8727],
                "Xist": [0.0, 0.0, 0.0]})
            + _long((V, "pVTA", "tpm"), PV, PVTA_TPM)
            + _long((V, "BLA", "tpm"), BL, {"Cd300lf": [10.0, 14.692], "Xist": [7.5, 7.5]}))
    assert q(db, "SELECT version, tissue, unit, phenotype_id, gene_id, chrom, tss, rat_id, value "
                 "FROM expression ORDER BY ALL") == sorted(want)


def test_phenotypes_every_modality_norm_and_unnorm(db):
    pv = lambda m, n, t: _long((V, "pVTA", m, n), PV, t)  # noqa: E731
    want = (pv("expression", False, PVTA_TPM)
            + pv("expression", True, {"Cd300lf": [-1.22474, 0.0, 1.22474],
                                      "Eno1": [0.0, -1.22474, 1.22474],
                                      "Mt-co1": [1.22474, -1.22474, 0.0]})
            + pv("isoforms", False, {ISO1: [0.5, 0.25, None], ISO2: [0.5, 0.75, None],
                                     ENOISO: [1.0, 0.0, 0.5]})
            + pv("isoforms", True, {ISO1: [0.67449, -0.67449, 0.0],
                                    ENOISO: [1.22474, -1.22474, 0.0]})
            + pv("splicing", False, {SP1: [0.9, 0.1, 0.5], SP2: [0.1, 0.9, 0.5],
                                     SP3: [0.9, 0.1, 0.5]})
            + pv("splicing", True, {SP1: [1.22474, -1.22474, 0.0], SP2: [-1.22474, 1.22474, 0.0],
                                    SP3: [1.22474, -1.22474, 0.0]})
            + pv("alt_TSS", True, {TSS1: [-0.67449, 0.67449, 0.0],
                                   TSS2: [0.67449, -0.67449, 0.0]})
            + pv("alt_polyA", False, {PA2: [None, 0.2, 0.8]})
            + pv("stability", False, {"Cd300lf": [1.5, None, 2.5e-05], "Eno1": [0.5, None, 2.5]})
            + pv("stability", True, {"Eno1": [-1.22474, 0.0, 1.22474]})
            + _long((V, "BLA", "expression", True), BL, {"Cd300lf": [-0.67449, 0.67449],
                                                          "Xist": [0.67449, -0.67449]}))
    got = q(db, "SELECT version, tissue, modality, normalized, phenotype_id, gene_id, chrom, "
                "tss, rat_id, value FROM phenotypes")
    key = lambda r: tuple("" if x is None else str(x) for x in r)  # noqa: E731
    assert sorted(got, key=key) == sorted(want, key=key)


# --- 3.7 / 3.8 median and top expressed --------------------------------------------------------

def test_median_expression_unpivoted_na_is_null(db):
    values = {("Eno1", "BLA"): 0.001, ("Eno1", "pVTA"): 1234.568,
              ("LOC120093067", "pVTA"): 0.001, ("Cd300lf", "BLA"): 12.346,
              ("Cd300lf", "NAcc"): 0.0, ("Cd300lf", "pVTA"): 3000.0, ("Xist", "BLA"): 7.5,
              ("Xist", "pVTA"): 0.0, ("Mt-co1", "pVTA"): 25000.0}
    got = q(db, "SELECT version, gene_id, tissue, median_tpm FROM median_expression")
    assert sorted(r for r in got if r[3] is not None) == sorted(
        (V, g, t, v) for (g, t), v in values.items())
    # the NA cells, where the view keeps them, are NULL (never 0 or NaN); both forms are read
    # as "absent" (architecture 3 does not say whether an NA cell is a row)
    genes = {"Eno1", "LOC120093067", "Cd300lf", "Xist", "Mt-co1"}
    for _, g, t, v in got:
        assert g in genes and t in TISSUES_V4
        if (g, t) not in values:
            assert v is None, (g, t, v)


def test_top_expressed(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["top_expressed"]) +
             " FROM top_expressed ORDER BY tissue, median_tpm DESC") == [
        (V, "BLA", "Cd300lf", 12.346, "chr10", False, "ratgtex_v4", "TPM"),
        (V, "BLA", "Xist", 7.5, "chrX", False, "ratgtex_v4", "TPM"),
        (V, "pVTA", "Mt-co1", 25000.0, "chrM", True, "ratgtex_v4", "TPM"),
        (V, "pVTA", "Cd300lf", 3000.0, "chr10", False, "ratgtex_v4", "TPM"),
        (V, "pVTA", "Eno1", 1234.568, "chr5", False, "ratgtex_v4", "TPM")]


# --- 3.13 eqtl/top_assoc, eqtls_indep, egenes -------------------------------------------------

TOP = [  # tissue, gene_id, num_var, variant_id, chrom, pos, ref, alt, af, tss_distance,
         # pval_nominal, slope, slope_se, pval_beta, qval, pval_nominal_threshold, log2_aFC
    ("BLA", "Cd300lf", 2000, "chr10:100000000", "chr10", 100000000, "A", "G", 0.25, 870000,
     1.2e-05, -4.029971e-04, 0.1, 3.3e-05, 0.0499, 2.5e-05, None),  # aFC NA
    ("NAcc", "Cd300lf", 1500, "chr10:100880000", "chr10", 100880000, None, None, 0.5, -10000,
     1e-03, 0.2, 0.05, 2e-03, 0.05, 1e-04, None),  # ref/alt NA, aFC NaN
    ("NAcc", "Eno1", 987, "chr5:793394", "chr5", 793394, "C", "T", 1.0, None, 0.3, 0.0, 0.01,
     0.9, 0.95, 1e-03, None),  # tss_distance NA, aFC Inf
    ("pVTA", "Cd300lf", 2000, "chr10:100860000", "chr10", 100860000, "G", "A", 0.166667, 10000,
     1e-300, 1.5, 0.25, 5e-324, 1.2e-10, 3.1e-04, -0.8),
    ("pVTA", "Eno1", 300, "chr5:1001", "chr5", 1001, "T", "C", 0.5, 1, 0.02, 0.1, 0.05, 0.4,
     0.5, 1e-03, None),  # aFC -Inf
]


def test_top_assoc(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["top_assoc"]) +
             " FROM top_assoc ORDER BY tissue, gene_id") == [(V, *r) for r in TOP]


def test_egenes_is_top_assoc_with_qval_below_005(db):
    # egenes.sql: "the eGenes of each tissue (top_assoc rows with qval < 0.05)"; q = 0.05 is not
    assert q(db, "SELECT " + ", ".join(CONTRACT["top_assoc"]) +
             " FROM egenes ORDER BY tissue, gene_id") == [(V, *TOP[0]), (V, *TOP[3])]


def test_eqtls_indep(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["eqtls_indep"]) +
             " FROM eqtls_indep ORDER BY tissue, gene_id, rank") == [
        (V, "BLA", "Cd300lf", 2000, "chr10:100000000", "chr10", 100000000, "A", "G", 0.25,
         870000, 1.2e-05, -4.029971e-04, 0.1, 3.3e-05, 1, None),
        (V, "pVTA", "Cd300lf", 2000, "chr10:100860000", "chr10", 100860000, "G", "A", 0.166667,
         10000, 1e-300, 1.5, 0.25, 4.94066e-324, 1, -0.8),
        (V, "pVTA", "Cd300lf", 2000, "chr10:100500000", "chr10", 100500000, "C", "G", 0.833333,
         370000, 2e-08, -0.5, 0.1, 1.23457e-08, 2, 0.321)]


# --- 3.14 xqtl top_assoc / xqtls_indep per modality and cross_modality ------------------------

XTOP = {  # modality -> rows (tissue, phenotype_id, gene_id, num_var, variant_id, chrom, pos,
          # ref, alt, af, tss_distance, pval_nominal, slope, slope_se, pval_beta, qval, thr)
    "expression": [
        ("BLA", "Cd300lf", "Cd300lf", 2000, "chr10:100000000", "chr10", 100000000, "A", "G",
         0.25, 870000, 1.2e-05, -0.000402997, 0.1, 3.3e-05, 0.0499, 2.5e-05),
        ("pVTA", "Cd300lf", "Cd300lf", 2000, "chr10:100860000", "chr10", 100860000, "G", "A",
         0.166667, 10000, 1e-300, 1.5, 0.25, 4.94066e-324, 1.2e-10, 0.00031)],
    "isoforms": [
        ("pVTA", ISO1, "Cd300lf", 1999, "chr10:100860000", "chr10", 100860000, "G", "A",
         0.166667, 10000, 1e-06, 0.7, 0.2, 2e-06, 0.01, 1e-05),
        ("pVTA", ENOISO, "Eno1", 300, "chr5:1001", "chr5", 1001, "T", "C", 0.5, 1, 0.2, 0.1,
         0.3, 0.25, 0.3, 0.001)],
    "splicing": [
        ("pVTA", SP1, "Cd300lf", 2000, "chr10:100862967", "chr10", 100862967, "A", "C",
         0.333333, 7033, 1e-07, -1.0, 0.25, 3e-07, 0.001, 2e-05)],
    "alt_TSS": [
        ("pVTA", TSS1, "Eno1", 300, "chr5:1001", "chr5", 1001, "T", "C", 0.5, 1, 0.001, 0.5,
         0.2, 0.002, 0.04, 0.0015)],
    "alt_polyA": [
        ("pVTA", PA2, "Eno1", 300, "chr5:1001", "chr5", 1001, None, None, 0.5, 1, 0.01, 0.4,
         0.2, 0.02, 0.2, 0.001)],
    "stability": [
        ("pVTA", "Eno1", "Eno1", 300, "chr5:1001", "chr5", 1001, "T", "C", 0.5, 1, 0.5,
         1e+06, 2e+05, 0.6, 0.7, 0.001)],
}
XIND = {  # modality -> rows (... pval_beta, rank)
    "expression": [
        ("BLA", "Cd300lf", "Cd300lf", 2000, "chr10:100000000", "chr10", 100000000, "A", "G",
         0.25, 870000, 1.2e-05, -0.000402997, 0.1, 3.3e-05, 1),
        ("pVTA", "Cd300lf", "Cd300lf", 2000, "chr10:100860000", "chr10", 100860000, "G", "A",
         0.166667, 10000, 1e-300, 1.5, 0.25, 4.94066e-324, 1),
        ("pVTA", "Cd300lf", "Cd300lf", 2000, "chr10:100500000", "chr10", 100500000, "C", "G",
         0.833333, 370000, 2e-08, -0.5, 0.1, 1.23457e-08, 2)],
    "isoforms": [
        ("pVTA", ISO1, "Cd300lf", 1999, "chr10:100860000", "chr10", 100860000, "G", "A",
         0.166667, 10000, 1e-06, 0.7, 0.2, 2e-06, 1),
        ("pVTA", ISO2, "Cd300lf", 1999, "chr10:100500000", "chr10", 100500000, "C", "G",
         0.833333, 370000, 4e-06, -0.3, 0.1, 8e-06, 2)],
    "splicing": [
        ("pVTA", SP1, "Cd300lf", 2000, "chr10:100862967", "chr10", 100862967, "A", "C",
         0.333333, 7033, 1e-07, -1.0, 0.25, 3e-07, 1)],
    "alt_TSS": [
        ("pVTA", TSS1, "Eno1", 300, "chr5:1001", "chr5", 1001, "T", "C", 0.5, 1, 0.001, 0.5,
         0.2, 0.002, 1)],
    "alt_polyA": [],  # header-only files: empty partitions
    "stability": [],
}


def _xcols(view: str) -> str:
    return ", ".join(c for c in CONTRACT[view] if c not in ("version", "modality"))


def test_xqtl_top_assoc_modality_from_file_name(db):
    got = q(db, f"SELECT version, modality, {_xcols('xqtl_top_assoc')} FROM xqtl_top_assoc")
    want = [(V, m, *r) for m, rows in XTOP.items() for r in rows]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_xqtls_indep_modality_from_file_name(db):
    got = q(db, f"SELECT version, modality, {_xcols('xqtls_indep')} FROM xqtls_indep")
    want = [(V, m, *r) for m, rows in XIND.items() for r in rows]
    assert sorted(got, key=str) == sorted(want, key=str)


def test_cross_modality_tables_modality_from_content(db):
    got = q(db, "SELECT version, modality, "
                f"{_xcols('xqtl_top_assoc_cross_modality')} FROM xqtl_top_assoc_cross_modality")
    want = [(V, "expression", *XTOP["expression"][0]), (V, "splicing", *XTOP["splicing"][0]),
            (V, "alt_TSS", *XTOP["alt_TSS"][0])]
    assert sorted(got, key=str) == sorted(want, key=str)
    got = q(db, "SELECT version, modality, "
                f"{_xcols('xqtls_indep_cross_modality')} FROM xqtls_indep_cross_modality")
    want = [(V, "expression", *XIND["expression"][0]), (V, "splicing", *XIND["splicing"][0]),
            (V, "isoforms", *XIND["isoforms"][1]), (V, "alt_TSS", *XIND["alt_TSS"][0])]
    assert sorted(got, key=str) == sorted(want, key=str)


# --- 3.15 / 3.16 signif and trans --------------------------------------------------------------

def test_cis_qtl_signif(db):
    got = q(db, "SELECT " + ", ".join(CONTRACT["cis_qtl_signif"]) + " FROM cis_qtl_signif")
    want = [
        (V, "BLA", "expression", "LOC120093067", "LOC120093067", "chr1:793394", "chr1", 793394,
         793194, 0.75, 1, 1, 3e-06, 0.9, 0.2, 4e-06),
        (V, "BLA", "expression", "Cd300lf", "Cd300lf", "chr10:100000000", "chr10", 100000000,
         870000, 0.25, 1, 1, 1.2e-05, -0.000402997, 0.1, 2.5e-05),
        (V, "pVTA", "expression", "Cd300lf", "Cd300lf", "chr10:100500000", "chr10", 100500000,
         370000, 0.833333, 1, 1, 2e-08, -0.5, 0.1, 0.00031),
        (V, "pVTA", "expression", "Cd300lf", "Cd300lf", "chr10:100860000", "chr10", 100860000,
         10000, 0.166667, 1, 1, 1e-300, 1.5, 0.25, 0.00031),
        (V, "pVTA", "splicing", SP1, "Cd300lf", "chr10:100500000", "chr10", 100500000, None,
         0.833333, 1, 1, 1.5e-05, 0.9, 0.3, 2e-05),
        (V, "pVTA", "splicing", SP2, "Cd300lf", "chr10:100500000", "chr10", 100500000, 370000,
         0.833333, 1, 1, 1.9e-05, -0.8, 0.3, 2e-05),
        (V, "pVTA", "splicing", SP1, "Cd300lf", "chr10:100862967", "chr10", 100862967, 7033,
         0.333333, 2, 2, 1e-07, -1.0, 0.25, 2e-05),
        (V, "pVTA", "splicing", SP3, "Cd300ld", "chr10:100862967", "chr10", 100862967, 17033,
         0.333333, 2, 2, 1e-07, -1.0, 0.25, 3e-05)]
    assert sorted(got, key=str) == sorted(want, key=str)
    # the header-only stability file is an empty partition, recorded as ingested with 0 rows
    assert q(db, "SELECT status, rows_read, rows_written FROM ingested_files WHERE path LIKE "
                 "'%cis_qtl_signif.pVTA.stability.v4_rn8.txt.gz'") == [("ingested", 0, 0)]


def test_trans_qtl_pairs(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["trans_qtl_pairs"]) +
             " FROM trans_qtl_pairs ORDER BY pos, phenotype_id") == [
        (V, "pVTA", "expression", "chr1:793394", "chr1", 793394, "Cd300lf", "Cd300lf",
         9.87654e-06, 0.123457, 0.0234568, 0.166667),
        (V, "pVTA", "expression", "chr2:5000000", "chr2", 5000000, "Cd300lf", "Cd300lf", 1e-12,
         -1.5, 0.2, 0.5),
        (V, "pVTA", "expression", "chr2:5000000", "chr2", 5000000, "Eno1", "Eno1", 3.2e-07, 2.5,
         None, 0.5),  # pandas NaN = empty field
        (V, "pVTA", "expression", "chr3:7000000", "chr3", 7000000, "Eno1", "Eno1", 0.0, None,
         None, 0.25)]  # inf / -inf -> NULL


# --- 3.17 / 3.18 zips --------------------------------------------------------------------------

def test_cis_pvals_gene_from_member_name(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["cis_pvals"]) +
             " FROM cis_pvals ORDER BY chrom, pos") == [
        (V, "pVTA", "LOC120093067", "chr1:793394", "chr1", 793394, 1.0),
        (V, "pVTA", "LOC120093067", "chr1:1000200", "chr1", 1000200, 0.0123457),
        (V, "pVTA", "Cd300lf", "chr10:100000000", "chr10", 100000000, 0.5),
        (V, "pVTA", "Cd300lf", "chr10:100500000", "chr10", 100500000, 2e-08),
        (V, "pVTA", "Cd300lf", "chr10:100860000", "chr10", 100860000, 1e-300)]


def test_gene_esnps_renamed_portal_columns(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["gene_esnps"]) +
             " FROM gene_esnps ORDER BY gene_id, tissue, pos") == [
        (V, "Cd300lf", "BLA", "chr10:100000000", "chr10", 100000000, 1.2e-05, -0.000402997),
        (V, "Cd300lf", "pVTA", "chr10:100500000", "chr10", 100500000, 2e-08, -0.5),
        (V, "Cd300lf", "pVTA", "chr10:100860000", "chr10", 100860000, 1e-300, 1.5),
        (V, "LOC120093067", "BLA", "chr1:793394", "chr1", 793394, 3e-06, 0.9)]


# --- 3.12 VCF -----------------------------------------------------------------------------------

def test_variants_and_genotypes(db):
    assert q(db, "SELECT " + ", ".join(CONTRACT["variants"]) + " FROM variants ORDER BY pos") == [
        (V, DATASET, "chr5:1001", "chr5", 1001, "T", "C"),
        (V, DATASET, "chr1:793394", "chr1", 793394, "A", "G"),
        (V, DATASET, "chr10:100000000", "chr10", 100000000, "A", "G"),
        (V, DATASET, "chr10:100860000", "chr10", 100860000, "G", "A")]
    calls = {"chr1:793394": [0, 1, 2, None, 1], "chr5:1001": [1, 0, 2, 1, None],
             "chr10:100000000": [0, 0, 0, 0, 2], "chr10:100860000": [1, 1, None, 0, 0]}
    want = sorted((V, DATASET, v, v.split(":")[0], int(v.split(":")[1]), r, d)
                  for v, ds in calls.items() for r, d in zip(VCF_RATS, ds, strict=True))
    assert q(db, "SELECT " + ", ".join(CONTRACT["genotypes"]) +
             " FROM genotypes ORDER BY ALL") == want


# --- manifest, skipped files --------------------------------------------------------------------

SKIPPED = {"autocomplete.v4.json": "presentation", "ref/rats.v4.html": "presentation",
           "ref/samples.v4.html": "presentation", "expr/expr.tpm.pVTA.v4_rn8.bed.gz": "copy",
           "geno/ratgtex_v4_round11_2.rn8.vcf.gz.tbi": "index"}


def _data_rows(path: Path) -> int:
    """Data rows of a release file, counted by hand rules (header line excluded)."""
    import gzip
    name = path.name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            return sum(len(zf.read(n).decode().splitlines()) - 1 for n in zf.namelist())
    text = (gzip.decompress(path.read_bytes()) if name.endswith(".gz") else
            path.read_bytes()).decode()
    lines = [ln for ln in text.splitlines() if ln]
    if name.endswith(".vcf.gz"):
        return sum(not ln.startswith("#") for ln in lines)
    headerless = name.startswith(("rat_ids.", "fastq_map."))
    return len(lines) - (0 if headerless else 1)


def test_manifest_records_every_file_with_size_checksum_rows_and_partition(db):
    rows = {r[0]: r for r in q(db, "SELECT path, kind, version, tissue, modality, bytes, "
                                   "sha256, rows_read, rows_written, status, message, "
                                   "synthetic, ingested_at FROM ingested_files")}
    files = sorted(p for p in TREE.rglob("*") if p.is_file())
    assert len(files) == 55
    by_rel = {}
    for path, row in rows.items():
        rel = Path(path).resolve().relative_to(TREE).as_posix()
        by_rel[rel] = row
    assert sorted(by_rel) == sorted(p.relative_to(TREE).as_posix() for p in files)
    for p in files:
        rel = p.relative_to(TREE).as_posix()
        (_, kind, version, tissue, modality, size, sha, rows_read, _, status, message,
         synthetic, at) = by_rel[rel]
        assert version == V and size == p.stat().st_size and synthetic is False, rel
        assert at is not None and kind, rel
        if rel in SKIPPED:
            assert status == "skipped" and SKIPPED[rel] in (message or ""), (rel, status, message)
            continue
        assert status == "ingested", (rel, status, message)
        assert sha == hashlib.sha256(p.read_bytes()).hexdigest(), rel
        assert rows_read == _data_rows(p), (rel, rows_read)
        # partition values from the file name
        parts = p.name.split(".")
        if p.parent.name in ("rat_ids", "fastq_map", "covar", "phenos", "expr") and \
                not p.name.startswith(("medianGeneExpression", "topExpressedGene")):
            t = parts[2] if p.parent.name in ("expr",) else parts[1]
            assert tissue == t, (rel, tissue)
        if p.parent.name in ("covar", "phenos"):
            assert modality == parts[2], (rel, modality)
        if p.name.startswith(("cis_qtl_signif.", "trans_qtl_pairs.")):
            assert (tissue, modality) == (parts[1], parts[2]), rel
        if p.parent.name == "cis_pvals":
            assert tissue == "pVTA", rel
        if p.parent.name == "xqtl" and p.name.startswith(("top_assoc.", "xqtls_indep.")) \
                and parts[1] != "cross_modality":
            assert modality == parts[1], (rel, modality)


# --- ratgtex-db views, Python API, catalog from anywhere ----------------------------------------

def test_views_command_lists_every_view_with_its_columns(db):
    listed = {r["view"]: r for r in json.loads(cli(db, "views", "--format", "json").stdout)}
    public = {v for (v,) in q(db, "SELECT DISTINCT table_name FROM information_schema.columns "
                                  "WHERE table_schema = 'main' "
                                  "AND NOT starts_with(table_name, '_')")}
    assert set(listed) == public
    assert set(CONTRACT) <= public
    for view in public:
        described = ", ".join(f"{c} {t}" for c, t in columns(db, view).items())
        assert listed[view]["columns"] == described, view
        assert listed[view]["meaning"], f"{view} has no meaning"
    for view in ("top_assoc", "phenotypes", "ingested_files", "egenes"):
        rows = json.loads(cli(db, "views", view.upper(), "--format", "json").stdout)
        assert [(r["column"], r["type"]) for r in rows] == list(columns(db, view).items()), view


def test_python_api_and_stock_duckdb_from_another_directory(db, tmp_path):
    import ratgtex_db
    handle = ratgtex_db.open(db)
    df = handle.sql("SELECT rat_id, value FROM covariates WHERE tissue = 'pVTA' AND modality = "
                    "'splicing' AND covariate = 'pheno_PC2' ORDER BY rat_id")
    assert df.rows() == [("0007789E12", 100000.0), ("00077E67B5", -1.0),
                         ("933000320045751", -1.0)]
    assert str(df.schema["rat_id"]) in ("String", "Utf8")
    code = ("import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
            "print(c.execute('SELECT count(*) FROM phenotypes').fetchall()[0][0])")
    out = subprocess.run([sys.executable, "-c", code, str(db / "catalog.duckdb")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "79", out.stderr


# --- tissue_datasets (sql/views/tissue_datasets.sql) --------------------------------------------

def test_tissue_datasets_with_the_vcf(db):
    assert q(db, "SELECT version, tissue, dataset FROM tissue_datasets ORDER BY tissue") == [
        (V, "BLA", DATASET), (V, "NAcc", DATASET), (V, "pVTA", DATASET)]


def _subset(tmp_path: Path, rels: list[str], edit: dict[str, str] | None = None) -> Path:
    out = tmp_path / "rel" / "data" / "v4"
    for rel in rels:
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(TREE / rel, out / rel)
    for rel, text in (edit or {}).items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(text)
    return out


def test_tissue_datasets_names_tissue_info_dataset_before_its_vcf_is_ingested(tmp_path):
    # tissue_datasets.sql: "One row per (version, tissue) of a version with genotypes or rat
    # ids ingested (the dataset may be one whose VCF is not ingested yet). The dataset is, in
    # order: the one the version's tissue table names (v3 tissueInfo, v4 tissue_info); ..."
    tree = _subset(tmp_path, ["tissue_info.v4.tsv", "rat_ids/rat_ids.BLA.v4.txt",
                              "rat_ids/rat_ids.pVTA.v4.txt"])
    cli(tmp_path / "db", "ingest", str(tree))
    assert q(tmp_path / "db", "SELECT version, tissue, dataset FROM tissue_datasets "
                              "ORDER BY tissue") == [
        (V, "BLA", DATASET), (V, "NAcc", DATASET), (V, "pVTA", DATASET)]


def test_tissue_datasets_prefers_the_dataset_tissue_info_names(tmp_path):
    # release-format 3.12 / 7.10: early v4 tissues used ratgtex_v4_round11_1 ("treat dataset as
    # data"); tissue_datasets.sql puts the tissue table's dataset first, ingested or not.
    info = (TREE / "tissue_info.v4.tsv").read_text().splitlines(keepends=True)
    info = [ln.replace("ratgtex_v4_round11_2", "ratgtex_v4_round11_1")
            if ln.startswith("NAcc\t") else ln for ln in info]
    tree = _subset(tmp_path, ["rat_ids/rat_ids.pVTA.v4.txt",
                              "geno/ratgtex_v4_round11_2.rn8.vcf.gz"],
                   {"tissue_info.v4.tsv": "".join(info)})
    cli(tmp_path / "db", "ingest", str(tree))
    assert q(tmp_path / "db", "SELECT tissue, dataset FROM tissue_datasets ORDER BY tissue") == [
        ("BLA", DATASET), ("NAcc", "ratgtex_v4_round11_1"), ("pVTA", DATASET)]


# --- expr.tpm vs phenos expression unnorm across runs ------------------------------------------

def test_tpm_copy_in_a_later_run_keeps_expression_keys_unique(tmp_path):
    tpm = "expr/expr.tpm.pVTA.v4_rn8.bed.gz"
    unnorm = "phenos/phenos.pVTA.expression.unnorm.v4_rn8.bed.gz"
    first = _subset(tmp_path / "a", [unnorm])
    second = _subset(tmp_path / "b", [tpm])
    cli(tmp_path / "db", "ingest", str(first))
    cli(tmp_path / "db", "ingest", str(second))
    db = tmp_path / "db"
    assert q(db, "SELECT status, message LIKE 'copy%' FROM ingested_files WHERE path LIKE "
                 "'%expr.tpm.pVTA%'") == [("skipped", True)]
    assert q(db, "SELECT unit, count(*), count(DISTINCT (gene_id, rat_id)) FROM expression "
                 "GROUP BY 1") == [("tpm", 15, 15)]
