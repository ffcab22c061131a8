"""Export benchmark: ``ratgtex-db sql ... -o FILE`` / ``| head -1`` against the baselines.

    python bench/export.py --db /path/to/db [--copies 3]      # prints a table, writes JSON

The query is ``SELECT c.* FROM cis_qtl_signif AS c, range(COPIES)``: every significant pair of
the database, COPIES times (the small demo has 1.42 M pairs, so 3 copies = 4.3 M rows of the
real shape). Measured in one run, each in a fresh process (peak RSS from ``wait4``):

- ours: ``ratgtex-db sql Q -o out.{tsv,jsonl,parquet}`` and the same to a pipe;
- DuckDB's own ``COPY (Q) TO ...`` (native writers: the speed floor);
- "materialise": the old renderer's approach, all rows fetched into Python, then written
  (``fetchall`` + ``csv.writer``), whose memory grows with the result;
- flatness: our peak RSS at 1 copy against COPIES copies (flat means ratio ~1);
- ``| head -1``: seconds until our command has exited after the reader closed the pipe.

Without ``--db`` the small demo database is built in a temporary folder first (~1 min).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def query(copies: int) -> str:
    return f"SELECT c.* FROM cis_qtl_signif AS c, range({int(copies)}) AS r"


def measure(cmd: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{cmd} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def ours(db: Path, q: str, out: Path | None, fmt: str) -> list[str]:
    args = [sys.executable, "-m", "ratgtex_db", "--db", str(db), "sql", q, "--format", fmt]
    return args + (["-o", str(out)] if out is not None else [])


def duckdb_copy(db: Path, q: str, out: Path, fmt: str) -> list[str]:
    options = {"tsv": "FORMAT csv, DELIMITER '\\t', HEADER", "jsonl": "FORMAT json",
               "parquet": "FORMAT parquet, COMPRESSION zstd"}[fmt]
    code = ("import duckdb, sys\n"
            f"con = duckdb.connect({str(db / 'catalog.duckdb')!r}, read_only=True)\n"
            f"con.execute(\"COPY ({q}) TO '{out}' ({options})\")\n")
    return [sys.executable, "-c", code]


def materialise(db: Path, q: str, out: Path) -> list[str]:
    code = ("import csv, duckdb\n"
            f"con = duckdb.connect({str(db / 'catalog.duckdb')!r}, read_only=True)\n"
            f"cur = con.execute({q!r})\n"
            "cols = [d[0] for d in cur.description]\n"
            "rows = cur.fetchall()\n"
            f"with open({str(out)!r}, 'w', newline='') as fh:\n"
            "    w = csv.writer(fh, delimiter='\\t', lineterminator='\\n')\n"
            "    w.writerow(cols)\n"
            "    w.writerows(rows)\n")
    return [sys.executable, "-c", code]


def head_seconds(db: Path, q: str, fmt: str) -> float:
    """Seconds from start until our command exits after ``head -1`` took its line."""
    cmd = " ".join(f"'{a}'" for a in ours(db, q, None, fmt))
    t0 = time.perf_counter()
    res = subprocess.run(f"set -o pipefail; {cmd} | head -1 > /dev/null", shell=True,
                         executable="/bin/bash", capture_output=True, text=True)
    if res.returncode != 0 or res.stderr:
        raise RuntimeError(f"head -1 ({fmt}): status {res.returncode}: {res.stderr}")
    return time.perf_counter() - t0


def demo_db(folder: Path) -> Path:
    db = folder / "demo"
    subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), "demo"], check=True,
                   stdout=subprocess.DEVNULL)
    return db


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="database to export from (default: a fresh demo)")
    ap.add_argument("--copies", type=int, default=3, help="copies of cis_qtl_signif (default 3)")
    ap.add_argument("--formats", default="tsv,jsonl,parquet")
    ap.add_argument("--json", type=Path, default=HERE / "export_results.json")
    args = ap.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="ratgtex-export-") as tmp:
        work = Path(tmp)
        db = args.db or demo_db(work)
        import duckdb

        with duckdb.connect(str(db / "catalog.duckdb"), read_only=True) as con:
            pairs = con.execute("SELECT count(*) FROM cis_qtl_signif").fetchall()[0][0]
        q, q1 = query(args.copies), query(1)
        rows = pairs * args.copies
        results: dict = {"rows": rows, "copies": args.copies, "formats": {}}
        print(f"export of {rows:,} rows ({pairs:,} pairs x {args.copies}) from {db}")
        for fmt in args.formats.split(","):
            out = work / f"out.{fmt}"
            r: dict = {}
            r["ours_file"] = measure(ours(db, q, out, fmt))
            r["bytes"] = out.stat().st_size
            out.unlink()
            if fmt != "parquet":
                with open(os.devnull, "w") as sink:
                    r["ours_pipe"] = measure(ours(db, q, None, fmt), stdout=sink)
                r["head_s"] = head_seconds(db, q, fmt)
            r["ours_1x"] = measure(ours(db, q1, out, fmt))
            out.unlink()
            r["duckdb_copy"] = measure(duckdb_copy(db, q, out, fmt))
            out.unlink()
            if fmt == "tsv":
                r["materialise"] = measure(materialise(db, q, out))
                out.unlink()
            results["formats"][fmt] = r
            (t, m), (ct, cm) = r["ours_file"], r["duckdb_copy"]
            line = (f"{fmt:8s} ours -o: {t:6.1f} s {m:6.0f} MiB | DuckDB COPY: {ct:5.1f} s "
                    f"{cm:6.0f} MiB (ours {t / ct:.1f}x its time)")
            line += (f" | RSS at {args.copies}x / 1x rows: "
                     f"{r['ours_file'][1] / r['ours_1x'][1]:.2f}")
            if "ours_pipe" in r:
                line += (f" | to a pipe: {r['ours_pipe'][0]:.1f} s {r['ours_pipe'][1]:.0f} MiB"
                         f" | head -1: {r['head_s']:.2f} s")
            if "materialise" in r:
                m = r["materialise"]
                line += (f" | materialise: {m[0]:.1f} s {m[1]:.0f} MiB (ours "
                         f"{r['ours_file'][1] / m[1]:.2f}x its RSS)")
            print(line, flush=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
