"""Tab-separated text (plain, gzip or BGZF) as typed Arrow batches.

The fast path hands the stream to pyarrow's streaming CSV reader with explicit column types.
When it refuses the input, :func:`diagnose` re-reads the file line by line to say exactly where
and what (file, line, column, expected, found): the error path may be slow, the good path not.
"""

from __future__ import annotations

import csv
import io
import math
import re
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

import pyarrow as pa
import pyarrow.csv as pacsv
from isal import igzip, igzip_threaded

from ratgtex_db.errors import FormatError
from ratgtex_db.registry import NA_TOKENS

GZIP_MAGIC = b"\x1f\x8b"
#: The empty block that ends every BGZF file (SAM/BAM spec 4.1.2).
BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
#: A UTF-8 byte-order mark (a file saved by Excel or a Windows editor).
BOM = b"\xef\xbb\xbf"
#: Bytes per parsed block: 1 MiB measured faster than 8 MiB (the parse of one block overlaps
#: the inflate and the conversion of the previous one) and keeps batches small.
BLOCK_SIZE = 1 << 20
TRUE_VALUES = ["True", "TRUE", "true"]
FALSE_VALUES = ["False", "FALSE", "false"]

#: Exceptions a broken container (truncated gzip, not gzip, bad zip member) raises while read.
STREAM_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, zlib.error, ValueError)

Opener = Callable[[], BinaryIO]


def open_path(path: str, threads: int = 1) -> BinaryIO:
    """Open a file for reading bytes, decompressing gzip/BGZF (ISA-L) when the magic says so.

    ``threads > 0`` decompresses in a separate thread, overlapping inflate with parsing. A BGZF
    file must end with its end-of-file block (:func:`is_gzip`).
    """
    if is_gzip(path):
        if threads > 0:
            return igzip_threaded.open(path, "rb", threads=threads)  # type: ignore[return-value]
        return igzip.open(path, "rb")  # type: ignore[return-value]
    if path.endswith(".gz"):
        raise FormatError(path, "not a gzip file (the name ends in .gz but the content does not "
                          "start with the gzip magic bytes); re-download it")
    return open(path, "rb")  # noqa: SIM115 - returned to the caller


def is_gzip(path: str) -> bool:
    """True for a gzip file (plain, multi-member or BGZF), False for anything else.

    A BGZF file (first member with the ``BC`` extra field) that does not end with the empty
    end-of-file block is a FormatError: its blocks are whole gzip members, so a download cut
    between two of them still inflates cleanly, and only the missing EOF block shows the loss.
    Plain gzip has no such block (a cut there is caught while inflating).
    """
    with open(path, "rb") as f:
        head = f.read(18)
        if head[:2] != GZIP_MAGIC:
            return False
        if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":  # FEXTRA with BGZF's BC
            size = f.seek(0, 2)
            if size >= len(BGZF_EOF):
                f.seek(size - len(BGZF_EOF))
            if size < len(BGZF_EOF) or f.read(len(BGZF_EOF)) != BGZF_EOF:
                raise FormatError(path, "truncated BGZF file: it does not end with the BGZF "
                                  "end-of-file block, so the download (or the bgzip run) was "
                                  "cut short; re-download it")
    return True


