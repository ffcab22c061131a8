"""Benchmarks: ratgtex-db against the baselines a user would otherwise reach for.

    python bench/run.py --scale medium        # writes bench/RESULTS.md and bench/results.json

Generates (and caches under bench/cache/) a synthetic release, then measures in one run, on the
same files: ingest per big kind against ISA-L decompression alone, DuckDB's naive
``COPY (SELECT * FROM read_csv(f)) TO 'x.parquet'`` and pandas ``read_csv``; peak RSS of ingest;
lake bytes against gzip bytes; gene / variant / region lookups against DuckDB over the gz files
and pandas; the CLI round trip. Timings are ratios against baselines measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("RATGTEX_BENCH_CACHE", HERE / "cache"))


def _rss_of(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def release(scale: str, seed: int = 1) -> Path:
    """A cached synthetic release of ``scale`` (generated once, in a child process: a child's
    peak RSS as ``wait4`` reports it includes the parent's pages at fork, so the synthesis must
    not grow this process before the ingests are measured)."""
    root = CACHE / f"release-{scale}-{seed}"
    if not (root / "data" / "v4").exists():
        tmp = CACHE / f".tmp-{scale}-{seed}"
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from ratgtex_db.synth import "
                        "synthesize; synthesize(sys.argv[1], scale=sys.argv[2], "
                        "seed=int(sys.argv[3]))", str(tmp), scale, str(seed)], check=True)
        print(f"synth {scale}: {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        tmp.rename(root)
    return root


def biggest(root: Path, pattern: str) -> Path | None:
    files = sorted(root.rglob(pattern), key=lambda p: p.stat().st_size, reverse=True)
    return files[0] if files else None


def decompress_seconds(path: Path) -> float:
    from isal import igzip

    t0 = time.perf_counter()
    with igzip.open(path, "rb") as f:
        while f.read(4 << 20):
            pass
    return time.perf_counter() - t0


def _timed_child(code: str, *args: str) -> tuple[float, float]:
    """Run ``code`` (which sets ``t`` = seconds of the measured work) in a fresh interpreter;
    returns (t, peak RSS MiB); imports are excluded from t, as for our ingest."""
    wrapper = code + (
        "\nimport json, resource; print(json.dumps({'s': t, 'rss': "
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *args], check=True,
                         capture_output=True, text=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got["s"], got["rss"]


def duckdb_copy(path: Path, out: Path) -> tuple[float, float]:
    code = (
        "import duckdb, sys, time; con = duckdb.connect(); t0 = time.perf_counter()\n"
        "con.execute(\"COPY (SELECT * FROM read_csv(?)) TO '\" + sys.argv[2].replace(\"'\", "
        "\"''\") + \"' (FORMAT parquet)\", [sys.argv[1]])\n"
        "t = time.perf_counter() - t0"
    )
    return _timed_child(code, str(path), str(out))


def pandas_read(path: Path) -> tuple[float, float]:
    code = ("import pandas as pd, sys, time; t0 = time.perf_counter()\n"
            "pd.read_csv(sys.argv[1], sep='\\t')\nt = time.perf_counter() - t0")
    return _timed_child(code, str(path))


INGEST_ONE = """
import json, resource, sys, time
from pathlib import Path
from ratgtex_db import lake
from ratgtex_db.ingest import ingest
lake.create(Path(sys.argv[2]))  # creating the database is once per database, not per file
t0 = time.perf_counter()
report = ingest([sys.argv[1]], sys.argv[2], force=True)
assert not report.failed, report.failed
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ingest_file(path: Path, db: Path) -> tuple[float, float]:
    """In-process ingest time of one file (interpreter start-up and imports excluded) and the
    peak RSS of the process."""
    out = subprocess.run([sys.executable, "-c", INGEST_ONE, str(path), str(db)], check=True,
                         capture_output=True, text=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    return got["seconds"], got["rss_mib"]


def zip_decompress_seconds(path: Path) -> float:
    import zipfile

    t0 = time.perf_counter()
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            zf.read(name)
    return time.perf_counter() - t0


#: Timed runs per measurement (median taken): this 2-core VM varies by +-40% between runs.
REPEATS = 3


def _median(run, *args) -> tuple[float, float]:
    """Median seconds of ``REPEATS`` calls ``run(*args)`` -> (seconds, peak RSS MiB); max RSS."""
    got = [run(*args) for _ in range(REPEATS)]
    return statistics.median(g[0] for g in got), max(g[1] for g in got)


def measure_kinds(root: Path, work: Path) -> list[dict]:
    v4 = root / "data" / "v4"
    rows = []
    kinds = [
        ("cis_qtl_signif", "cis_qtl_signif.*.expression.*.txt.gz"),
        ("trans_qtl_pairs", "trans_qtl_pairs.*.txt.gz"),
        ("phenos (norm BED)", "phenos.*.splicing.norm.*.bed.gz"),
        ("cis_pvals (zip)", "cis_pvals/*.zip"),
        ("vcf", "geno/*.vcf.gz"),
    ]
    jobs = [(label, biggest(v4, pattern)) for label, pattern in kinds]
    jobs.insert(1, ("cis_qtl_signif 4M rows", big_signif(root)))
    for label, path in jobs:
        if path is None:
            continue
        db = work / f"db-{label.replace(' ', '_')}"
        shutil.rmtree(db, ignore_errors=True)
        inflate = zip_decompress_seconds if path.suffix == ".zip" else decompress_seconds
        dec = statistics.median(inflate(path) for _ in range(REPEATS))
        ing, rss = _median(ingest_file, path, db)
        lake = sum(p.stat().st_size for p in (db / "lake").rglob("*.parquet"))
        row = {"kind": label, "file": path.name, "gz_bytes": path.stat().st_size,
               "decompress_s": dec, "ingest_s": ing, "ingest_rss_mib": rss,
               "lake_bytes": lake, "lake_over_gz": lake / path.stat().st_size,
               "ingest_over_decompress": ing / dec}
        if path.suffix == ".gz" and label != "vcf":
            cp, cp_rss = _median(duckdb_copy, path, work / "naive.parquet")
            pd_s, pd_rss = pandas_read(path)
            row.update({"duckdb_copy_s": cp, "duckdb_copy_rss_mib": cp_rss,
                        "naive_parquet_over_gz": (work / "naive.parquet").stat().st_size
                        / path.stat().st_size,
                        "pandas_s": pd_s, "pandas_rss_mib": pd_rss,
                        "speedup_vs_duckdb_copy": cp / ing})
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return rows


def _p(times: list[float]) -> dict:
    return {"p50_ms": 1000 * statistics.median(times),
            "p95_ms": 1000 * sorted(times)[int(0.95 * (len(times) - 1))]}


def measure_lookups(root: Path, db: Path, n_genes: int = 50) -> dict:
    """Gene, variant and region lookups in cis_qtl_signif across all tissues and modalities,
    through the public API (``assoc``), against DuckDB over the gz files and pandas."""
    import duckdb

    import ratgtex_db

    v4 = root / "data" / "v4"
    handle = ratgtex_db.open(db)
    genes = [r[0] for r in handle.connection.execute(
        "SELECT DISTINCT gene_id FROM eqtls_indep ORDER BY 1").fetchall()]
    random.Random(7).shuffle(genes)
    genes = genes[:n_genes]
    variants = [r[0] for r in handle.connection.execute(
        "SELECT variant_id FROM eqtls_indep WHERE list_contains(?, gene_id) ORDER BY 1",
        [genes]).fetchall()][:n_genes]
    regions = [f"{c}:{max(1, p - 50_000)}-{p + 50_000}" for c, p in handle.connection.execute(
        "SELECT chrom, pos FROM eqtls_indep WHERE list_contains(?, gene_id) ORDER BY variant_id",
        [genes]).fetchall()][:n_genes]
    handle.assoc(genes[0])  # first call: imports polars/pyarrow; not a lookup cost

    def timed(calls) -> list[float]:
        out = []
        for call in calls:
            t0 = time.perf_counter()
            frame = call()
            out.append(time.perf_counter() - t0)
            assert frame.height > 0
        return out

    ours = {
        "gene": _p(timed([lambda g=g: handle.assoc(g) for g in genes])),
        "variant": _p(timed([lambda v=v: handle.assoc(variant=v) for v in variants])),
        "region": _p(timed([lambda r=r: handle.assoc(region=r) for r in regions])),
    }
    handle.close()
    gz = sorted(str(p) for p in (v4 / "xqtl").glob("cis_qtl_signif.*.txt.gz"))
    con = duckdb.connect()
    base = "SELECT * FROM read_csv(?, union_by_name=true, filename=true) WHERE "
    duck = {}
    for what, where, arg in [
        ("gene", "split_part(phenotype_id, '__', 1) = ?", genes[0]),
        ("variant", "variant_id = ?", variants[0]),
        ("region", "split_part(variant_id, ':', 1) = ? AND "
                   "CAST(split_part(variant_id, ':', 2) AS INTEGER) BETWEEN ? AND ?", None),
    ]:
        params = [gz, arg] if arg is not None else [
            gz, regions[0].split(":")[0], *map(int, regions[0].split(":")[1].split("-"))]
        t0 = time.perf_counter()
        con.execute(base + where, params).fetchall()
        duck[what] = time.perf_counter() - t0
    import pandas as pd

    t0 = time.perf_counter()
    g = genes[0]
    for f in gz:
        df = pd.read_csv(f, sep="\t")
        df[df["phenotype_id"].str.split("__").str[0] == g]
    pandas_s = time.perf_counter() - t0
    cli = []
    for g in genes[:5]:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "assoc", "--gene", g,
                        "--format", "tsv"], check=True, capture_output=True)
        cli.append(time.perf_counter() - t0)
    out = {"ours": ours, "duckdb_over_gz_s": duck, "pandas_s": pandas_s,
           "cli_roundtrip_s": statistics.median(cli)}
    out["speedup_vs_duckdb_gz"] = {k: duck[k] / (ours[k]["p50_ms"] / 1000) for k in ours}
    out["speedup_vs_pandas"] = pandas_s / (ours["gene"]["p50_ms"] / 1000)
    return out


