"""Benchmark of `ratgtex-db serve`: start-up, p50/p99 per endpoint, 20 concurrent clients, RSS.

    python bench/serve.py DB RELEASE_V4_DIR [--seconds 30] [--clients 20] [--requests 40]

DB is an ingested database, RELEASE_V4_DIR the release folder it came from. Baselines, measured
in the same run on the same files: the portal's own start-up (its server loads every file with
pandas before answering; timed here as that load), the portal's per-request work on those
in-memory frames for the same requests (no HTTP; /variant and the genotypes of /dyneqtl need
pysam and are left out), and the HTTP floor of our server (`/api/`, no query). The load
average is recorded before and after: the machine may be shared. Prints one JSON document and
writes bench/serve_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The portal's start-up and per-request work, re-stated with pandas (release-format 8): run in
#: a child process so that its memory is its own. argv: release dir, requests JSON file.
PORTAL = r"""
import json, resource, sys, time, zipfile
import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import linkage, to_tree

d, picks = sys.argv[1], json.load(open(sys.argv[2]))
t0 = time.perf_counter()
info = pd.read_csv(f"{d}/tissue_info.v4.tsv", sep="\t", dtype={"colorHex": str})
tissue_info = info.to_dict(orient="records")
tissues = info["tissueSiteDetailId"].tolist()
top = pd.read_csv(f"{d}/expr/topExpressedGene.v4.tsv", sep="\t")
genes = pd.read_csv(f"{d}/gene.v4.tsv", sep="\t", index_col="geneId",
                    dtype={"chromosome": str}).fillna("")
med = pd.read_csv(f"{d}/expr/medianGeneExpression.v4.tsv.gz", sep="\t", index_col="geneId")
tpm = {}
for t in tissues:
    x = pd.read_csv(f"{d}/phenos/phenos.{t}.expression.unnorm.v4_rn8.bed.gz", sep="\t",
                    dtype={"#chr": str}, index_col="phenotype_id")
    tpm[t] = x.drop(columns=["#chr", "start", "end"])
exons = pd.read_csv(f"{d}/exon.v4.tsv", sep="\t", dtype={"chromosome": str})
top_assoc = pd.read_csv(f"{d}/eqtl/top_assoc.v4_rn8.tsv", sep="\t",
                        index_col=["tissue", "gene_id"])[["pval_nominal_threshold"]]
eqtls = pd.read_csv(f"{d}/eqtl/eqtls_indep.v4_rn8.tsv", sep="\t")
xqtls = pd.read_csv(f"{d}/xqtl/xqtls_indep.cross_modality.v4_rn8.tsv", sep="\t")
startup = time.perf_counter() - t0

def tree(m):
    root = to_tree(linkage(m, method="average", optimal_ordering=True))
    names = list(m.index)
    def text(n, h):
        if n.is_leaf():
            return f"{names[n.id]}:{h - n.dist:g}"
        s = "(" + text(n.get_right(), n.dist) + "," + text(n.get_left(), n.dist) + ")"
        return s + (";" if n is root else f":{h - n.dist:g}")
    return text(root, root.dist)

def member(zpath, name):
    with zipfile.ZipFile(zpath) as z:
        return pd.read_csv(z.open(name), sep="\t") if name in z.namelist() else None

