"""The file-kind registry: one frozen :class:`FileKind` per release file kind.

A kind declares, in one place, the file's path template (from which both the name-matching
regular expression and the download/synthetic file lists are derived), how to read it, its
typed columns (source header name -> contract name and Arrow type), its target table(s) and the
partition values taken from the file name. See release-format.md sections 1.2 and 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
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
    UNITS,
    UNITS_V4,
    VERSIONS,
    canonical_tissue,
)
from ratgtex_db.tables import F64, I32, QTL_STATS, B, S

#: Regular expression of each template placeholder.
PLACEHOLDERS: dict[str, str] = {
    "version": r"v\d+",
    "genome": r"rn\d+",
    "tissue": r"[A-Za-z0-9]+",
    "modality": "|".join(MODALITIES),
    "norm": "|".join(NORMS),
    "unit": r"log2|tpm|iqn\.filtered|iqn",
    "dataset": r"[A-Za-z0-9_]+",
    "any": r"[^/]+",
}

ALL_VERSIONS = VERSIONS


@dataclass(frozen=True)
class Col:
    """One declared source column: its header name, contract name and Arrow type.

    ``optional`` columns may be absent from a file's header (then the contract column is
    NULL); ``aliases`` are other header names of the same column (e.g. tensorQTL's ``maf``
    for ``af``). A column whose ``name`` is empty is accepted in the header and not stored.
    """

    source: str
    name: str
    type: pa.DataType
    optional: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def dropped(self) -> bool:
        return not self.name


def _cols(*specs: tuple[str, str, pa.DataType] | tuple[str, pa.DataType] | Col
          ) -> tuple[Col, ...]:
    out = []
    for spec in specs:
        if isinstance(spec, Col):
            out.append(spec)
        elif len(spec) == 2:
            out.append(Col(spec[0], spec[0], spec[1]))  # type: ignore[arg-type]
        else:
            out.append(Col(*spec))  # type: ignore[arg-type]
    return tuple(out)


def _opt(source: str, name: str | None = None, typ: pa.DataType = S) -> Col:
    """A column files of the kind may or may not have."""
    return Col(source, source if name is None else name, typ, optional=True)


def _drop(source: str) -> Col:
    """A column that files may carry and that is not stored (the reason is at the use)."""
    return Col(source, "", S, optional=True)


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


#: How a table's ``gene_id`` follows from ``phenotype_id`` (release-format 2.4):
#: ``pantry`` = text before the first ``__`` (v4; the whole id when there is none);
#: ``leafcutter`` = text after the last ``:`` (v1-v3 splice ids ``chr:start:end:clu_N:gene``).
GENE_RULES = ("pantry", "leafcutter")


@dataclass(frozen=True)
class Form:
    """How a kind's files look in some versions: their path template, columns and the values
    their names imply. Unset fields (None) are the kind's own (its v4 form)."""

    versions: tuple[str, ...]
    template: str
    columns: tuple[Col, ...] | None = None
    fixed: tuple[tuple[str, str], ...] | None = None
    member: str | None = None
    gene_rule: str | None = None
    expand: tuple[str, ...] | None = None
    linked: bool | None = None
    description: str | None = None
    strict: bool | None = None


