"""Synthetic RatGTEx release writer: the exact v4 file format, from a seed and a scale.

No machine here reaches ratgtex.org, so tests, demos and benchmarks run on releases written by
this module. It follows ``release-format.md`` (file names from the registry templates, headers,
column order, compression, the writers' number and missing-value dialects) and keeps the
section 4 relationships: strand-aware TSS distances, phenotype ids per modality, flags and counts
that match the tables they summarise, significant pairs below their gene's threshold, eGenes
with runs of significant variants around a lead variant whose VCF dosages really shift the gene's
expression. It imports no reader: the ingester is never tested against its own assumptions.

Everything is vectorised with numpy/polars; same seed and scale give byte-identical files.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from isal import igzip

from ratgtex_db.errors import ConfigError
from ratgtex_db.registry import (
    DOWNLOAD_PAGE_TISSUES_V4,
    KINDS_BY_NAME,
    MODALITIES,
    SUB_DATASETS_V4,
    TISSUES,
    VCF_DATASETS,
)

MARKER = "SYNTHETIC_RELEASE.txt"

#: Post-QC sample counts of v4 (release-format 6.1).
SAMPLE_COUNTS_V4 = {"Adipose": 411, "IC": 148, "BLA": 189, "Brain": 342, "Eye": 53, "IL": 83,
                    "LHb": 82, "Liver": 411, "NAcc": 570, "OFC": 82, "PL": 404, "pVTA": 293,
                    "RMTg": 92}

TISSUE_NAMES = {
    "Adipose": ("Adipose", "Adipose"), "BLA": ("Basolateral amygdala", "Brain"),
    "Brain": ("Brain hemisphere", "Brain"), "Eye": ("Eye", "Eye"),
    "IC": ("Insular cortex", "Brain"), "IL": ("Infralimbic cortex", "Brain"),
    "LHb": ("Lateral habenula", "Brain"), "Liver": ("Liver", "Liver"),
    "NAcc": ("Nucleus accumbens core", "Brain"), "OFC": ("Orbitofrontal cortex", "Brain"),
    "PL": ("Prelimbic cortex", "Brain"), "pVTA": ("Posterior ventral tegmental area", "Brain"),
    "RMTg": ("Rostromedial tegmental nucleus", "Brain"),
}

#: Sub-datasets whose accessions are in GEO (release-format 3.11).
GEO_SUBSETS = {"Eye", "IL", "LHb", "NAcc1", "OFC", "PL1"}
#: Sub-datasets sequenced single-end (fastq_map rows with 2 fields).
SINGLE_END = {"NAcc2", "PL2", "Eye"}


@dataclass(frozen=True)
class Scale:
    tissues: tuple[str, ...]
    genes: int
    samples: dict[str, int] | None  # None: the real counts times ``fraction``
    fraction: float
    chrom_mb: float  # mean autosome length in Mb
    variants_per_mb: int
    egene_rate: float


SCALES: dict[str, Scale] = {
    "tiny": Scale(("BLA", "NAcc", "pVTA"), 100, {"BLA": 20, "NAcc": 24, "pVTA": 18}, 1.0,
                  6.0, 25, 0.45),
    "small": Scale(DOWNLOAD_PAGE_TISSUES_V4, 1000, None, 0.25, 12.0, 30, 0.4),
    "medium": Scale(DOWNLOAD_PAGE_TISSUES_V4, 8000, None, 1.0, 30.0, 160, 0.45),
    "large": Scale(DOWNLOAD_PAGE_TISSUES_V4, 16000, None, 1.0, 60.0, 160, 0.45),
    # The real release's shape (13 tissues x 6 modalities = 78 signif files, real sample
    # counts), per-file rows scaled down to fit a 2-core benchmark run.
    "release": Scale(TISSUES["v4"], 8000, None, 1.0, 30.0, 160, 0.45),
}

AUTOSOMES = tuple(f"chr{i}" for i in range(1, 21))
BASES = np.array(list("ACGT"))
WINDOW = 1_000_000


# --- number formatting (release-format 7.4: three dialects) ----------------------------------


def _strip_zero(s: pl.Series) -> pl.Series:
    return s.str.replace(r"\.0$", "")


def fmt_decimal(x: np.ndarray, decimals: int) -> pl.Series:
    """Fixed rounding, shortest text (``3000`` not ``3000.0``); NaN -> empty."""
    s = _strip_zero(pl.Series(np.round(np.asarray(x, float), decimals)).cast(pl.Utf8))
    return s.replace({"NaN": "", "-0": "0"})


def fmt_sci(x: np.ndarray, digits: int = 6, pad: int = 2, plus: bool = True) -> pl.Series:
    """Scientific text: pandas ``%g`` style ``1.23457e-08`` (pad=2, plus=True) or readr style
    ``1.23457e-8`` (pad=1, plus=False)."""
    x = np.asarray(x, float)
    ax = np.abs(x)
    safe = np.where(ax > 0, ax, 1.0)
    e = np.floor(np.log10(safe)).astype(np.int64)
    m = np.round(safe / 10.0 ** e.astype(float), digits - 1)
    over = m >= 10
    m[over] /= 10
    e[over] += 1
    mant = _strip_zero(pl.Series(m).cast(pl.Utf8))
    sign = pl.Series(np.where(x < 0, "-", ""))
    esign = pl.Series(np.where(e < 0, "-", "+" if plus else ""))
    edig = pl.Series(np.abs(e)).cast(pl.Utf8).str.zfill(pad)
    out = pl.DataFrame({"s": sign, "m": mant, "es": esign, "ed": edig}).select(
        pl.concat_str(["s", "m", pl.lit("e"), "es", "ed"])).to_series()
    return pl.Series(np.where(ax == 0, "0", out.to_numpy()), dtype=pl.Utf8)


def fmt_g(x: np.ndarray) -> pl.Series:
    """pandas ``%g``: 6 significant digits, exponent form below 1e-4 or from 1e6."""
    x = np.asarray(x, float)
    ax = np.abs(x)
    use_sci = (ax > 0) & ((ax < 1e-4) | (ax >= 1e6))
    e = np.floor(np.log10(np.where(ax > 0, ax, 1.0))).astype(int)
    dec = np.clip(5 - e, 0, 12)
    out = np.empty(len(x), dtype=object)
    for d in np.unique(dec[~use_sci]):
        sel = (~use_sci) & (dec == d)
        out[sel] = fmt_decimal(x[sel], int(d)).to_numpy()
    if use_sci.any():
        out[use_sci] = fmt_sci(x[use_sci]).to_numpy()
    out[np.isnan(x)] = ""
    return pl.Series(out, dtype=pl.Utf8)


def fmt_readr(x: np.ndarray) -> pl.Series:
    """readr: shortest round-trip text; 1e-5 style exponents; whole thousands as ``3e3``."""
    x = np.asarray(x, float)
    ax = np.abs(x)
    use_sci = (ax > 0) & ((ax < 1e-4) | (ax >= 1e15))
    whole_k = (ax >= 1000) & (np.mod(ax, 1000) == 0) & ~use_sci
    out = np.asarray(fmt_g(x).to_numpy(), dtype=object)
    if use_sci.any():
        out[use_sci] = fmt_sci(x[use_sci], pad=1, plus=False).to_numpy()
    if whole_k.any():
        out[whole_k] = fmt_sci(x[whole_k], pad=1, plus=False).to_numpy()
    out[np.isnan(x)] = "NA"
    return pl.Series(out, dtype=pl.Utf8)


def fmt_int(x: np.ndarray, na: str = "") -> pl.Series:
    s = pl.Series(np.asarray(x)).cast(pl.Int64).cast(pl.Utf8)
    return s.fill_null(na)


def _tsv(df: pl.DataFrame, header: bool = True) -> bytes:
    buf = io.BytesIO()
    df.write_csv(buf, separator="\t", include_header=header, quote_style="never",
                 line_terminator="\n")
    return buf.getvalue()


# --- writers ------------------------------------------------------------------------------------


class Release:
    """Paths and containers of one synthetic release tree."""

    #: Timestamp of zip members (fixed: the same seed writes the same bytes).
    ZIP_DATE = (2025, 12, 5, 0, 0, 0)

    def __init__(self, out: Path, version: str) -> None:
        self.root = out / "data" / version
        self.version = version

    def path(self, kind: str, **values: str) -> Path:
        p = self.root / KINDS_BY_NAME[kind].filename(version=self.version, **values)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def text(self, kind: str, data: bytes, **values: str) -> Path:
        p = self.path(kind, **values)
        p.write_bytes(data)
        return p

    def gzip(self, kind: str, data: bytes, **values: str) -> Path:
        p = self.path(kind, **values)
        p.write_bytes(igzip.compress(data, compresslevel=2, mtime=0))
        return p

    def bgzip(self, kind: str, data: bytes, **values: str) -> Path:
        """BGZF (as bgzip/tabix write it) via htslib."""
        import pysam

        p = self.path(kind, **values)
        with tempfile.NamedTemporaryFile(dir=p.parent, delete=False) as tmp:
            tmp.write(data)
        try:
            pysam.tabix_compress(tmp.name, str(p), force=True)
        finally:
            os.unlink(tmp.name)
        return p

    def zip(self, kind: str, members: list[tuple[str, bytes]], **values: str) -> Path:
        p = self.path(kind, **values)
        with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=self.ZIP_DATE)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data, compresslevel=1)
        return p


# --- the model --------------------------------------------------------------------------------


@dataclass
class Genome:
    gene_id: np.ndarray
    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    strand: np.ndarray
    tss: np.ndarray
    v_chrom: np.ndarray
    v_pos: np.ndarray
    v_ref: np.ndarray
    v_alt: np.ndarray
    v_af: np.ndarray
    lo: np.ndarray  # first variant index of each gene's cis window (autosomal genes)
    hi: np.ndarray


def _gene_names(rng: np.random.Generator, n: int) -> np.ndarray:
    syll = ["Gr", "in", "Cd", "lf", "Eno", "Pol", "r3k", "Sl", "c6", "a1", "Kc", "nq", "Tm",
            "em", "Ad", "cy", "Ca", "mk", "Sy", "t1", "Nr", "xn", "Ph", "ox", "Zf", "p2"]
    names: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(names) < n:
        if i % 7 == 6:
            name = f"LOC{120000000 + int(rng.integers(0, 9_999_999))}"
        else:
            a, b = rng.integers(0, len(syll), 2)
            name = f"{syll[a]}{syll[b].lower()}{int(rng.integers(1, 30))}"
            name = name[0].upper() + name[1:]
        i += 1
        if name not in seen:
            seen.add(name)
            names.append(name)
    return np.array(names, dtype=object)


def make_genome(rng: np.random.Generator, scale: Scale) -> Genome:
    n_auto = scale.genes - max(2, scale.genes // 50) - 2
    lengths = (scale.chrom_mb * 1e6 * rng.uniform(0.5, 1.5, 20)).astype(np.int64)
    chrom_of = np.sort(rng.integers(0, 20, n_auto))
    start = np.array([rng.integers(50_000, lengths[c] - 100_000) for c in chrom_of])
    gene_len = rng.integers(2_000, 60_000, n_auto)
    names = _gene_names(rng, scale.genes - 2)
    chrom = np.array([AUTOSOMES[c] for c in chrom_of], dtype=object)
    n_x = scale.genes - 2 - n_auto
    x_start = np.sort(rng.integers(100_000, 50_000_000, n_x))
    chrom = np.concatenate([chrom, np.array(["chrX"] * n_x, dtype=object),
                            np.array(["chrM", "chrM"], dtype=object)])
    start = np.concatenate([start, x_start, [3_000, 9_000]])
    gene_len = np.concatenate([gene_len, rng.integers(2_000, 60_000, n_x), [1_500, 700]])
    names = np.concatenate([names, np.array(["Mt-co1", "Mt-nd1"], dtype=object)])
    end = start + gene_len
    strand = np.where(rng.random(scale.genes) < 0.5, "+", "-").astype(object)
    tss = np.where(strand == "+", start, end)
    # variants: chr1..chr20 only, biallelic SNPs
    n_var = (lengths / 1e6 * scale.variants_per_mb).astype(int)
    v_chrom = np.concatenate([np.full(n, AUTOSOMES[c], dtype=object) for c, n in enumerate(n_var)])
    v_pos = np.concatenate([np.sort(rng.choice(np.arange(10_000, int(L)), n, replace=False))
                            for L, n in zip(lengths, n_var, strict=True)])
    ref_i = rng.integers(0, 4, len(v_pos))
    alt_i = (ref_i + rng.integers(1, 4, len(v_pos))) % 4
    af = rng.uniform(0.03, 0.5, len(v_pos))
    # cis windows (tss +- 1 Mb) as index ranges into the sorted variant arrays
    offsets = np.concatenate([[0], np.cumsum(n_var)])
    lo = np.zeros(scale.genes, dtype=np.int64)
    hi = np.zeros(scale.genes, dtype=np.int64)
    for c in range(20):
        sel = chrom == AUTOSOMES[c]
        pos_c = v_pos[offsets[c]:offsets[c + 1]]
        lo[sel] = offsets[c] + np.searchsorted(pos_c, tss[sel] - WINDOW, side="left")
        hi[sel] = offsets[c] + np.searchsorted(pos_c, tss[sel] + WINDOW, side="right")
    return Genome(names, chrom, start, end, strand, tss, v_chrom, v_pos, BASES[ref_i],
                  BASES[alt_i], af, lo, hi)


def _rat_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """Hex RFIDs (some that parse as floats, e.g. ``12345E6789``), 15-digit ids, zeros first."""
    ids: set[str] = set()
    out: list[str] = []
    hexdig = np.array(list("0123456789ABCDEF"))
    while len(out) < n:
        k = len(out) % 10
        if k == 0:
            rid = "".join(rng.choice(list("0123456789"), 4)) + "E" + "".join(
                rng.choice(list("0123456789"), 5))
        elif k in (1, 2):
            rid = "9330003" + "".join(rng.choice(list("0123456789"), 8))
        elif k == 3:
            rid = "0007" + "".join(rng.choice(hexdig, 6))
        else:
            rid = "".join(rng.choice(hexdig, 10))
        if rid not in ids:
            ids.add(rid)
            out.append(rid)
    return np.array(out, dtype=object)


@dataclass
class Cohort:
    rats: np.ndarray  # all rats, sorted
    tissue_rats: dict[str, np.ndarray]  # merged tissue -> sorted rat ids
    subsets: dict[str, list[tuple[str, np.ndarray]]]  # tissue -> [(sub-dataset, rats)]
    sex: dict[str, str]
    coat: dict[str, str]


def make_cohort(rng: np.random.Generator, scale: Scale) -> Cohort:
    counts: dict[str, int] = {}
    for t in scale.tissues:
        if scale.samples and t in scale.samples:
            counts[t] = scale.samples[t]
        else:
            counts[t] = max(8, round(SAMPLE_COUNTS_V4[t] * scale.fraction))
    pool = _rat_ids(rng, int(sum(counts.values()) * 0.7) + 10)
    tissue_rats: dict[str, np.ndarray] = {}
    subsets: dict[str, list[tuple[str, np.ndarray]]] = {}
    for t in scale.tissues:
        chosen = np.sort(rng.choice(pool, counts[t], replace=False))
        tissue_rats[t] = chosen
        if t in SUB_DATASETS_V4:
            sizes = np.array([c for _, c in SUB_DATASETS_V4[t]], float)
            cuts = np.round(np.cumsum(sizes) / sizes.sum() * len(chosen)).astype(int)
            perm = rng.permutation(chosen)
            parts, prev = [], 0
            for (label, _), cut in zip(SUB_DATASETS_V4[t], cuts, strict=True):
                parts.append((label, np.sort(perm[prev:cut])))
                prev = cut
            subsets[t] = parts
        else:
            subsets[t] = [(t, chosen)]
    used = np.unique(np.concatenate(list(tissue_rats.values())))
    sex = {r: str(s) for r, s in zip(used, rng.choice(["M", "F", "NA"], len(used),
                                                      p=[0.48, 0.48, 0.04]), strict=True)}
    coat = {r: str(c) for r, c in zip(used, rng.choice(
        ["BLACK", "BLACKHOOD", "BROWN", "BROWNHOOD", "ALBINO", "NA"], len(used)), strict=True)}
    return Cohort(np.sort(used), tissue_rats, subsets, sex, coat)


# --- per tissue phenotypes and QTL results -------------------------------------------------------


@dataclass
class Pheno:
    """The phenotypes of one modality in one tissue (rows of the BEDs)."""

    pid: np.ndarray
    gene: np.ndarray  # gene index
    unnorm: np.ndarray  # (n_pheno, n_rats), NaN holes
    norm_rows: np.ndarray  # bool: row kept in the normalized BED
    norm: np.ndarray  # (n_norm, n_rats)


def _phenotype_ids(rng: np.random.Generator, g: Genome, modality: str,
                   genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    names = g.gene_id[genes]
    if modality in ("expression", "stability"):
        return names.copy(), genes.copy()
    per = {"isoforms": (2, 4), "splicing": (2, 5), "alt_TSS": (2, 3), "alt_polyA": (2, 3)}[
        modality]
    k = rng.integers(per[0], per[1], len(genes))
    gi = np.repeat(genes, k)
    j = np.concatenate([np.arange(n) for n in k]) if len(k) else np.array([], int)
    acc = np.char.mod("%09d", rng.integers(0, 10**9, len(gi)))
    prefix = np.where(rng.random(len(gi)) < 0.5, "NM_", "XM_")
    tx = np.char.add(np.char.add(prefix.astype(str), acc.astype(str)), ".1")
    gname = g.gene_id[gi].astype(str)
    if modality == "isoforms":
        pid = np.char.add(np.char.add(gname, "__"), tx)
    elif modality == "splicing":
        s = g.start[gi] + 100 * (j + 1)
        e = s + rng.integers(200, 5000, len(gi))
        clu = rng.integers(1, 90000, len(gi))
        pid = np.array([f"{n}__{c}_{a}_{b}_clu_{u}_{st}" for n, c, a, b, u, st in zip(
            gname, g.chrom[gi], s, e, clu, g.strand[gi], strict=True)], dtype=object)
        return pid, gi
    else:
        word = "upstream" if modality == "alt_TSS" else "downstream"
        grp = np.where(j % 2 == 0, "1", "2")
        pid = np.char.add(np.char.add(np.char.add(np.char.add(gname, "__grp_"), grp),
                                      f"_{word}_"), tx)
    return pid.astype(object), gi


def _zscore(m: np.ndarray) -> np.ndarray:
    mu = np.nanmean(m, axis=1, keepdims=True)
    sd = np.nanstd(m, axis=1, keepdims=True)
    sd[sd == 0] = 1.0
    z = (m - mu) / sd
    return np.where(np.isnan(z), 0.0, z)


@dataclass
class TissueModel:
    tissue: str
    rats: np.ndarray
    dosage: np.ndarray  # (n_var, n_rats) int8, -1 missing
    expressed: np.ndarray  # bool per gene
    lead: np.ndarray  # causal variant index per gene (-1 none)
    effect: np.ndarray  # per gene effect size on log expression
    phenos: dict[str, Pheno]
    tpm: np.ndarray  # (n_genes, n_rats)
    log2: np.ndarray
    stats: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # af, ma_samples, ma_count


def make_tissue(rng: np.random.Generator, g: Genome, geno: np.ndarray, rat_index: dict[str, int],
                tissue: str, rats: np.ndarray, causal: np.ndarray, scale: Scale) -> TissueModel:
    n_genes = len(g.gene_id)
    cols = np.array([rat_index[r] for r in rats])
    dosage = geno[:, cols]
    autosomal = np.isin(g.chrom, AUTOSOMES)
    expressed = rng.random(n_genes) < 0.82
    expressed[~autosomal & (g.chrom != "chrX")] = True  # chrM genes are highly expressed
    is_egene = autosomal & expressed & (causal >= 0) & (rng.random(n_genes) < scale.egene_rate
                                                         / 0.6)
    lead = np.where(is_egene, causal, -1)
    effect = np.where(is_egene, rng.choice([-1, 1], n_genes) * rng.uniform(0.4, 1.2, n_genes),
                      0.0)
    base = rng.normal(1.5, 1.8, n_genes)
    base[g.chrom == "chrM"] = 9.0
    base[~expressed] = -4.0
    d = np.where(lead[:, None] >= 0, dosage[np.maximum(lead, 0)], 0).astype(float)
    d[d < 0] = 1.0
    log_tpm = base[:, None] + effect[:, None] * d + rng.normal(0, 0.35, (n_genes, len(rats)))
    tpm = np.round(np.exp(log_tpm), 3)
    tpm[~expressed] = np.where(rng.random(((~expressed).sum(), len(rats))) < 0.7, 0.0,
                               tpm[~expressed])
    log2 = np.round(np.log2(tpm * 20 + 1), 4)
    phenos: dict[str, Pheno] = {}
    all_genes = np.arange(n_genes)
    for m in MODALITIES:
        if m == "expression":
            genes = all_genes
        elif m == "stability":
            genes = all_genes[expressed & (rng.random(n_genes) < 0.6)]
        else:
            genes = all_genes[expressed & (rng.random(n_genes) < 0.7)]
        pid, gi = _phenotype_ids(rng, g, m, genes)
        if m == "expression":
            un = tpm.copy()
        elif m == "stability":
            un = np.round(np.exp(rng.normal(0, 0.5, (len(gi), len(rats)))
                                 + 0.3 * effect[gi, None] * d[gi]), 6)
        else:
            un = np.round(np.clip(rng.beta(2, 3, (len(gi), len(rats)))
                                  + 0.08 * effect[gi, None] * d[gi], 0.0, 1.0), 6)
        if m != "expression":
            holes = rng.random(un.shape) < np.where(rng.random(len(gi)) < 0.15, 0.6, 0.03)[:, None]
            un = np.where(holes, np.nan, un)
        if m == "expression":
            keep = expressed.copy()
        else:
            keep = np.mean(np.isnan(un), axis=1) < 0.5
        src = np.log1p(un[keep]) if m == "expression" else un[keep]
        phenos[m] = Pheno(pid, gi, un, keep, np.round(_zscore(src), 6))
    return TissueModel(tissue, rats, dosage, expressed, lead, effect, phenos, tpm, log2,
                       _variant_stats(dosage))


@dataclass
class Mapping:
    """cis-QTL results of one tissue and modality (the tensorQTL outputs, synthesised)."""

    top: pl.DataFrame
    indep: pl.DataFrame
    signif: pl.DataFrame
    pvals: pl.DataFrame | None  # expression: every window pair (cis_pvals)


def _variant_stats(dosage: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ALT frequency, minor-allele samples and minor-allele count of every variant."""
    called = dosage >= 0
    d = np.where(called, dosage, 0).astype(np.int32)
    alt = d.sum(axis=1)
    n = called.sum(axis=1)
    af = np.where(n > 0, alt / (2 * np.maximum(n, 1)), 0.0)
    minor_is_alt = af <= 0.5
    ma_count = np.where(minor_is_alt, alt, 2 * n - alt).astype(np.int64)
    carriers_alt = ((d >= 1) & called).sum(axis=1)
    carriers_ref = ((d <= 1) & called).sum(axis=1)
    ma_samples = np.where(minor_is_alt, carriers_alt, carriers_ref).astype(np.int64)
    return af, ma_samples, ma_count


