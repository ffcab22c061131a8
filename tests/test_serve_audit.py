"""`ratgtex-db serve` audited against release-format section 8 on the edge cases a portal page
or a script hits: how the portal's Flask app reads its parameters (``request.args.get``, then
``split(",")`` and ``int()`` on positions, ids used verbatim), what it answers 200 with an empty
list and where it crashes (there: a JSON 4xx). A real server process over the tiny release,
real HTTP (urllib), no mocks. Each case was checked against the portal's own app run on the
same synthetic release files."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_serve import Server  # the suite's server process (same folder: on sys.path)


def _no_nan(token: str) -> Any:
    raise AssertionError(f"bare {token} in a JSON answer")


def get(base: str, path: str) -> tuple[int, Any]:
    """(status, JSON body) of a GET; every answer is JSON with the CORS header, errors are
    ``{"error": str}``."""
    try:
        with urllib.request.urlopen(base + path, timeout=60) as r:
            status, text, headers = r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as err:
        status, text, headers = err.code, err.read().decode(), err.headers
    assert headers.get("access-control-allow-origin") == "*", (path, dict(headers))
    assert headers.get("content-type", "").startswith("application/json"), (path, text[:200])
    body = json.loads(text, parse_constant=_no_nan)
    if status >= 400:
        assert set(body) == {"error"} and isinstance(body["error"], str), (path, body)
    return status, body


@pytest.fixture(scope="module")
def base(tiny_db: Path, tmp_path_factory: pytest.TempPathFactory):
    srv = Server(tiny_db, tmp_path_factory.mktemp("serve_audit") / "serve.log")
    yield srv.base
    srv.stop()


@pytest.fixture(scope="module")
def ids(tiny_v4: Path) -> dict[str, Any]:
    """Ids of the tiny release with data behind them: the lead eQTL's gene, tissue and
    variant, a second gene, the median table's genes and tissues."""
    indep = pd.read_csv(tiny_v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv", sep="\t", dtype=str)
    lead = indep.sort_values(["pval_nominal", "gene_id"]).iloc[0]
    genes = pd.read_csv(tiny_v4 / "gene.v4.tsv", sep="\t", dtype=str)["geneId"]
    other = next(g for g in genes if g != lead["gene_id"])
    med = pd.read_csv(tiny_v4 / "expr" / "medianGeneExpression.v4.tsv.gz", sep="\t",
                      index_col="geneId")
    chrom, pos = lead["variant_id"].split(":")
    return {"gene": lead["gene_id"], "tissue": lead["tissue"], "variant": lead["variant_id"],
            "chrom": chrom, "pos": pos, "other": other, "median_genes": med.index[:2].tolist(),
            "median_tissues": list(med.columns[:2])}


def _dyn(gene: str, tissue: str, variant: str) -> str:
    return f"/api/v4/dyneqtl?geneId={gene}&tissueSiteDetailId={tissue}&variantId={variant}"


# -- ids are taken verbatim (the portal neither strips nor drops them) -----------------------------


def test_gene_ids_are_not_stripped(base, ids):
    """``validate_genes`` looks an id up as given, then capitalized: `` Gene`` and ``Gene ``
    are no gene (dropped); only the unpadded id of a list is found."""
    g, other = ids["gene"], ids["other"]
    assert [x["geneId"] for x in get(base, f"/api/v4/gene?geneId={g}")[1]["gene"]] == [g]
    for path in (f"/api/v4/gene?geneId=%20{g}", f"/api/v4/gene?geneId={g}%20",
                 f"/api/v4/gene?geneId={g}+"):
        assert get(base, path) == (200, {"gene": []}), path
    status, body = get(base, f"/api/v4/gene?geneId={g},%20{other}")
    assert status == 200 and [x["geneId"] for x in body["gene"]] == [g]


@pytest.mark.parametrize("query", ["{g},", ",{g}", "{g},,{other}"])
def test_gene_list_with_an_empty_id_is_400(base, ids, query):
    """The portal's retry ``id[0].upper()`` fails on an empty id of the list (an HTML 500):
    a JSON 400 here, never a silent drop."""
    status, body = get(base, "/api/v4/gene?geneId=" + query.format(g=ids["gene"],
                                                                  other=ids["other"]))
    assert status == 400 and "empty" in body["error"]


@pytest.mark.parametrize("endpoint,param,key", [
    ("exon", "geneId", "exon"), ("eqtl", "geneId", "eqtl"), ("xqtl", "geneId", "xqtl"),
    ("singleTissueEqtl", "geneId", "singleTissueEqtl"),
    ("topExpressedGene", "tissueSiteDetailId", "topExpressedGene"),
])
def test_empty_or_padded_single_id_is_an_empty_list(base, ids, endpoint, param, key):
    """These endpoints filter their table by the value as given: an empty value or a padded
    id matches nothing and the portal answers 200 with an empty list (release-format 8: do
    the same), where the unpadded id has rows."""
    value = ids["tissue"] if param == "tissueSiteDetailId" else ids["gene"]
    status, body = get(base, f"/api/v4/{endpoint}?{param}={value}")
    assert status == 200 and body[key], "the unpadded id has rows"
    for given in ("", f"%20{value}", f"{value}%20"):
        assert get(base, f"/api/v4/{endpoint}?{param}={given}") == (200, {key: []}), given


def test_padded_ids_are_unknown_where_the_portal_fails(base, ids):
    """/geneExpression and /dyneqtl index by the id as given: a padded gene or tissue is an
    unknown one (the portal's KeyError, a 404 here); an empty one is a 400."""
    g, t, v = ids["gene"], ids["tissue"], ids["variant"]
    assert get(base, f"/api/v4/geneExpression?geneId={g}")[0] == 200
    assert get(base, f"/api/v4/geneExpression?geneId=%20{g}")[0] == 404
    assert get(base, "/api/v4/geneExpression?geneId=")[0] == 400
    assert get(base, _dyn(g, t, v))[0] == 200
    for path in (_dyn(f"%20{g}", t, v), _dyn(g, f"{t}%20", v)):
        assert get(base, path)[0] == 404, path
    status, body = get(base, _dyn(g, t, f"%20{v}"))  # the chromosome " chrN" has no record
    assert status == 404 and body["error"] == f"Variant not found:  {v}"
    for path in (_dyn("", t, v), _dyn(g, "", v)):
        assert get(base, path)[0] == 400, path


def test_dyneqtl_empty_variant_is_the_portals_own_404(base, ids):
    """Gene and tissue known, an empty variantId: the portal's record lookup finds nothing
    and it answers its one explicit error, kept as it is (release-format 8)."""
    status, body = get(base, _dyn(ids["gene"], ids["tissue"], ""))
    assert (status, body) == (404, {"error": "Variant not found: "})
    assert get(base, _dyn("NoSuchGene", ids["tissue"], ""))[0] == 404  # the gene fails first
    status, body = get(base, f"/api/v4/dyneqtl?geneId={ids['gene']}"
                             f"&tissueSiteDetailId={ids['tissue']}")
    assert status == 400  # no variantId at all: the portal crashes (AttributeError)


# -- variants: ids split and read as the portal reads them -------------------------------------


def test_variant_empty_value_is_an_empty_list(base):
    """``variant_record`` answers None for an id without ``:``, the empty one too, and the
    portal skips it: ``variantId=`` answers 200 with no variant."""
    for given in ("", ",", ",,"):
        assert get(base, f"/api/v4/variant?variantId={given}") == (200, {"variant": []}), given


def test_variant_position_is_read_with_python_int(base, ids):
    """The portal reads ``chrom, pos = id.split(":")`` and ``int(pos)``: blanks around the
    number, a sign, leading zeros and ``_`` between digits still name the position, and the
    id comes back as given; the chromosome is verbatim (`` chrN`` has no record)."""
    chrom, pos = ids["chrom"], ids["pos"]
    status, body = get(base, f"/api/v4/variant?variantId={ids['variant']}")
    assert status == 200 and len(body["variant"]) == 1
    rec = body["variant"][0]
    given = [f"{chrom}:%20{pos}", f"{chrom}:{pos}%20", f"{chrom}:%2B{pos}", f"{chrom}:0{pos}",
             f"{chrom}:{pos[:-3]}_{pos[-3:]}"]
    status, body = get(base, "/api/v4/variant?variantId=" + ",".join(given))
    raw = [urllib.request.unquote(x) for x in given]
    assert status == 200
    assert body["variant"] == [{**rec, "variantId": x} for x in raw]
    for bad in (f"%20{chrom}:{pos}", f"{chrom}:{pos}.0", f"{chrom}:_{pos}", f"{chrom}:0",
                f"{chrom}:2147483648"):
        assert get(base, f"/api/v4/variant?variantId={bad}") == (200, {"variant": []}), bad


def test_dyneqtl_variant_position_is_read_with_python_int(base, ids):
    """/dyneqtl finds the record of ``chrN: pos`` as the portal does; the pair's p-value is
    looked up by the id as given (none for that spelling), the rest is the pair's."""
    g, t, v = ids["gene"], ids["tissue"], ids["variant"]
    status, want = get(base, _dyn(g, t, v))
    assert status == 200 and want["pValue"] is not None
    status, body = get(base, _dyn(g, t, f"{ids['chrom']}:%20{ids['pos']}"))
    assert status == 200
    assert body == {**want, "variantId": f"{ids['chrom']}: {ids['pos']}", "pValue": None}


# -- /medianGeneExpression lists -----------------------------------------------------------------


def test_median_tissue_list_with_an_empty_or_padded_id_is_an_error(base, ids):
    """The portal selects the listed columns (``med_expr.loc[ids, tissues]``): an empty or a
    padded tissue id is no column and it fails; a JSON 400 / 404 here, not a silent drop."""
    g0, g1 = ids["median_genes"]
    t0, t1 = ids["median_tissues"]
    path = f"/api/v4/medianGeneExpression?geneId={g0},{g1}&tissueSiteDetailId="
    assert get(base, path + f"{t0},{t1}")[0] == 200
    status, body = get(base, path + f"{t0},")
    assert status == 400 and "empty" in body["error"]
    status, body = get(base, path + f"{t0},%20{t1}")
    assert status == 404 and f" {t1}" in body["error"]


def test_median_padded_gene_is_dropped(base, ids):
    """Gene ids not in the table are dropped, a padded one too (the portal's ``x in
    med_expr.index``); an empty item is dropped as well."""
    g0, g1 = ids["median_genes"]
    for query in (f"{g0},%20{g1}", f"{g0},{g1}%20", f"{g0},,"):
        status, body = get(base, f"/api/v4/medianGeneExpression?geneId={query}")
        assert status == 200, (query, body)
        assert {r["geneId"] for r in body["medianGeneExpression"]} == {g0}, query
        assert body["clusters"]["gene"] == "Not enough data"


# -- paths --------------------------------------------------------------------------------------


def test_doubled_slash_redirects_to_the_endpoint(base, ids):
    """werkzeug merges slashes: ``/api/v4//gene`` is a 308 to ``/api/v4/gene`` with the query
    kept (a script joining ``.../api/v4/`` and ``/gene`` still gets its answer); a doubled
    slash before no endpoint stays a 404, a trailing slash too."""
    import http.client

    port = int(base.rsplit(":", 1)[1])
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", f"/api/v4//gene?geneId={ids['gene']}")
    r = c.getresponse()
    r.read()
    c.close()
    assert r.status == 308 and r.getheader("location") == f"/api/v4/gene?geneId={ids['gene']}"
    assert r.getheader("access-control-allow-origin") == "*"
    status, body = get(base, f"/api/v4//gene?geneId={ids['gene']}")  # urllib follows it
    assert status == 200 and [x["geneId"] for x in body["gene"]] == [ids["gene"]]
    for path in ("/api/v4//nothing", f"/api/v4/gene/?geneId={ids['gene']}"):
        assert get(base, path)[0] == 404, path


# -- verified to match the portal already (kept as regressions) --------------------------------


@pytest.mark.parametrize("flag,drops_mt", [
    ("0", False), ("", False), ("null", False), ("%5B%5D", False), ("%22%22", False),
    ("2", True), ("%22x%22", True), ("NaN", True), ("%20true", True), ("1e400", True),
])
def test_filter_mt_gene_is_json_truthiness(base, tiny_v4, flag, drops_mt):
    """``args.get("filterMtGene", type=json.loads, default=False)``: any JSON value, taken by
    Python truthiness (NaN and infinity are true); text that is not JSON is false."""
    top = pd.read_csv(tiny_v4 / "expr" / "topExpressedGene.v4.tsv", sep="\t")
    t = top["tissueSiteDetailId"].iloc[-1]
    x = top[top["tissueSiteDetailId"] == t]
    if drops_mt:
        x = x[~x["mtGene"]]
    status, body = get(base, f"/api/v4/topExpressedGene?tissueSiteDetailId={t}"
                             f"&filterMtGene={flag}")
    assert status == 200
    assert [r["geneId"] for r in body["topExpressedGene"]] == x["geneId"].iloc[:50].tolist()
