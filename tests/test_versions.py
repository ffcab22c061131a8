"""Releases v1, v2, v3 (+ v3-unmerged) from small hand-written files, through the public surfaces.

The files under tests/data/releases/ (and their readable sources under tests/data/release_text/)
were written by hand from release-format.md sections 1.1, 2, 5.1, 5.2 and 7 only: not with
synth.py and not from registry.py. Every expected value below is typed from those files, never
computed with our code. The mapping into the contract views follows the lead's versions brief
(extra columns gene_symbol, gene_id_ensembl, alt_splice/tested_sqtl/sqtl, gene_name, group_size).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import polars as pl
import pytest

import ratgtex_db

DATA = Path(__file__).resolve().parent / "data"
RELEASES = DATA / "releases"
BROKEN = DATA / "broken_legacy"

# v1/v2 Ensembl ids of the hand-written genes
GAD1, CBLN1 = "ENSRNOG00000000007", "ENSRNOG00000000010"
SCAFFOLD_GENE, MT_GENE, X_GENE = "ENSRNOG00000049505", "ENSRNOG00000030644", "ENSRNOG00000060123"


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300)


def _flat(res: subprocess.CompletedProcess) -> str:
    return " ".join((res.stdout + res.stderr).split())  # rich may wrap long lines


def _tsv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines(), delimiter="\t"))


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """The whole tests/data/releases tree (v1, v2, v3 at once) ingested by one CLI command."""
    db = tmp_path_factory.mktemp("legacy") / "db"
    res = _cli(db, "ingest", "--quiet", str(RELEASES))
    return db, res


@pytest.fixture(scope="module")
def db(legacy):
    """The ingested database, opened through the Python API."""
    path, _ = legacy
    with ratgtex_db.open(path) as d:
        yield d


def rows(db, query: str, params=None) -> list[tuple]:
    return db.sql(query, params).rows()


def counts(db, view: str, *keys: str) -> dict:
    cols = ", ".join(keys)
    return {r[:-1] if len(r) > 2 else r[0]: r[-1] for r in rows(
        db, f"SELECT {cols}, count(*) FROM {view} GROUP BY ALL ORDER BY ALL")}


def columns(db, view: str) -> set[str]:
    return {c.lower() for c in db.sql(f"SELECT * FROM {view} LIMIT 0").columns}


# --- the files themselves -------------------------------------------------------------------


def _make_module():
    spec = importlib.util.spec_from_file_location("make_releases", DATA / "make_releases.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_compressed_files_match_their_plain_text_sources():
    """Every .gz / .zip under releases/ and broken_legacy/ holds exactly its readable source."""
    plan = _make_module().targets()
    assert plan, "no sources found"
    for dest, parts in plan.items():
        assert dest.exists(), f"{dest} missing: run python tests/data/make_releases.py"
        if dest.suffix == ".gz":
            ((_, src),) = parts
            assert gzip.decompress(dest.read_bytes()) == src.read_bytes(), dest
        else:
            with zipfile.ZipFile(dest) as zf:
                assert sorted(zf.namelist()) == sorted(m for m, _ in parts), dest
                for member, src in parts:
                    assert zf.read(member) == src.read_bytes(), (dest, member)
    compressed = {p for p in [*RELEASES.rglob("*"), *BROKEN.rglob("*")]
                  if p.suffix in (".gz", ".zip")}
    assert compressed == set(plan), compressed ^ set(plan)


# --- ingest of the whole tree ---------------------------------------------------------------


def test_whole_tree_ingests_in_one_command_without_failures_or_unknown_files(legacy):
    """All three versions in one `ingest DIR`: exit 0, no failed file, no unmatched name."""
    _, res = legacy
    out = _flat(res)
    assert res.returncode == 0, out[-4000:]
    assert "failed" not in res.stderr, res.stderr[-4000:]
    assert "match no release file kind" not in out, out[-4000:]


def test_every_file_is_recorded_with_its_version(db):
    """The manifest lists each file of the tree once, with the version of its folder; the
    autocomplete json is skipped (with a reason), everything else ingested."""
    got = {}
    for path, version, status, message in rows(
            db, "SELECT path, version, status, message FROM ingested_files"):
        rel = Path(path).resolve().relative_to(RELEASES)
        got[rel.as_posix()] = (version, status, message)
    files = sorted(p.relative_to(RELEASES).as_posix() for p in RELEASES.rglob("*") if p.is_file())
    assert sorted(got) == files
    for rel, (version, status, message) in got.items():
        assert version == rel.split("/")[0], rel
        if rel == "v3/autocomplete.v3.json":
            assert status == "skipped" and message, (rel, status, message)
        else:
            assert status == "ingested", (rel, status, message)


def test_each_contract_view_has_rows_of_every_version(db):
    """Row counts per version, typed from the files (a few lines each)."""
    per_version = {
        "genes": {"v1": 4, "v2": 4, "v3": 4},
        "gene_tissue_status": {"v1": 8, "v2": 8, "v3": 8},
        "expression": {"v1": 75, "v2": 75, "v3": 108},
        "phenotypes": {"v1": 15, "v2": 15, "v3": 15},
        "covariates": {"v1": 42, "v2": 42, "v3": 42},
        "rat_ids": {"v1": 6, "v2": 6, "v3": 10},
        "fastq_map": {"v1": 7, "v2": 6, "v3": 7},
        "rats": {"v1": 6, "v2": 5, "v3": 6},
        "samples": {"v1": 6, "v2": 6, "v3": 8},
        "top_assoc": {"v1": 4, "v2": 4, "v3": 5},
        "eqtls_indep": {"v1": 2, "v2": 2, "v3": 3},
        "xqtl_top_assoc": {"v1": 3, "v2": 3, "v3": 3},
        "xqtls_indep": {"v1": 1, "v2": 1, "v3": 1},
        "cis_qtl_signif": {"v1": 5, "v2": 5, "v3": 8},
        "trans_qtl_pairs": {"v1": 5, "v2": 4, "v3": 4},
        "variants": {"v1": 6, "v2": 3, "v3": 4},
        "genotypes": {"v1": 22, "v2": 9, "v3": 24},
        "tissues": {"v3": 2},
        "top_expressed": {"v3": 5},
        "exons": {"v3": 3},
        "gene_esnps": {"v3": 4},
        "cis_pvals": {"v3": 5},
    }
    got = {view: counts(db, view, "version") for view in per_version}
    assert got == per_version
    median = counts(db, "(SELECT * FROM median_expression WHERE median_tpm IS NOT NULL)",
                    "version")
    assert median == {"v1": 7, "v2": 7, "v3": 7}


def test_extra_columns_of_the_old_versions_exist(db):
    """The contract columns plus the ones the versions brief adds; start_distance is not kept."""
    need = {
        "genes": {"version", "gene_id", "chrom", "start", "end", "strand", "tss", "description",
                  "has_eqtl", "gene_symbol", "gene_id_ensembl"},
        "gene_tissue_status": {"version", "tissue", "gene_id", "expressed", "tested_eqtl", "eqtl",
                               "alt_splice", "tested_sqtl", "sqtl"},
        "top_assoc": {"version", "tissue", "gene_id", "gene_name", "chrom", "pos", "qval",
                      "log2_afc"},
        "eqtls_indep": {"version", "tissue", "gene_id", "gene_name", "rank", "log2_afc"},
        "xqtl_top_assoc": {"version", "modality", "tissue", "phenotype_id", "gene_id",
                           "gene_name", "group_size", "qval"},
        "xqtls_indep": {"version", "modality", "tissue", "phenotype_id", "gene_id", "gene_name",
                        "group_size", "rank"},
        "cis_qtl_signif": {"version", "tissue", "modality", "phenotype_id", "gene_id",
                           "variant_id", "chrom", "pos", "tss_distance", "af", "ma_samples",
                           "ma_count", "pval_nominal", "slope", "slope_se",
                           "pval_nominal_threshold"},
        "tissue_datasets": {"version", "tissue", "dataset"},
    }
    for view, cols in need.items():
        have = columns(db, view)
        assert cols <= have, (view, cols - have)
    assert "start_distance" not in columns(db, "cis_qtl_signif")


# --- genes and per-tissue status ------------------------------------------------------------


def test_genes_chrom_normalised_symbols_and_ensembl_ids(db):
    """v1/v2 bare chromosomes become chrN (MT -> chrM, X -> chrX), the scaffold stays as it is;
    gene_symbol is filled for v1/v2 (readr NA -> NULL), gene_id_ensembl for v3."""
    got = rows(db, "SELECT version, gene_id, chrom, start, \"end\", strand, tss, gene_symbol, "
                   "gene_id_ensembl, has_eqtl FROM genes ORDER BY version, gene_id")
    assert got == [
        ("v1", GAD1, "chr1", 1000000, 1040000, "+", 1000000, "Gad1", None, True),
        ("v1", CBLN1, "chr1", 1990000, 2010000, "-", 2010000, "Cbln1", None, False),
        ("v1", MT_GENE, "chrM", 5323, 6867, "+", 5323, "Mt-co1", None, False),
        ("v1", SCAFFOLD_GENE, "AABR07024041.1", 5001, 6000, "+", 5001, None, None, False),
        ("v2", GAD1, "chr1", 1100000, 1140000, "+", 1100000, "Gad1", None, True),
        ("v2", CBLN1, "chr1", 2090000, 2110000, "-", 2110000, "Cbln1", None, False),
        ("v2", MT_GENE, "chrM", 5323, 6867, "+", 5323, "Mt-co1", None, False),
        ("v2", X_GENE, "chrX", 200000, 202000, "-", 202000, "Tmsb4x", None, False),
        ("v3", "Cbln1", "chr1", 2090000, 2110000, "-", 2110000, None, None, True),
        ("v3", "Gad1", "chr1", 1100000, 1140000, "+", 1100000, None, "ENSRNOG00000000007", True),
        ("v3", "LOC120093067", "chr2", 300000, 305000, "+", 300000, None, None, False),
        ("v3", "Mt-co1", "chrM", 5323, 6867, "+", 5323, None, "ENSRNOG00000030644", False),
    ]
    desc = dict(rows(db, "SELECT gene_id, description FROM genes WHERE version = 'v1'"))
    assert desc[MT_GENE] == "cytochrome c oxidase I, mitochondrial"


def test_gene_tissue_status_with_splice_flags(db):
    """Unpivoted True/False flags, including altSplice_*, testedSqtl_*, sqtl_* (v1)."""
    got = rows(db, "SELECT gene_id, tissue, expressed, tested_eqtl, eqtl, alt_splice, "
                   "tested_sqtl, sqtl FROM gene_tissue_status WHERE version = 'v1' "
                   "ORDER BY gene_id, tissue")
    t, f = True, False
    assert got == [
        (GAD1, "Adipose", t, t, f, t, t, f),
        (GAD1, "BLA", t, t, t, t, t, t),
        (CBLN1, "Adipose", t, t, f, f, f, f),
        (CBLN1, "BLA", t, t, f, t, t, f),
        (MT_GENE, "Adipose", t, f, f, f, f, f),
        (MT_GENE, "BLA", t, f, f, f, f, f),
        (SCAFFOLD_GENE, "Adipose", f, f, f, f, f, f),
        (SCAFFOLD_GENE, "BLA", t, f, f, f, f, f),
    ]
    v3 = rows(db, "SELECT tissue, eqtl, sqtl FROM gene_tissue_status "
                  "WHERE version = 'v3' AND gene_id = 'Cbln1' ORDER BY tissue")
    assert v3 == [("BLA", False, False), ("NAcc", True, False)]


def test_median_expression_unrounded_scientific_and_na(db):
    """v1/v2 medians are not rounded; readr's 3e3 is 3000; NA is no value."""
    got = dict(rows(db, "SELECT gene_id || '/' || tissue, median_tpm FROM median_expression "
                        "WHERE version = 'v1' AND median_tpm IS NOT NULL"))
    assert got == {f"{GAD1}/Adipose": 0.2512345, f"{GAD1}/BLA": 3.25,
                   f"{CBLN1}/Adipose": 1.75, f"{CBLN1}/BLA": 0.5,
                   f"{SCAFFOLD_GENE}/BLA": 0.125,
                   f"{MT_GENE}/Adipose": 2500.5, f"{MT_GENE}/BLA": 3000.0}
    assert rows(db, "SELECT median_tpm FROM median_expression WHERE version = 'v2' "
                    "AND gene_id = ?", [GAD1]) in ([(4.123456789,), (0.75,)],
                                                   [(0.75,), (4.123456789,)])
    assert rows(db, "SELECT median_tpm FROM median_expression WHERE version = 'v3' "
                    "AND gene_id = 'Mt-co1' ORDER BY tissue") == [(3000.0,), (2750.0,)]


