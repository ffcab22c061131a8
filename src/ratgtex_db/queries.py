"""Canned queries: ``sql/queries/*.sql`` loaded as named, documented, parameterised SQL.

Each file holds one or more queries. A query opens with a header comment, as in aiosql::

    -- name: eqtls
    -- Independent cis-eQTLs (rows of eqtls_indep) ...
    -- Returns: ...
    -- Parameters:
    --   $version   release version
    --   $tissues   tissue ids (VARCHAR[]); NULL = all

The comment lines after ``-- name:`` are the query's documentation (the docstring of the
``Database`` method and the ``--help`` of the CLI command); the text before ``Parameters:`` is
the user-facing part. Parameters are DuckDB named parameters (``$name``), always bound by value,
never formatted into the SQL text; every one used must be documented in the header and vice
versa. Errors name the SQL file and line.

Besides loading, this module holds the small pieces of input handling the queries share:
gene and tissue resolution, variant ids, region strings, and the locus bounds that let Parquet
row groups be skipped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ratgtex_db.errors import QueryError, UnknownGene
from ratgtex_db.paths import sql_dir
from ratgtex_db.release import MODALITIES

if TYPE_CHECKING:
    import pyarrow as pa

    from ratgtex_db.database import Database

#: Half-width of the tensorQTL cis window (release-format 3.13, 6.1).
CIS_WINDOW = 1_000_000
#: At most this many "did you mean" suggestions per unknown gene.
MAX_SUGGESTIONS = 5
#: Units of the expression view that ``expression`` reports.
UNITS: tuple[str, ...] = ("tpm", "log2")

_NAME_RE = re.compile(r"^--\s*name:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*$")
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAMS_HEADING_RE = re.compile(r"^\s*Parameters\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """One named query: its SQL, documentation, parameters and where it was defined."""

    name: str
    doc: str
    sql: str
    params: tuple[str, ...]
    path: Path
    line: int
    body_line: int

    @property
    def floc(self) -> str:
        """``FILE:LINE`` of the ``-- name:`` line, for messages."""
        return f"{self.path}:{self.line}"

    @property
    def summary(self) -> str:
        """The user-facing part of the doc: everything before ``Parameters:``."""
        out: list[str] = []
        for line in self.doc.splitlines():
            if _PARAMS_HEADING_RE.match(line):
                break
            out.append(line)
        return "\n".join(out).strip()


def _strip_sql_noise(line: str) -> str:
    """A SQL line without its string literals and ``--`` comment (for finding ``$params``)."""
    line = re.sub(r"'(?:[^']|'')*'", "''", line)
    line = re.sub(r'"(?:[^"]|"")*"', '""', line)
    return line.split("--", 1)[0]


def parse(text: str, path: Path) -> list[Query]:
    """Split one SQL file into its queries.

    Raises
    ------
    QueryError : text before the first ``-- name:``, an empty query, or parameters used but not
        documented in the header (or documented but unused); the message starts ``FILE:LINE``.
    """
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _NAME_RE.match(ln.strip())]
    first_code = next((i for i, ln in enumerate(lines)
                       if ln.strip() and not ln.lstrip().startswith("--")), None)
    if not starts or (first_code is not None and first_code < starts[0]):
        where = (first_code or 0) + 1
        raise QueryError(f"{path}:{where}: a query file must open with a '-- name: NAME' line")
    out: list[Query] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        name = _NAME_RE.match(lines[start].strip()).group("name")  # type: ignore[union-attr]
        doc_lines: list[str] = []
        i = start + 1
        while i < end and lines[i].lstrip().startswith("--"):
            doc_lines.append(re.sub(r"^\s*-- ?", "", lines[i]).rstrip())
            i += 1
        while i < end and not lines[i].strip():
            i += 1
        body = "\n".join(lines[i:end]).rstrip()
        if not body:
            raise QueryError(f"{path}:{start + 1}: empty SQL for query {name!r}")
        used: list[str] = []
        for ln in lines[i:end]:
            for p in _PARAM_RE.findall(_strip_sql_noise(ln)):
                if p not in used:
                    used.append(p)
        documented = set(_PARAM_RE.findall("\n".join(doc_lines)))
        if undocumented := [p for p in used if p not in documented]:
            raise QueryError(
                f"{path}:{start + 1}: query {name!r} uses "
                f"{', '.join('$' + p for p in undocumented)} but its header does not document "
                "them; add a line '--   $name  meaning' under 'Parameters:'")
        if unused := sorted(documented - set(used)):
            raise QueryError(
                f"{path}:{start + 1}: query {name!r} documents "
                f"{', '.join('$' + p for p in unused)} but its SQL does not use them")
        out.append(Query(name, "\n".join(doc_lines).strip(), body, tuple(used), path, start + 1,
                         i + 1))
    return out


def load(folder: Path | None = None) -> dict[str, Query]:
    """Every query of ``folder`` (default: the shipped ``sql/queries``), by name.

    Raises
    ------
    QueryError : a malformed file, or two queries with the same name.
    """
    folder = folder if folder is not None else sql_dir() / "queries"
    queries: dict[str, Query] = {}
    for path in sorted(folder.glob("*.sql")):
        for q in parse(path.read_text(), path):
            if q.name in queries:
                raise QueryError(f"{q.floc}: query {q.name!r} is already defined at "
                                 f"{queries[q.name].floc}")
            queries[q.name] = q
    return queries


@functools.cache
def shipped() -> dict[str, Query]:
    """The shipped queries, loaded once per process."""
    return load()


def get(name: str) -> Query:
    """The shipped query called ``name``."""
    queries = shipped()
    if name not in queries:
        raise QueryError(f"no query named {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


def fetch_arrow(rel: duckdb.DuckDBPyRelation) -> pa.Table:
    """A relation's rows as an Arrow table, across DuckDB API generations."""
    import pyarrow as pa

    for attr in ("to_arrow_table", "fetch_arrow_table", "arrow"):
        fn = getattr(rel, attr, None)
        if fn is not None:
            out = fn()
            return out.read_all() if isinstance(out, pa.RecordBatchReader) else out
    raise QueryError("this DuckDB version offers no Arrow export")