@dataclass(frozen=True)
class FileKind:
    """A release file kind: its v4 form (``template``, ``columns``, ...) for ``versions``,
    and in ``forms`` how its files look in other versions (release-format 5).

    ``layout`` says how rows become table rows:

    - ``long``: one source row, one table row (``columns`` are all the columns);
    - ``bed``: BED matrix, ``columns`` fixed, every other column a sample -> long;
    - ``covar``: covariate rows x sample columns -> long;
    - ``median``: ``geneId`` + one column per tissue -> long;
    - ``gene``: annotation columns + per-tissue flag columns -> two tables;
    - ``rat_ids`` / ``fastq_map``: headerless one- or two/three-field lines;
    - ``zip``: every member a small TSV with ``columns``; ``member`` regex gives ``gene_id``;
    - ``vcf``: genotype VCF (variants + genotypes);
    - ``skip``: recognised but not ingested, ``skip_reason`` says why.

    A :class:`Match` carries the kind resolved to the form its file has (:meth:`at`), so
    readers see one template, one column list and one gene rule.
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
    #: Versions whose files have this (the v4) form.
    versions: tuple[str, ...] = ("v4",)
    #: The forms of other versions.
    forms: tuple[Form, ...] = ()
    gene_rule: str = "pantry"
    #: A header column that is not declared is an error; a form whose columns the document
    #: cannot settle ([UNVERIFIED]) sets ``strict=False``: such columns are read, not stored,
    #: and named in the manifest.
    strict: bool = True
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", _template_regex(PurePosixPath(self.template).name))

    @property
    def table(self) -> str | None:
        return self.tables[0] if self.tables else None

    def resolved(self) -> list[FileKind]:
        """This kind once per form, each with that form's template, columns and versions."""
        out = [self]
        for form in self.forms:
            changes: dict[str, object] = {"template": form.template, "versions": form.versions,
                                          "forms": ()}
            for attr in ("columns", "fixed", "member", "gene_rule", "expand", "linked",
                         "description", "strict"):
                value = getattr(form, attr)
                if value is not None:
                    changes[attr] = value
            out.append(replace(self, **changes))
        return out

    def at(self, version: str) -> list[FileKind]:
        """The resolved forms of this kind that files of ``version`` have."""
        return [k for k in self.resolved() if version in k.versions]

    def filename(self, **values: str) -> str:
        """The release path of one file of this form (used by ``synth`` and ``download``)."""
        values.setdefault("genome", GENOMES.get(values.get("version", ""), "rn8"))
        return self.template.format(**values)

    def paths(self, version: str, tissues: tuple[str, ...] | list[str] | None = None) -> list[str]:
        """Every release path of this kind for a version, expanding tissue/modality/norm/unit."""
        out: list[str] = []
        for form in self.at(version):
            combos: list[dict[str, str]] = [{"version": version}]
            choices = {
                "tissue": tuple(tissues) if tissues is not None else TISSUES[version],
                "modality": MODALITIES,
                "norm": NORMS,
                "unit": UNITS[version],
            }
            for key in form.expand:
                combos = [dict(c, **{key: v}) for c in combos for v in choices[key]]
            out.extend(form.filename(**c) for c in combos)
        return out


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

