"""Audit of the legacy releases (v1, v2, v3, v3-unmerged) and the study data archives.

The inputs under tests/data/audit_legacy/ were typed by hand from release-format.md sections 5
and 10 (with sections 1-3 and 7 for the shared rules) and architecture.md sections 3-4 only,
never with the project's synth modules. A file the release gzips is kept readable under its
name plus ``.txt`` (``expr.tpm.IL.v1_rn6.bed.gz.txt``); the fixture gzips it into the tree it
ingests under its real name. Every expected value is typed from those files: a double is the
nearest double to its text (``float(text)``).

What these files exercise beyond tests/data/releases and tests/data/studies:
- v1/v2/v3 aggregated tables re-written by readr: integer columns in shortest form (``1e4``,
  ``3e6``, ``3.12e6``, ``-1e4``), subnormal and tiny doubles (``5e-324``,
  ``2.2250738585072014e-308``, ``1e-300``), 17-digit doubles, ``NA`` strings and numbers;
- v1 BEDs whose contigs are ``8``, ``10``, ``MT``, ``X`` (string order) and the numerically
  ordered ``iqn.filtered``; v2/v3 BEDs with the TSS of a minus-strand gene;
- v3's 11-column signif files (``start_distance`` + appended ``tss_distance`` with a
  different value), the 10-column form with ``tss_distance``, a header-only 11-column file;
- v3-unmerged NAcc2, NAcc3, PL2, PL3: expression (4 units), rat_ids, fastq_map, covariates,
  eQTL signif + trans, leafcutter, covar_splice, splice signif + trans;
- study files with the refactored column order (``chrom, pos, variant_id``) and ``maf`` in
  the NAR eqtls_indep / sQTL tables and HPC_F2 top_assoc; NAR BEDs with start = TSS; Eye
  and Y_MT BEDs with every contig; Python ``nan`` / ``inf`` / ``-inf`` in Eye.aFC.txt; R
  ``1e+05`` in the raw matrices; colocs with ``NA``;
- the canned commands with ``--version v1`` etc. and Ensembl ids.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import ratgtex_db

SRC = Path(__file__).resolve().parent / "data" / "audit_legacy"
NAR = "IL_LHb_NAcc_OFC_PL"
DRD2, GENE2, MTND1, XIST = (f"ENSRNOG0000007000{i}" for i in (1, 2, 3, 4))
SCAFFOLD_GENE = "ENSRNOG00000070009"
C1 = f"8:2000100:2000900:clu_4:{DRD2}"  # v1 leafcutter ids
C2 = f"8:2000100:2001500:clu_4:{DRD2}"
Q1 = "chr8:2100100:2100900:clu_5_+:Drd2"  # v3 leafcutter ids
Q2 = "chr8:2100100:2101500:clu_5_+:Drd2"
NARC = f"8:2000100:2000900:clu_3_+:{DRD2}"  # NAR sQTL cluster


def f(text: str) -> float:
    """The nearest double to a number's text (what the lake must hold)."""
    return float(text)


def cli(db: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "COLUMNS": "250"})
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-3000:]}")
    return proc


def cli_json(db: Path, *args: str) -> list[dict]:
    return json.loads(cli(db, *args, "--format", "json").stdout)


def build_tree(dest: Path) -> Path:
    """The hand-written sources as a release tree: ``X.gz.txt`` -> gzip ``X.gz``."""
    for src in sorted(SRC.rglob("*")):
        if not src.is_file():
            continue
        rel = src.relative_to(SRC)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.name.endswith(".gz.txt"):
            out = out.with_name(src.name[: -len(".txt")])
            out.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
        else:
            shutil.copyfile(src, out)
    return dest


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tree(tmp_path_factory.mktemp("audit_tree") / "data")


@pytest.fixture(scope="module")
def ingest_run(tree: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[Path, subprocess.CompletedProcess]:
    db = tmp_path_factory.mktemp("audit_db") / "db"
    res = cli(db, "ingest", str(tree), check=False)
    return db, res


@pytest.fixture(scope="module")
def db(ingest_run) -> Path:
    return ingest_run[0]


def rows(db: Path, sql: str, params=None) -> list[tuple]:
    with ratgtex_db.open(db) as con:
        return con.sql(sql, params).rows()


def tree_files(tree: Path) -> list[str]:
    return sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())


# --- ingest: every file recognised and recorded -----------------------------------------------


def test_ingest_succeeds_without_unknown_or_failed_files(ingest_run):
    _, res = ingest_run
    out = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 0, out[-4000:]
    assert "match no release file kind" not in out, out[-4000:]
    assert "Traceback" not in res.stderr


def test_every_file_is_in_ingested_files_with_its_version(db, tree):
    got = {}
    for path, version, status, message in rows(
            db, "SELECT path, version, status, message FROM ingested_files"):
        got[Path(path).resolve().relative_to(tree.resolve()).as_posix()] = (version, status,
                                                                             message)
    assert sorted(got) == tree_files(tree)
    for rel, (version, status, message) in got.items():
        top = rel.split("/")[0]
        want = f"study:{rel.split('/')[1]}" if top == "studies" else top
        assert version == want, (rel, version)
        if rel.endswith("Eye.top_eQTLs.txt"):  # a subset of Eye.top_assoc.txt (section 10)
            assert status == "skipped" and message, (rel, status, message)
        else:
            assert status == "ingested", (rel, status, message)


def test_unmerged_v3_files_are_v3_files_of_their_sub_dataset(db):
    """v3-unmerged tissues are tissues of v3 (architecture 4)."""
    got = rows(db, "SELECT DISTINCT version, tissue FROM ingested_files "
                   "WHERE tissue IN ('NAcc2', 'NAcc3', 'PL2', 'PL3') "
                   "AND version NOT LIKE 'study:%' ORDER BY ALL")
    assert got == [("v2", "PL2"), ("v3", "NAcc2"), ("v3", "NAcc3"), ("v3", "PL2"),
                   ("v3", "PL3")]


def test_header_only_signif_file_is_an_empty_partition(db):
    """release-format 7.23: a signif file with no hits is ingested, its partition empty."""
    got = rows(db, "SELECT status, rows_written FROM ingested_files "
                   "WHERE path LIKE '%cis_qtl_signif.NAcc2.v3_rn7.txt.gz'")
    assert got == [("ingested", 0)]
    assert rows(db, "SELECT count(*) FROM cis_qtl_signif WHERE version = 'v3' "
                    "AND tissue = 'NAcc2'") == [(0,)]


# --- types: ids VARCHAR, chrom VARCHAR, pos/tss INTEGER, statistics DOUBLE --------------------


ID_COLUMNS = {
    "genes": ["gene_id", "chrom"], "gene_tissue_status": ["gene_id", "tissue"],
    "expression": ["gene_id", "phenotype_id", "rat_id", "chrom", "tissue", "unit"],
    "phenotypes": ["gene_id", "phenotype_id", "rat_id", "chrom"],
    "covariates": ["covariate", "rat_id"], "rat_ids": ["rat_id"],
    "fastq_map": ["rat_id", "fastq_1", "fastq_2"], "rats": ["rat_id"], "samples": ["rat_id"],
    "top_assoc": ["gene_id", "variant_id", "chrom", "ref", "alt"],
    "eqtls_indep": ["gene_id", "variant_id", "chrom"],
    "xqtl_top_assoc": ["gene_id", "phenotype_id", "variant_id", "chrom"],
    "xqtls_indep": ["gene_id", "phenotype_id", "variant_id", "chrom"],
    "cis_qtl_signif": ["gene_id", "phenotype_id", "variant_id", "chrom"],
    "trans_qtl_pairs": ["gene_id", "phenotype_id", "variant_id", "chrom"],
    "variants": ["variant_id", "chrom", "ref", "alt", "dataset"],
    "genotypes": ["variant_id", "chrom", "rat_id"],
    "median_expression": ["gene_id", "tissue"],
    "study_sample_metadata": ["library", "rat_id"],
    "study_afc": ["gene_id", "variant_id", "chrom"],
    "study_ase_afc": ["gene_id", "variant_id", "chrom"],
    "study_colocs": ["gene_id", "variant_id"],
}


def test_ids_are_varchar_and_positions_integer(db):
    with ratgtex_db.open(db) as con:
        for view, cols in ID_COLUMNS.items():
            types = {r[0].lower(): r[1]
                     for r in con.connection.execute(f"DESCRIBE {view}").fetchall()}
            for col in cols:
                assert types[col] == "VARCHAR", (view, col, types[col])
            for col in ("pos", "tss", "tss_distance", "num_var", "rank", "ma_samples",
                        "ma_count", "start", "end"):
                if col in types:
                    assert types[col] == "INTEGER", (view, col, types[col])
            assert types["version"] == "VARCHAR", view