def answer(name, p):
    g = p.get("geneId")
    if name == "tissueInfo":
        return {"tissueInfo": tissue_info}
    if name == "gene":
        recs = genes.loc[[g], :].reset_index().to_dict(orient="records")
        for r in recs:
            r["statusInTissue"] = [{"tissueSiteDetailId": t, "expressed": r.pop("expr_" + t),
                                    "testedEqtl": r.pop("testedEqtl_" + t),
                                    "eqtl": r.pop("eqtl_" + t)} for t in tissues]
        return {"gene": recs}
    if name == "exon":
        return {"exon": exons[exons["geneId"] == g].to_dict(orient="records")}
    if name == "geneExpression":
        return {"geneExpression": [{"data": list(tpm[t].loc[g, :]), "tissueSiteDetailId": t}
                                   for t in tissues]}
    if name == "medianGeneExpression":
        m = med.loc[[x for x in p["geneId"].split(",") if x in med.index], :]
        return {"clusters": {"gene": tree(m), "tissue": tree(m.T)},
                "medianGeneExpression": m.reset_index().melt(id_vars="geneId").to_dict(
                    orient="records")}
    if name == "topExpressedGene":
        x = top[top["tissueSiteDetailId"] == p["tissueSiteDetailId"]].iloc[:50]
        return {"topExpressedGene": x.drop(columns="mtGene").to_dict(orient="records")}
    if name == "singleTissueEqtl":
        x = member(f"{d}/eqtl/all_gene_esnps.v4.zip", f"all_gene_esnps.v4/{g}.txt")
        if x is None:
            return {"singleTissueEqtl": []}
        x["pValue"] = x["pValue"].apply(lambda v: float(f"{v:.3e}"))
        return {"singleTissueEqtl": x.to_dict(orient="records")}
    if name == "eqtl":
        return {"eqtl": eqtls[eqtls["gene_id"] == g].to_dict(orient="records")}
    if name == "xqtl":
        return {"xqtl": xqtls[xqtls["gene_id"] == g].to_dict(orient="records")}
    if name == "dyneqtl":  # without the VCF fetch (pysam)
        t, v = p["tissueSiteDetailId"], p["variantId"]
        x = member(f"{d}/cis_pvals/{t}.v4.zip", f"{t}.v4/{g}.txt")
        pv = None if x is None else x.set_index("variant_id")["pval_nominal"].get(v)
        return {"data": list(tpm[t].loc[g, :]), "pValue": pv,
                "pValueThreshold": top_assoc.loc[(t, g), "pval_nominal_threshold"]}
    return None

times = {}
for name, p in picks:
    t = time.perf_counter()
    out = answer(name, p)
    if out is None:
        continue
    json.dumps(out, default=str)
    times.setdefault(name, []).append((time.perf_counter() - t) * 1000)