#: v1-v3 tensorQTL signif files: ``gene_id`` first for eQTLs (the expression phenotype is the
#: gene), ``phenotype_id`` for sQTLs; v3 adds tensorQTL >= 1.0.9's ``start_distance`` and
#: appends the recomputed strand-aware ``tss_distance`` (release-format 5.2, [CODE, verify]):
#: the TSS distance is always the column named ``tss_distance``, ``start_distance`` is not
#: stored (it is the distance to the BED start, not to the TSS).
_SIGNIF_STATS_OLD = (
    ("variant_id", S),
    ("tss_distance", I32),
    _drop("start_distance"),
    ("af", F64),
    ("ma_samples", I32),
    ("ma_count", I32),
    ("pval_nominal", F64),
    ("slope", F64),
    ("slope_se", F64),
    ("pval_nominal_threshold", F64),
)
_OLD_EQTL_ID = Col("gene_id", "phenotype_id", S, aliases=("phenotype_id",))
_OLD_SQTL_ID = Col("phenotype_id", "phenotype_id", S, aliases=("ID",))
_TRANS_STATS = (("pval", F64), ("slope", F64), ("slope_se", F64), ("af", F64))
_V12 = ("v1", "v2")
_V123 = ("v1", "v2", "v3")

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
        forms=(
            Form(_V12, "gene.{version}.txt", columns=_cols(
                ("geneId", "gene_id", S), ("geneSymbol", "gene_symbol", S),
                ("chromosome", "chrom", S), ("start", I32), ("end", I32), ("strand", S),
                ("tss", I32), ("description", S), ("hasEqtl", "has_eqtl", B)),
                description="gene annotation (Ensembl ids + symbols) + per-tissue "
                            "expression/eQTL/splicing flags (wide)"),
            Form(("v3",), "gene.{version}.txt", columns=_cols(
                ("geneId", "gene_id", S), ("geneIdEnsembl", "gene_id_ensembl", S),
                ("chromosome", "chrom", S), ("start", I32), ("end", I32), ("strand", S),
                ("tss", I32), ("description", S), ("hasEqtl", "has_eqtl", B)),
                description="gene annotation (RefSeq symbols + Ensembl ids) + per-tissue "
                            "expression/eQTL/splicing flags (wide)"),
        ),
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
        forms=(Form(("v3",), "exon.{version}.txt", strict=False),),
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
        # v3's API-only table: the v4 columns by name; those the v3 server did not need are
        # optional, and openapi's spelling ``hasEgenes`` is accepted (release-format 5.1, 7.21).
        forms=(Form(("v3",), "tissueInfo.{version}.txt", columns=_cols(
            ("tissueSiteDetailId", "tissue", S),
            _opt("tissueSiteDetailAbbr", "tissue_site_detail_abbr"),
            ("tissueSiteDetail", "tissue_site_detail", S),
            _opt("tissueSite", "tissue_site"),
            ("colorHex", "color_hex", S),
            _opt("colorRgb", "color_rgb"),
            _opt("dataset"),
            _opt("rnaSeqSampleCount", "rna_seq_sample_count", I32),
            _opt("rnaSeqAndGenotypeSampleCount", "rna_seq_and_genotype_sample_count", I32),
            _opt("expressedGeneCount", "expressed_gene_count", I32),
            _opt("eGeneCount", "e_gene_count", I32),
            _opt("datasetId", "dataset_id"),
            Col("hasEGenes", "has_e_genes", B, optional=True, aliases=("hasEgenes",)),
        ), strict=False),),
    ),
    FileKind(
        "autocomplete",
        "autocomplete.{version}.json",
        "skip",
        skip_reason="presentation: the portal's search-box gene list (same ids as gene table)",
        linked=False,
        versions=ALL_VERSIONS,
    ),
    FileKind(
        "rats",
        "ref/RatGTEx_rats.{version}.tsv",
        "long",
        tables=("rats",),
        columns=_cols(("rat_id", S), ("sex", S), ("coatcolor", S), ("tissues", S)),
        description="one row per rat",
        versions=ALL_VERSIONS,
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
        versions=ALL_VERSIONS,
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
        versions=ALL_VERSIONS,
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
        versions=ALL_VERSIONS,
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
        forms=(
            Form(_V123, "covar/covar.{tissue}.{version}.txt", fixed=(("modality", "expression"),),
                 expand=("tissue",), description="covariates of the eQTL mapping"),
            Form(_V123, "splice/covar_splice.{tissue}.{version}.txt",
                 fixed=(("modality", "splicing"),), expand=("tissue",),
                 description="covariates of the sQTL mapping"),
        ),
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
        description="genotypes of all rats (GT only); v1-v3: one VCF per genotype dataset",
        versions=ALL_VERSIONS,
    ),
    FileKind(
        "vcf_index",
        "geno/{dataset}.{genome}.vcf.gz.tbi",
        "skip",
        skip_reason="index: tabix index of the VCF",
        linked=False,
        versions=ALL_VERSIONS,
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
        # v1-v3: four units (iqn.filtered is unit 'iqn_filtered'), the id column is gene_id
        # (Ensembl in v1/v2, symbol in v3) and #chr bare in v1/v2 (release-format 5.2).
        forms=(Form(_V123, "expr/expr.{unit}.{tissue}.{version}_{genome}.bed.gz",
                    columns=_cols(Col("#chr", "chrom", S, aliases=("#Chr",)),
                                  ("start", "start", I32), ("end", "tss", I32),
                                  _OLD_EQTL_ID)),),
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
        # v1-v3 splicing phenotypes: LeafCutter's normalized cluster shares, ids with the
        # gene last (release-format 2.4, 5.2).
        forms=(Form(_V123, "splice/leafcutter.{tissue}.{version}_{genome}.bed.gz",
                    columns=_cols(Col("#Chr", "chrom", S, aliases=("#chr",)),
                                  ("start", "start", I32), ("end", "tss", I32),
                                  Col("ID", "phenotype_id", S, aliases=("phenotype_id",))),
                    fixed=(("modality", "splicing"), ("norm", "norm")), expand=("tissue",),
                    gene_rule="leafcutter",
                    description="LeafCutter splicing phenotypes (normalized)"),),
    ),
    FileKind(
        "median_expression",
        "expr/medianGeneExpression.{version}.tsv.gz",
        "median",
        tables=("median_expression",),
        columns=_cols(("geneId", "gene_id", S)),
        description="gene x tissue median TPM (wide)",
        forms=(Form(_V123, "medianGeneExpression.{version}.txt.gz",
                    description="gene x tissue median TPM (wide; v1/v2 not rounded)"),),
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
        forms=(Form(("v3",), "topExpressedGene.{version}.txt", columns=_cols(
            ("tissueSiteDetailId", "tissue", S),
            ("geneId", "gene_id", S),
            ("median", "median_tpm", F64),
            _opt("chromosome", "chrom"),
            _opt("mtGene", "mt_gene", B),
            _opt("datasetId", "dataset_id"),
            _opt("unit"),
            _drop("geneSymbol"),  # v1-style symbol column: gene_id is the symbol in v3
        ), strict=False),),
    ),
    FileKind(
        "top_assoc",
        "eqtl/top_assoc.{version}_{genome}.tsv",
        "long",
        tables=("top_assoc",),
        columns=_cols(("tissue", S), ("gene_id", S), *_QTL, ("qval", F64),
                      ("pval_nominal_threshold", F64), ("log2_aFC", F64)),
        description="top cis-eQTL per gene per tissue",
        forms=(
            Form(_V12, "eqtl/top_assoc.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("gene_id", S), ("gene_name", S), *_QTL, ("qval", F64),
                ("pval_nominal_threshold", F64), ("log2_aFC", F64))),
            Form(("v3",), "eqtl/top_assoc.{version}_{genome}.txt"),
        ),
    ),
    FileKind(
        "eqtls_indep",
        "eqtl/eqtls_indep.{version}_{genome}.tsv",
        "long",
        tables=("eqtls_indep",),
        columns=_cols(("tissue", S), ("gene_id", S), *_QTL, ("rank", I32), ("log2_aFC", F64)),
        description="conditionally independent cis-eQTLs",
        forms=(
            Form(_V12, "eqtl/eqtls_indep.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("gene_id", S), ("gene_name", S), *_QTL, ("rank", I32),
                ("log2_aFC", F64))),
            Form(("v3",), "eqtl/eqtls_indep.{version}_{genome}.txt"),
        ),
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
        forms=(Form(("v3",), "singleTissueEqtl.{version}.zip",
                    member=r"^singleTissueEqtl\.v\d+/(?P<gene_id>[^/]+)\.txt$",
                    description="per-gene significant eQTL pairs, all tissues (v3 API zip)"),),
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
        # v1-v3 sQTLs (release-format 5.2): gene_id is the group (gene) column.
        forms=(
            Form(_V12, "splice/top_assoc_splice.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("phenotype_id", S), *_QTL, ("gene_id", S), ("gene_name", S),
                ("group_size", I32), ("qval", F64), ("pval_nominal_threshold", F64)),
                fixed=(("modality", "splicing"),), expand=(), gene_rule="leafcutter",
                description="top cis-sQTL per gene per tissue"),
            Form(("v3",), "splice/top_assoc_splice.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("phenotype_id", S), *_QTL, ("gene_id", S),
                ("group_size", I32), ("qval", F64), ("pval_nominal_threshold", F64)),
                fixed=(("modality", "splicing"),), expand=(), gene_rule="leafcutter",
                description="top cis-sQTL per gene per tissue"),
        ),
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
        forms=(
            Form(_V12, "splice/sqtls_indep.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("phenotype_id", S), *_QTL, ("gene_id", S), ("gene_name", S),
                ("group_size", I32), ("rank", I32)),
                fixed=(("modality", "splicing"),), expand=(), gene_rule="leafcutter",
                description="independent cis-sQTLs"),
            Form(("v3",), "splice/sqtls_indep.{version}_{genome}.txt", columns=_cols(
                ("tissue", S), ("phenotype_id", S), *_QTL, ("gene_id", S),
                ("group_size", I32), ("rank", I32)),
                fixed=(("modality", "splicing"),), expand=(), gene_rule="leafcutter",
                description="independent cis-sQTLs"),
        ),
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
        forms=(
            Form(_V123, "eqtl/cis_qtl_signif.{tissue}.{version}_{genome}.txt.gz",
                 columns=_cols(_OLD_EQTL_ID, *_SIGNIF_STATS_OLD),
                 fixed=(("modality", "expression"),), expand=("tissue",),
                 description="all significant cis-eQTL pairs of a tissue"),
            Form(_V123, "splice/splice.cis_qtl_signif.{tissue}.{version}_{genome}.txt.gz",
                 columns=_cols(_OLD_SQTL_ID, *_SIGNIF_STATS_OLD),
                 fixed=(("modality", "splicing"),), expand=("tissue",), gene_rule="leafcutter",
                 description="all significant cis-sQTL pairs of a tissue"),
        ),
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
        forms=(
            Form(_V123, "eqtl/trans_qtl_pairs.{tissue}.{version}_{genome}.txt.gz",
                 columns=_cols(("variant_id", S), _OLD_EQTL_ID, *_TRANS_STATS),
                 description="trans-eQTL associations p < 1e-5"),
            Form(_V123, "splice/splice.trans_qtl_pairs.{tissue}.{version}_{genome}.txt.gz",
                 columns=_cols(("variant_id", S), _OLD_SQTL_ID, *_TRANS_STATS),
                 fixed=(("modality", "splicing"),), gene_rule="leafcutter",
                 description="trans-sQTL associations p < 1e-5"),
        ),
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
        versions=("v3", "v4"),
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
    """A file name matched to a kind (resolved to the form of its version), with the values
    its name (and folder) carry."""

    kind: FileKind
    values: dict[str, str]

    @property
    def version(self) -> str:
        return self.values["version"]

    @property
    def partition(self) -> dict[str, str]:
        """Partition key -> value (strings as in the hive directory names)."""
        vals = dict(self.values)
        vals.update(dict(self.kind.fixed))
        out = {}
        for key in self.kind.partition:
            if key == "normalized":  # the file name says norm/unnorm; the table a boolean
                out[key] = "true" if vals.get("norm") == "norm" else "false"
            elif key == "unit":  # expr.iqn.filtered -> unit 'iqn_filtered'
                out[key] = vals[key].replace(".", "_")
            else:
                out[key] = vals[key]
        return out