# --- gene tables -------------------------------------------------------------------------------


def test_genes_of_each_release(db):
    got = rows(db, 'SELECT version, gene_id, gene_symbol, gene_id_ensembl, chrom, start, "end", '
                   "strand, tss, description, has_eqtl FROM genes ORDER BY version, gene_id")
    assert got == [
        ("v1", DRD2, "Drd2", None, "chr8", 2000000, 2050000, "+", 2000000,
         "dopamine receptor D2", True),
        ("v1", GENE2, None, None, "chr10", 3000000, 3010000, "-", 3010000, None, False),
        ("v1", MTND1, "Mt-nd1", None, "chrM", 2740, 3694, "+", 2740,
         "NADH dehydrogenase 1, mitochondrial", False),
        ("v1", XIST, "Xist", None, "chrX", 100, 200, "-", 200, None, False),
        ("v2", DRD2, "Drd2", None, "chr8", 2100000, 2150000, "+", 2100000,
         "dopamine receptor D2", True),
        ("v2", GENE2, "Kcnj6", None, "chr10", 3100000, 3110000, "-", 3110000,
         "potassium inwardly rectifying channel subfamily J member 6", True),
        ("v3", "Drd2", None, DRD2, "chr8", 2100000, 2150000, "+", 2100000,
         "dopamine receptor D2", True),
        ("v3", "Kcnj6", None, None, "chr10", 3100000, 3110000, "-", 3110000,
         "potassium inwardly rectifying channel subfamily J member 6", True),
        ("v3", "LOC120093001", None, None, "chr2", 500, 900, "+", 500, None, False),
        ("v3", "Mt-nd1", None, MTND1, "chrM", 2740, 3694, "+", 2740,
         "NADH dehydrogenase 1, mitochondrial", False),
    ]


def test_gene_tissue_status_flags(db):
    got = rows(db, "SELECT version, gene_id, tissue, expressed, tested_eqtl, eqtl, alt_splice, "
                   "tested_sqtl, sqtl FROM gene_tissue_status WHERE version IN ('v1', 'v3') "
                   "ORDER BY ALL")
    t, F = True, False
    assert got == [
        ("v1", DRD2, "IL", t, t, t, t, t, t), ("v1", DRD2, "PL1", t, t, t, F, F, F),
        ("v1", GENE2, "IL", t, t, F, F, F, F), ("v1", GENE2, "PL1", F, F, F, F, F, F),
        ("v1", MTND1, "IL", t, F, F, F, F, F), ("v1", MTND1, "PL1", t, F, F, F, F, F),
        ("v1", XIST, "IL", F, F, F, F, F, F), ("v1", XIST, "PL1", t, F, F, F, F, F),
        ("v3", "Drd2", "Eye", t, t, F, F, F, F), ("v3", "Drd2", "PL", t, t, t, t, t, t),
        ("v3", "Kcnj6", "Eye", F, F, F, F, F, F), ("v3", "Kcnj6", "PL", t, t, t, F, F, F),
        ("v3", "LOC120093001", "Eye", t, F, F, F, F, F),
        ("v3", "LOC120093001", "PL", F, F, F, F, F, F),
        ("v3", "Mt-nd1", "Eye", t, F, F, F, F, F), ("v3", "Mt-nd1", "PL", t, F, F, F, F, F),
    ]


def test_median_expression_exact_doubles_and_na(db):
    got = rows(db, "SELECT version, gene_id, tissue, median_tpm FROM median_expression "
                   "ORDER BY ALL")
    assert got == [
        ("v1", DRD2, "IL", f("12.345678901234567")), ("v1", DRD2, "PL1", f("3e3")),
        ("v1", GENE2, "IL", f("0.1")), ("v1", GENE2, "PL1", None),
        ("v1", MTND1, "IL", f("1.0000000000000002")), ("v1", MTND1, "PL1", f("2.5e-05")),
        ("v1", XIST, "IL", 0.0), ("v1", XIST, "PL1", f("1e5")),
        ("v2", DRD2, "NAcc2", f("4.123456789")), ("v2", DRD2, "PL2", f("0.75")),
        ("v2", GENE2, "NAcc2", None), ("v2", GENE2, "PL2", f("1.5e3")),
        ("v3", "Drd2", "Eye", f("4.123")), ("v3", "Drd2", "PL", f("0.001")),
        ("v3", "Kcnj6", "Eye", None), ("v3", "Kcnj6", "PL", f("12.5")),
        ("v3", "LOC120093001", "Eye", 0.0), ("v3", "LOC120093001", "PL", None),
        ("v3", "Mt-nd1", "Eye", f("3e3")), ("v3", "Mt-nd1", "PL", f("2.75e3")),
    ]


# --- expression BEDs ---------------------------------------------------------------------------


def test_v1_expression_units_chrom_and_tss(db):
    got = rows(db, "SELECT unit, count(*), count(DISTINCT gene_id) FROM expression "
                   "WHERE version = 'v1' AND tissue = 'IL' GROUP BY ALL ORDER BY ALL")
    assert got == [("iqn", 12, 4), ("iqn_filtered", 6, 2), ("log2", 12, 4), ("tpm", 12, 4)]
    got = rows(db, "SELECT DISTINCT unit, phenotype_id, gene_id, chrom, tss FROM expression "
                   "WHERE version = 'v1' AND unit IN ('tpm', 'iqn_filtered') ORDER BY ALL")
    assert got == [
        ("iqn_filtered", DRD2, DRD2, "chr8", 2000000),
        ("iqn_filtered", GENE2, GENE2, "chr10", 3010000),
        ("tpm", DRD2, DRD2, "chr8", 2000000), ("tpm", GENE2, GENE2, "chr10", 3010000),
        ("tpm", MTND1, MTND1, "chrM", 2740), ("tpm", XIST, XIST, "chrX", 200),
    ]
    got = rows(db, "SELECT gene_id, value FROM expression WHERE version = 'v1' AND unit = 'tpm' "
                   "AND rat_id = '000789E123' ORDER BY gene_id")
    assert got == [(DRD2, f("0.30000000000000004")), (GENE2, f("1.5e-05")),
                   (MTND1, f("1.23457e+06")), (XIST, 0.0)]
    got = rows(db, "SELECT rat_id, value FROM expression WHERE version = 'v1' AND unit = "
                   "'iqn_filtered' AND gene_id = ? ORDER BY rat_id", [GENE2])
    assert got == [("00077E67B5", f("-0.967422")), ("000789E123", 0.0),
                   ("933000320045751", f("0.967422"))]


def test_v2_and_v3_expression_of_minus_strand_gene(db):
    got = rows(db, "SELECT version, tissue, unit, gene_id, chrom, tss, rat_id, value "
                   "FROM expression WHERE version IN ('v2', 'v3') AND gene_id IN (?, 'Kcnj6') "
                   "AND unit = 'tpm' ORDER BY ALL", [GENE2])
    assert got == [
        ("v2", "PL2", "tpm", GENE2, "chr10", 3110000, "00077E67B5", 1500.0),
        ("v2", "PL2", "tpm", GENE2, "chr10", 3110000, "933000320045751", f("2e3")),
        ("v2", "PL2", "tpm", GENE2, "chr10", 3110000, "933000320045752", f("1.25e-07")),
        ("v3", "NAcc3", "tpm", "Kcnj6", "chr10", 3110000, "0007899A3F", 0.0),
        ("v3", "NAcc3", "tpm", "Kcnj6", "chr10", 3110000, "000789E123", 2.5),
        ("v3", "NAcc3", "tpm", "Kcnj6", "chr10", 3110000, "00078A0224", f("1e-3")),
        ("v3", "PL", "tpm", "Kcnj6", "chr10", 3110000, "00077E67B5", 12.5),
        ("v3", "PL", "tpm", "Kcnj6", "chr10", 3110000, "0007899A3F", 13.0),
        ("v3", "PL", "tpm", "Kcnj6", "chr10", 3110000, "00078A0224", 11.0),
        ("v3", "PL", "tpm", "Kcnj6", "chr10", 3110000, "933000320045751", 14.0),
    ]


