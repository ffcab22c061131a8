"""The Python API: :func:`open` returns a :class:`Database` over a catalog.

``Database.sql`` runs read-only SQL with bound parameters and returns polars; each canned query
of ``sql/queries`` is a method of the same name (the CLI command uses hyphens).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ratgtex_db import catalog, index, inputs, lake, queries
from ratgtex_db.errors import (
    ConfigError,
    QueryError,
    RatgtexWarning,
    UnknownGene,
    UnknownGeneWarning,
)
from ratgtex_db.inputs import Gene
from ratgtex_db.paths import lake_dir, resolve_db_dir, store_dir
from ratgtex_db.release import TISSUE_ALIASES, TISSUES
from ratgtex_db.result import Rows
from ratgtex_db.sqlfiles import documented, view_meanings

#: At most this many "did you mean" suggestions per unknown gene.
MAX_SUGGESTIONS = 5

if TYPE_CHECKING:  # imported when first needed: the CLI renders Rows without them
    import polars as pl
    import pyarrow as pa

    from ratgtex_db.plots import Plots
    from ratgtex_db.result import Result

#: Statement types ``sql`` accepts; anything else (COPY, ATTACH, INSTALL, LOAD, writes) is
#: refused so that ad hoc SQL can never change the catalog or write files. An EXPLAIN is
#: checked by the statement it explains (``EXPLAIN ANALYZE COPY ...`` runs the COPY), a PRAGMA
#: by name (``READ_PRAGMAS``: ``PRAGMA profile_output = 'file'`` would write one).
READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "RELATION"}
#: PRAGMAs that only read: DuckDB's catalog listings and facts.
READ_PRAGMAS = {"version", "platform", "user_agent", "database_size", "database_list",
                "show_databases", "show_tables", "show_tables_expanded", "table_info", "show",
                "storage_info", "functions", "collations", "metadata_info"}
#: Functions a SELECT may call that change the session or write files (DuckDB's profiling and
#: logging write wherever they are told; a checkpoint writes a database).
SIDE_EFFECT_FUNCTIONS = {"enable_profiling", "disable_profiling", "enable_logging",
                         "disable_logging", "truncate_duckdb_logs", "checkpoint",
                         "force_checkpoint"}
#: A PIVOT whose ON values are not listed: DuckDB plans it as a MULTI statement (it first
#: reads the distinct values), the one MULTI statement a single SELECT can be.
_PIVOT = re.compile(r"\bPIVOT\b", re.IGNORECASE)
_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_PRAGMA = re.compile(r"^\s*PRAGMA\s+([A-Za-z_][A-Za-z0-9_]*)\s*(\(|;?\s*$)", re.IGNORECASE)


def _explained(query: str) -> int | None:
    """Where the statement an EXPLAIN explains begins in ``query`` (after ``EXPLAIN``, an
    optional ``ANALYZE`` and one option group in balanced parentheses), found on DuckDB's
    tokens, so that a parenthesis inside a string or a comment cannot hide it; None if the
    text is not of that form."""
    tokens = list(duckdb.tokenize(query))

    def word(i: int) -> str:
        m = re.match(r"\w+", query[tokens[i][0]:tokens[i][0] + 16]) if i < len(tokens) else None
        return m.group(0).upper() if m else ""

    i = 0
    if word(i) != "EXPLAIN":
        return None
    i += 1
    if word(i) in ("ANALYZE", "ANALYSE"):
        i += 1
    if i < len(tokens) and query[tokens[i][0]] == "(":
        depth = 0
        while i < len(tokens):
            ch = query[tokens[i][0]]
            if str(tokens[i][1]).endswith("operator"):
                depth += (ch == "(") - (ch == ")")
            i += 1
            if depth == 0:
                break
        else:
            return None
    return tokens[i][0] if i < len(tokens) else None


def _version_key(v: str) -> tuple[int, str]:
    m = re.match(r"v(\d+)", v or "")
    return (int(m.group(1)) if m else -1, v or "")


class Database:
    """A ratgtex-db database directory opened for queries (read-only by default)."""

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        version: str | None = None,
        *,
        read_only: bool = True,
        frames: bool = True,
    ) -> None:
        """Open the catalog snapshot that is current now.

        A long-lived ``Database`` follows ingests: before each query it checks (one ``stat``)
        whether a newer snapshot was published and, if so, moves to it, so every query sees one
        whole snapshot and the next query after an ingest sees the new data. Between queries
        nothing is held but the snapshot file: an ingest never waits on an open ``Database``.

        ``read_only=False`` lets :meth:`sql` run statements other than SELECT. The default
        database of the session is the catalog (``ratgtex``), attached read-only, so it is never
        written: make your own tables as ``TEMP`` tables or in ``memory``
        (``CREATE TEMP TABLE t AS ...``, ``CREATE TABLE memory.t AS ...``). ``frames=False``
        makes queries return :class:`~ratgtex_db.queries.Rows` (fetched on demand, no polars)
        instead of polars frames; the command line uses it.
        """
        self.path = resolve_db_dir(path)
        self._closed = False
        self._frames = frames
        self._read_only = read_only
        if lake.needs_maintenance(self.path):  # a crashed commit to finish, garbage to collect
            lake.maintain(self.path)
        try:
            self._session = catalog.Session(self.path)
        except catalog.LegacyCatalog:
            if not lake.maintain(self.path, convert=True):
                raise
            self._session = catalog.Session(self.path)
        if self._session.overlay and lake.maintain(self.path, rebuild_catalog=True):
            # copied, moved or older views: the directory was writable, so its catalog now
            # names its own files (for stock DuckDB too); move to that snapshot
            self._session.refresh(force=True)
        self._version = version
        #: Facts of a version that only an ingest changes, read once per catalog snapshot:
        #: (snapshot, {key: value}).
        self._facts: tuple[Any, dict[tuple, Any]] = (None, {})

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
        if self._closed:
            raise ConfigError(f"this Database ({self.path}) is closed; open it again with "
                              "ratgtex_db.open()")
        self._session.refresh()
        return self._session.con

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection: in memory, with the catalog attached read-only as
        ``ratgtex`` and the default database. The same object across refreshes."""
        return self._con

    def refresh(self) -> bool:
        """Move to the newest catalog snapshot now (queries also do it by themselves); True if
        there was a newer one."""
        self._con  # noqa: B018 - a closed Database says so
        return self._session.refresh()

    def close(self) -> None:
        """Close the session (a closed Database answers every call with a ConfigError)."""
        self._closed = True
        self._session.close()

    @property
    def plot(self) -> Plots:
        """The pictures (``db.plot.expression(gene)``, ``locus``, ``heatmap``, ``genotype``,
        ``sharing``): matplotlib Figures, as the ``ratgtex-db plot`` commands draw them."""
        from ratgtex_db.plots import Plots

        return Plots(self)

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ingested_versions(self) -> list[str]:
        """Release versions with ingested data, oldest first."""
        return list(self._fact(("versions",), lambda: sorted(
            (r[0] for r in self._con.execute(
                "SELECT DISTINCT version FROM ingested_files "
                "WHERE status = 'ingested' AND version IS NOT NULL").fetchall()),
            key=_version_key)))

    def _fact(self, key: tuple, read: Callable[[], Any]) -> Any:
        """``read()`` once per catalog snapshot (a published snapshot never changes)."""
        _ = self._con  # moves to the newest snapshot first
        snapshot = self._session._identity
        if self._facts[0] != snapshot:
            self._facts = (snapshot, {})
        facts = self._facts[1]
        if key not in facts:
            facts[key] = read()
        return facts[key]

    @property
    def version(self) -> str:
        """The version queries use: the one given to :func:`open`, else the newest ingested."""
        if self._version:
            return self._version
        versions = self.ingested_versions()
        if not versions:
            raise ConfigError(f"{self.path}: nothing ingested yet; run 'ratgtex-db ingest DIR'")
        return versions[-1]

    def resolve_version(self, version: str | None) -> str:
        """``version`` as the database spells it (any case: ``V4`` is ``v4``), else the
        database's; a version not ingested is returned as given (callers check it)."""
        v = version or self.version
        return next((k for k in self.ingested_versions() if k.casefold() == v.casefold()), v)

    # -- ad hoc SQL -------------------------------------------------------------------------

    def check_read_only(self, query: str) -> None:
        """Refuse statements that could change the catalog or write files."""
        try:
            statements = self._con.extract_statements(query)
        except duckdb.Error as err:
            raise QueryError(f"cannot parse SQL: {err}") from err
        if not statements:
            raise QueryError("empty SQL")
        for st in statements:
            self._check_statement(st)

    def _check_statement(self, st: Any) -> None:
        kind = str(st.type).rsplit(".", 1)[-1].upper()
        refused = kind not in READ_STATEMENTS
        if kind == "EXPLAIN":
            start = _explained(st.query)
            try:
                inner = self._con.extract_statements(st.query[start:]) if start else []
            except duckdb.Error:
                inner = []
            if len(inner) != 1:
                raise QueryError("cannot tell what this EXPLAIN explains: 'sql' is read-only; "
                                 "write EXPLAIN [ANALYZE] SELECT ...")
            self._check_statement(inner[0])
        elif kind == "SELECT":
            called = self._functions_called(st.query)
            if called & SIDE_EFFECT_FUNCTIONS:
                raise QueryError(f"{', '.join(sorted(called & SIDE_EFFECT_FUNCTIONS))} refused: "
                                 "'sql' is read-only (these change the session or write files)")
        elif kind == "MULTI" and _PIVOT.search(st.query):
            # DuckDB cannot serialize it for the function check: any name called like a
            # side-effect function refuses it
            called = {name.lower() for name in _CALL.findall(st.query)}
            if called & SIDE_EFFECT_FUNCTIONS:
                raise QueryError(f"{', '.join(sorted(called & SIDE_EFFECT_FUNCTIONS))} refused: "
                                 "'sql' is read-only (these change the session or write files)")
            refused = False
        elif kind == "PRAGMA":
            m = _PRAGMA.match(st.query)
            if not m or m.group(1).lower() not in READ_PRAGMAS:
                raise QueryError("this PRAGMA is refused: 'sql' is read-only (PRAGMA "
                                 f"{', '.join(sorted(READ_PRAGMAS))}); settings and files are "
                                 "not for ad hoc SQL")
        if refused:
            raise QueryError(
                f"{kind} statements are refused: 'sql' is read-only (SELECT, EXPLAIN, "
                "PRAGMA only); to change the database use 'ratgtex-db ingest'"
            )

    def _functions_called(self, query: str) -> set[str]:
        """Names of the functions a SELECT calls (table functions included), from DuckDB's
        own parse tree."""
        import json

        cur = self._con.cursor()  # the session may hold a pending, streamed result
        try:
            tree = json.loads(cur.execute("SELECT json_serialize_sql(?)", [query]).fetchone()[0])
        except (duckdb.Error, ValueError, TypeError):
            return set()
        finally:
            cur.close()
        names: set[str] = set()
        todo: list[Any] = [tree]
        while todo:
            node = todo.pop()
            if isinstance(node, dict):
                name = node.get("function_name")
                if isinstance(name, str):
                    names.add(name.lower())
                todo.extend(node.values())
            elif isinstance(node, list):
                todo.extend(node)
        return names

    def sql(self, query: str, params: Any = None, *, read_only: bool | None = None) -> Result:
        """Run a query with bound parameters and return a polars DataFrame.

        ``params`` is a list (for ``?``) or a dict (for ``$name``). ``.arrow()`` on the result
        gives Arrow.
        """
        return self._wrap(self._rows(query, params, read_only))

    def arrow(self, query: str, params: Any = None) -> pa.Table:
        """Run a read-only query and return an Arrow table."""
        return self._rows(query, params, True).arrow()

    def _rows(self, query: str, params: Any, read_only: bool | None) -> Rows:
        if read_only or (read_only is None and self._read_only):
            self.check_read_only(query)
        try:
            return Rows(self._con.sql(query, params=params), con=self._con, params=params)
        except duckdb.Error as err:
            raise QueryError(f"{type(err).__name__}: {err}") from err

    def _wrap(self, rows: Rows) -> Result:
        """The value a query returns: a polars :class:`~ratgtex_db.result.Result`, or the
        :class:`~ratgtex_db.queries.Rows` themselves when opened with ``frames=False``."""
        if not self._frames:
            return rows  # type: ignore[return-value]
        from ratgtex_db.result import result_of

        return result_of(rows.arrow())

    # -- canned queries: sql/queries/<name>.sql, the CLI command of the same name ----------
    # Each method resolves its inputs (gene names, tissues, variant ids, regions) and runs one
    # query with bound parameters; a list of a thousand genes is still one query.
    # ``limit`` caps the rows inside DuckDB (the CLI's --limit).

    def _query(self, name: str, params: dict[str, Any], limit: int | None = None) -> Result:
        if limit is not None and int(limit) < 0:
            raise ConfigError(f"limit must be 0 or more, not {limit}")
        return self._wrap(queries.execute(self._con, name, params, limit))

    def _version_of(self, version: str | None) -> str:
        """The version a query reads: ``version``, else the database's; it must be ingested
        (a version that is not would give empty answers that look like "nothing found")."""
        v = self.resolve_version(version)
        known = self.ingested_versions()
        if v not in known:
            raise ConfigError(f"version {v!r} is not ingested in {self.path}; ingested: "
                              f"{', '.join(known) or '(none)'}; pass one of them to --version")
        return v

    def resolve_genes(self, gene: str | Iterable[str] | None,
                      version: str | None = None) -> list[Gene] | None:
        """Gene ids for what the user typed: exact ``gene_id``, else case-insensitive matches.

        One query for any number of genes. ``None``/empty input gives ``None`` (no gene filter).
        Names that match nothing are reported with :class:`UnknownGeneWarning` (with
        suggestions) when other names match; the rest is answered.

        Raises
        ------
        UnknownGene : no name matches anything (for the first, with up to five close ids).
        """
        items = inputs.as_list(gene, "gene")
        if items is None:
            return None
        v = self._version_of(version)
        rows = queries.execute(self._con, "exact_genes", {"version": v, "queries": items}).dicts()
        # names the gene table lacks: exact ids of the QTL tables (genes absent from the GTF),
        # then the full resolver (case-insensitive matches, suggestions)
        for step, extra in (("exact_qtl_genes", {}),
                            ("resolve_genes", {"n_suggestions": MAX_SUGGESTIONS})):
            missing = sorted(set(items) - {r["query"] for r in rows})
            if not missing:
                break
            rows += queries.execute(self._con, step,
                                    {"version": v, "queries": missing, **extra}).dicts()
        if not rows and not self._has_gene_table(v):  # e.g. study:Y_MT: expression only
            rows = queries.execute(self._con, "resolve_genes_expression",
                                   {"version": v, "queries": items}).dicts()
        found: dict[str, list[Gene]] = {}
        suggestions: dict[str, list[str]] = {}
        for r in rows:
            if r["match"] == "suggestion":
                suggestions.setdefault(r["query"], []).append(r["gene_id"])
            else:
                found.setdefault(r["query"], []).append(
                    Gene(r["gene_id"], r["chrom"], r["start"], r["end"]))
        unknown = [UnknownGene(item, suggestions.get(item, [])) for item in items
                   if item not in found]
        if unknown and len(unknown) == len(items):
            raise unknown[0]
        for err in unknown:
            warnings.warn(UnknownGeneWarning(f"{err}; answering the other genes"), stacklevel=3)
        out: list[Gene] = []
        for item in items:
            for g in found.get(item, []):
                if g not in out:
                    out.append(g)
        return out

    def _has_gene_table(self, version: str) -> bool:
        """The version has genes or top_assoc rows to resolve gene names against."""
        return self._fact(("has_gene_table", version), lambda: bool(self._con.execute(
            "SELECT EXISTS (SELECT 1 FROM genes WHERE version = $v) "
            "OR EXISTS (SELECT 1 FROM top_assoc WHERE version = $v)", {"v": version}
        ).fetchall()[0][0]))

    def _version_tissues(self, version: str) -> list[str]:
        """The tissues of tissue_info, the gene table and top_assoc of ``version``."""
        return list(self._fact(("version_tissues", version), lambda: [
            r[0] for r in queries.execute(self._con, "version_tissues",
                                          {"version": version}).rows()]))

    def resolve_tissues(self, tissue: str | Iterable[str] | None,
                        version: str | None = None) -> list[str] | None:
        """Tissue ids as the release spells them (``pvta`` -> ``pVTA``); ``None`` = all.

        Raises
        ------
        QueryError : a tissue the version does not have (the message lists the known ones).
        """
        items = inputs.as_list(tissue, "tissue")
        if items is None:
            return None
        v = self._version_of(version)
        known = [r[0] for r in
                 queries.execute(self._con, "known_tissues", {"version": v}).rows()]
        by_lower = {t.lower(): t for t in known}
        # v1/v2's pre-2025 labels (NAcc, PL) name today's NAcc1, PL1 (release-format 5.1)
        by_lower.update({a.lower(): t for a, t in TISSUE_ALIASES.get(v, {}).items()
                         if t in known and a.lower() not in by_lower})
        out: list[str] = []
        for item in items:
            t = item if item in known else by_lower.get(item.lower())
            if t is None:
                released = {x.lower(): x for x in TISSUES.get(v, ())}
                if item.lower() in released:  # a tissue of the release, not in this database
                    raise QueryError(f"tissue {released[item.lower()]!r} is not ingested in {v} "
                                     f"(--tissue); ingested: {', '.join(known) or '(none)'}; "
                                     "ingest its files to query it")
                raise QueryError(f"unknown tissue {item!r} in {v} (--tissue); known tissues: "
                                 f"{', '.join(known) or '(none ingested)'}")
            if t not in out:
                out.append(t)
        return out

    def resolve_tissue(self, tissue: str, version: str | None = None) -> str:
        """Exactly one tissue id (see :meth:`resolve_tissues`)."""
        tissues = self.resolve_tissues(tissue, version)
        if not tissues or len(tissues) != 1:
            raise QueryError("give exactly one tissue")
        return tissues[0]

    def filters(self, version: str, *, gene: Any = None, variant: Any = None,
                region: str | None = None, tissue: Any = None, gene_window: bool = True
                ) -> dict[str, Any]:
        """The bound parameters of the row queries' common filters (all combine with AND).

        ``gene_window``: bound positions by the genes' cis windows (true for cis tables; false
        for trans pairs, whose variants lie far from the gene).
        """
        genes = self.resolve_genes(gene, version)
        variants = inputs.parse_variants(variant)
        if variants is not None:  # an id the version does not know is said, not answered empty
            variants = self._known_variants(variants, version)
        locus = inputs.Locus()
        if genes is not None and gene_window:
            locus &= inputs.locus_of_genes(genes)
        if variants is not None:
            locus &= inputs.locus_of_variants(variants)
        if region is not None:
            locus &= inputs.locus_of_region(inputs.parse_region(region))
        return {
            "version": version,
            "tissues": self.resolve_tissues(tissue, version),
            "gene_ids": [g.gene_id for g in genes] if genes is not None else None,
            "variant_ids": [v for v, _, _ in variants] if variants is not None else None,
            **locus.params(),
        }

    @documented("tissues")
    def tissues(self, tissue: str | list[str] | None = None, *, version: str | None = None,
                limit: int | None = None) -> Result:
        """Per tissue: samples, expressed genes, eGenes, independent eQTLs, xQTL genes.

        Parameters
        ----------
        tissue : tissue id(s) to keep; default all.
        version : release version; default the database's (newest ingested).
        limit : at most this many rows.

        Raises
        ------
        ConfigError : the version is not ingested.
        """
        v = self._version_of(version)
        return self._query("tissues", {"version": v,
                                       "tissues": self.resolve_tissues(tissue, v)}, limit)

    @documented("versions")
    def versions(self, *, limit: int | None = None) -> Result:
        """Ingested releases: genome, assembly, annotation, tissues and file counts."""
        from ratgtex_db.release import ANNOTATIONS, GENOMES

        meta = [{"version": v, "genome": GENOMES[v], "assembly": a, "annotation": n}
                for v, (a, n) in ANNOTATIONS.items()]
        return self._query("versions", {"meta": meta}, limit)

    @documented("compare")
    def compare(self, gene: str, *, limit: int | None = None) -> Result:
        """One gene side by side in every ingested version: per version and tissue, tested /
        eGene, lead eQTL (variant, p, slope), independent eQTLs and median TPM.

        The gene is looked up in each version by its id or other name (v1/v2 Ensembl id or
        symbol; v3/v4 symbol, or v3's Ensembl id), and through the names it has in the
        versions where it is found (an Ensembl id finds the v4 gene through the v1-v3
        symbol). A version without it has one row with ``gene_id`` NULL.

        Raises
        ------
        UnknownGene : no ingested version knows the gene (with suggestions).
        """
        from ratgtex_db.release import ENSEMBL_VERSIONS, STUDY_VERSIONS

        names = inputs.as_list(gene, "gene") or []
        if len(names) != 1:
            raise QueryError("compare takes one gene")
        versions = self.ingested_versions()
        found: dict[str, list[str]] = {}
        suggestions: dict[str, list[str]] = {}
        for v in versions:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    found[v] = [g.gene_id for g in self.resolve_genes(names, v) or []]
            except UnknownGene as err:
                suggestions[v] = err.suggestions
        if not found:  # every version's suggestions, the newest version's first
            merged = [g for v in sorted(suggestions, key=_version_key, reverse=True)
                      for g in suggestions[v]]
            raise UnknownGene(names[0], list(dict.fromkeys(merged))[:MAX_SUGGESTIONS])
        aliases = sorted(self._gene_names(found) - set(names))
        for v in versions:
            if v not in found and aliases:  # as resolve_genes, expression-only versions too
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        ids = sorted({g.gene_id for g in self.resolve_genes(aliases, v) or []})
                except UnknownGene:
                    ids = []
                if ids:
                    found[v] = ids
        genes = [{"version": v, "gene_id": g} for v in versions for g in found.get(v, [None])]
        return self._query("compare", {"genes": genes,
                                       "ensembl_versions": [*ENSEMBL_VERSIONS,
                                                            *STUDY_VERSIONS]}, limit)

    def _gene_names(self, found: dict[str, list[str]]) -> set[str]:
        """Every id and other name (symbol, Ensembl id) of the genes found, per version."""
        pairs = [{"version": v, "gene_id": g} for v, ids in found.items() for g in ids]
        rows = self._con.execute(
            "SELECT g.gene_id, g.gene_symbol, g.gene_id_ensembl FROM genes AS g "
            "JOIN (SELECT unnest($pairs) AS p) ON p.version = g.version AND p.gene_id = g.gene_id",
            {"pairs": pairs}).fetchall()
        names = {g for ids in found.values() for g in ids}
        names |= {n for r in rows for n in r if n}
        # a version ingested without its gene table still names its genes in top_assoc
        # (v1/v2 and the studies: gene_name beside the Ensembl id)
        names |= {n for (n,) in self._con.execute(
            "SELECT DISTINCT t.gene_name FROM top_assoc AS t "
            "JOIN (SELECT unnest($pairs) AS p) ON p.version = t.version "
            "AND p.gene_id = t.gene_id WHERE t.gene_name IS NOT NULL",
            {"pairs": pairs}).fetchall()}
        return names

    @documented("gene")
    def gene(self, gene: str | list[str], tissue: str | list[str] | None = None, *,
             version: str | None = None, limit: int | None = None) -> Result:
        """Annotation and per-tissue status of genes: one row per gene and tissue.

        Parameters
        ----------
        gene : gene id(s) or symbol(s), matched exactly, else case-insensitively.
        tissue : tissue id(s) to keep; default all.

        Raises
        ------
        UnknownGene : no gene matches (with suggestions); unknown names among known ones
            give an :class:`UnknownGeneWarning`.
        """
        v = self._version_of(version)
        genes = self.resolve_genes(gene, v)
        if not genes:
            raise QueryError("give at least one gene")
        ids = [g.gene_id for g in genes]
        extra = [] if self._has_gene_table(v) else [  # e.g. study:Y_MT: expression only
            r[0] for r in queries.execute(self._con, "expression_tissues",
                                          {"version": v, "gene_ids": ids}).rows()]
        return self._query("gene", {"version": v, "gene_ids": ids,
                                    "tissues": self.resolve_tissues(tissue, v),
                                    "expression_tissues": extra,
                                    "version_tissues": self._version_tissues(v)}, limit)

    @documented("eqtls")
    def eqtls(self, gene: str | list[str] | None = None, variant: str | list[str] | None = None,
              region: str | None = None, tissue: str | list[str] | None = None, *,
              version: str | None = None, limit: int | None = None) -> Result:
        """Independent cis-eQTLs (eqtls_indep rows); filters combine with AND.

        Parameters
        ----------
        gene : gene id(s)/symbol(s); variant : variant id(s) ``chrN:pos``;
        region : ``chrN:start-end`` (1-based, inclusive; the QTL's variant lies inside);
        tissue : tissue id(s). Each defaults to no filter.
        """
        v = self._version_of(version)
        return self._query("eqtls", self.filters(v, gene=gene, variant=variant, region=region,
                                                 tissue=tissue), limit)

    @documented("xqtls")
    def xqtls(self, gene: str | list[str] | None = None, variant: str | list[str] | None = None,
              region: str | None = None, tissue: str | list[str] | None = None,
              modality: str | list[str] | None = None, cross_modality: bool = False, *,
              version: str | None = None, limit: int | None = None) -> Result:
        """Independent cis-xQTLs (xqtls_indep rows, or the cross-modality table).

        Parameters
        ----------
        gene, variant, region, tissue : as in :meth:`eqtls`.
        modality : modality name(s); default all.
        cross_modality : read xqtls_indep_cross_modality instead of xqtls_indep.
        """
        v = self._version_of(version)
        params = self.filters(v, gene=gene, variant=variant, region=region, tissue=tissue)
        params.update(modalities=inputs.resolve_modalities(modality),
                      cross_modality=bool(cross_modality))
        return self._query("xqtls", params, limit)

    @documented("assoc")
    def assoc(self, gene: str | list[str] | None = None, variant: str | list[str] | None = None,
              region: str | None = None, tissue: str | list[str] | None = None,
              modality: str | list[str] | None = None, *, version: str | None = None,
              limit: int | None = None) -> Result:
        """All significant cis pairs (cis_qtl_signif) of genes, variants or a region.

        Parameters
        ----------
        gene, variant, region, tissue : as in :meth:`eqtls`; one of gene, variant, region is
            required.
        modality : modality name(s); default all.

        Raises
        ------
        QueryError : no gene, variant or region given.
        """
        if gene is None and variant is None and region is None:
            raise QueryError("assoc needs a gene, a variant or a region")
        v = self._version_of(version)
        params = self.filters(v, gene=gene, variant=variant, region=region, tissue=tissue)
        params["modalities"] = inputs.resolve_modalities(modality)
        params["partitions"] = (None if params["gene_ids"] is None else index.partitions(
            self._con, "cis_qtl_signif", params["gene_ids"], ("tissue", "modality")))
        return self._query("assoc", params, limit)

    @documented("expression")
    def expression(self, gene: str | list[str], tissue: str | list[str] | None = None,
                   unit: str = "tpm", samples: bool = False, *, version: str | None = None,
                   limit: int | None = None) -> Result:
        """Expression of genes per tissue (distribution) or per rat (``samples=True``).

        Parameters
        ----------
        gene : gene id(s)/symbol(s).
        tissue : tissue id(s); default all.
        unit : ``tpm`` or ``log2`` (any case); v1-v3 also ``iqn``, ``iqn_filtered``.
        samples : one row per rat (SQL ``expression_samples``) instead of the distribution.
        """
        v = self._version_of(version)
        unit = inputs.resolve_unit(unit, v)
        genes = self.resolve_genes(gene, v)
        if not genes:
            raise QueryError("give at least one gene")
        return self._query("expression_samples" if samples else "expression",
                           {"version": v, "unit": unit, "gene_ids": [g.gene_id for g in genes],
                            "tissues": self.resolve_tissues(tissue, v)}, limit)

    @documented("top_expressed")
    def top_expressed(self, tissue: str, n: int = 50, exclude_mt: bool = False, *,
                      version: str | None = None, limit: int | None = None) -> Result:
        """The ``n`` genes of highest median TPM in a tissue.

        Parameters
        ----------
        tissue : tissue id.
        n : number of genes (0 or more).
        exclude_mt : leave out chrM genes.
        """
        if int(n) < 0:
            raise ConfigError(f"n must be 0 or more, not {n}")
        v = self._version_of(version)
        t = self.resolve_tissue(tissue, v)
        return self._query("top_expressed", {"version": v, "tissue": t, "n": int(n),
                                             "exclude_mt": bool(exclude_mt)}, limit)

    @documented("sharing")
    def sharing(self, modality: str = "expression", tissue: str | list[str] | None = None, *,
                version: str | None = None, limit: int | None = None) -> Result:
        """eGene sharing for each ordered pair of tissues of one modality.

        Parameters
        ----------
        modality : modality name (default expression).
        tissue : tissue id(s) to compare; default all.
        """
        v = self._version_of(version)
        m = inputs.resolve_modality(modality)
        return self._query("sharing", {"version": v, "modality": m,
                                       "tissues": self.resolve_tissues(tissue, v)}, limit)

    @documented("specific")
    def specific(self, tissue: str, modality: str = "expression", *, version: str | None = None,
                 limit: int | None = None) -> Result:
        """eGenes of a tissue that are not significant in any other tissue where tested.

        Parameters
        ----------
        tissue : tissue id.
        modality : modality name (default expression).
        """
        v = self._version_of(version)
        t = self.resolve_tissue(tissue, v)
        m = inputs.resolve_modality(modality)
        return self._query("specific", {"version": v, "tissue": t, "modality": m}, limit)

    @documented("trans")
    def trans(self, gene: str | list[str] | None = None, variant: str | list[str] | None = None,
              tissue: str | list[str] | None = None, max_pval: float | None = None,
              region: str | None = None, *, version: str | None = None,
              limit: int | None = None) -> Result:
        """Trans pairs (trans_qtl_pairs); filters combine with AND.

        Parameters
        ----------
        gene, variant, tissue : as in :meth:`eqtls`.
        max_pval : keep pairs with pval <= this.
        region : the pair's variant lies in ``chrN:start-end``.
        """
        v = self._version_of(version)
        params = self.filters(v, gene=gene, variant=variant, region=region, tissue=tissue,
                              gene_window=False)
        if max_pval is not None and not 0 <= float(max_pval) <= 1:  # NaN fails too
            raise QueryError(f"--max-pval {max_pval}: a p-value is between 0 and 1")
        params["max_pval"] = None if max_pval is None else float(max_pval)
        return self._query("trans", params, limit)

    def _known_variants(self, variants: list[tuple[str, str, int]], version: str
                        ) -> list[tuple[str, str, int]]:
        """The variants the version knows (genotyped or in any QTL table); the others are
        reported: a warning when some are known, else :class:`QueryError`."""
        params = {"version": version, "variant_ids": [x for x, _, _ in variants],
                  **inputs.locus_of_variants(variants).params()}
        known = {r[0] for r in queries.execute(self._con, "genotyped_variants", params).rows()}
        if len(known) < len(variants):
            known |= {r[0] for r in queries.execute(self._con, "known_variants", params).rows()}
        absent = [x for x, _, _ in variants if x not in known]
        if absent:
            message = (f"variant{'s' if len(absent) > 1 else ''} {', '.join(absent)} not found "
                       f"in {version} (no genotype record and no association); check the id "
                       "(chrN:pos, 1-based, the release's genome build)")
            if len(absent) == len(variants):
                raise QueryError(message)
            warnings.warn(RatgtexWarning(message + "; answering the others"), stacklevel=3)
        return [x for x in variants if x[0] in known]

    @documented("variant")
    def variant(self, variant: str | list[str], *, version: str | None = None,
                limit: int | None = None) -> Result:
        """Alleles and every association of variants, one long frame with a ``source`` column.

        Parameters
        ----------
        variant : variant id(s) ``chrN:pos`` (``N:pos`` accepted).

        Raises
        ------
        QueryError : no variant given, or none of them is in the version (some absent ones
            among known ones give a :class:`RatgtexWarning`).
        """
        v = self._version_of(version)
        variants = inputs.parse_variants(variant)
        if not variants:
            raise QueryError("give at least one variant id (chrN:pos)")
        variants = self._known_variants(variants, v)
        params = {"version": v, "variant_ids": [x for x, _, _ in variants],
                  **inputs.locus_of_variants(variants).params()}
        return self._query("variant", params, limit)

    @documented("region")
    def region(self, region: str, tissue: str | list[str] | None = None, *,
               version: str | None = None, limit: int | None = None) -> Result:
        """Genes overlapping a region and independent QTLs whose variant lies inside it.

        Parameters
        ----------
        region : ``chrN:start-end`` (1-based, inclusive) or a whole chromosome ``chrN``.
        tissue : tissue id(s) for the QTL rows; default all.
        """
        v = self._version_of(version)
        r = inputs.parse_region(region)
        return self._query("region", {"version": v, "chrom": r.chrom, "start": r.start,
                                      "end": r.end,
                                      "tissues": self.resolve_tissues(tissue, v)}, limit)

    def _pair(self, gene: str, variant: str, tissue: str, version: str | None
              ) -> dict[str, Any]:
        v = self._version_of(version)
        genes = self.resolve_genes(gene, v)
        if not genes or len(genes) != 1:
            raise QueryError("give exactly one gene")
        vid, chrom, pos = inputs.parse_variant(variant)
        params = {"version": v, "tissue": self.resolve_tissue(tissue, v),
                  "gene_id": genes[0].gene_id, "variant_id": vid, "chrom": chrom, "pos": pos}
        calls = queries.execute(self._con, "genotype_calls", params).rows()[0][0]
        if not calls:
            raise QueryError(f"variant {vid} has no genotype calls in {v} (genotypes view); "
                             "check the id (chrN:pos, 1-based), or ingest the genotype VCF")
        return params

    @documented("genotype_expression")
    def genotype_expression(self, gene: str, variant: str, tissue: str, *,
                            version: str | None = None, limit: int | None = None) -> Result:
        """Per rat: dosage at ``variant``, normalized expression and TPM of ``gene``.

        Parameters
        ----------
        gene : gene id or symbol.
        variant : variant id ``chrN:pos``.
        tissue : tissue id.

        Raises
        ------
        QueryError : the variant has no genotype calls in the version.
        """
        return self._query("genotype_expression", self._pair(gene, variant, tissue, version),
                           limit)

    @documented("genotype_expression_summary")
    def genotype_expression_summary(self, gene: str, variant: str, tissue: str, *,
                                    version: str | None = None) -> Result:
        """Genotype counts, ALT frequency, nominal p-value and threshold of a gene-variant pair.

        Parameters
        ----------
        gene : gene id or symbol.
        variant : variant id ``chrN:pos``.
        tissue : tissue id.
        """
        return self._query("genotype_expression_summary",
                           self._pair(gene, variant, tissue, version))

    # -- housekeeping -----------------------------------------------------------------------

    @documented("views")
    def views(self, view: str | None = None, *, limit: int | None = None) -> Result:
        """The public views with their meanings and columns; with ``view``, its columns.

        Parameters
        ----------
        view : a view name (any case); default all views.

        Raises
        ------
        QueryError : ``view`` is not a public view (the message lists them).
        """
        if view is None:
            meanings = view_meanings()
            return self._query("views", {"names": list(meanings),
                                         "meanings": list(meanings.values())}, limit)
        rows = self._query("view_columns", {"view": view}, limit)
        if not queries.execute(self._con, "view_columns", {"view": view}).rows():
            names = [r[0] for r in queries.execute(
                self._con, "views", {"names": [], "meanings": []}).rows()]
            raise QueryError(f"no public view {view!r}; the views are: {', '.join(names)}")
        return rows


    def info(self) -> dict[str, Result]:
        """Versions, tissues, tables (rows, bytes) and source vs lake size."""
        versions = self.sql(
            """
            SELECT m.version,
                   count(*) FILTER (m.status = 'ingested') AS ingested,
                   count(*) FILTER (m.status = 'skipped') AS skipped,
                   count(*) FILTER (m.status = 'failed') AS failed,
                   count(*) FILTER (m.status = 'replaced') AS replaced,
                   count(DISTINCT m.tissue) AS tissues,
                   sum(m.bytes) FILTER (m.status = 'ingested') AS source_bytes,
                   (SELECT sum(l.bytes) FROM _ratgtex.lake_files l
                    WHERE l.partition LIKE '%version=' || m.version || '%') AS lake_bytes,
                   bool_or(m.synthetic) AS synthetic
            FROM ingested_files m WHERE m.version IS NOT NULL GROUP BY 1 ORDER BY 1
            """
        )
        tissues = self.sql(
            """
            SELECT version, string_agg(DISTINCT tissue, ', ' ORDER BY tissue) AS tissues
            FROM ingested_files WHERE status = 'ingested' AND tissue IS NOT NULL
            GROUP BY 1 ORDER BY 1
            """
        )
        # a lake table's rows are what is stored; "views" names the public views that read it
        # (the expression view also serves TPM from phenotypes; genotypes pairs genotype_rows
        # with the rats)
        tables = self.sql(
            r"""
            WITH t AS (
                SELECT table_name, count(*) AS partitions, sum(rows) AS rows,
                       sum(bytes) AS lake_bytes
                FROM _ratgtex.lake_files GROUP BY 1
            ), v AS (
                SELECT DISTINCT view_name, sql FROM duckdb_views()
                WHERE NOT internal AND schema_name = 'main'
            )
            SELECT t.table_name AS "table",
                   (SELECT string_agg(DISTINCT v.view_name, ', ' ORDER BY v.view_name) FROM v
                    WHERE regexp_matches(v.sql, '\blake_' || t.table_name || '\b')) AS views,
                   t.partitions, t.rows, t.lake_bytes
            FROM t ORDER BY 1
            """
        )
        return {"versions": versions, "tissues": tissues, "tables": tables}

    def is_synthetic(self) -> bool:
        """True if any ingested file came from a synthetic (generated) release."""
        rows = self._con.execute(
            "SELECT bool_or(synthetic) FROM ingested_files WHERE status = 'ingested'"
        ).fetchall()  # fetchall, not fetchone: DuckDB refuses new work beside an open result
        return bool(rows and rows[0][0])

    def validate(self, pages: bool = True) -> pl.DataFrame:
        """Re-check the lake against the manifest; one row per problem (empty = all good).

        ``pages``: read every page back (checksums compared where written), one row group at a
        time; else only each file's footer."""
        import polars as pl
        import pyarrow.parquet as pq

        from ratgtex_db.manifest import sha256_file

        problems: list[tuple[str, str, str]] = []
        bad_links: list[tuple[str, str, str]] = []
        store, visible = store_dir(self.path), lake_dir(self.path)
        for table, part, rel, rows in self._con.execute(
            "SELECT table_name, partition, file, rows FROM _ratgtex.lake_files "
            "ORDER BY table_name, partition"
        ).fetchall():
            path = store / rel
            if not path.exists():
                problems.append((table, str(path), "missing Parquet file"))
                continue
            link = visible / part / lake.VISIBLE_NAME
            if not link.exists():
                bad_links.append((table, str(link), "missing Parquet file under lake/ (what "
                                  "readers of lake/ see)"))
            elif not os.path.samefile(link, path):
                bad_links.append((table, str(link), "this file under lake/ (what readers of "
                                  f"lake/ see) is not the catalog's object {path}"))
            try:  # every page read back (and its CRC checked where the writer wrote one)
                with pq.ParquetFile(path, page_checksum_verification=True) as pf:
                    got = pf.metadata.num_rows
                    for i in range(pf.num_row_groups if pages else 0):
                        pf.read_row_group(i)
            except Exception as err:  # noqa: BLE001 - any unreadable file is a finding
                problems.append((table, str(path), f"damaged or unreadable ({_one_line(err)}); "
                                 "ingest its source again with --force"))
                continue
            if got != rows:
                problems.append((table, str(path), f"{got} rows, manifest says {rows}"))
        if bad_links:
            fix = ("; the next ratgtex-db command re-links it" if lake.request_relink(self.path)
                   else "; run any ratgtex-db command with write access to the folder to "
                   "re-link it")
            problems += [(t, p, what + fix) for t, p, what in bad_links]
        for path, sha in self._con.execute(
            "SELECT path, sha256 FROM ingested_files WHERE status = 'ingested'"
        ).fetchall():
            src = Path(path)
            if not src.exists():
                problems.append(("source", path, "source file no longer there (lake intact)"))
            elif sha256_file(src) != sha:
                problems.append(("source", path, "source changed since ingest; re-ingest it"))
        return pl.DataFrame(problems, schema=["table", "path", "problem"], orient="row")


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split())[:300]


def open(  # noqa: A001 - the public name of the API
    path: str | os.PathLike[str] | None = None, version: str | None = None
) -> Database:
    """Open a database directory for queries.

    Parameters
    ----------
    path : database directory; default ``$RATGTEX_DB``, else the user data directory.
    version : release version the canned queries use; default the newest ingested.
    """
    return Database(path, version)