_VERSION_DIR = re.compile(r"v\d+")
_DATASET_VERSION = re.compile(r"^ratgtex_(v\d+)_")
#: Genome tag -> version of a VCF whose name and folder do not say: v1 is the only rn6
#: release; v3 and v4 name their datasets ``ratgtex_{version}_...``, so an rn7 cohort VCF
#: (``BLA_NAcc2_PL2.rn7.vcf.gz``) is v2's.
_VCF_GENOME_VERSION = {"rn6": "v1", "rn7": "v2", "rn8": "v4"}


def folder_version(path: str | PurePosixPath) -> str | None:
    """The version named by the nearest folder called ``v1``..``v4`` above the file."""
    parts = PurePosixPath(str(path)).parts[:-1]
    return next((p for p in reversed(parts) if _VERSION_DIR.fullmatch(p)), None)


def _vcf_version(path: str, values: dict[str, str], folder: str | None) -> str:
    dm = _DATASET_VERSION.match(values.get("dataset", ""))
    named = dm.group(1) if dm else None
    if named and folder and named != folder:
        raise UnknownFileKind(f"{path}: the name says {named} but the file is in a {folder} "
                              "folder; move it to its version's folder")
    version = named or folder or _VCF_GENOME_VERSION.get(values["genome"])
    if version is None:
        raise UnknownFileKind(f"{path}: unknown genome tag {values['genome']!r} "
                              f"(known: {', '.join(sorted(set(GENOMES.values())))})")
    return version