# --- expression BEDs ------------------------------------------------------------------------


def test_expression_units_and_ensembl_gene_ids(db):
    """Four units per version; a v1 BED row's gene_id (and phenotype_id) is the Ensembl id."""
    got = counts(db, "expression", "version", "tissue", "unit")
    assert got == {
        ("v1", "Adipose", "iqn"): 9, ("v1", "Adipose", "iqn_filtered"): 6,
        ("v1", "Adipose", "log2"): 9, ("v1", "Adipose", "tpm"): 9,
        ("v1", "BLA", "iqn"): 12, ("v1", "BLA", "iqn_filtered"): 6,
        ("v1", "BLA", "log2"): 12, ("v1", "BLA", "tpm"): 12,
        ("v2", "BLA", "iqn"): 12, ("v2", "BLA", "iqn_filtered"): 6,
        ("v2", "BLA", "log2"): 12, ("v2", "BLA", "tpm"): 12,
        ("v2", "IL", "iqn"): 9, ("v2", "IL", "iqn_filtered"): 6,
        ("v2", "IL", "log2"): 9, ("v2", "IL", "tpm"): 9,
        ("v3", "BLA", "iqn"): 9, ("v3", "BLA", "iqn_filtered"): 6,
        ("v3", "BLA", "log2"): 9, ("v3", "BLA", "tpm"): 9,
        ("v3", "NAcc", "iqn"): 12, ("v3", "NAcc", "iqn_filtered"): 9,
        ("v3", "NAcc", "log2"): 12, ("v3", "NAcc", "tpm"): 12,
        ("v3", "NAcc1", "iqn"): 4, ("v3", "NAcc1", "iqn_filtered"): 4,
        ("v3", "NAcc1", "log2"): 4, ("v3", "NAcc1", "tpm"): 4,
        ("v3", "PL1", "iqn"): 4, ("v3", "PL1", "iqn_filtered"): 2,
        ("v3", "PL1", "log2"): 4, ("v3", "PL1", "tpm"): 4,
    }
    cell = rows(db, "SELECT phenotype_id, gene_id, value FROM expression WHERE version = 'v1' "
                    "AND tissue = 'BLA' AND unit = 'tpm' AND rat_id = '00077E67B5' "
                    "ORDER BY value")
    assert cell == [(GAD1, GAD1, 1.5e-05), (SCAFFOLD_GENE, SCAFFOLD_GENE, 1.0),
                    (CBLN1, CBLN1, 2.0), (MT_GENE, MT_GENE, 3100.0)]
    v3 = rows(db, "SELECT gene_id, value FROM expression WHERE version = 'v3' AND tissue = "
                  "'NAcc' AND unit = 'iqn_filtered' AND rat_id = '0007929C4E' ORDER BY gene_id")
    assert v3 == [("Cbln1", 0.967422), ("Gad1", 0.967422), ("LOC120093067", 0.967422)]
    log2 = rows(db, "SELECT value FROM expression WHERE version = 'v2' AND tissue = 'IL' "
                    "AND unit = 'log2' AND gene_id = ? AND rat_id = '000789972A'", [MT_GENE])
    assert log2 == [(13.4,)]


