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
    STUDY_EYE,
    STUDY_GROUPS,
    STUDY_HPC_F2,
    STUDY_NAR,
    STUDY_PREFIX,
    STUDY_Y_MT,
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
    NULL; ``absent``, when set, is the note the ingest records for such a file); ``aliases``
    are other header names of the same column (e.g. tensorQTL's ``maf`` for ``af``), and
    ``alias_note``, when set, is the note the ingest records for a file whose header names the
    column by an alias. A column whose ``name`` is empty is accepted in the header and not
    stored.
    """

    source: str
    name: str
    type: pa.DataType
    optional: bool = False
    aliases: tuple[str, ...] = ()
    absent: str = ""
    alias_note: str = ""

    @property
    def dropped(self) -> bool:
        return not self.name

    @property
    def required(self) -> bool:
        """Every row has a value here: an empty field or ``NA`` is a broken line, not a NULL
        (see :data:`REQUIRED_IDS`)."""
        return self.name in REQUIRED_IDS and not self.optional


#: Contract names of the id columns that no release file leaves empty: the key ids of every
#: table (architecture 3) and the ids release-format 3 declares "null: no" (gene, phenotype
#: and variant ids, the tissue of aggregated tables, exon, covariate and rat ids). The one
#: place the rule lives: :attr:`Col.required` applies it to every declared column that a file
#: must have (an optional column may be absent, and then it is NULL in every row).
REQUIRED_IDS: frozenset[str] = frozenset({
    "gene_id", "phenotype_id", "variant_id", "tissue", "modality", "exon_id", "covariate",
    "rat_id",
})


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


def _opt(source: str, name: str | None = None, typ: pa.DataType = S, absent: str = "") -> Col:
    """A column files of the kind may or may not have (``absent``: the note when one lacks
    it)."""
    return Col(source, source if name is None else name, typ, optional=True, absent=absent)


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
    - ``zip``: every member a small TSV with ``columns``; ``member`` is the regular
      expression of member names, its ``gene_id`` group the gene, with ``{version}`` and
      ``{tissue}`` standing for the archive's own (its file name's) values;
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
    #: Field separator of a text file: tab for every release file; ``,`` for a CSV (then
    #: fields may be double-quoted, as R's write.csv writes them).
    delimiter: str = "\t"
    #: The file's ``tissue`` column (if it has one) holds tissue ids of its version, as file
    #: names do (release-format 4: tissue <-> tissue_info); False for the samples table,
    #: whose ``tissue`` is the sub-dataset label (NAcc1..NAcc4, ...; release-format 2.1).
    release_tissues: bool = True
    regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", _template_regex(PurePosixPath(self.template).name))

    @property
    def table(self) -> str | None:
        return self.tables[0] if self.tables else None

    @property
    def study(self) -> bool:
        """A kind of the study data archives (release-format 10): its files' names carry no
        version; the study group comes from their folder."""
        return all(v.startswith(STUDY_PREFIX) for v in self.versions)

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
#: stored (it is the distance to the BED start, not to the TSS). The v3 about page documents
#: 10 columns: a file with ``start_distance`` and no ``tss_distance`` is read with the TSS
#: distance NULL (and a note), not refused.
_SIGNIF_STATS_OLD = (
    ("variant_id", S),
    _opt("tss_distance", typ=I32, absent=(
        "the file has no tss_distance column (a v3 file may have only tensorQTL's "
        "start_distance, the distance to the BED start, not strand-aware, which is not stored; "
        "release-format 5.2)")),
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

# --- study data archives (release-format 10): column declarations ---------------------------

#: Types of the study tables' column names (section 10 spells the statistics as tensorQTL).
_STUDY_TYPES: dict[str, pa.DataType] = {
    "num_var": I32, "pos": I32, "tss_distance": I32, "ma_samples": I32, "ma_count": I32,
    "rank": I32, "group_size": I32, "sid_pos": I32,
    **{c: F64 for c in ("af", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
                        "pval_nominal_threshold", "log2_aFC", "beta_shape1", "beta_shape2",
                        "true_df", "pval_true_df", "pval_perm", "log2_aFC_ASE",
                        "log2_aFC_lower", "log2_aFC_upper", "log2_aFC_alt_ref",
                        "log2_aFC_bLR_bHR", "z_eQTL", "z_GWAS", "T_SMR", "p_SMR")},
}


#: tensorQTL <= 1.0.5 wrote ``maf``, the minor-allele frequency, where later versions write
#: ``af``, the ALT allele frequency (release-format 3.13, 10): read into ``af``, and said.
MAF_NOTE = ("af holds the file's maf column as written (tensorQTL <= 1.0.5's minor-allele "
            "frequency, not the ALT allele frequency that af means in later files)")


def _study_cols(spec: str) -> tuple[Col, ...]:
    """Columns from a space-separated header spec: ``name`` (stored as is), ``src>name``
    (renamed), ``-name`` (accepted, not stored). ``af`` also accepts ``maf``."""
    out = []
    for word in spec.split():
        if word.startswith("-"):
            out.append(_drop(word[1:]))
            continue
        source, _, name = word.partition(">")
        name = name or source
        typ = _STUDY_TYPES.get(source, _STUDY_TYPES.get(name, S))
        if source == "af":
            out.append(Col(source, name, typ, aliases=("maf",), alias_note=MAF_NOTE))
        else:
            out.append(Col(source, name, typ))
    return tuple(out)


_STUDY_BED = _cols(("#chr", "chrom", S), ("start", "start", I32), ("end", "tss", I32),
                   ("gene_id", "phenotype_id", S))
_STUDY_BED_NAR = (Col("#chr", "chrom", S), Col("start", "tss", I32), _drop("end"),
                  Col("gene_id", "phenotype_id", S))
_STUDY_TOP_ANNOTATED = _study_cols(
    "gene_id gene_name num_var variant_id chrom pos ref alt af tss_distance pval_nominal slope "
    "slope_se pval_beta qval pval_nominal_threshold log2_aFC")
#: tensorQTL signif (10 columns, ``phenotype_id`` first; ``gene_id`` accepted as in v1).
_STUDY_SIGNIF = (Col("phenotype_id", "phenotype_id", S, aliases=("gene_id",)),
                 *_study_cols("variant_id tss_distance af ma_samples ma_count pval_nominal "
                              "slope slope_se pval_nominal_threshold"))
_STUDY_COLOCS = _study_cols("gene_id gene_name variant_id z_eQTL trait z_GWAS T_SMR p_SMR")

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
        release_tissues=False,
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
        member=r"^all_gene_esnps\.{version}/(?P<gene_id>.+)\.txt$",
        description="per-gene significant eQTL pairs, all tissues (zip of TSVs)",
        linked=False,
        forms=(Form(("v3",), "singleTissueEqtl.{version}.zip",
                    member=r"^singleTissueEqtl\.{version}/(?P<gene_id>.+)\.txt$",
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
        member=r"^{tissue}\.{version}/(?P<gene_id>.+)\.txt$",
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
    # --- study data archives (release-format 10) ---------------------------------------------
    # Each group is its own source, version ``study:{group}``, read from the folder its files
    # sit in (see :func:`study_folder`); columns are bound by header name, so the 2025 refactors'
    # ``chrom, pos, variant_id`` order binds as well as the posted ``variant_id, chrom, pos``,
    # and tensorQTL <= 1.0.5's ``maf`` is accepted for ``af``. What the views do not store is
    # declared dropped here, with the reason; README "Study data" lists the mapping.
    FileKind(
        "study_vcf",
        "P50.rnaseq.88.unpruned.vcf.gz",
        "vcf",
        tables=("variants", "genotype_rows", "genotype_samples"),
        partition=("version", "dataset"),
        fixed=(("dataset", "P50.rnaseq.88.unpruned"),),
        description="genotypes of the NAR 2022 rats (dataset = file stem)",
        versions=(STUDY_NAR,),
        forms=(Form((STUDY_EYE,), "eyes.vcf.gz", fixed=(("dataset", "eyes"),),
                    description="genotypes of the Eye study's rats (dataset = file stem)"),),
    ),
    FileKind(
        "study_sample_metadata",
        "metadata_p50_hao_chen_2014.csv",
        "study_metadata",
        tables=("study_sample_metadata",),
        # The named columns of section 10; the 24 others (not documented one by one) are kept
        # as one JSON object per library in ``fields``.
        columns=_study_cols("library rfid>rat_id brain_region sequencing_batch QC_pass>qc_pass"),
        delimiter=",",
        description="per-library sample metadata of the NAR study (CSV)",
        versions=(STUDY_NAR,),
    ),
    FileKind(
        "study_raw_expression",
        "ensembl-gene_raw-counts.txt",
        "raw_matrix",
        tables=("expression_raw",),
        partition=("version", "unit"),
        fixed=(("unit", "raw_count"),),
        description="gene x library raw read counts (header: library ids only)",
        versions=(STUDY_NAR,),
        forms=(Form((STUDY_NAR,), "ensembl-gene_raw-tpm.txt", fixed=(("unit", "raw_tpm"),),
                    description="gene x library TPM (header: library ids only)"),),
    ),
    FileKind(
        "study_expr",
        # NAR BEDs: start = the 1-based TSS, end = TSS + 1 (release-format 10), so the TSS is
        # ``start``; ``end`` is not stored. ``inv-quant`` is the inverse-quantile unit 'iqn'.
        "ensembl-gene_log2_{tissue}.bed.gz",
        "bed",
        tables=("expression",),
        columns=_STUDY_BED_NAR,
        partition=("version", "tissue", "unit"),
        fixed=(("unit", "log2"),),
        expand=("tissue",),
        description="NAR log2 expression BED (start = 1-based TSS)",
        versions=(STUDY_NAR,),
        forms=(
            Form((STUDY_NAR,), "ensembl-gene_inv-quant_{tissue}.bed.gz",
                 fixed=(("unit", "iqn"),),
                 description="NAR inverse-quantile expression BED (start = 1-based TSS)"),
            # Eye and Y_MT BEDs: start = TSS - 1, end = TSS (the release convention).
            Form((STUDY_EYE,), "Eye.expr.{unit}.bed.gz", columns=_STUDY_BED,
                 fixed=(("tissue", "Eye"),), expand=("unit",),
                 description="Eye expression BED"),
            Form((STUDY_Y_MT,), "{tissue}.{genome}.expr.log2.bed.gz", columns=_STUDY_BED,
                 description="Y_MT log2 expression BED (Y, MT and unplaced contigs)"),
            Form((STUDY_Y_MT,), "Brain.{genome}.expr.iqn.bed.gz", columns=_STUDY_BED,
                 fixed=(("tissue", "Brain"), ("unit", "iqn")), expand=(),
                 description="Y_MT Brain inverse-quantile expression BED"),
            Form((STUDY_Y_MT,), "Brain.{genome}.expr.tpm.bed.gz", columns=_STUDY_BED,
                 fixed=(("tissue", "Brain"), ("unit", "tpm")), expand=(),
                 description="Y_MT Brain TPM BED"),
        ),
    ),
    FileKind(
        "study_covar",
        "covar.txt",
        "covar",
        tables=("covariates",),
        columns=_cols(("ID", "covariate", S)),
        partition=("version", "tissue", "modality"),
        fixed=(("tissue", "Eye"), ("modality", "expression")),
        description="Eye eQTL covariates (geno_PC1-5, expr_PC1-20 x rats)",
        versions=(STUDY_EYE,),
    ),
    FileKind(
        "study_top_assoc",
        # NAR: ``tss`` (the gene's TSS, a gene fact the study's BEDs carry) is not stored and
        # the file has no tss_distance: NULL (the strand needed to derive it is not in the file).
        "top_assoc.txt",
        "long",
        tables=("top_assoc",),
        columns=_study_cols("tissue gene_id gene_name -tss num_var variant_id chrom pos ref alt "
                            "af pval_nominal slope slope_se pval_beta qval "
                            "pval_nominal_threshold log2_aFC"),
        description="NAR top cis-eQTL per gene and tissue (all tested genes)",
        versions=(STUDY_NAR,),
        forms=(
            Form((STUDY_EYE,), "Eye.top_assoc.txt", columns=_STUDY_TOP_ANNOTATED,
                 fixed=(("tissue", "Eye"),),
                 description="Eye top cis-eQTL per gene (strand-aware tss_distance)"),
            Form((STUDY_HPC_F2,), "f2.top_assoc.txt", columns=_STUDY_TOP_ANNOTATED,
                 fixed=(("tissue", "HPC"),), description="HPC_F2 top cis-eQTL per gene"),
        ),
    ),
    FileKind(
        "study_cis_qtl",
        # tensorQTL map_cis as written (all columns kept), its own table: Eye.top_assoc.txt is
        # the same genes' top_assoc, annotated (gene names, ref/alt, strand-aware tss_distance,
        # aFC), and both in top_assoc would give each gene two rows. Serving these rows in the
        # top_assoc view for a study without that file measured ~2x the time of a top_assoc
        # scan on every release (bench figures in the README); the archive has both files.
        "Eye.cis_qtl.txt.gz",
        "long",
        tables=("study_cis_qtl",),
        columns=_study_cols("phenotype_id num_var beta_shape1 beta_shape2 true_df pval_true_df "
                            "variant_id tss_distance ma_samples ma_count af pval_nominal slope "
                            "slope_se pval_perm pval_beta qval pval_nominal_threshold"),
        fixed=(("tissue", "Eye"),),
        description="Eye tensorQTL cis (permutation) results, one row per gene",
        versions=(STUDY_EYE,),
    ),
    FileKind(
        "study_eqtls_indep",
        "eqtls_indep.txt",
        "long",
        tables=("eqtls_indep",),
        columns=_study_cols("tissue gene_id gene_name -tss num_var variant_id chrom pos ref alt "
                            "af pval_nominal slope slope_se pval_beta rank log2_aFC"),
        description="NAR conditionally independent cis-eQTLs",
        versions=(STUDY_NAR,),
        forms=(
            # tensorQTL cis_independent: the permutation fit's columns are not stored
            # (eqtls_indep has none; study_cis_qtl keeps them for the top eQTLs).
            Form((STUDY_EYE,), "Eye.cis_independent_qtl.txt.gz", columns=_study_cols(
                "phenotype_id>gene_id num_var -beta_shape1 -beta_shape2 -true_df -pval_true_df "
                "variant_id tss_distance -ma_samples -ma_count af pval_nominal slope slope_se "
                "-pval_perm pval_beta rank"),
                fixed=(("tissue", "Eye"),), description="Eye independent cis-eQTLs (tensorQTL)"),
            # HPC_F2: the alt/ref aFC is log2_aFC; the F2 founders' aFC and direction are
            # kept as eqtls_indep columns log2_aFC_bLR_bHR and upregulated_in.
            Form((STUDY_HPC_F2,), "f2.eqtls_indep.txt", columns=_study_cols(
                "gene_id gene_name num_var variant_id chrom pos ref alt af tss_distance "
                "pval_nominal slope slope_se pval_beta rank log2_aFC_alt_ref>log2_aFC "
                "log2_aFC_bLR_bHR upregulated_in"),
                fixed=(("tissue", "HPC"),), description="HPC_F2 independent cis-eQTLs"),
        ),
    ),
    FileKind(
        "study_cis_qtl_signif",
        "Eye.cis_qtl_signif.txt.gz",
        "long",
        tables=("cis_qtl_signif",),
        columns=_STUDY_SIGNIF,
        partition=("version", "tissue", "modality"),
        fixed=(("tissue", "Eye"), ("modality", "expression")),
        description="Eye significant cis pairs (not restricted to eGenes)",
        versions=(STUDY_EYE,),
        forms=(Form((STUDY_HPC_F2,), "f2.cis_qtl_signif.txt.gz",
                    fixed=(("tissue", "HPC"), ("modality", "expression")),
                    description="HPC_F2 significant cis pairs (eGenes only)"),),
    ),
    FileKind(
        "study_xqtl_top_assoc",
        # ``tss`` not stored (the cluster's position; phenotype_id carries its coordinates).
        "top_assoc_splice.txt",
        "long",
        tables=("xqtl_top_assoc",),
        columns=_study_cols("tissue phenotype_id num_var variant_id chrom pos -tss af "
                            "pval_nominal slope slope_se pval_beta group_id>gene_id group_size "
                            "qval pval_nominal_threshold"),
        partition=("version", "modality"),
        fixed=(("modality", "splicing"),),
        gene_rule="leafcutter",
        description="NAR top cis-sQTL per gene and tissue",
        versions=(STUDY_NAR,),
    ),
    FileKind(
        "study_xqtls_indep",
        "sqtls_indep.txt",
        "long",
        tables=("xqtls_indep",),
        columns=_study_cols("tissue phenotype_id num_var variant_id chrom pos -tss af "
                            "pval_nominal slope slope_se pval_beta group_id>gene_id group_size "
                            "rank"),
        partition=("version", "modality"),
        fixed=(("modality", "splicing"),),
        gene_rule="leafcutter",
        description="NAR independent cis-sQTLs",
        versions=(STUDY_NAR,),
    ),
    FileKind(
        "study_ase_afc",
        "ASE_aFC.txt",
        "long",
        tables=("study_ase_afc",),
        columns=_study_cols("tissue gene_id variant_id log2_aFC_ASE"),
        description="NAR allelic fold change from allele-specific expression",
        versions=(STUDY_NAR,),
    ),
    FileKind(
        "study_afc",
        "Eye.aFC.txt",
        "long",
        tables=("study_afc",),
        columns=_study_cols("pid>gene_id sid>variant_id sid_chr>chrom sid_pos>pos log2_aFC "
                            "log2_aFC_lower log2_aFC_upper"),
        fixed=(("tissue", "Eye"),),
        description="Eye allelic fold change with its bounds",
        versions=(STUDY_EYE,),
    ),
    FileKind(
        "study_top_eqtls",
        "Eye.top_eQTLs.txt",
        "skip",
        skip_reason="subset: the rows of Eye.top_assoc.txt below the significance threshold, "
                    "without qval (release-format 10); top_assoc holds them all",
        versions=(STUDY_EYE,),
    ),
    FileKind(
        "study_colocs",
        "colocs.tsv",
        "long",
        tables=("study_colocs",),
        columns=_STUDY_COLOCS,
        fixed=(("tissue", "HPC"),),
        description="HPC_F2 SMR colocalisation of eQTLs and GWAS traits",
        versions=(STUDY_HPC_F2,),
    ),
    FileKind(
        "study_colocs_sig",
        "colocs_sig.tsv",
        "long",
        tables=("study_colocs_sig",),
        columns=_STUDY_COLOCS,
        fixed=(("tissue", "HPC"),),
        description="HPC_F2 significant colocalisations (p_SMR < 0.05/n per trait); the "
                    "study_colocs view flags them",
        versions=(STUDY_HPC_F2,),
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


def study_folder(path: str | PurePosixPath) -> str | None:
    """The study source (``study:{group}``) named by the nearest folder above the file that is
    called exactly like a study group (``.../studies/Eye/covar.txt`` -> ``study:Eye``)."""
    parts = PurePosixPath(str(path)).parts[:-1]
    group = next((p for p in reversed(parts) if p in STUDY_GROUPS), None)
    return STUDY_PREFIX + group if group else None


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
            if kind.study:
                group = study_folder(text)
                if group is None:  # a study file's name outside a study folder: not ours
                    continue
                values["version"] = group
            elif declared.layout == "vcf" or declared.name == "vcf_index":
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
            if folder and folder != version and folder in TISSUES and not kind.study:
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
        if kind.study:
            raise UnknownFileKind(
                f"{text}: named like a {kind.name} file of {', '.join(kind.versions)}, but it "
                f"is in the folder of {version}; move it to its group's folder "
                "(studies/{group}/)")
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
