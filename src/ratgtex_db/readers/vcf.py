"""The genotype VCF as typed Arrow batches: ISA-L inflate, then numpy over the record text.

Yields three tables: ``variants`` (one row per biallelic SNP), ``genotype_rows`` (the ALT
dosages of one variant for every sample, one ``LIST<TINYINT>`` in sample order:
:func:`ratgtex_db.readers.gt.dosage_lists`) and ``genotype_samples`` (sample index -> rat id).
The ``genotypes`` view pairs them into the contract's long table.

The file is read in blocks of ~8 MB of whole lines (inflated by ISA-L on a second thread). For a
block in the release's layout (FORMAT ``GT``, three-character calls) Python only finds each
record's end and copies its calls into a buffer; Arrow's CSV parser reads the fixed columns of
the whole block and :mod:`ratgtex_db.readers.gt` decodes the calls of all its records at once.
Any other block (extra FORMAT fields, haploid calls, anything doubtful) is read record by record
with a regex, which also names the line of an error. cyvcf2 (htslib) took 120-320 us per record
of 1.5k samples, iterating alone ~60 us; this takes ~10-20 us. Multi-allelic records and records
without an ALT allele are counted and skipped, as are records with an empty REF or ALT; a
malformed record (bad POS, wrong number of sample columns, a call that is not ``0``/``1``/``.``
alleles, an ID that names another position than CHROM:POS) is a FormatError naming the file line
(release-format 3.12, 5.2). ``variant_id`` is always the record's normalized CHROM:POS.
"""

from __future__ import annotations

import queue
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from isal import igzip_threaded

from ratgtex_db.errors import FormatError
from ratgtex_db.readers import NOTE
from ratgtex_db.readers.gt import BadCall, decode_any, decode_fixed, dosage_lists
from ratgtex_db.readers.text import STREAM_ERRORS, is_gzip
from ratgtex_db.registry import FileKind
from ratgtex_db.tables import TABLES

#: Records per yielded batch: two row groups of ``genotype_rows``.
BATCH = 8192
#: Inflated bytes read at a time (~1.4k records of 1.5k samples).
CHUNK_BYTES = 8 << 20
#: Blocks parsed at once, on threads: a block's Python loop over its line ends holds the GIL,
#: its Arrow and numpy work (the fixed columns, the calls' decoding and packing) does not.
PARSERS = 2
FIXED_COLUMNS = ["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]
#: CHROM POS ID REF ALT QUAL FILTER INFO of a record (the first five captured).
_FIXED = re.compile(rb"([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)\t([^\t\n]*)"
                    rb"\t[^\t\n]*\t[^\t\n]*\t[^\t\n]*")
#: The same followed by FORMAT (captured) and the tab before the first sample column.
_WITH_FORMAT = re.compile(_FIXED.pattern + rb"\t([^\t\n]*)\t")
#: An ID that names a position (``chr1:793394``, ``1:793394``, ``AABR07046136.1:50``): it must
#: name the record's own CHROM and POS (another ID, e.g. ``.``, is replaced by CHROM:POS).
_POSITIONAL = re.compile(rb"([^:\t]+):([0-9]+)")
_POSITIONAL_PATTERN = "^" + _POSITIONAL.pattern.decode() + "$"
#: The fixed columns of a block's records, parsed by Arrow in one go (see _Records.parse_fast).
_PREFIX_READ = pacsv.ReadOptions(column_names=FIXED_COLUMNS, block_size=1 << 20,
                                 use_threads=False)
_PREFIX_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False,
                                   escape_char=False, newlines_in_values=False,
                                   ignore_empty_lines=False)
_PREFIX_CONVERT = pacsv.ConvertOptions(
    column_types={"CHROM": pa.string(), "POS": pa.int64(), "ID": pa.string(),
                  "REF": pa.string(), "ALT": pa.string()},
    include_columns=["CHROM", "POS", "ID", "REF", "ALT"], null_values=[],
    strings_can_be_null=False)
_BARE_CHROM = re.compile(r"[0-9]+|X|Y")
MAX_POS = 2**31 - 1