def strip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark (the start of a file or zip member)."""
    return data[len(BOM):] if data.startswith(BOM) else data


def maybe_gunzip(stream: BinaryIO) -> BinaryIO:
    """Wrap a stream (e.g. a zip member) in a gzip reader if its content is gzip."""
    buffered = stream if isinstance(stream, io.BufferedReader) else io.BufferedReader(stream)
    if buffered.peek(2)[:2] == GZIP_MAGIC:
        return igzip.IGzipFile(fileobj=buffered)  # type: ignore[return-value]
    return buffered  # type: ignore[return-value]


def split_line(text: str, delimiter: str = "\t") -> list[str]:
    """One line's fields: tab-separated text as it is; CSV (``delimiter=','``) with its
    double-quoted fields unquoted."""
    if delimiter == "\t":
        return text.split("\t")
    return next(csv.reader([text], delimiter=delimiter), [""])


def read_header(name: str, stream: BinaryIO, delimiter: str = "\t") -> list[str]:
    """Read and split the header line; the stream is left at the first data line."""
    try:
        line = stream.readline()
    except STREAM_ERRORS as err:
        raise FormatError(name, f"cannot read the header: the compressed stream is broken or "
                          f"truncated ({err}); re-download the file", line=1) from err
    if not line:
        raise FormatError(name, "empty file: expected a header line", line=1)
    text = decode_line(name, strip_bom(line), 1, None, delimiter).rstrip("\r\n")
    return split_line(text, delimiter)


def decode_line(name: str, raw: bytes, lineno: int, cols: list[str] | None,
                delimiter: str = "\t") -> str:
    """A line's text; a FormatError naming the line and column if it is not UTF-8 (the fast
    reader refuses such bytes; ``cols`` names the columns, None for the header itself)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        sep = delimiter.encode()
        at = raw.count(sep, 0, err.start)  # the field of the first bad byte
        value = raw.rstrip(b"\r\n").split(sep)[at]
        shown = value.decode("utf-8", "backslashreplace")
        column = cols[at] if cols is not None and at < len(cols) else None
        where = "" if column is not None else f"field {at + 1}: "
        raise FormatError(
            name, f"{where}not UTF-8 text (byte 0x{raw[err.start]:02x} in '{shown}'); save the "
            "file as UTF-8 and ingest again", line=lineno, column=column) from None


#: Text parsed per call: big enough for pyarrow to parse blocks on every core, small enough to
#: keep memory flat (a chunk, its parsed table and the row group being written).
CHUNK_BYTES = 4 << 20


def _chunks(stream: BinaryIO) -> Iterator[memoryview]:
    """The rest of ``stream`` in pieces of about ``CHUNK_BYTES`` that end at a line end.

    Each piece is read straight into its own buffer behind the previous piece's unfinished
    line, so the text is copied once (``tail + block`` then a slice copied each 4 MB twice
    more: ~0.3 CPU s per 4M-row pair file)."""
    readinto = getattr(stream, "readinto", None) or (lambda b: _read_into(stream, b))
    tail = b""
    while True:
        buf = bytearray(len(tail) + CHUNK_BYTES)
        view = memoryview(buf)
        view[:len(tail)] = tail
        filled = len(tail)
        while filled < len(buf):
            n = readinto(view[filled:])
            if not n:  # end of the stream: the rest, whatever its last line
                if filled:
                    yield view[:filled]
                return
            filled += n
        cut = buf.rfind(b"\n") + 1
        if cut == 0:  # no line end yet: read on behind it
            tail = buf
            continue
        tail = bytes(view[cut:])
        yield view[:cut]


def _read_into(stream: BinaryIO, buf: memoryview) -> int:
    """``readinto`` for a stream that only has ``read`` (one more copy)."""
    data = stream.read(len(buf))
    buf[:len(data)] = data
    return len(data)


def parse_chunk(chunk: bytes | memoryview, column_names: list[str], types: dict[str, pa.DataType],
                delimiter: str = "\t") -> pa.Table:
    """Whole lines of headerless tab-separated text (or CSV, ``delimiter=','``) as a typed
    table, parsed in parallel. A carriage return inside a line is refused (ArrowInvalid, as
    Arrow's own refusals): Arrow would take it for a line end and split the line in two."""
    if _LONE_CR.search(chunk):
        raise pa.ArrowInvalid("a carriage return (\\r) inside a line")
    return pacsv.read_csv(
        pa.py_buffer(chunk),
        read_options=pacsv.ReadOptions(column_names=column_names, block_size=BLOCK_SIZE,
                                       use_threads=True),
        parse_options=_PARSE if delimiter == "\t" else _csv_parse(delimiter),
        convert_options=_convert(types),
    )


#: A carriage return that does not end a line (one before LF, or the last byte of the text).
_LONE_CR = re.compile(rb"\r(?!\n|\Z)")

_PARSE = pacsv.ParseOptions(delimiter="\t", quote_char=False, double_quote=False,
                            escape_char=False, ignore_empty_lines=True)


