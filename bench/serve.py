"""Benchmark of `ratgtex-db serve`: start-up, p50/p99 per endpoint, 20 concurrent clients.

    python bench/serve.py DB RELEASE_V4_DIR [--seconds 30] [--clients 20]

DB is an ingested database, RELEASE_V4_DIR the release folder it came from (for the baseline:
the portal's own start-up, which loads its files with pandas, timed on the same files).
Prints one JSON document and writes bench/serve_results.json.
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent

PORTAL_STARTUP = r"""
import sys, time, glob
import pandas as pd
t0 = time.perf_counter()
d = sys.argv[1]
pd.read_csv(f"{d}/tissue_info.v4.tsv", sep="\t")
pd.read_csv(f"{d}/expr/topExpressedGene.v4.tsv", sep="\t")
pd.read_csv(f"{d}/gene.v4.tsv", sep="\t", index_col="geneId").fillna("")
pd.read_csv(f"{d}/expr/medianGeneExpression.v4.tsv.gz", sep="\t", index_col="geneId")
for f in sorted(glob.glob(f"{d}/phenos/phenos.*.expression.unnorm.v4_rn8.bed.gz")):
    pd.read_csv(f, sep="\t", dtype={"#chr": str}, index_col="phenotype_id")
pd.read_csv(f"{d}/exon.v4.tsv", sep="\t")
pd.read_csv(f"{d}/eqtl/top_assoc.v4_rn8.tsv", sep="\t")
pd.read_csv(f"{d}/eqtl/eqtls_indep.v4_rn8.tsv", sep="\t")
pd.read_csv(f"{d}/xqtl/xqtls_indep.cross_modality.v4_rn8.tsv", sep="\t")
print(time.perf_counter() - t0)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("db", type=Path)
    ap.add_argument("release", type=Path)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=30, help="timed requests per endpoint")
    args = ap.parse_args()

    import ratgtex_db

    with ratgtex_db.open(args.db) as db:
        lead = db.sql("SELECT gene_id, tissue, variant_id FROM eqtls_indep "
                      "ORDER BY pval_nominal LIMIT 50").rows()
        genes = [g for g, _, _ in lead]
        tissues = db.sql("SELECT tissue FROM tissues").rows()

    port = _free_port()
    base = f"http://127.0.0.1:{port}/api/v4"
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "ratgtex_db", "--db", str(args.db), "serve",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    while True:
        try:
            _get(base + "/tissueInfo")
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.02)
    startup = time.perf_counter() - t0
    portal = float(subprocess.run([sys.executable, "-c", PORTAL_STARTUP, str(args.release)],
                                  capture_output=True, text=True, check=True).stdout)
    rng = random.Random(1)

    def pick() -> dict[str, str]:
        g, t, v = rng.choice(lead)
        return {
            "tissueInfo": "/tissueInfo",
            "gene": f"/gene?geneId={g}",
            "exon": f"/exon?geneId={g}",
            "variant": f"/variant?variantId={v}",
            "geneExpression": f"/geneExpression?geneId={g}",
            "medianGeneExpression": "/medianGeneExpression?geneId=" + ",".join(
                rng.sample(genes, 10)),
            "topExpressedGene": f"/topExpressedGene?tissueSiteDetailId={rng.choice(tissues)[0]}",
            "singleTissueEqtl": f"/singleTissueEqtl?geneId={g}",
            "eqtl": f"/eqtl?geneId={g}",
            "xqtl": f"/xqtl?geneId={g}",
            "dyneqtl": f"/dyneqtl?geneId={g}&tissueSiteDetailId={t}&variantId={v}",
        }

    per: dict[str, list[float]] = {}
    for _ in range(args.requests):
        for name, path in pick().items():
            t = time.perf_counter()
            status = _get(base + path)
            per.setdefault(name, []).append((time.perf_counter() - t) * 1000)
            assert status == 200, (name, path, status)
    endpoints = {n: {"p50_ms": statistics.median(v),
                     "p99_ms": sorted(v)[max(0, int(len(v) * 0.99) - 1)]}
                 for n, v in per.items()}

    errors: list[str] = []
    done = [0]
    stop = time.monotonic() + args.seconds

    def client() -> None:
        while time.monotonic() < stop:
            for path in pick().values():
                try:
                    status = _get(base + path)
                except Exception as e:  # noqa: BLE001 - any failure is a finding
                    errors.append(repr(e))
                    continue
                if status != 200:
                    errors.append(f"{status} {path}")
                done[0] += 1

    threads = [threading.Thread(target=client) for _ in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rss = _rss_mib(proc.pid)
    proc.terminate()
    proc.wait(timeout=30)
    out = {"startup_s": startup, "portal_pandas_startup_s": portal,
           "startup_x_faster": portal / startup, "endpoints": endpoints,
           "concurrent": {"clients": args.clients, "seconds": args.seconds,
                          "requests": done[0], "errors": len(errors), "first_errors": errors[:5]},
           "server_peak_rss_mib": rss}
    print(json.dumps(out, indent=1))
    (HERE / "serve_results.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
