"""The Python API: :func:`open` returns a :class:`Database` over a catalog.

``Database.sql`` runs read-only SQL with bound parameters and returns polars; each canned query
of ``sql/queries`` is a method of the same name (the CLI command uses hyphens).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from ratgtex_db import catalog, lake, queries
from ratgtex_db.errors import ConfigError, QueryError
from ratgtex_db.paths import lake_dir, resolve_db_dir, store_dir
from ratgtex_db.queries import Rows

if TYPE_CHECKING:  # imported when first needed: the CLI renders Rows without them
    import polars as pl
    import pyarrow as pa

    from ratgtex_db.result import Result

#: Statement types ``sql`` accepts; anything else (COPY, ATTACH, INSTALL, LOAD, writes) is
#: refused so that ad hoc SQL can never change the catalog or write files.
READ_STATEMENTS = {"SELECT", "EXPLAIN", "PRAGMA", "RELATION"}


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

        ``read_only=False`` lets :meth:`sql` run statements other than SELECT (they apply to the
        session's own in-memory database; the catalog itself is never written). ``frames=False``
        makes queries return :class:`~ratgtex_db.queries.Rows` (fetched on demand, no polars)
        instead of polars frames; the command line uses it.
        """
        self.path = resolve_db_dir(path)
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

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _con(self) -> duckdb.DuckDBPyConnection:
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
        return self._session.refresh()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def versions(self) -> list[str]:
        """Release versions with ingested data, oldest first."""
        rows = self._con.execute(
            "SELECT DISTINCT version FROM ingested_files "
            "WHERE status = 'ingested' AND version IS NOT NULL"
        ).fetchall()
        return sorted((r[0] for r in rows), key=_version_key)

    @property
    def version(self) -> str:
        """The version queries use: the one given to :func:`open`, else the newest ingested."""
        if self._version:
            return self._version
        versions = self.versions()
        if not versions:
            raise ConfigError(f"{self.path}: nothing ingested yet; run 'ratgtex-db ingest DIR'")
        return versions[-1]

    def resolve_version(self, version: str | None) -> str:
        return version or self.version

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
            kind = str(st.type).rsplit(".", 1)[-1].upper()
            if kind not in READ_STATEMENTS:
                raise QueryError(
                    f"{kind} statements are refused: 'sql' is read-only (SELECT, EXPLAIN, "
                    "PRAGMA only); to change the database use 'ratgtex-db ingest'"
                )

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
            return Rows(self._con.sql(query, params=params))
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
        return self._wrap(queries.execute(self._con, name, params, limit))

    @queries.documented("tissues")
    def tissues(self, tissue: str | list[str] | None = None, *, version: str | None = None,
                limit: int | None = None) -> Result:
        """Per tissue: samples, expressed genes, eGenes, independent eQTLs, xQTL genes.

        Parameters
        ----------
        tissue : tissue id(s) to keep; default all.
        version : release version; default the database's (newest ingested).
        limit : at most this many rows.
        """
        v = self.resolve_version(version)
        return self._query("tissues", {"version": v,
                                       "tissues": queries.resolve_tissues(self, tissue, v)}, limit)

    @queries.documented("gene")
    def gene(self, gene: str | list[str], tissue: str | list[str] | None = None, *,
             version: str | None = None, limit: int | None = None) -> Result:
        """Annotation and per-tissue status of genes: one row per gene and tissue.

        Parameters
        ----------
        gene : gene id(s) or symbol(s), matched exactly, else case-insensitively.
        tissue : tissue id(s) to keep; default all.

        Raises
        ------
        UnknownGene : a gene matches nothing (with suggestions).
        """
        v = self.resolve_version(version)
        genes = queries.resolve_genes(self, gene, v)
        if not genes:
            raise QueryError("give at least one gene")
        return self._query("gene", {"version": v, "gene_ids": [g.gene_id for g in genes],
                                    "tissues": queries.resolve_tissues(self, tissue, v)}, limit)

    @queries.documented("eqtls")
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
        v = self.resolve_version(version)
        return self._query("eqtls", queries.filters(self, v, gene=gene, variant=variant,
                                                    region=region, tissue=tissue), limit)

    @queries.documented("xqtls")
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
        v = self.resolve_version(version)
        params = queries.filters(self, v, gene=gene, variant=variant, region=region,
                                 tissue=tissue)
        params.update(modalities=queries.resolve_modalities(modality),
                      cross_modality=bool(cross_modality))
        return self._query("xqtls", params, limit)

    @queries.documented("assoc")
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
        v = self.resolve_version(version)
        params = queries.filters(self, v, gene=gene, variant=variant, region=region,
                                 tissue=tissue)
        params["modalities"] = queries.resolve_modalities(modality)
        return self._query("assoc", params, limit)

    @queries.documented("expression")
    def expression(self, gene: str | list[str], tissue: str | list[str] | None = None,
                   unit: str = "tpm", samples: bool = False, *, version: str | None = None,
                   limit: int | None = None) -> Result:
        """Expression of genes per tissue (distribution) or per rat (``samples=True``).

        Parameters
        ----------
        gene : gene id(s)/symbol(s).
        tissue : tissue id(s); default all.
        unit : ``tpm`` or ``log2``.
        samples : one row per rat (SQL ``expression_samples``) instead of the distribution.
        """
        if unit not in queries.UNITS:
            raise QueryError(f"unknown unit {unit!r}; choose {' or '.join(queries.UNITS)}")
        v = self.resolve_version(version)
        genes = queries.resolve_genes(self, gene, v)
        if not genes:
            raise QueryError("give at least one gene")
        return self._query("expression_samples" if samples else "expression",
                           {"version": v, "unit": unit, "gene_ids": [g.gene_id for g in genes],
                            "tissues": queries.resolve_tissues(self, tissue, v)}, limit)

    @queries.documented("top_expressed")
    def top_expressed(self, tissue: str, n: int = 50, exclude_mt: bool = False, *,
                      version: str | None = None, limit: int | None = None) -> Result:
        """The ``n`` genes of highest median TPM in a tissue.

        Parameters
        ----------
        tissue : tissue id.
        n : number of genes.
        exclude_mt : leave out chrM genes.
        """
        v = self.resolve_version(version)
        t = queries.resolve_tissue(self, tissue, v)
        return self._query("top_expressed", {"version": v, "tissue": t, "n": int(n),
                                             "exclude_mt": bool(exclude_mt)}, limit)

    @queries.documented("sharing")
    def sharing(self, modality: str = "expression", tissue: str | list[str] | None = None, *,
                version: str | None = None, limit: int | None = None) -> Result:
        """eGene sharing for each ordered pair of tissues of one modality.

        Parameters
        ----------
        modality : modality name (default expression).
        tissue : tissue id(s) to compare; default all.
        """
        v = self.resolve_version(version)
        m = queries.resolve_modality(modality)
        return self._query("sharing", {"version": v, "modality": m,
                                       "tissues": queries.resolve_tissues(self, tissue, v)}, limit)

    @queries.documented("specific")
    def specific(self, tissue: str, modality: str = "expression", *, version: str | None = None,
                 limit: int | None = None) -> Result:
        """eGenes of a tissue that are not significant in any other tissue where tested.

        Parameters
        ----------
        tissue : tissue id.
        modality : modality name (default expression).
        """
        v = self.resolve_version(version)
        t = queries.resolve_tissue(self, tissue, v)
        m = queries.resolve_modality(modality)
        return self._query("specific", {"version": v, "tissue": t, "modality": m}, limit)

    @queries.documented("trans")
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
        v = self.resolve_version(version)
        params = queries.filters(self, v, gene=gene, variant=variant, region=region,
                                 tissue=tissue, gene_window=False)
        params["max_pval"] = None if max_pval is None else float(max_pval)
        return self._query("trans", params, limit)

    @queries.documented("variant")
    def variant(self, variant: str | list[str], *, version: str | None = None,
                limit: int | None = None) -> Result:
        """Alleles and every association of variants, one long frame with a ``source`` column.

        Parameters
        ----------
        variant : variant id(s) ``chrN:pos`` (``N:pos`` accepted).
        """
        v = self.resolve_version(version)
        variants = queries.parse_variants(variant)
        if not variants:
            raise QueryError("give at least one variant id (chrN:pos)")
        params = {"version": v, "variant_ids": [x for x, _, _ in variants],
                  **queries.locus_of_variants(variants).params()}
        return self._query("variant", params, limit)

    @queries.documented("region")
    def region(self, region: str, tissue: str | list[str] | None = None, *,
               version: str | None = None, limit: int | None = None) -> Result:
        """Genes overlapping a region and independent QTLs whose variant lies inside it.

        Parameters
        ----------
        region : ``chrN:start-end`` (1-based, inclusive) or a whole chromosome ``chrN``.
        tissue : tissue id(s) for the QTL rows; default all.
        """
        v = self.resolve_version(version)
        r = queries.parse_region(region)
        return self._query("region", {"version": v, "chrom": r.chrom, "start": r.start,
                                      "end": r.end,
                                      "tissues": queries.resolve_tissues(self, tissue, v)}, limit)

    def _pair(self, gene: str, variant: str, tissue: str, version: str | None
              ) -> dict[str, Any]:
        v = self.resolve_version(version)
        genes = queries.resolve_genes(self, gene, v)
        if len(genes) != 1:
            raise QueryError("give exactly one gene")
        vid, chrom, pos = queries.parse_variant(variant)
        return {"version": v, "tissue": queries.resolve_tissue(self, tissue, v),
                "gene_id": genes[0].gene_id, "variant_id": vid, "chrom": chrom, "pos": pos}

    @queries.documented("genotype_expression")
    def genotype_expression(self, gene: str, variant: str, tissue: str, *,
                            version: str | None = None, limit: int | None = None) -> Result:
        """Per rat: dosage at ``variant``, normalized expression and TPM of ``gene``.

        Parameters
        ----------
        gene : gene id or symbol.
        variant : variant id ``chrN:pos``.
        tissue : tissue id.
        """
        return self._query("genotype_expression", self._pair(gene, variant, tissue, version),
                           limit)

    @queries.documented("genotype_expression_summary")
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

    def info(self) -> dict[str, Result]:
        """Versions, tissues, tables (rows, bytes) and source vs lake size."""
        versions = self.sql(
            """
            SELECT m.version,
                   count(*) FILTER (m.status = 'ingested') AS ingested,
                   count(*) FILTER (m.status = 'skipped') AS skipped,
                   count(*) FILTER (m.status = 'failed') AS failed,
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
        tables = self.sql(
            """
            SELECT table_name AS "table", count(*) AS partitions, sum(rows) AS rows,
                   sum(bytes) AS lake_bytes
            FROM _ratgtex.lake_files GROUP BY 1 ORDER BY 1
            """
        )
        return {"versions": versions, "tissues": tissues, "tables": tables}

    def is_synthetic(self) -> bool:
        """True if any ingested file came from a synthetic (generated) release."""
        rows = self._con.execute(
            "SELECT bool_or(synthetic) FROM ingested_files WHERE status = 'ingested'"
        ).fetchall()  # fetchall, not fetchone: DuckDB refuses new work beside an open result
        return bool(rows and rows[0][0])

    def validate(self) -> pl.DataFrame:
        """Re-check the lake against the manifest; one row per problem (empty = all good)."""
        import polars as pl
        import pyarrow.parquet as pq

        from ratgtex_db.manifest import sha256_file

        problems: list[tuple[str, str, str]] = []
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
            if not link.exists() or not os.path.samefile(link, path):
                problems.append((table, str(link), "missing Parquet file under lake/ (what "
                                 "readers of lake/ see); the next ingest re-links it"))
            try:
                got = pq.ParquetFile(path).metadata.num_rows
            except Exception as err:  # noqa: BLE001 - any unreadable file is a finding
                problems.append((table, str(path), f"unreadable: {err}"))
                continue
            if got != rows:
                problems.append((table, str(path), f"{got} rows, manifest says {rows}"))
        for path, sha in self._con.execute(
            "SELECT path, sha256 FROM ingested_files WHERE status = 'ingested'"
        ).fetchall():
            src = Path(path)
            if not src.exists():
                problems.append(("source", path, "source file no longer there (lake intact)"))
            elif sha256_file(src) != sha:
                problems.append(("source", path, "source changed since ingest; re-ingest it"))
        return pl.DataFrame(problems, schema=["table", "path", "problem"], orient="row")


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
