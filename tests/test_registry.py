"""The file-kind registry: names match, partitions parse, bad names are explained."""

from __future__ import annotations

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