def map_modality(rng: np.random.Generator, g: Genome, tm: TissueModel, modality: str,
                 scale: Scale) -> Mapping:
    ph = tm.phenos[modality]
    rows = np.flatnonzero(ph.norm_rows)
    gi = ph.gene[rows]
    tested = np.isin(g.chrom[gi], AUTOSOMES) & (g.hi[gi] > g.lo[gi])
    rows, gi = rows[tested], gi[tested]
    lo, hi = g.lo[gi], g.hi[gi]
    n = hi - lo
    # group = gene; best phenotype of each group carries the signal
    ugenes, first = np.unique(gi, return_index=True)
    is_egene_gene = np.isin(ugenes, np.flatnonzero(tm.lead >= 0))
    if modality != "expression":
        is_egene_gene &= rng.random(len(ugenes)) < 0.8
    egene_of = dict(zip(ugenes, is_egene_gene, strict=True))
    best_row = {int(u): int(rows[f]) for u, f in zip(ugenes, first, strict=True)}
    eg = np.array([egene_of[x] for x in gi], bool)
    is_best = np.array([best_row[int(x)] == r for x, r in zip(gi, rows, strict=True)], bool)
    lead_v = np.where(eg, tm.lead[gi], -1)
    lead_v = np.where(eg & ((lead_v < lo) | (lead_v >= hi)), lo + n // 2, lead_v)
    # per-phenotype parameters
    thr_gene = {int(u): 10 ** -rng.uniform(3.8, 5.5) for u in ugenes}
    thr = np.array([thr_gene[int(x)] for x in gi])
    lead_logp = np.where(eg, -rng.uniform(6, 28, len(gi)), -rng.uniform(0.5, 3.5, len(gi)))
    lead_logp = np.where(eg & ~is_best, lead_logp * rng.uniform(0.3, 0.9, len(gi)), lead_logp)
    decay = rng.uniform(0.08, 0.6, len(gi))
    # expand to every (phenotype, window variant) pair
    total = int(n.sum())
    ph_of = np.repeat(np.arange(len(rows)), n)
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    vidx = lo[ph_of] + (np.arange(total) - starts[ph_of])
    bg = np.log10(rng.uniform(1e-3, 1.0, total))
    dist = np.abs(vidx - np.where(lead_v[ph_of] >= 0, lead_v[ph_of], vidx))
    sig_logp = lead_logp[ph_of] + decay[ph_of] * dist
    logp = np.where(eg[ph_of], np.minimum(sig_logp, bg), np.maximum(bg, lead_logp[ph_of]))
    # non-eGenes: their minimum is at the "lead" (strongest) variant chosen at random
    pval = 10.0 ** logp
    pval = np.clip(pval, 1e-300, 1.0)
    af, ma_samples, ma_count = (a[vidx] for a in tm.stats)
    sign = np.sign(tm.effect[gi][ph_of])
    sign[sign == 0] = 1
    z = np.sqrt(np.maximum(-2 * np.log(pval), 1e-6))
    slope_se = rng.uniform(0.05, 0.2, total)
    slope = sign * z * slope_se * np.where(rng.random(total) < 0.05, -1, 1)
    tss = g.tss[gi][ph_of]
    strand = g.strand[gi][ph_of]
    tss_distance = np.where(strand == "+", g.v_pos[vidx] - tss, tss - g.v_pos[vidx])
    variant_id = pl.Series(g.v_chrom[vidx].astype(str)) + ":" + pl.Series(
        g.v_pos[vidx]).cast(pl.Utf8)
    pairs = pl.DataFrame({
        "ph": ph_of, "phenotype_id": ph.pid[rows][ph_of].astype(str), "gene": gi[ph_of],
        "vidx": vidx, "variant_id": variant_id, "tss_distance": tss_distance, "af": af,
        "ma_samples": ma_samples, "ma_count": ma_count, "pval_nominal": pval, "slope": slope,
        "slope_se": slope_se, "thr": thr[ph_of], "eg": eg[ph_of],
    })
    # tensorQTL tests only variants polymorphic in the tissue's samples (a monomorphic one has
    # no variance: no p-value, no pair, not counted in num_var): af = k/2n is never 0 or 1 here
    poly = ma_count > 0
    pairs = pairs.filter(pl.Series(poly))
    n = np.bincount(ph_of[poly], minlength=len(rows))
    # top per phenotype, then per group (gene)
    top_ph = pairs.sort(["ph", "pval_nominal", "vidx"]).group_by("ph", maintain_order=True).first()
    top_ph = top_ph.with_columns(num_var=pl.Series(n[top_ph["ph"].to_numpy()]))
    top = top_ph.sort(["gene", "pval_nominal"]).group_by("gene", maintain_order=True).first()
    k = top.height
    pval_beta = np.clip(top["pval_nominal"].to_numpy() * top["num_var"].to_numpy()
                        * rng.uniform(0.5, 3, k), 1e-300, 1.0)
    egm = top["eg"].to_numpy()
    qval = np.where(egm, rng.uniform(1e-12, 0.049, k) * np.minimum(1, pval_beta * 1e4),
                    rng.uniform(0.051, 1.0, k))
    top = top.with_columns(pval_beta=pl.Series(pval_beta), qval=pl.Series(qval))
    # BED (gene TSS) order within chromosome numeric order, as tensorQTL writes it
    chrom_rank = {c: i for i, c in enumerate(AUTOSOMES)}
    gorder = np.lexsort((g.tss, np.array([chrom_rank.get(c, 99) for c in g.chrom])))
    grank = np.empty(len(gorder), int)
    grank[gorder] = np.arange(len(gorder))
    top = top.with_columns(grank=pl.Series(grank[top["gene"].to_numpy()])).sort("grank")
    # independent signals: rank 1 = top; some eGenes get a second one
    e_top = top.filter(pl.col("qval") <= 0.05)
    second = e_top.filter(pl.Series(rng.random(e_top.height) < 0.3))
    sec_rows = []
    if second.height:
        cand = pairs.filter(pl.col("gene").is_in(second["gene"].implode())
                            & (pl.col("pval_nominal") < pl.col("thr")))
        cand = cand.join(second.select("gene", pl.col("vidx").alias("lead_vidx"),
                                       pl.col("ph").alias("lead_ph")), on="gene")
        cand = cand.filter((pl.col("ph") == pl.col("lead_ph"))
                           & ((pl.col("vidx") - pl.col("lead_vidx")).abs() > 3))
        sec_rows = cand.sort(["gene", "pval_nominal"]).group_by("gene", maintain_order=True).last()
    indep = e_top.with_columns(rank=pl.lit(1))
    if len(sec_rows):
        extra = sec_rows.join(e_top.select("gene", "num_var", "pval_beta", "qval", "grank"),
                              on="gene").with_columns(rank=pl.lit(2))
        extra = extra.with_columns(pval_beta=pl.col("pval_beta") * 3).select(indep.columns)
        indep = pl.concat([indep, extra]).sort(["grank", "rank"])
    # significant pairs: every phenotype of a significant group, p < group threshold
    sig_genes = e_top["gene"].implode()
    signif = pairs.filter(pl.col("gene").is_in(sig_genes) & (pl.col("pval_nominal")
                                                             < pl.col("thr")))
    signif = signif.with_columns(grank=pl.Series(grank[signif["gene"].to_numpy()])).sort(
        ["grank", "ph", "vidx"])
    pvals = pairs.select("gene", "variant_id", "pval_nominal", "ph") if modality == \
        "expression" else None
    return Mapping(top, indep, signif, pvals)


# --- writing the release ----------------------------------------------------------------------


def _assoc_frame(g: Genome, df: pl.DataFrame, tissue: str, with_pheno: bool) -> pl.DataFrame:
    """Common columns of top_assoc / indep tables (still numeric)."""
    gi = df["gene"].to_numpy()
    vidx = df["vidx"].to_numpy()
    out = {"tissue": pl.Series([tissue] * df.height, dtype=pl.Utf8)}
    if with_pheno:
        out["phenotype_id"] = df["phenotype_id"]
    out["gene_id"] = pl.Series(g.gene_id[gi].astype(str))
    out.update({
        "num_var": df["num_var"], "variant_id": df["variant_id"],
        "chrom": pl.Series(g.v_chrom[vidx].astype(str)), "pos": pl.Series(g.v_pos[vidx]),
        "ref": pl.Series(g.v_ref[vidx].astype(str)), "alt": pl.Series(g.v_alt[vidx].astype(str)),
        "af": df["af"], "tss_distance": df["tss_distance"], "pval_nominal": df["pval_nominal"],
        "slope": df["slope"], "slope_se": df["slope_se"], "pval_beta": df["pval_beta"],
    })
    return pl.DataFrame(out)


def _render(df: pl.DataFrame, style: str, ints: tuple[str, ...] = ("num_var", "pos",
            "tss_distance", "rank", "ma_samples", "ma_count")) -> pl.DataFrame:
    """Turn numeric columns into text in a writer's dialect: 'readr' or 'g' (pandas/tensorQTL)."""
    cols = {}
    for name in df.columns:
        s = df[name]
        if name in ints:
            cols[name] = fmt_int(s.to_numpy(), "NA" if style == "readr" else "")
        elif s.dtype in (pl.Float64, pl.Float32):
            arr = s.to_numpy().astype(float)
            cols[name] = fmt_readr(arr) if style == "readr" else fmt_g(arr)
        else:
            cols[name] = s.cast(pl.Utf8).fill_null("NA" if style == "readr" else "")
    return pl.DataFrame(cols)


def _bed(g: Genome, ph: Pheno, rows: np.ndarray, values: np.ndarray, rats: np.ndarray) -> bytes:
    gi = ph.gene[rows]
    chrom = g.chrom[gi].astype(str)
    order = np.lexsort((g.tss[gi] - 1, chrom))  # lexicographic chromosome, then start
    head = pl.DataFrame({"#chr": chrom[order], "start": (g.tss[gi] - 1)[order],
                         "end": g.tss[gi][order], "phenotype_id": ph.pid[rows][order].astype(str)})
    head_lines = head.select(pl.concat_str(pl.all().cast(pl.Utf8), separator="\t")).to_series()
    vals = values[order]
    cells = fmt_g(vals.ravel()).to_numpy().reshape(vals.shape) if vals.size else np.empty(
        vals.shape, dtype=object)
    lines = ["\t".join(["#chr", "start", "end", "phenotype_id", *map(str, rats)])]
    lines += [h + "\t" + "\t".join(row) for h, row in zip(head_lines.to_list(), cells.tolist(),
                                                          strict=True)]
    return ("\n".join(lines) + "\n").encode()


def _vcf(g: Genome, geno: np.ndarray, rats: np.ndarray, rng: np.random.Generator) -> bytes:
    header = [
        "##fileformat=VCFv4.2",
        "##source=ratgtex-db synthetic release (not real data)",
        *[f"##contig=<ID={c}>" for c in AUTOSOMES],
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                         "FORMAT", *map(str, rats)]),
    ]
    out = io.BytesIO()
    out.write(("\n".join(header) + "\n").encode())
    nv, nr = geno.shape
    phased = rng.random(nv) < 0.5
    het_flip = rng.random(geno.shape) < 0.5
    step = 20_000
    for a in range(0, nv, step):
        b = min(nv, a + step)
        d = geno[a:b]
        cells = np.empty((b - a, nr, 4), dtype=np.uint8)
        first = np.where(d == 2, ord("1"), np.where((d == 1) & het_flip[a:b], ord("1"), ord("0")))
        second = np.where(d == 2, ord("1"), np.where((d == 1) & ~het_flip[a:b], ord("1"),
                                                     ord("0")))
        miss = d < 0
        cells[:, :, 0] = np.where(miss, ord("."), first)
        cells[:, :, 1] = np.where(phased[a:b, None], ord("|"), ord("/"))
        cells[:, :, 2] = np.where(miss, ord("."), second)
        cells[:, :, 3] = ord("\t")
        cells[:, -1, 3] = ord("\n")
        prefix = [f"{g.v_chrom[i]}\t{g.v_pos[i]}\t{g.v_chrom[i]}:{g.v_pos[i]}\t{g.v_ref[i]}\t"
                  f"{g.v_alt[i]}\t.\t.\t.\tGT\t".encode() for i in range(a, b)]
        flat = cells.reshape(b - a, nr * 4)
        for i in range(b - a):
            out.write(prefix[i])
            out.write(flat[i].tobytes())
    return out.getvalue()