def test_v3_unmerged_expression_all_units(db):
    got = rows(db, "SELECT tissue, unit, count(*) FROM expression WHERE version = 'v3' "
                   "GROUP BY ALL ORDER BY ALL")
    assert got == [("NAcc3", "iqn", 12), ("NAcc3", "iqn_filtered", 9), ("NAcc3", "log2", 12),
                   ("NAcc3", "tpm", 12), ("PL", "tpm", 8), ("PL3", "tpm", 2)]
    got = rows(db, "SELECT DISTINCT gene_id, chrom, tss FROM expression WHERE version = 'v3' "
                   "AND tissue = 'NAcc3' ORDER BY ALL")
    assert got == [("Drd2", "chr8", 2100000), ("Kcnj6", "chr10", 3110000),
                   ("LOC120093001", "chr2", 500), ("Mt-nd1", "chrM", 2740)]
    got = rows(db, "SELECT unit, value FROM expression WHERE version = 'v3' AND tissue = 'NAcc3' "
                   "AND gene_id = 'Mt-nd1' AND rat_id = '00078A0224' ORDER BY unit")
    assert got == [("iqn", f("-0.967422")), ("log2", f("13.873")), ("tpm", f("1.5e4"))]


def test_nar_beds_tss_is_start_and_raw_matrices(db):
    v = f"study:{NAR}"
    got = rows(db, "SELECT tissue, unit, gene_id, chrom, tss, rat_id, value FROM expression "
                   "WHERE version = ? AND unit IN ('log2', 'iqn') ORDER BY ALL", [v])
    assert got == [
        ("OFC", "log2", DRD2, "chr8", 2000000, "00077E67B5", f("3.7")),
        ("OFC", "log2", DRD2, "chr8", 2000000, "000789E123", f("4.25")),
        ("OFC", "log2", GENE2, "chr10", 3010000, "00077E67B5", 0.0),
        ("OFC", "log2", GENE2, "chr10", 3010000, "000789E123", 1.5),
        ("PL", "iqn", DRD2, "chr8", 2000000, "00077E67B5", f("-0.674")),
        ("PL", "iqn", DRD2, "chr8", 2000000, "000789E123", f("0.674")),
        ("PL", "iqn", GENE2, "chr10", 3010000, "00077E67B5", f("0.674")),
        ("PL", "iqn", GENE2, "chr10", 3010000, "000789E123", f("-0.674")),
    ]
    got = rows(db, "SELECT unit, tissue, rat_id, value FROM expression WHERE version = ? "
                   "AND unit LIKE 'raw%' AND gene_id = ? ORDER BY ALL", [v, DRD2])
    assert got == [
        ("raw_count", "IL", "00077E67B5", 15.0), ("raw_count", "LHb", "000789E123", 3000.0),
        ("raw_count", "NAcc", "0007899A3F", 0.0), ("raw_count", "OFC", "00077E67B5",
                                                   f("1e+05")),
        ("raw_count", "PL", "000789E123", 7.0),
        ("raw_tpm", "IL", "00077E67B5", 1.5), ("raw_tpm", "LHb", "000789E123",
                                               f("12.3456789012345")),
        ("raw_tpm", "NAcc", "0007899A3F", 0.0), ("raw_tpm", "OFC", "00077E67B5", f("2.5e-05")),
        ("raw_tpm", "PL", "000789E123", 7.25),
    ]


def test_eye_and_y_mt_beds_every_contig_tss_is_end(db):
    got = rows(db, "SELECT DISTINCT unit, gene_id, chrom, tss FROM expression "
                   "WHERE version = 'study:Eye' ORDER BY ALL")
    assert got == [
        ("iqn_filtered", DRD2, "chr8", 2000000), ("iqn_filtered", GENE2, "chr10", 3010000),
        ("tpm", DRD2, "chr8", 2000000), ("tpm", GENE2, "chr10", 3010000),
        ("tpm", MTND1, "chrM", 2740), ("tpm", SCAFFOLD_GENE, "AABR07046136.1", 1000),
    ]
    got = rows(db, "SELECT rat_id, value FROM expression WHERE version = 'study:Eye' "
                   "AND unit = 'tpm' AND gene_id = ? ORDER BY rat_id", [SCAFFOLD_GENE])
    assert got == [("0007899A3F", None), ("000789E123", 0.5), ("00078A0224", 0.0)]
    got = rows(db, "SELECT DISTINCT tissue, unit, gene_id, chrom, tss FROM expression "
                   "WHERE version = 'study:Y_MT' ORDER BY ALL")
    assert got == [
        ("Brain", "iqn", DRD2, "chr8", 2100000), ("Brain", "iqn", MTND1, "chrM", 2740),
        ("Brain", "tpm", DRD2, "chr8", 2100000), ("Brain", "tpm", MTND1, "chrM", 2740),
        ("OFC", "log2", DRD2, "chr8", 2100000),
        ("OFC", "log2", "ENSRNOG00000070011", "chrY", 1000),
        ("PL2", "log2", DRD2, "chr8", 2100000), ("PL2", "log2", GENE2, "chr10", 3110000),
        ("PL2", "log2", MTND1, "chrM", 2740),
        ("PL2", "log2", "ENSRNOG00000070010", "MU150191.1", 5000),
        ("PL2", "log2", "ENSRNOG00000070011", "chrY", 1000),
    ]
    got = rows(db, "SELECT unit, value FROM expression WHERE version = 'study:Y_MT' "
                   "AND gene_id = ? AND rat_id = '00077E67B5' ORDER BY unit", [MTND1])
    assert got == [("iqn", f("0.674")), ("log2", 13.5), ("tpm", f("1.2e4"))]


# --- leafcutter, covariates ----------------------------------------------------------------------


def test_leafcutter_phenotypes_v1_and_v3_unmerged(db):
    got = rows(db, "SELECT version, tissue, modality, normalized, phenotype_id, gene_id, chrom, "
                   "rat_id, value FROM phenotypes ORDER BY ALL")
    s = "splicing"
    assert got == [
        ("v1", "IL", s, True, C1, DRD2, "chr8", "00077E67B5", 0.5),
        ("v1", "IL", s, True, C1, DRD2, "chr8", "000789E123", -0.5),
        ("v1", "IL", s, True, C1, DRD2, "chr8", "933000320045751", 1.25),
        ("v1", "IL", s, True, C2, DRD2, "chr8", "00077E67B5", -1.5),
        ("v1", "IL", s, True, C2, DRD2, "chr8", "000789E123", 0.25),
        ("v1", "IL", s, True, C2, DRD2, "chr8", "933000320045751", f("1e-3")),
        ("v3", "PL2", s, True, Q1, "Drd2", "chr8", "00077E67B5", f("0.674")),
        ("v3", "PL2", s, True, Q1, "Drd2", "chr8", "933000320045751", f("-0.674")),
        ("v3", "PL2", s, True, Q2, "Drd2", "chr8", "00077E67B5", f("-0.674")),
        ("v3", "PL2", s, True, Q2, "Drd2", "chr8", "933000320045751", f("0.674")),
    ]


def test_covariates_with_r_number_formats(db):
    got = rows(db, "SELECT version, tissue, modality, covariate, rat_id, value FROM covariates "
                   "ORDER BY ALL")
    want = []
    rats_il = ["00077E67B5", "000789E123", "933000320045751"]
    for mod, pheno in (("expression", ["12.5", "-3", "-9.5"]),
                       ("splicing", ["-1e-04", "2.5", "-2.5"])):
        want += [("v1", "IL", mod, "geno_PC1", r, f(x))
                 for r, x in zip(rats_il, ["0.1", "-0.2", "1e-06"], strict=True)]
        want += [("v1", "IL", mod, "pheno_PC1", r, f(x)) for r, x in zip(rats_il, pheno,
                                                                          strict=True)]
    rats_n3 = ["000789E123", "0007899A3F", "00078A0224"]
    want += [("v3", "NAcc3", "expression", "geno_PC1", r, f(x))
             for r, x in zip(rats_n3, ["0.25", "-0.125", "1e-06"], strict=True)]
    want += [("v3", "NAcc3", "expression", "pheno_PC1", r, f(x))
             for r, x in zip(rats_n3, ["-5", "2.5", "2.5"], strict=True)]
    rats_pl = ["00077E67B5", "0007899A3F", "00078A0224", "933000320045751"]
    want += [("v3", "PL", "expression", "geno_PC1", r, f(x))
             for r, x in zip(rats_pl, ["0.25", "-0.125", "1e-06", "0"], strict=True)]
    want += [("v3", "PL", "expression", "pheno_PC1", r, f(x))
             for r, x in zip(rats_pl, ["-5", "2.5", "2.5", "1e+01"], strict=True)]
    want += [("v3", "PL2", "splicing", "geno_PC1", "00077E67B5", 0.5),
             ("v3", "PL2", "splicing", "geno_PC1", "933000320045751", -0.5),
             ("v3", "PL2", "splicing", "pheno_PC1", "00077E67B5", f("3.25e-05")),
             ("v3", "PL2", "splicing", "pheno_PC1", "933000320045751", f("-1e-04"))]
    want += [("study:Eye", "Eye", "expression", "expr_PC1", r, f(x))
             for r, x in zip(["00078A0224", "0007899A3F", "000789E123"], ["-9.25", "4.5", "4.75"],
                             strict=True)]
    want += [("study:Eye", "Eye", "expression", "geno_PC1", r, f(x))
             for r, x in zip(["00078A0224", "0007899A3F", "000789E123"], ["0.01", "-0.02", "1e-06"],
                             strict=True)]
    assert got == sorted(want)