def _open(path: str) -> BinaryIO:
    """The VCF's text: BGZF/gzip inflated by ISA-L on a second thread, or plain text as is
    (whatever the name says). A BGZF file must end with the empty EOF block: a cut-off file
    may otherwise end quietly at a block boundary."""
    if _check_container(path):
        return igzip_threaded.open(path, "rb", threads=1)  # type: ignore[return-value]
    return open(path, "rb")  # noqa: SIM115 - closed by the caller


def _check_container(path: str) -> bool:
    """True for gzip/BGZF, False for plain text; FormatError for anything else or a BGZF
    file without its end-of-file block (:func:`ratgtex_db.readers.text.is_gzip`)."""
    if is_gzip(path):
        return True
    with open(path, "rb") as f:
        if not f.read(16).startswith(b"##fileformat=VCF"):
            raise FormatError(path, "not a VCF (neither gzip/BGZF nor text starting with "
                              "##fileformat=VCF)", line=1)
    return False


def normalize_chrom(raw: str) -> str:
    """VCF CHROM -> lake ``chrom``: ``1`` -> ``chr1``, ``X`` -> ``chrX``, ``MT``/``M`` (and
    ``chrMT``) -> ``chrM``; ``chr``-prefixed names and scaffolds (``NW_...``) are kept as they
    are (v1/v2 VCFs write bare numbers, release-format 2.3 and 7.13)."""
    if raw.upper() in ("MT", "M", "CHRMT"):
        return "chrM"
    if _BARE_CHROM.fullmatch(raw):
        return "chr" + raw
    return raw


def read_header(name: str, stream: BinaryIO) -> tuple[int, list[str]]:
    """Read the meta lines and the ``#CHROM`` line: (header line count, sample names)."""
    lines = 0
    while True:
        try:
            raw = stream.readline()
        except STREAM_ERRORS as err:
            raise FormatError(name, f"cannot read the VCF header: the compressed stream is "
                              f"broken or truncated ({err}); re-download the file",
                              line=lines + 1) from err
        lines += 1
        if lines == 1 and not raw.startswith(b"##fileformat=VCF"):
            raise FormatError(name, "not a VCF: the first line must be ##fileformat=VCFv4.x",
                              line=1)
        if not raw or not raw.startswith(b"#"):
            raise FormatError(name, "no #CHROM header line before the records; the file is "
                              "not a complete VCF", line=lines)
        if raw.startswith(b"#CHROM"):
            break
    cols = raw.rstrip(b"\r\n").decode("utf-8", errors="replace").split("\t")
    cols[0] = cols[0][1:]
    if cols[:8] != FIXED_COLUMNS or (len(cols) > 8 and cols[8] != "FORMAT"):
        raise FormatError(name, "bad #CHROM header line", line=lines,
                          expected="\t".join(["#" + FIXED_COLUMNS[0], *FIXED_COLUMNS[1:],
                                              "FORMAT", "<samples>"]),
                          found="\t".join(cols[:10]))
    samples = cols[9:]
    if len(set(samples)) != len(samples):
        dup = next(s for s in samples if samples.count(s) > 1)
        raise FormatError(name, f"sample {dup!r} appears twice in the #CHROM header line",
                          line=lines)
    return lines, samples


def _take_calls(view: memoryview, gs: int, end: int, cr: bool, fixed: np.ndarray,
                fixed_view: memoryview, filled: int, width: int) -> int:
    """Copy one record's GT calls ``view[gs:end]`` and its line end into ``fixed`` at
    ``filled`` as ``width`` bytes ending in LF (a CR LF end loses its CR); returns the new fill."""
    if cr:
        fixed_view[filled:filled + width - 1] = view[gs:end - 1]
        fixed[filled + width - 1] = 10
    else:
        fixed_view[filled:filled + width] = view[gs:end + 1]
    return filled + width


@dataclass
class _Parsed:
    """A block of records read by :meth:`_Records.parse_fast`, to be committed in order."""

    lines: int
    multi: int
    no_alt: int
    bad: int
    piece: pa.Table
    calls: pa.Array | None


