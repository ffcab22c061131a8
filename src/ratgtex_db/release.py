"""The release vocabulary (release-format.md section 1.1): versions, genomes, tissues,
modalities, normalisations, units and NA tokens.

Kept apart from the registry, which needs pyarrow for its schemas, so that resolving a
modality or tissue name in a query loads nothing heavy.
"""

from __future__ import annotations

#: Genome tag of each version's coordinate-bearing files.
GENOMES: dict[str, str] = {"v1": "rn6", "v2": "rn7", "v3": "rn7", "v4": "rn8"}

#: Tissue IDs used in file names, per version (merged IDs for v4; sub-datasets live in tables).
TISSUES: dict[str, tuple[str, ...]] = {
    "v1": ("Adipose", "BLA", "Brain", "Eye", "IL", "LHb", "Liver", "NAcc1", "NAcc2", "OFC",
           "PL1", "PL2"),
    "v2": ("Adipose", "BLA", "Brain", "Eye", "IL", "LHb", "Liver", "NAcc1", "NAcc2", "OFC",
           "PL1", "PL2"),
    "v3": ("Adipose", "BLA", "Brain", "Eye", "IL", "LHb", "Liver", "NAcc", "OFC", "PL", "pVTA",
           "RMTg", "NAcc1", "NAcc2", "NAcc3", "PL1", "PL2", "PL3"),
    "v4": ("Adipose", "BLA", "Brain", "Eye", "IC", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
           "pVTA", "RMTg"),
}

#: The 11 tissues of the public v4 download page (no Adipose/Liver).
DOWNLOAD_PAGE_TISSUES_V4 = ("BLA", "Brain", "Eye", "IC", "IL", "LHb", "NAcc", "OFC", "PL",
                            "pVTA", "RMTg")

#: Sub-datasets of merged v4 tissues with their sample counts (release-format 2.1).
SUB_DATASETS_V4: dict[str, tuple[tuple[str, int], ...]] = {
    "NAcc": (("NAcc1", 77), ("NAcc2", 191), ("NAcc3", 159), ("NAcc4", 143)),
    "PL": (("PL1", 82), ("PL2", 192), ("PL3", 130)),
    "pVTA": (("pVTA1", 152), ("pVTA2", 141)),
}

MODALITIES: tuple[str, ...] = ("expression", "isoforms", "splicing", "alt_TSS", "alt_polyA",
                               "stability")
CROSS_MODALITY = "cross_modality"
NORMS: tuple[str, ...] = ("unnorm", "norm")
UNITS_V4: tuple[str, ...] = ("log2", "tpm")
#: Expression BED units in file names, per version (release-format 5.1); the ``unit`` column
#: spells ``iqn.filtered`` as ``iqn_filtered``.
UNITS: dict[str, tuple[str, ...]] = {
    "v1": ("log2", "tpm", "iqn", "iqn.filtered"),
    "v2": ("log2", "tpm", "iqn", "iqn.filtered"),
    "v3": ("log2", "tpm", "iqn", "iqn.filtered"),
    "v4": UNITS_V4,
}
VERSIONS: tuple[str, ...] = ("v1", "v2", "v3", "v4")
OLD_VERSIONS: tuple[str, ...] = ("v1", "v2", "v3")
LATEST_VERSION = "v4"

#: Assembly and annotation of each version (release-format 1.1).
ANNOTATIONS: dict[str, tuple[str, str]] = {
    "v1": ("Rnor_6.0", "Ensembl 99"),
    "v2": ("mRatBN7.2", "Ensembl 108"),
    "v3": ("mRatBN7.2", "RefSeq"),
    "v4": ("GRCr8", "RefSeq (GCF_036323735.1)"),
}

#: Versions whose gene ids are Ensembl ids (the gene table adds the symbol); v3/v4 use RefSeq
#: gene ids, which are symbols (release-format 2.2).
ENSEMBL_VERSIONS: tuple[str, ...] = ("v1", "v2")

