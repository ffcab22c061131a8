"""``ratgtex-db serve``: the RatGTEx portal's REST API (release-format section 8) from the lake.

Every answer is a named query of ``sql/queries/portal.sql`` (bound parameters, pruned Parquet
reads), never a file loaded whole. Paths, parameters (comma lists), JSON keys (sorted, as the
portal's Flask app sends them), value types, record order and tissue order (``tissue_info``)
are the portal's, and so is the reading of parameters: the first of repeated ones, lists split
on commas, ids used verbatim (`` Grin2b`` is no gene), positions read by ``int()``. Where the
portal answers 200 with an empty list (an unknown or empty id of /exon, /eqtl, /xqtl,
/singleTissueEqtl, /topExpressedGene, /variant), so do we; where it crashes with an HTML 500 (a
missing parameter, an empty id of /gene, an unknown gene or tissue), we answer
``{"error": ...}`` with 400 or 404. Missing numbers are ``null``, never a bare ``NaN``.

Versions: each ingested release with a tissue table is served under ``/api/{version}/``; v4
with the v4 portal's endpoints, v1-v3 with the older portal's (``/sqtl`` instead of ``/xqtl``,
``pval_beta``/``log2_aFC`` not renamed in ``/eqtl``, ``/dyneqtl`` on normalized expression).
An endpoint is served where its data were ingested; ``/api/`` lists what is served.

Read only: the database is opened read-only, no endpoint writes and none takes SQL; the
parameters are ids, bound by value.
"""

from __future__ import annotations

import json
import logging
import math
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ratgtex_db import queries
from ratgtex_db.errors import ConfigError
from ratgtex_db.paths import catalog_path

#: Longest query string answered; longer ones get a JSON 400 at once.
MAX_QUERY_BYTES = 64 * 1024
#: Most ids in one list parameter (geneId, variantId, tissueSiteDetailId).
MAX_IDS = 1_000
#: Longest request head the HTTP parser reads (uvicorn's h11 limit); beyond it the server
#: answers uvicorn's own plain-text 400 without reading more.
MAX_REQUEST_HEAD_BYTES = 4 * 1024 * 1024
#: Database sessions (DuckDB instances) answering requests at the same time; more requests wait.
POOL_SIZE = 4

#: Endpoints of the v4 portal, and of the v1-v3 portal (release-format 8).
V4_ENDPOINTS = ("tissueInfo", "gene", "exon", "variant", "geneExpression",
                "medianGeneExpression", "topExpressedGene", "singleTissueEqtl", "eqtl", "xqtl",
                "dyneqtl")
LEGACY_ENDPOINTS = ("tissueInfo", "gene", "exon", "variant", "geneExpression",
                    "medianGeneExpression", "topExpressedGene", "singleTissueEqtl", "eqtl",
                    "sqtl", "dyneqtl")

#: The genotype dataset the portal's /variant reads (its ``ref_vcf``); a version whose named
#: dataset is absent uses the dataset most of its tissues use.
#: The legacy gene tables' column beyond v4's (release-format 5.2), which the legacy portal
#: returned with every other column: (JSON key, genes view column).
LEGACY_GENE_KEY = {"v1": ("geneSymbol", "gene_symbol"), "v2": ("geneSymbol", "gene_symbol"),
                   "v3": ("geneIdEnsembl", "gene_id_ensembl")}

REFERENCE_DATASET = {"v4": "ratgtex_v4_round11_2", "v3": "ratgtex_v3_round10_5"}

log = logging.getLogger("ratgtex_db.serve")

_RELEASE_RE = re.compile(r"^v\d+$")