# --- aggregated QTL tables ----------------------------------------------------------------------


TOP_COLS = ("version, tissue, gene_id, gene_name, num_var, variant_id, chrom, pos, ref, alt, af, "
            "tss_distance, pval_nominal, slope, slope_se, pval_beta, qval, "
            "pval_nominal_threshold, log2_aFC")


def test_top_assoc_v1_v2_v3_readr_numbers(db):
    got = rows(db, f"SELECT {TOP_COLS} FROM top_assoc WHERE version IN ('v1', 'v2', 'v3') "
                   "ORDER BY version, tissue, gene_id")
    assert got == [
        ("v1", "IL", DRD2, "Drd2", 10000, "chr8:2000500", "chr8", 2000500, "A", "G", 0.25, 500,
         f("1.5e-12"), f("0.812"), 0.1, f("2.2e-10"), f("4.9e-9"), f("3.1e-4"), f("0.95")),
        ("v1", "IL", GENE2, None, 8123, "chr10:3000000", "chr10", 3000000, None, None, 0.5,
         10000, 0.5, -0.05, 0.07, 0.6, 0.7, f("1.2e-5"), None),
        ("v1", "PL1", DRD2, "Drd2", 9999, "chr8:2000500", "chr8", 2000500, "A", "G", 0.75, 500,
         f("2.2250738585072014e-308"), 1.5, 0.2, f("5e-324"), f("1e-300"), f("2.5e-4"), -1.25),
        ("v2", "PL2", DRD2, "Drd2", 7001, "chr8:2100500", "chr8", 2100500, "A", "G", 0.5, 500,
         0.3, 0.1, 0.09, 0.4, 0.5, f("2e-5"), 0.05),
        ("v2", "PL2", GENE2, "Kcnj6", 7002, "chr10:3120000", "chr10", 3120000, "C", "A",
         f("0.333333"), -10000, f("4.5e-9"), -0.7, 0.1, f("1e-7"), f("3e-5"), f("2.5e-4"),
         -0.75),
        ("v3", "Eye", "Drd2", None, 6500, "chr8:2100500", "chr8", 2100500, "A", "G", 0.5, 500,
         0.02, 0.3, 0.2, 0.2, 0.8, f("1e-5"), None),
        ("v3", "PL", "Drd2", None, 7001, "chr8:2100500", "chr8", 2100500, "A", "G", 0.4, 500,
         f("2.5e-15"), 0.9, 0.1, f("1e-10"), f("1e-8"), f("2e-4"), 1.35),
        ("v3", "PL", "Kcnj6", None, 7002, "chr10:3120000", "chr10", 3120000, "C", "A", 0.3,
         -10000, f("4.5e-9"), -0.7, 0.1, f("1e-7"), f("3e-5"), f("2.5e-4"), -0.75),
    ]


def test_eqtls_indep_v1_v2_v3(db):
    got = rows(db, "SELECT version, tissue, gene_id, gene_name, rank, num_var, variant_id, chrom, "
                   "pos, tss_distance, pval_nominal, pval_beta, log2_aFC FROM eqtls_indep "
                   "WHERE version IN ('v1', 'v2', 'v3') ORDER BY version, tissue, gene_id, rank")
    assert got == [
        ("v1", "IL", DRD2, "Drd2", 1, 10000, "chr8:2000500", "chr8", 2000500, 500, f("1.5e-12"),
         f("2.2e-10"), 0.95),
        ("v1", "IL", DRD2, "Drd2", 2, 10000, "chr8:2001000", "chr8", 2001000, 1000, f("3e-6"),
         f("4e-5"), None),
        ("v1", "PL1", DRD2, "Drd2", 1, 9999, "chr8:2000500", "chr8", 2000500, 500,
         f("2.2250738585072014e-308"), f("5e-324"), -1.25),
        ("v2", "PL2", GENE2, "Kcnj6", 1, 7002, "chr10:3120000", "chr10", 3120000, -10000,
         f("4.5e-9"), f("1e-7"), -0.75),
        ("v3", "PL", "Drd2", None, 1, 7001, "chr8:2100500", "chr8", 2100500, 500, f("2.5e-15"),
         f("1e-10"), 1.35),
        ("v3", "PL", "Kcnj6", None, 1, 7002, "chr10:3120000", "chr10", 3120000, -10000,
         f("4.5e-9"), f("1e-7"), -0.75),
    ]


def test_splice_top_assoc_and_indep(db):
    got = rows(db, "SELECT version, modality, tissue, phenotype_id, gene_id, gene_name, "
                   "group_size, num_var, variant_id, chrom, pos, af, pval_beta, qval, "
                   "pval_nominal_threshold FROM xqtl_top_assoc ORDER BY version")
    s = "splicing"
    assert got == [
        ("study:" + NAR, s, "LHb", NARC, DRD2, None, 2, 10000, "chr8:2000500", "chr8", 2000500,
         0.25, f("3e-7"), 0.001, f("1e-5")),
        ("v1", s, "IL", C1, DRD2, "Drd2", 2, 10000, "chr8:2000500", "chr8", 2000500, 0.25,
         f("3e-7"), 0.001, f("1e-5")),
        ("v3", s, "PL", Q1, "Drd2", None, 2, 7001, "chr8:2100500", "chr8", 2100500, 0.4,
         f("2e-6"), 0.002, f("1e-5")),
    ]
    got = rows(db, "SELECT version, modality, tissue, phenotype_id, gene_id, group_size, rank, "
                   "variant_id, chrom, pos, af, pval_nominal FROM xqtls_indep ORDER BY version")
    assert got == [
        ("study:" + NAR, s, "LHb", NARC, DRD2, 2, 1, "chr8:2000500", "chr8", 2000500, 0.25,
         f("2e-8")),
        ("v1", s, "IL", C1, DRD2, 2, 1, "chr8:2000500", "chr8", 2000500, 0.25, f("2e-8")),
        ("v3", s, "PL", Q1, "Drd2", 2, 1, "chr8:2100500", "chr8", 2100500, 0.4, f("3.3e-7")),
    ]


# --- pair tables --------------------------------------------------------------------------------


SIGNIF_COLS = ("version, tissue, modality, phenotype_id, gene_id, variant_id, chrom, pos, "
               "tss_distance, af, ma_samples, ma_count, pval_nominal, slope, slope_se, "
               "pval_nominal_threshold")


def test_cis_qtl_signif_v1_v2(db):
    got = rows(db, f"SELECT {SIGNIF_COLS} FROM cis_qtl_signif WHERE version IN ('v1', 'v2') "
                   "ORDER BY version, modality, pos")
    e, s = "expression", "splicing"
    assert got == [
        ("v1", "IL", e, DRD2, DRD2, "chr8:1999000", "chr8", 1999000, -1000, f("0.166667"), 1, 1,
         f("1.23457e-05"), 0.25, 0.05, f("0.00031")),
        ("v1", "IL", e, DRD2, DRD2, "chr8:2000500", "chr8", 2000500, 500, 0.25, 2, 2,
         f("1.5e-12"), f("0.812"), 0.1, f("0.00031")),
        ("v1", "IL", e, DRD2, DRD2, "chr8:2001000", "chr8", 2001000, 1000, 0.4, 3, 4,
         f("3e-06"), -0.3, 0.08, f("0.00031")),
        ("v1", "IL", s, C1, DRD2, "chr8:2000500", "chr8", 2000500, 500, 0.25, 2, 2, f("2e-08"),
         0.6, 0.1, f("1e-05")),
        ("v2", "PL2", e, GENE2, GENE2, "chr10:3105000", "chr10", 3105000, 5000, 0.5, 3, 3,
         f("1e-04"), -0.4, 0.1, f("0.00025")),
        ("v2", "PL2", e, GENE2, GENE2, "chr10:3120000", "chr10", 3120000, -10000, f("0.333333"),
         2, 2, f("4.5e-09"), -0.7, 0.1, f("0.00025")),
    ]