def synthesize(out: str | os.PathLike[str], scale: str = "small", seed: int = 1,
               version: str = "v4", tissues: list[str] | None = None) -> Path:
    """Write a synthetic release tree ``OUT/data/{version}/...`` and return ``OUT``.

    Parameters
    ----------
    out : folder to write into (created; an existing release there is replaced).
    scale : ``tiny`` (tests), ``small`` (demo), ``medium`` (benchmarks) or ``large``.
    seed : random seed; the same seed and scale give byte-identical files.
    version : only ``v4`` is supported.
    tissues : subset of v4 tissue ids (default: the scale's tissues).

    Raises
    ------
    ConfigError : unknown scale, version or tissue.
    """
    if scale not in SCALES:
        raise ConfigError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    if version != "v4":
        raise ConfigError(f"synthetic releases are only written for v4, not {version!r}")
    sc = SCALES[scale]
    if tissues:  # choices are case-insensitive: bla is BLA
        by_fold = {t.casefold(): t for t in TISSUES["v4"]}
        tissues = [by_fold.get(t.casefold(), t) for t in tissues]
        bad = [t for t in tissues if t not in TISSUES["v4"]]
        if bad:
            raise ConfigError(f"unknown v4 tissue(s) {', '.join(bad)}; known: "
                              f"{', '.join(TISSUES['v4'])}")
        sc = Scale(tuple(tissues), sc.genes, None if sc.samples is None else {
            t: sc.samples.get(t, 20) for t in tissues}, sc.fraction, sc.chrom_mb,
            sc.variants_per_mb, sc.egene_rate)
    out = Path(out)
    rel = Release(out, version)
    if rel.root.exists():
        shutil.rmtree(rel.root)
    rel.root.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    g = make_genome(rng, sc)
    cohort = make_cohort(rng, sc)
    rats = cohort.rats
    rat_index = {r: i for i, r in enumerate(rats)}
    p = g.v_af[:, None]
    geno = (rng.random((len(g.v_pos), len(rats))) < p).astype(np.int8) + (
        rng.random((len(g.v_pos), len(rats))) < p).astype(np.int8)
    geno[rng.random(geno.shape) < 0.01] = -1
    # a causal variant per autosomal gene near its TSS (shared by tissues)
    has_win = g.hi > g.lo
    causal = np.where(has_win & np.isin(g.chrom, AUTOSOMES),
                      g.lo + ((g.hi - g.lo) * rng.uniform(0.3, 0.7, len(g.lo))).astype(int), -1)
    tissue_order = sorted(sc.tissues)  # Python sorted(): code-point order, pVTA last
    smallest = min(tissue_order, key=lambda x: len(cohort.tissue_rats[x]))
    models: dict[str, TissueModel] = {}
    maps: dict[tuple[str, str], Mapping] = {}
    medians: dict[str, np.ndarray] = {}
    # One tissue at a time: its matrices and pair files are written, then dropped, so memory
    # holds one tissue's matrices plus the small aggregated tables.
    for t in tissue_order:
        tm = make_tissue(rng, g, geno, rat_index, t, cohort.tissue_rats[t], causal, sc)
        medians[t] = _write_tissue_matrices(rel, g, tm, rng)
        for m in MODALITIES:
            mp = map_modality(rng, g, tm, m, sc)
            _write_signif(rel, t, m, mp)
            if m == "expression":
                _write_cis_pvals(rel, g, t, mp)
            maps[(t, m)] = Mapping(mp.top, mp.indep, mp.signif if m == "expression" else
                                   mp.signif.head(0), None)
        _write_trans(rel, g, tm, t == smallest, rng)
        expr = tm.phenos["expression"]
        tm.phenos = {"expression": Pheno(expr.pid, expr.gene, np.empty((0, 0)), expr.norm_rows,
                                         np.empty((0, 0)))}
        tm.dosage = tm.tpm = tm.log2 = np.empty((0, 0))
        models[t] = tm

    _write_reference(rel, g, cohort, models, maps, tissue_order, sc)
    _write_medians(rel, g, medians, tissue_order)
    _write_qtl_tables(rel, g, maps, tissue_order, rng)
    rel.bgzip("vcf", _vcf(g, geno, rats, rng), dataset=VCF_DATASETS[version][0], genome="rn8")
    (rel.root / MARKER).write_text(
        "SYNTHETIC RatGTEx-format release written by ratgtex-db synth.\n"
        f"scale={scale} seed={seed} version={version} tissues={','.join(tissue_order)}\n"
        "These files imitate the release format only; no value is a real measurement.\n")
    return out