def _csv_parse(delimiter: str) -> pacsv.ParseOptions:
    """CSV as R's write.csv writes it: fields may be double-quoted (quotes doubled inside)."""
    return pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                              escape_char=False, ignore_empty_lines=True)


def _convert(types: dict[str, pa.DataType]) -> pacsv.ConvertOptions:
    return pacsv.ConvertOptions(
        column_types=types,
        null_values=list(NA_TOKENS),
        strings_can_be_null=True,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
        quoted_strings_can_be_null=False,
    )


class RetryLenient(Exception):
    """The fast reader refused a file that has no error line by line: read it leniently."""


def iter_typed(
    name: str,
    opener: Opener,
    types: dict[str, pa.DataType],
    *,
    header: bool = True,
    lenient_retry: bool = True,
    delimiter: str = "\t",
) -> Iterator[tuple[list[str], pa.RecordBatch]]:
    """Yield ``(header, batch)`` for a tab-separated file whose column types are ``types``.

    Columns missing from ``types`` are read as strings. On any parse or stream error, the file is
    re-read by :func:`diagnose` and a :class:`FormatError` is raised; if that finds nothing wrong
    (integers written as ``12.0``), :class:`RetryLenient` tells the caller to start the file
    again with :func:`read_lenient`.
    """
    stream = opener()
    try:
        cols = read_header(name, stream, delimiter) if header else list(types)
        if header and len(cols) == 1 and cols[0] == "":
            raise FormatError(name, "empty header line", line=1)
        try:
            col_types = {c: types.get(c, pa.string()) for c in cols}
            for chunk in _chunks(stream):
                # one batch per chunk: the shape steps' compute calls then run on ~40k rows
                # at a time, not ~9k (per-call costs: 224 -> 139 ms per 1M variant ids)
                parsed = parse_chunk(chunk, cols, col_types, delimiter).combine_chunks()
                for batch in parsed.to_batches():
                    yield cols, batch
        except (pa.ArrowInvalid, pa.ArrowException, *STREAM_ERRORS) as err:
            stream.close()
            diagnose(name, opener, types, header=header, cause=err, delimiter=delimiter)
            if lenient_retry:
                raise RetryLenient(name) from err
            raise _unparsed(name, err, cols) from err
    finally:
        stream.close()


def _unparsed(name: str, err: BaseException, cols: list[str]) -> FormatError:
    """The last resort, when the line-by-line check finds nothing the fast reader refused:
    Arrow's message, with its column number put as the column's name."""
    text = str(err).strip()
    m = re.search(r"CSV column #(\d+)", text)
    column = cols[int(m.group(1))] if m and int(m.group(1)) < len(cols) else None
    return FormatError(name, f"the fast reader refused a value ({text}); check the values of "
                       "that column, fix them or re-download the file, and ingest again",
                       column=column)


def _expected(t: pa.DataType) -> str | None:
    if pa.types.is_floating(t):
        return "a number"
    if pa.types.is_integer(t):
        return "an integer"
    if pa.types.is_boolean(t):
        return "True or False"
    return None


#: A number as the fast reader (Arrow) reads it: ASCII digits, an optional sign, fraction and
#: exponent, inf/infinity/nan in any case, spaces or tabs around it. Not Python's float()
#: syntax, which also takes ``1_000`` and non-ASCII digits (``١``).
_NUMBER = re.compile(r"[ \t]*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
                     r"|inf(?:inity)?|nan)[ \t]*", re.IGNORECASE)


def _value_ok(value: str, t: pa.DataType) -> bool:
    """Whether the fast reader (or, for an integer written ``12.0``, :func:`read_lenient`)
    reads ``value`` as type ``t``."""
    if value in NA_TOKENS:
        return True
    if pa.types.is_floating(t):
        return _NUMBER.fullmatch(value) is not None
    if pa.types.is_integer(t):
        if _NUMBER.fullmatch(value) is None:
            return False
        f = float(value)
        if not math.isfinite(f) or f != int(f):
            return False
        return abs(f) < 2**31 if t == pa.int32() else abs(f) < 2**63
    if pa.types.is_boolean(t):
        return value in TRUE_VALUES or value in FALSE_VALUES
    return True


