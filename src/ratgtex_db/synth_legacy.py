"""Synthetic RatGTEx releases of the old versions v1, v2 and v3 (and v3's unmerged tissues).

Written from ``release-format.md`` sections 1.1, 2, 5.1, 5.2 and 7 alone: every file name and
header below is spelled out here from the document (section 5.1 patterns, section 5.2 column
lists), not taken from the registry, so this generator and the readers are two independent
readings of the document and a mistake in one shows up against the other.

The numbers come from the v4 generator's model (:mod:`ratgtex_db.synth`: genome, genotype
dosages, allele statistics from hard calls ``af = k/2n``, the tensorQTL-like mapping), and the
files keep the section 4 relationships the real release has: significant pairs only for genes
significant in ``top_assoc`` and below their threshold, ``eqtls_indep`` genes a subset of the
``q <= 0.05`` genes, BED sample columns = ``rat_ids``, tested genes rows of ``iqn.filtered``,
gene flags that match the tables, VCF samples a superset of the tissues' rats.

Version differences written here (section 5.2):

- v1/v2: Ensembl ``ENSRNOG`` gene ids with a separate symbol (``geneSymbol``, ``gene_name``),
  bare chromosome names (``1``, ``X``, ``MT``, scaffolds such as ``AABR07024041.1``) in the gene
  table, BEDs, ``chrom`` columns and VCF ``CHROM`` while variant ids keep ``chr1:pos``; five
  cohort VCFs; 10-column signif files whose distance column is ``tss_distance``; medians not
  rounded.
- v3: RefSeq symbols as gene ids (``geneIdEnsembl`` often ``NA``), ``chr1`` everywhere, two VCFs
  (``ratgtex_v3_round10_4`` for Adipose/Liver, ``ratgtex_v3_round10_5`` for the rest),
  11-column signif files (tensorQTL's ``start_distance`` = variant position minus the BED
  ``start``, not strand-aware, plus an appended strand-aware ``tss_distance``: the two always
  differ), medians rounded to 3 decimals, and the API-only files at the top of ``data/v3/``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl

from ratgtex_db.errors import ConfigError
from ratgtex_db.release import GENOMES, TISSUES
from ratgtex_db.synth import (
    AUTOSOMES,
    GEO_SUBSETS,
    MARKER,
    SINGLE_END,
    TISSUE_NAMES,
    Genome,
    Mapping,
    Pheno,
    Release,
    Scale,
    TissueModel,
    _render,
    _variant_stats,
    fmt_g,
    fmt_readr,
    fmt_sci,
    hash_id,
    make_genome,
    map_modality,
)

LEGACY_VERSIONS = ("v1", "v2", "v3")

# --- the document's vocabulary (release-format 1.1, 5.1) --------------------------------------

#: v3's merged tissues and the unmerged sub-datasets they are made of (section 5.1).
MERGED_V3: dict[str, tuple[str, ...]] = {"NAcc": ("NAcc1", "NAcc2", "NAcc3"),
                                         "PL": ("PL1", "PL2", "PL3")}
UNMERGED_V3: tuple[str, ...] = ("NAcc1", "NAcc2", "NAcc3", "PL1", "PL2", "PL3")
#: v3's aggregated (merged) tissues in the pipeline's tissue_info order (section 1.1).
MERGED_TISSUES_V3: tuple[str, ...] = tuple(t for t in TISSUES["v3"] if t not in UNMERGED_V3)

#: Genotype files per version: dataset -> the sub-datasets whose rats it holds (section 5.1).
VCFS: dict[str, dict[str, tuple[str, ...]]] = {
    "v1": {"Adipose_Liver": ("Adipose", "Liver"), "BLA_NAcc2_PL2": ("BLA", "NAcc2", "PL2"),
           "Brain": ("Brain",), "Eye": ("Eye",),
           "IL_LHb_NAcc1_OFC_PL1": ("IL", "LHb", "NAcc1", "OFC", "PL1")},
    "v3": {"ratgtex_v3_round10_4": ("Adipose", "Liver"),
           "ratgtex_v3_round10_5": ("BLA", "Brain", "Eye", "IL", "LHb", "NAcc1", "NAcc2",
                                    "NAcc3", "OFC", "PL1", "PL2", "PL3", "pVTA", "RMTg")},
}
VCFS["v2"] = VCFS["v1"]

#: Cohorts of rats (disjoint pools); a sub-dataset's rats are drawn from its cohort's pool, so
#: a pool's rats that no sub-dataset drew are VCF-only samples (VCF samples a superset).
COHORTS: dict[str, tuple[str, ...]] = {
    "Adipose_Liver": ("Adipose", "Liver"), "BLA_NAcc2_PL2": ("BLA", "NAcc2", "PL2"),
    "Brain": ("Brain",), "Eye": ("Eye",),
    "IL_LHb_NAcc1_OFC_PL1": ("IL", "LHb", "NAcc1", "OFC", "PL1"),
    "v3_new": ("NAcc3", "PL3", "pVTA", "RMTg"),
}

#: Post-QC sample counts (release-format 6.1: v2 per tissue; v3 NAcc3/PL3 are the remainders of
#: NAcc 430 and PL 407). v1 uses v2's counts (the document gives only v1's total).
SAMPLE_COUNTS: dict[str, int] = {
    "Adipose": 411, "BLA": 191, "Brain": 340, "Eye": 53, "IL": 83, "LHb": 82, "Liver": 411,
    "NAcc1": 77, "NAcc2": 193, "NAcc3": 160, "OFC": 82, "PL1": 82, "PL2": 194, "PL3": 131,
    "pVTA": 153, "RMTg": 93,
}

#: A v1/v2 scaffold name (section 5.2 "scaffolds"); v3 keeps an unplaced RefSeq contig.
SCAFFOLD = {"v1": "AABR07024041.1", "v2": "AABR07024041.1", "v3": "NW_023637651.1"}

# --- names and headers (release-format 5.1 and 5.2), spelled out here on purpose ---------------

GENE_FIXED = {
    "v12": ["geneId", "geneSymbol", "chromosome", "start", "end", "strand", "tss",
            "description", "hasEqtl"],
    "v3": ["geneId", "geneIdEnsembl", "chromosome", "start", "end", "strand", "tss",
           "description", "hasEqtl"],
}
GENE_FLAG_BLOCKS = ("expr", "testedEqtl", "eqtl", "altSplice", "testedSqtl", "sqtl")
EXPR_BED_HEAD = ["#chr", "start", "end", "gene_id"]
LEAFCUTTER_HEAD = ["#Chr", "start", "end", "ID"]
TOP_ASSOC = {
    "v12": ["tissue", "gene_id", "gene_name", "num_var", "variant_id", "chrom", "pos", "ref",
            "alt", "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta",
            "qval", "pval_nominal_threshold", "log2_aFC"],
    "v3": ["tissue", "gene_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt", "af",
           "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
           "pval_nominal_threshold", "log2_aFC"],
}
EQTLS_INDEP = {
    "v12": ["tissue", "gene_id", "gene_name", "num_var", "variant_id", "chrom", "pos", "ref",
            "alt", "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta",
            "rank", "log2_aFC"],
    "v3": ["tissue", "gene_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt", "af",
           "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "rank",
           "log2_aFC"],
}
TOP_ASSOC_SPLICE = {
    "v12": ["tissue", "phenotype_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt",
            "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "gene_id",
            "gene_name", "group_size", "qval", "pval_nominal_threshold"],
    "v3": ["tissue", "phenotype_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt",
           "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "gene_id",
           "group_size", "qval", "pval_nominal_threshold"],
}
SQTLS_INDEP = {
    "v12": ["tissue", "phenotype_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt",
            "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "gene_id",
            "gene_name", "group_size", "rank"],
    "v3": ["tissue", "phenotype_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt",
           "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "gene_id",
           "group_size", "rank"],
}
_SIGNIF_STATS = ["af", "ma_samples", "ma_count", "pval_nominal", "slope", "slope_se",
                 "pval_nominal_threshold"]
#: cis_qtl_signif (first column gene_id) / splice.cis_qtl_signif (first column phenotype_id).
SIGNIF = {
    "v12": ["variant_id", "tss_distance", *_SIGNIF_STATS],
    "v3": ["variant_id", "start_distance", *_SIGNIF_STATS, "tss_distance"],
}
TRANS = ["variant_id", "gene_id", "pval", "slope", "slope_se", "af"]
SPLICE_TRANS = ["variant_id", "phenotype_id", "pval", "slope", "slope_se", "af"]
SAMPLES_HEAD = ["tissue", "rat_id", "GEO_accession", "BioSample_accession", "SRA_accession"]
RATS_HEAD = ["rat_id", "sex", "coatcolor", "tissues"]
TISSUE_INFO_HEAD = ["tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail",
                    "tissueSite", "colorHex", "colorRgb", "dataset", "rnaSeqSampleCount",
                    "rnaSeqAndGenotypeSampleCount", "expressedGeneCount", "eGeneCount",
                    "datasetId", "hasEGenes"]
TOP_EXPRESSED_HEAD = ["tissueSiteDetailId", "geneId", "median", "chromosome", "mtGene",
                      "datasetId", "unit"]
EXON_HEAD = ["chromosome", "end", "exonId", "exonNumber", "featureType", "geneId", "start",
             "strand", "transcriptId"]
ESNPS_HEAD = ["variantId", "pValue", "nes", "chromosome", "pos", "tissueSiteDetailId"]
CIS_PVALS_HEAD = ["variant_id", "pval_nominal"]
EXPR_UNITS = ("log2", "tpm", "iqn", "iqn.filtered")


def _cols(table: dict[str, list[str]], v: str) -> list[str]:
    return table["v3" if v == "v3" else "v12"]


def legacy_paths(v: str) -> dict[str, str]:
    """Path templates under ``data/{v}/`` (release-format 5.1), ``{t}`` = tissue."""
    g = GENOMES[v]
    vg = f"{v}_{g}"
    return {
        "gene": f"gene.{v}.txt",
        "median": f"medianGeneExpression.{v}.txt.gz",
        "expr": f"expr/expr.{{unit}}.{{t}}.{vg}.bed.gz",
        "vcf": f"geno/{{dataset}}.{g}.vcf.gz",
        "rats": f"ref/RatGTEx_rats.{v}.tsv",
        "samples": f"ref/RatGTEx_samples.{v}.tsv",
        "rat_ids": f"rat_ids/rat_ids.{{t}}.{v}.txt",
        "fastq_map": f"fastq_map/fastq_map.{{t}}.{v}.txt",
        "covar": f"covar/covar.{{t}}.{v}.txt",
        "top_assoc": f"eqtl/top_assoc.{vg}.txt",
        "eqtls_indep": f"eqtl/eqtls_indep.{vg}.txt",
        "signif": f"eqtl/cis_qtl_signif.{{t}}.{vg}.txt.gz",
        "trans": f"eqtl/trans_qtl_pairs.{{t}}.{vg}.txt.gz",
        "leafcutter": f"splice/leafcutter.{{t}}.{vg}.bed.gz",
        "covar_splice": f"splice/covar_splice.{{t}}.{v}.txt",
        "top_assoc_splice": f"splice/top_assoc_splice.{vg}.txt",
        "sqtls_indep": f"splice/sqtls_indep.{vg}.txt",
        "splice_signif": f"splice/splice.cis_qtl_signif.{{t}}.{vg}.txt.gz",
        "splice_trans": f"splice/splice.trans_qtl_pairs.{{t}}.{vg}.txt.gz",
        # v3 API-only files (section 5.1, top level of data/v3/)
        "tissue_info": f"tissueInfo.{v}.txt",
        "top_expressed": f"topExpressedGene.{v}.txt",
        "exon": f"exon.{v}.txt",
        "autocomplete": f"autocomplete.{v}.json",
        "gene_esnps": f"singleTissueEqtl.{v}.zip",
        "cis_pvals": f"cis_pvals/{{t}}.{v}.zip",
    }


# --- scales -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LegacyScale:
    genes: int
    chrom_mb: float  # mean autosome length in Mb
    variants_per_mb: int
    egene_rate: float
    fraction: float | None  # sample counts = real x fraction; None: a fixed handful
    min_samples: int


LEGACY_SCALES: dict[str, LegacyScale] = {
    # every tissue, few genes and rats: one version in about a second
    "tiny": LegacyScale(70, 3.0, 16, 0.5, None, 22),
    "small": LegacyScale(800, 10.0, 30, 0.45, 0.2, 24),
}


def _sample_count(sc: LegacyScale, label: str) -> int:
    real = SAMPLE_COUNTS[label]
    if sc.fraction is None:
        return sc.min_samples + real % 5  # a handful, some odd and some even counts
    return max(sc.min_samples, round(real * sc.fraction))


# --- small writers --------------------------------------------------------------------------


class _Tree(Release):
    """Writes the files of ``data/{v}/`` (plain, gzip, BGZF, zip) at the legacy paths."""

    ZIP_DATE = (2023, 6, 1, 0, 0, 0)

    def __init__(self, root: Path, v: str) -> None:
        self.root = root
        self.version = v
        self.paths = legacy_paths(v)

    def path(self, kind: str, **values: str) -> Path:
        p = self.root / self.paths[kind].format(**values)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p


def _tsv(df: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    df.write_csv(buf, separator="\t", quote_style="never", line_terminator="\n")
    return buf.getvalue()


def _lines(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def _g(x: np.ndarray) -> np.ndarray:
    """pandas/tensorQTL ``%g`` text (``1.23457e-08``, ``1e+06``), empty for missing."""
    x = np.asarray(x, float)
    if x.size == 0:
        return np.empty(x.shape, dtype=object)
    if x.size > 4_000:  # synth's vectorised %g: a fixed cost per call, fast per value
        return np.asarray(fmt_g(x.ravel()).to_numpy(), dtype=object).reshape(x.shape)
    out = np.char.mod("%g", x).astype(object)
    out[np.isnan(x)] = ""
    return out


def _matrix_text(values: np.ndarray) -> np.ndarray:
    """pandas %g text of a 2-D matrix (object array of the same shape)."""
    return _g(values)


def _render_g(df: pl.DataFrame, ints: tuple[str, ...]) -> pl.DataFrame:
    """Numeric columns as tensorQTL/pandas text: integers plain, floats %g, missing empty."""
    cols = {}
    for name in df.columns:
        s = df[name]
        if name in ints:
            cols[name] = s.cast(pl.Int64).cast(pl.Utf8).fill_null("")
        elif s.dtype in (pl.Float64, pl.Float32):
            cols[name] = pl.Series(_g(s.to_numpy()).tolist(), dtype=pl.Utf8)
        else:
            cols[name] = s.cast(pl.Utf8).fill_null("")
    return pl.DataFrame(cols)


def _fmt_shortest(x: np.ndarray) -> pl.Series:
    """readr text of unrounded doubles: shortest round-trip digits, ``1e-5``/``3e3`` exponents,
    ``NA`` for missing (release-format 0 and 7.4)."""
    out = []
    for v in np.asarray(x, float):
        if np.isnan(v):
            out.append("NA")
            continue
        if v != 0 and v == int(v) and abs(v) >= 1000 and int(v) % 1000 == 0:
            out.append(fmt_sci(np.array([v]), pad=1, plus=False)[0])
            continue
        s = repr(float(v))
        if "e" in s:
            m, e = s.split("e")
            s = f"{m.removesuffix('.0')}e{int(e)}"
        out.append(s.removesuffix(".0"))
    return pl.Series(out, dtype=pl.Utf8)


# --- the model --------------------------------------------------------------------------------


@dataclass
class _Genes:
    g: Genome  # gene_id = the file's gene id (Ensembl in v1/v2, symbol in v3); chrom chrN
    symbol: np.ndarray  # object, None where Ensembl has no symbol
    ensembl: np.ndarray  # object, None where RGD gives no Ensembl id (v3)
    description: np.ndarray


def _make_genes(rng: np.random.Generator, v: str, sc: LegacyScale) -> _Genes:
    g = make_genome(rng, Scale((), sc.genes, None, 1.0, sc.chrom_mb, sc.variants_per_mb,
                               sc.egene_rate))
    # one gene on an unplaced scaffold: in gene, median and log2/tpm/iqn BEDs, never tested
    sym = np.concatenate([g.gene_id, ["LOC120099001"]]).astype(object)
    g = replace(g, gene_id=sym, chrom=np.concatenate([g.chrom, [SCAFFOLD[v]]]).astype(object),
                start=np.concatenate([g.start, [15_000]]), end=np.concatenate([g.end, [22_000]]),
                strand=np.concatenate([g.strand, ["+"]]).astype(object),
                tss=np.concatenate([g.tss, [15_000]]), lo=np.concatenate([g.lo, [0]]),
                hi=np.concatenate([g.hi, [0]]))
    n = len(sym)
    ens_num = rng.choice(np.arange(1, 80_000), n, replace=False)
    ensembl = np.array([f"ENSRNOG{k:011d}" for k in ens_num], dtype=object)
    mt = g.chrom == "chrM"
    desc = np.array([f"synthetic gene {i} [Source:RGD Symbol;Acc:{1_300_000 + i}]"
                     if i % 5 else "" for i in range(n)], dtype=object)
    if v == "v3":
        ens = np.where((rng.random(n) < 0.45) & ~mt, None, ensembl).astype(object)
        return _Genes(g, sym, ens, desc)
    symbol = np.where((rng.random(n) < 0.08) & ~mt, None, sym).astype(object)
    return _Genes(replace(g, gene_id=ensembl), symbol, ensembl, desc)


def _chrom_text(v: str, chrom: np.ndarray) -> np.ndarray:
    """v1/v2 write chromosomes bare (``1``, ``X``, ``MT``), v3 as ``chr1`` (release-format 2.3)."""
    c = np.asarray(chrom, dtype=object)
    if v == "v3":
        return c
    return np.array([("MT" if x == "chrM" else x[3:]) if x.startswith("chr") else x for x in c],
                    dtype=object)


def _rat_pool(rng: np.random.Generator, cohort: str, n: int, taken: set[str]) -> np.ndarray:
    """Rat ids in the shapes of release-format 2.5, per cohort."""
    out: list[str] = []
    hexdig = list("0123456789ABCDEF")
    digits = list("0123456789")
    while len(out) < n:
        k = len(out)
        if cohort == "Adipose_Liver":
            rid = f"{int(rng.integers(10_000, 99_999))}_{int(rng.integers(1, 10))}"
        elif cohort == "BLA_NAcc2_PL2":
            rid = "933000" + "".join(rng.choice(digits, 9))
        elif k % 7 == 0:  # a hex RFID that parses as a float
            rid = "".join(rng.choice(digits, 4)) + "E" + "".join(rng.choice(digits, 5))
        elif k % 7 == 1:  # leading zeros
            rid = "000" + "".join(rng.choice(hexdig, 7))
        else:
            rid = "".join(rng.choice(hexdig, 10))
        if rid not in taken:
            taken.add(rid)
            out.append(rid)
    return np.array(sorted(out), dtype=object)


@dataclass
class _Cohorts:
    pool: dict[str, np.ndarray]  # cohort -> all its rats (VCF samples)
    label_rats: dict[str, np.ndarray]  # sub-dataset label -> sorted rat ids
    sex: dict[str, str]
    coat: dict[str, str]


def _make_cohorts(rng: np.random.Generator, v: str, sc: LegacyScale) -> _Cohorts:
    labels = set(TISSUES[v]) - set(MERGED_V3)
    taken: set[str] = set()
    pool: dict[str, np.ndarray] = {}
    label_rats: dict[str, np.ndarray] = {}
    for cohort, members in COHORTS.items():
        members = tuple(m for m in members if m in labels)
        if not members:
            continue
        counts = {m: _sample_count(sc, m) for m in members}
        pool[cohort] = _rat_pool(rng, cohort, max(counts.values()) + 3, taken)
        for m in members:
            label_rats[m] = np.sort(rng.choice(pool[cohort], counts[m], replace=False))
    rats = sorted(taken)
    al = set(pool["Adipose_Liver"])
    sex = {r: ("M" if r in al else str(rng.choice(["M", "F", "NA"], p=[0.48, 0.48, 0.04])))
           for r in rats}  # Adipose/Liver rats are forced to M (release-format 3.11)
    coat = {r: str(rng.choice(["BLACK", "BLACKHOOD", "BROWN", "BROWNHOOD", "ALBINO", "NA"]))
            for r in rats}
    return _Cohorts(pool, label_rats, sex, coat)


@dataclass
class _Tissue:
    """What the aggregated tables need from one written tissue."""

    tissue: str
    rats: np.ndarray
    median: np.ndarray  # median TPM per gene (unrounded)
    positive: np.ndarray  # TPM > 0 in > 1 sample (the expr_ flag)
    filtered: np.ndarray  # rows of expr.iqn.filtered
    splice_genes: np.ndarray  # genes with a leafcutter row
    splice_group_size: np.ndarray  # leafcutter rows per gene
    expr: Mapping
    splice: Mapping


def _ranks(x: np.ndarray, axis: int, ties: str) -> np.ndarray:
    """1-based ranks along ``axis``; ties get the ``min`` or the ``average`` rank."""
    x = np.moveaxis(x, axis, -1)
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    n = x.shape[-1]
    pos = np.broadcast_to(np.arange(1, n + 1, dtype=float), x.shape)
    new_run = np.concatenate([np.ones(x.shape[:-1] + (1,), bool),
                              xs[..., 1:] != xs[..., :-1]], axis=-1)
    run_id = np.cumsum(new_run, axis=-1)
    out = np.empty(x.shape)
    for i in np.ndindex(x.shape[:-1]):
        rid, p = run_id[i], pos[i]
        first = np.flatnonzero(new_run[i])
        last = np.append(first[1:], n) - 1
        val = p[first] if ties == "min" else (p[first] + p[last]) / 2
        out[i][order[i]] = val[rid - 1]
    return np.moveaxis(out, -1, axis)


def _quantile_int(tpm: np.ndarray) -> np.ndarray:
    """Quantile normalisation across samples, then inverse-normal transform per gene."""
    ref = np.sort(tpm, axis=0).mean(axis=1)
    qn = ref[(_ranks(tpm, 0, "min") - 1).astype(int)]
    q = (_ranks(qn, 1, "average") - 0.5) / tpm.shape[1]
    levels, inverse = np.unique(q, return_inverse=True)  # at most 2n distinct quantiles
    z = np.array([NormalDist().inv_cdf(x) for x in levels])
    return np.round(z[inverse.reshape(q.shape)], 6)


def _simulate(rng: np.random.Generator, v: str, genes: _Genes, geno: np.ndarray,
              rat_index: dict[str, int], causal: np.ndarray, splice_pid: np.ndarray,
              splice_gene: np.ndarray, t: str, rats: np.ndarray, sc: LegacyScale,
              plant_3e3: bool) -> tuple[_Tissue, dict[str, np.ndarray]]:
    g = genes.g
    n, m = len(g.gene_id), len(rats)
    dosage = geno[:, [rat_index[r] for r in rats]]
    auto = np.isin(g.chrom, AUTOSOMES)
    # 0 expressed; 1 never seen; 2 one positive sample; 3 mostly zeros (>1 positive, > 50% zero)
    kind = rng.choice(4, n, p=[0.76, 0.08, 0.08, 0.08])
    kind[g.chrom == "chrM"] = 0
    is_egene = auto & (kind == 0) & (causal >= 0) & (rng.random(n) < sc.egene_rate)
    lead = np.where(is_egene, causal, -1)
    effect = np.where(is_egene, rng.choice([-1, 1], n) * rng.uniform(0.4, 1.2, n), 0.0)
    base = rng.normal(1.5, 1.8, n)
    base[g.chrom == "chrM"] = 8.0
    d = np.where(lead[:, None] >= 0, dosage[np.maximum(lead, 0)], 0).astype(float)
    d[d < 0] = 1.0
    tpm = np.exp(base[:, None] + effect[:, None] * d + rng.normal(0, 0.35, (n, m)))
    tpm[kind == 1] = 0.0
    one = np.flatnonzero(kind == 2)
    keep_col = rng.integers(0, m, len(one))
    mask = np.zeros((len(one), m), bool)
    mask[np.arange(len(one)), keep_col] = True
    tpm[one] = np.where(mask, tpm[one], 0.0)
    sparse = np.flatnonzero(kind == 3)
    zero = rng.random((len(sparse), m)) < 0.7
    zero[:, :2] = False  # at least two positive samples
    tpm[sparse] = np.where(zero, 0.0, tpm[sparse])
    if plant_3e3:  # a median of exactly 3000 TPM (readr prints it 3e3; release-format 7.4)
        i = int(np.flatnonzero(g.chrom == "chrM")[-1])
        tpm[i] = 3000.0
        tpm[i, :3] = [2500.5, 2700.25, 2900.0]
        tpm[i, -3:] = [3100.0, 3300.75, 3500.5]
    tpm_txt = _matrix_text(tpm)
    tpm = tpm_txt.astype(float)  # the values exactly as the BED prints them
    counts = np.round(tpm * rng.uniform(0.5, 3.0, m)[None, :] * 2, 2)
    log2 = np.log2(counts + 1)
    iqn = _quantile_int(tpm)
    positive = (tpm > 0).sum(axis=1) > 1
    if v == "v3":  # <= 50% zeros and variable (section 5.2)
        passes = ((tpm == 0).mean(axis=1) <= 0.5) & (tpm.std(axis=1) > 0)
    else:  # more than one positive value
        passes = positive
    filtered = auto & passes
    # leafcutter: clusters of expressed autosomal genes, normalised values
    s_keep = np.isin(splice_gene, np.flatnonzero(filtered & (kind == 0) & (rng.random(n) < 0.65)))
    s_pid, s_gene = splice_pid[s_keep], splice_gene[s_keep]
    s_d = d[s_gene] if len(s_gene) else np.zeros((0, m))
    s_val = np.round(rng.normal(0, 1, (len(s_gene), m)) + 0.3 * effect[s_gene, None] * s_d, 6)
    tm = TissueModel(t, rats, dosage, positive, lead, effect, {
        "expression": Pheno(g.gene_id.copy(), np.arange(n), np.empty((0, 0)), filtered,
                            np.empty((0, 0))),
        "splicing": Pheno(s_pid, s_gene, np.empty((0, 0)), np.ones(len(s_gene), bool),
                          np.empty((0, 0)))}, tpm, log2, _variant_stats(dosage))
    scale = Scale((t,), n, None, 1.0, sc.chrom_mb, sc.variants_per_mb, sc.egene_rate)
    emap = map_modality(rng, g, tm, "expression", scale)
    smap = map_modality(rng, g, tm, "splicing", scale)
    size = np.bincount(s_gene, minlength=n)
    tissue = _Tissue(t, rats, np.median(tpm, axis=1), positive, filtered, np.unique(s_gene),
                     size, emap, smap)
    mats = {"log2": log2, "tpm": tpm, "tpm_txt": tpm_txt, "iqn": iqn, "s_pid": s_pid,
            "s_gene": s_gene, "s_val": s_val, "af": tm.stats[0]}
    return tissue, mats


def _splice_ids(rng: np.random.Generator, v: str, genes: _Genes) -> tuple[np.ndarray, np.ndarray]:
    """Legacy LeafCutter ids ``{chrom}:{start}:{end}:clu_{N}_{strand}:{gene}`` (section 2.4):
    one or two clusters of two or three introns per autosomal gene, gene id last."""
    g = genes.g
    chrom = _chrom_text(v, g.chrom)
    pids, gi = [], []
    clu = 1
    for i in np.flatnonzero(np.isin(g.chrom, AUTOSOMES)):
        for _ in range(int(rng.integers(1, 3))):
            s = int(g.start[i] + rng.integers(100, 1000))
            for _ in range(int(rng.integers(2, 4))):
                e = s + int(rng.integers(200, 4000))
                pids.append(f"{chrom[i]}:{s}:{e}:clu_{clu}_{g.strand[i]}:{g.gene_id[i]}")
                gi.append(i)
                s += int(rng.integers(50, 300))
            clu += 1
    return np.array(pids, dtype=object), np.array(gi, dtype=np.int64)


# --- per-tissue files -------------------------------------------------------------------------


def _bed(head: list[str], chrom: np.ndarray, start: np.ndarray, ids: np.ndarray,
         cells: np.ndarray, rats: np.ndarray) -> bytes:
    rows = ["\t".join([*head, *map(str, rats)])]
    for c, s, i, vals in zip(chrom, start, ids, cells.tolist(), strict=True):
        rows.append(f"{c}\t{s}\t{s + 1}\t{i}\t" + "\t".join(vals))
    return _lines(rows)


def _write_expr_beds(tree: _Tree, v: str, genes: _Genes, t: str, rats: np.ndarray,
                     mats: dict[str, np.ndarray], filtered: np.ndarray) -> None:
    g = genes.g
    chrom = _chrom_text(v, g.chrom).astype(str)
    start = g.tss - 1
    # log2/tpm/iqn: every gene, chromosomes sorted as strings; iqn.filtered: chr1-20 in
    # numeric order (release-format 5.2, 10)
    order = np.lexsort((start, chrom))
    cells = {"log2": _matrix_text(mats["log2"]), "tpm": mats["tpm_txt"],
             "iqn": _matrix_text(mats["iqn"])}
    for unit, c in cells.items():
        tree.gzip("expr", _bed(EXPR_BED_HEAD, chrom[order], start[order], g.gene_id[order],
                               c[order], rats), unit=unit, t=t)
    rank = {c: i for i, c in enumerate(AUTOSOMES)}
    f = np.flatnonzero(filtered)
    f = f[np.lexsort((start[f], [rank[c] for c in g.chrom[f]]))]
    tree.gzip("expr", _bed(EXPR_BED_HEAD, chrom[f], start[f], g.gene_id[f], cells["iqn"][f],
                           rats), unit="iqn.filtered", t=t)


def _write_leafcutter(tree: _Tree, v: str, genes: _Genes, t: str, rats: np.ndarray,
                      mats: dict[str, np.ndarray]) -> None:
    g = genes.g
    gi = mats["s_gene"]
    rank = {c: i for i, c in enumerate(AUTOSOMES)}
    order = np.lexsort((g.tss[gi], [rank[c] for c in g.chrom[gi]]))
    gi = gi[order]
    tree.gzip("leafcutter", _bed(LEAFCUTTER_HEAD, _chrom_text(v, g.chrom[gi]), g.tss[gi] - 1,
                                 mats["s_pid"][order], _matrix_text(mats["s_val"][order]),
                                 rats), t=t)


def _covariates(rng: np.random.Generator, rats: np.ndarray, geno_pcs: np.ndarray,
                n_pheno: int) -> bytes:
    """Covariate rows x rat columns, base R write.table text (``1e-06`` style possible)."""
    k = min(n_pheno, len(rats) - 1)
    mat = np.round(np.vstack([geno_pcs, rng.normal(0, 1 / np.sqrt(len(rats)),
                                                   (k, len(rats)))]), 6)
    mat[0, 0] = 3e-6
    txt = np.array([_r_number(x) for x in mat.ravel()], dtype=object)
    names = [f"geno_PC{i}" for i in range(1, 6)] + [f"pheno_PC{i}" for i in range(1, k + 1)]
    rows = ["\t".join(["ID", *map(str, rats)])]
    rows += [nm + "\t" + "\t".join(r) for nm, r in zip(names, txt.reshape(mat.shape).tolist(),
                                                        strict=True)]
    return _lines(rows)


def _r_number(x: float) -> str:
    """base R's print of a double rounded to 6 decimals: ``0.123457``, ``-0.05``, ``3e-06``."""
    s = repr(float(x) + 0.0)  # + 0.0 turns -0.0 into 0.0
    return s.removesuffix(".0")


