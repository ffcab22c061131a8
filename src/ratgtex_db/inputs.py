"""What users type, parsed: lists, variant ids, regions, modalities, units, and the locus
bounds that let Parquet row groups be skipped. Pure functions: no database here (gene and
tissue names are resolved by :class:`~ratgtex_db.database.Database`, which knows them)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ratgtex_db.errors import QueryError
from ratgtex_db.release import MODALITIES

#: Half-width of the tensorQTL cis window (release-format 3.13, 6.1).
CIS_WINDOW = 1_000_000
#: Units of the expression view that ``expression`` reports.
UNITS: tuple[str, ...] = ("tpm", "log2", "iqn", "iqn_filtered")
#: Upper bound of a whole-chromosome region (INTEGER positions).
MAX_POS = 2**31 - 1


def split_commas(values: str | Iterable[str]) -> list[str]:
    """Repeated values and comma lists alike: ``['a,b', ' c']`` -> ``['a', 'b', 'c']``.

    No id the release uses (genes, phenotypes, variants, tissues, modalities) holds a comma, so
    a comma always separates two values, as in the CLI's ``--gene a,b``.
    """
    items = [values] if isinstance(values, str) else values
    return [x.strip() for v in items for x in str(v).split(",") if x.strip()]


def as_list(value: str | Iterable[str] | None, what: str = "value") -> list[str] | None:
    """A user value as a clean list: a string, a comma list or an iterable of them; ``None`` ->
    ``None`` (all). Duplicates go, the first spelling's order stays.

    Raises
    ------
    QueryError : a value was given but holds nothing (``''``, ``','``, an empty list, an
        empty stdin): it must not read as "no filter" and answer everything.
    """
    if value is None:
        return None
    out: list[str] = []
    for v in split_commas(value):
        if v not in out:
            out.append(v)
    if not out:
        raise QueryError(f"no {what} named: the {what} value is empty (or stdin held none); "
                         f"name at least one {what}, or leave the option out for all")
    return out


_VARIANT_RE = re.compile(r"^(?:chr)?(?P<chrom>[0-9]+|X|Y|M|MT)[:_](?P<pos>[0-9]+)$",
                         re.IGNORECASE)
_REGION_RE = re.compile(
    r"^(?:chr)?(?P<chrom>[0-9]+|X|Y|M|MT)(?::(?P<start>[0-9][0-9,]*)-(?P<end>[0-9][0-9,]*))?$",
    re.IGNORECASE)


#: Rat autosomes in every release's genome (rn6, rn7, rn8): chr1..chr20, then X, Y, M.
AUTOSOMES = 20


def _chrom(text: str, given: str) -> str:
    """``chrN`` for a typed chromosome; a number past the rat's autosomes is an error (an
    empty answer would read as "nothing there")."""
    c = text.upper()
    if c.isdigit() and not 1 <= int(c) <= AUTOSOMES:
        raise QueryError(f"{given!r}: chr{int(c)} is not a rat chromosome (chr1-chr{AUTOSOMES}, "
                         "chrX, chrY, chrM)")
    return "chr" + ("M" if c == "MT" else c)


def parse_variant(text: str) -> tuple[str, str, int]:
    """``chrN:pos`` (or ``N:pos``) -> (variant_id ``chrN:pos``, chrom, pos).

    Raises
    ------
    QueryError : not a variant id.
    """
    m = _VARIANT_RE.match(text.strip())
    if not m or int(m.group("pos")) < 1:
        raise QueryError(f"bad variant id {text!r}: expected chrN:pos with a 1-based position, "
                         "e.g. chr1:793394")
    chrom, pos = _chrom(m.group("chrom"), text), int(m.group("pos"))
    return f"{chrom}:{pos}", chrom, pos


def parse_variants(values: str | Iterable[str] | None) -> list[tuple[str, str, int]] | None:
    """Several variant ids (see :func:`parse_variant`); ``None``/empty -> ``None``."""
    items = as_list(values, "variant")
    return None if items is None else [parse_variant(v) for v in items]


@dataclass(frozen=True)
class Region:
    """A 1-based inclusive interval ``chrom:start-end`` (htslib convention)."""

    chrom: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}"


def parse_region(text: str) -> Region:
    """``chr1:1000000-2000000`` (1-based, inclusive; commas allowed) or ``chr1`` -> Region.

    Raises
    ------
    QueryError : not a region, or start > end.
    """
    m = _REGION_RE.match(text.strip())
    if not m:
        raise QueryError(f"bad region {text!r}: expected chrN:start-end (1-based, inclusive), "
                         "e.g. chr1:1000000-2000000, or a whole chromosome like chr1")
    chrom = _chrom(m.group("chrom"), text)
    if m.group("start") is None:
        return Region(chrom, 1, MAX_POS)
    start, end = (int(m.group(k).replace(",", "")) for k in ("start", "end"))
    if start < 1 or start > end:
        raise QueryError(f"bad region {text!r}: start must be >= 1 and <= end")
    return Region(chrom, start, min(end, MAX_POS))


def resolve_modalities(values: str | Iterable[str] | None) -> list[str] | None:
    """Modality names as the release spells them (``alt_tss`` -> ``alt_TSS``); ``None`` = all.

    Raises
    ------
    QueryError : an unknown modality.
    """
    items = as_list(values, "modality")
    if items is None:
        return None
    by_lower = {m.lower(): m for m in MODALITIES}
    out: list[str] = []
    for item in items:
        m = by_lower.get(item.lower())
        if m is None:
            raise QueryError(f"unknown modality {item!r}; choose from {', '.join(MODALITIES)}")
        if m not in out:
            out.append(m)
    return out


def resolve_modality(value: str | None, default: str = "expression") -> str:
    """Exactly one modality name, ``default`` when none is given."""
    modalities = resolve_modalities(value)
    if modalities is None:
        return default
    if len(modalities) != 1:
        raise QueryError("give exactly one modality")
    return modalities[0]


def resolve_unit(value: str, version: str | None = None) -> str:
    """An expression unit, any case (``TPM`` -> ``tpm``, ``iqn.filtered`` -> ``iqn_filtered``).

    Raises
    ------
    QueryError : not one of :data:`UNITS`, or not a unit of ``version``'s expression files
        (v4: tpm, log2; v1-v3 also iqn, iqn_filtered).
    """
    from ratgtex_db.release import UNITS as BY_VERSION

    unit = str(value).strip().lower().replace(".", "_")
    allowed = UNITS
    if version in BY_VERSION:
        allowed = tuple(u.replace(".", "_") for u in BY_VERSION[version])
    if unit not in allowed:
        where = f" in {version}" if version in BY_VERSION else ""
        raise QueryError(f"unknown unit {value!r}{where}; choose {', '.join(allowed)}")
    return unit


@dataclass(frozen=True)
class Locus:
    """Where rows may lie: chromosomes and a position range; ``None`` means unbounded.

    For a region it is the exact filter; for genes (their cis windows) and variants it is a
    superset that lets DuckDB skip Parquet row groups by their chrom/pos statistics, since pair
    tables are stored in genome order (release-format 3.15-3.18), not by gene.
    """

    chroms: tuple[str, ...] | None = None
    pos_min: int | None = None
    pos_max: int | None = None

    def params(self) -> dict[str, Any]:
        return {"chroms": list(self.chroms) if self.chroms is not None else None,
                "pos_min": self.pos_min, "pos_max": self.pos_max}

    def __and__(self, other: Locus) -> Locus:
        if self.chroms is None:
            chroms = other.chroms
        elif other.chroms is None:
            chroms = self.chroms
        else:
            chroms = tuple(c for c in self.chroms if c in other.chroms)
        lows = [p for p in (self.pos_min, other.pos_min) if p is not None]
        highs = [p for p in (self.pos_max, other.pos_max) if p is not None]
        return Locus(chroms, max(lows) if lows else None, min(highs) if highs else None)


def locus_of_region(region: Region) -> Locus:
    return Locus((region.chrom,), region.start, region.end)


def locus_of_variants(variants: Sequence[tuple[str, str, int]]) -> Locus:
    return Locus(tuple(sorted({c for _, c, _ in variants})),
                 min(p for _, _, p in variants), max(p for _, _, p in variants))


@dataclass(frozen=True)
class Gene:
    """A resolved gene: its id and, when annotated, where it lies."""

    gene_id: str
    chrom: str | None
    start: int | None
    end: int | None


def locus_of_genes(genes: Sequence[Gene]) -> Locus:
    """Chromosomes and the span of the genes' cis windows (gene body +- 1 Mb).

    The gene body rather than the TSS alone: every v4 phenotype carries the gene TSS
    (release-format 2.6), but v1-v3 splicing phenotypes sit at their cluster inside the gene.
    """
    if not genes or any(g.chrom is None or g.start is None or g.end is None for g in genes):
        return Locus()
    return Locus(tuple(sorted({g.chrom for g in genes})),  # type: ignore[misc]
                 max(1, min(g.start for g in genes) - CIS_WINDOW),  # type: ignore[type-var]
                 max(g.end for g in genes) + CIS_WINDOW)  # type: ignore[type-var, operator]