def match(path: str | PurePosixPath) -> Match | None:
    """Match a file (any directory layout) against the registry.

    The version comes from the file's name (``.v2_rn7``, ``.v3.txt``, ``ratgtex_v3_...``),
    else from the nearest folder named ``v1``..``v4`` above it (``data/v2/geno/...``). Returns
    ``None`` when no kind matches. Raises :class:`UnknownFileKind` when a kind matches but the
    name carries a version, genome or tissue this release vocabulary does not know, or
    disagrees with its folder.
    """
    text = str(path)
    name = PurePosixPath(text).name
    folder = folder_version(text)
    near: list[tuple[FileKind, str]] = []
    for declared in KINDS:
        for kind in declared.resolved():
            m = kind.regex.match(name)
            if not m:
                continue
            values = {k: v for k, v in m.groupdict().items() if v is not None}
            if declared.layout == "vcf" or declared.name == "vcf_index":
                values["version"] = _vcf_version(text, values, folder)
            version = values.get("version")
            if version is None:  # a name without a version (prediction files)
                version = folder or LATEST_VERSION
                values["version"] = version
            if version not in TISSUES:
                raise UnknownFileKind(
                    f"{text}: unknown release version {version!r} "
                    f"(known: {', '.join(VERSIONS)})"
                )
            if version not in kind.versions:
                near.append((kind, version))
                continue
            if folder and folder != version and folder in TISSUES:
                raise UnknownFileKind(f"{text}: the name says {version} but the file is in a "
                                      f"{folder} folder; move it to its version's folder")
            genome = values.get("genome")
            if genome is not None and genome != GENOMES[version]:
                raise UnknownFileKind(
                    f"{text}: genome tag {genome!r} does not belong to {version} "
                    f"({version} files say {GENOMES[version]!r}); the file is misnamed"
                )
            tissue = values.get("tissue")
            if tissue is not None and declared.name != "predictions":
                tissue = values["tissue"] = canonical_tissue(version, tissue)
            if (tissue is not None and declared.name != "predictions"
                    and tissue not in TISSUES[version]):
                raise UnknownFileKind(
                    f"{text}: unknown tissue {tissue!r} for {version} "
                    f"(known: {', '.join(TISSUES[version])})"
                )
            return Match(kind, values)
    if near:
        kind, version = near[0]
        versions = sorted({v for k, _ in near if k.name == kind.name for v in k.versions})
        spelled = sorted({PurePosixPath(k.template).name
                          for k in KINDS_BY_NAME[kind.name].at(version)})
        hint = f"; {version} names it {' or '.join(spelled)}" if spelled else ""
        raise UnknownFileKind(
            f"{text}: named like a {kind.name} file of {', '.join(versions)}, but it says "
            f"{version}{hint}"
        )
    return None


def release_paths(version: str = LATEST_VERSION, tissues: list[str] | None = None) -> list[str]:
    """Every path of a release (relative to ``data/{version}/``) that the registry can name.

    The VCFs are named after the version's genotype datasets; prediction files are left out.
    """
    out: list[str] = []
    for kind in KINDS:
        if kind.name in ("predictions", "phenotype_stats"):
            continue
        if kind.name in ("vcf", "vcf_index"):
            for form in kind.at(version):
                out.extend(form.filename(dataset=d, version=version)
                           for d in VCF_DATASETS[version])
            continue
        out.extend(kind.paths(version, tissues))
    return out


#: Genotype datasets (VCF names) of each version's release (release-format 3.12, 5.1).
VCF_DATASETS: dict[str, tuple[str, ...]] = {
    "v1": ("Adipose_Liver", "BLA_NAcc2_PL2", "Brain", "Eye", "IL_LHb_NAcc1_OFC_PL1"),
    "v2": ("Adipose_Liver", "BLA_NAcc2_PL2", "Brain", "Eye", "IL_LHb_NAcc1_OFC_PL1"),
    "v3": ("ratgtex_v3_round10_4", "ratgtex_v3_round10_5"),
    "v4": ("ratgtex_v4_round11_2",),
}