print(json.dumps({"startup_s": startup, "times_ms": times,
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=120) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def _proc_mib(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "p50_ms": round(statistics.median(values), 2),
            "p99_ms": round(_pct(values, 0.99), 2)}


def _start(db: Path, port: int) -> tuple[subprocess.Popen, float]:
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(db), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            if _get(f"http://127.0.0.1:{port}/api/v4/tissueInfo") == 200:
                return proc, time.perf_counter() - t0
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                raise SystemExit("the server exited during start-up") from None
            time.sleep(0.01)


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(2)  # SIGINT, as Ctrl-C
    proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("release", type=Path)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=40, help="timed requests per endpoint")
    ap.add_argument("--startups", type=int, default=3, help="server start-ups timed")
    args = ap.parse_args()
    load_start = os.getloadavg()

    import ratgtex_db

    with ratgtex_db.open(args.db) as db:
        lead = db.sql("SELECT gene_id, tissue, variant_id FROM eqtls_indep "
                      "ORDER BY pval_nominal, gene_id LIMIT 200").rows()
        tissues = [t for (t,) in db.sql("SELECT tissue FROM tissues").rows()]
    genes = sorted({g for g, _, _ in lead})
    rng = random.Random(1)

    def pick() -> list[tuple[str, dict[str, str]]]:
        g, t, v = rng.choice(lead)
        return [
            ("tissueInfo", {}), ("gene", {"geneId": g}), ("exon", {"geneId": g}),
            ("variant", {"variantId": v}), ("geneExpression", {"geneId": g}),
            ("medianGeneExpression", {"geneId": ",".join(rng.sample(genes, 10))}),
            ("topExpressedGene", {"tissueSiteDetailId": rng.choice(tissues)}),
            ("singleTissueEqtl", {"geneId": g}), ("eqtl", {"geneId": g}),
            ("xqtl", {"geneId": g}),
            ("dyneqtl", {"geneId": g, "tissueSiteDetailId": t, "variantId": v}),
        ]

    picks = [p for _ in range(args.requests) for p in pick()]

    # start-up: until the first real answer (the median of a few)
    port = _free_port()
    startups = []
    for _ in range(args.startups - 1):
        proc, s = _start(args.db, port)
        startups.append(s)
        _stop(proc)
    proc, s = _start(args.db, port)
    startups.append(s)
    base = f"http://127.0.0.1:{port}/api/v4"
    time.sleep(3)  # let the background warm-up of the session pool finish

    # the portal's start-up and per-request work on the same files (baseline)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(picks, f)
    try:
        portal = json.loads(subprocess.run(
            [sys.executable, "-c", PORTAL, str(args.release), f.name], capture_output=True,
            text=True, check=True).stdout)
    finally:
        os.unlink(f.name)

    # sequential requests: p50/p99 per endpoint, and the HTTP floor
    floor = []
    for _ in range(args.requests):
        t = time.perf_counter()
        assert _get(f"http://127.0.0.1:{port}/api/") == 200
        floor.append((time.perf_counter() - t) * 1000)
    per: dict[str, list[float]] = {}
    for name, p in picks:
        url = base + f"/{name}?" + urllib.parse.urlencode(p, safe=",:")
        t = time.perf_counter()
        status = _get(url)
        per.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        assert status == 200, (url, status)
    endpoints = {}
    for name, values in per.items():
        e = _summary(values)
        base_ms = portal["times_ms"].get(name)
        if base_ms:
            e["portal_pandas_p50_ms"] = round(statistics.median(base_ms), 2)
        endpoints[name] = e
    load_mid = os.getloadavg()

    # concurrent clients
    errors: list[str] = []
    latencies: list[float] = []
    stop = time.monotonic() + args.seconds
    lock = threading.Lock()

    def client(seed: int) -> None:
        r = random.Random(seed)
        while time.monotonic() < stop:
            name, p = r.choice(picks)
            url = base + f"/{name}?" + urllib.parse.urlencode(p, safe=",:")
            t = time.perf_counter()
            try:
                status = _get(url)
            except Exception as e:  # noqa: BLE001 - any failure is a finding
                status, msg = 0, repr(e)
            else:
                msg = f"{status} {url}"
            with lock:
                latencies.append((time.perf_counter() - t) * 1000)
                if status != 200:
                    errors.append(msg)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    rss_now = _proc_mib(proc.pid, "VmRSS")
    rss_peak = _proc_mib(proc.pid, "VmHWM")
    t = time.perf_counter()
    _stop(proc)
    stop_s = time.perf_counter() - t
    out = {
        "db": str(args.db), "cpu_count": os.cpu_count(),
        "loadavg_1_5_15": {"start": load_start, "after_sequential": load_mid,
                           "end": os.getloadavg()},
        "startup_s": round(statistics.median(startups), 3),
        "startup_runs_s": [round(x, 3) for x in startups],
        "portal_pandas_startup_s": round(portal["startup_s"], 3),
        "startup_x_faster": round(portal["startup_s"] / statistics.median(startups), 2),
        "portal_pandas_peak_rss_mib": round(portal["peak_rss_mib"], 1),
        "http_floor": _summary(floor),
        "endpoints": endpoints,
        "concurrent": {"clients": args.clients, "seconds": round(wall, 1),
                       "requests": len(latencies),
                       "requests_per_s": round(len(latencies) / wall, 1),
                       **_summary(latencies), "errors": len(errors),
                       "first_errors": errors[:5]},
        "server_rss_mib": {"after_load": round(rss_now, 1), "peak": round(rss_peak, 1)},
        "stop_on_sigint_s": round(stop_s, 3), "stop_exit_code": proc.returncode,
    }
    print(json.dumps(out, indent=1))
    (HERE / "serve_results.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
