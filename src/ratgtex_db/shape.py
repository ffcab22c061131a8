"""From typed source batches to contract-table batches: wide -> long, id splitting, renames.

Each ``layout`` of the registry has one generator here; all share the signature
``(source, kind, values, lenient) -> Iterator[(table_name, pa.Table)]`` and are chosen through
the :data:`LAYOUTS` table. Errors name file lines: the reader skips blank lines, so a row's
line is found by :func:`file_line` (a re-read of the file, paid only on the way to an error).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ratgtex_db.errors import FormatError, SchemaError
from ratgtex_db.readers import NOTE, ROWS_READ
from ratgtex_db.readers.text import (
    STREAM_ERRORS,
    decode_line,
    iter_lines,
    iter_typed,
    maybe_gunzip,
    open_path,
    parse_chunk,
    read_header,
    read_lenient,
)
from ratgtex_db.readers.zip import iter_members, member_example
from ratgtex_db.registry import NA_TOKENS, TISSUES, Col, FileKind
from ratgtex_db.release import TISSUE_ALIASES, canonical_tissue
from ratgtex_db.tables import TABLES, Table

Batches = Iterator[tuple[str, pa.Table]]
#: The file line of a row of the batch at hand (its index in the batch).
LineOf = Callable[[int], int | None]


@dataclass(frozen=True)
class Source:
    """A file to read: ``name`` is what messages show, ``path`` where the bytes are, or
    ``content`` for a zip member already read (small, one gene). ``scratch``: a directory for
    temporary files of the shape step (the ingest's staging, beside the database), else the
    system's temporary directory."""

    name: str
    path: str
    content: bytes | None = None
    scratch: str | None = None

    def opener(self) -> BinaryIO:
        if self.content is not None:
            return maybe_gunzip(io.BytesIO(self.content))
        return open_path(self.path)


# --- file lines of rows --------------------------------------------------------------------


def file_line(src: Source, row: int, *, header: bool = True, delimiter: str = "\t") -> int:
    """The file line (1-based) of data row ``row`` (0-based, in the reader's order).

    The reader skips blank lines, so the line is not ``row + 2`` once a blank line came
    before: the file is read again up to the row (only ever on the way to an error)."""
    guess = row + 1 + int(header)
    try:
        stream = src.opener()
    except (FormatError, *STREAM_ERRORS):
        return guess
    try:
        lineno = 0
        if header:
            stream.readline()
            lineno = 1
        if delimiter != "\t":  # CSV: a quoted field may span lines
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
            reader = csv.reader(text, delimiter=delimiter)
            seen, start = -1, lineno
            for record in reader:
                first = start + 1
                start = lineno + reader.line_num
                if not record:
                    continue
                seen += 1
                if seen == row:
                    return first
            return guess
        seen = -1
        for raw in iter(stream.readline, b""):
            lineno += 1
            if raw.rstrip(b"\r\n") == b"":
                continue
            seen += 1
            if seen == row:
                return lineno
    except STREAM_ERRORS:
        pass
    finally:
        stream.close()
    return guess


def lines_from(src: Source, before: int, *, header: bool = True, delimiter: str = "\t"
               ) -> LineOf:
    """:data:`LineOf` for a batch whose first row is data row ``before`` of ``src``."""
    return lambda i: file_line(src, before + i, header=header, delimiter=delimiter)


def _no_line(i: int) -> None:
    """:data:`LineOf` where the caller reads the rows again to name the line (zip chunks)."""
    return None


def _first(mask: pa.Array) -> int:
    """Index of the first true value of a boolean array (NULL counts as false)."""
    return int(pc.index(pc.fill_null(mask, False), pa.scalar(True)).as_py())


# --- checks of a batch's values ------------------------------------------------------------


def required_headers(columns: Iterable[Col], rename: dict[str, str]) -> list[str]:
    """The header names (of a bound header) of the columns no row may leave empty
    (:attr:`Col.required`)."""
    return [h for col in columns if col.required
            for h in (col.source, *col.aliases) if h in rename]


def check_required(name: str, arrays: Iterable[tuple[str, pa.Array | pa.ChunkedArray]],
                   line_of: LineOf) -> None:
    """A FormatError naming the first empty (or NA) value of an id column that every row
    must have (``arrays``: header name, values). One null count per column and batch; the
    row is looked for only when there is one."""
    for column, arr in arrays:
        if arr.null_count:
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            i = _first(pc.is_null(arr))
            raise FormatError(
                name, f"empty (or NA) {column}: every row of this file has one "
                "(release-format 3); fix or remove that line, or re-download the file, and "
                "ingest again", line=line_of(i), column=column)


def check_tissues(name: str, arr: pa.Array | pa.ChunkedArray, version: str, column: str,
                  line_of: LineOf) -> None:
    """A FormatError naming the first value of a tissue column (already in the views'
    labels: :func:`canonical_tissue`) that is not a tissue of ``version``, the list its file
    names are checked against."""
    known = TISSUES.get(version)
    # the study archives' own tissue columns: release-format 10 does not say their labels
    # (the metadata CSV spells LHB, Acbc, ...), so a study file is not refused for one
    if known is None or version.startswith("study:"):
        return
    allowed = pa.array(known, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    distinct = pc.unique(arr.drop_null())
    if pc.all(pc.is_in(distinct, value_set=allowed)).as_py() is not False:
        return
    i = _first(pc.invert(pc.is_in(arr, value_set=allowed)))
    raise FormatError(
        name, f"{arr[i].as_py()!r} is not a {version} tissue (known: {', '.join(known)}); "
        f"check that this is a {version} file (a file of another version goes in its own "
        "folder), or fix that line and ingest again", line=line_of(i), column=column)


# --- pure column steps ---------------------------------------------------------------------


def normalize_chrom(arr: pa.Array) -> pa.Array:
    """Chromosome names in the lake's ``chrN`` form (release-format 7.13): bare ``1``..``20``,
    ``X``, ``Y`` (v1/v2) get ``chr``; ``MT`` / ``M`` / ``chrMT`` are ``chrM``; names that are
    not chromosomes (scaffolds such as ``AABR07024041.1``) and ``chr...`` names stay as they
    are."""
    arr = pc.cast(arr, pa.string())
    bare = pc.match_substring_regex(arr, r"^([0-9]+|X|Y)$")
    mito = pc.match_substring_regex(arr, r"^(MT|M|chrMT)$")
    out = pc.if_else(pc.fill_null(bare, False), pc.binary_join_element_wise("chr", arr, ""),
                     arr)
    return pc.if_else(pc.fill_null(mito, False), pa.scalar("chrM"), out)


def per_distinct(arr: pa.Array | pa.ChunkedArray, fn: Callable[[pa.Array], pa.Array]
                 ) -> pa.Array:
    """``fn`` computed once per distinct value and expanded back to every row (NULL stays NULL).

    Ids repeat heavily in pair files (a phenotype has hundreds of pairs, a variant pairs with
    every phenotype near it), so string work on the distinct values is several times cheaper.
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    encoded = pc.dictionary_encode(arr)
    return pc.take(fn(encoded.dictionary), encoded.indices)


def gene_from_phenotype(pid: pa.Array, rule: str = "pantry") -> pa.Array:
    """The gene of each phenotype id (release-format 2.4): ``pantry`` ids (v4) carry it
    before the first ``__`` (the whole id when there is none); ``leafcutter`` ids of v1-v3
    (``chr1:100:200:clu_7_+:Gene``) after the last ``:``."""
    if rule == "leafcutter":
        return per_distinct(pid, lambda p: pc.extract_regex(p, r"(?P<g>[^:]*)$").field("g"))
    return per_distinct(pid, lambda p: pc.list_element(pc.split_pattern(p, "__", max_splits=1),
                                                        0))


_VARIANT_RE = r"^(?P<chrom>[^:]+):(?P<pos>[0-9]+)$"


def _split_plain(ids: pa.Array) -> tuple[pa.Array, pa.Array] | None:
    """(chrom, pos) of distinct ``chrN:pos`` ids split at the colon, or None when any id is not
    exactly that (no colon, an empty name, a position that is not digits or exceeds INTEGER):
    the regex then finds and names the bad one. Half the CPU of the regex on a pair file."""
    if len(ids) == 0:
        return None
    parts = pc.split_pattern(ids, ":", max_splits=1)
    if pc.min(pc.list_value_length(parts)).as_py() != 2:
        return None
    chrom = pc.list_element(parts, 0)
    text = pc.list_element(parts, 1)
    if pc.min(pc.binary_length(chrom)).as_py() == 0 or pc.any(pc.starts_with(text, "-")).as_py():
        return None
    try:
        pos = pc.cast(text, pa.int32())  # digits only: a sign, space or other text fails
    except pa.ArrowInvalid:
        return None
    return chrom, pos


def split_variant(name: str, vid: pa.Array, line_of: LineOf, column: str = "variant_id"
                  ) -> tuple[pa.Array, pa.Array]:
    """``chrN:pos`` -> (chrom 'chrN', pos INTEGER); a malformed id is a FormatError naming
    the line (``line_of``: the file line of a row of ``vid``) and ``column``."""
    if isinstance(vid, pa.ChunkedArray):
        vid = vid.combine_chunks()
    encoded = pc.dictionary_encode(vid)
    ids = encoded.dictionary
    split = _split_plain(ids)
    if split is None:  # some id is not plain chrN:pos: the regex splits, or names the bad one
        parts = pc.extract_regex(ids, _VARIANT_RE)
        chrom = pc.struct_field(parts, "chrom")
        if chrom.null_count:
            _bad_variant(name, vid, pc.filter(ids, pc.is_null(chrom)), line_of, column,
                         "a variant id chrN:pos")
        text = pc.struct_field(parts, "pos")
        try:
            pos = pc.cast(text, pa.int32())
        except pa.ArrowInvalid:
            big = pc.greater(pc.cast(text, pa.float64()), float(2**31 - 1))
            _bad_variant(name, vid, pc.filter(ids, big), line_of, column,
                         "a variant id chrN:pos with a position below 2^31")
        split = chrom, pos
    chrom, pos = split
    # a chromosome's name recurs in every id on it: normalized once per distinct name (the
    # regexes on each distinct id cost half of this function: 1.07 -> 0.50 CPU s per 4M rows)
    return (pc.take(per_distinct(chrom, normalize_chrom), encoded.indices),
            pc.take(pos, encoded.indices))


def _bad_variant(name: str, vid: pa.Array, bad_ids: pa.Array, line_of: LineOf, column: str,
                 expected: str) -> None:
    """Raise the FormatError naming the first row of ``vid`` whose id is in ``bad_ids``."""
    i = _first(pc.is_in(vid, value_set=bad_ids))
    raise FormatError(name, "", line=line_of(i), column=column, expected=expected,
                      found=str(vid[i].as_py()))


def finite_or_null(arr: pa.Array) -> pa.Array:
    """NaN and +-Inf -> NULL (contract: non-finite numbers are NULL)."""
    if not pa.types.is_floating(arr.type) or len(arr) == 0:
        return arr
    return pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, arr.type))


def conform(table: Table, data: dict[str, pa.Array], n: int) -> pa.Table:
    """Order, type and fill (NULL) the stored columns of ``table`` from named arrays."""
    arrays = []
    for col, typ in table.columns:
        arr = data.get(col)
        if arr is None:
            arr = pa.nulls(n, typ)
        else:
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            if pa.types.is_dictionary(arr.type) and arr.type.value_type == typ:
                pass  # written as the same Parquet string column (see write.py)
            elif arr.type != typ:
                arr = pc.cast(arr, typ)
            arr = finite_or_null(arr)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=table.column_names)


def derive(name: str, table: Table, data: dict[str, pa.Array], line_of: LineOf,
           gene_rule: str = "pantry", headers: dict[str, str] | None = None) -> None:
    """Add the columns a contract table derives from ids: gene_id, chrom, pos. A file that
    has chrom and pos beside variant_id (top_assoc, all_gene_esnps) must name the id's place
    (architecture 3: chrom and pos are the id's). ``line_of`` gives the file line of a row,
    ``headers`` the file's name of a contract column (messages name the file's column)."""
    want = set(table.column_names)
    if "gene_id" in want and "gene_id" not in data and "phenotype_id" in data:
        data["gene_id"] = gene_from_phenotype(data["phenotype_id"], gene_rule)
    raw_chrom = data.get("chrom")
    if raw_chrom is not None:  # from the file: v1/v2 write bare numbers
        data["chrom"] = per_distinct(raw_chrom, normalize_chrom)
    if "variant_id" in data and ("chrom" in want or "pos" in want):
        named = (headers or {}).get
        if "chrom" not in data or "pos" not in data:
            chrom, pos = split_variant(name, data["variant_id"], line_of,
                                       named("variant_id", "variant_id"))  # normalized
            data.setdefault("chrom", chrom)
            data.setdefault("pos", pos)
        else:
            _same_place(name, data, raw_chrom, line_of, named)


def _same_place(name: str, data: dict[str, pa.Array], raw_chrom: pa.Array, line_of: LineOf,
                named: Callable[[str, str], str]) -> None:
    """The file's chrom (normalized) and pos agree with its variant_id, row by row, else a
    FormatError naming the first row that does not; a NULL chrom or pos takes the id's.

    One string comparison per row (``chrom:pos`` against the id); the id is split only when
    that finds a difference or a NULL (an id written ``chr1:0100`` names the same place)."""
    vid = data["variant_id"]
    if isinstance(vid, pa.ChunkedArray):
        vid = vid.combine_chunks()
    if pa.types.is_dictionary(vid.type):
        vid = vid.cast(vid.type.value_type)
    chrom, pos = data["chrom"], data["pos"]
    if isinstance(pos, pa.ChunkedArray):
        pos = pos.combine_chunks()
    if len(vid) == 0:
        return
    same = pc.equal(pc.binary_join_element_wise(chrom, pc.cast(pos, pa.string()), ":"), vid)
    if same.null_count == 0 and pc.all(same).as_py():
        return
    vchrom, vpos = split_variant(name, vid, line_of, named("variant_id", "variant_id"))
    for ours, theirs, contract, raw in ((chrom, vchrom, "chrom", raw_chrom),
                                        (pos, vpos, "pos", pos)):
        differs = pc.not_equal(ours, theirs)
        if pc.any(differs).as_py():
            i = _first(differs)
            raise FormatError(
                name, "", line=line_of(i), column=named(contract, contract),
                expected=f"{theirs[i].as_py()}, the {contract} of variant_id "
                         f"{vid[i].as_py()!r}", found=str(raw[i].as_py()))
    data["chrom"] = pc.coalesce(chrom, vchrom)
    data["pos"] = pc.coalesce(pos, vpos)


# --- header helpers ----------------------------------------------------------------------


def peek_header(src: Source, delimiter: str = "\t") -> list[str]:
    stream = src.opener()
    try:
        header = read_header(src.name, stream, delimiter)
    finally:
        stream.close()
    if header == [""]:
        raise FormatError(src.name, "empty header line", line=1)
    return header


@dataclass(frozen=True)
class Bound:
    """A file's header bound to a kind's declared columns (by name, aliases included)."""

    types: dict[str, pa.DataType]  # header name -> Arrow type (declared columns only)
    rename: dict[str, str]  # header name -> contract name ('' = read, not stored)
    fixed: list[str]  # the header names of the declared columns, in header order

    def source_of(self, contract: str) -> str:
        return next(h for h, n in self.rename.items() if n == contract)


#: What to do about a header that is not the one its file name promises.
_RIGHT_FILE = ("is this the right file for its name? re-download it, or rename the file after "
               "what it holds")


def expected_header(columns: tuple) -> str:
    """The declared columns as a header line (optional ones marked), for messages."""
    return ", ".join(c.source + (" (optional)" if c.optional else "") for c in columns
                     if not c.dropped)


def check_names(name: str, header: list[str], what: str = "column") -> None:
    """Every header field has a name, and none twice (a SchemaError saying what to do)."""
    seen: set[str] = set()
    for i, col in enumerate(header, start=1):
        if not col.strip():
            last = " (a tab at the end of the line?)" if i == len(header) else ""
            raise SchemaError(
                f"{name}:1: {what} {i} of the header has no name{last}; every column needs "
                "one: remove the empty column (or the stray tab) from every line, or "
                "re-download the file, and ingest again")
        if col in seen:
            raise SchemaError(
                f"{name}:1: {what} {col!r} appears twice in the header; rename or remove "
                "one of the two columns (with its values on every line), or "
                "re-download the file")
        seen.add(col)


def bind_header(name: str, header: list[str], columns: tuple, *, exact: bool = True) -> Bound:
    """Match a header line to declared columns: each required column present once (under
    its name or an alias), optional ones where present; with ``exact`` nothing else."""
    check_names(name, header)
    seen = set(header)
    types: dict[str, pa.DataType] = {}
    rename: dict[str, str] = {}
    missing = []
    for col in columns:
        found = [h for h in (col.source, *col.aliases) if h in seen]
        if len(found) > 1:
            raise SchemaError(f"{name}:1: the header has both {found[0]!r} and {found[1]!r}, "
                              "two names of one column; remove one of them")
        if not found:
            if not col.optional:
                missing.append(col.source)
            continue
        types[found[0]] = col.type
        rename[found[0]] = col.name
    if missing:
        raise SchemaError(
            f"{name}:1: header lacks column(s) {', '.join(map(repr, missing))}; "
            f"found {', '.join(header)}; {_RIGHT_FILE} (the expected header is "
            f"{expected_header(columns)})"
        )
    if exact:
        extra = [c for c in header if c not in rename]
        if extra:
            raise SchemaError(
                f"{name}:1: unexpected column(s) {', '.join(map(repr, extra))} in the header; "
                f"expected {expected_header(columns)}; {_RIGHT_FILE}, or remove the column(s)"
            )
    return Bound(types, rename, [h for h in header if h in rename])


def _reader(lenient: bool) -> Callable[..., Iterator[tuple[list[str], pa.RecordBatch]]]:
    return read_lenient if lenient else iter_typed


# --- layouts -------------------------------------------------------------------------------


def constants(table: Table, kind: FileKind, values: dict[str, str]) -> dict[str, str]:
    """Stored columns whose value the file's name or folder implies for every row (a study
    file without a tissue column: the kind's fixed ``tissue``)."""
    implied = {**values, **dict(kind.fixed)}
    return {c: implied[c] for c in table.column_names if c in implied}


def shape_long(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    table = TABLES[kind.tables[0]]
    header = peek_header(src, kind.delimiter)
    bound = bind_header(src.name, header, kind.columns, exact=kind.strict)
    extra = [c for c in header if c not in bound.rename]
    if extra:
        yield NOTE, f"columns not stored (not in the format document): {', '.join(extra)}"
    for col in kind.columns:  # an optional or aliased column the registry says a word about
        if col.absent and col.name not in bound.rename.values():
            yield NOTE, f"{col.name} stored NULL: {col.absent}"
        if col.alias_note and any(a in bound.rename for a in col.aliases):
            yield NOTE, col.alias_note
    implied = constants(table, kind, values)
    # a v1/v2 file's own tissue column says the pre-2025 labels (NAcc, PL) that the views and
    # the file names call NAcc1, PL1 (release-format 5.1): one tissue, one id
    version = values.get("version", "")
    relabel = version in TISSUE_ALIASES and "tissue" not in implied
    required = required_headers(kind.columns, bound.rename)
    headers = {n: h for h, n in bound.rename.items() if n}
    # the file's own tissue column names tissues of its version, as its name would
    tissue_col = headers.get("tissue") if kind.release_tissues else None
    before = 0
    for cols, batch in _reader(lenient)(src.name, src.opener, bound.types,
                                        delimiter=kind.delimiter):
        line_of = lines_from(src, before, delimiter=kind.delimiter)
        idx = {c: i for i, c in enumerate(cols)}
        check_required(src.name, ((c, batch.column(idx[c])) for c in required), line_of)
        data = {bound.rename[c]: batch.column(i) for i, c in enumerate(cols)
                if bound.rename.get(c)}
        for col, value in implied.items():
            if col not in data:
                data[col] = _coded(pa.array(np.zeros(batch.num_rows, np.int32)),
                                   pa.array([value], pa.string()))
        if relabel and "tissue" in data:
            data["tissue"] = per_distinct(data["tissue"], lambda d: pa.array(
                [canonical_tissue(version, t) for t in d.to_pylist()], pa.string()))
        if tissue_col is not None:
            check_tissues(src.name, data["tissue"], version, tissue_col, line_of)
        derive(src.name, table, data, line_of, kind.gene_rule, headers)
        yield table.name, conform(table, data, batch.num_rows)
        before += batch.num_rows


def _wide(src: Source, kind: FileKind, value_type: pa.DataType
          ) -> tuple[Bound, list[str], dict[str, pa.DataType]]:
    """Bind the declared (fixed) columns; every other column is a value column."""
    header = peek_header(src)
    bound = bind_header(src.name, header, kind.columns, exact=False)
    rest = [c for c in header if c not in bound.rename]
    types = dict(bound.types)
    types.update({c: value_type for c in rest})
    return bound, rest, types


def _matrix(batch: pa.RecordBatch, cols: list[str], rest: list[str]) -> np.ndarray:
    """The ``rest`` columns of ``batch`` as one float64 matrix, a row per batch row."""
    idx = {c: i for i, c in enumerate(cols)}
    mat = np.empty((batch.num_rows, len(rest)), dtype=np.float64)
    for j, c in enumerate(rest):
        mat[:, j] = batch.column(idx[c]).to_numpy(zero_copy_only=False)
    return mat


def _melted(mat: np.ndarray) -> tuple[pa.Array, pa.Array, pa.Array]:
    """The values of ``mat`` row by row (row-major: a phenotype's values side by side, which
    compresses ~10% better than column-major), with the matrix row and column of each value
    (int32 indices). Missing and non-finite values become NULL."""
    n, width = mat.shape
    if width == 0 or n == 0:
        empty = pa.array([], pa.int32())
        return pa.array([], pa.float64()), empty, empty
    flat = mat.ravel()
    values = pa.array(flat, type=pa.float64(), mask=~np.isfinite(flat))
    rows = pa.array(np.repeat(np.arange(n, dtype=np.int32), width))
    which = pa.array(np.tile(np.arange(width, dtype=np.int32), n))
    return values, rows, which


def _melt(batch: pa.RecordBatch, cols: list[str], rest: list[str]
          ) -> tuple[pa.Array, pa.Array, pa.Array]:
    """:func:`_melted` of the ``rest`` columns of ``batch``."""
    return _melted(_matrix(batch, cols, rest))


class WideSort:
    """Wide matrix rows (one per phenotype or gene: its id columns and a row of values) put in
    their table's sort order (``Table.sort_key``, columns of the id table; ties keep the file's
    order) before they are melted, so that a gene's long rows are contiguous and each row group
    of the file has a narrow gene range.

    The value rows wait in an unnamed temporary file (in ``scratch``: the ingest puts it beside
    the database, not in a /tmp that may be memory) and are read back memory-mapped, a chunk at
    a time; only the id columns (tens of bytes per phenotype) are held. With no sort key,
    :meth:`add` hands each block straight back."""

    def __init__(self, sort_key: tuple[str, ...], width: int, chunk_values: int = 1 << 16,
                 scratch: str | None = None) -> None:
        self.sort_key = sort_key
        self.width = width
        self.scratch = scratch
        self._per_chunk = max(1, chunk_values // max(1, width))
        self._ids: list[pa.Table] = []
        self._file = None
        self._rows = 0

    def add(self, ids: pa.Table, values: np.ndarray) -> Iterator[tuple[pa.Table, np.ndarray]]:
        """Take one block; yields it back at once when there is nothing to sort."""
        if not self.sort_key:
            yield ids, values
            return
        if self._file is None:
            import tempfile

            self._file = tempfile.TemporaryFile(dir=self.scratch)
        self._file.write(np.ascontiguousarray(values, dtype=np.float64).tobytes())
        self._ids.append(ids)
        self._rows += ids.num_rows

    def sorted(self) -> Iterator[tuple[pa.Table, np.ndarray]]:
        """The blocks taken, in sort order, ``chunk_values`` values (at least a row) at a time."""
        if self._file is None:
            return
        try:
            if self._rows == 0:
                return
            self._file.flush()
            ids = pa.concat_tables(self._ids).combine_chunks()  # one chunk: cheap takes
            self._ids = []
            order = pc.sort_indices(
                ids.append_column("\x00row", pa.array(np.arange(self._rows, dtype=np.int64))),
                sort_keys=[(k, "ascending") for k in self.sort_key] + [("\x00row", "ascending")],
            ).to_numpy()
            values = (np.memmap(self._file, dtype=np.float64, mode="r",
                                shape=(self._rows, self.width))
                      if self.width else np.empty((self._rows, 0), dtype=np.float64))
            for i in range(0, self._rows, self._per_chunk):
                idx = order[i:i + self._per_chunk]
                yield ids.take(idx), np.asarray(values[idx])
            del values
        finally:
            self.close()

    def close(self) -> None:
        """Drop the rows taken (the temporary file goes with them)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._ids = []


def _tiled(names: list[str], n: int) -> pa.Array:
    """``names`` repeated for each of ``n`` rows, row-major."""
    return pc.take(pa.array(names, pa.string()),
                   pa.array(np.tile(np.arange(len(names), dtype=np.int64), n)))


def _coded(indices: pa.Array, values: pa.Array) -> pa.Array:
    """``values[indices]`` as a dictionary array: no string is copied per row, and the Parquet
    writer stores it as the dictionary-encoded string column it would have built anyway."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if values.null_count:  # a NULL cannot be a dictionary entry of a Parquet column
        return pc.take(values, indices)
    return pa.DictionaryArray.from_arrays(indices, values)


def melt_in_order(table: Table, batches: Iterator[tuple[list[str], pa.RecordBatch]],
                  rest: list[str], ids_of: Callable[[list[str], pa.RecordBatch], pa.Table],
                  rows_of: Callable[[pa.Table, np.ndarray], pa.Table],
                  scratch: str | None) -> Batches:
    """Wide ``batches`` as ``table``'s long rows in its sort order (:class:`WideSort`), with a
    ``ROWS_READ`` as each batch is read: ``ids_of`` gives a batch's id columns (one row per
    wide row), ``rows_of`` turns ids and their value rows (the ``rest`` columns) into rows."""
    wide = WideSort(table.sort_key, len(rest), scratch=scratch)
    try:
        for cols, batch in batches:
            mat = _matrix(batch, cols, rest)
            yield ROWS_READ, batch.num_rows
            for block in wide.add(ids_of(cols, batch), mat):
                yield table.name, rows_of(*block)
        for block in wide.sorted():
            yield table.name, rows_of(*block)
    finally:
        wide.close()  # a failed read leaves no temporary file open


def shape_bed(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """BED matrix (#chr, start, end, phenotype_id, one column per sample) -> long rows, in the
    table's sort order (:func:`melt_in_order`)."""
    table = TABLES[kind.tables[0]]
    bound, samples, types = _wide(src, kind, pa.float64())
    if not samples:  # rows without values: nothing to store, not an empty partition
        raise SchemaError(
            f"{src.name}:1: the header has no sample column after {', '.join(bound.fixed)}: "
            "a BED holds one column per sample (rat id) and there is no value to store; is "
            "this the right file for its name? re-download it")
    names = pa.array(samples, pa.string())
    required = required_headers(kind.columns, bound.rename)
    read = [0]  # data rows before the batch at hand

    def ids_of(cols: list[str], batch: pa.RecordBatch) -> pa.Table:
        idx = {c: i for i, c in enumerate(cols)}
        check_required(src.name, ((c, batch.column(idx[c])) for c in required),
                       lines_from(src, read[0]))
        read[0] += batch.num_rows
        pid = batch.column(idx[bound.source_of("phenotype_id")])
        return pa.table({
            "phenotype_id": pid,
            "gene_id": gene_from_phenotype(pid, kind.gene_rule),
            "chrom": per_distinct(batch.column(idx[bound.source_of("chrom")]), normalize_chrom),
            "tss": batch.column(idx[bound.source_of("tss")]),
        })

    def rows_of(ids: pa.Table, mat: np.ndarray) -> pa.Table:
        value, row, which = _melted(mat)
        data = {c: _coded(row, ids.column(c)) for c in ("phenotype_id", "gene_id", "chrom")}
        data["tss"] = pc.take(ids.column("tss"), row)
        data["rat_id"] = _coded(which, names)
        data["value"] = value
        return conform(table, data, len(value))

    yield from melt_in_order(table, _reader(lenient)(src.name, src.opener, types), samples,
                             ids_of, rows_of, src.scratch)


#: Layouts whose shape function yields each table's rows already in its sort order (the
#: writer then does not sort them again).
PRESORTED_LAYOUTS = frozenset({"bed", "raw_matrix"})


def _shape_matrix(src: Source, kind: FileKind, lenient: bool, var: str, value: str,
                  allowed: tuple[str, ...] | None = None, version: str = "") -> Batches:
    """A key column (the kind's one declared column) x named value columns -> long rows
    ``(key, var, value)``; ``allowed`` restricts the value columns' names."""
    table = TABLES[kind.tables[0]]
    bound, names, types = _wide(src, kind, pa.float64())
    if not names:
        what = f"{version} tissue" if allowed is not None else "sample (rat id)"
        raise SchemaError(
            f"{src.name}:1: the header has no {what} column after "
            f"{', '.join(bound.fixed)}: there is no value to store; is this the right file "
            "for its name? re-download it")
    for name in names if allowed is not None else ():
        if canonical_tissue(version, name) not in allowed:
            raise SchemaError(f"{src.name}:1: column {name!r} is not a {version} tissue "
                              f"(known: {', '.join(allowed)}); check that this is the "
                              f"{version} file (a file of another version goes in its own "
                              "folder), or rename or remove the column")
    key = kind.columns[0]
    key_source = bound.source_of(key.name)
    required = required_headers(kind.columns, bound.rename)
    labels = pa.array([canonical_tissue(version, n) if allowed is not None else n
                       for n in names], pa.string())
    before = 0
    for cols, batch in _reader(lenient)(src.name, src.opener, types):
        check_required(src.name, [(c, batch.column(cols.index(c))) for c in required],
                       lines_from(src, before))
        before += batch.num_rows
        values, rows, which = _melt(batch, cols, names)
        yield ROWS_READ, batch.num_rows
        data = {
            key.name: pc.take(batch.column(cols.index(key_source)), rows),
            var: pc.take(labels, which),
            value: values,
        }
        yield table.name, conform(table, data, len(values))


def shape_covar(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """Covariates: covariate rows x sample columns -> (covariate, rat_id, value)."""
    yield from _shape_matrix(src, kind, lenient, "rat_id", "value")


def shape_median(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """medianGeneExpression: geneId + one column per tissue -> (gene_id, tissue, median_tpm)."""
    yield from _shape_matrix(src, kind, lenient, "tissue", "median_tpm",
                             TISSUES[values["version"]], values["version"])


#: Per-tissue flag blocks of the gene table: v4 has the first three, v1-v3 also the splicing
#: ones (release-format 3.1, 5.2).
_FLAG_RE = re.compile(r"^(expr|testedEqtl|eqtl|altSplice|testedSqtl|sqtl)_(.+)$")
_FLAG_COLS = {"expr": "expressed", "testedEqtl": "tested_eqtl", "eqtl": "eqtl",
              "altSplice": "alt_splice", "testedSqtl": "tested_sqtl", "sqtl": "sqtl"}


def shape_gene(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """gene table: annotation -> ``genes``; expr_/testedEqtl_/eqtl_{tissue} -> long status."""
    genes, status = TABLES[kind.tables[0]], TABLES[kind.tables[1]]
    bound, flags, _ = _wide(src, kind, pa.bool_())
    known = TISSUES[values["version"]]
    by_tissue: dict[str, dict[str, str]] = {}
    for col in flags:
        m = _FLAG_RE.match(col)
        if not m or canonical_tissue(values["version"], m.group(2)) not in known:
            raise SchemaError(
                f"{src.name}:1: unexpected column {col!r}; expected a flag column (expr_, "
                f"testedEqtl_, eqtl_, altSplice_, testedSqtl_ or sqtl_) followed by a "
                f"{values['version']} tissue (known: {', '.join(known)}); check that this is "
                f"the {values['version']} gene table (a file of another version goes in its "
                "own folder), or rename or remove the column"
            )
        tissue = canonical_tissue(values["version"], m.group(2))
        by_tissue.setdefault(tissue, {})[_FLAG_COLS[m.group(1)]] = col
    tissues = sorted(by_tissue)
    types = dict(bound.types)
    types.update({c: pa.bool_() for c in flags})
    present = {f for cols in by_tissue.values() for f in cols}
    required = required_headers(kind.columns, bound.rename)
    headers = {n: h for h, n in bound.rename.items() if n}
    before = 0
    for cols, batch in _reader(lenient)(src.name, src.opener, types):
        n = batch.num_rows
        idx = {c: i for i, c in enumerate(cols)}
        line_of = lines_from(src, before)
        before += n
        check_required(src.name, ((c, batch.column(idx[c])) for c in required), line_of)
        data = {bound.rename[c]: batch.column(idx[c]) for c in bound.fixed if bound.rename[c]}
        derive(src.name, genes, data, line_of, headers=headers)
        yield genes.name, conform(genes, data, n)
        rows = pa.array(np.repeat(np.arange(n, dtype=np.int64), len(tissues)))
        out = {
            "gene_id": pc.take(batch.column(idx[bound.source_of("gene_id")]), rows),
            "tissue": _tiled(tissues, n),
        }
        for flag in _FLAG_COLS.values():
            if flag not in present:
                continue  # a block the version does not have: NULL (conform)
            parts = []
            for t in tissues:
                col = by_tissue[t].get(flag)
                parts.append(batch.column(idx[col]) if col else pa.nulls(n, pa.bool_()))
            # interleave: row-major (gene, tissue)
            stacked = np.column_stack([
                p.to_numpy(zero_copy_only=False).astype(object) for p in parts
            ]) if parts else np.empty((n, 0), dtype=object)
            out[flag] = pa.array(stacked.ravel().tolist(), pa.bool_())
        rows_out = conform(status, out, n * len(tissues))
        # the partition column: the writer stores each tissue's rows in its own partition
        yield status.name, rows_out.append_column("tissue", out["tissue"])


def shape_rat_ids(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """rat_ids.{tissue}: one rat id per line, no header (release-format 3.10)."""
    table = TABLES[kind.tables[0]]
    ids: list[str] = []
    for lineno, fields in iter_lines(src.name, src.opener):
        if len(fields) != 1 or not fields[0].strip():
            raise FormatError(src.name, "wrong number of fields", line=lineno,
                              expected="one rat id per line", found="\t".join(fields))
        ids.append(fields[0].strip())
    yield table.name, conform(table, {"rat_id": pa.array(ids, pa.string())}, len(ids))


def shape_fastq_map(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """fastq_map.{tissue}: ``fastq rat`` or ``fastq_1 fastq_2 rat`` lines, no header."""
    table = TABLES[kind.tables[0]]
    f1: list[str] = []
    f2: list[str | None] = []
    rat: list[str] = []
    for lineno, fields in iter_lines(src.name, src.opener):
        if len(fields) == 2:
            f1.append(fields[0])
            f2.append(None)
            rat.append(fields[1])
        elif len(fields) == 3:
            f1.append(fields[0])
            f2.append(fields[1])
            rat.append(fields[2])
        else:
            raise FormatError(src.name, "wrong number of fields", line=lineno,
                              expected="2 (single-end) or 3 (paired-end) tab-separated fields",
                              found=f"{len(fields)} fields")
    data = {
        "fastq_1": pa.array(f1, pa.string()),
        "fastq_2": pa.array(f2, pa.string()),
        "rat_id": pa.array(rat, pa.string()),
        "paired": pa.array([x is not None for x in f2], pa.bool_()),
    }
    yield table.name, conform(table, data, len(f1))


#: Text bytes of zip members parsed together (per-gene members are small: ~100 rows each).
ZIP_CHUNK_BYTES = 4 << 20


def shape_zip(src: Source, kind: FileKind, values: dict[str, str], lenient: bool) -> Batches:
    """Zip of per-gene TSVs (cis_pvals, all_gene_esnps): members streamed one at a time.

    Thousands of ~100-row members are parsed together, ~4 MiB of text per CSV parse, with
    the gene id of each member repeated over its rows; a chunk that fails is re-read member
    by member, which names the member, line and column at fault.
    """
    table = TABLES[kind.tables[0]]
    types = {c.source: c.type for c in kind.columns}
    rename = {c.source: c.name for c in kind.columns}
    checks = _ZipChecks(kind, values, rename)
    chunk: list[tuple[str, str, bytes]] = []
    size = 0
    header: bytes | None = None
    cols: list[str] = []
    members = 0
    for mname, gene, content in iter_members(src.name, src.path,
                                             member_pattern(kind.member, values)):
        members += 1
        first, _, body = content.partition(b"\n")
        if not first.strip():
            raise FormatError(mname, "empty file: expected a header line", line=1)
        if first != header:
            new_cols = decode_line(mname, first, 1, None).rstrip("\r").split("\t")
            bind_header(mname, new_cols, kind.columns)  # the kind's columns, nothing else
            if chunk:
                yield from _zip_chunk(src, chunk, cols, table, types, rename, lenient, checks)
            chunk, size, header, cols = [], 0, first, new_cols
        chunk.append((mname, gene, content))
        size += len(body)
        if size >= ZIP_CHUNK_BYTES:
            yield from _zip_chunk(src, chunk, cols, table, types, rename, lenient, checks)
            chunk, size = [], 0
    if chunk:
        yield from _zip_chunk(src, chunk, cols, table, types, rename, lenient, checks)
    if members == 0:  # as empty as a 0-byte text file: not an empty partition
        raise FormatError(
            src.name, "the archive has no member file; expected one file per gene named like "
            f"{member_example(src.name)}: re-download it")


def member_pattern(member: str | None, values: dict[str, str]) -> str | None:
    """The kind's member-name pattern (``{version}``, ``{tissue}``) for this archive: its
    members are of its own version and tissue (a ``BLA.v4.zip`` holds ``BLA.v4/{gene}.txt``,
    release-format 3.18, 7.20), under the tissue's name or an old label of it."""
    if member is None:
        return None
    version = values.get("version", "")
    out = member.replace("{version}", re.escape(version))
    if "{tissue}" in out:
        tissue = values.get("tissue", "")
        labels = sorted({tissue, *(old for old, new in TISSUE_ALIASES.get(version, {}).items()
                                   if new == tissue)})
        out = out.replace("{tissue}", "(?:" + "|".join(map(re.escape, labels)) + ")")
    return out


class _ZipChecks:
    """The value checks of a zip kind's member rows: required ids, release tissues."""

    def __init__(self, kind: FileKind, values: dict[str, str], rename: dict[str, str]
                 ) -> None:
        self.required = required_headers(kind.columns, rename)
        self.headers = {c.name: c.source for c in kind.columns if c.name}
        self.version = values.get("version", "")
        self.tissue = self.headers.get("tissue") if kind.release_tissues else None

    def __call__(self, name: str, cols: list[str], data: dict[str, pa.Array],
                 columns: list[pa.Array], line_of: LineOf) -> None:
        idx = {c: i for i, c in enumerate(cols)}
        check_required(name, ((c, columns[idx[c]]) for c in self.required if c in idx),
                       line_of)
        if self.tissue is not None and "tissue" in data:
            check_tissues(name, data["tissue"], self.version, self.tissue, line_of)


def _zip_chunk(src: Source, chunk: list[tuple[str, str, bytes]], cols: list[str],
               table: Table, types: dict[str, pa.DataType], rename: dict[str, str],
               lenient: bool, checks: _ZipChecks) -> Batches:
    """One table batch for a run of members with the same header; member by member if the
    run does not parse or check as a whole (then errors name the member and line)."""
    if not lenient:
        try:
            out = _zip_chunk_fast(src, chunk, cols, table, types, rename, checks)
        except (pa.ArrowException, FormatError, ValueError):
            out = None
        if out is not None:
            yield out
            return
    for mname, gene, content in chunk:
        member = Source(mname, src.path, content)
        before = 0
        for cols, batch in _reader(lenient)(mname, member.opener, types):
            n = batch.num_rows
            line_of = lines_from(member, before)
            before += n
            data = {rename[c]: batch.column(i) for i, c in enumerate(cols)}
            checks(mname, cols, data, batch.columns, line_of)
            data["gene_id"] = pa.array([gene] * n, pa.string())
            derive(mname, table, data, line_of, headers=checks.headers)
            yield table.name, conform(table, data, n)


def _zip_chunk_fast(src: Source, chunk: list[tuple[str, str, bytes]], cols: list[str],
                    table: Table, types: dict[str, pa.DataType], rename: dict[str, str],
                    checks: _ZipChecks) -> tuple[str, pa.Table] | None:
    """The members' rows parsed in one go, or None when the row count does not add up. A
    FormatError here has no line (rows of many members): the caller reads the members one
    by one to name it."""
    bodies: list[bytes] = []
    counts: list[int] = []
    for _mname, _gene, content in chunk:
        body = content.partition(b"\n")[2]
        if body and not body.endswith(b"\n"):
            body += b"\n"
        bodies.append(body)
        counts.append(sum(1 for ln in body.split(b"\n") if ln.strip(b"\r")))
    total = sum(counts)
    if total == 0:
        return None if any(bodies) else (table.name, conform(table, {}, 0))
    parsed = parse_chunk(b"".join(bodies), cols, {c: types.get(c, pa.string()) for c in cols})
    if parsed.num_rows != total:
        return None
    genes = pa.array([gene for _m, gene, _c in chunk], pa.string())
    columns = [parsed.column(i).combine_chunks() for i in range(len(cols))]
    data = {rename[c]: columns[i] for i, c in enumerate(cols)}
    checks(src.name, cols, data, columns, _no_line)
    data["gene_id"] = pc.take(genes, pa.array(np.repeat(np.arange(len(chunk)), counts)))
    derive(src.name, table, data, _no_line, headers=checks.headers)
    return table.name, conform(table, data, total)


LAYOUTS: dict[str, Callable[[Source, FileKind, dict[str, str], bool], Batches]] = {
    "long": shape_long,
    "bed": shape_bed,
    "covar": shape_covar,
    "median": shape_median,
    "gene": shape_gene,
    "rat_ids": shape_rat_ids,
    "fastq_map": shape_fastq_map,
    "zip": shape_zip,
}


def _register_vcf() -> None:
    from ratgtex_db.readers.vcf import shape_vcf

    LAYOUTS["vcf"] = shape_vcf


_register_vcf()


def _register_study() -> None:
    from ratgtex_db.shape_study import shape_metadata, shape_raw_matrix

    LAYOUTS["study_metadata"] = shape_metadata
    LAYOUTS["raw_matrix"] = shape_raw_matrix


_register_study()

__all__ = ["LAYOUTS", "NA_TOKENS", "NOTE", "ROWS_READ", "Source", "conform", "derive",
           "split_variant"]