#: Tissue labels of the pre-2025 site for v1/v2 (release-format 5.1: today's pages show NAcc1
#: and PL1 for the old NAcc and PL, and whether the files were renamed is unverified): a file
#: or column saying the old label is read as the new one.
TISSUE_ALIASES: dict[str, dict[str, str]] = {
    "v1": {"NAcc": "NAcc1", "PL": "PL1"},
    "v2": {"NAcc": "NAcc1", "PL": "PL1"},
}


def canonical_tissue(version: str, tissue: str) -> str:
    """The tissue id a version's views use for a label its files may carry."""
    return TISSUE_ALIASES.get(version, {}).get(tissue, tissue)


#: v3 tissues shipped unmerged beside the merged NAcc and PL (release-format 5.1).
UNMERGED_V3: tuple[str, ...] = ("NAcc1", "NAcc2", "NAcc3", "PL1", "PL2", "PL3")

# --- study data archives (release-format 10) ------------------------------------------------
# Each group of the "Study data" page is its own source, told apart by ``version`` =
# ``study:{group}``; its files carry no version in their names: the group comes from the folder
# they sit in (``.../studies/{group}/{file}``, or any folder named exactly like the group).

#: The study groups, in the order of the download page.
STUDY_GROUPS: tuple[str, ...] = ("IL_LHb_NAcc_OFC_PL", "Eye", "Y_MT", "HPC_F2")
STUDY_PREFIX = "study:"
STUDY_VERSIONS: tuple[str, ...] = tuple(STUDY_PREFIX + g for g in STUDY_GROUPS)
STUDY_NAR, STUDY_EYE, STUDY_Y_MT, STUDY_HPC_F2 = STUDY_VERSIONS

GENOMES.update({STUDY_NAR: "rn6", STUDY_EYE: "rn6", STUDY_Y_MT: "rn7", STUDY_HPC_F2: "rn6"})
TISSUES.update({
    STUDY_NAR: ("IL", "LHb", "NAcc", "OFC", "PL"),
    STUDY_EYE: ("Eye",),
    STUDY_Y_MT: ("BLA", "Brain", "Eye", "IL", "LHb", "NAcc", "NAcc2", "OFC", "PL", "PL2"),
    STUDY_HPC_F2: ("HPC",),
})
#: Expression units of each study's matrices (``unit`` column spelling): the NAR BEDs'
#: ``inv-quant`` is ``iqn``; its gene x library matrices are ``raw_count`` / ``raw_tpm``.
UNITS.update({
    STUDY_NAR: ("log2", "iqn", "raw_count", "raw_tpm"),
    STUDY_EYE: ("log2", "tpm", "iqn", "iqn.filtered"),
    STUDY_Y_MT: ("log2", "iqn", "tpm"),
    STUDY_HPC_F2: (),
})
ANNOTATIONS.update({
    STUDY_NAR: ("Rnor_6.0", "Ensembl (release not stated)"),
    STUDY_EYE: ("Rnor_6.0", "Ensembl (release not stated)"),
    STUDY_Y_MT: ("mRatBN7.2", "Ensembl 108"),
    STUDY_HPC_F2: ("Rnor_6.0", "Ensembl (release not stated)"),
})
#: NAR library ids are ``{rfid}_{region}``; the region codes -> the study's tissue labels.
STUDY_REGIONS: dict[str, str] = {"IL": "IL", "LHB": "LHb", "Acbc": "NAcc", "VoLo": "OFC",
                                 "PL": "PL"}


def is_study(version: str | None) -> bool:
    """True for a study source's version (``study:{group}``)."""
    return bool(version) and str(version).startswith(STUDY_PREFIX)


#: Tokens read as NULL in every text file: readr writes 'NA', pandas an empty field
#: (release-format 7.2); 'nan'/'NaN' are pandas/numpy spellings of a missing double.
NA_TOKENS: tuple[str, ...] = ("", "NA", "NaN", "nan")