def test_expression_chromosomes_of_v1_bed(db):
    """If the expression view keeps the BED chromosome, it is normalised like genes.chrom."""
    if "chrom" not in columns(db, "expression"):
        pytest.skip("expression view keeps no chrom column (allowed by the contract)")
    got = rows(db, "SELECT DISTINCT gene_id, chrom FROM expression WHERE version = 'v1' "
                   "AND tissue = 'BLA' AND unit = 'log2' ORDER BY gene_id")
    assert got == [(GAD1, "chr1"), (CBLN1, "chr1"), (MT_GENE, "chrM"),
                   (SCAFFOLD_GENE, "AABR07024041.1")]


# --- leafcutter, covariates ------------------------------------------------------------------


def test_leafcutter_beds_are_normalized_splicing_phenotypes(db):
    """modality splicing, normalized true, gene_id = the text after the last ':' of the id."""
    got = rows(db, "SELECT version, tissue, modality, normalized, phenotype_id, gene_id, "
                   "count(*) FROM phenotypes GROUP BY ALL ORDER BY ALL")
    s = "splicing"
    assert got == [
        ("v1", "Adipose", s, True, f"1:1000200:1000800:clu_3:{GAD1}", GAD1, 3),
        ("v1", "Adipose", s, True, f"1:1000200:1000900:clu_3:{GAD1}", GAD1, 3),
        ("v1", "BLA", s, True, f"1:1000200:1000800:clu_1:{GAD1}", GAD1, 3),
        ("v1", "BLA", s, True, f"1:1000200:1000900:clu_1:{GAD1}", GAD1, 3),
        ("v1", "BLA", s, True, f"1:2005000:2006000:clu_2:{CBLN1}", CBLN1, 3),
        ("v2", "BLA", s, True, f"1:1100200:1100800:clu_11_+:{GAD1}", GAD1, 3),
        ("v2", "BLA", s, True, f"1:1100200:1100900:clu_11_+:{GAD1}", GAD1, 3),
        ("v2", "BLA", s, True, f"1:2105000:2106000:clu_12_-:{CBLN1}", CBLN1, 3),
        ("v2", "IL", s, True, f"1:1100200:1100800:clu_21_+:{GAD1}", GAD1, 3),
        ("v2", "IL", s, True, f"1:1100200:1100900:clu_21_+:{GAD1}", GAD1, 3),
        ("v3", "BLA", s, True, "chr1:1100200:1100800:clu_5_+:Gad1", "Gad1", 3),
        ("v3", "BLA", s, True, "chr1:1100200:1100900:clu_5_+:Gad1", "Gad1", 3),
        ("v3", "BLA", s, True, "chr1:2105000:2106000:clu_6_-:Cbln1", "Cbln1", 3),
        ("v3", "NAcc", s, True, "chr1:1100200:1100800:clu_7_+:Gad1", "Gad1", 3),
        ("v3", "NAcc", s, True, "chr1:1100200:1100900:clu_7_+:Gad1", "Gad1", 3),
    ]
    cell = rows(db, "SELECT value FROM phenotypes WHERE version = 'v1' AND tissue = 'BLA' "
                    "AND phenotype_id = ? AND rat_id = '00077E67B5'",
                [f"1:1000200:1000900:clu_1:{GAD1}"])
    assert cell == [(-0.1,)]


