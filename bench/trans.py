"""A trans_qtl_pairs file of the real shape, and its lookups (bench/run.py --shape release).

The release-shaped synthetic release has ~800 trans pairs per tissue, but a real trans file
holds 0.5-5 M (release-format 6.2: ~1M null hits of p < 1e-5 over ~5M SNPs x ~20k genes, plus
the true signals). This writes one of 1M rows as the format describes it (3.16: variant in
genome order, then phenotype; ``%.6g`` values, slope / SE / af at float32 precision; af = k/2n),
ingests it, and times the lookups a user makes of it, against DuckDB reading the gz file.

    python bench/trans.py OUT.txt.gz [ROWS]     # write the file (the bench caches it)
"""

from __future__ import annotations

import gzip
import json
import random
import statistics
import string
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

#: Chromosome lengths of the rat genome (Mb, chr1..chr20): rows fall in proportion.
CHROM_MB = (282, 266, 177, 184, 173, 147, 146, 133, 122, 112, 88, 54, 118, 105, 101, 90, 90,
            88, 62, 57)
GENES = 20_000
RATS = 400


def write(out: Path, rows: int = 1_000_000, seed: int = 7) -> Path:
    rng = np.random.default_rng(seed)
    lengths = np.array(CHROM_MB) * 1_000_000
    per = np.floor(rows * lengths / lengths.sum()).astype(int)
    per[0] += rows - per.sum()
    upper = np.array(list(string.ascii_uppercase))
    lower = np.array(list(string.ascii_lowercase))
    names = set()
    while len(names) < GENES:
        names.add(upper[rng.integers(26)] + "".join(lower[rng.integers(26, size=3)])
                  + str(rng.integers(1, 40)))
    genes = np.array(sorted(names))
    tmp = out.with_suffix(".tmp")
    with gzip.open(tmp, "wt", compresslevel=6) as f:
        f.write("variant_id\tphenotype_id\tpval\tslope\tslope_se\taf\n")
        for c, k in enumerate(per):
            # ~1.3 hits per variant with hits
            pos = np.sort(rng.choice(lengths[c], size=int(k / 1.3), replace=False) + 1)
            pos = np.repeat(pos, rng.integers(1, 3, size=len(pos)))[:k]
            g = genes[rng.integers(0, GENES, size=len(pos))]
            pval = 10 ** rng.uniform(-12, -5, size=len(pos))
            slope = rng.normal(0, 0.6, size=len(pos)).astype(np.float32)
            se = (np.abs(slope) / rng.uniform(4.4, 8, size=len(pos))).astype(np.float32)
            af = (rng.integers(8, 2 * RATS - 8, size=len(pos)) / (2 * RATS)).astype(np.float32)
            order = np.lexsort((g, pos))
            f.write("".join(f"chr{c + 1}:{pos[i]}\t{g[i]}\t{pval[i]:.6g}\t{slope[i]:.6g}\t"
                            f"{se[i]:.6g}\t{af[i]:.6g}\n" for i in order))
    tmp.rename(out)
    return out


def measure(path: Path, db: Path, n: int = 20, rounds: int = 3) -> dict:
    """Ingest ``path`` into ``db``; lake / gz; p50 of gene, variant and region lookups through
    the view (best round of ``rounds``) and DuckDB over the gz file for one gene."""
    import duckdb

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest", "--quiet",
                    str(path)], check=True, capture_output=True)
    ingest_s = time.perf_counter() - t0
    lake = sum(p.stat().st_size for p in (db / "lake" / "trans_qtl_pairs").rglob("*.parquet"))
    import ratgtex_db

    h = ratgtex_db.open(db)
    con = h.connection
    rnd = random.Random(3)
    genes = rnd.sample(sorted(r[0] for r in con.execute(
        "SELECT DISTINCT gene_id FROM trans_qtl_pairs").fetchall()), n)
    variants = [r[0] for r in con.execute(
        "SELECT variant_id FROM trans_qtl_pairs USING SAMPLE reservoir(20 ROWS) REPEATABLE (5)"
    ).fetchall()]
    regions = [(c, p, p + 1_000_000) for c, p in con.execute(
        "SELECT chrom, pos FROM trans_qtl_pairs USING SAMPLE reservoir(20 ROWS) REPEATABLE (9)"
    ).fetchall()]

    def p50(sql: str, params: list) -> float:
        best = float("inf")
        for _ in range(rounds):
            ts = []
            for p in params:
                t = time.perf_counter()
                con.execute(sql, p).fetchall()
                ts.append(time.perf_counter() - t)
            best = min(best, statistics.median(ts))
        return 1000 * best

    out = {"rows": con.execute("SELECT count(*) FROM trans_qtl_pairs").fetchone()[0],
           "gz_bytes": path.stat().st_size, "lake_bytes": lake,
           "lake_over_gz": lake / path.stat().st_size, "ingest_s": ingest_s,
           "gene_p50_ms": p50("SELECT * FROM trans_qtl_pairs WHERE gene_id = ?",
                              [[g] for g in genes]),
           "variant_p50_ms": p50("SELECT * FROM trans_qtl_pairs WHERE variant_id = ?",
                                 [[v] for v in variants]),
           "region_p50_ms": p50("SELECT * FROM trans_qtl_pairs WHERE chrom = ? AND pos "
                                "BETWEEN ? AND ?", [list(r) for r in regions])}
    h.close()
    gcon = duckdb.connect()
    t = time.perf_counter()
    gcon.execute("SELECT * FROM read_csv(?) WHERE split_part(phenotype_id, '__', 1) = ?",
                 [str(path), genes[0]]).fetchall()
    out["duckdb_gz_gene_s"] = time.perf_counter() - t
    out["x_faster_gene"] = out["duckdb_gz_gene_s"] / (out["gene_p50_ms"] / 1000)
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1])
    write(target, int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    print(json.dumps({"written": str(target)}))