def big_signif(root: Path, rows: int = 4_000_000) -> Path:
    """One cis_qtl_signif file of about ``rows`` rows (the size of section 6's reference file),
    the expression files of the release's tissues concatenated (cached)."""
    import gzip

    out = (CACHE / f"big-{root.name}" / (f"{rows}" if rows != 4_000_000 else "")
           / "cis_qtl_signif.BLA.expression.v4_rn8.txt.gz")
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    n = 0
    with gzip.open(tmp, "wb", compresslevel=6) as dst:
        for i, f in enumerate(sorted((root / "data" / "v4" / "xqtl").glob(
                "cis_qtl_signif.*.*.v4_rn8.txt.gz"))):
            with gzip.open(f, "rb") as src:
                header = src.readline()
                if i == 0:
                    dst.write(header)
                for line in src:
                    dst.write(line)
                    n += 1
                    if n >= rows:
                        break
            if n >= rows:
                break
    tmp.rename(out)
    return out


def measure_scaling(root: Path, work: Path) -> list[dict]:
    """Ingest of one pair file at 1x, 2x and 4x rows: time should grow linearly, memory not."""
    out = []
    for rows in (1_000_000, 2_000_000, 4_000_000):
        path = big_signif(root, rows)
        db = work / f"db-scale-{rows}"
        shutil.rmtree(db, ignore_errors=True)
        seconds, rss = _median(ingest_file, path, db)
        out.append({"rows": rows, "gz_bytes": path.stat().st_size, "ingest_s": seconds,
                    "ingest_rss_mib": rss})
        print(json.dumps(out[-1]), file=sys.stderr)
    return out


