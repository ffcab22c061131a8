"""Write one table partition as zstd Parquet into staging, sorted if the table says so.

Rows are buffered into row groups (``Table.row_group_rows``) and streamed to disk; a sort, when
the table declares a sort key, is done by DuckDB with a memory limit so it spills to disk rather
than growing. The finished file is moved into the lake by the ingest commit.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ratgtex_db.tables import Table

ZSTD_LEVEL = 3
#: Row groups handed to the writer's thread at most at once: the parse runs on while the writer
#: catches up with a group that took longer (4M-row pair file, parse + shape + write alternated
#: three times: 5.77-6.38 s with one group waiting, 5.64-5.85 s with three).
PENDING_GROUPS = 3
#: Doubles get a higher level: 6-digit statistics parsed to doubles have near-random mantissas,
#: which zstd stores smaller above level 3. Level 4 (zstd's double-fast matcher with larger
#: tables) rather than 5 (its row-based greedy matcher, the writer thread's largest cost under
#: perf: the writer thread is the conversion's critical path). The bench's 4M-row signif file
#: alternated twice, conversion wall s / MB / lake over gz: level 5 5.00, 4.44 / 99.64 / 1.015x;
#: level 4 4.02, 3.42 / 101.56 / 1.035x; level 3 was no faster than 4 and 1.8% larger (an
#: independent 4M-row file: 5 4.03-4.27 s, 145.6 MB; 4 3.42-3.60 s, 147.4 MB; 3 3.57-3.68 s,
#: 150.2 MB).
DOUBLE_ZSTD_LEVEL = 4
#: DuckDB spills the sort of a big table to disk past this (measured: a 1 GB limit let the
#: sorts of the large release's xqtl tables hold ~0.6 GB after they finished).
SORT_MEMORY_LIMIT = "256MB"


#: A column gets dictionary pages when at most this share of a first batch's values differ
#: (by kind: string, integer, double). Strings: ids of phenotypes, genes, chromosomes and
#: samples; variant ids are smaller plain + zstd even where they repeat (rows come grouped by
#: gene in position order, which zstd matches better than dictionary indices): signif ~45%,
#: cis_pvals 1.01x -> 0.89x the gzip. A signif phenotype id repeats ~70-1,300 times (1.2-1.6%
#: distinct in the synthetic release): as a dictionary it takes 0.72 against 0.89 MB on the
#: 4M-row file, and DuckDB tests an equality filter once per dictionary entry. Integers: the
#: allele counts (3.6-4.8% distinct) are smaller plain (1.82 against 2.46 MB). Doubles are
#: mostly distinct 6-digit values, smaller plain; but a signif ``af`` is k/2n over the tissue's
#: rats (17-26% distinct in 8,192 rows): 4.38 against 5.10 MB as a dictionary.
DICTIONARY_MAX_DISTINCT: dict[str, float] = {"string": 0.05, "integer": 0.01, "double": 0.25}
#: Rows of the sample whose distinct shares decide the dictionaries and size the bloom filters
#: (a share falls as the sample grows: the pair files' allele counts flip to dictionaries, 1%
#: larger, when measured on a 38k-row first batch instead of the ~8.6k rows it was tuned on).
SAMPLE_ROWS = 8192


#: False-positive rate of the bloom filters: 1% costs ~10 bits per distinct id of a row group
#: (rounded up to a power of two bytes); a lookup then reads ~1% of the groups that lack the id.
BLOOM_FPP = 0.01



#: Rows per data page at most, in every table that declares no ``page_rows`` (pyarrow >= 19 writes
#: this by default; older ones cut pages by bytes alone, 1 MB). Even without a page index DuckDB
#: skips inflating the pages of a row group's columns that hold no selected row, so the cap speeds
#: up lookups in the tables without one: ``cis_pvals`` of the 23:03 release lake rewritten (13
#: files, 20 ids, three rounds), gene 22-28 ms against 32-37 ms uncapped, variant 91-100 against
#: 106-112 ms, for 30% more bytes (223 against 171 MB: zstd compresses a page alone, and a 64k-row
#: group's doubles in one page ~20% smaller than in four).
PAGE_ROWS = 20_000


def _kind(t: pa.DataType) -> str:
    """The key of ``DICTIONARY_MAX_DISTINCT`` for a column type (booleans count as strings)."""
    if pa.types.is_floating(t):
        return "double"
    return "integer" if pa.types.is_integer(t) else "string"


def _repeats(f: pa.Field, sample: pa.Table | None) -> bool:
    """Whether a column's values repeat enough for dictionary pages: at most the share of
    distinct values ``DICTIONARY_MAX_DISTINCT`` gives its kind in ``sample``; without a sample,
    every column but the doubles. Never binary or list columns (a list's leaf: see
    :func:`parquet_options`)."""
    if pa.types.is_binary(f.type) or pa.types.is_nested(f.type):
        return False
    if sample is None:
        return not pa.types.is_floating(f.type)
    return _distinct_share(sample.column(f.name)) <= DICTIONARY_MAX_DISTINCT[_kind(f.type)]


def _distinct_share(col: pa.Array | pa.ChunkedArray) -> float:
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    return pc.count_distinct(col).as_py() / max(1, len(col))


def parquet_options(schema: pa.Schema, sample: pa.Table | None = None, *,
                    bloom: tuple[str, ...] = (), delta: tuple[str, ...] = (),
                    dictionary: tuple[str, ...] = (),
                    row_group_rows: int = 256 * 1024, page_bytes: int | None = None,
                    page_rows: int | None = None) -> dict:
    """Writer options: zstd; dictionary pages for columns whose values repeat; bloom filters.

    Columns whose values repeat (``sample``, the first batch, decides by the share of distinct
    values, ``DICTIONARY_MAX_DISTINCT``) get dictionaries; mostly distinct ones (positions,
    TSS distances, variant ids of pair files, 6-digit statistics) are smaller and faster to
    write plain (doubles: plain + zstd measured smaller than byte-stream-split pages). The
    ``delta`` columns get delta pages instead (integers DELTA_BINARY_PACKED, strings
    DELTA_BYTE_ARRAY); the ``dictionary`` columns always get dictionaries. Without a sample
    every other non-double column gets a dictionary. The ``bloom`` columns get a bloom filter
    per row group sized for the distinct values a row group of ``row_group_rows`` holds (from
    the sample). ``page_bytes``: data pages of about this many bytes, and a page index. Pages
    hold at most ``page_rows`` rows (default ``PAGE_ROWS``).
    """
    dictionaries = []
    encoding: dict[str, str] = {}
    blooms: dict[str, dict] = {}
    if sample is not None and sample.num_rows < 100:
        sample = None
    if sample is not None:  # the same share whatever the size of the reader's first batch
        sample = sample.slice(0, SAMPLE_ROWS)
    for f in schema:
        if f.name in bloom:
            share = _distinct_share(sample.column(f.name)) if sample is not None else 1.0
            ndv = max(256, min(row_group_rows, int(2 * share * row_group_rows)))
            blooms[f.name] = {"ndv": ndv, "fpp": BLOOM_FPP}
        if f.name in delta:
            encoding[f.name] = ("DELTA_BINARY_PACKED" if pa.types.is_integer(f.type)
                                else "DELTA_BYTE_ARRAY")
        elif f.name in dictionary or _repeats(f, sample):
            dictionaries.append(f.name)
        elif pa.types.is_list(f.type) and pa.types.is_integer(f.type.value_type):
            # genotype dosages (three values): dictionary indices are half the bytes of plain
            # int8 and write as fast (bench/vcf.py)
            dictionaries.append(f"{f.name}.list.element")
    options = {
        "compression": "zstd",
        "compression_level": {f.name: DOUBLE_ZSTD_LEVEL if pa.types.is_floating(f.type)
                              else ZSTD_LEVEL for f in schema},
        "use_dictionary": dictionaries,
        "write_statistics": True,
    }
    if encoding:
        options["column_encoding"] = encoding
    if blooms and _writes_bloom_filters():
        options["bloom_filter_options"] = blooms
    if _writer_takes("max_rows_per_page"):
        options["max_rows_per_page"] = page_rows or PAGE_ROWS
    if _writer_takes("write_page_checksum"):  # a CRC per page: ``validate`` finds damage
        options["write_page_checksum"] = True
    if page_bytes:
        options["data_page_size"] = page_bytes
        options["write_page_index"] = True
    return options


@functools.cache
def _writer_takes(option: str) -> bool:
    import inspect

    return option in inspect.signature(pq.ParquetWriter.__init__).parameters


def _writes_bloom_filters() -> bool:
    """Recent pyarrow versions write bloom filters; older ones write the same lake
    without them (lookups then prune on statistics only)."""
    return _writer_takes("bloom_filter_options")


#: Rows a run of ``Table.block_sort`` holds in memory before it is ordered and written (~40 MB
#: of trans pairs; a real trans file's largest chromosome, ~10% of 0.5-5 M rows, fits whole).
BLOCK_ROWS = 512 * 1024


class RunSorter:
    """Order each run of rows sharing the first key column (in arrival order) by the other
    keys, stably; a run longer than ``max_rows`` is ordered in blocks of about that size (the
    cap is checked after each batch). Memory: one unfinished run (under ``max_rows`` rows plus
    a batch) and the batch being added."""

    def __init__(self, keys: tuple[str, ...], max_rows: int = BLOCK_ROWS) -> None:
        self.run_key, self.order = keys[0], [(k, "ascending") for k in keys[1:]]
        self.max_rows = max_rows
        self._buffer: list[pa.Table] = []
        self._rows = 0
        self._last: object = None  # the run key of the last buffered row

    def add(self, data: pa.Table) -> list[pa.Table]:
        """Buffer ``data``; return the runs (ordered) that it completes."""
        if data.num_rows == 0:
            return []
        key = _plain_column(data.column(self.run_key)).combine_chunks()
        out = []
        if self._buffer and key[0].as_py() != self._last:  # the buffered run ended (None == None)
            out += self._finish()
        # the last row where the run key changes: every row before it ends a run (a NULL key
        # is a value of its own: NULL next to anything else is a change)
        idx = pc.indices_nonzero(_changes(key))
        cut = idx[-1].as_py() + 1 if len(idx) else 0
        if cut:
            self._buffer.append(data.slice(0, cut))
            self._rows += cut
            out += self._finish(runs=True)
        self._buffer.append(data.slice(cut))
        self._rows += data.num_rows - cut
        self._last = key[len(key) - 1].as_py()
        if self._rows >= self.max_rows:
            out += self._finish()
        return out

    def finish(self) -> list[pa.Table]:
        """The last run, ordered."""
        return self._finish()

    def _finish(self, runs: bool = False) -> list[pa.Table]:
        """The buffered rows ordered, as one table; ``runs``: they may hold several runs, each
        ordered on its own (in arrival order)."""
        if not self._buffer:
            return []
        whole = pa.concat_tables(self._buffer)
        self._buffer, self._rows = [], 0
        order = self.order
        if runs:
            starts = _changes(_plain_column(whole.column(self.run_key)).combine_chunks()
                              ).cast(pa.int32())
            run = pa.concat_arrays([pa.array([0], pa.int32()), starts])
            whole = whole.append_column("\x00run", pc.cumulative_sum(run))
            order = [("\x00run", "ascending"), *order]
        # dictionary columns are ordered by their values: sort on plain copies of the keys
        keys = pa.table({f"\x00{name}": _plain_column(whole.column(name))
                         for name, _ in order})
        indices = pc.sort_indices(keys, sort_keys=[(f"\x00{n}", o) for n, o in order])
        whole = whole.take(indices)
        if runs:
            whole = whole.drop_columns(["\x00run"])
        return [whole]


def _changes(key: pa.Array) -> pa.Array:
    """Per row after the first, whether its key differs from the previous row's (NULLs equal
    each other and differ from every value)."""
    a, b = key.slice(1), key.slice(0, len(key) - 1)
    differ = pc.fill_null(pc.not_equal(a, b), True)
    both_null = pc.and_(pc.is_null(a), pc.is_null(b))
    return pc.and_not(differ, both_null)


def _plain_column(col: pa.ChunkedArray) -> pa.ChunkedArray:
    """A dictionary-coded column as its values (ordered and compared by value)."""
    return col.cast(col.type.value_type) if pa.types.is_dictionary(col.type) else col


class PartitionWriter:
    """Stream batches of one table into a Parquet file under ``staging``."""

    def __init__(self, table: Table, staging: Path, *, presorted: bool = False) -> None:
        self.table = table
        #: The rows come in the table's sort order (the shape step sorted them): not sorted again.
        self.presorted = presorted
        self.staging = staging
        staging.mkdir(parents=True, exist_ok=True)
        self.path = staging / f"{table.name}-{uuid.uuid4().hex[:12]}.parquet"
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self.rows = 0
        # Row groups are compressed and written on a second thread while the next batches are
        # parsed (both release the GIL); at most PENDING_GROUPS wait, so memory stays bounded.
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: deque[Future] = deque()
        self._runs = RunSorter(table.block_sort) if table.block_sort else None

    def _open(self, schema: pa.Schema, sample: pa.Table | None = None) -> None:
        """Start the file with the first batch's schema: the table's, except that string
        columns may come dictionary-encoded (the file stores a plain string column either way:
        the Arrow schema is not stored, so every reader sees the declared types)."""
        if _plain(schema) != self.table.schema:
            raise ValueError(f"{self.table.name}: batch schema {schema} does not match "
                             f"{self.table.schema}")
        self._schema = schema
        self._writer = pq.ParquetWriter(self.path, schema, store_schema=False,
                                        **parquet_options(
                                            self.table.schema, sample, bloom=self.table.bloom,
                                            delta=self.table.delta,
                                            dictionary=self.table.dictionary,
                                            row_group_rows=self.table.row_group_rows,
                                            page_bytes=self.table.page_bytes,
                                            page_rows=self.table.page_rows))

    def write(self, data: pa.Table) -> None:
        if self._schema is None:
            self._open(data.schema, data)
        elif data.schema != self._schema:
            data = data.cast(self._schema)
        if data.num_rows == 0:
            return
        if self._runs is None:
            self._append(data)
        else:
            for run in self._runs.add(data):
                self._append(run)

    def _append(self, data: pa.Table) -> None:
        self._buffer.append(data)
        self._buffered += data.num_rows
        self.rows += data.num_rows
        if self._buffered >= self.table.row_group_rows:
            self._flush(full_only=True)

    def _flush(self, full_only: bool = False) -> None:
        """Write the buffered rows; with ``full_only``, only whole row groups (the rest stays
        buffered), so that every row group but the last has exactly ``row_group_rows`` rows
        (uneven groups cost metadata per lookup and compress worse)."""
        if not self._buffer:
            return
        whole = pa.concat_tables(self._buffer)
        size = self.table.row_group_rows
        keep = whole.num_rows % size if full_only else 0
        if keep:
            whole, rest = whole.slice(0, whole.num_rows - keep), whole.slice(whole.num_rows - keep)
            self._buffer, self._buffered = [rest], keep
        else:
            self._buffer, self._buffered = [], 0
        self._wait(PENDING_GROUPS - 1)
        self._pending.append(self._pool.submit(self._writer.write_table, whole,
                                               row_group_size=size))

    def _wait(self, keep: int = 0) -> None:
        """Wait until at most ``keep`` row groups are still being written."""
        while len(self._pending) > keep:
            self._pending.popleft().result()

    def close(self) -> Path:
        """Finish the file (sorted if the table has a sort key) and return its path."""
        if self._runs is not None:
            for run in self._runs.finish():
                self._append(run)
        self._flush()
        self._wait()
        self._pool.shutdown()
        if self._writer is None:
            self._open(self.table.schema)
        self._writer.close()
        if self.table.sort_key and not self.presorted and self.rows > 1:
            return sort_parquet(self.path, self.table)
        return self.path

    def finish(self) -> list[tuple[dict[str, str], Path, int]]:
        """:meth:`close` as the one part every table writer returns: (partition values the
        rows gave: none here, path, rows)."""
        return [({}, self.close(), self.rows)]

    def abort(self) -> None:
        """Drop the file: row groups not yet written are cancelled, and an error of one being
        written is not raised (the caller is raising the error that made it abort)."""
        try:
            for pending in self._pending:
                pending.cancel()
            self._pool.shutdown(wait=True)
            self._pending.clear()
            if self._writer is not None:
                with contextlib.suppress(Exception):
                    self._writer.close()
        finally:
            self.path.unlink(missing_ok=True)


class SplitWriter:
    """Stream batches of a table whose rows carry partition values
    (:attr:`Table.row_partition_keys`) into one :class:`PartitionWriter` per value: each file
    goes to that value's hive directory, without the column."""

    def __init__(self, table: Table, staging: Path, *, presorted: bool = False) -> None:
        self.table = table
        self.staging = staging
        self.presorted = presorted
        self._writers: dict[tuple[str, ...], PartitionWriter] = {}

    @property
    def rows(self) -> int:
        return sum(w.rows for w in self._writers.values())

    def write(self, data: pa.Table) -> None:
        keys = list(self.table.row_partition_keys)
        missing = [k for k in keys if k not in data.column_names]
        if missing:
            raise ValueError(f"{self.table.name}: batch lacks its partition column(s) {missing}")
        if data.num_rows == 0:
            return
        plain = {k: data.column(k).cast(_plain(pa.schema([data.schema.field(k)]))[0].type)
                 for k in keys}
        for values in pa.table(plain).group_by(keys).aggregate([]).to_pylist():
            vals = tuple(values[k] for k in keys)
            for k, v in zip(keys, vals, strict=True):
                if v is None or not str(v) or "/" in str(v) or str(v).startswith((".", "_")):
                    raise ValueError(f"{self.table.name}: {k} value {v!r} cannot name a "
                                     "partition directory")
            mask = None
            for k, v in zip(keys, vals, strict=True):
                eq = pc.equal(plain[k], pa.scalar(v, plain[k].type))
                mask = eq if mask is None else pc.and_(mask, eq)
            writer = self._writers.get(vals)
            if writer is None:
                writer = self._writers[vals] = PartitionWriter(
                    self.table, self.staging, presorted=self.presorted)
            writer.write(data.filter(mask).drop_columns(keys))

    def finish(self) -> list[tuple[dict[str, str], Path, int]]:
        """One part per partition value, in value order; none if no rows came."""
        keys = self.table.row_partition_keys
        return [(dict(zip(keys, (str(v) for v in vals), strict=True)), w.close(), w.rows)
                for vals, w in sorted(self._writers.items())]

    def abort(self) -> None:
        for w in self._writers.values():
            w.abort()