#: DuckDB type names rendered right-aligned as numbers.
_NUMERIC_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT", "FLOAT", "DOUBLE"}


class Rows:
    """A query's result, fetched on demand: Python rows, Arrow, or Parquet written by DuckDB.

    It offers the part of the polars DataFrame API the renderer uses (``columns``, ``rows()``,
    ``head()``, ``height``, ``write_parquet()``), so the command line can print results without
    importing polars or pyarrow, which would cost more than the query. The connection must stay
    open until the rows are fetched. Errors while fetching are :class:`QueryError` naming the
    SQL file and line, as errors while binding are.
    """

    def __init__(self, rel: duckdb.DuckDBPyRelation | None, query: Query | None = None) -> None:
        self._rel = rel
        self._query = query
        self._rows: list[tuple[Any, ...]] | None = None

    def _fail(self, err: duckdb.Error) -> QueryError:
        return _query_error(self._query, err)

    @property
    def columns(self) -> list[str]:
        return list(self._rel.columns) if self._rel is not None else []

    @property
    def numeric(self) -> list[bool]:
        """Per column: is it a number (for right-aligned table cells)?"""
        if self._rel is None:
            return []
        return [str(t).split("(")[0] in _NUMERIC_TYPES or str(t).startswith("DECIMAL")
                for t in self._rel.types]

    def rows(self) -> list[tuple[Any, ...]]:
        if self._rows is None:
            try:
                self._rows = self._rel.fetchall() if self._rel is not None else []
            except duckdb.Error as err:
                raise self._fail(err) from err
        return self._rows

    def dicts(self) -> list[dict[str, Any]]:
        cols = self.columns
        return [dict(zip(cols, r, strict=True)) for r in self.rows()]

    @property
    def height(self) -> int:
        return len(self.rows())

    def head(self, n: int) -> Rows:
        if self._rel is None:
            return self
        return Rows(self._rel.limit(max(int(n), 0)), self._query)

    def arrow(self) -> pa.Table:
        import pyarrow as pa

        if self._rel is None:
            return pa.table({})
        try:
            return fetch_arrow(self._rel)
        except duckdb.Error as err:
            raise self._fail(err) from err

    def write_parquet(self, path: str | Path, compression: str = "zstd") -> None:
        if self._rel is None:
            raise QueryError("the statement returned no rows to write")
        try:
            self._rel.write_parquet(str(path), compression=compression)
        except duckdb.Error as err:
            raise self._fail(err) from err