def _write_reference(rel: Release, g: Genome, cohort: Cohort, models: dict[str, TissueModel],
                     maps: dict[tuple[str, str], Mapping], tissues: list[str], sc: Scale) -> None:
    n = len(g.gene_id)
    flags: dict[str, pl.Series] = {}
    tested = {t: set(maps[(t, "expression")].top["gene"].to_list()) for t in tissues}
    indep = {t: set(maps[(t, "expression")].indep["gene"].to_list()) for t in tissues}
    has_eqtl = np.zeros(n, bool)
    for t in tissues:
        has_eqtl[maps[(t, "expression")].signif["gene"].unique().to_numpy()] = True
    tf = lambda b: pl.Series(np.where(b, "True", "False"))  # noqa: E731
    for t in tissues:
        flags[f"expr_{t}"] = tf(models[t].phenos["expression"].norm_rows)
    for t in tissues:
        flags[f"testedEqtl_{t}"] = tf(np.isin(np.arange(n), list(tested[t])))
    for t in tissues:
        flags[f"eqtl_{t}"] = tf(np.isin(np.arange(n), list(indep[t])))
    desc = np.where(np.arange(n) % 5 == 0, "", "synthetic gene " + np.arange(n).astype(str))
    gene = pl.DataFrame({
        "geneId": g.gene_id.astype(str), "chromosome": g.chrom.astype(str),
        "start": g.start, "end": g.end, "strand": g.strand.astype(str), "tss": g.tss,
        "description": desc, "hasEqtl": tf(has_eqtl), **flags})
    rel.text("gene", _tsv(gene.cast(pl.Utf8)))
    rel.text("autocomplete", json.dumps(sorted(g.gene_id.tolist())).encode())
    # exons of the collapsed model
    k = np.where(g.chrom == "chrM", 1, 1 + (np.arange(n) % 3))
    gi = np.repeat(np.arange(n), k)
    num = np.concatenate([np.arange(1, x + 1) for x in k])
    span = (g.end[gi] - g.start[gi]) // k[gi]
    es = g.start[gi] + (num - 1) * span
    ee = np.minimum(es + span // 2, g.end[gi])
    exon = pl.DataFrame({
        "chromosome": g.chrom[gi].astype(str), "end": ee,
        "exonId": pl.Series(g.gene_id[gi].astype(str)) + "_" + pl.Series(num).cast(pl.Utf8),
        "exonNumber": num, "featureType": ["exon"] * len(gi), "geneId": g.gene_id[gi].astype(str),
        "start": es, "strand": g.strand[gi].astype(str), "transcriptId": g.gene_id[gi].astype(str)})
    rel.text("exon", _tsv(exon.cast(pl.Utf8)))
    # tissue_info in the pipeline's order (release-format 2.1)
    rows = []
    palette = ["377eb8", "e41a1c", "4daf4a", "984ea3", "ff7f00", "a65628", "f781bf", "999999",
               "66c2a5", "fc8d62", "8da0cb", "e78ac3", "a6d854"]
    for i, t in enumerate(x for x in TISSUES["v4"] if x in tissues):
        top = maps[(t, "expression")].top
        n_e = int((top["qval"] < 0.05).sum())
        hx = palette[i % len(palette)]
        rgb = ",".join(str(int(hx[j:j + 2], 16)) for j in (0, 2, 4))
        n_s = len(models[t].rats)
        rows.append([t, t, TISSUE_NAMES[t][0], TISSUE_NAMES[t][1], hx, rgb,
                     VCF_DATASETS["v4"][0], str(n_s), str(n_s),
                     str(int(models[t].phenos["expression"].norm_rows.sum())),
                     str(n_e) if n_e else "NA", "ratgtex_v4", "True"])
    cols = ["tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail", "tissueSite",
            "colorHex", "colorRgb", "dataset", "rnaSeqSampleCount",
            "rnaSeqAndGenotypeSampleCount", "expressedGeneCount", "eGeneCount", "datasetId",
            "hasEGenes"]
    rel.text("tissue_info", _tsv(pl.DataFrame(rows, schema=cols, orient="row")))
    # rats, samples, rat_ids, fastq_map
    labels: dict[str, list[str]] = {}
    sample_rows = []
    for t in tissues:
        for label, rs in cohort.subsets[t]:
            for r in rs:
                labels.setdefault(r, []).append(label)
                if label in GEO_SUBSETS:
                    acc = [f"GSM{7000000 + hash_id(r, label)}",
                           f"SAMN{30000000 + hash_id(r, label)}",
                           f"SRX{20000000 + hash_id(r, label)}"]
                else:
                    acc = ["NA", "NA", "NA"]
                sample_rows.append([label, r, *acc])
    sample_rows.sort(key=lambda x: (x[0], x[1]))
    rel.text("samples", _tsv(pl.DataFrame(sample_rows, schema=[
        "tissue", "rat_id", "GEO_accession", "BioSample_accession", "SRA_accession"],
        orient="row")))
    rat_rows = [[r, cohort.sex[r], cohort.coat[r], ", ".join(sorted(labels[r]))]
                for r in cohort.rats]
    rel.text("rats", _tsv(pl.DataFrame(rat_rows, schema=["rat_id", "sex", "coatcolor",
                                                         "tissues"], orient="row")))
    for t in tissues:
        rel.text("rat_ids", ("\n".join(models[t].rats) + "\n").encode(), tissue=t)
        lines = []
        for label, rs in cohort.subsets[t]:
            pre = f"{label}/" if t in SUB_DATASETS_V4 else ""
            for j, r in enumerate(rs):
                runs = 2 if j % 4 == 0 else 1
                for k2 in range(runs):
                    stem = f"{pre}{r}_L00{k2 + 1}"
                    if label in SINGLE_END:
                        lines.append(f"{stem}.fastq.gz\t{r}")
                    else:
                        lines.append(f"{stem}_R1.fastq.gz\t{stem}_R2.fastq.gz\t{r}")
        lines.append(f"{pre}removed_by_qc_R1.fastq.gz\t{pre}removed_by_qc_R2.fastq.gz\t"
                     "00000QC000")
        rel.text("fastq_map", ("\n".join(lines) + "\n").encode(), tissue=t)


def hash_id(rat: str, label: str) -> int:
    """A stable small number from a rat id (no Python hash(): it is salted per process)."""
    h = 0
    for ch in rat + label:
        h = (h * 131 + ord(ch)) % 9_999_991
    return h


def _covariates(rng: np.random.Generator, rats: np.ndarray, geno_pcs: np.ndarray) -> bytes:
    """Covariate rows x rat columns; PC values are synthetic draws (R write.table text)."""
    k = min(20, len(rats) - 1)
    pcs = rng.normal(0, 1 / np.sqrt(len(rats)), (k, len(rats)))
    mat = np.round(np.vstack([geno_pcs, pcs]), 6)
    mat[np.abs(mat) < 1e-4] *= 0.01  # a few tiny loadings give R's 1e-06-style text
    names = [f"geno_PC{i}" for i in range(1, 6)] + [f"pheno_PC{i}" for i in range(1, k + 1)]
    flat = mat.ravel()
    txt = np.asarray(fmt_decimal(flat, 6).to_numpy(), dtype=object)
    small = (np.abs(flat) < 1e-4) & (flat != 0)
    if small.any():
        txt[small] = fmt_sci(flat[small], pad=2).to_numpy()
    cells = txt.reshape(mat.shape)
    lines = ["\t".join(["ID", *map(str, rats)])]
    lines += [n + "\t" + "\t".join(row) for n, row in zip(names, cells.tolist(), strict=True)]
    return ("\n".join(lines) + "\n").encode()


def _write_tissue_matrices(rel: Release, g: Genome, tm: TissueModel,
                           rng: np.random.Generator) -> np.ndarray:
    """BEDs, covariates and expr files of one tissue; returns its median TPM per gene."""
    t = tm.tissue
    all_rows = np.arange(len(tm.phenos["expression"].pid))
    rel.bgzip("expr", _bed(g, tm.phenos["expression"], all_rows, tm.log2, tm.rats),
              unit="log2", tissue=t)
    geno_pcs = rng.normal(0, 1 / np.sqrt(len(tm.rats)), (5, len(tm.rats)))
    for m in MODALITIES:
        ph = tm.phenos[m]
        rows = np.arange(len(ph.pid))
        un = rel.bgzip("phenos", _bed(g, ph, rows, ph.unnorm, tm.rats), tissue=t,
                       modality=m, norm="unnorm")
        if m == "expression":  # expr.tpm is a byte copy (release-format 3.5)
            shutil.copyfile(un, rel.path("expr", unit="tpm", tissue=t))
        rel.bgzip("phenos", _bed(g, ph, np.flatnonzero(ph.norm_rows), ph.norm, tm.rats),
                  tissue=t, modality=m, norm="norm")
        rel.text("covar", _covariates(rng, tm.rats, geno_pcs), tissue=t, modality=m)
    rel.text("covar_cross_modality", _covariates(rng, tm.rats, geno_pcs), tissue=t)
    return np.round(np.median(tm.tpm, axis=1), 3)


def _write_medians(rel: Release, g: Genome, medians: dict[str, np.ndarray],
                   tissues: list[str]) -> None:
    # medianGeneExpression: readr writer (NA for absent, 3e3-style whole thousands)
    med = pl.DataFrame({"geneId": g.gene_id.astype(str),
                        **{t: fmt_readr(medians[t]) for t in tissues}})
    rel.gzip("median_expression", _tsv(med))
    rows = []
    for t in tissues:
        order = np.argsort(-medians[t], kind="stable")
        non_mt = 0
        for i in order:
            is_mt = g.chrom[i] == "chrM"
            rows.append((t, g.gene_id[i], medians[t][i], g.chrom[i], is_mt))
            non_mt += not is_mt
            if non_mt >= 50:
                break
    top = pl.DataFrame({
        "tissueSiteDetailId": [r[0] for r in rows], "geneId": [r[1] for r in rows],
        "median": fmt_readr(np.array([r[2] for r in rows])),
        "chromosome": [r[3] for r in rows],
        "mtGene": ["True" if r[4] else "False" for r in rows],
        "datasetId": ["ratgtex_v4"] * len(rows), "unit": ["TPM"] * len(rows)})
    rel.text("top_expressed", _tsv(top))


def _write_qtl_tables(rel: Release, g: Genome, maps: dict[tuple[str, str], Mapping],
                      tissues: list[str], rng: np.random.Generator) -> None:
    # eqtl/top_assoc + eqtls_indep: readr re-serialised, with aFC (NA for some)
    tops, indeps = [], []
    for t in tissues:
        mp = maps[(t, "expression")]
        top = _assoc_frame(g, mp.top, t, False).with_columns(
            qval=mp.top["qval"], pval_nominal_threshold=mp.top["thr"])
        afc = mp.top["slope"].to_numpy() * 0.8
        afc[rng.random(len(afc)) < 0.05] = np.nan
        tops.append(top.with_columns(log2_aFC=pl.Series(afc)))
        ind = _assoc_frame(g, mp.indep, t, False).with_columns(rank=mp.indep["rank"])
        afc = mp.indep["slope"].to_numpy() * 0.8
        afc[rng.random(len(afc)) < 0.05] = np.nan
        indeps.append(ind.with_columns(log2_aFC=pl.Series(afc)))
    top_all = pl.concat(tops)
    # a few alleles missing from the allele list -> NA (release-format 3.13)
    miss = rng.random(top_all.height) < 0.02
    top_all = top_all.with_columns(
        ref=pl.when(pl.Series(miss)).then(None).otherwise(pl.col("ref")),
        alt=pl.when(pl.Series(miss)).then(None).otherwise(pl.col("alt")))
    rel.text("top_assoc", _tsv(_render(top_all, "readr")))
    rel.text("eqtls_indep", _tsv(_render(pl.concat(indeps), "readr")))
    # xqtl tables per modality (tensorQTL %.6g text) and cross_modality
    cross_top, cross_ind = [], []
    for m in MODALITIES:
        tops, indeps = [], []
        for t in tissues:
            mp = maps[(t, m)]
            tops.append(_assoc_frame(g, mp.top, t, True).with_columns(
                qval=mp.top["qval"], pval_nominal_threshold=mp.top["thr"]))
            indeps.append(_assoc_frame(g, mp.indep, t, True).with_columns(
                rank=mp.indep["rank"]))
        xt, xi = pl.concat(tops), pl.concat(indeps)
        rel.text("xqtl_top_assoc", _tsv(_render(xt, "g")), modality=m)
        rel.text("xqtls_indep", _tsv(_render(xi, "g")), modality=m)
        cross_top.append(xt.with_columns(modality=pl.lit(m)))
        cross_ind.append(xi.with_columns(modality=pl.lit(m)))
    ct = pl.concat(cross_top).sort(["tissue", "gene_id", "pval_nominal"]).group_by(
        ["tissue", "gene_id"], maintain_order=True).first()
    ci = pl.concat(cross_ind).sort(["tissue", "gene_id", "pval_nominal"]).with_columns(
        rank=pl.col("pval_nominal").rank("ordinal").over(["tissue", "gene_id"]).cast(pl.Int64))
    order = ["tissue", "modality", "phenotype_id", "gene_id"]
    ct = ct.select(order + [c for c in ct.columns if c not in order])
    ci = ci.select(order + [c for c in ci.columns if c not in order])
    rel.text("xqtl_top_assoc_cross_modality", _tsv(_render(ct, "g")))
    rel.text("xqtls_indep_cross_modality", _tsv(_render(ci, "g")))
    # all_gene_esnps.v4.zip: the expression signif pairs of every tissue, per gene
    esnp_parts = [maps[(t, "expression")].signif.with_columns(tissue=pl.lit(t)) for t in tissues]
    # all_gene_esnps.v4.zip: per gene, tissues in sorted order, signif-file order
    es = pl.concat(esnp_parts)
    es = es.with_columns(gene_id=pl.Series(g.gene_id[es["gene"].to_numpy()].astype(str)),
                         chromosome=pl.Series(g.v_chrom[es["vidx"].to_numpy()].astype(str)),
                         pos=pl.Series(g.v_pos[es["vidx"].to_numpy()]),
                         p_txt=fmt_g(es["pval_nominal"].to_numpy()),
                         s_txt=fmt_g(es["slope"].to_numpy()))
    members = []
    for (gene_name,), part in sorted(es.partition_by("gene_id", as_dict=True,
                                                     maintain_order=True).items()):
        body = pl.DataFrame({"variantId": part["variant_id"],
                             "pValue": part["p_txt"], "nes": part["s_txt"],
                             "chromosome": part["chromosome"],
                             "pos": part["pos"].cast(pl.Utf8),
                             "tissueSiteDetailId": part["tissue"]})
        members.append((f"all_gene_esnps.v4/{gene_name}.txt", _tsv(body)))
    rel.zip("gene_esnps", members)


SIGNIF_COLUMNS = ["phenotype_id", "variant_id", "tss_distance", "af", "ma_samples", "ma_count",
                  "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"]


def _write_signif(rel: Release, t: str, m: str, mp: Mapping) -> None:
    """cis_qtl_signif.{tissue}.{modality}: pandas %g text, empty for missing."""
    s = mp.signif.rename({"thr": "pval_nominal_threshold"})
    rel.gzip("cis_qtl_signif", _tsv(_render(s.select(SIGNIF_COLUMNS), "g")), tissue=t,
             modality=m)


def _write_cis_pvals(rel: Release, g: Genome, t: str, mp: Mapping) -> None:
    """cis_pvals/{tissue}.v4.zip: every tested window pair, one member per gene, BED order."""
    pv = mp.pvals
    pv = pv.with_columns(p_txt=fmt_g(pv["pval_nominal"].to_numpy()))
    lines = pv.select(pl.concat_str(["variant_id", "p_txt"], separator="\t")).to_series()
    bounds = np.flatnonzero(np.diff(pv["ph"].to_numpy())) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [pv.height]])
    gene_of = pv["gene"].to_numpy()
    all_lines = lines.to_list()
    members = []
    for a, b in zip(starts, ends, strict=True):
        text = "variant_id\tpval_nominal\n" + "\n".join(all_lines[a:b]) + "\n"
        members.append((f"{t}.v4/{g.gene_id[int(gene_of[a])]}.txt", text.encode()))
    rel.zip("cis_pvals", members, tissue=t)