class _Records:
    """Parse record lines into the columns of the next batch and the decoded calls."""

    def __init__(self, name: str, samples: list[str], line: int) -> None:
        self.name = name
        self.samples = samples
        self.n = len(samples)
        self.line = line  # lines consumed so far
        self.n_multi = self.n_no_alt = self.n_bad = 0
        self._chrom_of: dict[bytes, str] = {}
        #: buffers for a block's calls, one per block being parsed (reused: fresh pages cost a
        #: fault each), shared by scan and the threads of parse_fast
        self._buffers: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._new_batch()

    def _new_batch(self) -> None:
        self.pieces: list[pa.Table] = []  # variant_id, chrom, pos, ref, alt per parsed piece
        self.calls: list[pa.Array] = []  # their dosage lists (gt.dosage_lists), piece by piece
        self.rows = 0

    def __len__(self) -> int:
        return self.rows

    def _add(self, piece: pa.Table, calls: pa.Array | None) -> None:
        self.pieces.append(piece)
        if calls is not None:
            self.calls.append(calls)
        self.rows += piece.num_rows

    def _error(self, line: int, message: str) -> FormatError:
        return FormatError(self.name, f"malformed VCF record: {message}; fix or re-download the "
                           "file", line=line)

    def _check_id(self, vid: bytes, chrom: str, pos: int) -> None:
        """A FormatError if ``vid`` names a position other than the record's CHROM:POS
        (``variant_id`` and ``chrom``/``pos`` must agree, architecture 3)."""
        m = _POSITIONAL.fullmatch(vid)
        if m is None:
            return  # '.' or an ID that names no position: variant_id is CHROM:POS
        id_chrom = normalize_chrom(m.group(1).decode("utf-8", "replace"))
        if id_chrom != chrom or int(m.group(2)) != pos:
            raise self._error(self.line, f"ID {vid.decode(errors='replace')!r} names another "
                              f"position than CHROM and POS ({chrom}:{pos}); a chrN:pos ID "
                              "must name the record's own position")

    def scan(self, buf: bytes, start: int, stop: int) -> None:
        """Parse the whole lines ``buf[start:stop]`` (``stop`` just after a ``\\n``)."""
        find = buf.find
        match = (_WITH_FORMAT if self.n else _FIXED).match
        n, width = self.n, 4 * self.n
        view = memoryview(buf)
        # sample parts of the release's layout, back to back (at most the piece's bytes)
        fixed = self._take_buffer(stop - start if n else 0)
        fixed_view, filled = memoryview(fixed), 0
        fixed_rows: list[int] = []
        other, other_rows = bytearray(), []
        lines: list[int] = []  # file line of each kept record of this piece
        chroms: list[str] = []
        pos: list[int] = []
        ids: list[bytes] = []
        refs: list[bytes] = []
        alts: list[bytes] = []
        at = start
        while at < stop:
            end = find(b"\n", at, stop)
            self.line += 1
            line_start, at = at, end + 1
            if end == line_start or (end == line_start + 1 and buf[line_start] == 13):
                continue  # a blank line
            m = match(buf, line_start, end)
            if m is None:
                raise self._error(self.line, f"fewer than {9 + (n > 0)} tab-separated columns "
                                  "(CHROM POS ID REF ALT QUAL FILTER INFO"
                                  f"{' FORMAT and samples' if n else ''})")
            chrom, p, vid, ref, alt = m.group(1, 2, 3, 4, 5)
            if b"," in alt:
                self.n_multi += 1
                continue
            if alt == b".":
                self.n_no_alt += 1
                continue
            if not ref or not alt:
                self.n_bad += 1
                continue
            try:
                ipos = int(p)
            except ValueError:
                raise self._error(self.line, f"POS {p.decode(errors='replace')!r} is not a "
                                  "whole number") from None
            if not 0 < ipos <= MAX_POS:
                raise self._error(self.line, f"POS {ipos} is out of range")
            if n:
                fmt = m.group(6)
                if fmt != b"GT" and not fmt.startswith(b"GT:"):
                    raise self._error(self.line, f"FORMAT {fmt.decode(errors='replace')!r} does "
                                      "not start with GT")
                gs = m.end()
                cr = buf[end - 1] == 13  # a CR LF line end
                if end - cr - gs == width - 1 and fmt == b"GT":
                    filled = _take_calls(view, gs, end, cr, fixed, fixed_view, filled, width)
                    fixed_rows.append(len(lines))
                else:
                    other += view[gs:end - cr]
                    other += b"\n"
                    other_rows.append(len(lines))
            lines.append(self.line)
            c = self._chrom_of.get(chrom)
            if c is None:
                c = self._chrom_of[chrom] = normalize_chrom(chrom.decode("utf-8", "replace"))
            chroms.append(c)
            pos.append(ipos)
            derived = f"{c}:{ipos}".encode()
            if vid != derived:
                self._check_id(vid, c, ipos)
            ids.append(derived)
            refs.append(ref)
            alts.append(alt)
        calls = dosage_lists(self._decode(fixed, fixed_rows, other, other_rows, lines),
                             len(lines), n) if n and lines else None
        try:
            piece = pa.table({"variant_id": pa.array(ids, pa.string()),
                              "chrom": pa.array(chroms, pa.string()),
                              "pos": pa.array(pos, pa.int64()),
                              "ref": pa.array(refs, pa.string()),
                              "alt": pa.array(alts, pa.string())})
        except pa.ArrowInvalid as err:  # bytes that are not UTF-8 text
            first = lines[0] if lines else self.line
            raise self._error(first, f"an ID, REF or ALT value in lines {first}-{self.line} is "
                              f"not UTF-8 text ({err})") from None
        self._add(piece, calls)
        self._buffers.put(fixed)  # decoded: the calls are copied out

    def _take_buffer(self, size: int) -> np.ndarray:
        """A buffer of at least ``size`` bytes for a block's calls (give it back with
        ``self._buffers.put`` once decoded; one not given back is only not reused)."""
        try:
            buf = self._buffers.get_nowait()
        except queue.Empty:
            return np.empty(max(size, CHUNK_BYTES), dtype=np.uint8)
        return buf if len(buf) >= size else np.empty(size, dtype=np.uint8)

    def parse_fast(self, buf: bytes, start: int, stop: int) -> _Parsed | None:
        """The records of a block in the release's layout only (FORMAT ``GT``, ``4 * samples``
        bytes of calls), to :meth:`commit`; None when any record is not of that layout or not
        valid, and :meth:`scan` then reads the block (and names the line of what is wrong).
        The fixed columns of all records are parsed by Arrow at once, so Python only finds the
        line ends. Changes no state, so that blocks can be parsed on several threads (Arrow
        and numpy release the GIL) and committed in order."""
        n, width = self.n, 4 * self.n
        if n == 0:
            return None
        find = buf.find
        view = memoryview(buf)
        fixed = self._take_buffer(stop - start)
        try:
            fixed_view, filled = memoryview(fixed), 0
            prefixes: list[memoryview | bytes] = []
            at = start
            while at < stop:
                end = find(b"\n", at, stop)
                cr = buf[end - 1] == 13
                gs = end - cr - width + 1  # where the calls start if the record has the layout
                if gs - 4 <= at or buf[gs - 4:gs] != b"\tGT\t":
                    return None
                prefixes.append(view[at:gs - 4])
                filled = _take_calls(view, gs, end, cr, fixed, fixed_view, filled, width)
                at = end + 1
            return self._parse_prefixes(prefixes, fixed)
        finally:
            self._buffers.put(fixed)  # decoded: the calls are copied out

    def _parse_prefixes(self, prefixes: list[memoryview | bytes], fixed: np.ndarray
                        ) -> _Parsed | None:
        n, width = self.n, 4 * self.n
        m = len(prefixes)
        prefixes.append(b"")
        try:
            cols = pacsv.read_csv(pa.py_buffer(b"\n".join(prefixes)), read_options=_PREFIX_READ,
                                  parse_options=_PREFIX_PARSE, convert_options=_PREFIX_CONVERT)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None  # a wrong column count, a POS that is not a number, ...
        if cols.num_rows != m:
            return None
        alt, ref = cols.column("ALT"), cols.column("REF")
        multi = pc.match_substring(alt, ",")
        no_alt = pc.and_(pc.invert(multi), pc.equal(alt, "."))
        empty = pc.or_(pc.equal(pc.binary_length(ref), 0), pc.equal(pc.binary_length(alt), 0))
        bad = pc.and_(pc.invert(pc.or_(multi, no_alt)), empty)
        keep = pc.invert(pc.or_(pc.or_(multi, no_alt), bad))
        n_keep = pc.sum(keep).as_py() or 0
        if n_keep < m:
            cols = cols.filter(keep)
        position = cols.column("POS")
        if n_keep and (pc.min(position).as_py() < 1 or pc.max(position).as_py() > MAX_POS):
            return None
        if n_keep < m:  # skipped records' calls (0/2 of a multi-allelic one) stay unread
            fixed = fixed[:m * width].reshape(m, width)[keep.to_numpy(zero_copy_only=False)]
        x = decode_fixed(fixed, n_keep, n)
        if x is None:
            return None
        chrom = self._normalize(cols.column("CHROM").combine_chunks())
        vid = cols.column("ID").combine_chunks()
        ids = pc.binary_join_element_wise(chrom, pc.cast(position, pa.string()), ":")
        # an ID naming another position than CHROM:POS: scan names its line (or accepts an
        # ID such as 1:10 or chrMT:40 that names the same position another way)
        differ = pc.not_equal(vid, ids)
        if pc.any(differ).as_py() and pc.any(pc.and_(
                differ, pc.match_substring_regex(vid, _POSITIONAL_PATTERN))).as_py():
            return None
        piece = pa.table({"variant_id": ids, "chrom": chrom, "pos": position,
                          "ref": cols.column("REF"), "alt": cols.column("ALT")})
        return _Parsed(m, pc.sum(multi).as_py() or 0, pc.sum(no_alt).as_py() or 0,
                       pc.sum(bad).as_py() or 0, piece,
                       dosage_lists(x, n_keep, n) if n_keep else None)

    def commit(self, parsed: _Parsed) -> None:
        """Add a block that :meth:`parse_fast` read (blocks in file order)."""
        self.n_multi += parsed.multi
        self.n_no_alt += parsed.no_alt
        self.n_bad += parsed.bad
        self.line += parsed.lines
        self._add(parsed.piece, parsed.calls)

    def _normalize(self, chrom: pa.Array) -> pa.Array:
        """:func:`normalize_chrom` once per distinct CHROM of a block."""
        coded = chrom.dictionary_encode()
        names = []
        for raw in coded.dictionary.to_pylist():
            key = raw.encode()
            if key not in self._chrom_of:
                self._chrom_of[key] = normalize_chrom(raw)
            names.append(self._chrom_of[key])
        return pc.take(pa.array(names, pa.string()), coded.indices)

    def _decode(self, fixed: np.ndarray, fixed_rows: list[int], other: bytearray,
                other_rows: list[int], lines: list[int]) -> np.ndarray:
        n = self.n
        x = decode_fixed(fixed, len(fixed_rows), n) if fixed_rows else None
        if fixed_rows and x is None:  # a call of another shape: decode_any says which
            other, other_rows = self._merge(fixed, fixed_rows, other, other_rows)
            fixed_rows = []
        if not other_rows:
            return x  # type: ignore[return-value]
        other += b"\0\0\0"  # slack: decode_any reads three bytes from each field start
        try:
            y = decode_any(other, len(other_rows), n)
        except BadCall as err:
            line = lines[other_rows[err.record]]
            where = "" if err.sample is None else f"sample {self.samples[err.sample]!r}: "
            what = err.text if err.sample is None else (
                f"GT {err.text!r} is not a call of a biallelic site (alleles 0, 1 or ., "
                "haploid or diploid with / or |)")
            raise self._error(line, where + what) from None
        if not fixed_rows:
            return y
        out = np.empty((len(lines), n), dtype=np.uint8)
        out[fixed_rows] = x.reshape(-1, n)  # type: ignore[union-attr]
        out[other_rows] = y.reshape(-1, n)
        return out.ravel()

    def _merge(self, fixed: np.ndarray, fixed_rows: list[int], other: bytearray,
               other_rows: list[int]) -> tuple[bytearray, list[int]]:
        """All sample parts in record order, for :func:`decode_any`."""
        width = 4 * self.n
        parts: dict[int, bytes] = {r: fixed[i * width:(i + 1) * width].tobytes()
                                   for i, r in enumerate(fixed_rows)}
        cut = 0
        for r in other_rows:
            nl = other.index(b"\n", cut)
            parts[r] = bytes(other[cut:nl + 1])
            cut = nl + 1
        rows = sorted(parts)
        return bytearray(b"".join(parts[r] for r in rows)), rows

    def batch(self) -> Iterator[tuple[str, pa.Table]]:
        """The records parsed so far as ``variants`` and ``genotype_rows``; starts a new batch."""
        k = self.rows
        if k == 0:
            return
        cols = pa.concat_tables(self.pieces).combine_chunks()
        base = {
            "variant_id": cols.column("variant_id"),
            "chrom": cols.column("chrom"),
            "pos": pc.cast(cols.column("pos"), pa.int32()),
        }
        variants = pa.table({**base, "ref": cols.column("ref"), "alt": cols.column("alt")},
                            schema=TABLES["variants"].schema)
        dosages = pa.concat_arrays(self.calls) if self.calls else \
            dosage_lists(np.empty(0, dtype=np.uint8), k, self.n)
        rows = pa.table({**base, "dosages": dosages},
                        schema=TABLES["genotype_rows"].schema)
        self._new_batch()
        yield "variants", variants
        yield "genotype_rows", rows

    def notes(self) -> list[str]:
        out = []
        if self.n_multi:
            out.append(f"{self.n_multi} multi-allelic record(s) skipped")
        if self.n_no_alt:
            out.append(f"{self.n_no_alt} record(s) without an ALT allele skipped")
        if self.n_bad:
            out.append(f"{self.n_bad} malformed record(s) skipped (empty REF or ALT)")
        return out