def _query_error(q: Query | None, err: duckdb.Error) -> QueryError:
    if q is None:
        return QueryError(f"{type(err).__name__}: {err}")
    return QueryError(f"{q.path}:{_error_line(q, str(err))}: query {q.name!r} failed: "
                      f"{type(err).__name__}: {err}")


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any],
            limit: int | None = None) -> Rows:
    """Bind the query ``name`` to ``params`` (by value); ``limit`` caps the rows in SQL.

    Only the parameters the query uses are bound (DuckDB refuses unused ones); a parameter the
    query needs but ``params`` lacks is a bug of the caller and raises ``QueryError``. The
    rows are fetched when the result is read.
    """
    q = get(name)
    missing = [p for p in q.params if p not in params]
    if missing:
        raise QueryError(f"{q.floc}: query {name!r} needs {', '.join('$' + p for p in missing)}")
    bound = {p: params[p] for p in q.params}
    try:
        rel = con.sql(q.sql, params=bound)
        if limit is not None:
            rel = rel.limit(max(int(limit), 0))
    except duckdb.Error as err:
        raise _query_error(q, err) from err
    return Rows(rel, q)


def _error_line(q: Query, message: str) -> int:
    """The file line a DuckDB error is about: its ``LINE n`` (counted from the start of the
    query text), else the first line naming a quoted identifier of the message (binder
    errors carry no position), else the ``-- name:`` line."""
    m = re.search(r"LINE (\d+):", message)
    if m:
        return q.body_line + int(m.group(1)) - 1
    for ident in re.findall(r'"([^"\n]+)"', message):
        for k, line in enumerate(q.sql.splitlines()):
            if re.search(rf"(?<![\w$]){re.escape(ident)}(?!\w)", _strip_sql_noise(line)):
                return q.body_line + k
    return q.line


def documented(name: str):
    """Decorator: append the query's header documentation to a method's docstring."""

    def deco(fn):
        try:
            q = get(name)
        except QueryError:  # a broken SQL file is reported when the query runs
            return fn
        pad = " " * 8
        text = "\n".join(pad + ln if ln else "" for ln in q.doc.splitlines())
        fn.__doc__ = (fn.__doc__ or "").rstrip() + f"\n\n{pad}SQL ``{q.path.name}``:\n\n{text}\n"
        return fn

    return deco


def help_text(name: str, example: str) -> str:
    """The ``--help`` of a CLI command: the query's user-facing doc and an example."""
    try:
        summary = get(name).summary
    except QueryError as err:
        summary = f"(documentation unavailable: {err})"
    # One line per paragraph: the help renderer wraps to the terminal itself.
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", summary) if p.strip()]
    return "\n\n".join([*paragraphs, f"Example: {example}"])


# -- input handling shared by the queries ---------------------------------------------------


def as_list(value: str | Iterable[str] | None) -> list[str] | None:
    """A user value as a clean list: a string or an iterable; ``None``/empty -> ``None`` (all)."""
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    out: list[str] = []
    for v in items:
        v = str(v).strip()
        if v and v not in out:
            out.append(v)
    return out or None


_VARIANT_RE = re.compile(r"^(?:chr)?(?P<chrom>[0-9]+|X|Y|M|MT)[:_](?P<pos>[0-9]+)$",
                         re.IGNORECASE)
_REGION_RE = re.compile(
    r"^(?:chr)?(?P<chrom>[0-9]+|X|Y|M|MT)(?::(?P<start>[0-9][0-9,]*)-(?P<end>[0-9][0-9,]*))?$",
    re.IGNORECASE)


def _chrom(text: str) -> str:
    c = text.upper()
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
    chrom, pos = _chrom(m.group("chrom")), int(m.group("pos"))
    return f"{chrom}:{pos}", chrom, pos


@dataclass(frozen=True)
class Region:
    """A 1-based inclusive interval ``chrom:start-end`` (htslib convention)."""

    chrom: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start}-{self.end}"


#: Upper bound of a whole-chromosome region (INTEGER positions).
MAX_POS = 2**31 - 1


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
    chrom = _chrom(m.group("chrom"))
    if m.group("start") is None:
        return Region(chrom, 1, MAX_POS)
    start, end = (int(m.group(k).replace(",", "")) for k in ("start", "end"))
    if start < 1 or start > end:
        raise QueryError(f"bad region {text!r}: start must be >= 1 and <= end")
    return Region(chrom, start, min(end, MAX_POS))


