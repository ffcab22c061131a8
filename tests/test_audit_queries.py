"""Audit of the canned queries and the plots against the contract (architecture.md 4-5,
release-format.md 3 and 8), on a small v4 release written by hand (tests/data/audit_queries).

The release is built once per session from its plain-text sources, ingested with the real CLI
(``ratgtex-db --db DIR ingest PATH``) into a temporary database; every query is run as a CLI
process (``--format json``) and as the same-named Python method, and both are compared with
results computed here from what the files mean (release-format 3), never from synth.py.
Tests that fail are findings: the package departs from the documents.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import shutil
import statistics
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import ratgtex_db

SOURCES = Path(__file__).resolve().parent / "data" / "audit_queries" / "v4"
VERSION = "v4"
TISSUE_INFO_ORDER = ["NAcc", "BLA", "Eye"]  # row order of tissue_info.v4.tsv
COLORS = {"NAcc": "#e41a1c", "BLA": "#377eb8", "Eye": "#4daf4a"}
MODALITIES = ["expression", "isoforms", "splicing"]
MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF", "svg": b"<?xml"}

# output columns, as each query's header (sql/queries/<name>.sql "Returns:") names them
EQTLS_COLS = ["version", "tissue", "gene_id", "rank", "variant_id", "chrom", "pos", "ref", "alt",
              "af", "tss_distance", "num_var", "pval_nominal", "slope", "slope_se", "pval_beta",
              "log2_aFC"]
XQTLS_COLS = ["version", "modality", "tissue", "gene_id", "phenotype_id", "rank", "variant_id",
              "chrom", "pos", "ref", "alt", "af", "tss_distance", "num_var", "pval_nominal",
              "slope", "slope_se", "pval_beta"]
ASSOC_COLS = ["version", "tissue", "modality", "gene_id", "phenotype_id", "variant_id", "chrom",
              "pos", "tss_distance", "af", "ma_samples", "ma_count", "pval_nominal", "slope",
              "slope_se", "pval_nominal_threshold"]
TRANS_COLS = ["version", "tissue", "modality", "gene_id", "phenotype_id", "variant_id", "chrom",
              "pos", "pval", "slope", "slope_se", "af"]
GENE_COLS = ["gene_id", "chrom", "start", "end", "strand", "tss", "description", "tissue",
             "expressed", "tested", "egene", "median_tpm", "lead_variant_id",
             "lead_pval_nominal", "lead_slope", "lead_log2_aFC", "indep_eqtls",
             "indep_xqtls_expression", "indep_xqtls_isoforms", "indep_xqtls_splicing",
             "indep_xqtls_alt_TSS", "indep_xqtls_alt_polyA", "indep_xqtls_stability"]
EXPR_COLS = ["gene_id", "tissue", "unit", "n", "min", "q1", "median", "mean", "q3", "max"]
SAMPLE_COLS = ["gene_id", "tissue", "unit", "rat_id", "value"]
VARIANT_COLS = ["source", "variant_id", "chrom", "pos", "ref", "alt", "tissue", "modality",
                "gene_id", "phenotype_id", "rank", "tss_distance", "af", "pval_nominal", "slope",
                "slope_se", "log2_aFC"]
REGION_COLS = ["source", "gene_id", "chrom", "start", "end", "strand", "tss", "description",
               "tissue", "modality", "phenotype_id", "rank", "variant_id", "pos",
               "pval_nominal", "slope", "log2_aFC"]
COMPARE_COLS = ["version", "gene_id", "gene_symbol", "tissue", "tested_eqtl", "egene", "qval",
                "lead_variant_id", "lead_pval_nominal", "lead_slope", "n_indep_eqtls",
                "median_tpm"]
TISSUES_COLS = ["tissue", "tissue_site_detail", "samples", "expressed_genes", "egenes",
                "indep_eqtls", "xqtl_expression", "xqtl_isoforms", "xqtl_splicing",
                "xqtl_alt_TSS", "xqtl_alt_polyA", "xqtl_stability"]


# --- the release, built and ingested once ---------------------------------------------------


def _build(out: Path) -> Path:
    """data/v4 from the sources (README.md beside them says how each file is made)."""
    import pysam

    root = out / "data" / "v4"
    for src in sorted(p for p in SOURCES.rglob("*") if p.is_file()):
        rel = src.relative_to(SOURCES)
        at = next((i for i, part in enumerate(rel.parts[:-1]) if part.endswith(".zip")), None)
        if at is not None:
            z = root.joinpath(*rel.parts[: at + 1])
            z.parent.mkdir(parents=True, exist_ok=True)
            with zipfile.ZipFile(z, "a", compression=zipfile.ZIP_DEFLATED) as zf:
                info = zipfile.ZipInfo("/".join(rel.parts[at + 1:]), (2025, 12, 5, 0, 0, 0))
                zf.writestr(info, src.read_bytes(), compress_type=zipfile.ZIP_DEFLATED)
            continue
        dst = root / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix in (".bed", ".vcf"):
            pysam.tabix_compress(str(src), str(dst) + ".gz", force=True)
        elif (rel.parts[0] == "xqtl" and src.suffix == ".txt") or src.name.startswith(
                "medianGeneExpression"):
            Path(str(dst) + ".gz").write_bytes(gzip.compress(src.read_bytes(), mtime=0))
        else:
            shutil.copyfile(src, dst)
    return root


def _cli(db_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db_dir), *args],
                          capture_output=True, text=True, input=stdin, timeout=120)


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(tmp_path_factory.mktemp("audit_queries_release"))


@pytest.fixture(scope="session")
def db_dir(release: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("audit_queries_db")
    r = _cli(out, "ingest", str(release), "-q")
    assert r.returncode == 0, r.stderr
    return out


@pytest.fixture(scope="session")
def db(db_dir: Path):
    with ratgtex_db.open(db_dir) as d:
        yield d


def cli_json(db_dir: Path, *args: str) -> list[dict]:
    r = _cli(db_dir, *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def both(db, db_dir: Path, method: str, kwargs: dict, args: list[str]) -> list[dict]:
    """The CLI's rows (JSON) and the Python method's rows, asserted equal; returns the rows."""
    rows = cli_json(db_dir, *args)
    frame = getattr(db, method)(**kwargs)
    assert frame.to_dicts() == rows, f"Python {method}({kwargs}) differs from CLI {args}"
    return rows


def cli_columns(db_dir: Path, *args: str) -> list[str]:
    r = _cli(db_dir, *args, "--format", "tsv")
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[0].split("\t")


# --- what the files say (plain csv reading of the sources, typed per release-format 3) ------

INT_COLS = {"num_var", "pos", "tss_distance", "rank", "ma_samples", "ma_count", "start", "end",
            "tss"}
STR_COLS = {"tissue", "gene_id", "phenotype_id", "variant_id", "chrom", "ref", "alt",
            "modality"}


def tsv(rel: str) -> list[dict]:
    with (SOURCES / rel).open() as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    out = []
    for r in rows:
        d = {}
        for k, v in r.items():
            if v in ("NA", ""):
                d[k] = None
            elif k in STR_COLS:
                d[k] = v
            elif k in INT_COLS:
                d[k] = int(v)
            else:
                d[k] = float(v)
        out.append(d)
    return out


def _split_variant(d: dict) -> dict:
    c, p = d["variant_id"].split(":")
    return {**d, "chrom": c, "pos": int(p)}


def indep_rows() -> list[dict]:
    return [{"version": VERSION, **r} for r in tsv("eqtl/eqtls_indep.v4_rn8.tsv")]


def xqtl_rows(cross: bool = False) -> list[dict]:
    if cross:
        return [{"version": VERSION, **r}
                for r in tsv("xqtl/xqtls_indep.cross_modality.v4_rn8.tsv")]
    return [{"version": VERSION, "modality": m, **r} for m in MODALITIES
            for r in tsv(f"xqtl/xqtls_indep.{m}.v4_rn8.tsv")]


def signif_rows() -> list[dict]:
    out = []
    for t in ("BLA", "NAcc"):
        for m in MODALITIES:
            for r in tsv(f"xqtl/cis_qtl_signif.{t}.{m}.v4_rn8.txt"):
                out.append(_split_variant({"version": VERSION, "tissue": t, "modality": m,
                                           "gene_id": r["phenotype_id"].split("__")[0], **r}))
    return out


def trans_rows() -> list[dict]:
    out = []
    for t in ("BLA", "NAcc"):
        for r in tsv(f"xqtl/trans_qtl_pairs.{t}.expression.v4_rn8.txt"):
            out.append(_split_variant({"version": VERSION, "tissue": t,
                                       "modality": "expression",
                                       "gene_id": r["phenotype_id"].split("__")[0], **r}))
    return out


def bed(rel: str) -> dict[str, dict[str, float]]:
    """phenotype -> {rat_id: value} of a BED source."""
    with (SOURCES / rel).open() as f:
        rows = list(csv.reader(f, delimiter="\t"))
    rats = rows[0][4:]
    return {r[3]: {rat: float(v) for rat, v in zip(rats, r[4:], strict=True)} for r in rows[1:]}


def project(rows: list[dict], cols: list[str]) -> list[dict]:
    return [{c: r.get(c) for c in cols} for r in rows]


def in_region(r: dict, region: str) -> bool:
    chrom, span = region.split(":")
    a, b = (int(x) for x in span.split("-"))
    return r["chrom"] == chrom and a <= r["pos"] <= b  # 1-based, inclusive (architecture 4)


# --- ingest --------------------------------------------------------------------------------


def test_every_file_ingested_or_skipped_as_a_documented_copy(db):
    rows = db.sql("SELECT path, status, message FROM ingested_files").rows()
    built = sum(1 for p in SOURCES.rglob("*") if p.is_file() and ".zip" not in str(p)) + 1
    assert len(rows) == built
    for path, status, message in rows:
        if status == "skipped":  # expr.tpm is a byte copy of phenos expression unnorm (3.5)
            assert "/expr/expr.tpm." in path, (path, message)
        else:
            assert status == "ingested", (path, status, message)


# --- tissues -------------------------------------------------------------------------------


def test_tissues_per_tissue_counts(db, db_dir):
    rows = both(db, db_dir, "tissues", {}, ["tissues"])
    assert list(rows[0]) == TISSUES_COLS
    none = {"xqtl_alt_TSS": None, "xqtl_alt_polyA": None, "xqtl_stability": None}
    assert rows == [  # ordered by tissue (header); rat_ids count, norm BED rows, q < 0.05
        {"tissue": "BLA", "tissue_site_detail": "Basolateral amygdala", "samples": 5,
         "expressed_genes": 5, "egenes": 2, "indep_eqtls": 4, "xqtl_expression": 3,
         "xqtl_isoforms": 2, "xqtl_splicing": 1, **none},
        {"tissue": "Eye", "tissue_site_detail": "Eye", "samples": 3, "expressed_genes": 5,
         "egenes": 0, "indep_eqtls": 0, "xqtl_expression": None, "xqtl_isoforms": None,
         "xqtl_splicing": None, **none},
        {"tissue": "NAcc", "tissue_site_detail": "Nucleus accumbens core", "samples": 5,
         "expressed_genes": 4, "egenes": 3, "indep_eqtls": 4, "xqtl_expression": 3,
         "xqtl_isoforms": 1, "xqtl_splicing": 1, **none},
    ]
    assert both(db, db_dir, "tissues", {"tissue": "eye"}, ["tissues", "--tissue", "eye"]) \
        == rows[1:2]


# --- gene ----------------------------------------------------------------------------------

GRIN2B = {"gene_id": "Grin2b", "chrom": "chr1", "start": 1000000, "end": 1050000,
          "strand": "+", "tss": 1000000,
          "description": "glutamate ionotropic receptor NMDA type subunit 2B"}
ZERO_X = {"indep_xqtls_alt_TSS": 0, "indep_xqtls_alt_polyA": 0, "indep_xqtls_stability": 0}


def test_gene_annotation_status_median_lead_and_xqtl_counts(db, db_dir):
    rows = both(db, db_dir, "gene", {"gene": "GRIN2B"}, ["gene", "GRIN2B"])  # any case
    assert list(rows[0]) == GENE_COLS
    assert rows == [  # one row per tissue of the version, ordered by gene_id, tissue
        {**GRIN2B, "tissue": "BLA", "expressed": True, "tested": True, "egene": True,
         "median_tpm": 30.0, "lead_variant_id": "chr1:950000", "lead_pval_nominal": 1e-8,
         "lead_slope": 0.8, "lead_log2_aFC": 0.9, "indep_eqtls": 2,
         "indep_xqtls_expression": 2, "indep_xqtls_isoforms": 1, "indep_xqtls_splicing": 2,
         **ZERO_X},
        {**GRIN2B, "tissue": "Eye", "expressed": True, "tested": False, "egene": False,
         "median_tpm": 6.0, "lead_variant_id": None, "lead_pval_nominal": None,
         "lead_slope": None, "lead_log2_aFC": None, "indep_eqtls": 0,
         "indep_xqtls_expression": 0, "indep_xqtls_isoforms": 0, "indep_xqtls_splicing": 0,
         **ZERO_X},
        {**GRIN2B, "tissue": "NAcc", "expressed": True, "tested": True, "egene": True,
         "median_tpm": 3.0, "lead_variant_id": "chr1:950000", "lead_pval_nominal": 2e-6,
         "lead_slope": 0.6, "lead_log2_aFC": 0.7, "indep_eqtls": 1,
         "indep_xqtls_expression": 1, "indep_xqtls_isoforms": 0, "indep_xqtls_splicing": 1,
         **ZERO_X},
    ]


def test_gene_edge_cases_strand_one_tissue_egene_q_boundary_na_mt(db, db_dir):
    rows = both(db, db_dir, "gene",
                {"gene": ["cd300lf", "Eno1", "LOC120093067", "mt-co1"]},
                ["gene", "cd300lf", "Eno1", "LOC120093067", "mt-co1"])
    by = {(r["gene_id"], r["tissue"]): r for r in rows}
    assert [(r["gene_id"], r["tissue"]) for r in rows] == sorted(by)
    assert set(by) == {(g, t) for g in ("Cd300lf", "Eno1", "LOC120093067", "Mt-co1")
                       for t in ("BLA", "Eye", "NAcc")}
    # minus strand: tss = end (release-format 3.1)
    assert (by["Cd300lf", "BLA"]["strand"], by["Cd300lf", "BLA"]["tss"]) == ("-", 1230000)
    # eGene in one tissue only: tested in NAcc (q = 0.2), no eQTL there
    assert [by["Cd300lf", t]["egene"] for t in ("BLA", "Eye", "NAcc")] == [True, False, False]
    assert [by["Cd300lf", t]["tested"] for t in ("BLA", "Eye", "NAcc")] == [True, False, True]
    assert by["Cd300lf", "BLA"]["lead_log2_aFC"] is None  # NA aFC -> NULL
    assert by["Cd300lf", "NAcc"]["indep_eqtls"] == 0
    # q = 0.05 exactly: independent eQTL (q <= 0.05) but not an eGene (q < 0.05), 3.13 / 7.17
    assert by["Eno1", "BLA"]["egene"] is False and by["Eno1", "BLA"]["indep_eqtls"] == 1
    assert by["Eno1", "NAcc"]["egene"] is True and by["Eno1", "NAcc"]["indep_eqtls"] == 2
    assert by["Eno1", "NAcc"]["lead_variant_id"] == "chr2:530000"  # rank 1
    # empty description is NULL (architecture 3: empty fields -> NULL; "" tolerated)
    assert by["LOC120093067", "Eye"]["description"] in (None, "")
    assert by["LOC120093067", "BLA"]["median_tpm"] is None  # NA in medianGeneExpression
    assert by["LOC120093067", "Eye"]["median_tpm"] == 2.5
    assert [by["LOC120093067", t]["expressed"] for t in ("BLA", "Eye", "NAcc")] \
        == [False, True, False]
    # chrM gene: never tested; readr's "3e3" is 3000
    assert by["Mt-co1", "NAcc"]["chrom"] == "chrM"
    assert by["Mt-co1", "NAcc"]["median_tpm"] == 3000.0
    assert not any(by["Mt-co1", t]["tested"] for t in ("BLA", "Eye", "NAcc"))
    only_eye = both(db, db_dir, "gene", {"gene": "Eno1", "tissue": "EYE"},
                    ["gene", "Eno1", "--tissue", "EYE"])
    assert only_eye == [by["Eno1", "Eye"]]


# --- a gene of the QTL tables that gene.v4.tsv lacks (release-format 3.13, 3.15) -----------


@pytest.mark.parametrize("command", ["eqtls", "xqtls", "assoc"])
def test_gene_filter_finds_a_qtl_gene_absent_from_the_gene_table(db_dir, command):
    """release-format 3.13 (tss_distance "NA if gene absent from GTF") and 3.15 ("NA if the
    gene prefix is not found") say QTL tables can hold genes that gene.v4.tsv lacks; their rows
    are in the views (eqtls --tissue NAcc lists LOC100911), so --gene must find them."""
    r = _cli(db_dir, command, "--gene", "LOC100911", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["tissue"], x["gene_id"], x["variant_id"]) for x in rows] \
        == [("NAcc", "LOC100911", "chr2:530000")]
    assert rows[0]["tss_distance"] is None


# --- eqtls ---------------------------------------------------------------------------------

EQTL_CASES = {
    "all": ([], {}, lambda r: True),
    "gene": (["--gene", "Grin2b"], {"gene": "Grin2b"}, lambda r: r["gene_id"] == "Grin2b"),
    "gene_any_case_tissue": (["--gene", "grin2b", "--tissue", "nacc"],
                             {"gene": "grin2b", "tissue": "nacc"},
                             lambda r: r["gene_id"] == "Grin2b" and r["tissue"] == "NAcc"),
    "two_genes_two_chroms": (["--gene", "Cd300lf,Eno1"], {"gene": ["Cd300lf", "Eno1"]},
                             lambda r: r["gene_id"] in ("Cd300lf", "Eno1")),
    "variant": (["--variant", "chr1:950000"], {"variant": "chr1:950000"},
                lambda r: r["variant_id"] == "chr1:950000"),
    "region_both_ends": (["--region", "chr1:1100000-1250000"],
                         {"region": "chr1:1100000-1250000"},
                         lambda r: in_region(r, "chr1:1100000-1250000")),
    "region_inside": (["--region", "chr1:1100001-1249999"], {"region": "chr1:1100001-1249999"},
                      lambda r: False),
    "tissue": (["--tissue", "BLA"], {"tissue": "BLA"}, lambda r: r["tissue"] == "BLA"),
    "gene_and_variant": (["--gene", "Eno1", "--variant", "chr2:480000"],
                         {"gene": "Eno1", "variant": "chr2:480000"},
                         lambda r: r["gene_id"] == "Eno1" and r["variant_id"] == "chr2:480000"),
    "genes_and_region": (["--gene", "Grin2b,Eno1", "--region", "chr2:1-600000"],
                         {"gene": "Grin2b,Eno1", "region": "chr2:1-600000"},
                         lambda r: r["gene_id"] == "Eno1"),
}


@pytest.mark.parametrize("case", list(EQTL_CASES))
def test_eqtls_filters(db, db_dir, case):
    args, kwargs, keep = EQTL_CASES[case]
    rows = both(db, db_dir, "eqtls", kwargs, ["eqtls", *args])
    want = sorted((r for r in indep_rows() if keep(r)),
                  key=lambda r: (r["gene_id"], r["tissue"], r["rank"]))
    assert rows == project(want, EQTLS_COLS)
    if rows:
        assert list(rows[0]) == EQTLS_COLS
    if case == "region_both_ends":  # spelled out: both ends kept, NA aFC is null
        assert [(r["gene_id"], r["tissue"], r["rank"], r["pos"], r["log2_aFC"]) for r in rows] \
            == [("Cd300lf", "BLA", 1, 1250000, None), ("Grin2b", "BLA", 2, 1100000, None)]
        assert rows[0]["tss_distance"] == -20000  # strand-oriented (minus strand)


# --- xqtls ---------------------------------------------------------------------------------

XQTL_CASES = {
    "gene": (["--gene", "Grin2b"], {"gene": "Grin2b"}, False,
             lambda r: r["gene_id"] == "Grin2b"),
    "modality": (["--modality", "splicing"], {"modality": "splicing"}, False,
                 lambda r: r["modality"] == "splicing"),
    "modalities_any_case": (["--modality", "SPLICING,Isoforms", "--tissue", "BLA"],
                            {"modality": "SPLICING,Isoforms", "tissue": "BLA"}, False,
                            lambda r: r["modality"] in ("splicing", "isoforms")
                            and r["tissue"] == "BLA"),
    "variant": (["--variant", "chr1:1100000"], {"variant": "chr1:1100000"}, False,
                lambda r: r["variant_id"] == "chr1:1100000"),
    "region": (["--region", "chr2:530000-530000"], {"region": "chr2:530000-530000"}, False,
               lambda r: in_region(r, "chr2:530000-530000")),
    "cross": (["--cross-modality"], {"cross_modality": True}, True, lambda r: True),
    "cross_modality_filter": (["--cross-modality", "--modality", "splicing"],
                              {"cross_modality": True, "modality": "splicing"}, True,
                              lambda r: r["modality"] == "splicing"),
    "cross_gene_tissue": (["--cross-modality", "--gene", "Grin2b", "--tissue", "BLA"],
                          {"cross_modality": True, "gene": "Grin2b", "tissue": "BLA"}, True,
                          lambda r: r["gene_id"] == "Grin2b" and r["tissue"] == "BLA"),
}


@pytest.mark.parametrize("case", list(XQTL_CASES))
def test_xqtls_filters(db, db_dir, case):
    args, kwargs, cross, keep = XQTL_CASES[case]
    rows = both(db, db_dir, "xqtls", kwargs, ["xqtls", *args])
    want = sorted((r for r in xqtl_rows(cross) if keep(r)),
                  key=lambda r: (r["gene_id"], r["tissue"], r["modality"], r["rank"],
                                 r["phenotype_id"]))
    assert want, "case selects nothing"
    assert rows == project(want, XQTLS_COLS)
    assert list(rows[0]) == XQTLS_COLS
    if case == "variant":  # one variant, several tissues and modalities
        assert [(r["tissue"], r["modality"], r["phenotype_id"], r["rank"]) for r in rows] == [
            ("BLA", "expression", "Grin2b", 2),
            ("BLA", "splicing", "Grin2b__chr1_1005000_1041000_clu_11_+", 2),
            ("NAcc", "splicing", "Grin2b__chr1_1005000_1040000_clu_11_+", 1)]


# --- assoc ---------------------------------------------------------------------------------

ASSOC_CASES = {
    "gene": (["--gene", "Grin2b"], {"gene": "Grin2b"}, lambda r: r["gene_id"] == "Grin2b"),
    "gene_tissue_modality": (["--gene", "grin2b", "--tissue", "NAcc", "--modality", "splicing"],
                             {"gene": "grin2b", "tissue": "NAcc", "modality": "splicing"},
                             lambda r: r["gene_id"] == "Grin2b" and r["tissue"] == "NAcc"
                             and r["modality"] == "splicing"),
    "minus_strand_gene": (["--gene", "Cd300lf"], {"gene": "Cd300lf"},
                          lambda r: r["gene_id"] == "Cd300lf"),
    "variant": (["--variant", "chr1:1100000"], {"variant": "chr1:1100000"},
                lambda r: r["variant_id"] == "chr1:1100000"),
    "region": (["--region", "chr1:1100000-1250000"], {"region": "chr1:1100000-1250000"},
               lambda r: in_region(r, "chr1:1100000-1250000")),
    "region_modality": (["--region", "chr2:480000-530000", "--modality", "expression"],
                        {"region": "chr2:480000-530000", "modality": "expression"},
                        lambda r: in_region(r, "chr2:480000-530000")
                        and r["modality"] == "expression"),
    "variant_tissue": (["--variant", "chr2:530000", "--tissue", "NAcc"],
                       {"variant": "chr2:530000", "tissue": "NAcc"},
                       lambda r: r["variant_id"] == "chr2:530000" and r["tissue"] == "NAcc"),
}


@pytest.mark.parametrize("case", list(ASSOC_CASES))
def test_assoc_filters(db, db_dir, case):
    args, kwargs, keep = ASSOC_CASES[case]
    rows = both(db, db_dir, "assoc", kwargs, ["assoc", *args])
    want = sorted((r for r in signif_rows() if keep(r)),
                  key=lambda r: (r["gene_id"], r["tissue"], r["modality"], r["phenotype_id"],
                                 r["pos"], r["variant_id"]))
    assert want, "case selects nothing"
    assert rows == project(want, ASSOC_COLS)
    assert list(rows[0]) == ASSOC_COLS
    if case == "gene":
        got: dict = {}
        for r in rows:
            got[r["tissue"], r["modality"]] = got.get((r["tissue"], r["modality"]), 0) + 1
        assert got == {("BLA", "expression"): 3, ("BLA", "isoforms"): 1,
                       ("BLA", "splicing"): 3, ("NAcc", "expression"): 2,
                       ("NAcc", "splicing"): 1}


# --- trans ---------------------------------------------------------------------------------

TRANS_CASES = {
    "all": ([], {}, lambda r: True),
    "max_pval_inclusive": (["--max-pval", "2e-06"], {"max_pval": 2e-6},
                           lambda r: r["pval"] <= 2e-6),
    "gene_tissue": (["--gene", "grin2b", "--tissue", "BLA"], {"gene": "grin2b", "tissue": "BLA"},
                    lambda r: r["gene_id"] == "Grin2b" and r["tissue"] == "BLA"),
    "variant": (["--variant", "chr2:9000000"], {"variant": "chr2:9000000"},
                lambda r: r["variant_id"] == "chr2:9000000"),
    "gene_max_pval": (["--gene", "Grin2b", "--max-pval", "8e-6"],
                      {"gene": "Grin2b", "max_pval": 8e-6},
                      lambda r: r["gene_id"] == "Grin2b" and r["pval"] <= 8e-6),
}


@pytest.mark.parametrize("case", list(TRANS_CASES))
def test_trans_filters(db, db_dir, case):
    args, kwargs, keep = TRANS_CASES[case]
    rows = both(db, db_dir, "trans", kwargs, ["trans", *args])
    want = sorted((r for r in trans_rows() if keep(r)),
                  key=lambda r: (r["gene_id"], r["tissue"], r["pval"], r["variant_id"],
                                 r["phenotype_id"]))
    assert want
    assert rows == project(want, TRANS_COLS)
    assert list(rows[0]) == TRANS_COLS
    if case == "max_pval_inclusive":  # ties at the bound are kept (pval <= P)
        assert [(r["gene_id"], r["tissue"], r["variant_id"]) for r in rows] == [
            ("Eno1", "NAcc", "chr1:3500000"), ("Grin2b", "BLA", "chr2:9000000"),
            ("Grin2b", "BLA", "chr2:9500000"), ("Polr3k", "BLA", "chr2:9000000")]


# --- expression ----------------------------------------------------------------------------


def _dist(gene: str, tissue: str, unit: str) -> dict:
    src = f"expr/expr.{unit}.{tissue}.v4_rn8.bed"
    v = sorted(bed(src)[gene].values())

    def q(p: float) -> float:  # linear interpolation (quantile_cont)
        h = (len(v) - 1) * p
        lo = math.floor(h)
        return v[lo] + (h - lo) * (v[min(lo + 1, len(v) - 1)] - v[lo])

    return {"gene_id": gene, "tissue": tissue, "unit": unit, "n": len(v), "min": v[0],
            "q1": q(0.25), "median": statistics.median(v), "mean": statistics.fmean(v),
            "q3": q(0.75), "max": v[-1]}


@pytest.mark.parametrize("unit", ["tpm", "log2"])
def test_expression_distribution_per_tissue(db, db_dir, unit):
    rows = both(db, db_dir, "expression", {"gene": ["grin2b", "Mt-co1"], "unit": unit.upper()},
                ["expression", "grin2b", "Mt-co1", "--unit", unit.upper()])
    assert list(rows[0]) == EXPR_COLS
    want = [_dist(g, t, unit) for g in ("Grin2b", "Mt-co1") for t in ("BLA", "Eye", "NAcc")]
    assert [(r["gene_id"], r["tissue"], r["unit"], r["n"]) for r in rows] \
        == [(w["gene_id"], w["tissue"], w["unit"], w["n"]) for w in want]
    for r, w in zip(rows, want, strict=True):
        for k in ("min", "q1", "median", "mean", "q3", "max"):
            assert r[k] == pytest.approx(w[k], rel=1e-12), (r, k)
    if unit == "tpm":  # spelled out: NAcc Grin2b 1, 2, 3, 4, 100
        nacc = rows[2]
        assert (nacc["q1"], nacc["median"], nacc["mean"], nacc["q3"]) == (2.0, 3.0, 22.0, 4.0)


def test_expression_gene_absent_from_a_tissue_has_no_row_there(db_dir):
    rows = cli_json(db_dir, "expression", "LOC120093067")
    assert [r["tissue"] for r in rows] == ["Eye", "NAcc"]


def test_expression_samples_per_rat_ids_stay_strings(db, db_dir):
    rows = both(db, db_dir, "expression",
                {"gene": "Grin2b", "tissue": ["NAcc", "bla"], "samples": True},
                ["expression", "Grin2b", "--tissue", "NAcc,bla", "--samples"])
    assert list(rows[0]) == SAMPLE_COLS
    want = [{"gene_id": "Grin2b", "tissue": t, "unit": "tpm", "rat_id": rat, "value": v}
            for t in ("BLA", "NAcc")
            for rat, v in sorted(bed(f"expr/expr.tpm.{t}.v4_rn8.bed")["Grin2b"].items())]
    assert rows == want
    assert {"00077E67B5", "933000320045751"} <= {r["rat_id"] for r in rows}
    log2 = cli_json(db_dir, "expression", "Grin2b", "--tissue", "Eye", "--samples", "--unit",
                    "log2")
    assert [(r["rat_id"], r["value"], r["unit"]) for r in log2] \
        == [("000789972A", 2.5, "log2"), ("0A0A0A0A0A", 2.8, "log2"),
            ("E1E2E3E4E5", 3.0, "log2")]


# --- variant -------------------------------------------------------------------------------


def test_variant_alleles_and_every_association(db, db_dir):
    rows = both(db, db_dir, "variant", {"variant": "chr1:950000"},
                ["variant", "chr1:950000"])
    assert list(rows[0]) == VARIANT_COLS
    assert rows[0]["source"] == "variant" and (rows[0]["ref"], rows[0]["alt"]) == ("A", "G")
    got = [(r["source"], r["tissue"], r["modality"], r["gene_id"], r["phenotype_id"])
           for r in rows[1:]]
    want_eqtl = [("eqtl", r["tissue"], "expression", r["gene_id"], None)
                 for r in indep_rows() if r["variant_id"] == "chr1:950000"]
    want_xqtl = [("xqtl", r["tissue"], r["modality"], r["gene_id"], r["phenotype_id"])
                 for r in xqtl_rows() if r["variant_id"] == "chr1:950000"
                 and r["modality"] != "expression"]
    want_cis = [("cis", r["tissue"], r["modality"], r["gene_id"], r["phenotype_id"])
                for r in signif_rows() if r["variant_id"] == "chr1:950000"]
    key = lambda x: (x[1], x[2], x[3], x[4] or "")  # noqa: E731
    assert got == sorted(want_eqtl, key=key) + sorted(want_xqtl, key=key) \
        + sorted(want_cis, key=key)
    assert {r["pval_nominal"] for r in rows if r["source"] == "cis"
            and r["gene_id"] == "Cd300lf"} == {4e-5}


def test_variant_of_trans_pairs_and_of_the_vcf_only_and_na_alleles(db_dir):
    rows = cli_json(db_dir, "variant", "chr2:9000000", "chr5:100000", "chr1:3100000")
    by = {}
    for r in rows:
        by.setdefault(r["variant_id"], []).append(r)
    trans = [(r["tissue"], r["gene_id"], r["pval_nominal"]) for r in by["chr2:9000000"]
             if r["source"] == "trans"]
    assert sorted(trans) == [("BLA", "Grin2b", 2e-6), ("BLA", "Polr3k", 2e-6),
                             ("NAcc", "Grin2b", 8e-6)]
    assert [r["source"] for r in by["chr5:100000"]] == ["variant"]
    assert (by["chr5:100000"][0]["ref"], by["chr5:100000"][0]["alt"]) == ("G", "T")
    na = by["chr1:3100000"][0]  # only in top_assoc, ref/alt NA, not genotyped
    assert (na["source"], na["ref"], na["alt"], na["pos"]) == ("variant", None, None, 3100000)


# --- region --------------------------------------------------------------------------------


def _region(db, db_dir, region: str) -> list[tuple]:
    rows = both(db, db_dir, "region", {"region": region}, ["region", region])
    if rows:
        assert list(rows[0]) == REGION_COLS
    return [(r["source"], r["gene_id"], r["tissue"], r["modality"], r["rank"]) for r in rows]


@pytest.mark.parametrize("region, want", [
    ("chr1:1000000-1230000", [("gene", "Grin2b", None, None, None),
                              ("gene", "Cd300lf", None, None, None),
                              ("eqtl", "Grin2b", "BLA", "expression", 2),
                              ("xqtl", "Grin2b", "BLA", "splicing", 2),
                              ("xqtl", "Grin2b", "NAcc", "splicing", 1)]),
    # a region ending on a gene's first base / starting on its last base overlaps it
    ("chr1:1-1000000", [("gene", "Grin2b", None, None, None),
                        ("eqtl", "Grin2b", "BLA", "expression", 1),
                        ("eqtl", "Grin2b", "NAcc", "expression", 1),
                        ("xqtl", "Grin2b", "BLA", "isoforms", 1),
                        ("xqtl", "Grin2b", "BLA", "splicing", 1)]),
    ("chr1:1230000-1250000", [("gene", "Cd300lf", None, None, None),
                              ("eqtl", "Cd300lf", "BLA", "expression", 1)]),
    ("chr1:1050001-1199999", [("eqtl", "Grin2b", "BLA", "expression", 2),
                              ("xqtl", "Grin2b", "BLA", "splicing", 2),
                              ("xqtl", "Grin2b", "NAcc", "splicing", 1)]),
    ("chr1:1100001-1199999", []),
    ("chrM:6500-6500", [("gene", "Mt-co1", None, None, None)]),
    ("chr2:1,000-600,000", [("gene", "Eno1", None, None, None),
                            ("eqtl", "Eno1", "BLA", "expression", 1),
                            ("eqtl", "Eno1", "NAcc", "expression", 2),
                            ("eqtl", "Eno1", "NAcc", "expression", 1),
                            ("eqtl", "LOC100911", "NAcc", "expression", 1),
                            ("xqtl", "Eno1", "BLA", "isoforms", 1),
                            ("xqtl", "Eno1", "NAcc", "isoforms", 1)]),
])
def test_region_genes_and_qtls_inclusive(db, db_dir, region, want):
    assert _region(db, db_dir, region) == want


def test_region_qtl_rows_carry_the_qtl(db_dir):
    rows = cli_json(db_dir, "region", "chr1:1100000-1100000", "--tissue", "BLA")
    assert [(r["source"], r["variant_id"], r["pos"], r["pval_nominal"], r["phenotype_id"])
            for r in rows] == [
        ("eqtl", "chr1:1100000", 1100000, 5e-6, None),
        ("xqtl", "chr1:1100000", 1100000, 2e-6, "Grin2b__chr1_1005000_1041000_clu_11_+")]


# --- compare -------------------------------------------------------------------------------


def test_compare_one_gene_in_the_ingested_version(db, db_dir):
    rows = both(db, db_dir, "compare", {"gene": "grin2b"}, ["compare", "grin2b"])
    assert list(rows[0]) == COMPARE_COLS
    assert [(r["version"], r["gene_id"], r["tissue"], r["tested_eqtl"], r["egene"], r["qval"],
             r["lead_variant_id"], r["lead_pval_nominal"], r["lead_slope"],
             r["n_indep_eqtls"], r["median_tpm"]) for r in rows] == [
        ("v4", "Grin2b", "BLA", True, True, 1e-5, "chr1:950000", 1e-8, 0.8, 2, 30.0),
        ("v4", "Grin2b", "Eye", False, False, None, None, None, None, 0, 6.0),
        ("v4", "Grin2b", "NAcc", True, True, 3e-4, "chr1:950000", 2e-6, 0.6, 1, 3.0)]
    eno = cli_json(db_dir, "compare", "Eno1")
    assert [(r["tissue"], r["egene"], r["qval"]) for r in eno] == [
        ("BLA", False, 0.05), ("Eye", False, None), ("NAcc", True, 1e-8)]


# --- mistakes: exit 1, one clear line, no traceback, no empty success ------------------------

ERRORS = [
    (["gene", "Foo1"], "unknown gene"),
    (["gene", "Grin2c"], "Grin2b"),  # did you mean
    (["gene", "Grin2b", "--tissue", "Kidney"], "unknown tissue"),
    (["eqtls", "--tissue", "IC"], "not ingested"),
    (["eqtls", "--variant", "chr3:1"], "not found"),
    (["xqtls", "--modality", "stabilty"], "modality"),
    (["assoc", "--variant", "chr3:1"], "not found"),
    (["assoc", "--region", "chr1:1230000-1000000"], "region"),
    (["expression", "Grin2b", "--tissue", "Kidney"], "unknown tissue"),
    (["expression", "Grin2b", "--unit", "iqn"], "unit"),
    (["trans", "--variant", "chr9:5"], "not found"),
    (["variant", "chr3:5"], "not found"),
    (["region", "chr1:10-5"], "region"),
    (["compare", "Foo1"], "unknown gene"),
    (["tissues", "--tissue", "Kidney"], "unknown tissue"),
]


@pytest.mark.parametrize("args, word", ERRORS, ids=[" ".join(a) for a, _ in ERRORS])
def test_named_but_absent_is_an_error(db_dir, args, word):
    r = _cli(db_dir, *args, "--format", "json")
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert r.stdout == ""
    assert "Traceback" not in r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and word in lines[0], r.stderr


# --- plots: what each Figure holds -----------------------------------------------------------


def _hex(c) -> str:
    from matplotlib.colors import to_hex

    return to_hex(c, keep_alpha=False)


def test_plot_expression_violins_points_and_medians(db):
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.figure import Figure

    fig = db.plot.expression("grin2b")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    tpm = {t: bed(f"expr/expr.tpm.{t}.v4_rn8.bed")["Grin2b"] for t in TISSUE_INFO_ORDER}
    assert [t.get_text() for t in ax.get_xticklabels()] \
        == [f"{t}\n(n={len(tpm[t])})" for t in TISSUE_INFO_ORDER]  # tissue_info order
    bodies = [c for c in ax.collections if c.get_label() in tpm]
    assert [b.get_label() for b in bodies] == TISSUE_INFO_ORDER
    assert [_hex(b.get_facecolor()[0]) for b in bodies] == [COLORS[t] for t in TISSUE_INFO_ORDER]
    points = [sorted(c.get_offsets()[:, 1].tolist()) for c in ax.collections
              if isinstance(c, PathCollection)]
    assert points == [sorted(tpm[t].values()) for t in TISSUE_INFO_ORDER]
    medians = [c.get_segments()[0][0][1] for c in ax.collections
               if isinstance(c, LineCollection)]
    assert medians == [statistics.median(tpm[t].values()) for t in TISSUE_INFO_ORDER]
    assert ax.get_ylabel() == "TPM" and "Grin2b" in ax.get_title()
    one = db.plot.expression("Grin2b", tissue="BLA", unit="log2").axes[0]
    assert [t.get_text() for t in one.get_xticklabels()] == ["BLA\n(n=5)"]
    assert "log2" in one.get_ylabel()


def test_plot_expression_unit_in_any_case_labels_the_axis(db):
    """architecture 4: "choices are case-insensitive"; the unit LOG2 reads as log2, so the axis
    must say what log2 means, as for 'log2' (plots.UNIT_LABELS)."""
    lower = db.plot.expression("Grin2b", unit="log2").axes[0].get_ylabel()
    upper = db.plot.expression("Grin2b", unit="LOG2").axes[0].get_ylabel()
    assert upper == lower


def test_plot_locus_pairs_lanes_independent_qtls_tss_and_exons(db):
    from matplotlib.collections import PathCollection

    fig = db.plot.locus("Grin2b")
    ax, model = fig.axes[0], fig.axes[1]
    pairs = [r for r in signif_rows() if r["gene_id"] == "Grin2b"]
    lanes = [t.get_text() for t in ax.get_yticklabels()]
    want_lanes = sorted({(r["tissue"], r["modality"]) for r in pairs},
                        key=lambda tm: (TISSUE_INFO_ORDER.index(tm[0]), tm[1]))
    assert lanes == [f"{t} · {m}" for t, m in want_lanes]
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    xy = dots[0].get_offsets()
    assert len(xy) == len(pairs)
    got = sorted((lanes[int(y)], x, s) for (x, y), s in zip(xy.tolist(), dots[0].get_array(),
                                                              strict=True))
    assert got == sorted((f"{r['tissue']} · {r['modality']}", float(r["pos"]), r["slope"])
                         for r in pairs)
    # size grows with -log10 p (pairs drawn in the assoc query's documented order)
    ordered = sorted(pairs, key=lambda r: (r["tissue"], r["modality"], r["phenotype_id"],
                                           r["pos"]))
    sizes = dots[0].get_sizes().tolist()
    assert [tuple(v) for v in xy.tolist()] == [
        (float(r["pos"]), float(lanes.index(f"{r['tissue']} · {r['modality']}")))
        for r in ordered]
    for si, ri in zip(sizes, ordered, strict=True):
        for sj, rj in zip(sizes, ordered, strict=True):
            if ri["pval_nominal"] < rj["pval_nominal"]:
                assert si > sj
    # independent QTLs circled: pairs whose (tissue, modality, variant) is an indep. QTL
    indep = {(r["tissue"], "expression", r["variant_id"]) for r in indep_rows()
             if r["gene_id"] == "Grin2b"}
    indep |= {(r["tissue"], r["modality"], r["variant_id"]) for r in xqtl_rows()
              if r["gene_id"] == "Grin2b"}
    circled = sorted((lanes[int(y)], x) for x, y in dots[1].get_offsets().tolist())
    assert circled == sorted((f"{r['tissue']} · {r['modality']}", float(r["pos"]))
                             for r in pairs
                             if (r["tissue"], r["modality"], r["variant_id"]) in indep)
    assert [ln.get_xdata()[0] for ln in ax.lines] == [1000000]  # TSS, + strand = start
    assert sorted((p.get_x(), p.get_x() + p.get_width()) for p in model.patches) \
        == [(1000000, 1005000), (1040000, 1050000)]
    minus = db.plot.locus("Cd300lf")
    assert [ln.get_xdata()[0] for ln in minus.axes[0].lines] == [1230000]  # - strand: end
    assert [t.get_text() for t in minus.axes[0].get_yticklabels()] == ["BLA · expression"]


def test_plot_heatmap_cells_are_the_median_tpm(db):
    fig = db.plot.heatmap(["Grin2b", "cd300lf", "Eno1"])
    ax = next(a for a in fig.axes if a.images)
    m = ax.images[0].get_array()
    genes = [t.get_text() for t in ax.get_yticklabels()]
    tissues = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(genes) == ["Cd300lf", "Eno1", "Grin2b"]
    assert sorted(tissues) == ["BLA", "Eye", "NAcc"]
    med = {r["geneId"]: r for r in _median_rows()}
    assert [_hex(t.get_color()) for t in ax.get_xticklabels()] == [COLORS[t] for t in tissues]
    for i, g in enumerate(genes):
        for j, t in enumerate(tissues):
            assert m[i, j] == med[g][t], (g, t)
    logged = db.plot.heatmap(["Grin2b", "Eno1"], log=True)
    ax = next(a for a in logged.axes if a.images)
    genes = [t.get_text() for t in ax.get_yticklabels()]
    tissues = [t.get_text() for t in ax.get_xticklabels()]
    for i, g in enumerate(genes):
        for j, t in enumerate(tissues):
            assert ax.images[0].get_array()[i, j] == pytest.approx(math.log10(med[g][t] + 1))


def _median_rows() -> list[dict]:
    with (SOURCES / "expr/medianGeneExpression.v4.tsv").open() as f:
        return [{k: (v if k == "geneId" else None if v == "NA" else float(v))
                 for k, v in r.items()} for r in csv.DictReader(f, delimiter="\t")]


def test_plot_heatmap_missing_median_is_not_drawn_as_zero(db):
    """release-format 3.7: the median is NA "if a gene is absent in a tissue"; the heatmap of
    median TPM must not show that cell as a measured 0 TPM (LOC120093067 in BLA; its NAcc
    median really is 0). A user expects a masked (NaN) cell. (How to draw NA is not spelled
    out by the documents: ambiguous, but drawing it as 0 misreports the data.)"""
    import numpy as np

    fig = db.plot.heatmap(["Grin2b", "LOC120093067"])
    ax = next(a for a in fig.axes if a.images)
    m = np.ma.filled(np.ma.asarray(ax.images[0].get_array()).astype(float), np.nan)
    genes = [t.get_text() for t in ax.get_yticklabels()]
    tissues = [t.get_text() for t in ax.get_xticklabels()]
    i, j = genes.index("LOC120093067"), tissues.index("BLA")
    assert math.isnan(m[i, j]), f"NA median drawn as {m[i, j]}"
    assert m[i, tissues.index("NAcc")] == 0.0


def test_plot_genotype_groups_rats_by_dosage_with_p_threshold_and_alt_frequency(db):
    from matplotlib.collections import PathCollection

    fig = db.plot.genotype("Grin2b", "chr1:950000", "BLA")
    title = fig._suptitle.get_text()
    # cis_pvals BLA.v4/Grin2b.txt: 1e-08; top_assoc threshold 1e-4; ALT freq (1 + 2) / 8
    assert "p = 1e-08" in title and "threshold = 0.0001" in title
    assert "ALT frequency = 0.375" in title
    norm = bed("phenos/phenos.BLA.expression.norm.v4_rn8.bed")["Grin2b"]
    tpm = bed("expr/expr.tpm.BLA.v4_rn8.bed")["Grin2b"]
    # VCF GTs of the BLA rats at chr1:950000: 0/0, 0|1, 0/0, 1/1, ./. (A1B2C3D4E5 missing)
    dosage = {"00077E67B5": 0, "000789972A": 1, "0A0A0A0A0A": 0, "933000320045751": 2}
    for ax, values in zip(fig.axes[:2], (norm, tpm), strict=True):
        ticks = [t.get_text() for t in ax.get_xticklabels()]
        assert [t.splitlines()[-1] for t in ticks] == ["n=2", "n=1", "n=1"]
        assert ticks[0].startswith("REF/REF") and "A/G" in ticks[0]
        groups = [sorted(c.get_offsets()[:, 1].tolist()) for c in ax.collections
                  if isinstance(c, PathCollection)]
        assert groups == [sorted(values[r] for r, d in dosage.items() if d == k)
                          for k in (0, 1, 2)]
    assert [a.get_ylabel() for a in fig.axes[:2]] == ["normalized expression", "TPM"]


@pytest.mark.parametrize("gene, tissue", [
    ("Polr3k", "NAcc"),  # TPM for every rat; not in NAcc's normalized BED (not expressed)
    ("LOC120093067", "BLA"),  # no expression in BLA at all: nothing to draw
])
def test_plot_genotype_gene_without_normalized_values_is_not_a_crash(db_dir, gene, tissue,
                                                                     tmp_path):
    """architecture 4: errors are one line on stderr with exit 1 (README: "nothing to draw is
    an error too, never an empty picture"); a gene with TPM but no normalized expression in the
    tissue (norm BEDs drop genes, release-format 3.6) should still be drawn (TPM panel), and a
    gene with no values there should be that one-line error, never a Python traceback."""
    out = tmp_path / "g.png"
    r = _cli(db_dir, "plot", "genotype", "--gene", gene, "--variant", "chr1:950000",
             "--tissue", tissue, "-o", str(out))
    assert "Traceback" not in r.stderr, r.stderr[-300:]
    if gene == "Polr3k":
        assert r.returncode == 0 and out.read_bytes().startswith(MAGIC["png"])
    else:
        assert r.returncode == 1 and not out.exists()
        assert len([x for x in r.stderr.splitlines() if x.strip()]) == 1


def test_plot_sharing_is_the_jaccard_of_egene_sets(db):
    fig = db.plot.sharing()
    ax = fig.axes[0]
    # eGenes (q < 0.05): BLA {Grin2b, Cd300lf}, NAcc {Grin2b, Eno1, LOC100911 (tested in NAcc
    # only)}: Jaccard 1/4
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["NAcc", "BLA"]  # tissue_info order; Eye has no eQTL results
    m = ax.images[0].get_array()
    assert m[0, 0] == m[1, 1] == 1.0
    assert m[0, 1] == m[1, 0] == pytest.approx(1 / 4)
    assert sorted(t.get_text() for t in ax.texts) == ["0.25", "0.25", "1.00", "1.00"]


# --- plots on the command line: the file, its format and size -------------------------------


@pytest.mark.parametrize("args, ext", [
    (["expression", "Grin2b", "--tissue", "BLA,Eye", "--width", "6", "--height", "3", "--dpi",
      "50"], "png"),
    (["locus", "Cd300lf", "--modality", "expression"], "svg"),
    (["heatmap", "Grin2b", "Eno1", "--log"], "pdf"),
    (["genotype", "--gene", "grin2b", "--variant", "chr1:950000", "--tissue", "bla"], "PNG"),
    (["sharing"], "svg"),
])
def test_plot_commands_write_the_format_of_the_extension(db_dir, tmp_path, args, ext):
    out = tmp_path / f"picture.{ext}"
    r = _cli(db_dir, "plot", *args, "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert data.startswith(MAGIC[ext.lower()]) and len(data) > 5000
    if ext.lower() == "svg":
        assert b"<svg" in data[:500]
    if "--dpi" in args:  # 6 x 3 inches at 50 dpi
        assert struct.unpack(">II", data[16:24]) == (300, 150)


PLOT_ERRORS = [
    (["expression", "Foo1"], "png", "unknown gene"),
    (["locus", "Polr3k"], "svg", "nothing to draw"),  # tested, no significant pair
    (["genotype", "--gene", "Grin2b", "--variant", "chr1:3100000", "--tissue", "BLA"], "png",
     "genotype"),  # known from top_assoc, not genotyped
    (["expression", "Grin2b"], "jpg", "format"),
]


@pytest.mark.parametrize("args, ext, word", PLOT_ERRORS,
                         ids=[" ".join(a) + " ." + e for a, e, _ in PLOT_ERRORS])
def test_plot_mistakes_are_one_line_and_write_nothing(db_dir, tmp_path, args, ext, word):
    out = tmp_path / f"x.{ext}"
    r = _cli(db_dir, "plot", *args, "-o", str(out))
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and word in lines[0], r.stderr
    assert not out.exists()
