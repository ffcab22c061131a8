"""The genotype VCF as typed Arrow batches, streamed with cyvcf2 (htslib).

Yields three tables: ``variants`` (one row per biallelic SNP), ``genotype_rows`` (the ALT
dosages of one variant for every sample, as one LIST<TINYINT> row: ~1 byte per call instead of
a long row per call) and ``genotype_samples`` (sample index -> rat id). The ``genotypes`` view
unnests them into the contract's long table. Multi-allelic and malformed records are counted and
reported, not fatal (release-format 3.12: GT only, ``./.`` missing, ``|`` or ``/``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from ratgtex_db.errors import FormatError
from ratgtex_db.readers import NOTE
from ratgtex_db.registry import FileKind
from ratgtex_db.tables import TABLES

BATCH = 10_000
#: cyvcf2 ``gt_types``: 0 HOM_REF, 1 HET, 2 UNKNOWN, 3 HOM_ALT -> ALT dosage (-1 = missing).
GT_DOSAGE = np.array([0, 1, -1, 2], dtype=np.int8)
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_VARIANT_RE = re.compile(r"^chr[0-9A-Za-z]+:[0-9]+$")


def _check_container(path: str) -> None:
    """A BGZF file must end with the empty EOF block; htslib may stop quietly otherwise."""
    with open(path, "rb") as f:
        head = f.read(18)
        if head[:2] != b"\x1f\x8b":
            if not head.startswith(b"##fileformat=VCF"):
                raise FormatError(path, "not a VCF (neither gzip/BGZF nor text starting with "
                                  "##fileformat=VCF)", line=1)
            return
        f.seek(0, 2)
        size = f.tell()
        is_bgzf = len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC"
        if is_bgzf and size >= 28:
            f.seek(size - 28)
            if f.read(28) != BGZF_EOF:
                raise FormatError(path, "truncated BGZF file (no end-of-file block); "
                                  "re-download it")


def _header_lines(path: str) -> int:
    """Lines of the '#' header as written in the file (for line numbers in errors)."""
    from ratgtex_db.readers.text import open_path

    n = 0
    with open_path(path, threads=0) as f:
        for line in f:
            if not line.startswith(b"#"):
                break
            n += 1
    return n


def _chrom(c: str) -> str:
    return c if c.startswith("chr") else f"chr{c}"


def shape_vcf(src, kind: FileKind, values: dict[str, str], lenient: bool
              ) -> Iterator[tuple[str, pa.Table]]:
    """Stream records in batches; yield (table, batch) and a final NOTE of skipped records."""
    from cyvcf2 import VCF

    _check_container(src.path)
    try:
        vcf = VCF(src.path, gts012=False, lazy=True, threads=1)
    except (OSError, Exception) as err:  # cyvcf2 raises plain Exception on a bad header
        raise FormatError(src.name, f"cannot open as VCF ({err})", line=1) from err
    samples = list(vcf.samples)
    header_lines = _header_lines(src.path)
    if len(set(samples)) != len(samples):
        raise FormatError(src.name, "duplicated sample names in the #CHROM header line", line=1)
    yield "genotype_samples", pa.table(
        {"sample_index": pa.array(np.arange(len(samples), dtype=np.int32)),
         "rat_id": pa.array(samples, pa.string())}, schema=TABLES["genotype_samples"].schema)
    n_multi = n_bad = 0
    chroms: list[str] = []
    pos: list[int] = []
    ids: list[str] = []
    refs: list[str] = []
    alts: list[str] = []
    dosages: list[np.ndarray] = []
    record = 0
    try:
        for rec in vcf:
            record += 1
            alt = rec.ALT
            if len(alt) != 1:
                n_multi += 1
                continue
            ref = rec.REF
            if not ref or not alt[0]:
                n_bad += 1
                continue
            chrom = _chrom(rec.CHROM)
            vid = rec.ID if rec.ID and _VARIANT_RE.match(rec.ID) else f"{chrom}:{rec.POS}"
            chroms.append(chrom)
            pos.append(rec.POS)
            ids.append(vid)
            refs.append(ref)
            alts.append(alt[0])
            dosages.append(GT_DOSAGE[rec.gt_types])
            if len(ids) >= BATCH:
                yield from _flush(chroms, pos, ids, refs, alts, dosages)
                chroms, pos, ids, refs, alts, dosages = [], [], [], [], [], []
    except Exception as err:  # htslib parse errors surface as plain exceptions
        raise FormatError(src.name, f"malformed VCF record ({err}); fix or re-download the file",
                          line=header_lines + record + 1) from err
    if ids:
        yield from _flush(chroms, pos, ids, refs, alts, dosages)
    notes = []
    if n_multi:
        notes.append(f"{n_multi} multi-allelic record(s) skipped")
    if n_bad:
        notes.append(f"{n_bad} malformed record(s) skipped")
    if notes:
        yield NOTE, "; ".join(notes)  # type: ignore[misc]


def _flush(chroms, pos, ids, refs, alts, dosages) -> Iterator[tuple[str, pa.Table]]:
    n = len(ids)
    base = {
        "variant_id": pa.array(ids, pa.string()),
        "chrom": pa.array(chroms, pa.string()),
        "pos": pa.array(pos, pa.int32()),
    }
    yield "variants", pa.table({**base, "ref": pa.array(refs, pa.string()),
                                "alt": pa.array(alts, pa.string())},
                               schema=TABLES["variants"].schema)
    mat = np.vstack(dosages) if n else np.empty((0, 0), np.int8)
    width = mat.shape[1] if n else 0
    flat = mat.ravel()
    values = pa.array(flat, type=pa.int8(), mask=flat < 0)
    offsets = pa.array(np.arange(0, (n + 1) * width, width, dtype=np.int32)[: n + 1])
    lists = pa.ListArray.from_arrays(offsets, values, type=pa.list_(pa.int8()))
    yield "genotype_rows", pa.table({**base, "dosages": lists},
                                    schema=TABLES["genotype_rows"].schema)