def test_cis_qtl_signif_v3_eleven_and_ten_columns(db):
    """11 columns: the appended tss_distance (strand-aware), never start_distance; 10 columns
    with tss_distance: that column (release-format 5.2)."""
    got = rows(db, "SELECT tissue, modality, phenotype_id, gene_id, variant_id, pos, "
                   "tss_distance, af, ma_samples, pval_nominal FROM cis_qtl_signif "
                   "WHERE version = 'v3' ORDER BY tissue, modality, pos")
    e = "expression"
    assert got == [
        ("NAcc3", e, "Kcnj6", "Kcnj6", "chr10:3105000", 3105000, 5000, f("0.333333"), 2,
         f("7.5e-07")),
        ("PL", e, "Drd2", "Drd2", "chr8:2100500", 2100500, 500, 0.4, 3, f("2.5e-15")),
        ("PL", e, "Kcnj6", "Kcnj6", "chr10:3120000", 3120000, -10000, 0.3, 2, f("4.5e-09")),
        ("PL2", "splicing", Q1, "Drd2", "chr8:2100500", 2100500, 500, 0.25, 1, f("3.3e-07")),
        ("PL3", e, "Drd2", "Drd2", "chr8:2100500", 2100500, 500, 0.5, 1, f("1.1e-06")),
    ]


def test_cis_qtl_signif_of_the_studies(db):
    got = rows(db, f"SELECT {SIGNIF_COLS} FROM cis_qtl_signif WHERE version LIKE 'study:%' "
                   "ORDER BY version, pos")
    e = "expression"
    assert got == [
        ("study:Eye", "Eye", e, DRD2, DRD2, "chr8:2000500", "chr8", 2000500, 500, 0.5, 2, 3,
         f("1.5e-12"), f("0.812"), 0.1, f("0.00031")),
        ("study:Eye", "Eye", e, GENE2, GENE2, "chr10:3000000", "chr10", 3000000, -10000, 0.5, 3,
         3, f("1e-06"), -0.3, 0.07, f("1.2e-05")),
        ("study:HPC_F2", "HPC", e, DRD2, DRD2, "chr8:2000500", "chr8", 2000500, 500, 0.5, 40,
         50, f("3e-09"), 0.5, 0.08, f("0.0001")),
        ("study:HPC_F2", "HPC", e, DRD2, DRD2, "chr8:2001000", "chr8", 2001000, 1000, 0.5, 38,
         47, f("2e-05"), 0.3, 0.07, f("0.0001")),
    ]


def test_trans_pairs_v1_and_v3_unmerged(db):
    got = rows(db, "SELECT version, tissue, modality, variant_id, chrom, pos, phenotype_id, "
                   "gene_id, pval, slope, slope_se, af FROM trans_qtl_pairs ORDER BY ALL")
    e, s = "expression", "splicing"
    assert got == [
        ("v1", "IL", e, "chr20:100", "chr20", 100, GENE2, GENE2, f("1e-07"), -0.25, 0.05,
         f("0.166667")),
        ("v1", "IL", e, "chr2:5000000", "chr2", 5000000, DRD2, DRD2, f("9.87654e-06"), 0.5, 0.1,
         0.5),
        ("v1", "IL", s, "chr3:7000000", "chr3", 7000000, C2, DRD2, f("5e-06"), 0.3, 0.06, 0.25),
        ("v3", "NAcc3", e, "chr8:2100500", "chr8", 2100500, "LOC120093001", "LOC120093001",
         f("2.5e-06"), 0.45, 0.09, f("0.333333")),
        ("v3", "PL2", s, "chr2:800", "chr2", 800, Q2, "Drd2", f("8.5e-06"), -0.6, 0.12, 0.25),
    ]


# --- genotypes, sample tables -------------------------------------------------------------------


def test_variants_and_genotypes_every_source(db):
    got = rows(db, "SELECT version, dataset, variant_id, chrom, pos, ref, alt FROM variants "
                   "ORDER BY version, dataset, pos")
    assert got == [
        ("study:Eye", "eyes", "chr8:2000500", "chr8", 2000500, "A", "G"),
        ("study:Eye", "eyes", "chr10:3000000", "chr10", 3000000, "C", "T"),
        ("study:" + NAR, "P50.rnaseq.88.unpruned", "chr8:2000500", "chr8", 2000500, "A", "G"),
        ("study:" + NAR, "P50.rnaseq.88.unpruned", "chr10:3000000", "chr10", 3000000, "C", "T"),
        ("v1", "IL_LHb_NAcc1_OFC_PL1", "chr8:2000500", "chr8", 2000500, "A", "G"),
        ("v1", "IL_LHb_NAcc1_OFC_PL1", "chr8:2001000", "chr8", 2001000, "C", "T"),
        ("v2", "BLA_NAcc2_PL2", "chr10:3105000", "chr10", 3105000, "T", "C"),
        ("v2", "BLA_NAcc2_PL2", "chr10:3120000", "chr10", 3120000, "C", "A"),
        ("v3", "ratgtex_v3_round10_5", "chr8:2100500", "chr8", 2100500, "A", "G"),
        ("v3", "ratgtex_v3_round10_5", "chr10:3105000", "chr10", 3105000, "T", "C"),
        ("v3", "ratgtex_v3_round10_5", "chr10:3120000", "chr10", 3120000, "C", "A"),
    ]
    got = rows(db, "SELECT version, variant_id, rat_id, dosage FROM genotypes WHERE "
                   "(version, variant_id) IN (('v1', 'chr8:2000500'), ('v3', 'chr8:2100500'), "
                   f"('study:{NAR}', 'chr8:2000500'), ('study:Eye', 'chr10:3000000')) "
                   "ORDER BY ALL")
    assert got == [
        ("study:Eye", "chr10:3000000", "0007899A3F", None),
        ("study:Eye", "chr10:3000000", "000789E123", 1),
        ("study:Eye", "chr10:3000000", "00078A0224", 0),
        ("study:" + NAR, "chr8:2000500", "00077E67B5", 1),
        ("study:" + NAR, "chr8:2000500", "0007899A3F", 0),
        ("study:" + NAR, "chr8:2000500", "000789E123", 2),
        ("v1", "chr8:2000500", "00077E67B5", 1), ("v1", "chr8:2000500", "000789E123", None),
        ("v1", "chr8:2000500", "933000320045751", 1),
        ("v3", "chr8:2100500", "00077E67B5", 1), ("v3", "chr8:2100500", "0007899A3F", 2),
        ("v3", "chr8:2100500", "000789E123", 0), ("v3", "chr8:2100500", "00078A0224", None),
        ("v3", "chr8:2100500", "933000320045751", 1),
        ("v3", "chr8:2100500", "933000320045752", 0),
    ]


def test_rat_ids_fastq_map_rats_samples(db):
    got = rows(db, "SELECT version, tissue, rat_id FROM rat_ids ORDER BY ALL")
    assert got == [
        ("v1", "IL", "00077E67B5"), ("v1", "IL", "000789E123"), ("v1", "IL", "933000320045751"),
        ("v2", "PL2", "00077E67B5"), ("v2", "PL2", "933000320045751"),
        ("v2", "PL2", "933000320045752"),
        ("v3", "NAcc2", "00077E67B5"), ("v3", "NAcc2", "933000320045752"),
        ("v3", "NAcc3", "0007899A3F"), ("v3", "NAcc3", "000789E123"),
        ("v3", "NAcc3", "00078A0224"),
        ("v3", "PL", "00077E67B5"), ("v3", "PL", "0007899A3F"), ("v3", "PL", "00078A0224"),
        ("v3", "PL", "933000320045751"),
        ("v3", "PL2", "00077E67B5"), ("v3", "PL2", "933000320045751"),
        ("v3", "PL3", "0007899A3F"), ("v3", "PL3", "00078A0224"),
    ]
    got = rows(db, "SELECT version, tissue, fastq_1, fastq_2, rat_id, paired FROM fastq_map "
                   "ORDER BY ALL")
    assert got == [
        ("v1", "IL", "IL/00077E67B5_R1.fastq.gz", "IL/00077E67B5_R2.fastq.gz", "00077E67B5",
         True),
        ("v1", "IL", "IL/000789E123.fastq.gz", None, "000789E123", False),
        ("v1", "IL", "IL/933000320045751_R1.fastq.gz", "IL/933000320045751_R2.fastq.gz",
         "933000320045751", True),
        ("v3", "NAcc3", "NAcc3/0007899A3F.fq.gz", None, "0007899A3F", False),
        ("v3", "NAcc3", "NAcc3/000789E123_1.fq.gz", "NAcc3/000789E123_2.fq.gz", "000789E123",
         True),
        ("v3", "NAcc3", "NAcc3/00078A0224.fq.gz", None, "00078A0224", False),
        ("v3", "NAcc3", "NAcc3/00099QC001.fq.gz", None, "00099QC001", False),
    ]
    assert rows(db, "SELECT rat_id, sex, coatcolor, tissues FROM rats ORDER BY rat_id") == [
        ("00077E67B5", "F", "BLACKHOOD", "IL, PL1"), ("000789E123", "M", None, "IL"),
        ("933000320045751", None, "BROWNHOOD", "IL")]
    assert rows(db, "SELECT tissue, rat_id, geo_accession, biosample_accession, sra_accession "
                    "FROM samples ORDER BY ALL") == [
        ("IL", "00077E67B5", "GSM5124511", "SAMN18000001", "SRX10207101"),
        ("IL", "000789E123", None, None, None),
        ("PL1", "00077E67B5", "GSM5124600", "SAMN18000101", "SRX10207201")]


