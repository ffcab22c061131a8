"""Benchmark: genotype VCF ingest against plain ISA-L decompression of the same file.

    python bench/vcf.py                  # makes bench/cache/vcf-200000x1500/... once (~3 min)
    python bench/vcf.py --records 500000 --samples 1500
    python bench/vcf.py --vcf path/to/ratgtex_v4_round11_2.rn8.vcf.gz

Measured in one run on one file: ISA-L decompression alone (the floor); the real ingest of the
file into a fresh database in a child process (as ``ratgtex-db ingest`` does; peak RSS of that
child); the reader alone (no writing), to split ingest into reading and writing; Parquet
writing alone of the first records' ``genotype_rows`` (LIST<TINYINT> as ingest writes it, the
same bytes as one BINARY per variant, and polars' writer on the list); and cyvcf2's record loop
with its ``gt_types`` array (the previous reader's decode). ``measure(vcf, work)`` returns the
figures; ``main()`` prints them with their ratios.

The generated VCF has the release's shape (release-format 3.12, 6.2): BGZF, FORMAT ``GT`` only,
unphased ``/`` calls with ~1% ``./.``, biallelic SNPs on chr1-chr20 with ``ID`` = ``chrN:pos``,
and HS-rat-like linkage: every rat's two haplotypes are mosaics of 8 founder haplotypes, so
neighbouring records repeat. It compresses ~12x (release-format 6.2 estimates 3-10 GB for 4-8 M
records of ~6 kB text, 2.5-16x); a better-compressed file inflates faster, which makes the
ratio to decompression harder, not easier.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("RATGTEX_BENCH_CACHE", HERE / "cache"))
NAME = "ratgtex_v4_round11_2.rn8.vcf.gz"  # the release's name, so that ingest recognises it
FOUNDERS = 8
#: Per record and haplotype, the chance that the founder changes (~200 records per segment).
SWITCH = 0.005
MISSING = 0.01
ERROR = 0.002
BLOCK = 2_000
#: Records whose batches are written again, alone, to time the Parquet writer.
WRITE_SAMPLE = 16_384


def make_vcf(path: Path, records: int, samples: int, seed: int = 1) -> Path:
    """Write a BGZF genotype VCF of ``records`` x ``samples`` (see the module docstring)."""
    import pysam

    rng = np.random.default_rng(seed)
    rats = [f"{0x77E67B5 + 7919 * i:010X}" for i in range(samples)]
    chroms = np.repeat(np.arange(1, 21), np.diff(np.linspace(0, records, 21).astype(int)))
    gaps = rng.geometric(1 / 300, records)
    head = ["##fileformat=VCFv4.2", "##source=ratgtex-db bench/vcf.py (synthetic)",
            *[f"##contig=<ID=chr{c}>" for c in range(1, 21)],
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
            "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                             "FORMAT", *rats])]
    cells = np.array([b"0/0\t", b"0/1\t", b"1/1\t", b"./.\t"], dtype="S4").view(np.uint32)
    bases = np.array(list("ACGT"))
    state = rng.integers(0, FOUNDERS, 2 * samples)
    tmp = path.with_name(path.name + ".part")
    with pysam.BGZFile(str(tmp), "wb") as out:
        out.write(("\n".join(head) + "\n").encode())
        pos_all = np.zeros(records, dtype=np.int64)
        for a in range(0, records, BLOCK):
            b = min(records, a + BLOCK)
            n = b - a
            switch = rng.random((n, 2 * samples)) < SWITCH
            switch[0] = True
            new = rng.integers(0, FOUNDERS, (n, 2 * samples))
            new[0] = np.where(rng.random(2 * samples) < SWITCH, new[0], state)
            last = np.maximum.accumulate(np.where(switch, np.arange(n)[:, None], 0), axis=0)
            founder = np.take_along_axis(new, last, axis=0)
            state = founder[-1]
            p = rng.uniform(0.05, 0.95, n)
            alleles = rng.random((n, FOUNDERS)) < p[:, None]
            mono = alleles.all(axis=1) | ~alleles.any(axis=1)
            alleles[mono, 0] = ~alleles[mono, 0]  # every SNP polymorphic among the founders
            hap = np.take_along_axis(alleles, founder, axis=1).astype(np.uint8)
            dose = hap[:, 0::2] + hap[:, 1::2]
            err = rng.random(dose.shape) < ERROR
            dose[err] = rng.integers(0, 3, int(err.sum()))
            dose[rng.random(dose.shape) < MISSING] = 3
            text = cells[dose].view(np.uint8).reshape(n, 4 * samples)
            text[:, -1] = ord("\n")  # the last call ends the line
            for i in range(n):
                k = a + i
                pos_all[k] = (pos_all[k - 1] if k and chroms[k] == chroms[k - 1] else 0) + gaps[k]
            ref = rng.integers(0, 4, n)
            alt = (ref + rng.integers(1, 4, n)) % 4
            for i in range(n):
                c, q = chroms[a + i], pos_all[a + i]
                out.write(f"chr{c}\t{q}\tchr{c}:{q}\t{bases[ref[i]]}\t{bases[alt[i]]}\t.\t.\t.\tGT\t"
                          .encode())
                out.write(text[i].tobytes())
    tmp.rename(path)
    return path


def decompress_times(path: Path) -> tuple[float, float]:
    """ISA-L decompression of the whole file into nothing, the floor of any reader:
    (wall seconds, CPU seconds)."""
    from isal import igzip

    t0, c0 = time.perf_counter(), time.process_time()
    with igzip.open(path, "rb") as f:
        while f.read(4 << 20):
            pass
    return time.perf_counter() - t0, time.process_time() - c0


def decompress_seconds(path: Path) -> float:
    """Wall seconds of :func:`decompress_times`."""
    return decompress_times(path)[0]


def cyvcf2_seconds(path: Path) -> tuple[float, int, int]:
    """The previous reader's decode: cyvcf2's record loop with ``gt_types`` per record."""
    from cyvcf2 import VCF

    t0 = time.perf_counter()
    vcf = VCF(str(path), gts012=False, lazy=True, threads=1)
    n = 0
    for rec in vcf:
        rec.gt_types  # noqa: B018 - the decode being timed
        n += 1
    samples = len(vcf.samples)
    vcf.close()
    return time.perf_counter() - t0, n, samples


INGEST_ONE = """
import json, resource, sys, time
from pathlib import Path
from ratgtex_db import lake
from ratgtex_db.ingest import ingest
lake.create(Path(sys.argv[2]))
t0, c0 = time.perf_counter(), time.process_time()
report = ingest([sys.argv[1]], sys.argv[2], force=True)
assert not report.failed, [r.message for r in report.failed]
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def ingest_times(path: Path, db: Path) -> dict:
    """Ingest of the VCF into a fresh database in a child process: wall ``seconds``, ``cpu``
    seconds (all threads) and peak ``rss_mib``. Interpreter start-up and imports are excluded,
    as in bench/run.py."""
    out = subprocess.run([sys.executable, "-c", INGEST_ONE, str(path), str(db)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def ingest_seconds(path: Path, db: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of :func:`ingest_times`."""
    got = ingest_times(path, db)
    return got["seconds"], got["rss_mib"]


READ_ONE = """
import json, sys, time
from ratgtex_db.readers.vcf import shape_vcf
from ratgtex_db.registry import KINDS_BY_NAME
from ratgtex_db.shape import Source
t0, c0 = time.perf_counter(), time.process_time()
n = 0
for name, data in shape_vcf(Source(sys.argv[1], sys.argv[1]), KINDS_BY_NAME["vcf"], {}, False):
    if name == "variants":
        n += data.num_rows
print(json.dumps({"seconds": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "records": n}))
"""


def reader_times(path: Path) -> dict:
    """The reader alone (inflate + parse + decode into Arrow batches, nothing written), in a
    child process: wall ``seconds`` and ``cpu`` seconds."""
    out = subprocess.run([sys.executable, "-c", READ_ONE, str(path)], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def writer_us_per_record(path: Path, records: int = WRITE_SAMPLE) -> dict:
    """Parquet writing alone, per record, on the first ``records`` records' batches (held in
    memory, so bounded): the ``genotype_rows`` table as ingest writes it (one LIST<TINYINT> of
    dosages per variant, its leaf as dictionary indices: ``list``); the same with a plain int8
    leaf (``list_plain``, twice the bytes); and the list written by polars' Parquet writer."""
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from ratgtex_db.readers.vcf import shape_vcf
    from ratgtex_db.registry import KINDS_BY_NAME
    from ratgtex_db.shape import Source
    from ratgtex_db.tables import TABLES
    from ratgtex_db.write import parquet_options

    batches = []
    got = 0
    for name, data in shape_vcf(Source(str(path), str(path)), KINDS_BY_NAME["vcf"], {}, False):
        if name == "genotype_rows":
            batches.append(data)
            got += data.num_rows
            if got >= records:
                break
    rows = pa.concat_tables(batches)
    table = TABLES["genotype_rows"]
    opts = parquet_options(table.schema, rows, bloom=table.bloom,
                           row_group_rows=table.row_group_rows)
    plain_opts = {**opts, "use_dictionary": [c for c in opts["use_dictionary"]
                                             if c != "dosages.list.element"]}
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, o in (("list", opts), ("list_plain", plain_opts)):
            best = float("inf")
            for _ in range(2):
                t0 = time.perf_counter()
                pq.write_table(rows, Path(tmp) / f"{label}.parquet", store_schema=False,
                               row_group_size=table.row_group_rows, **o)
                best = min(best, time.perf_counter() - t0)
            out[f"{label}_write_us_per_record"] = best / rows.num_rows * 1e6
            out[f"{label}_bytes_per_record"] = (Path(tmp) / f"{label}.parquet").stat().st_size \
                / rows.num_rows
        import polars as pl

        frame = pl.from_arrow(rows)
        best = float("inf")
        for _ in range(2):  # polars' own Parquet writer (Rust), same list layout and codec
            t0 = time.perf_counter()
            frame.write_parquet(Path(tmp) / "polars.parquet", compression="zstd",
                                compression_level=3, row_group_size=table.row_group_rows)
            best = min(best, time.perf_counter() - t0)
        out["polars_list_write_us_per_record"] = best / rows.num_rows * 1e6
        out["polars_list_bytes_per_record"] = (Path(tmp) / "polars.parquet").stat().st_size \
            / rows.num_rows
    return out


def measure(vcf: Path, work: Path, cyvcf2: bool = True) -> dict:
    """Decompression, ingest and (optionally) the cyvcf2 loop on ``vcf``, in this order.

    The file must carry the release's VCF name (``ratgtex_v4_round11_2.rn8.vcf.gz``) so that
    ingest recognises it; ``work`` receives the database (replaced if present).
    """
    import shutil

    work.mkdir(parents=True, exist_ok=True)
    db = work / "vcf-db"
    shutil.rmtree(db, ignore_errors=True)
    decompress, decompress_cpu = decompress_times(vcf)
    ingested = ingest_times(vcf, db)
    ingest, rss = ingested["seconds"], ingested["rss_mib"]
    read = reader_times(vcf)
    reader = read["seconds"]
    writer = writer_us_per_record(vcf)
    import duckdb

    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        records, = con.execute("SELECT count(*) FROM variants").fetchone()
        samples, = con.execute(
            "SELECT count(*) FROM _ratgtex.lake_genotype_samples").fetchone()
    finally:
        con.close()
    lake = sum(p.stat().st_size for p in (db / "lake").rglob("*.parquet"))
    gz = vcf.stat().st_size
    out = {"records": records, "samples": samples, "gz_mb": gz / 1e6,
           "decompress_s": decompress, "ingest_s": ingest, "x_decompress": ingest / decompress,
           "records_per_s": records / ingest, "peak_rss_mib": rss, "lake_mb": lake / 1e6,
           "lake_x_gz": lake / gz, "reader_s": reader, "reader_x_decompress": reader / decompress,
           "decompress_us_per_record": decompress / records * 1e6,
           "reader_us_per_record": reader / records * 1e6,
           "ingest_us_per_record": ingest / records * 1e6,
           # CPU seconds (all threads): what a busy shared machine distorts least
           "decompress_cpu_s": decompress_cpu, "ingest_cpu_s": ingested["cpu"],
           "reader_cpu_s": read["cpu"], "ingest_cpu_x_decompress": ingested["cpu"] / decompress_cpu,
           "reader_cpu_x_decompress": read["cpu"] / decompress_cpu, **writer}
    if cyvcf2:
        cy, n, _ = cyvcf2_seconds(vcf)
        out.update({"cyvcf2_baseline_s": cy, "cyvcf2_us_per_record": cy / n * 1e6,
                    "x_faster_than_cyvcf2": cy / ingest})
    shutil.rmtree(db, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vcf", type=Path, help="an existing VCF (named like the release's)")
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--samples", type=int, default=1_500)
    ap.add_argument("--work", type=Path, default=CACHE / "vcf-work")
    ap.add_argument("--no-cyvcf2", action="store_true", help="skip the (slow) cyvcf2 loop")
    args = ap.parse_args()
    vcf = args.vcf
    if vcf is None:
        folder = CACHE / f"vcf-{args.records}x{args.samples}"
        vcf = folder / NAME
        if not vcf.exists():
            folder.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            make_vcf(vcf, args.records, args.samples)
            print(f"made {vcf} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    r = measure(vcf, args.work, cyvcf2=not args.no_cyvcf2)
    print(json.dumps(r, indent=2))
    print(f"VCF {r['records']} records x {r['samples']} samples, {r['gz_mb']:.0f} MB BGZF: "
          f"ingest {r['ingest_s']:.1f} s = {r['x_decompress']:.2f}x ISA-L decompression "
          f"({r['decompress_s']:.1f} s; target <= 5x), {r['records_per_s']:.0f} records/s, "
          f"peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"reader alone (no writing): {r['reader_s']:.1f} s = {r['reader_x_decompress']:.2f}x "
          f"decompression; per record: decompress {r['decompress_us_per_record']:.1f} us, "
          f"reader {r['reader_us_per_record']:.1f} us, Parquet write of the dosage lists "
          f"{r['list_write_us_per_record']:.1f} us ({r['list_bytes_per_record']:.0f} B) vs "
          f"a plain int8 leaf {r['list_plain_write_us_per_record']:.1f} us "
          f"({r['list_plain_bytes_per_record']:.0f} B) vs polars' writer on the list "
          f"{r['polars_list_write_us_per_record']:.1f} us "
          f"({r['polars_list_bytes_per_record']:.0f} B); ingest {r['ingest_us_per_record']:.1f} us")
    print(f"CPU seconds (all threads): decompress {r['decompress_cpu_s']:.1f}, reader "
          f"{r['reader_cpu_s']:.1f} ({r['reader_cpu_x_decompress']:.2f}x), ingest "
          f"{r['ingest_cpu_s']:.1f} ({r['ingest_cpu_x_decompress']:.2f}x)")
    if "cyvcf2_baseline_s" in r:
        print(f"cyvcf2 loop with gt_types: {r['cyvcf2_baseline_s']:.1f} s "
              f"({r['cyvcf2_us_per_record']:.0f} us/record); ingest is "
              f"{r['x_faster_than_cyvcf2']:.1f}x faster")


if __name__ == "__main__":
    main()
