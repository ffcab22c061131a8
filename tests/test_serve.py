"""`ratgtex-db serve`: the real server (a subprocess on a free local port, as a user starts it)
over the tiny ingested release. Every endpoint's JSON is compared with what the portal's own
semantics give on the release files, computed here with pandas (release-format section 8):
key order, value types, record and tissue order, NaN as null, the error answers."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

# -- the server and the client ------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db: Path, log: Path, *extra: str) -> None:
        self.port = _free_port()
        self.log = log
        self.base = f"http://127.0.0.1:{self.port}"
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ratgtex_db", "--db", str(db), "serve", "--port",
             str(self.port), *extra], stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(self.base + "/api/", timeout=5).read()
                return
            except (urllib.error.URLError, ConnectionError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(log.read_text()) from None
                time.sleep(0.2)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


def _no_nan(token: str) -> Any:
    raise AssertionError(f"bare {token} in a JSON answer")


def _sorted_pairs(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    assert keys == sorted(keys), f"keys not sorted as the portal sends them: {keys}"
    return dict(pairs)


def get(base: str, path: str, method: str = "GET", portal: bool = True
        ) -> tuple[int, Any, dict]:
    """(status, parsed JSON, headers); every answer must be JSON without bare NaN and carry
    the CORS header; the portal's answers have their keys sorted at every level."""
    req = urllib.request.Request(base + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text, headers = r.status, r.read().decode(), dict(r.headers)
    except urllib.error.HTTPError as err:
        status, text, headers = err.code, err.read().decode(), dict(err.headers)
    headers = {k.lower(): v for k, v in headers.items()}
    assert headers.get("access-control-allow-origin") == "*", (path, headers)
    assert headers.get("content-type", "").startswith("application/json"), (path, text[:200])
    body = json.loads(text, parse_constant=_no_nan,
                      object_pairs_hook=_sorted_pairs if portal else None)
    if status >= 400:
        assert set(body) == {"error"} and isinstance(body["error"], str), body
    return status, body, headers


@pytest.fixture(scope="module")
def server(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory):
    srv = Server(tiny_db, tmp_path_factory.mktemp("serve") / "serve.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def base(server: Server) -> str:
    return server.base


# -- the release files, read the portal's way ----------------------------------------------------


def _py(value: Any) -> Any:
    """A pandas/numpy cell as the JSON value the portal means: NaN -> None, numpy scalars ->
    Python."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _records(df: pd.DataFrame) -> list[dict]:
    return [{k: _py(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


@pytest.fixture(scope="module")
def release(tiny_v4: Path) -> dict[str, Any]:
    d = tiny_v4
    info = pd.read_csv(d / "tissue_info.v4.tsv", sep="\t", dtype={"colorHex": str})
    tissues = info["tissueSiteDetailId"].tolist()
    bed = {}
    for t in tissues:
        df = pd.read_csv(d / "phenos" / f"phenos.{t}.expression.unnorm.v4_rn8.bed.gz", sep="\t",
                         dtype={"#chr": str}, index_col="phenotype_id")
        bed[t] = df.drop(columns=["#chr", "start", "end"])
    return {
        "info": info, "tissues": tissues, "bed": bed,
        "genes": pd.read_csv(d / "gene.v4.tsv", sep="\t", index_col="geneId",
                             dtype={"chromosome": str}).fillna(""),
        "exons": pd.read_csv(d / "exon.v4.tsv", sep="\t", dtype={"chromosome": str}),
        "median": pd.read_csv(d / "expr" / "medianGeneExpression.v4.tsv.gz", sep="\t",
                              index_col="geneId"),
        "top": pd.read_csv(d / "expr" / "topExpressedGene.v4.tsv", sep="\t"),
        "top_assoc": pd.read_csv(d / "eqtl" / "top_assoc.v4_rn8.tsv", sep="\t"),
        "indep": pd.read_csv(d / "eqtl" / "eqtls_indep.v4_rn8.tsv", sep="\t"),
        "xindep": pd.read_csv(d / "xqtl" / "xqtls_indep.cross_modality.v4_rn8.tsv", sep="\t"),
        "vcf": _read_vcf(next((d / "geno").glob("*.vcf.gz"))),
        "dir": d,
    }


def _read_vcf(path: Path) -> pd.DataFrame:
    with gzip.open(path, "rt") as f:
        meta = sum(1 for line in f if line.startswith("##"))
    return pd.read_csv(path, sep="\t", skiprows=meta, dtype=str)


def _dosage(call: str) -> int | None:
    gt = re.split(r"[/|]", call.split(":")[0])
    return None if "." in gt else sum(int(a) for a in gt)


@pytest.fixture(scope="module")
def lead(release) -> pd.Series:
    """A significant (gene, tissue, variant): the strongest independent eQTL."""
    return release["indep"].sort_values(["pval_nominal", "gene_id"]).iloc[0]


# -- endpoints -------------------------------------------------------------------------------------


def test_tissue_info_is_the_file_in_order(base, release):
    status, body, _ = get(base, "/api/v4/tissueInfo")
    assert status == 200
    assert body == {"tissueInfo": _records(release["info"])}
    first = body["tissueInfo"][0]
    assert isinstance(first["hasEGenes"], bool) and isinstance(first["rnaSeqSampleCount"], int)
    assert isinstance(first["colorHex"], str)


def _portal_genes(ids: list[str], genes: pd.DataFrame) -> list[str]:
    out = []
    for i in ids:
        if i in genes.index:
            out.append(i)
        elif i[0].upper() + i[1:].lower() in genes.index:
            out.append(i[0].upper() + i[1:].lower())
    return out


def test_gene_annotation_status_and_case_retry(base, release, lead):
    genes, tissues = release["genes"], release["tissues"]
    g = lead["gene_id"]
    other = genes.index[len(genes) // 2]
    ids = [g.lower(), "NoSuchGene", other, g.upper(), g]
    status, body, _ = get(base, "/api/v4/gene?geneId=" + ",".join(ids))
    want = []
    for x in _portal_genes(ids, genes):
        row = genes.loc[x]
        rec = {"chromosome": row["chromosome"], "description": row["description"],
               "end": int(row["end"]), "geneId": x, "hasEqtl": bool(row["hasEqtl"]),
               "start": int(row["start"]), "strand": row["strand"], "tss": int(row["tss"])}
        rec["statusInTissue"] = [
            {"eqtl": bool(row[f"eqtl_{t}"]), "expressed": bool(row[f"expr_{t}"]),
             "testedEqtl": bool(row[f"testedEqtl_{t}"]), "tissueSiteDetailId": t}
            for t in tissues]
        want.append(rec)
    assert status == 200 and body == {"gene": want}
    assert len(want) >= 3  # the case retry found something, repeats repeat
    assert get(base, "/api/v4/gene?geneId=NoSuchGene")[:2] == (200, {"gene": []})


def test_gene_without_description_gives_empty_string(base, release):
    genes = release["genes"]
    blank = genes.index[genes["description"] == ""]
    assert len(blank), "the tiny release has genes without a description"
    status, body, _ = get(base, f"/api/v4/gene?geneId={blank[0]}")
    assert status == 200 and body["gene"][0]["description"] == ""


def test_exon_rows_of_the_gene(base, release, lead):
    ex = release["exons"]
    g = lead["gene_id"]
    status, body, _ = get(base, f"/api/v4/exon?geneId={g}")
    want = _records(ex[ex["geneId"] == g])
    assert status == 200 and want and body == {"exon": want}
    assert isinstance(body["exon"][0]["exonNumber"], int)
    assert get(base, "/api/v4/exon?geneId=NoSuchGene")[:2] == (200, {"exon": []})


def test_variant_records_skip_unknown_and_malformed(base, release):
    vcf = release["vcf"]
    a, b = vcf.iloc[3], vcf.iloc[len(vcf) // 2]
    ids = [f"{a['#CHROM']}:{a['POS']}", "chr1:notapos", "nocolon", "chr1:1",
           f"{b['#CHROM']}:{b['POS']}", f"{a['#CHROM']}:{a['POS']}"]
    status, body, _ = get(base, "/api/v4/variant?variantId=" + ",".join(ids))
    want = []
    for v in ids:
        chrom, _, pos = v.partition(":")
        recs = vcf[(vcf["#CHROM"] == chrom) & (vcf["POS"] == pos)]
        if len(recs) == 1:
            r = recs.iloc[0]
            want.append({"alt": r["ALT"], "chromosome": r["#CHROM"], "pos": int(r["POS"]),
                         "ref": r["REF"], "variantId": v})
    assert status == 200 and len(want) == 3 and body == {"variant": want}


def test_gene_expression_is_the_bed_row_per_tissue(base, release, lead):
    g = lead["gene_id"]
    status, body, _ = get(base, f"/api/v4/geneExpression?geneId={g}")
    want = [{"data": release["bed"][t].loc[g].tolist(), "datasetId": "ratgtex_v4", "geneId": g,
             "geneSymbol": g, "tissueSiteDetailId": t, "unit": "TPM"}
            for t in release["tissues"]]
    assert status == 200 and body == {"geneExpression": want}


def test_gene_expression_from_expr_tpm_where_the_phenos_twin_is_absent(
        release, lead, tmp_path):
    """A tissue whose release ships expr.tpm without its phenos expression unnorm twin still
    answers /geneExpression and /dyneqtl from those TPMs (the expression view serves both)."""
    src = tmp_path / "v4"
    shutil.copytree(release["dir"], src)
    t = lead["tissue"]  # the lead eQTL's tissue: /dyneqtl answers there
    twin = src / "phenos" / f"phenos.{t}.expression.unnorm.v4_rn8.bed.gz"
    shutil.copy(twin, src / "expr" / f"expr.tpm.{t}.v4_rn8.bed.gz")
    twin.unlink()
    db = tmp_path / "db"
    subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest", "--quiet",
                    str(src)], check=True)
    srv = Server(db, tmp_path / "serve.log")
    try:
        g = lead["gene_id"]
        status, body, _ = get(srv.base, f"/api/v4/geneExpression?geneId={g}")
        got = {r["tissueSiteDetailId"]: r["data"] for r in body["geneExpression"]}
        assert status == 200 and got[t] == release["bed"][t].loc[g].tolist()
        status, body, _ = get(srv.base, f"/api/v4/dyneqtl?geneId={g}&tissueSiteDetailId={t}"
                                        f"&variantId={lead['variant_id']}")
        assert status == 200 and body["data"] == release["bed"][t].loc[g].tolist()
    finally:
        srv.stop()


def test_median_expression_with_an_na_median_is_an_error_not_a_tree_of_zeros(
        release, tmp_path):
    """The portal's linkage refuses a submatrix holding NA (an HTML 500): a JSON 404 naming the
    gene and tissue, never a tree drawn as if the median were 0; one gene in one tissue still
    answers (no tree is drawn), its median null."""
    src = tmp_path / "v4"
    shutil.copytree(release["dir"], src)
    median = release["median"].copy()
    g, t = median.index[0], median.columns[1]
    median.loc[g, t] = float("nan")
    median.to_csv(src / "expr" / "medianGeneExpression.v4.tsv.gz", sep="\t", na_rep="NA")
    db = tmp_path / "db"
    subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest", "--quiet",
                    str(src)], check=True, capture_output=True)
    srv = Server(db, tmp_path / "serve.log")
    try:
        other = median.index[1]
        status, body, _ = get(srv.base, f"/api/v4/medianGeneExpression?geneId={g},{other}")
        assert status == 404 and g in body["error"] and t in body["error"]
        status, body, _ = get(srv.base, f"/api/v4/medianGeneExpression?geneId={g}"
                                        f"&tissueSiteDetailId={t}")
        assert status == 200 and body["medianGeneExpression"] == [
            {"geneId": g, "median": None, "tissueSiteDetailId": t}]
    finally:
        srv.stop()


def _portal_newick(d: pd.DataFrame) -> str:
    """The portal's row tree of a DataFrame, written here independently of the server's."""
    from scipy.cluster.hierarchy import linkage, to_tree

    if len(d) == 1:
        return "Not enough data"
    root = to_tree(linkage(d, method="average", optimal_ordering=True))
    names = list(d.index)

    def text(node, parent_height):
        length = f"{parent_height - node.dist:g}"
        if node.is_leaf():
            return f"{names[node.id]}:{length}"
        inner = "(" + text(node.get_right(), node.dist) + "," + text(node.get_left(),
                                                                   node.dist) + ")"
        return inner + (";" if node is root else ":" + length)

    return text(root, root.dist)


@pytest.mark.parametrize("genes,tissues", [
    (3, None),        # all tissues, file order
    (4, "reversed"),  # a tissue list in the caller's order
    (1, None),        # one gene: no gene tree
    (2, "one"),       # one tissue: no tissue tree
])
def test_median_expression_matrix_and_trees(base, release, genes, tissues):
    med = release["median"]
    ids = med.index[2:2 + genes].tolist()
    query = "geneId=" + ",".join(ids + ["NoSuchGene"])  # unknown ids are dropped
    cols = list(med.columns)
    if tissues == "reversed":
        cols = cols[::-1]
    elif tissues == "one":
        cols = cols[1:2]
    if tissues is not None:
        query += "&tissueSiteDetailId=" + ",".join(cols)
    status, body, _ = get(base, "/api/v4/medianGeneExpression?" + query)
    d = med.loc[ids, cols]
    want = {
        "clusters": {"gene": _portal_newick(d),
                     "tissue": "Not enough data" if len(cols) == 1 else _portal_newick(d.T)},
        "medianGeneExpression": _records(d.reset_index().melt(
            id_vars="geneId", var_name="tissueSiteDetailId", value_name="median")),
    }
    assert status == 200 and body == want
    if genes > 1:
        assert body["clusters"]["gene"].endswith(");")


@pytest.mark.parametrize("flag", [None, "false", "true", "1", "True", "yes"])
def test_top_expressed_genes(base, release, flag):
    """filterMtGene is read as JSON (true, 1); text that is not JSON (Python's True, yes) is
    the default false, as Flask's ``args.get(type=json.loads, default=False)`` has it."""
    top = release["top"]
    t = release["tissues"][-1]
    x = top[top["tissueSiteDetailId"] == t]
    if flag in ("true", "1"):
        x = x[~x["mtGene"]]
    want = _records(x.iloc[:50].drop(columns="mtGene"))
    path = f"/api/v4/topExpressedGene?tissueSiteDetailId={t}"
    status, body, _ = get(base, path + (f"&filterMtGene={flag}" if flag else ""))
    assert status == 200 and body == {"topExpressedGene": want}
    if flag not in ("true", "1"):
        assert "chrM" in {r["chromosome"] for r in want}  # the filter has something to drop


def test_top_expressed_unknown_tissue_is_empty(base):
    assert get(base, "/api/v4/topExpressedGene?tissueSiteDetailId=Nowhere")[:2] == (
        200, {"topExpressedGene": []})


def test_single_tissue_eqtl_is_the_zip_member_rounded(base, release, lead):
    g = lead["gene_id"]
    with zipfile.ZipFile(release["dir"] / "eqtl" / "all_gene_esnps.v4.zip") as z:
        d = pd.read_csv(z.open(f"all_gene_esnps.v4/{g}.txt"), sep="\t",
                        dtype={"chromosome": str})
    raw = d["pValue"].tolist()
    d["geneId"] = g
    d["pValue"] = d["pValue"].apply(lambda x: float(f"{x:.3e}"))
    status, body, _ = get(base, f"/api/v4/singleTissueEqtl?geneId={g}")
    assert status == 200 and body == {"singleTissueEqtl": _records(d)}
    assert d["pValue"].tolist() != raw  # the rounding had digits to drop
    assert get(base, "/api/v4/singleTissueEqtl?geneId=NoSuchGene")[:2] == (
        200, {"singleTissueEqtl": []})


def _eqtl_want(indep: pd.DataFrame, g: str) -> list[dict]:
    d = indep[indep["gene_id"] == g][["tissue", "gene_id", "variant_id", "ref", "alt",
                                      "pval_beta", "log2_aFC"]]
    return _records(d.rename(columns={"tissue": "tissueSiteDetailId", "gene_id": "geneId",
                                      "variant_id": "variantId", "pval_beta": "pValueBeta",
                                      "log2_aFC": "log2aFC"}))


def test_eqtl_rows_of_the_gene(base, release, lead):
    g = lead["gene_id"]
    status, body, _ = get(base, f"/api/v4/eqtl?geneId={g}")
    assert status == 200 and body == {"eqtl": _eqtl_want(release["indep"], g)}
    assert get(base, "/api/v4/eqtl?geneId=NoSuchGene")[:2] == (200, {"eqtl": []})


def test_eqtl_missing_afc_is_null(base, release):
    indep = release["indep"]
    g = indep.loc[indep["log2_aFC"].isna(), "gene_id"].iloc[0]
    status, body, _ = get(base, f"/api/v4/eqtl?geneId={g}")
    assert status == 200 and body == {"eqtl": _eqtl_want(indep, g)}
    assert None in [r["log2aFC"] for r in body["eqtl"]]


def test_xqtl_rows_of_the_gene(base, release, lead):
    x = release["xindep"]
    g = lead["gene_id"]
    d = x[x["gene_id"] == g][["tissue", "modality", "phenotype_id", "gene_id", "variant_id",
                              "ref", "alt", "pval_beta"]]
    want = _records(d.rename(columns={"tissue": "tissueSiteDetailId", "gene_id": "geneId",
                                      "phenotype_id": "phenotypeId", "variant_id": "variantId",
                                      "pval_beta": "pValueBeta"}))
    status, body, _ = get(base, f"/api/v4/xqtl?geneId={g}")
    assert status == 200 and len(want) > 1 and body == {"xqtl": want}
    assert get(base, "/api/v4/xqtl?geneId=NoSuchGene")[:2] == (200, {"xqtl": []})


def _dyneqtl_want(release, g: str, t: str, v: str) -> dict:
    expr = release["bed"][t].loc[g]
    vcf = release["vcf"]
    chrom, pos = v.split(":")
    rec = vcf[(vcf["#CHROM"] == chrom) & (vcf["POS"] == pos)].iloc[0]
    geno = [_dosage(rec[s]) if s in rec.index else None for s in expr.index]
    counts = [sum(1 for x in geno if x == k) for k in (0, 1, 2)]
    with zipfile.ZipFile(release["dir"] / "cis_pvals" / f"{t}.v4.zip") as z:
        pv = pd.read_csv(z.open(f"{t}.v4/{g}.txt"), sep="\t", index_col="variant_id")
    ta = release["top_assoc"].set_index(["tissue", "gene_id"])
    return {
        "alt": rec["ALT"], "data": expr.tolist(), "geneId": g, "genotypes": geno,
        "hetCount": counts[1], "homoAltCount": counts[2], "homoRefCount": counts[0],
        "maf": (counts[1] + 2 * counts[2]) / (2 * sum(counts)),
        "pValue": _py(pv.loc[v, "pval_nominal"]) if v in pv.index else None,
        "pValueThreshold": _py(ta.loc[(t, g), "pval_nominal_threshold"]),
        "ref": rec["REF"], "tissueSiteDetailId": t, "variantId": v,
    }


def test_dyneqtl_expression_by_genotype(base, release, lead):
    g, t, v = lead["gene_id"], lead["tissue"], lead["variant_id"]
    status, body, _ = get(base, f"/api/v4/dyneqtl?geneId={g}&tissueSiteDetailId={t}"
                                f"&variantId={v}")
    want = _dyneqtl_want(release, g, t, v)
    assert status == 200 and body == want
    assert want["pValue"] is not None and set(want["genotypes"]) >= {0, 1}


def test_dyneqtl_pair_outside_the_cis_window_has_null_p(base, release, lead):
    g, t = lead["gene_id"], lead["tissue"]
    with zipfile.ZipFile(release["dir"] / "cis_pvals" / f"{t}.v4.zip") as z:
        window = set(pd.read_csv(z.open(f"{t}.v4/{g}.txt"), sep="\t")["variant_id"])
    vcf = release["vcf"]
    far = next(f"{c}:{p}" for c, p in zip(vcf["#CHROM"], vcf["POS"], strict=True)
               if f"{c}:{p}" not in window)
    status, body, _ = get(base, f"/api/v4/dyneqtl?geneId={g}&tissueSiteDetailId={t}"
                                f"&variantId={far}")
    assert status == 200 and body == _dyneqtl_want(release, g, t, far)
    assert body["pValue"] is None


# -- errors (release-format 8) -----------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/api/v4/gene", "/api/v4/gene?geneId=", "/api/v4/gene?geneId=,,", "/api/v4/exon",
    "/api/v4/variant", "/api/v4/geneExpression", "/api/v4/medianGeneExpression",
    "/api/v4/topExpressedGene", "/api/v4/singleTissueEqtl", "/api/v4/eqtl", "/api/v4/xqtl",
    "/api/v4/dyneqtl", "/api/v4/dyneqtl?geneId=A&tissueSiteDetailId=B",
    "/api/v4/dyneqtl?geneId=A&variantId=chr1:1", "/api/v4/dyneqtl?tissueSiteDetailId=B&variantId=c",
])
def test_missing_or_malformed_parameter_is_400(base, path):
    status, body, _ = get(base, path)
    assert status == 400, body


def test_unknown_gene_tissue_variant_is_404(base, release, lead):
    g, t, v = lead["gene_id"], lead["tissue"], lead["variant_id"]
    med = release["median"]
    dyn = "/api/v4/dyneqtl?geneId={}&tissueSiteDetailId={}&variantId={}"
    cases = {
        "/api/v4/geneExpression?geneId=NoSuchGene": "NoSuchGene",
        "/api/v4/medianGeneExpression?geneId=NoSuchGene,Nor": "NoSuchGene",
        f"/api/v4/medianGeneExpression?geneId={med.index[0]}&tissueSiteDetailId={t},Nowhere":
            "Nowhere",
        dyn.format("NoSuchGene", t, v): "NoSuchGene",
        dyn.format(g, "Nowhere", v): "Nowhere",
        dyn.format(g, t, "chr1:1"): "Variant not found: chr1:1",
        dyn.format(g, t, "chr1:abc"): "Variant not found: chr1:abc",
    }
    for path, named in cases.items():
        status, body, _ = get(base, path)
        assert status == 404 and named in body["error"], (path, body)


def test_dyneqtl_gene_not_tested_in_the_tissue_is_404(base, release, lead):
    ta = release["top_assoc"]
    t = lead["tissue"]
    tested = set(ta.loc[ta["tissue"] == t, "gene_id"])
    untested = [x for x in release["bed"][t].index if x not in tested]
    assert untested, "the tiny release has expressed genes not tested for eQTLs"
    status, body, _ = get(base, f"/api/v4/dyneqtl?geneId={untested[0]}&tissueSiteDetailId={t}"
                                f"&variantId={lead['variant_id']}")
    assert status == 404 and "not tested" in body["error"]


def test_absurd_inputs_are_refused_with_400(base):
    many = ",".join(f"g{i}" for i in range(10_000))
    status, body, _ = get(base, "/api/v4/gene?geneId=" + many)
    assert status == 400 and "1000" in body["error"]
    status, body, _ = get(base, "/api/v4/exon?geneId=" + "x" * 1_000_000)
    assert status == 400 and "bytes" in body["error"]


def test_unknown_paths_methods_and_versions_are_json(base):
    status, body, _ = get(base, "/api/v3/gene?geneId=Grin2b")
    assert status == 404 and "/api/v4/" in body["error"]  # names what is served
    status, body, _ = get(base, "/api/v4/noSuchEndpoint")
    assert status == 404 and "dyneqtl" in body["error"]
    assert get(base, "/api/v4/sqtl?geneId=x")[0] == 404  # a v1-v3 endpoint
    assert get(base, "/nothing/here")[0] == 404
    status, _, headers = get(base, "/api/v4/gene?geneId=x", method="POST")
    assert status == 405 and "GET" in headers.get("allow", "")  # RFC 9110: a 405 names them


def _raw(base: str, path: str, method: str = "GET", headers: dict | None = None
         ) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(base + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as err:
        return err.code, err.read(), {k.lower(): v for k, v in err.headers.items()}


def test_cors_as_the_portals_flask_cors(base, lead):
    """Any origin: the request's Origin echoed (with Vary), * without one; a browser's
    preflight is answered; HEAD is GET without the body."""
    path = f"/api/v4/eqtl?geneId={lead['gene_id']}"
    status, _, h = _raw(base, path, headers={"Origin": "http://lab.example"})
    assert status == 200 and h["access-control-allow-origin"] == "http://lab.example"
    assert "origin" in h.get("vary", "").lower()
    status, _, h = _raw(base, "/api/v4/nothing", headers={"Origin": "http://lab.example"})
    assert status == 404 and h["access-control-allow-origin"] == "http://lab.example"
    status, body, h = _raw(base, path, method="OPTIONS", headers={
        "Origin": "http://lab.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-requested-with"})
    assert status == 200 and body == b""
    assert "GET" in h["access-control-allow-methods"]
    assert h["access-control-allow-headers"] == "x-requested-with"
    assert h["access-control-allow-origin"] == "http://lab.example"
    got, full, hg = _raw(base, path)
    status, body, h = _raw(base, path, method="HEAD")
    assert status == got == 200 and body == b"" and full
    assert h["content-length"] == hg["content-length"] == str(len(full))


def test_repeated_parameter_is_its_first_value(base, release):
    """Flask's request.args.get reads the first of repeated parameters."""
    first, second = list(release["genes"].index[:2])
    status, body, _ = get(base, f"/api/v4/gene?geneId={first}&geneId={second}")
    assert status == 200 and [g["geneId"] for g in body["gene"]] == [first]


def test_api_index_lists_versions_and_endpoints(base):
    status, body, _ = get(base, "/api/")
    assert status == 200
    (v4,) = body["versions"]
    assert v4["version"] == "v4" and v4["prefix"] == "/api/v4/"
    assert v4["endpoints"] == ["tissueInfo", "gene", "exon", "variant", "geneExpression",
                               "medianGeneExpression", "topExpressedGene", "singleTissueEqtl",
                               "eqtl", "xqtl", "dyneqtl"]
    assert get(base, "/api/v4/")[1]["endpoints"] == v4["endpoints"]


def test_openapi_docs(base):
    with urllib.request.urlopen(base + "/docs", timeout=30) as r:
        assert r.status == 200 and "text/html" in r.headers["content-type"]
    status, spec, _ = get(base, "/openapi.json", portal=False)
    assert status == 200 and "/api/{version}/dyneqtl" in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/api/{version}/dyneqtl"]["get"]["parameters"]}
    assert params == {"version", "geneId", "tissueSiteDetailId", "variantId"}


def test_concurrent_clients_all_answered(base, lead):
    g = lead["gene_id"]
    paths = [f"/api/v4/{e}?geneId={g}" for e in ("gene", "eqtl", "xqtl", "geneExpression")] * 5
    results: list[int] = []

    def one(p: str) -> None:
        results.append(get(base, p)[0])

    threads = [threading.Thread(target=one, args=(p,)) for p in paths]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [200] * len(paths)


def test_binds_loopback_and_logs_one_line_per_request(server):
    port = f"{server.port:04X}"
    listening = [ln.split()[1] for f in ("/proc/net/tcp", "/proc/net/tcp6")
                 if Path(f).exists() for ln in Path(f).read_text().splitlines()[1:]
                 if ln.split()[1].endswith(":" + port) and ln.split()[3] == "0A"]
    assert listening == ["0100007F:" + port]  # 127.0.0.1 only
    marker = f"/api/v4/eqtl?geneId=LogMarker{time.time_ns()}"
    for _ in range(3):
        get(server.base, marker)
    time.sleep(0.5)
    lines = [ln for ln in server.log.read_text().splitlines() if marker in ln]
    assert len(lines) == 3 and all(" 200 " in ln for ln in lines)


# -- static files, Ctrl-C ----------------------------------------------------------------------


def test_static_site_beside_the_api(tiny_db, tmp_path):
    site = tmp_path / "site"
    (site / "js").mkdir(parents=True)
    (site / "index.html").write_text('<html><script src="js/app.js"></script></html>\n')
    (site / "js" / "app.js").write_text(
        'fetch("/api/v4/tissueInfo").then(r => r.json()).then(d => console.log(d));\n')
    srv = Server(tiny_db, tmp_path / "static.log", "--static", str(site))
    try:
        with urllib.request.urlopen(srv.base + "/", timeout=30) as r:
            assert "js/app.js" in r.read().decode()
        with urllib.request.urlopen(srv.base + "/js/app.js", timeout=30) as r:
            js = r.read().decode()
            assert "javascript" in r.headers["content-type"]
        url = re.search(r'fetch\("([^"]+)"\)', js).group(1)  # what the page asks for
        status, body, _ = get(srv.base, url)
        assert status == 200 and body["tissueInfo"]
        assert get(srv.base, "/api/v4/nope")[0] == 404  # the API's own 404 wins under /api
        assert get(srv.base, "/no-such-page.html")[0] == 404
    finally:
        assert srv.stop() == 0


def test_ctrl_c_stops_cleanly(tiny_db, tmp_path):
    srv = Server(tiny_db, tmp_path / "stop.log")
    get(srv.base, "/api/v4/tissueInfo")
    t0 = time.monotonic()
    srv.proc.send_signal(signal.SIGINT)
    assert srv.proc.wait(timeout=20) == 0
    assert time.monotonic() - t0 < 20
    assert "Traceback" not in srv.log.read_text()
    srv.stop()


def test_static_folder_must_exist(tiny_db, tmp_path):
    r = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "serve",
                        "--static", str(tmp_path / "absent")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "--static" in r.stderr


def test_version_option_names_what_is_ingested(tiny_db):
    r = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "serve",
                        "--version", "v3"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "--version v3" in r.stderr and "v4" in r.stderr


# -- v3 under its own prefix (hand-written v3 files of tests/data/releases) ---------------------


@pytest.fixture(scope="module")
def v3_base(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve_v3")
    db = root / "db"
    res = subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                          str(Path(__file__).parent / "data" / "releases" / "v3"), "--quiet"],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    srv = Server(db, root / "serve.log")
    yield srv.base
    srv.stop()


def test_v3_is_served_under_its_prefix_with_its_field_names(v3_base):
    """Section 8's last paragraph: /api/v3 has /sqtl and keeps pval_beta / log2_aFC."""
    status, listing, _ = get(v3_base, "/api/", portal=False)
    assert status == 200 and [v["version"] for v in listing["versions"]] == ["v3"]
    assert "sqtl" in listing["versions"][0]["endpoints"]
    status, body, _ = get(v3_base, "/api/v3/eqtl?geneId=Gad1")
    assert status == 200
    # eqtls_indep.v3_rn7.txt: BLA rank 1 chr1:1100500 A>G pval_beta 1e-6, log2_aFC 1.35
    bla = [r for r in body["eqtl"] if r["tissueSiteDetailId"] == "BLA"]
    assert bla == [{"alt": "G", "geneId": "Gad1", "log2_aFC": 1.35, "pval_beta": 1e-6,
                    "ref": "A", "tissueSiteDetailId": "BLA", "variantId": "chr1:1100500"}]
    status, body, _ = get(v3_base, "/api/v3/sqtl?geneId=Gad1")
    assert status == 200
    first = [r for r in body["sqtl"] if r["tissueSiteDetailId"] == "BLA"][0]
    assert first == {"alt": "G", "geneId": "Gad1",
                     "phenotypeId": "chr1:1100200:1100800:clu_5_+:Gad1", "pval_beta": 2e-4,
                     "ref": "A", "tissueSiteDetailId": "BLA", "variantId": "chr1:1100500"}
    status, body, _ = get(v3_base, "/api/v4/eqtl?geneId=Gad1")
    assert status == 404 and "v3" in body["error"]


def test_v3_gene_status_has_the_splicing_flags(v3_base):
    status, body, _ = get(v3_base, "/api/v3/gene?geneId=Gad1")
    assert status == 200 and body["gene"]
    status_in = body["gene"][0]["statusInTissue"]
    assert {"altSplice", "testedSqtl", "sqtl"} <= set(status_in[0])


def test_v3_gene_records_carry_the_ensembl_id(v3_base):
    """The v3 portal returned every column of gene.v3.txt (release-format 5.2): geneIdEnsembl
    too, "" where the file has NA (its fillna("")); v4 records have no such key."""
    status, body, _ = get(v3_base, "/api/v3/gene?geneId=Gad1,Cbln1")
    assert status == 200
    assert [(g["geneId"], g["geneIdEnsembl"]) for g in body["gene"]] == [
        ("Gad1", "ENSRNOG00000000007"), ("Cbln1", "")]