# --- study QTL tables ---------------------------------------------------------------------------


def test_study_top_assoc_every_group(db):
    got = rows(db, f"SELECT {TOP_COLS} FROM top_assoc WHERE version LIKE 'study:%' "
                   "ORDER BY version, tissue, gene_id")
    nar = "study:" + NAR
    assert got == [
        ("study:Eye", "Eye", DRD2, "Drd2", 6543, "chr8:2000500", "chr8", 2000500, "A", "G", 0.5,
         500, f("1.5e-12"), f("0.812"), 0.1, f("2.2e-10"), f("4.9e-9"), f("3.1e-4"),
         f("-1.415")),
        ("study:Eye", "Eye", GENE2, None, 6544, "chr10:3000000", "chr10", 3000000, "C", "T", 0.5,
         10000, 0.5, -0.05, 0.07, 0.6, 0.7, f("1.2e-5"), None),
        ("study:HPC_F2", "HPC", DRD2, "Drd2", 5000, "chr8:2000500", "chr8", 2000500, "A", "G",
         0.5, 500, f("3e-9"), 0.5, 0.08, f("1e-7"), f("2e-6"), f("1e-4"), 0.7),
        ("study:HPC_F2", "HPC", GENE2, None, 5001, "chr10:3000000", "chr10", 3000000, "C", "T",
         0.5, 10000, 0.25, 0.1, 0.09, 0.3, 0.45, f("1e-4"), None),
        (nar, "IL", DRD2, "Drd2", 10000, "chr8:2000500", "chr8", 2000500, "A", "G", 0.25, None,
         f("1.5e-12"), f("0.812"), 0.1, f("2.2e-10"), f("4.9e-9"), f("3.1e-4"), 0.95),
        (nar, "NAcc", DRD2, "Drd2", 9999, "chr8:2000500", "chr8", 2000500, "A", "G", 0.75, None,
         f("1e-20"), 1.5, 0.2, f("5e-18"), f("1e-15"), f("2.5e-4"), -1.25),
        (nar, "OFC", GENE2, None, 8123, "chr10:3000000", "chr10", 3000000, None, None, 0.5, None,
         0.5, -0.05, 0.07, 0.6, 0.7, f("1.2e-5"), None),
    ]


def test_study_eqtls_indep_reordered_columns_and_maf(db):
    got = rows(db, "SELECT version, tissue, gene_id, gene_name, rank, num_var, variant_id, chrom, "
                   "pos, ref, alt, af, tss_distance, pval_nominal, pval_beta, log2_aFC "
                   "FROM eqtls_indep WHERE version LIKE 'study:%' "
                   "ORDER BY version, tissue, gene_id, rank")
    nar = "study:" + NAR
    assert got == [
        ("study:Eye", "Eye", DRD2, None, 1, 6543, "chr8:2000500", "chr8", 2000500, None, None,
         0.5, 500, f("1.5e-12"), f("2.2e-10"), None),
        ("study:HPC_F2", "HPC", DRD2, "Drd2", 1, 5000, "chr8:2000500", "chr8", 2000500, "A", "G",
         0.5, 500, f("3e-9"), f("1e-7"), 0.7),
        ("study:HPC_F2", "HPC", DRD2, "Drd2", 2, 5000, "chr8:2001000", "chr8", 2001000, "C", "T",
         0.5, 1000, f("2e-5"), f("4e-4"), None),
        (nar, "IL", DRD2, "Drd2", 1, 10000, "chr8:2000500", "chr8", 2000500, "A", "G", 0.25,
         None, f("1.5e-12"), f("2.2e-10"), 0.95),
        (nar, "IL", DRD2, "Drd2", 2, 10000, "chr8:2001000", "chr8", 2001000, "C", "T", 0.4, None,
         f("3e-6"), f("4e-5"), None),
        (nar, "NAcc", DRD2, "Drd2", 1, 9999, "chr8:2000500", "chr8", 2000500, "A", "G", 0.25,
         None, f("1e-20"), f("5e-18"), -1.25),
    ]
    hpc = rows(db, "SELECT rank, log2_aFC_bLR_bHR, upregulated_in FROM eqtls_indep "
                   "WHERE version = 'study:HPC_F2' ORDER BY rank")
    assert hpc == [(1, -0.85, "bHR"), (2, 0.0, "equal")]


def test_eye_tensorqtl_cis_table(db):
    got = rows(db, "SELECT version, tissue, gene_id, num_var, beta_shape1, beta_shape2, true_df, "
                   "pval_true_df, variant_id, chrom, pos, tss_distance, ma_samples, ma_count, af, "
                   "pval_perm, pval_beta, qval, pval_nominal_threshold FROM study_cis_qtl "
                   "ORDER BY gene_id")
    assert got == [
        ("study:Eye", "Eye", DRD2, 6543, f("1.0342"), 250.5, f("47.12"), f("1.2e-11"),
         "chr8:2000500", "chr8", 2000500, 500, 2, 3, 0.5, f("0.0001"), f("2.2e-10"),
         f("4.9e-09"), f("0.00031")),
        ("study:Eye", "Eye", GENE2, 6544, f("1.01"), 300.0, None, 0.4, "chr10:3000000", "chr10",
         3000000, -10000, 3, 3, 0.5, f("0.62"), 0.6, 0.7, f("1.2e-05")),
    ]


def test_afc_tables_python_nan_and_inf_are_null(db):
    """Eye.aFC.txt: Python str() floats; nan, inf and -inf are non-finite -> NULL
    (architecture 3; release-format 7.24)."""
    got = rows(db, "SELECT gene_id, variant_id, chrom, pos, log2_aFC, log2_aFC_lower, "
                   "log2_aFC_upper FROM study_afc ORDER BY gene_id, pos")
    assert got == [
        (DRD2, "chr8:2000500", "chr8", 2000500, f("-1.4150374992788437"), -2.0,
         f("-0.8300749985576876")),
        (DRD2, "chr8:2001000", "chr8", 2001000, None, None, f("1e-05")),
        (GENE2, "chr10:3000000", "chr10", 3000000, None, None, None),
        (SCAFFOLD_GENE, "chr8:2001000", "chr8", 2001000, None, f("6.643856189774724"), None),
    ]


def test_ase_afc_colocs_and_metadata(db):
    got = rows(db, "SELECT tissue, gene_id, variant_id, chrom, pos, log2_aFC_ASE "
                   "FROM study_ase_afc ORDER BY tissue")
    assert got == [("IL", DRD2, "chr8:2000500", "chr8", 2000500, -1.1),
                   ("LHb", GENE2, "chr10:3000000", "chr10", 3000000, None),
                   ("PL", DRD2, "chr8:2001000", "chr8", 2001000, f("0.003"))]
    got = rows(db, "SELECT gene_id, gene_name, variant_id, chrom, pos, z_eQTL, trait, z_GWAS, "
                   "T_SMR, p_SMR, significant FROM study_colocs ORDER BY gene_id, trait NULLS LAST")
    assert got == [
        (DRD2, "Drd2", "chr8:2000500", "chr8", 2000500, 5.5, "body_weight", 3.2, 9.1,
         f("0.0025"), True),
        (DRD2, "Drd2", "chr8:2000500", "chr8", 2000500, 5.5, None, None, None, None, False),
        (GENE2, None, "chr10:3000000", "chr10", 3000000, -2.25, "fat_pad", 1.1, 0.8, 0.37,
         False),
    ]
    got = rows(db, "SELECT library, rat_id, tissue, brain_region, sequencing_batch, qc_pass, "
                   "fields FROM study_sample_metadata ORDER BY library")
    assert [r[:6] for r in got] == [
        ("00077E67B5_IL", "00077E67B5", "IL", "IL", "batch1", True),
        ("00077E67B5_VoLo", "00077E67B5", "OFC", "VoLo", "batch2", True),
        ("0007899A3F_Acbc", "0007899A3F", "NAcc", "Acbc", "batch2", True),
        ("000789E123_LHB", "000789E123", "LHb", "LHB", "batch1", True),
        ("000789E123_PL", "000789E123", "PL", "PL", "batch3", False),
    ]
    fields = json.loads(got[3][6])
    assert len(fields) == 24 and fields["notes"] == "re-run, lane 2"


