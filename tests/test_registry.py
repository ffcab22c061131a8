"""The file-kind registry: names match, partitions parse, bad names are explained."""

from __future__ import annotations

import re

import pytest

from ratgtex_db.errors import UnknownFileKind
from ratgtex_db.registry import KINDS, TISSUES, match, release_paths
from ratgtex_db.tables import TABLES


def test_every_v4_path_matches_its_own_kind():
    """Each path the registry names for v4 is matched back to the kind that named it."""
    paths = release_paths("v4")
    assert len(paths) == 432  # release-format 1.2: "Total ~ 432 files"
    for path in paths:
        m = match(path)
        assert m is not None, path
        assert m.kind.filename(**{k: v for k, v in m.values.items()}) .endswith(
            path.rsplit("/", 1)[-1])


def test_partition_values_come_from_the_name():
    """Tissue, modality and normalisation are parsed from the file name."""
    m = match("whatever/dir/phenos.pVTA.alt_polyA.norm.v4_rn8.bed.gz")
    assert m.kind.name == "phenos"
    assert m.partition == {"version": "v4", "tissue": "pVTA", "modality": "alt_polyA",
                           "normalized": "true"}
    m = match("trans_qtl_pairs.BLA.expression.v4_rn8.txt.gz")
    assert m.partition == {"version": "v4", "tissue": "BLA", "modality": "expression"}
    m = match("top_assoc.cross_modality.v4_rn8.tsv")
    assert m.kind.name == "xqtl_top_assoc_cross_modality"
    m = match("top_assoc.v4_rn8.tsv")
    assert m.kind.name == "top_assoc"


@pytest.mark.parametrize(
    "name, words",
    [
        ("cis_qtl_signif.Kidney.expression.v4_rn8.txt.gz", ["unknown tissue", "Kidney"]),
        ("cis_qtl_signif.BLA.expression.v9_rn8.txt.gz", ["unknown release version", "v9"]),
    ],
)
def test_unknown_tissue_or_version_is_an_error(name, words):
    """A name that parses to a version or tissue we do not know is refused, not guessed."""
    with pytest.raises(UnknownFileKind) as err:
        match(name)
    for w in words:
        assert w in str(err.value)


def test_unrelated_names_match_nothing():
    assert match("notes.txt") is None
    assert match("cis_qtl_signif.BLA.notamodality.v4_rn8.txt.gz") is None


def test_every_kind_targets_declared_tables():
    """One place per fact: every target table of a kind is declared in tables.py."""
    for kind in KINDS:
        for t in kind.tables:
            assert t in TABLES, (kind.name, t)
        if kind.layout != "skip":
            assert kind.tables, kind.name
        else:
            assert kind.skip_reason


def test_v4_has_thirteen_tissues():
    assert len(TISSUES["v4"]) == 13


def test_old_versions_are_read_from_name_or_folder():
    """release-format 5.1: versions from names (.v2_rn7, ratgtex_v3_...) or data/{v}/ folders."""
    assert match("data/v2/geno/BLA_NAcc2_PL2.rn7.vcf.gz").version == "v2"
    assert match("Adipose_Liver.rn6.vcf.gz").version == "v1"
    assert match("geno/ratgtex_v3_round10_4.rn7.vcf.gz").version == "v3"
    m = match("expr/expr.iqn.filtered.BLA.v3_rn7.bed.gz")
    assert m.partition == {"version": "v3", "tissue": "BLA", "unit": "iqn_filtered"}
    assert match("splice/covar_splice.PL2.v1.txt").partition["modality"] == "splicing"
    assert match("singleTissueEqtl.v3.zip").kind.name == "gene_esnps"
    # the pre-2025 labels NAcc / PL of v1/v2 are today's NAcc1 / PL1
    assert match("expr.log2.NAcc.v1_rn6.bed.gz").partition["tissue"] == "NAcc1"


@pytest.mark.parametrize("name, words", [
    ("data/v2/gene.v3.txt", "v2 folder"),
    ("top_assoc.v3_rn6.txt", "genome tag 'rn6'"),
    ("gene.v4.txt", "gene.{version}.tsv"),
    ("data/v3/geno/ratgtex_v4_round11_2.rn8.vcf.gz", "v3 folder"),
])
def test_old_version_mismatches_are_named(name, words):
    with pytest.raises(UnknownFileKind, match=re.escape(words)):
        match(name)