def test_covariates_expression_and_splicing(db):
    """covar.{tissue} -> modality expression, covar_splice.{tissue} -> modality splicing."""
    got = counts(db, "covariates", "version", "tissue", "modality")
    assert got == {
        ("v1", "Adipose", "expression"): 12, ("v1", "Adipose", "splicing"): 9,
        ("v1", "BLA", "expression"): 12, ("v1", "BLA", "splicing"): 9,
        ("v2", "BLA", "expression"): 12, ("v2", "BLA", "splicing"): 9,
        ("v2", "IL", "expression"): 12, ("v2", "IL", "splicing"): 9,
        ("v3", "BLA", "expression"): 12, ("v3", "BLA", "splicing"): 9,
        ("v3", "NAcc", "expression"): 12, ("v3", "NAcc", "splicing"): 9,
    }
    got = rows(db, "SELECT modality, covariate, value FROM covariates WHERE version = 'v1' "
                   "AND tissue = 'BLA' AND rat_id = '933000320045751' ORDER BY ALL")
    assert got == [("expression", "geno_PC1", 0.12), ("expression", "geno_PC2", 1e-06),
                   ("expression", "pheno_PC1", 10.5), ("expression", "pheno_PC2", -2.0),
                   ("splicing", "geno_PC1", 0.12), ("splicing", "geno_PC2", 1e-06),
                   ("splicing", "pheno_PC1", 5.5)]


# --- aggregated QTL tables ------------------------------------------------------------------


def test_top_assoc_and_eqtls_indep_with_gene_name(db):
    """v1/v2 keep gene_name, chrom '1' -> 'chr1', readr 1e-5 / NA parsed; v3 gene_name NULL."""
    got = rows(db, "SELECT tissue, gene_id, gene_name, variant_id, chrom, pos, tss_distance, "
                   "pval_nominal, qval, pval_nominal_threshold, log2_aFC FROM top_assoc "
                   "WHERE version = 'v1' ORDER BY tissue, gene_id")
    assert got == [
        ("Adipose", GAD1, "Gad1", "chr1:1000500", "chr1", 1000500, 500, 0.0123, 0.35, 3.4e-5,
         0.15),
        ("Adipose", CBLN1, "Cbln1", "chr1:2012000", "chr1", 2012000, -2000, 0.5, 0.6, 2.1e-5,
         None),
        ("BLA", GAD1, "Gad1", "chr1:1000500", "chr1", 1000500, 500, 1e-5, 0.012, 2.5e-4, 1.2),
        ("BLA", CBLN1, "Cbln1", "chr1:2012000", "chr1", 2012000, -2000, 0.2, 0.5, 1.9e-5, -0.25),
    ]
    got = rows(db, "SELECT version, tissue, gene_id, gene_name, rank, variant_id, chrom, "
                   "pval_nominal, log2_aFC FROM eqtls_indep ORDER BY ALL")
    assert got == [
        ("v1", "BLA", GAD1, "Gad1", 1, "chr1:1000500", "chr1", 1e-5, 1.2),
        ("v1", "BLA", GAD1, "Gad1", 2, "chr1:1001000", "chr1", 2e-4, None),
        ("v2", "BLA", GAD1, "Gad1", 1, "chr1:1100500", "chr1", 2.5e-12, 1.35),
        ("v2", "IL", GAD1, "Gad1", 1, "chr1:1101000", "chr1", 4e-6, -0.8),
        ("v3", "BLA", "Gad1", None, 1, "chr1:1100500", "chr1", 2.5e-12, 1.35),
        ("v3", "NAcc", "Cbln1", None, 1, "chr1:2112000", "chr1", 3e-5, 0.4),
        ("v3", "NAcc", "Gad1", None, 1, "chr1:1101000", "chr1", 4e-6, -0.8),
    ]
    v3 = rows(db, "SELECT gene_id, gene_name, chrom FROM top_assoc WHERE version = 'v3' "
                  "ORDER BY tissue, gene_id")
    assert v3 == [("Cbln1", None, "chr1"), ("Gad1", None, "chr1"), ("Cbln1", None, "chr1"),
                  ("Gad1", None, "chr1"), ("LOC120093067", None, "chr2")]


def test_splice_top_assoc_and_sqtls_indep(db):
    """top_assoc_splice / sqtls_indep -> xqtl views, modality splicing, gene_id from the
    file's gene_id column, group_size kept, gene_name for v1/v2 only."""
    got = rows(db, "SELECT version, modality, tissue, phenotype_id, gene_id, gene_name, "
                   "group_size, chrom, pos, qval FROM xqtl_top_assoc ORDER BY ALL")
    s = "splicing"
    assert got == [
        ("v1", s, "Adipose", f"1:1000200:1000800:clu_3:{GAD1}", GAD1, "Gad1", 2, "chr1",
         1000500, 0.45),
        ("v1", s, "BLA", f"1:1000200:1000900:clu_1:{GAD1}", GAD1, "Gad1", 2, "chr1", 1001000,
         0.004),
        ("v1", s, "BLA", f"1:2005000:2006000:clu_2:{CBLN1}", CBLN1, "Cbln1", 1, "chr1",
         2012000, 0.5),
        ("v2", s, "BLA", f"1:1100200:1100800:clu_11_+:{GAD1}", GAD1, "Gad1", 2, "chr1",
         1100500, 0.002),
        ("v2", s, "BLA", f"1:2105000:2106000:clu_12_-:{CBLN1}", CBLN1, "Cbln1", 1, "chr1",
         2112000, 0.4),
        ("v2", s, "IL", f"1:1100200:1100900:clu_21_+:{GAD1}", GAD1, "Gad1", 2, "chr1", 1101000,
         0.3),
        ("v3", s, "BLA", "chr1:1100200:1100800:clu_5_+:Gad1", "Gad1", None, 2, "chr1", 1100500,
         0.002),
        ("v3", s, "BLA", "chr1:2105000:2106000:clu_6_-:Cbln1", "Cbln1", None, 1, "chr1",
         2112000, 0.4),
        ("v3", s, "NAcc", "chr1:1100200:1100900:clu_7_+:Gad1", "Gad1", None, 2, "chr1", 1101000,
         0.3),
    ]
    got = rows(db, "SELECT version, modality, tissue, gene_id, gene_name, group_size, rank, "
                   "pval_nominal FROM xqtls_indep ORDER BY ALL")
    assert got == [("v1", s, "BLA", GAD1, "Gad1", 2, 1, 2e-6),
                   ("v2", s, "BLA", GAD1, "Gad1", 2, 1, 3e-7),
                   ("v3", s, "BLA", "Gad1", None, 2, 1, 3e-7)]


# --- pair tables ----------------------------------------------------------------------------