def test_tissue_datasets_of_the_old_vcfs(db):
    """release-format 5.1: v1/v2 cohort VCFs name their tissues; v3-unmerged tissues are
    genotyped in ratgtex_v3_round10_5 (the dataset of every v3 tissue but Adipose/Liver)."""
    got = rows(db, "SELECT version, tissue, dataset FROM tissue_datasets "
                   "WHERE version IN ('v1', 'v2', 'v3') ORDER BY ALL")
    r5 = "ratgtex_v3_round10_5"
    assert got == [("v1", "IL", "IL_LHb_NAcc1_OFC_PL1"), ("v1", "PL1", "IL_LHb_NAcc1_OFC_PL1"),
                   ("v2", "PL2", "BLA_NAcc2_PL2"), ("v3", "Eye", r5), ("v3", "NAcc2", r5),
                   ("v3", "NAcc3", r5), ("v3", "PL", r5), ("v3", "PL2", r5), ("v3", "PL3", r5)]


# --- the lake read without our code ---------------------------------------------------------------


def test_lake_globbed_by_stock_duckdb_keeps_versions(db):
    """architecture 2: hive partitions readable by any engine; a study's version survives."""
    con = duckdb.connect()
    lake = db / "lake"
    got = con.execute(
        "SELECT DISTINCT version, tissue, modality FROM read_parquet(?, hive_partitioning = "
        "true, hive_types_autocast = false) ORDER BY ALL",
        [str(lake / "cis_qtl_signif" / "**" / "*.parquet")]).fetchall()
    # the header-only NAcc2 file has no rows to show
    assert got == [
        ("study:Eye", "Eye", "expression"), ("study:HPC_F2", "HPC", "expression"),
        ("v1", "IL", "expression"), ("v1", "IL", "splicing"), ("v2", "PL2", "expression"),
        ("v3", "NAcc3", "expression"), ("v3", "PL", "expression"), ("v3", "PL2", "splicing"),
        ("v3", "PL3", "expression")]
    got = con.execute("SELECT pval_beta FROM read_parquet(?, hive_partitioning = true) "
                      "WHERE version = 'v1' AND tissue = 'PL1'",
                      [str(lake / "top_assoc" / "**" / "*.parquet")]).fetchall()
    assert got == [(f("5e-324"),)]


def _hive(db: Path, table: str) -> list[str]:
    root = db / "lake" / table
    return sorted(p.parent.relative_to(root).as_posix() for p in root.rglob("*.parquet"))


def test_partition_directories_have_the_tables_keys(db):
    """architecture 2-3: hive directories with only the keys the table has."""
    assert _hive(db, "expression") == sorted([
        f"version=study:{NAR}/tissue=OFC/unit=log2", f"version=study:{NAR}/tissue=PL/unit=iqn",
        "version=study:Eye/tissue=Eye/unit=iqn_filtered", "version=study:Eye/tissue=Eye/unit=tpm",
        "version=study:Y_MT/tissue=Brain/unit=iqn", "version=study:Y_MT/tissue=Brain/unit=tpm",
        "version=study:Y_MT/tissue=OFC/unit=log2", "version=study:Y_MT/tissue=PL2/unit=log2",
        "version=v1/tissue=IL/unit=iqn", "version=v1/tissue=IL/unit=iqn_filtered",
        "version=v1/tissue=IL/unit=log2", "version=v1/tissue=IL/unit=tpm",
        "version=v2/tissue=PL2/unit=log2", "version=v2/tissue=PL2/unit=tpm",
        "version=v3/tissue=NAcc3/unit=iqn", "version=v3/tissue=NAcc3/unit=iqn_filtered",
        "version=v3/tissue=NAcc3/unit=log2", "version=v3/tissue=NAcc3/unit=tpm",
        "version=v3/tissue=PL/unit=tpm", "version=v3/tissue=PL3/unit=tpm"])
    assert _hive(db, "expression_raw") == [f"version=study:{NAR}/unit=raw_count",
                                           f"version=study:{NAR}/unit=raw_tpm"]
    for table in ("top_assoc", "eqtls_indep", "genes", "median_expression", "study_afc",
                  "study_colocs", "study_sample_metadata"):
        assert all(d.count("=") == 1 and d.startswith("version=") for d in _hive(db, table)), \
            (table, _hive(db, table))
    assert "version=v1/modality=splicing" in _hive(db, "xqtl_top_assoc")
    assert "version=v3/tissue=PL2/modality=splicing" in _hive(db, "cis_qtl_signif")


# --- the CLI: sql, versions and the canned commands on the old versions ---------------------------


def test_cli_sql_prints_exact_doubles(db):
    out = cli_json(db, "sql", "SELECT pval_nominal, pval_beta, qval FROM top_assoc "
                              "WHERE version = 'v1' AND tissue = 'PL1'")
    assert out == [{"pval_nominal": f("2.2250738585072014e-308"), "pval_beta": f("5e-324"),
                    "qval": f("1e-300")}]
    tsv = cli(db, "sql", "SELECT median_tpm FROM median_expression WHERE version = 'v1' "
                         "AND gene_id = 'ENSRNOG00000070001' AND tissue = 'IL'",
              "--format", "tsv").stdout.split()
    assert [float(x) for x in tsv[1:]] == [f("12.345678901234567")]


def test_cli_versions_lists_releases_and_studies(db, tree):
    got = {r["version"]: r for r in cli_json(db, "versions")}
    # releases first, then the study sources (their order among themselves is free)
    assert list(got)[:3] == ["v1", "v2", "v3"]
    assert set(list(got)[3:]) == {f"study:{g}" for g in (NAR, "Eye", "Y_MT", "HPC_F2")}
    assert {v: r["genome"] for v, r in got.items()} == {
        "v1": "rn6", "v2": "rn7", "v3": "rn7", f"study:{NAR}": "rn6", "study:Eye": "rn6",
        "study:Y_MT": "rn7", "study:HPC_F2": "rn6"}
    tissues = {v: set(r["tissues"].split(", ")) for v, r in got.items()}
    assert tissues["v1"] == {"IL", "PL1"}
    assert {"PL2"} <= tissues["v2"]
    assert {"Eye", "PL", "NAcc2", "NAcc3", "PL2", "PL3"} <= tissues["v3"]
    assert tissues[f"study:{NAR}"] == {"IL", "LHb", "NAcc", "OFC", "PL"}
    assert tissues["study:Y_MT"] == {"Brain", "OFC", "PL2"}
    assert tissues["study:HPC_F2"] == {"HPC"}
    files = {}
    for rel in tree_files(tree):
        parts = rel.split("/")
        v = f"study:{parts[1]}" if parts[0] == "studies" else parts[0]
        files[v] = files.get(v, 0) + 1
    assert {v: r["files"] for v, r in got.items()} == files


def test_cli_gene_by_ensembl_id_and_symbol_in_v1(db):
    by_id = cli_json(db, "gene", DRD2, "--version", "v1")
    by_symbol = cli_json(db, "gene", "drd2", "--version", "V1")
    assert by_id == by_symbol
    got = [(r["gene_id"], r["chrom"], r["tss"], r["tissue"], r["expressed"], r["tested"],
            r["egene"], r["median_tpm"], r["lead_variant_id"], r["lead_pval_nominal"],
            r["indep_eqtls"], r["indep_xqtls_splicing"]) for r in by_id]
    assert got == [
        (DRD2, "chr8", 2000000, "IL", True, True, True, f("12.345678901234567"), "chr8:2000500",
         f("1.5e-12"), 2, 1),
        (DRD2, "chr8", 2000000, "PL1", True, True, True, 3000.0, "chr8:2000500",
         f("2.2250738585072014e-308"), 1, 0),
    ]


def test_cli_eqtls_and_xqtls_by_ensembl_id_in_v2_and_v1(db):
    for gene in (GENE2, "kcnj6"):
        got = cli_json(db, "eqtls", "--gene", gene, "--version", "v2")
        assert [(r["version"], r["tissue"], r["gene_id"], r["rank"], r["variant_id"],
                 r["tss_distance"]) for r in got] == [
            ("v2", "PL2", GENE2, 1, "chr10:3120000", -10000)], gene
    got = cli_json(db, "xqtls", "--gene", DRD2, "--version", "v1")
    assert [(r["modality"], r["tissue"], r["phenotype_id"], r["gene_id"]) for r in got] == [
        ("splicing", "IL", C1, DRD2)]