def parse_variants(values: str | Iterable[str] | None) -> list[tuple[str, str, int]] | None:
    items = as_list(values)
    return None if items is None else [parse_variant(v) for v in items]


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


def resolve_genes(db: Database, values: str | Iterable[str] | None,
                  version: str) -> list[Gene] | None:
    """Gene ids for what the user typed: exact ``gene_id``, else case-insensitive matches.

    One query for any number of genes. ``None``/empty input gives ``None`` (no gene filter).

    Raises
    ------
    UnknownGene : for the first input that matches nothing, with up to five close ids.
    """
    items = as_list(values)
    if items is None:
        return None
    rows = execute(db.connection, "resolve_genes",
                   {"version": version, "queries": items, "n_suggestions": MAX_SUGGESTIONS})
    found: dict[str, list[Gene]] = {}
    suggestions: dict[str, list[str]] = {}
    for r in rows.dicts():
        if r["match"] == "suggestion":
            suggestions.setdefault(r["query"], []).append(r["gene_id"])
        else:
            found.setdefault(r["query"], []).append(
                Gene(r["gene_id"], r["chrom"], r["start"], r["end"]))
    out: list[Gene] = []
    for item in items:
        if item not in found:
            raise UnknownGene(item, suggestions.get(item, []))
        for g in found[item]:
            if g not in out:
                out.append(g)
    return out


def resolve_tissues(db: Database, values: str | Iterable[str] | None,
                    version: str) -> list[str] | None:
    """Tissue ids as the release spells them (``pvta`` -> ``pVTA``); ``None`` = all.

    Raises
    ------
    QueryError : a tissue the version does not have (the message lists the known ones).
    """
    items = as_list(values)
    if items is None:
        return None
    known = [r[0] for r in execute(db.connection, "known_tissues", {"version": version}).rows()]
    by_lower = {t.lower(): t for t in known}
    out: list[str] = []
    for item in items:
        t = item if item in known else by_lower.get(item.lower())
        if t is None:
            raise QueryError(f"unknown tissue {item!r} in {version}; known tissues: "
                             f"{', '.join(known) or '(none ingested)'}")
        if t not in out:
            out.append(t)
    return out


def resolve_tissue(db: Database, value: str | None, version: str) -> str:
    """Exactly one tissue id (see :func:`resolve_tissues`)."""
    tissues = resolve_tissues(db, value, version)
    if not tissues or len(tissues) != 1:
        raise QueryError("give exactly one tissue")
    return tissues[0]


def resolve_modality(value: str | None, default: str = "expression") -> str:
    """Exactly one modality name, ``default`` when none is given."""
    modalities = resolve_modalities(value)
    if modalities is None:
        return default
    if len(modalities) != 1:
        raise QueryError("give exactly one modality")
    return modalities[0]


def resolve_modalities(values: str | Iterable[str] | None) -> list[str] | None:
    """Modality names as the release spells them (``alt_tss`` -> ``alt_TSS``); ``None`` = all.

    Raises
    ------
    QueryError : an unknown modality.
    """
    items = as_list(values)
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


def filters(db: Database, version: str, *, gene: Any = None, variant: Any = None,
            region: str | None = None, tissue: Any = None, gene_window: bool = True
            ) -> dict[str, Any]:
    """The bound parameters of the row queries' common filters (all combine with AND).

    ``gene_window``: bound positions by the genes' cis windows (true for cis tables; false for
    trans pairs, whose variants lie far from the gene).
    """
    genes = resolve_genes(db, gene, version)
    variants = parse_variants(variant)
    locus = Locus()
    if genes is not None and gene_window:
        locus &= locus_of_genes(genes)
    if variants is not None:
        locus &= locus_of_variants(variants)
    if region is not None:
        locus &= locus_of_region(parse_region(region))
    return {
        "version": version,
        "tissues": resolve_tissues(db, tissue, version),
        "gene_ids": [g.gene_id for g in genes] if genes is not None else None,
        "variant_ids": [v for v, _, _ in variants] if variants is not None else None,
        **locus.params(),
    }