def test_cis_qtl_signif_expression_and_splicing(db):
    """eqtl/ signif -> modality expression, splice/ signif -> splicing (gene after the last
    ':'); v3's 11-column form gives the appended tss_distance, never start_distance; the
    10-column form and header-only files are accepted."""
    got = counts(db, "cis_qtl_signif", "version", "tissue", "modality")
    assert got == {
        ("v1", "BLA", "expression"): 3, ("v1", "BLA", "splicing"): 2,
        ("v2", "BLA", "expression"): 2, ("v2", "BLA", "splicing"): 2,
        ("v2", "IL", "expression"): 1,
        ("v3", "BLA", "expression"): 2, ("v3", "BLA", "splicing"): 2,
        ("v3", "NAcc", "expression"): 2, ("v3", "NAcc1", "expression"): 1,
        ("v3", "PL1", "expression"): 1,
    }
    got = rows(db, "SELECT phenotype_id, gene_id, variant_id, chrom, pos, tss_distance, "
                   "ma_samples, ma_count, pval_nominal FROM cis_qtl_signif "
                   "WHERE version = 'v1' AND modality = 'expression' ORDER BY pos")
    assert got == [(GAD1, GAD1, "chr1:1000500", "chr1", 1000500, 500, 2, 3, 1e-05),
                   (GAD1, GAD1, "chr1:1000750", "chr1", 1000750, 750, 2, 2, 0.000123457),
                   (GAD1, GAD1, "chr1:1001000", "chr1", 1001000, 1000, 1, 1, 0.0002)]
    got = rows(db, "SELECT tissue, modality, gene_id, variant_id, tss_distance FROM "
                   "cis_qtl_signif WHERE version = 'v3' ORDER BY tissue, modality, "
                   "phenotype_id, pos")
    assert got == [
        ("BLA", "expression", "Gad1", "chr1:1100500", 500),
        ("BLA", "expression", "Gad1", "chr1:1101000", 1000),
        ("BLA", "splicing", "Gad1", "chr1:1100500", 500),
        ("BLA", "splicing", "Gad1", "chr1:1100500", 500),
        ("NAcc", "expression", "Cbln1", "chr1:2112000", -2000),
        ("NAcc", "expression", "Gad1", "chr1:1101000", 1000),
        ("NAcc1", "expression", "Cbln1", "chr1:2112000", -2000),
        ("PL1", "expression", "Gad1", "chr1:1100500", 500),
    ]
    got = rows(db, "SELECT version, phenotype_id, gene_id, pval_nominal FROM cis_qtl_signif "
                   "WHERE modality = 'splicing' AND version IN ('v1', 'v2') ORDER BY ALL")
    assert got == [
        ("v1", f"1:1000200:1000800:clu_1:{GAD1}", GAD1, 0.00015),
        ("v1", f"1:1000200:1000900:clu_1:{GAD1}", GAD1, 2e-06),
        ("v2", f"1:1100200:1100800:clu_11_+:{GAD1}", GAD1, 3e-07),
        ("v2", f"1:1100200:1100900:clu_11_+:{GAD1}", GAD1, 4.5e-05),
    ]


def test_trans_pairs_expression_and_splicing(db):
    """trans (gene_id column) -> modality expression; splice.trans (phenotype_id) -> splicing."""
    got = rows(db, "SELECT tissue, modality, variant_id, chrom, pos, phenotype_id, gene_id, "
                   "pval FROM trans_qtl_pairs WHERE version = 'v1' ORDER BY ALL")
    assert got == [
        ("Adipose", "expression", "chr2:500000", "chr2", 500000, CBLN1, CBLN1, 9.99e-06),
        ("Adipose", "splicing", "chr2:500000", "chr2", 500000,
         f"1:1000200:1000900:clu_3:{GAD1}", GAD1, 7e-06),
        ("BLA", "expression", "chr2:500000", "chr2", 500000, GAD1, GAD1, 3.2e-06),
        ("BLA", "expression", "chr2:500000", "chr2", 500000, CBLN1, CBLN1, 8.1e-06),
        ("BLA", "splicing", "chr2:500000", "chr2", 500000,
         f"1:1000200:1000800:clu_1:{GAD1}", GAD1, 4.5e-06),
    ]
    v3 = rows(db, "SELECT tissue, modality, gene_id FROM trans_qtl_pairs WHERE version = 'v3' "
                  "ORDER BY ALL")
    assert v3 == [("BLA", "expression", "Gad1"), ("BLA", "splicing", "Gad1"),
                  ("NAcc", "expression", "LOC120093067"), ("NAcc", "splicing", "Gad1")]


# --- genotypes ------------------------------------------------------------------------------


def test_variants_and_genotypes_by_dataset(db):
    """dataset = the VCF's file stem; CHROM '1' -> 'chr1'; GT -> dosage, './.' -> NULL."""
    got = rows(db, "SELECT version, dataset, variant_id, chrom, pos, ref, alt FROM variants "
                   "ORDER BY version, dataset, chrom, pos")
    assert got == [
        ("v1", "Adipose_Liver", "chr1:1000500", "chr1", 1000500, "A", "G"),
        ("v1", "Adipose_Liver", "chr1:2012000", "chr1", 2012000, "C", "T"),
        ("v1", "BLA_NAcc2_PL2", "chr1:1000500", "chr1", 1000500, "A", "G"),
        ("v1", "BLA_NAcc2_PL2", "chr1:1001000", "chr1", 1001000, "G", "A"),
        ("v1", "BLA_NAcc2_PL2", "chr1:2012000", "chr1", 2012000, "C", "T"),
        ("v1", "BLA_NAcc2_PL2", "chr2:500000", "chr2", 500000, "G", "T"),
        ("v2", "BLA_NAcc2_PL2", "chr1:1100500", "chr1", 1100500, "A", "G"),
        ("v2", "BLA_NAcc2_PL2", "chr1:1101000", "chr1", 1101000, "G", "A"),
        ("v2", "BLA_NAcc2_PL2", "chr1:2112000", "chr1", 2112000, "C", "T"),
        ("v3", "ratgtex_v3_round10_5", "chr1:1100500", "chr1", 1100500, "A", "G"),
        ("v3", "ratgtex_v3_round10_5", "chr1:1101000", "chr1", 1101000, "G", "A"),
        ("v3", "ratgtex_v3_round10_5", "chr1:2112000", "chr1", 2112000, "C", "T"),
        ("v3", "ratgtex_v3_round10_5", "chr2:301000", "chr2", 301000, "T", "C"),
    ]
    got = rows(db, "SELECT rat_id, dosage FROM genotypes WHERE version = 'v1' AND dataset = "
                   "'BLA_NAcc2_PL2' AND variant_id = 'chr1:1001000' ORDER BY rat_id")
    assert got == [("00077E67B5", 0), ("933000320045751", 1), ("933000320045752", None),
                   ("933000320045799", 0)]
    got = rows(db, "SELECT rat_id, dosage FROM genotypes WHERE version = 'v1' AND dataset = "
                   "'Adipose_Liver' AND variant_id = 'chr1:2012000' ORDER BY rat_id")
    assert got == [("56269_4", 1), ("56270_1", 2), ("56271_2", 0)]
    got = rows(db, "SELECT rat_id, dosage FROM genotypes WHERE version = 'v3' AND variant_id = "
                   "'chr1:2112000' AND dataset = 'ratgtex_v3_round10_5' ORDER BY rat_id")
    assert got == [("00077E67B5", 2), ("000789972A", 1), ("0007899A3F", 1), ("0007929C4E", 0),
                   ("933000320045751", 1), ("933000320045752", 2)]