def _fastq_map(t: str, subsets: list[tuple[str, np.ndarray]], prefix: bool) -> bytes:
    rows = []
    for label, rs in subsets:
        pre = f"{label}/" if prefix else ""
        for j, r in enumerate(rs):
            for k in range(2 if j % 4 == 0 else 1):
                stem = f"{pre}{r}_L00{k + 1}"
                if label in SINGLE_END:
                    rows.append(f"{stem}.fastq.gz\t{r}")
                else:
                    rows.append(f"{stem}_R1.fastq.gz\t{stem}_R2.fastq.gz\t{r}")
    pre = f"{subsets[0][0]}/" if prefix else ""
    rows.append(f"{pre}removed_by_qc_R1.fastq.gz\t{pre}removed_by_qc_R2.fastq.gz\t00000QC000")
    return _lines(rows)


def _distances(g: Genome, gi: np.ndarray, vidx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(start_distance, tss_distance): tensorQTL >= 1.0.9's position minus the BED start (the
    0-based TSS - 1, not strand-aware) and the strand-oriented distance to the TSS."""
    pos = g.v_pos[vidx]
    tss = g.tss[gi]
    start_distance = pos - (tss - 1)
    tss_distance = np.where(g.strand[gi] == "+", pos - tss, tss - pos)
    return start_distance, tss_distance


def _write_signif(tree: _Tree, kind: str, v: str, g: Genome, t: str, mp: Mapping,
                  first: str) -> None:
    """cis_qtl_signif (``gene_id`` first) / splice.cis_qtl_signif (``phenotype_id`` first):
    tensorQTL text, pandas %g (release-format 3.15, 5.2)."""
    s = mp.signif
    start_d, tss_d = _distances(g, s["gene"].to_numpy(), s["vidx"].to_numpy())
    df = s.select(pl.col("phenotype_id").alias(first), "variant_id", "af", "ma_samples",
                  "ma_count", "pval_nominal", "slope", "slope_se",
                  pl.col("thr").alias("pval_nominal_threshold")).with_columns(
        start_distance=pl.Series(start_d, dtype=pl.Int64),
        tss_distance=pl.Series(tss_d, dtype=pl.Int64))
    cols = [first, *_cols(SIGNIF, v)]
    tree.gzip(kind, _tsv(_render_g(df.select(cols), ints=(
        "start_distance", "tss_distance", "ma_samples", "ma_count"))), t=t)


def _write_trans(tree: _Tree, kind: str, id_col: str, g: Genome, t: str, ids: np.ndarray,
                 gene_of: np.ndarray, af: np.ndarray, empty: bool,
                 rng: np.random.Generator) -> None:
    """trans pairs: p < 1e-5, more than 5 Mb from the TSS or on another chromosome; %.6g."""
    k = 0 if empty or len(ids) == 0 else max(4, len(ids) // 6)
    pi = rng.integers(0, max(len(ids), 1), k)
    vi = rng.integers(0, len(g.v_pos), k)
    gi = gene_of[pi] if k else np.array([], int)
    far = (g.v_chrom[vi] != g.chrom[gi]) | (np.abs(g.v_pos[vi] - g.tss[gi]) > 5_000_000)
    far &= (af[vi] > 0) & (af[vi] < 1)  # only polymorphic variants are tested
    pi, vi = pi[far], vi[far]
    order = np.lexsort((pi, vi))
    pi, vi = pi[order], vi[order]
    se = rng.uniform(0.05, 0.3, len(vi))
    df = pl.DataFrame({
        "variant_id": [f"{g.v_chrom[i]}:{g.v_pos[i]}" for i in vi],
        id_col: [str(ids[i]) for i in pi],
        "pval": _g(10 ** -rng.uniform(5.0001, 12, len(vi))).tolist(),
        "slope": _g(se * rng.uniform(4, 7, len(vi)) * rng.choice([-1, 1], len(vi))).tolist(),
        "slope_se": _g(se).tolist(), "af": _g(af[vi]).tolist(),
    }, schema={c: pl.Utf8 for c in ["variant_id", id_col, "pval", "slope", "slope_se", "af"]})
    tree.gzip(kind, _tsv(df), t=t)


def _members(prefix: str, keys: np.ndarray, lines: list[str], head: list[str],
             order: np.ndarray) -> list[tuple[str, bytes]]:
    """Zip members ``{prefix}/{gene}.txt`` from row lines grouped by ``keys`` (gene ids)."""
    by: dict[str, list[str]] = {}
    for k, line in zip(keys.tolist(), lines, strict=True):
        by.setdefault(k, []).append(line)
    header = "\t".join(head)
    return [(f"{prefix}/{k}.txt", _lines([header, *by[k]])) for k in order]


def _write_cis_pvals(tree: _Tree, v: str, g: Genome, t: str, mp: Mapping) -> None:
    """cis_pvals/{tissue}.v3.zip: every tested window pair, one member per gene, BED order."""
    pv = mp.pvals
    rank = {c: i for i, c in enumerate(AUTOSOMES)}
    genes = pv["gene"].unique().to_numpy()
    genes = genes[np.lexsort((g.tss[genes], [rank[c] for c in g.chrom[genes]]))]
    lines = [f"{a}\t{b}" for a, b in zip(pv["variant_id"].to_list(),
                                           _g(pv["pval_nominal"].to_numpy()), strict=True)]
    tree.zip("cis_pvals", _members(f"{t}.{v}", g.gene_id[pv["gene"].to_numpy()], lines,
                                   CIS_PVALS_HEAD, g.gene_id[genes]), t=t)


# --- aggregated tables ------------------------------------------------------------------------


def _assoc(v: str, genes: _Genes, t: str, df: pl.DataFrame, splice: bool,
           group_size: np.ndarray) -> pl.DataFrame:
    """Columns shared by top_assoc / eqtls_indep / top_assoc_splice / sqtls_indep (numeric)."""
    g = genes.g
    gi = df["gene"].to_numpy()
    vidx = df["vidx"].to_numpy()
    _, tss_d = _distances(g, gi, vidx)
    out: dict[str, pl.Series] = {
        "tissue": pl.Series([t] * df.height, dtype=pl.Utf8),
        "gene_id": pl.Series(g.gene_id[gi].astype(str)),
        "gene_name": pl.Series(genes.symbol[gi].tolist(), dtype=pl.Utf8),
        "num_var": df["num_var"], "variant_id": df["variant_id"],
        "chrom": pl.Series(_chrom_text(v, g.v_chrom[vidx]).astype(str)),
        "pos": pl.Series(g.v_pos[vidx]), "ref": pl.Series(g.v_ref[vidx].astype(str)),
        "alt": pl.Series(g.v_alt[vidx].astype(str)), "af": df["af"],
        "tss_distance": pl.Series(tss_d), "pval_nominal": df["pval_nominal"],
        "slope": df["slope"], "slope_se": df["slope_se"], "pval_beta": df["pval_beta"],
    }
    if splice:
        out["phenotype_id"] = df["phenotype_id"]
        out["group_size"] = pl.Series(group_size[gi])
    if "qval" in df.columns:
        out["qval"] = df["qval"]
        out["pval_nominal_threshold"] = df["thr"]
    if "rank" in df.columns:
        out["rank"] = df["rank"]
    return pl.DataFrame(out)


_INTS = ("num_var", "pos", "tss_distance", "rank", "group_size")


def _write_qtl_tables(tree: _Tree, v: str, genes: _Genes, tissues: list[_Tissue],
                      rng: np.random.Generator) -> None:
    """The four aggregated QTL tables: readr re-serialised (``NA``, ``1e-5``; section 5.2)."""
    tops, indeps, stops, sindeps = [], [], [], []
    for ts in tissues:
        top = _assoc(v, genes, ts.tissue, ts.expr.top, False, ts.splice_group_size)
        afc = ts.expr.top["slope"].to_numpy() * 0.8
        afc[rng.random(len(afc)) < 0.05] = np.nan
        tops.append(top.with_columns(log2_aFC=pl.Series(afc)))
        ind = _assoc(v, genes, ts.tissue, ts.expr.indep, False, ts.splice_group_size)
        afc = ts.expr.indep["slope"].to_numpy() * 0.8
        afc[rng.random(len(afc)) < 0.05] = np.nan
        indeps.append(ind.with_columns(log2_aFC=pl.Series(afc)))
        stops.append(_assoc(v, genes, ts.tissue, ts.splice.top, True, ts.splice_group_size))
        sindeps.append(_assoc(v, genes, ts.tissue, ts.splice.indep, True,
                              ts.splice_group_size))
    if not tissues:  # only v3-unmerged tissues written: header-only aggregated tables
        for kind, table in (("top_assoc", TOP_ASSOC), ("eqtls_indep", EQTLS_INDEP),
                            ("top_assoc_splice", TOP_ASSOC_SPLICE),
                            ("sqtls_indep", SQTLS_INDEP)):
            tree.text(kind, _lines(["\t".join(_cols(table, v))]))
        return
    top_all = pl.concat(tops)
    miss = pl.Series(rng.random(top_all.height) < 0.03)  # alleles missing from the allele list
    top_all = top_all.with_columns(
        ref=pl.when(miss).then(None).otherwise(pl.col("ref")),
        alt=pl.when(miss).then(None).otherwise(pl.col("alt")))
    for kind, frames, table in (("top_assoc", [top_all], TOP_ASSOC),
                                ("eqtls_indep", indeps, EQTLS_INDEP),
                                ("top_assoc_splice", stops, TOP_ASSOC_SPLICE),
                                ("sqtls_indep", sindeps, SQTLS_INDEP)):
        df = pl.concat(frames).select(_cols(table, v))
        tree.text(kind, _tsv(_render(df, "readr", ints=_INTS)))


def _flag(b: np.ndarray) -> pl.Series:
    return pl.Series(np.where(b, "True", "False"))


def _write_gene_table(tree: _Tree, v: str, genes: _Genes, tissues: list[_Tissue]) -> None:
    g = genes.g
    n = len(g.gene_id)
    has_eqtl = np.zeros(n, bool)
    blocks: dict[str, dict[str, np.ndarray]] = {b: {} for b in GENE_FLAG_BLOCKS}
    for ts in tissues:
        members = lambda df: np.isin(np.arange(n), df["gene"].to_numpy())  # noqa: E731
        blocks["expr"][ts.tissue] = ts.positive  # TPM > 0 in > 1 sample (section 5.2)
        blocks["testedEqtl"][ts.tissue] = members(ts.expr.top)
        blocks["eqtl"][ts.tissue] = members(ts.expr.indep)
        blocks["altSplice"][ts.tissue] = np.isin(np.arange(n), ts.splice_genes)
        blocks["testedSqtl"][ts.tissue] = members(ts.splice.top)
        blocks["sqtl"][ts.tissue] = members(ts.splice.indep)
        has_eqtl |= members(ts.expr.signif)
    second = {"geneSymbol": genes.symbol} if v != "v3" else {"geneIdEnsembl": genes.ensembl}
    cols: dict[str, pl.Series] = {
        "geneId": pl.Series(g.gene_id.astype(str)),
        **{k: pl.Series(a.tolist(), dtype=pl.Utf8) for k, a in second.items()},
        "chromosome": pl.Series(_chrom_text(v, g.chrom).astype(str)),
        "start": pl.Series(g.start).cast(pl.Utf8), "end": pl.Series(g.end).cast(pl.Utf8),
        "strand": pl.Series(g.strand.astype(str)), "tss": pl.Series(g.tss).cast(pl.Utf8),
        "description": pl.Series(genes.description.astype(str)), "hasEqtl": _flag(has_eqtl)}
    for b in GENE_FLAG_BLOCKS:  # each block in sorted tissue order (tidyr complete)
        for t in sorted(blocks[b]):
            cols[f"{b}_{t}"] = _flag(blocks[b][t])
    tree.text("gene", _tsv(pl.DataFrame(cols).fill_null("NA")))


def _median_frame(v: str, genes: _Genes, tissues: list[_Tissue]) -> pl.DataFrame:
    cols = {"geneId": pl.Series(genes.g.gene_id.astype(str))}
    for ts in sorted(tissues, key=lambda x: x.tissue):
        # v1/v2 medians are not rounded, v3 to 3 decimals (section 5.2)
        cols[ts.tissue] = (fmt_readr(np.round(ts.median, 3)) if v == "v3"
                           else _fmt_shortest(ts.median))
    return pl.DataFrame(cols)


def _write_reference(tree: _Tree, v: str, cohorts: _Cohorts,
                     written: dict[str, list[tuple[str, np.ndarray]]]) -> None:
    """ref/RatGTEx_rats and RatGTEx_samples: sub-dataset labels (section 3.11, 5.2)."""
    label_rats: dict[str, np.ndarray] = {}
    for subsets in written.values():
        for label, rs in subsets:
            label_rats[label] = rs
    sample_rows, labels = [], {}
    for label in sorted(label_rats):
        for r in label_rats[label]:
            labels.setdefault(r, []).append(label)
            if label in GEO_SUBSETS:
                h = hash_id(r, label)
                acc = [f"GSM{5_000_000 + h}", f"SAMN{20_000_000 + h}", f"SRX{10_000_000 + h}"]
            else:
                acc = ["NA", "NA", "NA"]
            sample_rows.append([label, r, *acc])
    tree.text("samples", _tsv(pl.DataFrame(sample_rows, schema=SAMPLES_HEAD, orient="row")))
    rat_rows = [[r, cohorts.sex[r], cohorts.coat[r], ", ".join(sorted(labels[r]))]
                for r in sorted(labels)]
    tree.text("rats", _tsv(pl.DataFrame(rat_rows, schema=RATS_HEAD, orient="row")))


def _vcf(v: str, g: Genome, geno: np.ndarray, rats: np.ndarray,
         rng: np.random.Generator) -> bytes:
    """GT-only VCF; CHROM bare in v1/v2, ``chr1`` in v3; ID ``chrN:pos``; v2 INFO AC/AN."""
    chrom = _chrom_text(v, g.v_chrom)
    contigs = list(dict.fromkeys(chrom.tolist()))
    header = ["##fileformat=VCFv4.2", "##source=ratgtex-db synthetic release (not real data)",
              *[f"##contig=<ID={c}>" for c in contigs]]
    if v == "v2":
        header += ['##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
                   '##INFO=<ID=AN,Number=1,Type=Integer,Description="Total alleles">']
    header += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
               "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                                "FORMAT", *map(str, rats)])]
    called = geno >= 0
    ac = np.where(called, geno, 0).sum(axis=1)
    an = 2 * called.sum(axis=1)
    info = [f"AC={a};AN={b}" for a, b in zip(ac, an, strict=True)] if v == "v2" else None
    out = io.BytesIO()
    out.write(_lines(header))
    nv, nr = geno.shape
    phased = rng.random(nv) < 0.5
    flip = rng.random(geno.shape) < 0.5
    cells = np.empty((nv, nr, 4), dtype=np.uint8)
    cells[:, :, 0] = np.where(geno < 0, ord("."), np.where(
        (geno == 2) | ((geno == 1) & flip), ord("1"), ord("0")))
    cells[:, :, 1] = np.where(phased[:, None], ord("|"), ord("/"))
    cells[:, :, 2] = np.where(geno < 0, ord("."), np.where(
        (geno == 2) | ((geno == 1) & ~flip), ord("1"), ord("0")))
    cells[:, :, 3] = ord("\t")
    cells[:, -1, 3] = ord("\n")
    flat = cells.reshape(nv, nr * 4)
    for i in range(nv):
        out.write(f"{chrom[i]}\t{g.v_pos[i]}\t{g.v_chrom[i]}:{g.v_pos[i]}\t{g.v_ref[i]}\t"
                  f"{g.v_alt[i]}\t.\t.\t{info[i] if info else '.'}\tGT\t".encode())
        out.write(flat[i].tobytes())
    return out.getvalue()


def _write_api_files(tree: _Tree, v: str, genes: _Genes, tissues: list[_Tissue],
                     datasets: dict[str, str]) -> None:
    """v3's API-only files: tissueInfo, topExpressedGene, exon, autocomplete, the eQTL zip."""
    g = genes.g
    n = len(g.gene_id)
    palette = ["377eb8", "e41a1c", "4daf4a", "984ea3", "ff7f00", "a65628", "f781bf", "999999",
               "66c2a5", "fc8d62", "8da0cb", "e78ac3"]
    by_name = {ts.tissue: ts for ts in tissues}
    rows = []
    for i, t in enumerate(x for x in MERGED_TISSUES_V3 if x in by_name):
        ts = by_name[t]
        n_e = int((ts.expr.top["qval"] < 0.05).sum())
        hx = palette[i % len(palette)]
        rgb = ",".join(str(int(hx[j:j + 2], 16)) for j in (0, 2, 4))
        rows.append([t, t, TISSUE_NAMES[t][0], TISSUE_NAMES[t][1], hx, rgb, datasets[t],
                     str(len(ts.rats)), str(len(ts.rats)), str(int(ts.filtered.sum())),
                     str(n_e) if n_e else "NA", f"ratgtex_{v}", "True"])
    tree.text("tissue_info", _tsv(pl.DataFrame(rows, schema=TISSUE_INFO_HEAD, orient="row")))
    top_rows = []
    for ts in sorted(tissues, key=lambda x: x.tissue):
        med = np.round(ts.median, 3)
        non_mt = 0
        for i in np.argsort(-med, kind="stable"):
            is_mt = g.chrom[i] == "chrM"
            top_rows.append((ts.tissue, g.gene_id[i], med[i], g.chrom[i], is_mt))
            non_mt += not is_mt
            if non_mt >= 50:
                break
    tree.text("top_expressed", _tsv(pl.DataFrame({
        "tissueSiteDetailId": [r[0] for r in top_rows], "geneId": [r[1] for r in top_rows],
        "median": fmt_readr(np.array([r[2] for r in top_rows])),
        "chromosome": [r[3] for r in top_rows],
        "mtGene": ["True" if r[4] else "False" for r in top_rows],
        "datasetId": [f"ratgtex_{v}"] * len(top_rows), "unit": ["TPM"] * len(top_rows)})))
    k = np.where(g.chrom == "chrM", 1, 1 + (np.arange(n) % 3))
    gi = np.repeat(np.arange(n), k)
    num = np.concatenate([np.arange(1, x + 1) for x in k])
    span = (g.end[gi] - g.start[gi]) // k[gi]
    es = g.start[gi] + (num - 1) * span
    gid = g.gene_id[gi].astype(str)
    tree.text("exon", _tsv(pl.DataFrame({
        "chromosome": g.chrom[gi].astype(str), "end": np.minimum(es + span // 2, g.end[gi]),
        "exonId": [f"{a}_{b}" for a, b in zip(gid, num, strict=True)], "exonNumber": num,
        "featureType": ["exon"] * len(gi), "geneId": gid, "start": es,
        "strand": g.strand[gi].astype(str), "transcriptId": gid}).cast(pl.Utf8)))
    # autocomplete (v3): expressed genes' symbols and their Ensembl ids (section 3.4)
    expressed = np.zeros(n, bool)
    for ts in tissues:
        expressed |= ts.positive
    words = set(g.gene_id[expressed].astype(str)) | {
        e for e in genes.ensembl[expressed] if e is not None}
    tree.text("autocomplete", json.dumps(sorted(words)).encode())
    # singleTissueEqtl.v3.zip: per gene, tissues in sorted order, signif-file order (3.17)
    keys, lines = [], []
    for ts in sorted(tissues, key=lambda x: x.tissue):
        s = ts.expr.signif
        vidx = s["vidx"].to_numpy()
        body = pl.DataFrame({
            "variantId": s["variant_id"],
            "pValue": pl.Series(_g(s["pval_nominal"].to_numpy()).tolist(), dtype=pl.Utf8),
            "nes": pl.Series(_g(s["slope"].to_numpy()).tolist(), dtype=pl.Utf8),
            "chromosome": pl.Series(g.v_chrom[vidx].astype(str)),
            "pos": pl.Series(g.v_pos[vidx]).cast(pl.Utf8),
            "tissueSiteDetailId": pl.Series([ts.tissue] * s.height, dtype=pl.Utf8)})
        lines += body.select(pl.concat_str(ESNPS_HEAD, separator="\t")).to_series().to_list()
        keys += g.gene_id[s["gene"].to_numpy()].tolist()
    key_arr = np.array(keys, dtype=object)
    tree.zip("gene_esnps", _members(f"singleTissueEqtl.{v}", key_arr, lines, ESNPS_HEAD,
                                    np.array(sorted(set(keys)), dtype=object)))


# --- the release ------------------------------------------------------------------------------


def _select(v: str, tissues: list[str] | None, unmerged: bool) -> tuple[list[str], list[str]]:
    """(aggregated tissues, v3-unmerged tissues) to write."""
    if unmerged and v != "v3":
        raise ConfigError(f"unmerged tissues exist only in v3, not {v}; drop unmerged "
                          "(--unmerged) or choose version v3")
    if tissues is None:
        agg = list(MERGED_TISSUES_V3 if v == "v3" else TISSUES[v])
        return agg, list(UNMERGED_V3) if unmerged else []
    bad = [t for t in tissues if t not in TISSUES[v]]
    if bad:
        raise ConfigError(f"unknown {v} tissue(s) {', '.join(bad)}; known: "
                          f"{', '.join(TISSUES[v])}")
    sub = [t for t in tissues if v == "v3" and t in UNMERGED_V3]
    if sub and not unmerged:
        raise ConfigError(f"v3-unmerged tissue(s) {', '.join(sub)} need unmerged=True "
                          "(--unmerged) to write them")
    agg = [t for t in tissues if t not in sub]
    return list(dict.fromkeys(agg)), list(dict.fromkeys(sub))


def write_legacy_release(out_dir: str | os.PathLike[str], version: str, scale: str = "tiny",
                         seed: int = 1, unmerged: bool = False,
                         tissues: list[str] | None = None) -> Path:
    """Write a synthetic v1, v2 or v3 release tree ``OUT/data/{version}/...``; return ``OUT``.

    Parameters
    ----------
    out_dir : folder to write into (created; an existing ``data/{version}`` there is replaced).
    version : ``v1`` (rn6), ``v2`` or ``v3`` (rn7).
    scale : ``tiny`` (tests: every tissue, few genes and rats) or ``small`` (demo).
    seed : random seed; the same seed, scale and options give byte-identical files.
    unmerged : v3 only: also write the per-tissue files of NAcc1-3 and PL1-3 (no rows for them
        in the aggregated tables).
    tissues : subset of the version's tissues (default: all). With ``unmerged``, the unmerged
        tissues written are those listed (all six when ``tissues`` is None).

    Raises
    ------
    ConfigError : unknown version, scale or tissue; ``unmerged`` with a version other than v3.
    """
    v = version.lower()
    if v not in LEGACY_VERSIONS:
        raise ConfigError(f"unknown legacy version {version!r}; choose one of "
                          f"{', '.join(LEGACY_VERSIONS)} (v4: ratgtex_db.synth.synthesize)")
    if scale not in LEGACY_SCALES:
        raise ConfigError(f"scale {scale!r} is not available for {v}; choose one of "
                          f"{', '.join(LEGACY_SCALES)}")
    agg, sub = _select(v, tissues, unmerged)
    sc = LEGACY_SCALES[scale]
    out = Path(out_dir)
    root = out / "data" / v
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    tree = _Tree(root, v)
    rng = np.random.default_rng([seed, int(v[1])])
    genes = _make_genes(rng, v, sc)
    g = genes.g
    cohorts = _make_cohorts(rng, v, sc)
    all_rats = np.array(sorted(r for p in cohorts.pool.values() for r in p), dtype=object)
    rat_index = {r: i for i, r in enumerate(all_rats)}
    p = g.v_af[:, None]
    shape = (len(g.v_pos), len(all_rats))
    geno = ((rng.random(shape) < p).astype(np.int8) + (rng.random(shape) < p).astype(np.int8))
    geno[rng.random(shape) < 0.01] = -1
    has_win = g.hi > g.lo
    causal = np.where(has_win & np.isin(g.chrom, AUTOSOMES),
                      g.lo + ((g.hi - g.lo) * rng.uniform(0.3, 0.7, len(g.lo))).astype(int), -1)
    splice_pid, splice_gene = _splice_ids(rng, v, genes)
    # a tissue's sub-datasets: v3's merged NAcc/PL are the sorted union of three (section 3.10)
    subsets = {t: ([(s, cohorts.label_rats[s]) for s in MERGED_V3[t]]
                   if v == "v3" and t in MERGED_V3 else [(t, cohorts.label_rats[t])])
               for t in agg + sub}
    datasets = {lab: ds for ds, labs in VCFS[v].items() for lab in labs}
    dataset_of = {t: datasets[subsets[t][0][0]] for t in agg}
    written: list[_Tissue] = []
    order = sorted(agg) + sorted(sub)
    smallest = min(order, key=lambda x: sum(len(r) for _, r in subsets[x]))
    for t in order:
        rats = np.array(sorted({r for _, rs in subsets[t] for r in rs}), dtype=object)
        ts, mats = _simulate(rng, v, genes, geno, rat_index, causal, splice_pid, splice_gene,
                             t, rats, sc, plant_3e3=t == order[0])
        _write_expr_beds(tree, v, genes, t, rats, mats, ts.filtered)
        tree.text("rat_ids", _lines(list(rats)), t=t)
        tree.text("fastq_map", _fastq_map(t, subsets[t], len(subsets[t]) > 1), t=t)
        geno_pcs = rng.normal(0, 1 / np.sqrt(len(rats)), (5, len(rats)))
        tree.text("covar", _covariates(rng, rats, geno_pcs, 20), t=t)
        tree.text("covar_splice", _covariates(rng, rats, geno_pcs, 10), t=t)
        _write_leafcutter(tree, v, genes, t, rats, mats)
        _write_signif(tree, "signif", v, g, t, ts.expr, "gene_id")
        _write_signif(tree, "splice_signif", v, g, t, ts.splice, "phenotype_id")
        tested = ts.filtered & (g.hi > g.lo)
        _write_trans(tree, "trans", "gene_id", g, t, g.gene_id[tested], np.flatnonzero(tested),
                     mats["af"], False, rng)
        _write_trans(tree, "splice_trans", "phenotype_id", g, t, mats["s_pid"], mats["s_gene"],
                     mats["af"], t == smallest, rng)  # one header-only file (section 7.23)
        if v == "v3" and t in agg:
            _write_cis_pvals(tree, v, g, t, ts.expr)
        if t in agg:
            ts.expr = Mapping(ts.expr.top, ts.expr.indep, ts.expr.signif, None)
            written.append(ts)
    _write_gene_table(tree, v, genes, written)
    tree.gzip("median", _tsv(_median_frame(v, genes, written)))
    _write_qtl_tables(tree, v, genes, written, rng)
    _write_reference(tree, v, cohorts, subsets)
    labels = {lab for t in order for lab, _ in subsets[t]}
    for ds, labs in VCFS[v].items():
        if not labels & set(labs):
            continue
        cohort_rats = sorted({r for c, members in COHORTS.items() if c in cohorts.pool
                              and set(members) & set(labs) for r in cohorts.pool[c]})
        cols = [rat_index[r] for r in cohort_rats]
        tree.bgzip("vcf", _vcf(v, g, geno[:, cols], np.array(cohort_rats, dtype=object), rng),
                   dataset=ds)
    if v == "v3" and written:
        _write_api_files(tree, v, genes, written, dataset_of)
    (root / MARKER).write_text(
        "SYNTHETIC RatGTEx-format release written by ratgtex-db synth.\n"
        f"scale={scale} seed={seed} version={v} unmerged={unmerged} "
        f"tissues={','.join(order)}\n"
        "These files imitate the release format only; no value is a real measurement.\n")
    return out