def diagnose(
    name: str,
    opener: Opener,
    types: dict[str, pa.DataType],
    *,
    header: bool = True,
    cause: BaseException | None = None,
    delimiter: str = "\t",
) -> None:
    """Re-read a file that the fast reader refused and raise a FormatError naming the spot.

    Returns normally only if no problem is found line by line (then the caller raises with the
    original cause); a file that only fails the fast path for a value this check accepts (e.g.
    an integer written ``12.0``) is handled by :func:`read_lenient`.
    """
    lineno = 0
    stream = opener()
    try:
        cols = read_header(name, stream, delimiter) if header else list(types)
        lineno = 1 if header else 0
        ncols = len(cols)
        checks = [(i, c, types.get(c, pa.string())) for i, c in enumerate(cols)]
        checks = [(i, c, t) for i, c, t in checks if _expected(t) is not None]
        while True:
            try:
                raw = stream.readline()
            except STREAM_ERRORS as err:
                raise FormatError(
                    name, f"the compressed stream is broken or truncated ({err}); "
                    "re-download the file", line=lineno + 1
                ) from err
            if not raw:
                break
            lineno += 1
            text = decode_line(name, raw, lineno, cols, delimiter)
            text = text[:-1] if text.endswith("\n") else text
            text = text[:-1] if text.endswith("\r") else text  # a CR LF line end
            if text == "":
                continue
            if "\r" in text:  # the fast reader would split the line there
                at = text.count(delimiter, 0, text.index("\r"))
                raise FormatError(
                    name, "a carriage return (\\r) inside the line (an old Mac line end, or "
                    "pasted into a value); save the file with LF or CR LF line ends and ingest "
                    "again", line=lineno, column=cols[at] if at < ncols else None)
            fields = split_line(text, delimiter)
            if len(fields) != ncols:
                sep = "tab-separated" if delimiter == "\t" else f"{delimiter!r}-separated"
                raise FormatError(
                    name, "wrong number of fields", line=lineno,
                    expected=f"{ncols} {sep} fields", found=f"{len(fields)} fields",
                )
            for i, c, t in checks:
                if not _value_ok(fields[i], t):
                    raise FormatError(name, "", line=lineno, column=c, expected=_expected(t),
                                      found=fields[i])
    finally:
        stream.close()
    if isinstance(cause, STREAM_ERRORS) and not isinstance(cause, pa.ArrowException):
        raise FormatError(name, f"the compressed stream is broken ({cause}); re-download the "
                          "file", line=lineno) from cause


def read_lenient(
    name: str, opener: Opener, types: dict[str, pa.DataType], *, header: bool = True,
    delimiter: str = "\t",
) -> Iterator[tuple[list[str], pa.RecordBatch]]:
    """Slow path for files whose integers are written as floats (``12.0``, release-format 7.26).

    Integer columns are read as doubles and cast back after checking they are whole.
    """
    relaxed = {c: (pa.float64() if pa.types.is_integer(t) else t) for c, t in types.items()}
    for cols, batch in iter_typed(name, opener, relaxed, header=header, lenient_retry=False,
                                  delimiter=delimiter):
        arrays = []
        for col, arr in zip(cols, batch.columns, strict=True):
            want = types.get(col)
            if want is not None and pa.types.is_integer(want):
                arr = arr.cast(want)  # safe cast: fails on fractions, caught by diagnose
            arrays.append(arr)
        yield cols, pa.RecordBatch.from_arrays(arrays, names=cols)


def iter_lines(name: str, opener: Opener) -> Iterator[tuple[int, list[str]]]:
    """Non-blank lines of a small headerless file (rat_ids, fastq_map), split on tabs, with
    1-based line numbers."""
    stream = opener()
    try:
        lineno = 0
        while True:
            try:
                raw = stream.readline()
            except STREAM_ERRORS as err:
                raise FormatError(name, f"the stream is broken or truncated ({err})",
                                  line=lineno + 1) from err
            if not raw:
                break
            lineno += 1
            if lineno == 1:
                raw = strip_bom(raw)
            text = decode_line(name, raw, lineno, None).rstrip("\r\n")
            if text.strip() == "":
                continue
            yield lineno, text.split("\t")
    finally:
        stream.close()