def _write_trans(rel: Release, g: Genome, tm: TissueModel, empty: bool,
                 rng: np.random.Generator) -> None:
    """trans pairs (expression only): p < 1e-5, > 5 Mb away; ``empty`` gives a header only."""
    norm_genes = tm.phenos["expression"].gene[tm.phenos["expression"].norm_rows]
    k = 0 if empty else max(5, len(norm_genes) // 8)
    gi = rng.choice(norm_genes, k) if k else np.array([], int)
    vi = rng.integers(0, len(g.v_pos), k)
    far = (g.v_chrom[vi] != g.chrom[gi]) | (np.abs(g.v_pos[vi] - g.tss[gi]) > 5_000_000)
    far &= tm.stats[2][vi] > 0  # only polymorphic variants are tested
    gi, vi = gi[far], vi[far]
    order = np.lexsort((gi, vi))
    gi, vi = gi[order], vi[order]
    af = tm.stats[0][vi]
    pval = 10 ** -rng.uniform(5.0001, 12, len(vi))
    se = rng.uniform(0.05, 0.3, len(vi))
    df = pl.DataFrame({
        "variant_id": pl.Series(g.v_chrom[vi].astype(str)) + ":"
        + pl.Series(g.v_pos[vi]).cast(pl.Utf8),
        "phenotype_id": g.gene_id[gi].astype(str),
        "pval": fmt_g(pval), "slope": fmt_g(se * rng.uniform(4, 7, len(vi))
                                            * rng.choice([-1, 1], len(vi))),
        "slope_se": fmt_g(se), "af": fmt_g(np.asarray(af, float)),
    }, schema={c: pl.Utf8 for c in ["variant_id", "phenotype_id", "pval", "slope",
                                     "slope_se", "af"]})
    rel.gzip("trans_qtl_pairs", _tsv(df), tissue=tm.tissue)