def test_cli_assoc_by_ensembl_id_in_v1_and_symbol_in_v3(db):
    got = cli_json(db, "assoc", "--gene", DRD2, "--version", "v1")
    assert [(r["tissue"], r["modality"], r["phenotype_id"], r["variant_id"], r["tss_distance"],
             r["pval_nominal"]) for r in got] == [
        ("IL", "expression", DRD2, "chr8:1999000", -1000, f("1.23457e-05")),
        ("IL", "expression", DRD2, "chr8:2000500", 500, f("1.5e-12")),
        ("IL", "expression", DRD2, "chr8:2001000", 1000, f("3e-06")),
        ("IL", "splicing", C1, "chr8:2000500", 500, f("2e-08")),
    ]
    got = cli_json(db, "assoc", "--gene", "KCNJ6", "--version", "v3")
    assert [(r["tissue"], r["variant_id"], r["tss_distance"]) for r in got] == [
        ("NAcc3", "chr10:3105000", 5000), ("PL", "chr10:3120000", -10000)]
    got = cli_json(db, "assoc", "--gene", "Drd2", "--version", "v3", "--tissue", "pl2")
    assert [(r["tissue"], r["modality"], r["phenotype_id"]) for r in got] == [
        ("PL2", "splicing", Q1)]


def test_cli_trans_by_ensembl_id_in_v1(db):
    got = cli_json(db, "trans", "--gene", DRD2, "--version", "v1")
    assert sorted((r["modality"], r["variant_id"]) for r in got) == [
        ("expression", "chr2:5000000"), ("splicing", "chr3:7000000")]


def test_cli_expression_by_ensembl_id_in_v1_every_unit(db):
    got = cli_json(db, "expression", DRD2, "--version", "v1", "--unit", "tpm", "--samples")
    assert [(r["tissue"], r["rat_id"], r["value"]) for r in got] == [
        ("IL", "00077E67B5", 12.25), ("IL", "000789E123", f("0.30000000000000004")),
        ("IL", "933000320045751", 7.0)]
    got = cli_json(db, "expression", DRD2, "--version", "v1", "--unit", "iqn.filtered")
    assert [(r["tissue"], r["unit"], r["n"], r["median"]) for r in got] == [
        ("IL", "iqn_filtered", 3, 0.0)]
    got = cli_json(db, "expression", "drd2", "--version", "v3", "--unit", "log2", "--tissue",
                   "NAcc3", "--samples")
    assert [(r["rat_id"], r["value"]) for r in got] == [
        ("0007899A3F", f("3.16993")), ("000789E123", 3.0), ("00078A0224", f("3.32193"))]
    got = cli_json(db, "expression", DRD2, "--version", "study:Y_MT", "--unit", "log2")
    assert [(r["tissue"], r["n"]) for r in got] == [("OFC", 2), ("PL2", 2)]


def test_cli_canned_queries_on_study_versions(db):
    got = cli_json(db, "eqtls", "--gene", "drd2", "--version", f"study:{NAR}")
    assert [(r["tissue"], r["rank"], r["af"]) for r in got] == [("IL", 1, 0.25), ("IL", 2, 0.4),
                                                               ("NAcc", 1, 0.25)]
    got = cli_json(db, "assoc", "--gene", GENE2, "--version", "study:Eye")
    assert [(r["variant_id"], r["tss_distance"]) for r in got] == [("chr10:3000000", -10000)]
    got = cli_json(db, "gene", DRD2, "--version", "study:HPC_F2")
    assert [(r["tissue"], r["tested"], r["egene"], r["indep_eqtls"]) for r in got] == [
        ("HPC", True, True, 2)]


def test_cli_compare_by_ensembl_id_across_versions(db):
    got = cli_json(db, "compare", DRD2)
    by = {}
    for r in got:
        by.setdefault(r["version"], []).append(
            (r["gene_id"], r["tissue"], r["tested_eqtl"], r["egene"], r["lead_variant_id"],
             r["n_indep_eqtls"], r["median_tpm"]))
    assert by["v1"] == [(DRD2, "IL", True, True, "chr8:2000500", 2, f("12.345678901234567")),
                        (DRD2, "PL1", True, True, "chr8:2000500", 1, 3000.0)]
    assert by["v2"] == [(DRD2, "NAcc2", False, False, None, 0, f("4.123456789")),
                        (DRD2, "PL2", True, False, "chr8:2100500", 0, 0.75)]
    assert by["v3"] == [("Drd2", "Eye", True, False, "chr8:2100500", 0, f("4.123")),
                        ("Drd2", "PL", True, True, "chr8:2100500", 1, f("0.001"))]
    assert by[f"study:{NAR}"] == [(DRD2, "IL", True, True, "chr8:2000500", 2, None),
                                  (DRD2, "NAcc", True, True, "chr8:2000500", 1, None)]
    assert by["study:Eye"] == [(DRD2, "Eye", True, True, "chr8:2000500", 1, None)]
    assert by["study:HPC_F2"] == [(DRD2, "HPC", True, True, "chr8:2000500", 2, None)]
    assert list(by)[:3] == ["v1", "v2", "v3"]
    symbols = {r["version"]: r["gene_symbol"] for r in got if r["gene_id"]}
    assert symbols["v1"] == symbols["v2"] == symbols["v3"] == "Drd2"
    # study:Y_MT (expression only) has the gene under its Ensembl id
    assert [r["gene_id"] for r in got if r["version"] == "study:Y_MT"] == [DRD2]


def test_cli_compare_by_symbol_equals_compare_by_ensembl_id(db):
    """architecture 4: v1/v2 gene options take Ensembl ids or symbols; compare resolves the
    gene in every version through the names it has where found. By the symbol, the gene
    must be found in the same versions as by its Ensembl id (study:Y_MT holds its
    expression under ENSRNOG00000070001)."""
    assert cli_json(db, "compare", "drd2") == cli_json(db, "compare", DRD2)


def test_maf_read_for_af_is_reported_not_guessed(db):
    """release-format 10: whether the NAR tables say ``af`` or tensorQTL <= 1.0.5's ``maf`` is
    not settled, and "the ingester must ... report (not guess) anything else". ``maf`` is the
    minor-allele frequency while the contract's ``af`` is the ALT allele frequency "(not MAF)"
    (release-format 3.13): here the same NAcc variant has af 0.75 in top_assoc.txt and maf
    0.25 in eqtls_indep.txt, and both land in ``af`` with nothing said. A file whose
    frequency column is ``maf`` must at least carry a note in ingested_files."""
    got = rows(db, "SELECT af FROM top_assoc WHERE version = ? AND tissue = 'NAcc'",
               [f"study:{NAR}"]) + rows(
        db, "SELECT af FROM eqtls_indep WHERE version = ? AND tissue = 'NAcc'", [f"study:{NAR}"])
    assert got == [(0.75,), (0.25,)]  # one variant, two meanings in one column
    for name in ("eqtls_indep.txt", "top_assoc_splice.txt"):
        (message,) = rows(db, "SELECT message FROM ingested_files WHERE path LIKE ?",
                          [f"%/{NAR}/{name}"])[0]
        assert message and "maf" in message, (name, message)


def test_cli_gene_keeps_tissues_known_only_from_qtl_tables(db):
    """`gene`: per-tissue status ... xQTL counts per modality (architecture 4). DRD2 has an
    independent sQTL in the NAR study's LHb (sqtls_indep.txt); LHb must be one of the gene's
    tissues with indep_xqtls_splicing = 1, not dropped because top_assoc has no LHb row.
    (gene.sql takes its tissues from tissues + gene_tissue_status + top_assoc of the whole
    version: a study has no gene table, so a tissue without top_assoc rows, e.g. when only
    the sQTL tables are ingested, loses its xQTL counts.)"""
    got = cli_json(db, "gene", DRD2, "--version", f"study:{NAR}")
    by = {r["tissue"]: r for r in got}
    assert "LHb" in by, sorted(by)
    assert by["LHb"]["indep_xqtls_splicing"] == 1


def test_cli_gene_on_an_expression_only_study_answers_the_gene(db):
    """study:Y_MT holds expression only; `gene ENSRNOG00000070001 --version study:Y_MT`
    resolves the gene (as `expression` does) but answers no row at all (exit 0): a known
    gene must give its rows (one per tissue that has it), not an empty table."""
    got = cli_json(db, "gene", DRD2, "--version", "study:Y_MT")
    assert got, "no rows for a gene that the version has"
    assert {r["gene_id"] for r in got} == {DRD2}
    assert {r["tissue"] for r in got} <= {"Brain", "OFC", "PL2"}