def test_tissue_datasets_from_cohort_names_and_tissue_info(db):
    """v1/v2: the cohort whose name lists the tissue; v3: tissueInfo's dataset column."""
    got = rows(db, "SELECT version, tissue, dataset FROM tissue_datasets WHERE "
                   "(version, tissue) IN (('v1', 'BLA'), ('v1', 'Adipose'), ('v2', 'BLA'), "
                   "('v2', 'IL'), ('v3', 'BLA'), ('v3', 'NAcc')) ORDER BY ALL")
    assert got == [("v1", "Adipose", "Adipose_Liver"), ("v1", "BLA", "BLA_NAcc2_PL2"),
                   ("v2", "BLA", "BLA_NAcc2_PL2"), ("v2", "IL", "IL_LHb_NAcc1_OFC_PL1"),
                   ("v3", "BLA", "ratgtex_v3_round10_5"), ("v3", "NAcc", "ratgtex_v3_round10_5")]


# --- v3 specifics ---------------------------------------------------------------------------


def test_unmerged_tissues_are_v3_tissues_in_per_tissue_views_only(db):
    """NAcc1 and PL1 files are v3 per-tissue data; no aggregated table has them."""
    per_tissue = {
        "expression": {"NAcc1", "PL1"}, "rat_ids": {"NAcc1", "PL1"},
        "cis_qtl_signif": {"NAcc1", "PL1"},
    }
    for view, want in per_tissue.items():
        got = {t for (t,) in rows(db, f"SELECT DISTINCT tissue FROM {view} WHERE tissue IN "
                                      "('NAcc1', 'PL1') AND version = 'v3'")}
        assert got == want, view
    for view in ["top_assoc", "eqtls_indep", "xqtl_top_assoc", "xqtls_indep",
                 "gene_tissue_status", "median_expression", "tissues", "top_expressed"]:
        assert rows(db, f"SELECT DISTINCT version, tissue FROM {view} "
                        "WHERE tissue IN ('NAcc1', 'PL1')") == [], view
    assert rows(db, "SELECT rat_id FROM rat_ids WHERE version = 'v3' AND tissue = 'PL1' "
                    "ORDER BY rat_id") == [("000789972A",), ("0007929C4E",)]


def test_v3_api_only_files(db):
    """tissueInfo, topExpressedGene, exon, singleTissueEqtl zip and cis_pvals zip of v3."""
    got = rows(db, "SELECT tissue, tissue_site_detail, color_hex, color_rgb, dataset, "
                   "rna_seq_sample_count, expressed_gene_count, e_gene_count, dataset_id, "
                   "has_e_genes FROM tissues WHERE version = 'v3' ORDER BY tissue")
    assert got == [
        ("BLA", "Basolateral amygdala", "000080", "0,0,128", "ratgtex_v3_round10_5", 3, 2, 1,
         "ratgtex_v3", True),
        ("NAcc", "Nucleus accumbens core", "4daf4a", "77,175,74", "ratgtex_v3_round10_5", 3, 3,
         2, "ratgtex_v3", True),
    ]
    got = rows(db, "SELECT tissue, gene_id, median_tpm, chrom, mt_gene, dataset_id, unit FROM "
                   "top_expressed WHERE version = 'v3' ORDER BY tissue, median_tpm DESC")
    assert got == [("BLA", "Mt-co1", 3000.0, "chrM", True, "ratgtex_v3", "TPM"),
                   ("BLA", "Gad1", 4.123, "chr1", False, "ratgtex_v3", "TPM"),
                   ("BLA", "Cbln1", 0.5, "chr1", False, "ratgtex_v3", "TPM"),
                   ("NAcc", "Mt-co1", 2750.0, "chrM", True, "ratgtex_v3", "TPM"),
                   ("NAcc", "Gad1", 7.5, "chr1", False, "ratgtex_v3", "TPM")]
    got = rows(db, "SELECT exon_id, gene_id, chrom, start, \"end\", strand, exon_number, "
                   "feature_type, transcript_id FROM exons WHERE version = 'v3' ORDER BY exon_id")
    assert got == [("Cbln1_1", "Cbln1", "chr1", 2109000, 2110000, "-", 1, "exon", "Cbln1"),
                   ("Gad1_1", "Gad1", "chr1", 1100000, 1100500, "+", 1, "exon", "Gad1"),
                   ("Gad1_2", "Gad1", "chr1", 1139000, 1140000, "+", 2, "exon", "Gad1")]
    got = rows(db, "SELECT gene_id, tissue, variant_id, chrom, pos, pval_nominal, slope FROM "
                   "gene_esnps WHERE version = 'v3' ORDER BY gene_id, tissue, pos")
    assert got == [("Cbln1", "NAcc", "chr1:2112000", "chr1", 2112000, 3e-05, 0.5),
                   ("Gad1", "BLA", "chr1:1100500", "chr1", 1100500, 2.5e-12, 0.9),
                   ("Gad1", "BLA", "chr1:1101000", "chr1", 1101000, 1.5e-05, 0.6),
                   ("Gad1", "NAcc", "chr1:1101000", "chr1", 1101000, 4e-06, -0.7)]
    got = rows(db, "SELECT tissue, gene_id, variant_id, chrom, pos, pval_nominal FROM cis_pvals "
                   "WHERE version = 'v3' ORDER BY gene_id, pos")
    assert got == [("BLA", "Cbln1", "chr1:1100500", "chr1", 1100500, 0.9),
                   ("BLA", "Cbln1", "chr1:2112000", "chr1", 2112000, 0.3),
                   ("BLA", "Gad1", "chr1:1100500", "chr1", 1100500, 2.5e-12),
                   ("BLA", "Gad1", "chr1:1101000", "chr1", 1101000, 1.5e-05),
                   ("BLA", "Gad1", "chr1:2112000", "chr1", 2112000, 0.4)]


# --- sample ids -----------------------------------------------------------------------------


