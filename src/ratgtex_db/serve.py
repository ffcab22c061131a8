"""``ratgtex-db serve``: the RatGTEx portal's REST API (release-format section 8) from the lake.

Every answer is a named query of ``sql/queries/portal.sql`` (bound parameters, pruned Parquet
reads), never a file loaded whole. Paths, parameters (comma lists), JSON keys (sorted, as the
portal's Flask app sends them), value types and tissue order (``tissue_info``) are the portal's.
Where the portal answers 200 with an empty list, so do we; where it crashes with an HTML 500
(a missing parameter, an unknown gene or tissue), we answer ``{"error": ...}`` with 400 or 404.
Missing numbers are ``null``, never a bare ``NaN``. Read only: no endpoint writes, none takes SQL.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

from ratgtex_db import queries
from ratgtex_db.errors import RatgtexError

#: Longest query string accepted, and most ids in one list parameter.
MAX_QUERY_BYTES = 16_384
MAX_IDS = 1_000


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


def _sorted(record: dict[str, Any]) -> dict[str, Any]:
    return {k: record[k] for k in sorted(record)}


def _newick(leaves: list[str], z: Any) -> str:
    """The portal's Newick form of a scipy linkage tree: right subtree first, a leaf is
    ``name:length``, the root ends in ``);``, branch lengths are parent height minus node
    height, printed with %g."""
    from scipy.cluster.hierarchy import to_tree

    root = to_tree(z)

    def walk(node: Any, parent: float) -> str:
        if node.is_leaf():
            return f"{leaves[node.id]}:{parent - node.dist:g}"
        # the portal writes the right subtree first
        inner = f"({walk(node.get_right(), node.dist)},{walk(node.get_left(), node.dist)})"
        return inner + (f":{parent - node.dist:g}" if node is not root else ";")

    return walk(root, root.dist)


def _tree(labels: list[str], matrix: Any) -> str:
    import numpy as np
    from scipy.cluster.hierarchy import linkage

    if len(labels) < 2:
        return "Not enough data"
    # a median absent from the release (the portal's table has none) clusters as 0
    return _newick(labels, linkage(np.nan_to_num(matrix), method="average",
                                   optimal_ordering=True))


class Portal:
    """The API's computations over one database, one ``Database`` per server thread."""

    def __init__(self, db_dir: Path, version: str | None = None) -> None:
        self.db_dir = db_dir
        self._local = threading.local()
        db = self.db
        self.version = db.resolve_version(version)
        self.tissue_rows = self._q("portal_tissue_info")
        self.tissues = [t["tissueSiteDetailId"] for t in self.tissue_rows]
        self.dataset = {t["tissueSiteDetailId"]: t["dataset"] for t in self.tissue_rows}

    @property
    def db(self) -> Any:
        db = getattr(self._local, "db", None)
        if db is None:
            import ratgtex_db

            db = self._local.db = ratgtex_db.open(self.db_dir)
        return db

    def _q(self, name: str, **params: Any) -> list[dict[str, Any]]:
        params.setdefault("version", self.version)
        return queries.execute(self.db.connection, name, params).dicts()

    # -- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _ids(value: str | None, name: str) -> list[str]:
        if value is None or not value.strip():
            raise ApiError(400, f"missing parameter {name}")
        ids = [x.strip() for x in value.split(",") if x.strip()]
        if len(ids) > MAX_IDS:
            raise ApiError(400, f"{name}: at most {MAX_IDS} ids per request, not {len(ids)}")
        return ids

    @staticmethod
    def _one(value: str | None, name: str) -> str:
        ids = Portal._ids(value, name)
        if len(ids) != 1:
            raise ApiError(400, f"{name}: give one id, not {len(ids)}")
        return ids[0]

    def _known_genes(self, ids: list[str]) -> list[str]:
        """The portal's rule: exact id, else first letter upper and the rest lower; else
        dropped."""
        cands = ids + [i[:1].upper() + i[1:].lower() for i in ids]
        known = {r["geneId"] for r in self._q("portal_genes", gene_ids=cands)}
        out = []
        for i in ids:
            g = i if i in known else i[:1].upper() + i[1:].lower()
            if g in known and g not in out:
                out.append(g)
        return out

    def _gene(self, value: str | None) -> str:
        g = self._one(value, "geneId")
        known = self._known_genes([g])
        if not known:
            raise ApiError(404, f"Gene not found: {g}")
        return known[0]

    def _tissue(self, value: str | None) -> str:
        t = self._one(value, "tissueSiteDetailId")
        if t not in self.tissues:
            raise ApiError(404, f"Tissue not found: {t}")
        return t

    @staticmethod
    def _variant(value: str | None) -> tuple[str, str, int]:
        v = Portal._one(value, "variantId")
        chrom, _, pos = v.partition(":")
        if not chrom or not pos.isdigit():
            raise ApiError(400, f"variantId {v!r}: expected chrN:pos")
        return v, chrom, int(pos)

    # -- endpoints --------------------------------------------------------------------------

    def tissue_info(self) -> dict:
        return {"tissueInfo": [_sorted(t) for t in self.tissue_rows]}

    def gene(self, gene_id: str | None) -> dict:
        ids = self._known_genes(self._ids(gene_id, "geneId"))
        rows = {r["geneId"]: r for r in self._q("portal_genes", gene_ids=ids)}
        status: dict[str, dict[str, dict]] = {}
        for s in self._q("portal_gene_status", gene_ids=ids):
            status.setdefault(s["gene_id"], {})[s["tissue"]] = s
        out = []
        for g in ids:
            rec = dict(rows[g])
            rec["statusInTissue"] = [
                {"eqtl": bool(st.get("eqtl")), "expressed": bool(st.get("expressed")),
                 "testedEqtl": bool(st.get("tested_eqtl")), "tissueSiteDetailId": t}
                for t in self.tissues for st in [status.get(g, {}).get(t, {})]]
            out.append(_sorted(rec))
        return {"gene": out}

    def exon(self, gene_id: str | None) -> dict:
        g = self._one(gene_id, "geneId")
        return {"exon": [_sorted(r) for r in self._q("portal_exons", gene_id=g)]}

    def variant(self, variant_id: str | None) -> dict:
        ids = self._ids(variant_id, "variantId")
        wanted = []
        for v in ids:
            chrom, _, pos = v.partition(":")
            if chrom and pos.isdigit():
                wanted.append((v, chrom, int(pos)))
        if not wanted or not self.tissues:
            return {"variant": []}
        dataset = self.dataset[self.tissues[0]]
        found: dict[tuple[str, int], list[dict]] = {}
        for r in self._q("portal_variants", dataset=dataset, chroms=[w[1] for w in wanted],
                         positions=[w[2] for w in wanted]):
            found.setdefault((r["chrom"], r["pos"]), []).append(r)
        out = []
        for v, chrom, pos in wanted:
            recs = found.get((chrom, pos), [])
            if len(recs) == 1:
                r = recs[0]
                out.append({"alt": r["alt"], "chromosome": r["chrom"], "pos": r["pos"],
                            "ref": r["ref"], "variantId": v})
        return {"variant": out}

    def gene_expression(self, gene_id: str | None) -> dict:
        g = self._gene(gene_id)
        data = {r["tissue"]: r["data"] for r in self._q("portal_expression", gene_id=g)}
        return {"geneExpression": [
            {"data": _clean(data.get(t, [])), "datasetId": "ratgtex_v4", "geneId": g,
             "geneSymbol": g, "tissueSiteDetailId": t, "unit": "TPM"} for t in self.tissues]}

    def median_gene_expression(self, gene_id: str | None, tissue: str | None) -> dict:
        import numpy as np

        ids = self._ids(gene_id, "geneId")
        if tissue is None:
            tissues = list(self.tissues)
        else:
            tissues = self._ids(tissue, "tissueSiteDetailId")
            unknown = [t for t in tissues if t not in self.tissues]
            if unknown:
                raise ApiError(404, f"Tissue not found: {', '.join(unknown)}")
        rows = self._q("portal_medians", gene_ids=ids, tissues=tissues)
        have = {r["gene_id"] for r in rows}
        genes = [g for g in dict.fromkeys(ids) if g in have]
        if not genes:
            raise ApiError(404, f"Gene not found: {', '.join(ids)}")
        value = {(r["gene_id"], r["tissue"]): r["median_tpm"] for r in rows}
        m = np.array([[value.get((g, t), np.nan) for t in tissues] for g in genes], dtype=float)
        return {
            "clusters": {"gene": _tree(genes, m), "tissue": _tree(tissues, m.T)},
            "medianGeneExpression": [
                {"geneId": g, "median": _clean(value.get((g, t))), "tissueSiteDetailId": t}
                for t in tissues for g in genes],
        }

    def top_expressed_gene(self, tissue: str | None, filter_mt: str | None) -> dict:
        t = self._one(tissue, "tissueSiteDetailId")
        try:
            flag = bool(json.loads(filter_mt)) if filter_mt is not None else False
        except json.JSONDecodeError:
            raise ApiError(400, f"filterMtGene {filter_mt!r}: expected true or false") from None
        rows = self._q("portal_top_expressed", tissue=t, exclude_mt=flag)
        return {"topExpressedGene": [_sorted(_clean(r)) for r in rows]}

    def single_tissue_eqtl(self, gene_id: str | None) -> dict:
        g = self._one(gene_id, "geneId")
        out = []
        for r in self._q("portal_single_tissue_eqtl", gene_id=g):
            p = r["pValue"]
            r["pValue"] = float(f"{p:.3e}") if p is not None and math.isfinite(p) else None
            out.append(_sorted(_clean(r)))
        return {"singleTissueEqtl": out}

    def eqtl(self, gene_id: str | None) -> dict:
        g = self._one(gene_id, "geneId")
        return {"eqtl": [_sorted(_clean(r)) for r in self._q("portal_eqtl", gene_id=g)]}

    def xqtl(self, gene_id: str | None) -> dict:
        g = self._one(gene_id, "geneId")
        return {"xqtl": [_sorted(_clean(r)) for r in self._q("portal_xqtl", gene_id=g)]}

    def dyneqtl(self, gene_id: str | None, tissue: str | None, variant_id: str | None) -> dict:
        g = self._gene(gene_id)
        t = self._tissue(tissue)
        v, chrom, pos = self._variant(variant_id)
        recs = self._q("portal_variants", dataset=self.dataset[t], chroms=[chrom],
                       positions=[pos])
        if len(recs) != 1:
            raise ApiError(404, f"Variant not found: {v}")
        rows = self._q("portal_dyneqtl", tissue=t, gene_id=g, dataset=self.dataset[t],
                       variant_id=recs[0]["variant_id"])
        if not rows:
            raise ApiError(404, f"Gene {g} has no expression values in {t}")
        geno = [r["dosage"] for r in rows]
        counts = [sum(1 for d in geno if d == k) for k in (0, 1, 2)]
        called = sum(counts)
        stats = self._q("portal_pair_stats", tissue=t, gene_id=g, variant_id=v)[0]
        return _clean({
            "alt": recs[0]["alt"], "data": [r["value"] for r in rows], "geneId": g,
            "genotypes": geno, "hetCount": counts[1], "homoAltCount": counts[2],
            "homoRefCount": counts[0],
            "maf": (counts[1] + 2 * counts[2]) / (2 * called) if called else None,
            "pValue": stats["pval_nominal"], "pValueThreshold": stats["threshold"],
            "ref": recs[0]["ref"], "tissueSiteDetailId": t, "variantId": v,
        })