def main() -> None:
    global REPEATS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", default="medium")
    ap.add_argument("--shape", choices=["release"], help="the release's shape: 13 tissues x 6 "
                    "modalities (78 signif files), lookups, a 4M-row ingest, the VCF")
    ap.add_argument("--release-scale", default="release",
                    help="synth scale of --shape release (tiny: a quick check of the bench)")
    ap.add_argument("--also-large", action="store_true", help="ingest at large scale too")
    ap.add_argument("--out", type=Path, default=HERE)
    ap.add_argument("--genes", type=int, default=50, help="genes in the lookup sample")
    ap.add_argument("--repeats", type=int, default=REPEATS, help="timed runs per measurement")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (the ingested "
                    "databases, for profiling afterwards)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    REPEATS = max(1, args.repeats)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
    work = args.keep or Path(tempfile.mkdtemp(prefix="ratgtex-bench-"))
    results: dict = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                                 "python": sys.version.split()[0]},
                     "date": datetime.now(UTC).isoformat(timespec="seconds"),
                     "scale": args.scale}
    if args.shape == "release":
        results.update(main_release(args, work))
        (args.out / "results.json").write_text(json.dumps(results, indent=2))
        write_markdown_release(results, args.out / "RESULTS.md")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        print((args.out / "RESULTS.md").read_text())
        return
    root = release(args.scale)
    results["kinds"] = measure_kinds(root, work)
    results["scaling"] = measure_scaling(root, work)
    db = work / "db-all"
    wall, rss = _rss_of([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                         "--quiet", str(root / "data")])
    gz = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
    lake = sum(p.stat().st_size for p in (db / "lake").rglob("*.parquet"))
    results["full_ingest"] = {"scale": args.scale, "seconds": wall, "peak_rss_mib": rss,
                              "source_bytes": gz, "lake_bytes": lake}
    results["lookups"] = measure_lookups(root, db, args.genes)
    if args.also_large:
        big = release("large")
        db2 = work / "db-large"
        wall2, rss2 = _rss_of([sys.executable, "-m", "ratgtex_db", "--db", str(db2), "ingest",
                               "--quiet", str(big / "data")])
        gz2 = sum(p.stat().st_size for p in (big / "data").rglob("*") if p.is_file())
        lake2 = sum(p.stat().st_size for p in (db2 / "lake").rglob("*.parquet"))
        results["full_ingest_large"] = {"seconds": wall2, "peak_rss_mib": rss2,
                                        "source_bytes": gz2, "lake_bytes": lake2,
                                        "input_ratio": gz2 / gz, "time_ratio": wall2 / wall,
                                        "rss_ratio": rss2 / rss}
    (args.out / "results.json").write_text(json.dumps(results, indent=2))
    write_markdown(results, args.out / "RESULTS.md")
    shutil.rmtree(work, ignore_errors=True)
    print((args.out / "RESULTS.md").read_text())