def test_rat_ids_stay_strings(db):
    """Hex ids with E, 15-digit ids and Adipose ids like 56269_4 are kept verbatim as text."""
    for view in ["rat_ids", "rats", "samples", "fastq_map", "expression", "covariates",
                 "genotypes"]:
        frame = db.sql(f"SELECT rat_id FROM {view} LIMIT 1")
        assert frame.schema["rat_id"] == pl.String, view
    got = rows(db, "SELECT version, tissue, rat_id FROM rat_ids WHERE version IN ('v1', 'v2') "
                   "ORDER BY ALL")
    assert got == [("v1", "Adipose", "56269_4"), ("v1", "Adipose", "56270_1"),
                   ("v1", "Adipose", "56271_2"), ("v1", "BLA", "00077E67B5"),
                   ("v1", "BLA", "933000320045751"), ("v1", "BLA", "933000320045752"),
                   ("v2", "BLA", "00077E67B5"), ("v2", "BLA", "933000320045751"),
                   ("v2", "BLA", "933000320045752"), ("v2", "IL", "00077E67B5"),
                   ("v2", "IL", "000789972A"), ("v2", "IL", "0007899A3F")]
    got = {r for (r,) in rows(db, "SELECT DISTINCT rat_id FROM expression WHERE version = 'v1' "
                                  "AND tissue = 'Adipose'")}
    assert got == {"56269_4", "56270_1", "56271_2"}
    got = rows(db, "SELECT rat_id, sex, coatcolor, tissues FROM rats WHERE version = 'v3' "
                   "ORDER BY rat_id")
    assert got == [("00077E67B5", "F", "BLACKHOOD", "BLA"),
                   ("000789972A", "M", "ALBINO", "NAcc1, PL1"),
                   ("0007899A3F", "F", None, "NAcc1"),
                   ("0007929C4E", "M", "HOODED", "NAcc2, PL1"),
                   ("933000320045751", "M", "BROWNHOOD", "BLA"),
                   ("933000320045752", None, None, "BLA")]
    got = rows(db, "SELECT tissue, rat_id, geo_accession, sra_accession FROM samples "
                   "WHERE version = 'v2' AND tissue = 'IL' ORDER BY rat_id")
    assert got == [("IL", "00077E67B5", "GSM5124511", "SRX10207101"),
                   ("IL", "000789972A", "GSM5124512", "SRX10207102"),
                   ("IL", "0007899A3F", "GSM5124513", "SRX10207103")]


def test_fastq_map_two_and_three_field_lines(db):
    """A single-end line has fastq_2 NULL and paired false; QC-removed rats are kept."""
    got = rows(db, "SELECT fastq_1, fastq_2, rat_id, paired FROM fastq_map WHERE version = 'v1' "
                   "AND tissue = 'BLA' ORDER BY fastq_1")
    assert got == [
        ("BLA/00077E67B5_1.fastq.gz", "BLA/00077E67B5_2.fastq.gz", "00077E67B5", True),
        ("BLA/933000320045751_1.fastq.gz", "BLA/933000320045751_2.fastq.gz", "933000320045751",
         True),
        ("BLA/933000320045752.fastq.gz", None, "933000320045752", False),
        ("BLA/933000320045799.fastq.gz", None, "933000320045799", False),
    ]
    got = rows(db, "SELECT rat_id, paired FROM fastq_map WHERE version = 'v3' AND tissue = "
                   "'NAcc' ORDER BY fastq_1")
    assert got == [("000789972A", True), ("0007899A3F", False), ("0007929C4E", True),
                   ("0007929C4E", False)]


# --- CLI ------------------------------------------------------------------------------------


def test_cli_versions_lists_the_three_releases(legacy):
    """`versions` names v1 (rn6), v2 (rn7), v3 (rn7) with their tissues and files."""
    path, _ = legacy
    res = _cli(path, "versions", "--format", "tsv")
    assert res.returncode == 0, res.stderr
    got = {r["version"]: r for r in _tsv(res.stdout)}
    assert sorted(got) == ["v1", "v2", "v3"]
    assert {v: r["genome"] for v, r in got.items()} == {"v1": "rn6", "v2": "rn7", "v3": "rn7"}
    files = {p.parts[len(RELEASES.parts)] for p in RELEASES.rglob("*") if p.is_file()}
    assert files == {"v1", "v2", "v3"}
    for version, tissues in [("v1", {"Adipose", "BLA"}), ("v2", {"BLA", "IL"}),
                             ("v3", {"BLA", "NAcc", "NAcc1", "PL1"})]:
        cell = got[version]["tissues"]
        assert cell == str(len(tissues)) or tissues <= set(cell.replace(",", " ").split()), \
            (version, cell)
        n = sum(1 for p in (RELEASES / version).rglob("*") if p.is_file())
        assert got[version]["files"] in (str(n), str(n - 1)), (version, got[version]["files"])


def _eqtl_rows(res: subprocess.CompletedProcess) -> list[tuple[str, ...]]:
    assert res.returncode == 0, res.stderr
    return [(r["version"], r["tissue"], r["gene_id"], r["rank"], r["variant_id"])
            for r in _tsv(res.stdout)]


def test_cli_eqtls_by_version_symbol_and_ensembl_id(legacy):
    """--version v2 finds a v1/v2 gene by symbol (any case) and by Ensembl id; the default is
    the newest version (v3, where ids are symbols)."""
    path, _ = legacy
    v2 = [("v2", "BLA", GAD1, "1", "chr1:1100500"), ("v2", "IL", GAD1, "1", "chr1:1101000")]
    assert _eqtl_rows(_cli(path, "eqtls", "--gene", "gad1", "--version", "v2",
                           "--format", "tsv")) == v2
    assert _eqtl_rows(_cli(path, "eqtls", "--gene", GAD1, "--version", "v2",
                           "--format", "tsv")) == v2
    assert _eqtl_rows(_cli(path, "eqtls", "--gene", "Gad1", "--version", "v1",
                           "--format", "tsv")) == [("v1", "BLA", GAD1, "1", "chr1:1000500"),
                                                   ("v1", "BLA", GAD1, "2", "chr1:1001000")]
    assert _eqtl_rows(_cli(path, "eqtls", "--gene", "Gad1", "--format", "tsv")) == [
        ("v3", "BLA", "Gad1", "1", "chr1:1100500"), ("v3", "NAcc", "Gad1", "1", "chr1:1101000")]


def test_api_eqtls_with_version(legacy):
    """The Python method takes version= like the CLI and resolves a v2 symbol."""
    path, _ = legacy
    with ratgtex_db.open(path) as d:
        got = d.eqtls(gene=["Gad1"], version="v2").select("tissue", "gene_id").rows()
    assert got == [("BLA", GAD1), ("IL", GAD1)]