def create_app(db_dir: Path, static: Path | None = None, version: str | None = None) -> Any:
    """The ASGI application (FastAPI): ``/api/v4/...``, ``/api/`` (what is served), ``/docs``,
    and with ``static`` a folder of static files at ``/``."""
    from fastapi import FastAPI, Request
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse

    portal = Portal(db_dir, version)
    prefix = f"/api/{portal.version}"
    app = FastAPI(title="ratgtex-db: the RatGTEx portal API, offline",
                  description="The portal's endpoints answered from a local ratgtex-db lake.")
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET"],
                       allow_headers=["*"])

    @app.middleware("http")
    async def _limit(request: Request, call_next: Any) -> Any:
        if len(request.url.query) > MAX_QUERY_BYTES:
            return JSONResponse({"error": f"query string over {MAX_QUERY_BYTES} bytes"}, 400)
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, err: ApiError) -> Any:
        return JSONResponse({"error": str(err)}, status_code=err.status)

    @app.exception_handler(RatgtexError)
    async def _lib_error(request: Request, err: RatgtexError) -> Any:
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.get("/api/")
    def served() -> dict:
        return {"versions": [portal.version], "prefixes": [prefix + "/"]}

    @app.get(prefix + "/tissueInfo")
    def tissue_info() -> dict:
        return portal.tissue_info()

    @app.get(prefix + "/gene")
    def gene(geneId: str | None = None) -> dict:  # noqa: N803 - the portal's names
        return portal.gene(geneId)

    @app.get(prefix + "/exon")
    def exon(geneId: str | None = None) -> dict:  # noqa: N803
        return portal.exon(geneId)

    @app.get(prefix + "/variant")
    def variant(variantId: str | None = None) -> dict:  # noqa: N803
        return portal.variant(variantId)

    @app.get(prefix + "/geneExpression")
    def gene_expression(geneId: str | None = None) -> dict:  # noqa: N803
        return portal.gene_expression(geneId)

    @app.get(prefix + "/medianGeneExpression")
    def median_gene_expression(geneId: str | None = None,  # noqa: N803
                               tissueSiteDetailId: str | None = None) -> dict:  # noqa: N803
        return portal.median_gene_expression(geneId, tissueSiteDetailId)

    @app.get(prefix + "/topExpressedGene")
    def top_expressed_gene(tissueSiteDetailId: str | None = None,  # noqa: N803
                           filterMtGene: str | None = None) -> dict:  # noqa: N803
        return portal.top_expressed_gene(tissueSiteDetailId, filterMtGene)

    @app.get(prefix + "/singleTissueEqtl")
    def single_tissue_eqtl(geneId: str | None = None) -> dict:  # noqa: N803
        return portal.single_tissue_eqtl(geneId)

    @app.get(prefix + "/eqtl")
    def eqtl(geneId: str | None = None) -> dict:  # noqa: N803
        return portal.eqtl(geneId)

    @app.get(prefix + "/xqtl")
    def xqtl(geneId: str | None = None) -> dict:  # noqa: N803
        return portal.xqtl(geneId)

    @app.get(prefix + "/dyneqtl")
    def dyneqtl(geneId: str | None = None, tissueSiteDetailId: str | None = None,  # noqa: N803
                variantId: str | None = None) -> dict:  # noqa: N803
        return portal.dyneqtl(geneId, tissueSiteDetailId, variantId)

    if static is not None:
        from fastapi.staticfiles import StaticFiles

        app.mount("/", StaticFiles(directory=static, html=True), name="static")
    return app


def run(db_dir: Path, host: str = "127.0.0.1", port: int = 8000, static: Path | None = None,
        version: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C stops cleanly); one log line per request."""
    import uvicorn

    uvicorn.run(create_app(db_dir, static, version), host=host, port=port, log_level="info")
