"""`ratgtex-db serve`: a real server process on a free local port, answers compared with values
computed with pandas from the release files (the portal's semantics, release-format 8)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tiny_db: Path):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(tiny_db), "serve",
                             "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/api/", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                raise RuntimeError(proc.stdout.read()) from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def _get(base: str, path: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            body = r.read().decode()
            return r.status, json.loads(body), dict(r.headers)
    except urllib.error.HTTPError as err:
        body = err.read().decode()
        return err.code, json.loads(body), dict(err.headers)


def _bed(tiny_v4: Path, tissue: str) -> pd.DataFrame:
    path = tiny_v4 / "phenos" / f"phenos.{tissue}.expression.unnorm.v4_rn8.bed.gz"
    return pd.read_csv(path, sep="\t", dtype={"#chr": str}, index_col="phenotype_id").drop(
        columns=["#chr", "start", "end"])


@pytest.fixture(scope="module")
def lead(tiny_v4: Path) -> pd.Series:
    indep = pd.read_csv(tiny_v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv", sep="\t")
    return indep.sort_values(["pval_nominal", "gene_id"]).iloc[0]


def test_tissue_info_is_the_file_in_order(server, tiny_v4):
    status, body, headers = _get(server, "/api/v4/tissueInfo")
    info = pd.read_csv(tiny_v4 / "tissue_info.v4.tsv", sep="\t", dtype={"colorHex": str})
    assert status == 200 and headers.get("access-control-allow-origin") in ("*", None)
    got = body["tissueInfo"]
    assert [t["tissueSiteDetailId"] for t in got] == info["tissueSiteDetailId"].tolist()
    assert sorted(got[0]) == sorted(info.columns)
    assert got[0]["rnaSeqSampleCount"] == int(info["rnaSeqSampleCount"][0])
    assert isinstance(got[0]["hasEGenes"], bool)


def test_gene_status_and_case_retry(server, tiny_v4, lead):
    genes = pd.read_csv(tiny_v4 / "gene.v4.tsv", sep="\t", index_col="geneId")
    tissues = pd.read_csv(tiny_v4 / "tissue_info.v4.tsv", sep="\t")["tissueSiteDetailId"]
    g = lead["gene_id"]
    status, body, _ = _get(server, f"/api/v4/gene?geneId={g.lower()},NoSuchGene")
    assert status == 200 and [x["geneId"] for x in body["gene"]] == [g]
    rec = body["gene"][0]
    row = genes.loc[g]
    assert rec["start"] == int(row["start"]) and rec["tss"] == int(row["tss"])
    want = [{"eqtl": bool(row[f"eqtl_{t}"]), "expressed": bool(row[f"expr_{t}"]),
             "testedEqtl": bool(row[f"testedEqtl_{t}"]), "tissueSiteDetailId": t}
            for t in tissues]
    assert rec["statusInTissue"] == want


def test_eqtl_rows_and_unknown_gene_empty(server, tiny_v4, lead):
    indep = pd.read_csv(tiny_v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv", sep="\t")
    g = lead["gene_id"]
    status, body, _ = _get(server, f"/api/v4/eqtl?geneId={g}")
    want = indep[indep["gene_id"] == g]
    assert status == 200 and len(body["eqtl"]) == len(want)
    assert sorted(body["eqtl"][0]) == ["alt", "geneId", "log2aFC", "pValueBeta", "ref",
                                       "tissueSiteDetailId", "variantId"]
    assert sorted(r["variantId"] for r in body["eqtl"]) == sorted(want["variant_id"])
    assert _get(server, "/api/v4/eqtl?geneId=NoSuchGene")[:2] == (200, {"eqtl": []})


def test_gene_expression_is_the_bed_row_in_column_order(server, tiny_v4, lead):
    g = lead["gene_id"]
    status, body, _ = _get(server, f"/api/v4/geneExpression?geneId={g}")
    assert status == 200
    for rec in body["geneExpression"]:
        bed = _bed(tiny_v4, rec["tissueSiteDetailId"])
        if g in bed.index:
            assert rec["data"] == pytest.approx(bed.loc[g].tolist())
        assert rec["unit"] == "TPM" and rec["geneSymbol"] == g


def test_median_expression_and_trees(server, tiny_v4):
    med = pd.read_csv(tiny_v4 / "expr" / "medianGeneExpression.v4.tsv.gz", sep="\t",
                      index_col="geneId")
    genes = med.index[:3].tolist()
    status, body, _ = _get(server, "/api/v4/medianGeneExpression?geneId=" + ",".join(genes))
    assert status == 200
    got = {(r["geneId"], r["tissueSiteDetailId"]): r["median"]
           for r in body["medianGeneExpression"]}
    for g in genes:
        for t in med.columns:
            assert got[(g, t)] == pytest.approx(med.loc[g, t])
    tree = body["clusters"]["gene"]
    assert tree.endswith(";") and all(g + ":" in tree for g in genes)
    one = _get(server, f"/api/v4/medianGeneExpression?geneId={genes[0]}")[1]
    assert one["clusters"]["gene"] == "Not enough data"


def test_dyneqtl_genotypes_from_the_vcf(server, tiny_v4, lead):
    import cyvcf2

    g, t, v = lead["gene_id"], lead["tissue"], lead["variant_id"]
    status, body, _ = _get(server, f"/api/v4/dyneqtl?geneId={g}&tissueSiteDetailId={t}"
                                   f"&variantId={v}")
    assert status == 200, body
    bed = _bed(tiny_v4, t)
    assert body["data"] == pytest.approx(bed.loc[g].tolist())
    vcf = cyvcf2.VCF(str(next((tiny_v4 / "geno").glob("*.vcf.gz"))))
    chrom, pos = v.split(":")
    rec = next(r for r in vcf if r.CHROM == chrom and r.POS == int(pos))  # tiny: no index
    idx = {s: i for i, s in enumerate(vcf.samples)}
    dose = {0: 0, 1: 1, 2: None, 3: 2}
    want = [dose[int(rec.gt_types[idx[s]])] if s in idx else None for s in bed.columns]
    assert body["genotypes"] == want
    assert body["homoRefCount"] == want.count(0) and body["hetCount"] == want.count(1)
    assert body["ref"] == rec.REF and body["alt"] == rec.ALT[0]
    assert _get(server, f"/api/v4/dyneqtl?geneId={g}&tissueSiteDetailId={t}"
                        "&variantId=chr1:1")[:2] == (404, {"error": "Variant not found: chr1:1"})


def test_errors_are_json_with_4xx(server):
    assert _get(server, "/api/v4/gene")[0] == 400
    assert _get(server, "/api/v4/geneExpression?geneId=NoSuchGene")[0] == 404
    assert _get(server, "/api/v4/dyneqtl?geneId=x")[0] in (400, 404)
    many = ",".join(f"g{i}" for i in range(10_000))
    status, body, _ = _get(server, "/api/v4/gene?geneId=" + many)
    assert status == 400 and "error" in body
