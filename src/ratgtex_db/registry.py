"""The file-kind registry: one frozen :class:`FileKind` per release file kind.

A kind declares, in one place, the file's path template (from which both the name-matching
regular expression and the download/synthetic file lists are derived), how to read it, its
typed columns (source header name -> contract name and Arrow type), its target table(s) and the
partition values taken from the file name. See release-format.md sections 1.2 and 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyarrow as pa

from ratgtex_db.errors import UnknownFileKind

# The release vocabulary lives in release.py; the registry re-exports it.
from ratgtex_db.release import (  # noqa: F401 - the registry re-exports the vocabulary
    CROSS_MODALITY,
    DOWNLOAD_PAGE_TISSUES_V4,
    GENOMES,
    LATEST_VERSION,
    MODALITIES,
    NA_TOKENS,
    NORMS,
    SUB_DATASETS_V4,
    TISSUES,
    UNITS_V4,
)
from ratgtex_db.tables import F64, I32, QTL_STATS, B, S

#: Regular expression of each template placeholder.
PLACEHOLDERS: dict[str, str] = {
    "version": r"v\d+",
    "genome": r"rn\d+",
    "tissue": r"[A-Za-z0-9]+",
    "modality": "|".join(MODALITIES),
    "norm": "|".join(NORMS),
    "unit": "|".join(UNITS_V4),
    "dataset": r"[A-Za-z0-9_]+",
    "any": r"[^/]+",
}


@dataclass(frozen=True)
class Col:
    """One declared source column: its header name, contract name and Arrow type."""

    source: str
    name: str
    type: pa.DataType


def _cols(*specs: tuple[str, str, pa.DataType] | tuple[str, pa.DataType]) -> tuple[Col, ...]:
    out = []
    for spec in specs:
        if len(spec) == 2:
            out.append(Col(spec[0], spec[0], spec[1]))  # type: ignore[arg-type]
        else:
            out.append(Col(*spec))  # type: ignore[arg-type]
    return tuple(out)


@dataclass(frozen=True)
class CopyRule:
    """A file that the release publishes as a byte copy of another file of the same version
    and tissue: when this file's name has the values ``when`` and it is byte-identical to the
    file of kind ``kind`` with the values ``values`` (a twin in the same run, or one already
    ingested), it is recorded as skipped with ``reason`` instead of being ingested twice."""

    when: tuple[tuple[str, str], ...]
    kind: str
    values: tuple[tuple[str, str], ...]
    reason: str
    shared: tuple[str, ...] = ("version", "tissue")

    def applies(self, values: dict[str, str]) -> bool:
        return all(values.get(k) == v for k, v in self.when)

    def is_twin(self, this: dict[str, str], kind: str, other: dict[str, str]) -> bool:
        """``other`` (a file of ``kind``) is the original of this file."""
        return (kind == self.kind and all(other.get(k) == v for k, v in self.values)
                and all(other.get(k) == this.get(k) for k in self.shared))


@dataclass(frozen=True)
class FileKind:
    """A release file kind.

    ``layout`` says how rows become table rows:

    - ``long``: one source row, one table row (``columns`` are all the columns);
    - ``bed``: BED matrix, ``columns`` fixed, every other column a sample -> long;
    - ``covar``: covariate rows x sample columns -> long;
    - ``median``: ``geneId`` + one column per tissue -> long;
    - ``gene``: annotation columns + ``expr_/testedEqtl_/eqtl_{tissue}`` flags -> two tables;
    - ``rat_ids`` / ``fastq_map``: headerless one- or two/three-field lines;
    - ``zip``: every member a small TSV with ``columns``; ``member`` regex gives ``gene_id``;
    - ``vcf``: genotype VCF (variants + genotypes);
    - ``skip``: recognised but not ingested, ``skip_reason`` says why.
    """

    name: str
    template: str
    layout: str
    tables: tuple[str, ...] = ()
    columns: tuple[Col, ...] = ()
    partition: tuple[str, ...] = ("version",)
    fixed: tuple[tuple[str, str], ...] = ()
    member: str | None = None
    skip_reason: str | None = None
    expand: tuple[str, ...] = ()
    description: str = ""
    #: Linked from the public download pages (release-format 1.2); unlinked files are produced
    #: into the same tree but their public availability is unverified.
    linked: bool = True
    #: Set when some files of this kind are byte copies of another kind's files.
    copy_of: CopyRule | None = None
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", _template_regex(PurePosixPath(self.template).name))

    @property
    def table(self) -> str | None:
        return self.tables[0] if self.tables else None

    def filename(self, **values: str) -> str:
        """The release path of one file of this kind (used by ``synth`` and ``download``)."""
        values.setdefault("genome", GENOMES.get(values.get("version", ""), "rn8"))
        return self.template.format(**values)

    def paths(self, version: str, tissues: tuple[str, ...] | list[str] | None = None) -> list[str]:
        """Every release path of this kind for a version, expanding tissue/modality/norm/unit."""
        combos: list[dict[str, str]] = [{"version": version}]
        choices = {
            "tissue": tuple(tissues) if tissues is not None else TISSUES[version],
            "modality": MODALITIES,
            "norm": NORMS,
            "unit": UNITS_V4,
        }
        for key in self.expand:
            combos = [dict(c, **{key: v}) for c in combos for v in choices[key]]
        return [self.filename(**c) for c in combos]


def _template_regex(name_template: str) -> re.Pattern[str]:
    out = []
    pos = 0
    for m in re.finditer(r"\{(\w+)\}", name_template):
        out.append(re.escape(name_template[pos : m.start()]))
        key = m.group(1)
        out.append(f"(?P<{key}>{PLACEHOLDERS[key]})")
        pos = m.end()
    out.append(re.escape(name_template[pos:]))
    return re.compile("^" + "".join(out) + "$")


#: The statistics block shared by top_assoc / *_indep files; names and types as the tables
#: declare them (release-format 3.13-3.14 use the contract's names already).
_QTL = QTL_STATS

_BED_FIXED = _cols(("#chr", "chrom", S), ("start", "start", I32), ("end", "tss", I32),
                   ("phenotype_id", S))

_SIGNIF = _cols(
    ("phenotype_id", S),
    ("variant_id", S),
    ("tss_distance", I32),
    ("af", F64),
    ("ma_samples", I32),
    ("ma_count", I32),
    ("pval_nominal", F64),
    ("slope", F64),
    ("slope_se", F64),
    ("pval_nominal_threshold", F64),
)

KINDS: tuple[FileKind, ...] = (
    FileKind(
        "gene",
        "gene.{version}.tsv",
        "gene",
        tables=("genes", "gene_tissue_status"),
        columns=_cols(
            ("geneId", "gene_id", S),
            ("chromosome", "chrom", S),
            ("start", I32),
            ("end", I32),
            ("strand", S),
            ("tss", I32),
            ("description", S),
            ("hasEqtl", "has_eqtl", B),
        ),
        description="gene annotation + per-tissue expressed/tested/eQTL flags (wide)",
    ),
    FileKind(
        "exon",
        "exon.{version}.tsv",
        "long",
        tables=("exons",),
        columns=_cols(
            ("chromosome", "chrom", S),
            ("end", I32),
            ("exonId", "exon_id", S),
            ("exonNumber", "exon_number", I32),
            ("featureType", "feature_type", S),
            ("geneId", "gene_id", S),
            ("start", I32),
            ("strand", S),
            ("transcriptId", "transcript_id", S),
        ),
        description="exons of the collapsed gene models",
        linked=False,
    ),
    FileKind(
        "tissue_info",
        "tissue_info.{version}.tsv",
        "long",
        tables=("tissues",),
        columns=_cols(
            ("tissueSiteDetailId", "tissue", S),
            ("tissueSiteDetailAbbr", "tissue_site_detail_abbr", S),
            ("tissueSiteDetail", "tissue_site_detail", S),
            ("tissueSite", "tissue_site", S),
            ("colorHex", "color_hex", S),
            ("colorRgb", "color_rgb", S),
            ("dataset", S),
            ("rnaSeqSampleCount", "rna_seq_sample_count", I32),
            ("rnaSeqAndGenotypeSampleCount", "rna_seq_and_genotype_sample_count", I32),
            ("expressedGeneCount", "expressed_gene_count", I32),
            ("eGeneCount", "e_gene_count", I32),
            ("datasetId", "dataset_id", S),
            ("hasEGenes", "has_e_genes", B),
        ),
        description="per-tissue metadata and counts",
        linked=False,
    ),
    FileKind(
        "autocomplete",
        "autocomplete.{version}.json",
        "skip",
        skip_reason="presentation: the portal's search-box gene list (same ids as gene table)",
        linked=False,
    ),
    FileKind(
        "rats",
        "ref/RatGTEx_rats.{version}.tsv",
        "long",
        tables=("rats",),
        columns=_cols(("rat_id", S), ("sex", S), ("coatcolor", S), ("tissues", S)),
        description="one row per rat",
    ),
    FileKind(
        "samples",
        "ref/RatGTEx_samples.{version}.tsv",
        "long",
        tables=("samples",),
        columns=_cols(
            ("tissue", S),
            ("rat_id", S),
            ("GEO_accession", "geo_accession", S),
            ("BioSample_accession", "biosample_accession", S),
            ("SRA_accession", "sra_accession", S),
        ),
        description="one row per (sub-dataset, rat)",
    ),
    FileKind(
        "rats_html",
        "ref/rats.{version}.html",
        "skip",
        skip_reason="presentation: HTML fragment of RatGTEx_rats",
        linked=False,
    ),
    FileKind(
        "samples_html",
        "ref/samples.{version}.html",
        "skip",
        skip_reason="presentation: HTML fragment of RatGTEx_samples",
        linked=False,
    ),
    FileKind(
        "rat_ids",
        "rat_ids/rat_ids.{tissue}.{version}.txt",
        "rat_ids",
        tables=("rat_ids",),
        columns=_cols(("rat_id", S)),
        partition=("version", "tissue"),
        expand=("tissue",),
        description="final post-QC rat ids of a tissue (no header)",
    ),
    FileKind(
        "fastq_map",
        "fastq_map/fastq_map.{tissue}.{version}.txt",
        "fastq_map",
        tables=("fastq_map",),
        columns=_cols(("fastq_1", S), ("fastq_2", S), ("rat_id", S)),
        partition=("version", "tissue"),
        expand=("tissue",),
        description="FASTQ path(s) -> rat id (no header; 2 or 3 fields)",
    ),
    FileKind(
        "covar",
        "covar/covar.{tissue}.{modality}.{version}.tsv",
        "covar",
        tables=("covariates",),
        columns=_cols(("ID", "covariate", S)),
        partition=("version", "tissue", "modality"),
        expand=("tissue", "modality"),
        description="covariates used for mapping (covariate rows x sample columns)",
    ),
    FileKind(
        "covar_cross_modality",
        "covar/covar.{tissue}.cross_modality.{version}.tsv",
        "covar",
        tables=("covariates",),
        columns=_cols(("ID", "covariate", S)),
        partition=("version", "tissue", "modality"),
        fixed=(("modality", CROSS_MODALITY),),
        expand=("tissue",),
        description="covariates of the combined cross-modality mapping",
        linked=False,
    ),
    FileKind(
        "vcf",
        "geno/{dataset}.{genome}.vcf.gz",
        "vcf",
        tables=("variants", "genotype_rows", "genotype_samples"),
        partition=("version", "dataset"),
        description="genotypes of all rats (GT only)",
    ),
    FileKind(
        "vcf_index",
        "geno/{dataset}.{genome}.vcf.gz.tbi",
        "skip",
        skip_reason="index: tabix index of the VCF",
        linked=False,
    ),
    FileKind(
        "expr",
        "expr/expr.{unit}.{tissue}.{version}_{genome}.bed.gz",
        "bed",
        tables=("expression",),
        columns=_BED_FIXED,
        partition=("version", "tissue", "unit"),
        expand=("unit", "tissue"),
        description="gene expression matrix (log2 counts or TPM)",
        copy_of=CopyRule(
            when=(("unit", "tpm"),),
            kind="phenos",
            values=(("modality", "expression"), ("norm", "unnorm")),
            reason="copy: byte-identical to phenos expression unnorm of this tissue "
                   "(release-format 3.5); the expression view serves it as unit 'tpm'",
        ),
    ),
    FileKind(
        "phenos",
        "phenos/phenos.{tissue}.{modality}.{norm}.{version}_{genome}.bed.gz",
        "bed",
        tables=("phenotypes",),
        columns=_BED_FIXED,
        partition=("version", "tissue", "modality", "normalized"),
        expand=("tissue", "modality", "norm"),
        description="RNA phenotype matrix, one modality, raw or normalized",
    ),
    FileKind(
        "median_expression",
        "expr/medianGeneExpression.{version}.tsv.gz",
        "median",
        tables=("median_expression",),
        columns=_cols(("geneId", "gene_id", S)),
        description="gene x tissue median TPM (wide)",
    ),
    FileKind(
        "top_expressed",
        "expr/topExpressedGene.{version}.tsv",
        "long",
        tables=("top_expressed",),
        columns=_cols(
            ("tissueSiteDetailId", "tissue", S),
            ("geneId", "gene_id", S),
            ("median", "median_tpm", F64),
            ("chromosome", "chrom", S),
            ("mtGene", "mt_gene", B),
            ("datasetId", "dataset_id", S),
            ("unit", S),
        ),
        description="top genes by median TPM per tissue",
        linked=False,
    ),
    FileKind(
        "top_assoc",
        "eqtl/top_assoc.{version}_{genome}.tsv",
        "long",
        tables=("top_assoc",),
        columns=_cols(("tissue", S), ("gene_id", S), *_QTL, ("qval", F64),
                      ("pval_nominal_threshold", F64), ("log2_aFC", F64)),
        description="top cis-eQTL per gene per tissue",
    ),
    FileKind(
        "eqtls_indep",
        "eqtl/eqtls_indep.{version}_{genome}.tsv",
        "long",
        tables=("eqtls_indep",),
        columns=_cols(("tissue", S), ("gene_id", S), *_QTL, ("rank", I32), ("log2_aFC", F64)),
        description="conditionally independent cis-eQTLs",
    ),
    FileKind(
        "gene_esnps",
        "eqtl/all_gene_esnps.{version}.zip",
        "zip",
        tables=("gene_esnps",),
        columns=_cols(
            ("variantId", "variant_id", S),
            ("pValue", "pval_nominal", F64),
            ("nes", "slope", F64),
            ("chromosome", "chrom", S),
            ("pos", I32),
            ("tissueSiteDetailId", "tissue", S),
        ),
        member=r"^all_gene_esnps\.v\d+/(?P<gene_id>[^/]+)\.txt$",
        description="per-gene significant eQTL pairs, all tissues (zip of TSVs)",
        linked=False,
    ),
    FileKind(
        "xqtl_top_assoc",
        "xqtl/top_assoc.{modality}.{version}_{genome}.tsv",
        "long",
        tables=("xqtl_top_assoc",),
        columns=_cols(("tissue", S), ("phenotype_id", S), ("gene_id", S), *_QTL, ("qval", F64),
                      ("pval_nominal_threshold", F64)),
        partition=("version", "modality"),
        expand=("modality",),
        description="top cis-xQTL per gene per tissue, one modality",
    ),
    FileKind(
        "xqtls_indep",
        "xqtl/xqtls_indep.{modality}.{version}_{genome}.tsv",
        "long",
        tables=("xqtls_indep",),
        columns=_cols(("tissue", S), ("phenotype_id", S), ("gene_id", S), *_QTL, ("rank", I32)),
        partition=("version", "modality"),
        expand=("modality",),
        description="independent cis-xQTLs, one modality",
    ),
    FileKind(
        "xqtl_top_assoc_cross_modality",
        "xqtl/top_assoc.cross_modality.{version}_{genome}.tsv",
        "long",
        tables=("xqtl_top_assoc_cross_modality",),
        columns=_cols(("tissue", S), ("modality", S), ("phenotype_id", S), ("gene_id", S), *_QTL,
                      ("qval", F64), ("pval_nominal_threshold", F64)),
        description="top cis-xQTL per gene per tissue across modalities",
    ),
    FileKind(
        "xqtls_indep_cross_modality",
        "xqtl/xqtls_indep.cross_modality.{version}_{genome}.tsv",
        "long",
        tables=("xqtls_indep_cross_modality",),
        columns=_cols(("tissue", S), ("modality", S), ("phenotype_id", S), ("gene_id", S), *_QTL,
                      ("rank", I32)),
        description="independent cis-xQTLs across modalities",
    ),
    FileKind(
        "cis_qtl_signif",
        "xqtl/cis_qtl_signif.{tissue}.{modality}.{version}_{genome}.txt.gz",
        "long",
        tables=("cis_qtl_signif",),
        columns=_SIGNIF,
        partition=("version", "tissue", "modality"),
        expand=("tissue", "modality"),
        description="all significant cis pairs of a tissue and modality",
    ),
    FileKind(
        "trans_qtl_pairs",
        "xqtl/trans_qtl_pairs.{tissue}.expression.{version}_{genome}.txt.gz",
        "long",
        tables=("trans_qtl_pairs",),
        columns=_cols(("variant_id", S), ("phenotype_id", S), ("pval", F64), ("slope", F64),
                      ("slope_se", F64), ("af", F64)),
        partition=("version", "tissue", "modality"),
        fixed=(("modality", "expression"),),
        expand=("tissue",),
        description="trans associations p < 1e-5, > 5 Mb from the TSS",
    ),
    FileKind(
        "cis_pvals",
        "cis_pvals/{tissue}.{version}.zip",
        "zip",
        tables=("cis_pvals",),
        columns=_cols(("variant_id", S), ("pval_nominal", F64)),
        partition=("version", "tissue"),
        member=r"^[A-Za-z0-9]+\.v\d+/(?P<gene_id>[^/]+)\.txt$",
        expand=("tissue",),
        description="nominal p-values of every tested cis pair (zip of per-gene TSVs)",
        linked=False,
    ),
    FileKind(
        "phenotype_stats",
        "predict/phenotype_stats.tsv.gz",
        "skip",
        skip_reason="prediction models: not part of the catalog yet",
    ),
    FileKind(
        "predictions",
        "predict/pred-{dataset}-{tissue}-{any}.tsv.gz",
        "skip",
        skip_reason="predicted phenotypes: not part of the catalog yet",
    ),
)

KINDS_BY_NAME: dict[str, FileKind] = {k.name: k for k in KINDS}


@dataclass(frozen=True)
class Match:
    """A file name matched to a kind, with the partition values its name carries."""

    kind: FileKind
    values: dict[str, str]

    @property
    def partition(self) -> dict[str, str]:
        """Partition key -> value (strings as in the hive directory names)."""
        vals = dict(self.values)
        vals.update(dict(self.kind.fixed))
        out = {}
        for key in self.kind.partition:
            if key == "normalized":  # the file name says norm/unnorm; the table a boolean
                out[key] = "true" if vals.get("norm") == "norm" else "false"
            else:
                out[key] = vals[key]
        return out


def match(path: str | PurePosixPath) -> Match | None:
    """Match a file name (any directory layout) against the registry.

    Returns ``None`` when no kind matches. Raises :class:`UnknownFileKind` when a kind matches
    but the name carries a version or tissue this release vocabulary does not know.
    """
    name = PurePosixPath(str(path)).name
    for kind in KINDS:
        m = kind.regex.match(name)
        if not m:
            continue
        values = {k: v for k, v in m.groupdict().items() if v is not None}
        if kind.name == "vcf" or kind.name == "vcf_index":
            dm = re.match(r"^ratgtex_(v\d+)", values.get("dataset", ""))
            values["version"] = dm.group(1) if dm else _version_for_genome(values["genome"])
        version = values.get("version")
        if version is not None and version not in TISSUES:
            raise UnknownFileKind(
                f"{path}: unknown release version {version!r} "
                f"(known: {', '.join(sorted(TISSUES))})"
            )
        tissue = values.get("tissue")
        if tissue is not None and kind.name != "predictions" and tissue not in TISSUES[version]:
            raise UnknownFileKind(
                f"{path}: unknown tissue {tissue!r} for {version} "
                f"(known: {', '.join(TISSUES[version])})"
            )
        return Match(kind, values)
    return None


def _version_for_genome(genome: str) -> str:
    return {"rn6": "v1", "rn7": "v3", "rn8": "v4"}.get(genome, LATEST_VERSION)


def release_paths(version: str = LATEST_VERSION, tissues: list[str] | None = None) -> list[str]:
    """Every path of a release (relative to ``data/{version}/``) that the registry can name.

    The VCF is named after the version's genotype dataset; prediction files are left out.
    """
    out: list[str] = []
    for kind in KINDS:
        if kind.name in ("predictions", "phenotype_stats"):
            continue
        if kind.name in ("vcf", "vcf_index"):
            out.append(kind.filename(dataset=VCF_DATASETS[version], version=version))
            continue
        out.extend(kind.paths(version, tissues))
    return out


#: Genotype dataset (VCF) name of each version's current release (release-format 3.12).
VCF_DATASETS: dict[str, str] = {"v4": "ratgtex_v4_round11_2"}