def write_markdown(r: dict, path: Path) -> None:
    lines = [f"# Benchmark results ({r['scale']} synthetic release)", "",
             f"Machine: {r['machine']}; date {r['date']}.", "",
             "## Ingest per big kind", "",
             "| kind | gz MB | decompress s | ingest s | x decompress (target <= 3) | "
             "DuckDB COPY s | x faster than COPY (target >= 2) | pandas s | ingest RSS MiB | "
             "lake/gz (target <= 1.0) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for k in r["kinds"]:
        lines.append(
            f"| {k['kind']} | {k['gz_bytes'] / 1e6:.1f} | {k['decompress_s']:.2f} | "
            f"{k['ingest_s']:.2f} | {k['ingest_over_decompress']:.1f} | "
            f"{k.get('duckdb_copy_s', float('nan')):.2f} | "
            f"{k.get('speedup_vs_duckdb_copy', float('nan')):.2f} | "
            f"{k.get('pandas_s', float('nan')):.2f} | {k['ingest_rss_mib']:.0f} | "
            f"{k['lake_over_gz']:.2f} |")
    f = r["full_ingest"]
    lines += ["", "## Whole release", "",
              f"Ingest {f['seconds']:.1f} s, peak RSS {f['peak_rss_mib']:.0f} MiB "
              "(target <= 1024), "
              f"source {f['source_bytes'] / 1e6:.1f} MB, lake {f['lake_bytes'] / 1e6:.1f} MB "
              f"({f['lake_bytes'] / f['source_bytes']:.2f}x)."]
    if "full_ingest_large" in r:
        g = r["full_ingest_large"]
        lines += ["", f"Large: source {g['source_bytes'] / 1e6:.1f} MB "
                  f"({g['input_ratio']:.2f}x medium), ingest {g['seconds']:.1f} s "
                  f"({g['time_ratio']:.2f}x medium's time: "
                  f"{g['time_ratio'] / g['input_ratio']:.2f}x per unit of input, target <= 1.05, "
                  f"i.e. 2x input in <= 2.1x time), peak RSS {g['peak_rss_mib']:.0f} MiB "
                  f"({g['rss_ratio']:.2f}x medium's, target flat), lake "
                  f"{g['lake_bytes'] / g['source_bytes']:.2f}x."]
    sc = r.get("scaling") or []
    if len(sc) == 3:
        lines += ["", "## Growth with input size (one cis_qtl_signif file)", "",
                  "| rows | gz MB | ingest s | peak RSS MiB |", "|---|---|---|---|"]
        for x in sc:
            lines.append(f"| {x['rows']:,} | {x['gz_bytes'] / 1e6:.1f} | {x['ingest_s']:.2f} | "
                         f"{x['ingest_rss_mib']:.0f} |")
        lines += ["", f"- 2x input: {sc[1]['ingest_s'] / sc[0]['ingest_s']:.2f}x and "
                  f"{sc[2]['ingest_s'] / sc[1]['ingest_s']:.2f}x time (target <= 2.1)",
                  f"- peak RSS at 4x input: "
                  f"{sc[2]['ingest_rss_mib'] / sc[0]['ingest_rss_mib']:.2f}x of 1x (target flat)"]
    lk = r["lookups"]
    lines += ["", "## Lookups in cis_qtl_signif, all tissues and modalities (`Database.assoc`)",
              "", "| lookup | ours p50 ms | ours p95 ms | DuckDB over gz s | x faster "
              "(target >= 100) |", "|---|---|---|---|---|"]
    for what, o in lk["ours"].items():
        lines.append(f"| {what} | {o['p50_ms']:.1f} | {o['p95_ms']:.1f} | "
                     f"{lk['duckdb_over_gz_s'][what]:.2f} | "
                     f"{lk['speedup_vs_duckdb_gz'][what]:.0f} |")
    lines += ["",
              f"- gene p50 target < 20 ms at medium: {lk['ours']['gene']['p50_ms']:.1f} ms",
              f"- pandas read_csv + filter of every file: {lk['pandas_s']:.2f} s -> "
              f"{lk['speedup_vs_pandas']:.0f}x slower than our gene p50 (target >= 1000x)",
              f"- CLI round trip `ratgtex-db assoc --gene G` (median of 5): "
              f"{lk['cli_roundtrip_s']:.2f} s (target < 0.5 s)"]
    analysis = HERE / "analysis.md"
    if analysis.exists():  # the hand-written reading of these figures, kept across runs
        lines += ["", analysis.read_text().rstrip()]
    path.write_text("\n".join(lines) + "\n")


# --- the release's shape (issue 15) ---------------------------------------------------------


def _vcf_bench():
    """bench/vcf.py (another benchmark's module) if present, else None."""
    import importlib.util

    path = HERE / "vcf.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("bench_vcf", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _profile(con, sql: str, params: list, work: Path) -> dict:
    """DuckDB's own JSON profile of one run of ``sql``: row groups read / could have read,
    files opened, bind and total time, CPU time of its threads."""
    out = work / "profile.json"
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{out}'")
    try:
        con.execute(sql, params).fetchall()
    finally:
        con.execute("PRAGMA disable_profiling")
    p = json.loads(out.read_text())
    q = p.get("query", {})

    def files(node) -> int:
        n = int(node.get("extra_info", {}).get("Total Files Read", 0) or 0)
        return n + sum(files(c) for c in node.get("children", []))

    return {"row_groups_read": int(q.get("total_row_groups_scanned", 0)),
            "row_groups": int(q.get("total_row_groups_to_scan", 0)),
            "files_opened": sum(files(n) for n in p.get("operator", [])),
            "bind_ms": 1000 * p.get("planner", {}).get("binding_time", 0.0),
            "total_ms": 1000 * q.get("total_time", 0.0),
            "cpu_ms": 1000 * q.get("cpu_time", 0.0)}


def _row_groups(con, sql: str, params: list, work: Path) -> tuple[int, int]:
    """Row groups DuckDB read / could have read for one run of ``sql`` (its JSON profile)."""
    prof = _profile(con, sql, params, work)
    return prof["row_groups_read"], prof["row_groups"]


def _timed(calls) -> list[float]:
    return _timed_cpu(calls)[0]


def _timed_cpu(calls) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds (this process, DuckDB's threads included) of each call."""
    wall, cpu = [], []
    for call in calls:
        c0, t0 = time.process_time(), time.perf_counter()
        call()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return wall, cpu


def _p_cpu(times: tuple[list[float], list[float]]) -> dict:
    return {**_p(times[0]), "cpu_p50_ms": 1000 * statistics.median(times[1])}


def _cli_env() -> dict:
    """The environment of a user's shell: bytecode compiled once and reused (this sandbox sets
    PYTHONDONTWRITEBYTECODE, which would make every run compile the package anew)."""
    import compileall

    import ratgtex_db

    compileall.compile_dir(str(Path(ratgtex_db.__file__).parent), quiet=1)
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _cli_times(cmd: list[str], env: dict, n: int = 5) -> dict:
    wall, cpu = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        _, status, usage = os.wait4(subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid, 0)
        wall.append(time.perf_counter() - t0)
        cpu.append(usage.ru_utime + usage.ru_stime)
        if status != 0:
            raise RuntimeError(f"{cmd} failed")
    return {"s": statistics.median(wall), "cpu_s": statistics.median(cpu)}


#: Ad hoc lookups a user types: (label, SQL with one ? for the value, which sample feeds it).
AD_HOC = [
    ("cis_qtl_signif gene_id", "SELECT * FROM cis_qtl_signif WHERE gene_id = ?", "gene"),
    ("cis_qtl_signif gene_id absent (the floor)", "SELECT * FROM cis_qtl_signif WHERE "
     "gene_id = ?", "absent"),
    ("cis_qtl_signif phenotype_id", "SELECT * FROM cis_qtl_signif WHERE phenotype_id = ?",
     "phenotype"),
    ("cis_qtl_signif variant_id", "SELECT * FROM cis_qtl_signif WHERE variant_id = ?",
     "variant"),
    ("cis_qtl_signif region", "SELECT * FROM cis_qtl_signif WHERE chrom = ? AND pos BETWEEN ? "
     "AND ?", "region"),
    ("trans_qtl_pairs gene_id", "SELECT * FROM trans_qtl_pairs WHERE gene_id = ?", "trans_gene"),
    ("trans_qtl_pairs variant_id", "SELECT * FROM trans_qtl_pairs WHERE variant_id = ?",
     "trans_variant"),
    ("cis_pvals gene_id", "SELECT * FROM cis_pvals WHERE gene_id = ?", "gene"),
    ("cis_pvals variant_id", "SELECT * FROM cis_pvals WHERE variant_id = ?", "variant"),
    ("gene_esnps gene_id", "SELECT * FROM gene_esnps WHERE gene_id = ?", "gene"),
    ("expression gene_id", "SELECT * FROM expression WHERE gene_id = ?", "gene"),
    ("phenotypes gene_id", "SELECT * FROM phenotypes WHERE gene_id = ?", "gene"),
]


def _samples(con, n: int) -> dict[str, list]:
    rnd = random.Random(7)
    genes = [r[0] for r in con.execute(
        "SELECT DISTINCT gene_id FROM eqtls_indep ORDER BY 1").fetchall()]
    rnd.shuffle(genes)
    genes = genes[:n]
    leads = con.execute("SELECT variant_id, chrom, pos FROM eqtls_indep "
                        "WHERE list_contains(?, gene_id) ORDER BY gene_id, rank", [genes]
                        ).fetchall()[:n]
    phenos = [r[0] for r in con.execute(
        "SELECT DISTINCT phenotype_id FROM xqtls_indep WHERE list_contains(?, gene_id) "
        "ORDER BY 1", [genes]).fetchall()]
    rnd.shuffle(phenos)
    trans = con.execute("SELECT gene_id, variant_id FROM trans_qtl_pairs USING SAMPLE 200 ROWS "
                        "(reservoir, 7)").fetchall()
    return {
        "gene": [[g] for g in genes],
        "phenotype": [[p] for p in phenos[:n]],
        "variant": [[v] for v, _, _ in leads],
        "region": [[c, max(1, p - 50_000), p + 50_000] for _, c, p in leads],
        "trans_gene": [[g] for g, _ in trans[:n]],
        "trans_variant": [[v] for _, v in trans[:n]],
        "absent": [[f"NoSuchGene{i}"] for i in range(min(n, 20))],
    }


def measure_release_lookups(root: Path, db: Path, work: Path, n: int) -> dict:
    """Ad hoc SQL and canned lookups on the release-shaped lake, in process (one connection
    with its metadata cache, as a notebook has it), with the row groups each read; DuckDB over
    the gz files for the same gene, variant and region; the CLI round trip."""
    import duckdb

    import ratgtex_db

    handle = ratgtex_db.open(db)
    con = handle.connection
    s = _samples(con, n)
    handle.assoc(s["gene"][0][0])  # first call: imports and metadata cache; not a lookup cost
    ad_hoc = {}
    for label, sql, which in AD_HOC:
        args = s[which]
        if not args:
            continue
        for a in args[:3]:  # warm the metadata cache of the files the view names
            con.execute(sql, a).fetchall()
        times = _timed_cpu([lambda a=a, q=sql: con.sql(q, params=a).to_arrow_table()
                            for a in args])
        profs = [_profile(con, sql, a, work) for a in args[:10]]
        ad_hoc[label] = {**_p_cpu(times), "row_groups": profs[0]["row_groups"],
                         **{k: statistics.median(p[k] for p in profs)
                            for k in ("row_groups_read", "files_opened", "bind_ms",
                                      "total_ms", "cpu_ms")}}
        print(label, json.dumps(ad_hoc[label]), file=sys.stderr)
    reg = [f"{c}:{a}-{b}" for c, a, b in s["region"]]
    canned_calls = {
        "assoc gene": [lambda g=g[0]: handle.assoc(g) for g in s["gene"]],
        "assoc variant": [lambda v=v[0]: handle.assoc(variant=v) for v in s["variant"]],
        "assoc region": [lambda r=r: handle.assoc(region=r) for r in reg],
        "gene": [lambda g=g[0]: handle.gene(g) for g in s["gene"]],
        "variant": [lambda v=v[0]: handle.variant(v) for v in s["variant"]],
        "region": [lambda r=r: handle.region(r) for r in reg],
        "eqtls gene": [lambda g=g[0]: handle.eqtls(g) for g in s["gene"]],
        "expression gene": [lambda g=g[0]: handle.expression(g) for g in s["gene"]],
    }
    canned = {}
    for label, calls in canned_calls.items():
        calls[0]()
        canned[label] = _p_cpu(_timed_cpu(calls))
        print(label, json.dumps(canned[label]), file=sys.stderr)
    handle.close()
    gz = sorted(str(p) for p in (root / "data" / "v4" / "xqtl").glob("cis_qtl_signif.*.txt.gz"))
    gcon = duckdb.connect()
    base = "SELECT * FROM read_csv(?, union_by_name=true, filename=true) WHERE "
    chrom, lo, hi = s["region"][0]
    duck = {}
    for what, where, params in [
        ("gene", "split_part(phenotype_id, '__', 1) = ?", [s["gene"][0][0]]),
        ("variant", "variant_id = ?", [s["variant"][0][0]]),
        ("region", "split_part(variant_id, ':', 1) = ? AND "
                   "CAST(split_part(variant_id, ':', 2) AS INTEGER) BETWEEN ? AND ?",
         [chrom, lo, hi]),
    ]:
        t0 = time.perf_counter()
        gcon.execute(base + where, [gz, *params]).fetchall()
        duck[what] = time.perf_counter() - t0
        print("duckdb over gz", what, duck[what], file=sys.stderr)
    env = _cli_env()
    cli = _cli_times([sys.executable, "-m", "ratgtex_db", "--db", str(db), "assoc", "--gene",
                      s["gene"][1][0], "--format", "tsv"], env)
    floors = {"python": _cli_times([sys.executable, "-c", "pass"], env),
              "python + import duckdb": _cli_times([sys.executable, "-c", "import duckdb"], env),
              "ratgtex-db --help": _cli_times([sys.executable, "-m", "ratgtex_db", "--help"],
                                              env)}
    x = {
        "gene": duck["gene"] / (ad_hoc["cis_qtl_signif gene_id"]["p50_ms"] / 1000),
        "variant": duck["variant"] / (ad_hoc["cis_qtl_signif variant_id"]["p50_ms"] / 1000),
        "region": duck["region"] / (ad_hoc["cis_qtl_signif region"]["p50_ms"] / 1000),
        "assoc gene": duck["gene"] / (canned["assoc gene"]["p50_ms"] / 1000),
        "assoc variant": duck["variant"] / (canned["assoc variant"]["p50_ms"] / 1000),
        "assoc region": duck["region"] / (canned["assoc region"]["p50_ms"] / 1000),
    }
    return {"ad_hoc": ad_hoc, "canned": canned, "duckdb_over_gz_s": duck,
            "speedup_vs_duckdb_gz": x, "cli_roundtrip_s": cli["s"], "cli_cpu_s": cli["cpu_s"],
            "cli_floors": floors, "signif_files": len(gz)}


def polars_sink(path: Path, out: Path) -> tuple[float, float]:
    code = ("import polars as pl, sys, time; t0 = time.perf_counter()\n"
            "pl.scan_csv(sys.argv[1], separator='\\t').sink_parquet(sys.argv[2])\n"
            "t = time.perf_counter() - t0")
    return _timed_child(code, str(path), str(out))


def measure_big_ingest(root: Path, work: Path) -> dict:
    """One 4M-row signif file: our ingest against ISA-L, DuckDB COPY and polars scan/sink."""
    path = big_signif(root)
    gz = path.stat().st_size
    db = work / "db-big"
    shutil.rmtree(db, ignore_errors=True)
    dec = statistics.median(decompress_seconds(path) for _ in range(REPEATS))
    ing, rss = _median(ingest_file, path, db)
    lake = sum(p.stat().st_size for p in (db / "lake").rglob("*.parquet"))
    cp, cp_rss = _median(duckdb_copy, path, work / "naive.parquet")
    naive = (work / "naive.parquet").stat().st_size
    pl_s, pl_rss = _median(polars_sink, path, work / "polars.parquet")
    row = {"file": path.name, "gz_bytes": gz, "decompress_s": dec, "ingest_s": ing,
           "ingest_rss_mib": rss, "lake_over_gz": lake / gz, "duckdb_copy_s": cp,
           "duckdb_copy_rss_mib": cp_rss, "naive_parquet_over_gz": naive / gz,
           "polars_sink_s": pl_s, "polars_rss_mib": pl_rss,
           "polars_parquet_over_gz": (work / "polars.parquet").stat().st_size / gz,
           "x_copy": cp / ing, "x_polars": pl_s / ing, "x_decompress": ing / dec}
    print(json.dumps(row), file=sys.stderr)
    return row


def measure_trans_real(work: Path, rows: int = 1_000_000) -> dict:
    """A trans file of the real shape, 1M rows (bench/trans.py; cached): ingest, lake / gz,
    and gene / variant / region lookups, against DuckDB over the gz file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_trans", HERE / "trans.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    path = CACHE / f"trans-{rows}" / "trans_qtl_pairs.BLA.expression.v4_rn8.txt.gz"
    if not path.exists():  # written by a child: this process stays small (see main_release)
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(HERE / "trans.py"), str(path), str(rows)],
                       check=True)
    db = work / "db-trans"
    shutil.rmtree(db, ignore_errors=True)
    row = mod.measure(path, db)
    print(json.dumps(row), file=sys.stderr)
    return row


def main_release(args, work: Path) -> dict:
    """``--shape release``: synthesise (cached) and ingest the release-shaped tree, then the
    lookups, the 4M-row ingest and the VCF."""
    t_start = time.perf_counter()
    root = release(args.release_scale)
    # Children first, while this process is small: Linux carries a process's peak RSS over
    # fork and exec into the child's ru_maxrss, so a child started after the lookups below
    # would report this process's peak, not its own.
    big = measure_big_ingest(root, work)
    vcf_mod = _vcf_bench()
    vcf = next((root / "data" / "v4" / "geno").glob("*.vcf.gz"), None)
    vcf_row = vcf_mod.measure(vcf, work / "db-vcf") if vcf_mod and vcf else None
    if vcf_row:
        print(json.dumps(vcf_row), file=sys.stderr)
    files = sorted((root / "data" / "v4" / "xqtl").glob("cis_qtl_signif.*.txt.gz"))
    results: dict = {"shape": "release", "release_scale": args.release_scale,
                     "signif_files": len(files),
                     "signif_gz_bytes": sum(p.stat().st_size for p in files)}
    db = work / "db-release"
    shutil.rmtree(db, ignore_errors=True)  # a kept folder of an earlier run: ingest anew
    wall, rss = _rss_of([sys.executable, "-m", "ratgtex_db", "--db", str(db), "ingest",
                         "--quiet", str(root / "data")])
    # after the last child whose peak RSS is measured: it opens its database in this process
    trans_real = measure_trans_real(  # a quick check of the bench: a small file
        work, 1_000_000 if args.release_scale == "release" else 50_000)
    import duckdb

    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("cis_qtl_signif", "trans_qtl_pairs", "cis_pvals", "gene_esnps")}
    con.close()
    gz = sum(p.stat().st_size for p in (root / "data").rglob("*") if p.is_file())
    lake = sum(p.stat().st_size for p in (db / "lake").rglob("*.parquet"))
    pair = {}
    for table, pattern in [("cis_qtl_signif", "xqtl/cis_qtl_signif.*"),
                           ("trans_qtl_pairs", "xqtl/trans_qtl_pairs.*"),
                           ("cis_pvals", "cis_pvals/*.zip"),
                           ("gene_esnps", "eqtl/all_gene_esnps*.zip")]:
        src = sum(p.stat().st_size for p in (root / "data" / "v4").glob(pattern))
        out = sum(p.stat().st_size for p in (db / "lake" / table).rglob("*.parquet"))
        pair[table] = {"rows": rows[table], "source_bytes": src, "lake_bytes": out,
                       "lake_over_source": out / src if src else None}
    results["full_ingest"] = {"seconds": wall, "peak_rss_mib": rss, "source_bytes": gz,
                              "lake_bytes": lake, "pair_tables": pair}
    print(json.dumps(results["full_ingest"]), file=sys.stderr)
    results["lookups"] = measure_release_lookups(root, db, work, args.genes)
    results["big_ingest"] = big
    results["trans_real"] = trans_real
    if vcf_row:
        results["vcf"] = vcf_row
    results["bench_seconds"] = time.perf_counter() - t_start
    return results


def write_markdown_release(r: dict, path: Path) -> None:
    f = r["full_ingest"]
    lk = r["lookups"]
    b = r["big_ingest"]
    lines = ["# Benchmark results (release-shaped synthetic release)", "",
             f"Machine: {r['machine']}; date {r['date']}; whole bench "
             f"{r['bench_seconds'] / 60:.1f} min.", "",
             f"{r['signif_files']} `cis_qtl_signif` files (13 tissues x 6 modalities), "
             f"{f['pair_tables']['cis_qtl_signif']['rows']:,} rows, "
             f"{r['signif_gz_bytes'] / 1e6:.0f} MB gz; whole release ingested in "
             f"{f['seconds']:.0f} s, peak RSS {f['peak_rss_mib']:.0f} MiB, source "
             f"{f['source_bytes'] / 1e6:.0f} MB, lake {f['lake_bytes'] / 1e6:.0f} MB.", "",
             "## Lookups in process (one `ratgtex_db.open()` connection)", "",
             "Ad hoc SQL over the views (`SELECT * FROM view WHERE col = ?`, Arrow result); "
             "CPU = this process's CPU time (DuckDB's threads included); the last columns are "
             "medians from DuckDB's JSON profile:", "",
             "| lookup | p50 ms | p95 ms | CPU p50 ms | row groups read / in the view | "
             "files opened | bind ms |",
             "|---|---|---|---|---|---|---|"]
    for label, o in lk["ad_hoc"].items():
        lines.append(f"| {label} | {o['p50_ms']:.1f} | {o['p95_ms']:.1f} | "
                     f"{o.get('cpu_p50_ms', float('nan')):.1f} | "
                     f"{o['row_groups_read']:.0f} / {o['row_groups']} | "
                     f"{o.get('files_opened', float('nan')):.0f} | "
                     f"{o.get('bind_ms', float('nan')):.1f} |")
    lines += ["", "Canned queries (`Database` methods, as the CLI runs them):", "",
              "| query | p50 ms | p95 ms | CPU p50 ms |", "|---|---|---|---|"]
    for label, o in lk["canned"].items():
        lines.append(f"| {label} | {o['p50_ms']:.1f} | {o['p95_ms']:.1f} | "
                     f"{o.get('cpu_p50_ms', float('nan')):.1f} |")
    lines += ["", "Target p50 <= 20 ms for each.", "",
              "Against DuckDB reading the gz files directly (same value, one run):", "",
              "| lookup | DuckDB over gz s | x faster (target >= 100) |", "|---|---|---|"]
    for label, x in lk["speedup_vs_duckdb_gz"].items():
        key = label.split()[-1]
        lines.append(f"| {label} | {lk['duckdb_over_gz_s'][key]:.2f} | {x:.0f} |")
    lines += ["", f"CLI round trip `ratgtex-db assoc --gene G --format tsv` (median of 5, "
              "bytecode compiled as after a pip install): "
              f"{lk['cli_roundtrip_s']:.2f} s, CPU {lk.get('cli_cpu_s', float('nan')):.2f} s "
              "(target <= 0.4 s). Same run, same environment:", ""]
    for label, o in lk.get("cli_floors", {}).items():
        lines.append(f"- `{label}`: {o['s']:.2f} s, CPU {o['cpu_s']:.2f} s")
    tr = r.get("trans_real")
    if tr:
        lines += ["", "## One trans file of the real shape (`bench/trans.py`)", "",
                  f"{tr['rows']:,} rows (release-format 6.2: 0.5-5 M per tissue; the synthetic "
                  "release's have ~800), "
                  f"{tr['gz_bytes'] / 1e6:.1f} MB gz; ingest {tr['ingest_s']:.1f} s; lake "
                  f"{tr['lake_bytes'] / 1e6:.1f} MB = {tr['lake_over_gz']:.2f}x the gz "
                  "(target <= 1.0). Ad hoc lookups through the view, p50 of 20 ids (best of 3 "
                  f"rounds): gene {tr['gene_p50_ms']:.1f} ms, variant "
                  f"{tr['variant_p50_ms']:.1f} ms, region (1 Mb) {tr['region_p50_ms']:.1f} ms; "
                  f"DuckDB over the gz file for one gene {tr['duckdb_gz_gene_s']:.2f} s "
                  f"({tr['x_faster_gene']:.0f}x)."]
    lines += ["",
              "## Ingest of one 4M-row `cis_qtl_signif` file", "",
              f"{b['gz_bytes'] / 1e6:.0f} MB gz; median of {REPEATS} runs each, same file, "
              "same run.", "",
              "| | seconds | peak RSS MiB | Parquet / gz |", "|---|---|---|---|",
              f"| ISA-L decompression alone | {b['decompress_s']:.2f} | | |",
              f"| ratgtex-db ingest (typed, derived, checksummed, committed) | "
              f"{b['ingest_s']:.2f} | {b['ingest_rss_mib']:.0f} | {b['lake_over_gz']:.2f} |",
              f"| DuckDB `COPY (SELECT * FROM read_csv(f)) TO x.parquet` | "
              f"{b['duckdb_copy_s']:.2f} | {b['duckdb_copy_rss_mib']:.0f} | "
              f"{b['naive_parquet_over_gz']:.2f} |",
              f"| polars `scan_csv(f).sink_parquet(x)` | {b['polars_sink_s']:.2f} | "
              f"{b['polars_rss_mib']:.0f} | {b['polars_parquet_over_gz']:.2f} |", "",
              f"- x faster than COPY: {b['x_copy']:.2f} (target >= 2)",
              f"- x faster than polars scan/sink: {b['x_polars']:.2f} (target > 1)",
              f"- x ISA-L decompression: {b['x_decompress']:.1f} (report; the floor)",
              f"- peak RSS {b['ingest_rss_mib']:.0f} MiB (target <= 1024, flat)", "",
              "## Lake bytes of the pair tables (target <= 1.0x the source)", "",
              "| table | rows | source MB | lake MB | lake / source |", "|---|---|---|---|---|"]
    for table, p in f["pair_tables"].items():
        ratio = "" if p["lake_over_source"] is None else f"{p['lake_over_source']:.2f}"
        lines.append(f"| {table} | {p['rows']:,} | {p['source_bytes'] / 1e6:.1f} | "
                     f"{p['lake_bytes'] / 1e6:.1f} | {ratio} |")
    v = r.get("vcf")
    if v:
        lines += ["", "## Genotype VCF (bench/vcf.py `measure` on the release's VCF)", "",
                  f"{v.get('records', 0):,} records x {v.get('samples', 0):,} samples, "
                  f"{v.get('gz_mb', 0):.0f} MB: decompression {v.get('decompress_s', 0):.2f} s, "
                  f"ingest {v.get('ingest_s', 0):.2f} s = {v.get('x_decompress', 0):.1f}x "
                  f"(target <= 5), {v.get('records_per_s', 0):,.0f} records/s, peak RSS "
                  f"{v.get('peak_rss_mib', 0):.0f} MiB; cyvcf2 record loop "
                  f"{v.get('cyvcf2_baseline_s') or float('nan'):.2f} s."]
    else:
        lines += ["", "## Genotype VCF", "", "bench/vcf.py not present in this tree: not run."]
    analysis = HERE / "analysis.md"
    if analysis.exists():
        lines += ["", analysis.read_text().rstrip()]
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