def shape_vcf(src, kind: FileKind, values: dict[str, str], lenient: bool
              ) -> Iterator[tuple[str, pa.Table]]:
    """Stream records in batches; yield (table, batch) and a final NOTE of skipped records."""
    stream = _open(src.path)
    try:
        header_lines, samples = read_header(src.name, stream)
        yield "genotype_samples", pa.table(
            {"sample_index": pa.array(np.arange(len(samples), dtype=np.int32)),
             "rat_id": pa.array(samples, pa.string())},
            schema=TABLES["genotype_samples"].schema)
        records = _Records(src.name, samples, header_lines)
        # (parse_fast's future or None, text, start, stop) in file order; None: read by scan
        pending: deque[tuple[Future | None, bytes, int, int]] = deque()

        def settle() -> None:
            future, text, a, b = pending.popleft()
            parsed = future.result() if future is not None else None
            if parsed is None:
                records.scan(text, a, b)
            else:
                records.commit(parsed)

        with ThreadPoolExecutor(max_workers=PARSERS) as pool:
            tail = b""
            while True:
                try:
                    block = stream.read(CHUNK_BYTES)
                except STREAM_ERRORS as err:
                    while pending:  # the line of the error: after every record before it
                        settle()
                    raise FormatError(src.name, f"the compressed stream is broken or "
                                      f"truncated after line {records.line} ({err}); "
                                      "re-download the file", line=records.line + 1) from err
                if not block:
                    break
                first = block.find(b"\n") + 1
                last = block.rfind(b"\n") + 1
                if first == 0:  # no line end in this block
                    tail += block
                    continue
                if tail:  # the line that straddles the previous block
                    head = tail + block[:first]
                    pending.append((None, head, 0, len(head)))
                else:
                    first = 0
                pending.append((pool.submit(records.parse_fast, block, first, last), block,
                                first, last))
                tail = block[last:]
                while len(pending) > PARSERS:
                    settle()
                    if len(records) >= BATCH:
                        yield from records.batch()
            while pending:
                settle()
        if tail:
            tail += b"\n"
            records.scan(tail, 0, len(tail))
        yield from records.batch()
    finally:
        stream.close()
    notes = records.notes()
    if notes:
        yield NOTE, "; ".join(notes)  # type: ignore[misc]