def table_writer(table: Table, staging: Path, *,
                 presorted: bool = False) -> PartitionWriter | SplitWriter:
    """The writer of one table's rows from one source file."""
    cls = SplitWriter if table.row_partition_keys else PartitionWriter
    return cls(table, staging, presorted=presorted)


def _plain(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary columns as their value type."""
    return pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type)
                               else f.type, f.nullable) for f in schema])


def sort_parquet(path: Path, table: Table) -> Path:
    """Rewrite ``path`` sorted by the table's sort key, spilling to disk past the memory limit.

    DuckDB sorts; the sorted rows stream back, a row group at a time, into a
    :class:`PartitionWriter` with the table's own options (dictionaries, bloom filters, pages),
    which DuckDB's writer cannot set per column (it writes bloom filters only for
    dictionary-encoded columns)."""
    con = duckdb.connect()
    writer = PartitionWriter(table, path.parent, presorted=True)
    try:
        con.execute(f"SET memory_limit = '{SORT_MEMORY_LIMIT}'")
        con.execute("SET temp_directory = ?", [str(path.parent / "duckdb_tmp")])
        keys = ", ".join(_q(k) for k in table.sort_key)
        rel = con.sql(f"SELECT * FROM read_parquet({_literal(path)}) ORDER BY {keys}")
        fetch = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader
        for batch in fetch(table.row_group_rows):
            writer.write(pa.Table.from_batches([batch]).cast(table.schema))
        out = writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        con.close()
    path.unlink()
    return out


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def hive_dir(table: Table, partition: dict[str, str]) -> str:
    """``table/version=v4/tissue=BLA`` (only the keys the table has, in declared order)."""
    parts = [table.name]
    for key in table.partition_keys:
        parts.append(f"{key}={partition[key]}")
    return "/".join(parts)