def test_cli_unknown_version_names_the_ingested_ones(legacy):
    """--version v9 is an error (exit 1) that lists v1, v2, v3."""
    path, _ = legacy
    res = _cli(path, "eqtls", "--gene", "Gad1", "--version", "v9", "--format", "tsv")
    assert res.returncode == 1, (res.returncode, res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert "v9" in res.stderr and all(v in res.stderr for v in ("v1", "v2", "v3")), res.stderr
    assert res.stdout.strip() == ""


# --- broken twins ---------------------------------------------------------------------------

# file -> the parts its error message must contain (file:line, the column, the found text)
BROKEN_EXPECT = {
    "top_assoc.v1_rn6.txt": ["top_assoc.v1_rn6.txt:4:", "'pval_nominal'", "n.s."],
    "cis_qtl_signif.BLA.v3_rn7.txt.gz": ["cis_qtl_signif.BLA.v3_rn7.txt.gz:1:", "'slope_se'"],
    "expr.log2.BLA.v1_rn6.bed.gz": ["expr.log2.BLA.v1_rn6.bed.gz:3:", "field"],
}


def test_broken_twins_are_reported_and_the_good_file_still_ingests(tmp_path):
    """Each broken legacy file fails with file, line and column named; a good file given in the
    same command is ingested; exit status 1."""
    good = RELEASES / "v2" / "eqtl" / "top_assoc.v2_rn7.txt"
    db = tmp_path / "db"
    res = _cli(db, "ingest", "--quiet", str(BROKEN), str(good))
    assert res.returncode == 1, _flat(res)[-3000:]
    assert "Traceback" not in res.stderr
    out = _flat(res)
    for name, parts in BROKEN_EXPECT.items():
        line = next((ln for ln in res.stderr.splitlines() if name in ln), None)
        assert line is not None, (name, out[-3000:])
        for part in parts:
            assert part in out, (name, part, out[-3000:])
    with ratgtex_db.open(db) as d:
        status = {Path(p).name: s for p, s in d.sql(
            "SELECT path, status FROM ingested_files").rows()}
        top = d.sql("SELECT version, count(*) FROM top_assoc GROUP BY 1").rows()
    assert status == {**{n: "failed" for n in BROKEN_EXPECT}, good.name: "ingested"}
    assert top == [("v2", 4)]


def test_pre_2025_tissue_labels_inside_v1_files_are_the_views_ids(tmp_path):
    """A v1 file's own tissue column saying NAcc / PL (the pre-2025 labels) is the tissue the
    file names and the views call NAcc1 / PL1 (release-format 5.1): one tissue, not two."""
    from ratgtex_db.ingest import ingest

    v1 = tmp_path / "v1"
    (v1 / "eqtl").mkdir(parents=True)
    (v1 / "rat_ids").mkdir()
    head = ("tissue\tgene_id\tgene_name\tnum_var\tvariant_id\tchrom\tpos\tref\talt\taf\t"
            "tss_distance\tpval_nominal\tslope\tslope_se\tpval_beta\tqval\t"
            "pval_nominal_threshold\tlog2_aFC\n")
    row = "\tENSRNOG00000000007\tGad1\t5000\tchr1:1500\t1\t1500\tA\tG\t0.25\t500\t1e-10\t0.5\t" \
          "0.05\t3e-8\t0.001\t1e-4\t0.3\n"
    (v1 / "eqtl" / "top_assoc.v1_rn6.txt").write_text(head + "NAcc" + row + "PL" + row
                                                      + "IL" + row)
    (v1 / "rat_ids" / "rat_ids.NAcc.v1.txt").write_text("00077E67B5\n")
    db = tmp_path / "db"
    assert not ingest([v1], db).failed
    with ratgtex_db.open(db) as d:
        top = d.sql("SELECT tissue FROM top_assoc ORDER BY 1")["tissue"].to_list()
        rats = d.sql("SELECT DISTINCT tissue FROM rat_ids")["tissue"].to_list()
    assert top == ["IL", "NAcc1", "PL1"] and rats == ["NAcc1"]
    with ratgtex_db.open(db) as d:  # the old label typed by a user names the same tissue
        assert d.eqtls(tissue="NAcc", version="v1").equals(d.eqtls(tissue="NAcc1",
                                                                  version="v1"))


def test_compare_by_ensembl_id_reaches_v3_through_the_v2_gene_name(tmp_path):
    """v2 ingested without its gene table names its genes in top_assoc (gene_name): an Ensembl
    id finds the v3 gene through that symbol, even where v3 lists no Ensembl id for it."""
    from ratgtex_db.ingest import ingest

    src = tmp_path / "src"
    (src / "v2" / "eqtl").mkdir(parents=True)
    (src / "v3").mkdir()
    top = RELEASES / "v2" / "eqtl" / "top_assoc.v2_rn7.txt"
    (src / "v2" / "eqtl" / top.name).write_text(top.read_text())
    lines = (RELEASES / "v3" / "gene.v3.txt").read_text().splitlines(keepends=True)
    lines = [ln.replace("\tENSRNOG00000000007\t", "\tNA\t", 1) for ln in lines]
    (src / "v3" / "gene.v3.txt").write_text("".join(lines))
    db = tmp_path / "db"
    assert not ingest([src], db).failed
    with ratgtex_db.open(db) as d:
        got = set(d.compare("ENSRNOG00000000007").select(
            ["version", "gene_id", "gene_symbol"]).rows())
    assert ("v3", "Gad1", "Gad1") in got and ("v2", "ENSRNOG00000000007", "Gad1") in got


def test_v3_signif_of_ten_columns_with_start_distance_only(tmp_path):
    """The v3 about page documents 10 signif columns (release-format 5.2): a file with
    tensorQTL's start_distance and no appended tss_distance is read, tss_distance NULL, with
    a note; start_distance (distance to the BED start) is never passed off as the TSS one."""
    from ratgtex_db.ingest import ingest

    d = tmp_path / "v3" / "eqtl"
    d.mkdir(parents=True)
    with gzip.open(d / "cis_qtl_signif.BLA.v3_rn7.txt.gz", "wt") as f:
        f.write("gene_id\tvariant_id\tstart_distance\taf\tma_samples\tma_count\tpval_nominal\t"
                "slope\tslope_se\tpval_nominal_threshold\n"
                "Gad1\tchr1:1500\t-500\t0.25\t10\t12\t1e-08\t0.5\t0.05\t0.0001\n")
    db = tmp_path / "db"
    report = ingest([tmp_path / "v3"], db)
    assert not report.failed
    assert "start_distance" in (report.results[0].message or "")
    with ratgtex_db.open(db) as h:
        got = h.sql("SELECT gene_id, pos, tss_distance, pval_nominal FROM cis_qtl_signif").rows()
    assert got == [("Gad1", 1500, None, 1e-08)]