class ApiError(Exception):
    """An answer of the form ``{"error": message}`` with an HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null; nested lists and dicts are cleaned."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def dumps(body: Any) -> bytes:
    """The portal's JSON text (Flask's ``jsonify``): keys sorted at every level, compact,
    ASCII, a final newline; NaN as null."""
    try:  # most answers hold no NaN: clean (a walk of every value) only those that do
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except ValueError:
        text = json.dumps(_clean(body), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return (text + "\n").encode()


def newick(labels: list[str], matrix: Any) -> str:
    """The portal's tree of the rows of ``matrix``: scipy average linkage (Euclidean,
    optimal leaf ordering) written as Newick, right subtree first, ``leaf:length``, branch
    length = parent height - node height (``%g``), the root closed by ``);``.
    ``"Not enough data"`` for fewer than two rows."""
    import numpy as np
    from scipy.cluster.hierarchy import linkage, to_tree

    if len(labels) < 2:
        return "Not enough data"
    z = linkage(np.asarray(matrix, dtype=float), method="average", optimal_ordering=True)
    root = to_tree(z)
    out: list[str] = []
    # iterative walk (a 1000-leaf caterpillar tree is deeper than Python's recursion limit)
    stack: list[Any] = [(root, root.dist)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        node, parent = item
        if node.is_leaf():
            out.append(f"{labels[node.id]}:{parent - node.dist:g}")
            continue
        close = ");" if node is root else f"):{parent - node.dist:g}"
        out.append("(")
        stack.extend([close, (node.get_left(), node.dist), ",", (node.get_right(), node.dist)])
    return "".join(out)


# -- parameters -------------------------------------------------------------------------------

def _items(value: str | None, name: str) -> list[str]:
    """A comma list parameter split as the portal splits it (``value.split(",")``): items
    verbatim, so `` Grin2b`` is not ``Grin2b`` and an empty item stays (each endpoint treats it
    as the portal does); at most ``MAX_IDS``."""
    if value is None:
        raise ApiError(400, f"missing parameter {name}")
    items = value.split(",")
    if len(items) > MAX_IDS:
        raise ApiError(400, f"parameter {name}: at most {MAX_IDS} ids per request, not "
                            f"{len(items)}")
    return items


def _no_empty(items: list[str], name: str) -> list[str]:
    """``items`` when none is empty, else a 400 (the portal's lookups crash on an empty id)."""
    if not any(items):
        raise ApiError(400, f"parameter {name} is empty")
    if "" in items:
        raise ApiError(400, f"parameter {name}: empty id at position {items.index('') + 1} "
                            f"of {','.join(items)!r}")
    return items


def _single(value: str | None, name: str) -> str:
    """A one-id parameter, used whole and verbatim, as the portal does (``a,b`` is one unknown
    id, `` a`` is not ``a``, an empty value matches nothing)."""
    if value is None:
        raise ApiError(400, f"missing parameter {name}")
    return value


def _required(value: str | None, name: str) -> str:
    """A one-id parameter where the portal fails on an empty value: 400 for it."""
    value = _single(value, name)
    if not value:
        raise ApiError(400, f"parameter {name} is empty")
    return value


def _position(variant_id: str) -> tuple[str, int] | None:
    """``chrN:pos`` -> (chrom, pos) as the portal reads it (``chrom, pos = id.split(":")``,
    ``int(pos)``: blanks around the number, a sign or ``_`` between digits are accepted, the
    chromosome is taken verbatim); None where it finds no record (not two parts, no number,
    a position outside 1 .. 2**31 - 1)."""
    parts = variant_id.split(":")
    if len(parts) != 2 or not parts[0]:
        return None
    try:
        pos = int(parts[1])
    except ValueError:
        return None
    return (parts[0], pos) if 1 <= pos < 2**31 else None


def _capitalized(gene: str) -> str:
    return gene[:1].upper() + gene[1:].lower()


# -- releases and sessions --------------------------------------------------------------------

@dataclass(frozen=True)
class Release:
    """What is served for one version (read once per catalog snapshot)."""

    version: str
    tissue_rows: tuple[dict[str, Any], ...]
    tissues: tuple[str, ...]
    dataset: dict[str, str]
    reference: str | None
    median_tissues: tuple[str, ...]
    endpoints: tuple[str, ...]

    @property
    def legacy(self) -> bool:
        return self.version != "v4" and _version_number(self.version) < 4


def _version_number(version: str) -> int:
    m = re.match(r"v(\d+)", version)
    return int(m.group(1)) if m else 0


class _Pool:
    """Database sessions lent to requests, one request at a time each (a DuckDB connection is
    not shared by threads); made on demand up to ``size``, the warmest lent first."""

    def __init__(self, db_dir: Path, size: int, first: Any = None) -> None:
        self.db_dir = db_dir
        self.size = size
        self._free: queue.LifoQueue[Any] = queue.LifoQueue()
        self._made = 0
        self._lock = threading.Lock()
        #: Set when the server stops: warming opens no further session (a DuckDB instance
        #: being opened by a thread the interpreter kills at exit aborts the process).
        self.closing = threading.Event()
        if first is not None:  # a session the caller opened already (the CLI's checks)
            self._free.put(first)
            self._made = 1

    @contextmanager
    def session(self) -> Iterator[Any]:
        try:
            db = self._free.get_nowait()
        except queue.Empty:
            with self._lock:
                make = self._made < self.size
                if make:
                    self._made += 1
            if make:
                import ratgtex_db

                try:
                    db = ratgtex_db.open(self.db_dir)
                except BaseException:
                    with self._lock:
                        self._made -= 1
                    raise
            else:
                db = self._free.get()
        try:
            yield db
        finally:
            self._free.put(db)

    def fill(self, warm: Callable[[Any], None]) -> None:
        """Open the sessions not made yet and run ``warm`` on each (footers cached), so that
        the first requests do not pay for it."""
        import ratgtex_db

        while not self.closing.is_set():
            with self._lock:
                if self._made >= self.size:
                    return
                self._made += 1
            try:
                db = ratgtex_db.open(self.db_dir)
                warm(db)
            except Exception:  # noqa: BLE001 - warming is an optimisation; requests will say
                with self._lock:
                    self._made -= 1
                return
            self._free.put(db)


def _q(db: Any, name: str, **params: Any) -> list[dict[str, Any]]:
    return queries.execute(db.connection, name, params).dicts()


#: Threads running the independent lookups of one request (/dyneqtl: expression row, variant
#: record, pair p-value, genotype calls) at once. Each runs on its own cursor of the request's
#: session; DuckDB releases the GIL while it executes. Medium release, quiet machine, the four
#: lookups: 51-59 ms one after the other, 38-42 ms at once.
_FANOUT = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ratgtex-serve-fanout")


def _fanout(db: Any, calls: list[tuple[str, dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    """The rows of each ``(query, params)``, the queries run in parallel on cursors of ``db``'s
    connection (same snapshot, same default catalog)."""
    con = db.connection
    where = con.execute("SELECT current_database(), current_schema()").fetchall()[0]
    use = 'USE "{}"."{}"'.format(*(w.replace('"', '""') for w in where))

    def run(call: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        cur = con.cursor()
        try:
            cur.execute(use)
            return queries.execute(cur, call[0], call[1]).dicts()
        finally:
            cur.close()

    if len(calls) == 1:
        return [queries.execute(con, calls[0][0], calls[0][1]).dicts()]
    return [f.result() for f in [_FANOUT.submit(run, c) for c in calls]]


class _ByGene:
    """The rows of a small query (one version's independent QTLs, its eQTL thresholds) held
    as Arrow, in the query's order (by ``geneId``), with each gene's row range: a gene's rows
    are a slice, not a scan. Read once per catalog snapshot."""

    def __init__(self, table: Any) -> None:
        self.table = table
        genes = table.column("geneId").to_pylist()
        self.ranges: dict[str, tuple[int, int]] = {}
        start = 0
        for i in range(1, len(genes) + 1):
            if i == len(genes) or genes[i] != genes[start]:
                self.ranges[genes[start]] = (start, i - start)
                start = i

    def rows(self, gene: str) -> list[dict[str, Any]]:
        r = self.ranges.get(gene)
        return [] if r is None else self.table.slice(*r).to_pylist()


class Portal:
    """The API's answers over one database directory, for every served version."""

    def __init__(self, db_dir: Path, version: str | None = None,
                 pool_size: int = POOL_SIZE, session: Any = None) -> None:
        self.db_dir = Path(db_dir)
        self.only = version
        self.pool = _Pool(self.db_dir, pool_size, session)
        self._lock = threading.Lock()
        self._snapshot: tuple[int, int] | None = None
        self._releases: dict[str, Release] = {}
        self._by_gene: dict[tuple[str, str], _ByGene] = {}
        self._samples: dict[tuple[str, str], list[str]] = {}
        self._ingested: list[str] = []
        self.releases()  # read now: a database with nothing to serve fails at start-up
        if not self._ingested:
            raise ConfigError(f"{self.db_dir}: no release with a tissue table is ingested; "
                              "run 'ratgtex-db ingest DIR' first")
        if version is not None and self.only not in self._releases:
            raise ConfigError(f"--version {version}: no such release in {self.db_dir}; "
                              f"ingested: {', '.join(self._ingested)}")

    def warm(self) -> None:
        """Open every pooled session and load what the first requests would (run in the
        background once the server listens)."""
        from scipy.cluster import hierarchy  # noqa: F401 - the first tree pays the import

        self.pool.fill(lambda db: _q(db, "portal_served", version=next(iter(self._releases))))
        if self.pool.closing.is_set():
            return
        with self.pool.session() as db:
            for rel in self.releases().values():
                for endpoint, query in (("eqtl", "portal_eqtl_legacy" if rel.legacy
                                         else "portal_eqtl"), ("xqtl", "portal_xqtl"),
                                        ("sqtl", "portal_sqtl"),
                                        ("dyneqtl", "portal_thresholds")):
                    if endpoint in rel.endpoints:
                        self.by_gene(db, rel, query)
                if "dyneqtl" in rel.endpoints:
                    for dataset in sorted(set(rel.dataset.values())):
                        self.samples(db, rel.version, dataset)

    # -- what is served (cached per catalog snapshot) ----------------------------------------

    def _snapshot_key(self) -> tuple[int, int] | None:
        try:
            st = os.stat(catalog_path(self.db_dir))
        except FileNotFoundError:
            return None
        return (st.st_dev, st.st_ino)

    def releases(self) -> dict[str, Release]:
        """version -> Release, re-read when a new catalog snapshot was published."""
        key = self._snapshot_key()
        if key == self._snapshot and self._releases:
            return self._releases
        with self._lock:
            if key != self._snapshot or not self._releases:
                with self.pool.session() as db:
                    self._releases = self._read_releases(db)
                self._by_gene = {}
                self._samples = {}
                self._snapshot = key
        return self._releases

    def _read_releases(self, db: Any) -> dict[str, Release]:
        out: dict[str, Release] = {}
        versions = [r["version"] for r in _q(db, "portal_versions")
                    if _RELEASE_RE.match(r["version"] or "")]
        versions.sort(key=_version_number)
        self._ingested = versions
        if self.only is not None:  # choices are case-insensitive: V4 serves v4
            self.only = next((v for v in versions if v.casefold() == self.only.casefold()),
                             self.only)
        for v in versions:
            if self.only is not None and v != self.only:
                continue
            f = _q(db, "portal_served", version=v)[0]
            rows = tuple(_q(db, "portal_tissue_info", version=v))
            tissues = tuple(r["tissueSiteDetailId"] for r in rows)
            dataset = {r["tissueSiteDetailId"]: r["dataset"] for r in rows}
            medians = {r["tissue"] for r in _q(db, "portal_median_tissues", version=v)}
            legacy = _version_number(v) < 4

            def unit(name: str, v: str = v) -> bool:
                return bool(_q(db, "portal_has_unit", version=v, unit=name)[0]["present"])

            expr = unit("tpm") if legacy else f["phenos_unnorm"]
            dyn = (unit("iqn") if legacy else f["phenos_unnorm"]) and f["genotypes"] \
                and f["top_assoc"]
            have = {"tissueInfo": True, "gene": f["gene"], "exon": f["exon"],
                    "variant": f["variant"], "geneExpression": expr,
                    "medianGeneExpression": f["median_gene_expression"],
                    "topExpressedGene": f["top_expressed_gene"],
                    "singleTissueEqtl": f["single_tissue_eqtl"], "eqtl": f["eqtl"],
                    "xqtl": f["xqtl"], "sqtl": f["sqtl"], "dyneqtl": dyn}
            names = LEGACY_ENDPOINTS if legacy else V4_ENDPOINTS
            out[v] = Release(
                version=v, tissue_rows=rows, tissues=tissues, dataset=dataset,
                reference=self._reference(v, dataset),
                # the file's columns are in sorted tissue order (release-format 3.7)
                median_tissues=tuple(sorted(medians)),
                endpoints=tuple(n for n in names if have[n]))
        return out

    def by_gene(self, db: Any, rel: Release, query: str) -> _ByGene:
        """The rows of ``query`` for ``rel``'s version, by gene (cached per snapshot)."""
        key = (rel.version, query)
        table = self._by_gene.get(key)
        if table is None:
            table = _ByGene(queries.execute(db.connection, query,
                                            {"version": rel.version}).arrow())
            self._by_gene[key] = table
        return table

    def samples(self, db: Any, version: str, dataset: str) -> list[str]:
        """The rats of a dataset's dosage lists, in their order (cached per snapshot)."""
        key = (version, dataset)
        rats = self._samples.get(key)
        if rats is None:
            rats = [r[0] for r in queries.execute(db.connection, "portal_genotype_samples",
                                                  {"version": version,
                                                   "dataset": dataset}).rows()]
            self._samples[key] = rats
        return rats

    @staticmethod
    def _reference(version: str, dataset: dict[str, str]) -> str | None:
        named = REFERENCE_DATASET.get(version)
        if named in dataset.values():
            return named
        counts: dict[str, int] = {}
        for d in dataset.values():
            counts[d] = counts.get(d, 0) + 1
        return max(counts, key=lambda d: (counts[d], d)) if counts else None

    def served(self) -> dict[str, Any]:
        """The answer of ``/api/``: versions, their prefixes and endpoints, the limits."""
        return {
            "versions": [{"version": r.version, "prefix": f"/api/{r.version}/",
                          "endpoints": list(r.endpoints), "tissues": list(r.tissues)}
                         for r in self.releases().values()],
            "docs": "/docs", "openapi": "/openapi.json",
            "limits": {"maxIdsPerParameter": MAX_IDS, "maxQueryStringBytes": MAX_QUERY_BYTES},
        }

    def release(self, version: str) -> Release:
        rel = self.releases().get(version)
        if rel is None:
            served = ", ".join(f"/api/{v}/" for v in self.releases())
            raise ApiError(404, f"version {version!r} is not served here; served: {served}")
        return rel

    # -- dispatch ----------------------------------------------------------------------------

    def answer(self, version: str, endpoint: str, **params: str | None) -> tuple[int, Any]:
        """(status, body) of one request; every failure is an ``{"error": ...}`` body."""
        try:
            rel = self.release(version)
            if endpoint not in rel.endpoints:
                names = LEGACY_ENDPOINTS if rel.legacy else V4_ENDPOINTS
                why = ("its data are not ingested" if endpoint in names
                       else f"the {version} portal has no such endpoint")
                raise ApiError(404, f"/api/{version}/{endpoint} is not served ({why}); served: "
                                    f"{', '.join(rel.endpoints)}")
            method: Callable[..., Any] = getattr(self, "_" + endpoint)
            with self.pool.session() as db:
                return 200, method(db, rel, **params)
        except ApiError as err:
            return err.status, {"error": str(err)}
        except Exception as err:  # noqa: BLE001 - a bug or a broken lake: say so as JSON
            log.exception("error answering /api/%s/%s %s", version, endpoint, params)
            return 500, {"error": f"internal error: {type(err).__name__}: {err}"}

    # -- endpoints (release-format 8) --------------------------------------------------------

    def _tissueInfo(self, db: Any, rel: Release) -> dict:  # noqa: N802 - the portal's names
        return {"tissueInfo": [dict(r) for r in rel.tissue_rows]}

    def _gene(self, db: Any, rel: Release, geneId: str | None) -> dict:  # noqa: N802, N803
        # the portal retries an id as _capitalized(id), which fails on an empty one
        ids = _no_empty(_items(geneId, "geneId"), "geneId")
        cands = list(dict.fromkeys(ids + [_capitalized(i) for i in ids]))
        rows = {r["geneId"]: r for r in _q(db, "portal_genes", version=rel.version,
                                            gene_ids=cands)}
        # the portal's rule: exact id, else first letter upper and the rest lower, else dropped;
        # repeated ids repeat
        legacy = _version_number(rel.version) < 4
        keep = [i if i in rows else _capitalized(i) for i in ids]
        keep = [g for g in keep if g in rows]
        status: dict[str, dict[str, dict]] = {}
        if keep:
            for s in _q(db, "portal_gene_status", version=rel.version,
                        gene_ids=list(dict.fromkeys(keep))):
                status.setdefault(s["gene_id"], {})[s["tissue"]] = s
        out = []
        extra = LEGACY_GENE_KEY.get(rel.version)
        for g in keep:
            row = dict(rows[g])
            extras = {"gene_symbol": row.pop("gene_symbol"),
                      "gene_id_ensembl": row.pop("gene_id_ensembl")}
            if extra is not None:  # the legacy gene table's own column, returned with the rest
                row[extra[0]] = extras[extra[1]]
            # the portal fills missing annotation with "" (pandas fillna(""))
            rec = {k: ("" if v is None else v) for k, v in row.items()}
            rec["statusInTissue"] = [
                {"eqtl": bool(st.get("eqtl")), "expressed": bool(st.get("expressed")),
                 "testedEqtl": bool(st.get("tested_eqtl")), "tissueSiteDetailId": t,
                 # the v3 portal's gene table also had the splicing flags (release-format 5.2)
                 **({"altSplice": bool(st.get("alt_splice")),
                     "testedSqtl": bool(st.get("tested_sqtl")),
                     "sqtl": bool(st.get("sqtl"))} if legacy else {})}
                for t in rel.tissues for st in [status.get(g, {}).get(t, {})]]
            out.append(rec)
        return {"gene": out}

    def _exon(self, db: Any, rel: Release, geneId: str | None) -> dict:  # noqa: N802, N803
        g = _single(geneId, "geneId")
        return {"exon": _q(db, "portal_exons", version=rel.version, gene_id=g)}

    def _variant(self, db: Any, rel: Release, variantId: str | None) -> dict:  # noqa: N802, N803
        # an empty or malformed id is skipped, as by the portal (``variantId=`` answers [])
        ids = _items(variantId, "variantId")
        wanted = [(v, p) for v in ids if (p := _position(v)) is not None]
        if not wanted or rel.reference is None:
            return {"variant": []}
        found: dict[tuple[str, int], list[dict]] = {}
        for r in _q(db, "portal_variants", version=rel.version, dataset=rel.reference,
                    chroms=list({p[0] for _, p in wanted}),
                    positions=list({p[1] for _, p in wanted})):
            found.setdefault((r["chrom"], r["pos"]), []).append(r)
        out = []
        for v, p in wanted:
            recs = found.get(p, [])
            if len(recs) == 1:  # the portal skips absent positions and multi-record ones
                r = recs[0]
                out.append({"alt": r["alt"], "chromosome": r["chrom"], "pos": r["pos"],
                            "ref": r["ref"], "variantId": v})
        return {"variant": out}

    def _geneExpression(self, db: Any, rel: Release,  # noqa: N802
                        geneId: str | None) -> dict:  # noqa: N803
        g = _required(geneId, "geneId")
        # TPM from the expression view: v4's phenos expression unnorm BEDs, or expr.tpm where a
        # release ships that copy alone; v1-v3 expr.tpm
        rows = queries.execute(db.connection, "portal_expression_unit",
                               {"version": rel.version, "gene_id": g, "unit": "tpm"}).rows()
        if not rows:
            raise ApiError(404, f"Gene not found: {g}")
        data: dict[str, list] = {}
        for tissue, value in rows:  # the query's two columns
            data.setdefault(tissue, []).append(value)
        return {"geneExpression": [
            {"data": data.get(t, []), "datasetId": f"ratgtex_{rel.version}", "geneId": g,
             "geneSymbol": g, "tissueSiteDetailId": t, "unit": "TPM"} for t in rel.tissues]}

    def _medianGeneExpression(self, db: Any, rel: Release, geneId: str | None,  # noqa: N802, N803
                              tissueSiteDetailId: str | None) -> dict:  # noqa: N803
        import numpy as np

        # gene ids not in the table are dropped (an empty one too), as by the portal
        ids = _items(geneId, "geneId")
        if not any(ids):
            raise ApiError(400, "parameter geneId is empty")
        if tissueSiteDetailId is None:
            tissues = list(rel.median_tissues)
        else:  # the portal selects these columns: any id not a column fails (a 404 here)
            tissues = _no_empty(_items(tissueSiteDetailId, "tissueSiteDetailId"),
                                "tissueSiteDetailId")
            unknown = [t for t in dict.fromkeys(tissues) if t not in rel.median_tissues]
            if unknown:
                raise ApiError(404, f"Tissue not found: {', '.join(unknown)}")
        # all tissues: a gene of the table counts as known even where its medians are NA
        rows = _q(db, "portal_medians", version=rel.version,
                  gene_ids=list(dict.fromkeys(i for i in ids if i)),
                  tissues=list(rel.median_tissues))
        value = {(r["gene_id"], r["tissue"]): r["median_tpm"] for r in rows}
        have = {g for g, _ in value}
        genes = [g for g in ids if g in have]  # the portal keeps repeats and the given order
        if not genes:
            shown = ", ".join(repr(i) for i in ids[:5]) + (", ..." if len(ids) > 5 else "")
            raise ApiError(404, f"Gene not found: {shown}")
        m = np.array([[value.get((g, t), np.nan) for t in tissues] for g in genes], dtype=float)
        if np.isnan(m).any() and (len(genes) > 1 or len(tissues) > 1):
            # the portal's linkage refuses NA (an HTML 500); a 0 in its place would draw a tree
            # the data do not give (release-format 8: answer a JSON error where it crashes)
            gi, ti = (int(x[0]) for x in np.nonzero(np.isnan(m)))
            raise ApiError(404, f"no median TPM for {genes[gi]} in {tissues[ti]} (NA in "
                           "medianGeneExpression), so no tree: leave that gene or tissue out")
        return {
            "clusters": {"gene": newick(genes, m), "tissue": newick(tissues, m.T)},
            "medianGeneExpression": [
                {"geneId": g, "median": value.get((g, t)), "tissueSiteDetailId": t}
                for t in tissues for g in genes],
        }

    def _topExpressedGene(self, db: Any, rel: Release,  # noqa: N802
                          tissueSiteDetailId: str | None,  # noqa: N803
                          filterMtGene: str | None) -> dict:  # noqa: N803
        t = _single(tissueSiteDetailId, "tissueSiteDetailId")
        flag = False
        if filterMtGene is not None:
            # Flask's args.get(type=json.loads, default=False): text that is not JSON is the
            # default, not an error (the live portal answers 200 with chrM genes kept)
            try:
                flag = bool(json.loads(filterMtGene))
            except ValueError:
                flag = False
        return {"topExpressedGene": _q(db, "portal_top_expressed", version=rel.version,
                                       tissue=t, exclude_mt=flag)}

    def _singleTissueEqtl(self, db: Any, rel: Release,  # noqa: N802
                          geneId: str | None) -> dict:  # noqa: N803
        g = _single(geneId, "geneId")
        rows = _q(db, "portal_single_tissue_eqtl", version=rel.version, gene_id=g)
        for r in rows:  # the portal rounds p to 4 significant digits
            p = r["pValue"]
            r["pValue"] = float(f"{p:.3e}") if p is not None and math.isfinite(p) else None
        return {"singleTissueEqtl": rows}

    def _eqtl(self, db: Any, rel: Release, geneId: str | None) -> dict:  # noqa: N803
        g = _single(geneId, "geneId")
        name = "portal_eqtl_legacy" if rel.legacy else "portal_eqtl"
        return {"eqtl": self.by_gene(db, rel, name).rows(g)}

    def _xqtl(self, db: Any, rel: Release, geneId: str | None) -> dict:  # noqa: N803
        g = _single(geneId, "geneId")
        return {"xqtl": self.by_gene(db, rel, "portal_xqtl").rows(g)}

    def _sqtl(self, db: Any, rel: Release, geneId: str | None) -> dict:  # noqa: N803
        g = _single(geneId, "geneId")
        return {"sqtl": self.by_gene(db, rel, "portal_sqtl").rows(g)}

    def _dyneqtl(self, db: Any, rel: Release, geneId: str | None,  # noqa: N803
                 tissueSiteDetailId: str | None, variantId: str | None) -> dict:  # noqa: N803
        g = _required(geneId, "geneId")
        t = _required(tissueSiteDetailId, "tissueSiteDetailId")
        # an empty variant id is the portal's own 404 "Variant not found: " (its record lookup
        # finds nothing), once the gene and tissue are known
        v = _single(variantId, "variantId")
        if t not in rel.tissues:
            raise ApiError(404, f"Tissue not found: {t}")
        p = _position(v)
        if rel.legacy:  # the v1-v3 portal read expr.iqn here
            expr_call = ("portal_tissue_expression_unit",
                         {"version": rel.version, "tissue": t, "gene_id": g, "unit": "iqn"})
        else:  # v4 reads the unnormalized TPM (its variable is called iqn)
            expr_call = ("portal_tissue_expression_unit",
                         {"version": rel.version, "tissue": t, "gene_id": g, "unit": "tpm"})
        calls = [expr_call]
        if p is not None:  # independent lookups of one request, run at once (see _fanout)
            calls += [
                ("portal_variants", {"version": rel.version, "dataset": rel.dataset[t],
                                     "chroms": [p[0]], "positions": [p[1]]}),
                ("portal_pair_pval", {"version": rel.version, "tissue": t, "gene_id": g,
                                      "variant_id": v, "chrom": p[0], "pos": p[1]}),
                ("portal_genotype_rows_at", {"version": rel.version,
                                             "dataset": rel.dataset[t],
                                             "chrom": p[0], "pos": p[1]}),
            ]
        expr, *rest = _fanout(db, calls)
        if not expr:
            raise ApiError(404, f"Gene not found: {g} (no expression values in {t})")
        recs, pval, stored = rest if rest else ([], [], [])
        if len(recs) != 1 or p is None:
            raise ApiError(404, f"Variant not found: {v}")
        rec = recs[0]
        tested = {r["tissue"]: r["pval_nominal_threshold"]
                  for r in self.by_gene(db, rel, "portal_thresholds").rows(g)}
        if t not in tested:
            raise ApiError(404, f"Gene {g} was not tested for eQTLs in {t}")
        # the genotypes view's pairing of a record's dosage list with the dataset's rats
        rats = self.samples(db, rel.version, rel.dataset[t])
        dose = {}
        for r in stored:
            if r["variant_id"] == rec["variant_id"]:
                dose = dict(zip(rats, r["dosages"], strict=True))
        geno = [dose.get(r["rat_id"]) for r in expr]
        counts = [sum(1 for d in geno if d == k) for k in (0, 1, 2)]
        called = sum(counts)
        return {
            "alt": rec["alt"], "data": [r["value"] for r in expr], "geneId": g,
            "genotypes": geno, "hetCount": counts[1], "homoAltCount": counts[2],
            "homoRefCount": counts[0],
            # the ALT allele frequency, as the portal computes it (named maf there)
            "maf": (counts[1] + 2 * counts[2]) / (2 * called) if called else None,
            "pValue": pval[0]["pval_nominal"] if pval else None,
            "pValueThreshold": tested[t],
            "ref": rec["ref"], "tissueSiteDetailId": t, "variantId": v,
        }


# -- the HTTP application ---------------------------------------------------------------------

_ENDPOINT_PATH_RE = re.compile(
    r"/api/[^/]+/(?:" + "|".join(dict.fromkeys(V4_ENDPOINTS + LEGACY_ENDPOINTS)) + r")")


def _merged_slashes(scope: dict) -> bytes | None:
    """The raw path with runs of ``/`` merged where that names an endpoint and the request's
    does not (the portal's werkzeug answers such a path with a 308 to the merged one), else
    None."""
    path = scope.get("path", "")
    if "//" not in path or not _ENDPOINT_PATH_RE.fullmatch(re.sub("/{2,}", "/", path)):
        return None
    raw = scope.get("raw_path") or path.encode()
    return re.sub(rb"/{2,}", b"/", raw)


class _Frame:
    """The outermost ASGI layer: the query-string limit, the CORS header on every response
    (errors included), the redirect of a path with doubled slashes, and one log line per
    request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __getattr__(self, name: str) -> Any:  # routes, openapi(), ... of the inner app
        return getattr(self.app, name)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        status = [0]
        request_headers = {k.lower(): v for k, v in scope.get("headers", [])}
        origin = request_headers.get(b"origin")
        method = scope.get("method")
        if method == "HEAD":  # answered as GET, without the body
            scope = {**scope, "method": "GET"}

        async def send_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                headers = list(message.get("headers", []))
                if not any(k.lower() == b"access-control-allow-origin" for k, _ in headers):
                    # as the portal's flask-cors (any origin): the request's Origin echoed,
                    # else *
                    headers.append((b"access-control-allow-origin", origin or b"*"))
                    if origin:
                        headers.append((b"vary", b"Origin"))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        qs = scope.get("query_string", b"")
        moved = _merged_slashes(scope)
        try:
            if moved is not None:  # werkzeug's merge_slashes: /api/v4//gene -> /api/v4/gene
                location = moved + (b"?" + qs if qs else b"")
                body = dumps({"location": location.decode("latin-1")})
                await send_cors({"type": "http.response.start", "status": 308,
                                 "headers": [(b"location", location),
                                             (b"content-type", b"application/json"),
                                             (b"content-length", str(len(body)).encode())]})
                await send_cors({"type": "http.response.body", "body": body})
            elif method == "OPTIONS":  # CORS preflight: every path is readable with GET
                headers = [(b"allow", b"GET, HEAD, OPTIONS"), (b"content-length", b"0")]
                if b"access-control-request-method" in request_headers:
                    headers.append((b"access-control-allow-methods", b"GET, HEAD, OPTIONS"))
                    asked = request_headers.get(b"access-control-request-headers")
                    if asked:
                        headers.append((b"access-control-allow-headers", asked))
                await send_cors({"type": "http.response.start", "status": 200,
                                 "headers": headers})
                await send_cors({"type": "http.response.body", "body": b""})
            elif len(qs) > MAX_QUERY_BYTES:
                body = dumps({"error": f"query string of {len(qs)} bytes; at most "
                                       f"{MAX_QUERY_BYTES} are answered"})
                await send_cors({"type": "http.response.start", "status": 400,
                                 "headers": [(b"content-type", b"application/json"),
                                             (b"content-length", str(len(body)).encode())]})
                await send_cors({"type": "http.response.body", "body": body})
            else:
                await self.app(scope, receive, send_cors)
        finally:
            client = scope.get("client") or ("-", 0)
            q = qs[:200].decode("latin-1")
            log.info("%s %s %s%s %d %.1f ms", client[0], scope.get("method"), scope.get("path"),
                     ("?" + q + ("..." if len(qs) > 200 else "")) if q else "", status[0],
                     (time.perf_counter() - t0) * 1000)


_DOC = {  # endpoint: (summary, description, tag)
    "tissueInfo": ("Metadata of every tissue", "Every row of tissue_info, in its order.",
                   "reference"),
    "gene": ("Metadata of one or more genes",
             "Annotation and per-tissue status (tissue_info order). Each id is taken as "
             "given, else with its first letter upper and the rest lower; unknown ids are "
             "dropped, repeats repeat.", "reference"),
    "exon": ("Exons of a gene", "Exons of the collapsed gene model; [] for an unknown gene.",
             "reference"),
    "variant": ("Alleles of one or more variants",
                "Records of the reference genotypes at chrN:pos; unknown or malformed ids "
                "are dropped.", "reference"),
    "geneExpression": ("Per-sample expression of a gene in every tissue",
                       "TPM per sample (sample-column order of the expression BED), tissues "
                       "in tissue_info order; 404 for an unknown gene.", "expression"),
    "medianGeneExpression": ("Median expression of genes in tissues",
                             "Median TPM of the genes (unknown ids dropped) in the tissues "
                             "(default all), with average-linkage Newick trees over genes and "
                             "tissues (\"Not enough data\" for a single one); 404 when no gene "
                             "or a tissue is unknown.", "expression"),
    "topExpressedGene": ("Top expressed genes of a tissue",
                         "The 50 genes of highest median TPM (filterMtGene=true leaves out chrM "
                         "genes); [] for an unknown tissue.", "expression"),
    "singleTissueEqtl": ("Significant cis-eQTL pairs of a gene",
                         "Every significant pair in every tissue, pValue rounded to 4 "
                         "significant digits; [] for an unknown gene.", "xQTL"),
    "eqtl": ("Independent cis-eQTLs of a gene",
             "Conditionally independent cis-eQTLs in every tissue (v1-v3 keep the keys "
             "pval_beta and log2_aFC); [] for an unknown gene.", "xQTL"),
    "xqtl": ("Independent cis-xQTLs of a gene (v4)",
             "Conditionally independent cis-QTLs across RNA modalities; [] for an unknown "
             "gene.", "xQTL"),
    "sqtl": ("Independent cis-sQTLs of a gene (v1-v3)",
             "Conditionally independent splicing QTLs; [] for an unknown gene.", "xQTL"),
    "dyneqtl": ("Expression by genotype for one gene-variant pair",
                "Per-sample expression and ALT dosage in one tissue, genotype counts, ALT "
                "frequency (named maf), the pair's nominal p (null outside the cis window) and "
                "the gene's threshold; 404 for an unknown gene, tissue or variant or a gene "
                "not tested in the tissue.", "xQTL"),
}

_PARAMS: dict[str, tuple[str, ...]] = {
    "tissueInfo": (), "gene": ("geneId",), "exon": ("geneId",), "variant": ("variantId",),
    "geneExpression": ("geneId",), "medianGeneExpression": ("geneId", "tissueSiteDetailId"),
    "topExpressedGene": ("tissueSiteDetailId", "filterMtGene"),
    "singleTissueEqtl": ("geneId",), "eqtl": ("geneId",), "xqtl": ("geneId",),
    "sqtl": ("geneId",), "dyneqtl": ("geneId", "tissueSiteDetailId", "variantId"),
}

_PARAM_DOC = {
    "geneId": "Gene id (symbol); a comma list where the endpoint takes several",
    "variantId": "Variant id chrN:pos; a comma list for /variant",
    "tissueSiteDetailId": "Tissue id; a comma list for /medianGeneExpression (default all)",
    "filterMtGene": "JSON boolean: leave out mitochondrial genes (default false)",
}


def create_app(db_dir: Path, static: Path | None = None, version: str | None = None,
               pool_size: int = POOL_SIZE, session: Any = None) -> Any:
    """The ASGI application: ``/api/{version}/...`` (the portal's endpoints), ``/api/`` (what
    is served), ``/docs`` and ``/openapi.json`` (FastAPI's), and with ``static`` a folder of
    static files at ``/``. ``session``: an open ``Database`` of ``db_dir`` to use first."""
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import Response
    from starlette.exceptions import HTTPException

    portal = Portal(db_dir, version, pool_size, session)
    app = FastAPI(
        title="ratgtex-db: the RatGTEx portal API, offline",
        description=(
            "The RatGTEx portal's REST API (`https://ratgtex.org/api/v4`) answered from a "
            "local ratgtex-db lake, read-only. Every ingested release is under "
            "`/api/{version}/`; `/api/` lists the versions and endpoints served. Errors are "
            f"JSON `{{\"error\": ...}}`: 400 for a missing or malformed parameter (at most "
            f"{MAX_IDS} ids per list, {MAX_QUERY_BYTES} bytes of query string), 404 for an "
            "unknown gene, tissue or variant where the portal answers no empty list."),
        version="4")
    app.state.portal = portal

    def json_response(status: int, body: Any, headers: dict[str, str] | None = None
                      ) -> Response:
        return Response(dumps(body), status_code=status, media_type="application/json",
                        headers=headers)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, err: HTTPException) -> Response:
        if err.status_code == 404:
            msg = f"Not found: {request.url.path}; the API is listed at /api/, docs at /docs"
        else:
            msg = str(err.detail)
        # the error's own headers stay: a 405 names the methods served (``Allow``, RFC 9110)
        return json_response(err.status_code, {"error": msg}, getattr(err, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, err: RequestValidationError) -> Response:
        return json_response(400, {"error": "; ".join(
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}"
            for e in err.errors())})

    @app.exception_handler(Exception)
    async def _internal(request: Request, err: Exception) -> Response:
        return json_response(500, {"error": f"internal error: {type(err).__name__}"})

    @app.get("/api/", tags=["served"], summary="Versions and endpoints served",
             response_model=None)
    @app.get("/api", include_in_schema=False, response_model=None)
    def served() -> Response:
        return json_response(200, portal.served())

    @app.get("/api/{version}/", tags=["served"], summary="Endpoints served for one version",
             response_model=None)
    def served_version(version: str) -> Response:
        try:
            rel = portal.release(version)
        except ApiError as err:
            return json_response(err.status, {"error": str(err)})
        return json_response(200, {"version": rel.version, "prefix": f"/api/{rel.version}/",
                                   "endpoints": list(rel.endpoints)})

    def route(endpoint: str) -> None:
        names = _PARAMS[endpoint]

        def handler(request: Request, version: str, **params: str | None) -> Response:
            # a repeated parameter is its first value, as Flask's request.args.get reads it
            # (FastAPI's scalar parameter would be the last)
            for n in names:
                given = request.query_params.getlist(n)
                params[n] = given[0] if given else None
            return json_response(*portal.answer(version, endpoint, **params))

        # FastAPI reads the signature for the parameters (and the docs)
        import inspect

        sig = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 annotation=Request),
               inspect.Parameter("version", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 annotation=str)]
        sig += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, annotation=str | None,
                                  default=Query(None, description=_PARAM_DOC[n]))
                for n in names]
        handler.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
        handler.__name__ = endpoint
        summary, description, tag = _DOC[endpoint]
        app.add_api_route(f"/api/{{version}}/{endpoint}", handler, methods=["GET"],
                          summary=summary, description=description, tags=[tag],
                          response_model=None)

    for endpoint in dict.fromkeys(V4_ENDPOINTS + LEGACY_ENDPOINTS):
        route(endpoint)

    @app.get("/api/{rest:path}", include_in_schema=False, response_model=None)
    def api_not_found(rest: str) -> Response:
        version = rest.split("/", 1)[0]
        try:
            rel = portal.release(version)
        except ApiError as err:
            return json_response(err.status, {"error": str(err)})
        return json_response(404, {"error": f"no endpoint /api/{rest}; served: "
                                            f"{', '.join(rel.endpoints)}"})

    if static is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=static, html=True), name="static")
    return _Frame(app)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def run(db_dir: Path, host: str = "127.0.0.1", port: int = 8000, static: Path | None = None,
        version: str | None = None, session: Any = None) -> None:
    """Serve until interrupted: Ctrl-C (SIGINT) or SIGTERM stop it cleanly (requests under
    way are finished); one log line per request on stderr."""
    import uvicorn

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    app = create_app(db_dir, static, version, session=session)
    served = "; ".join(f"{r.version}: {len(r.endpoints)} endpoints"
                       for r in app.state.portal.releases().values())
    log.info("serving %s from %s at http://%s:%d/api/ (docs at /docs)%s", served, db_dir, host,
             port, f", static files of {static} at /" if static else "")
    config = uvicorn.Config(app, host=host, port=port, log_level="info", access_log=False,
                            h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
                            lifespan="off")
    server = uvicorn.Server(config)

    def warm() -> None:  # once listening: the first request does not wait for it
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        app.state.portal.warm()

    warming = threading.Thread(target=warm, name="warm", daemon=True)
    warming.start()
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.should_exit = True  # the warming thread stops waiting for start-up
        app.state.portal.pool.closing.set()
        warming.join(timeout=60)  # let a session being opened finish before exit
    log.info("stopped")
