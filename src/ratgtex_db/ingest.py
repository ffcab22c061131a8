"""Orchestration of ``ingest``: discover -> plan -> convert (read/shape/write) -> commit.

Each file is converted into staging Parquet without touching the catalog; converted files are
then committed in groups by :mod:`ratgtex_db.lake` (objects moved into the store, one new catalog
snapshot published per group, ``lake/`` re-linked). A failing file leaves its previous partition
as it was; readers never wait on an ingest, nor an ingest on readers.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ratgtex_db import catalog, lake
from ratgtex_db.discover import SourceFile, discover
from ratgtex_db.errors import ConfigError, RatgtexError
from ratgtex_db.manifest import FAILED, INGESTED, SKIPPED, ManifestRow, now, sha256_file
from ratgtex_db.paths import catalog_path, resolve_db_dir, staging_dir
from ratgtex_db.readers.text import RetryLenient
from ratgtex_db.registry import Match
from ratgtex_db.shape import LAYOUTS, NOTE, PRESORTED_LAYOUTS, ROWS_READ, Source
from ratgtex_db.tables import TABLES
from ratgtex_db.write import PartitionWriter, SplitWriter, hive_dir, table_writer


@dataclass
class FileResult:
    """What happened to one source file in a run."""

    path: str
    kind: str | None
    status: str
    message: str | None = None
    rows_read: int = 0
    rows_written: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0


@dataclass
class IngestReport:
    """The outcome of an ingest run; ``failed`` lists files that did not ingest."""

    db_dir: Path
    results: list[FileResult] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    seconds: float = 0.0
    dry_run: bool = False

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.status == FAILED]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)


@dataclass(frozen=True)
class Output:
    """One staged Parquet file of a conversion: its table, the partition values its rows gave
    (``Table.row_partition_keys``; empty for the others, whose partition is the file name's),
    its path in staging and its rows."""

    table: str
    partition: dict[str, str]
    path: str
    rows: int


@dataclass
class _Converted:
    outputs: list[Output]
    rows_read: int
    seconds: float
    message: str | None = None  # e.g. records a reader skipped (recorded in the manifest)

    def path_of(self, table: str) -> str:
        """The staged file of ``table`` (one whose partition is the file name's)."""
        (path,) = [o.path for o in self.outputs if o.table == table]
        return path


# --- conversion (runs in a worker process when --jobs > 1) ---------------------------------


def convert(path: str, match: Match, staging: str) -> _Converted:
    """Read, shape and write one source file into staging Parquet, one file per table."""
    t0 = time.perf_counter()
    kind = match.kind
    layout = LAYOUTS[kind.layout]
    src = Source(name=path, path=path, scratch=staging)
    lenient = False
    while True:
        writers: dict[str, PartitionWriter | SplitWriter] = {}
        first_table_rows = 0
        lines: int | None = None  # set when the layout reports source lines (wide files)
        notes: list[str] = []
        try:
            for table_name in kind.tables:
                writers[table_name] = table_writer(
                    TABLES[table_name], Path(staging), presorted=kind.layout in PRESORTED_LAYOUTS)
            for table_name, data in layout(src, kind, match.values, lenient):
                if table_name == ROWS_READ:
                    lines = (lines or 0) + data
                elif table_name == NOTE:
                    notes.append(str(data))
                else:
                    writers[table_name].write(data)
                    if table_name == kind.tables[0]:
                        first_table_rows += data.num_rows
            outputs = [Output(t, part, str(path), n) for t, w in writers.items()
                       for part, path, n in w.finish()]
            if not any(w.rows for w in writers.values()):  # release-format 7.23: kept empty
                notes.append("no rows (a header-only file): its partition is now empty")
            break
        except RetryLenient:
            for w in writers.values():
                w.abort()
            if lenient:
                raise
            lenient = True
        except BaseException:
            for w in writers.values():
                w.abort()
            raise
    rows_read = first_table_rows if lines is None else lines
    # Hand the file's Arrow buffers back to the system: the pool would otherwise keep the high
    # water mark of every file it has seen, and a run reads hundreds of files.
    pa.default_memory_pool().release_unused()
    return _Converted(outputs, rows_read, time.perf_counter() - t0, "; ".join(notes) or None)


# --- the run ---------------------------------------------------------------------------------


def _manifest_snapshot(db_dir: Path) -> tuple[dict[str, tuple], dict[str, list[tuple]]]:
    if not catalog_path(db_dir).exists():
        return {}, {}
    con = catalog.connect(db_dir)
    try:
        catalog.check_schema(con, catalog_path(db_dir))
        rows = con.execute(
            "SELECT path, sha256, status, kind FROM ingested_files"
        ).fetchall()
    finally:
        con.close()
    by_path = {r[0]: r for r in rows}
    by_sha: dict[str, list[tuple]] = {}
    for r in rows:
        if r[1]:
            by_sha.setdefault(r[1], []).append(r)
    return by_path, by_sha


def _row(sf: SourceFile, status: str, message: str | None, size: int, sha: str | None,
         rows_read: int | None = None, rows_written: int | None = None) -> ManifestRow:
    vals = sf.match.partition if sf.match else {}
    values = sf.match.values if sf.match else {}
    return ManifestRow(
        path=str(sf.path),
        kind=sf.match.kind.name if sf.match else None,
        version=values.get("version"),
        tissue=vals.get("tissue", values.get("tissue")),
        modality=vals.get("modality", values.get("modality")),
        bytes=size,
        sha256=sha,
        rows_read=rows_read,
        rows_written=rows_written,
        status=status,
        message=message,
        synthetic=sf.synthetic,
        ingested_at=now(),
    )


def _copy_reason(sf: SourceFile, sha: str, plan: list[SourceFile], sha_of: Callable[[Path], str],
                 by_sha: dict[str, list[tuple]]) -> str | None:
    """The registry's reason if ``sf`` is a byte copy of another release file (its twin in this
    run, or one already ingested), else None."""
    assert sf.match is not None
    rule = sf.match.kind.copy_of
    if rule is None or not rule.applies(sf.match.values):
        return None
    twin = next((o for o in plan if o.match and o is not sf
                 and rule.is_twin(sf.match.values, o.match.kind.name, o.match.values)), None)
    if twin is not None and sha_of(twin.path) == sha:
        return rule.reason
    if any(r[3] == rule.kind and r[2] == INGESTED for r in by_sha.get(sha, [])):
        return rule.reason
    return None


Progress = Callable[[str, dict], None]


def ingest(
    sources: Iterable[str | os.PathLike[str]],
    db: str | os.PathLike[str] | None = None,
    *,
    force: bool = False,
    jobs: int = 1,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest release files or folders into the database at ``db``.

    Parameters
    ----------
    sources : files or directory trees, any layout; kinds are recognised by file name.
    db : database directory (default: ``$RATGTEX_DB`` or the user data directory).
    force : re-ingest files even when unchanged since the last run.
    jobs : files converted in parallel (worker processes); commits stay one at a time.
    dry_run : only report what would be done.
    progress : optional callback ``(event, info)`` with events ``start``, ``file``, ``done``.

    Returns
    -------
    IngestReport; files that failed are in ``report.failed`` (the others were ingested).

    Raises
    ------
    ConfigError : a source does not exist, or holds no release file (nothing is created).
    IngestError : another ingest is running into the same database.
    """
    t_run = time.perf_counter()
    db_dir = resolve_db_dir(db)
    report = IngestReport(db_dir=db_dir, dry_run=dry_run)
    notify = progress or (lambda event, info: None)
    sources = list(sources)
    found = discover(sources)
    if not any(sf.match is not None or sf.error is not None for sf in found):
        names = ", ".join(str(s) for s in sources)
        raise ConfigError(
            f"{names}: no RatGTEx release file found ({len(found)} file(s) looked at, none "
            "named like a release file: see release-format section 1.2); nothing was ingested"
        )
    if dry_run:
        by_path, by_sha = _manifest_snapshot(db_dir)
        _plan(found, db_dir, report, by_path, by_sha, force, dry_run=True,
              committer=None, notify=notify)
        report.seconds = time.perf_counter() - t_run
        return report
    db_dir.mkdir(parents=True, exist_ok=True)
    with lake.IngestLock(db_dir):
        lake.ensure(db_dir)
        try:
            by_path, by_sha = _manifest_snapshot(db_dir)
        except catalog.LegacyCatalog:
            lake.migrate(db_dir)
            by_path, by_sha = _manifest_snapshot(db_dir)
        if lake.needs_maintenance(db_dir):  # a crash to recover from, or garbage now due
            lake.recover(db_dir)
        committer = _Committer(db_dir, report, notify)
        todo = _plan(found, db_dir, report, by_path, by_sha, force, dry_run=False,
                     committer=committer, notify=notify)
        staging = staging_dir(db_dir)
        _run(db_dir, todo, staging, jobs, committer, notify)
        shutil.rmtree(staging, ignore_errors=True)
        lake.gc(db_dir)
    report.seconds = time.perf_counter() - t_run
    notify("done", {"report": report})
    return report


def _plan(found: list[SourceFile], db_dir: Path, report: IngestReport,
          by_path: dict[str, tuple], by_sha: dict[str, list[tuple]], force: bool, *,
          dry_run: bool, committer: _Committer | None, notify: Progress
          ) -> list[tuple[SourceFile, int, str]]:
    """Sort files into to-do, unchanged, skipped (with the reason) and misnamed; the last two
    are recorded through ``committer`` (in the next snapshot)."""
    matched = [sf for sf in found if sf.match is not None]
    for sf in found:
        if sf.match is None and sf.error is None:
            report.unknown.append(str(sf.path))
    todo: list[tuple[SourceFile, int, str]] = []
    hashes: dict[Path, str] = {}

    def sha_of(path: Path) -> str:  # a copy and its twin are each read once
        if path not in hashes:
            hashes[path] = sha256_file(path)
        return hashes[path]

    def settled(sf: SourceFile, status: str, reason: str | None, size: int,
                sha: str | None) -> None:
        res = FileResult(str(sf.path), sf.match.kind.name if sf.match else None, status, reason,
                         bytes_in=size)
        if committer is not None:
            committer.record(_row(sf, status, reason, size, sha), res)
        else:
            report.results.append(res)
            notify("file", {"result": res})

    notify("start", {"files": len(found), "bytes": sum(sf.path.stat().st_size for sf in found)})
    for sf in found:
        if sf.match is None and sf.error is None:
            continue
        size = sf.path.stat().st_size
        if sf.error is not None:
            settled(sf, FAILED, sf.error, size, None)
            continue
        kind = sf.match.kind
        if kind.layout == "skip" or kind.layout not in LAYOUTS:
            reason = kind.skip_reason or f"no reader for {kind.layout} files in this version"
            settled(sf, SKIPPED, reason, size, None)
            continue
        sha = sha_of(sf.path)
        prev = by_path.get(str(sf.path))
        if not force and prev and prev[1] == sha and prev[2] == INGESTED:
            res = FileResult(str(sf.path), kind.name, SKIPPED, "unchanged since last ingest",
                             bytes_in=size)
            report.results.append(res)
            notify("file", {"result": res})
            continue
        reason = _copy_reason(sf, sha, matched, sha_of, by_sha)
        if reason is not None:
            settled(sf, SKIPPED, reason, size, sha)
            continue
        todo.append((sf, size, sha))
    if dry_run:
        for sf, size, _ in todo:
            report.results.append(FileResult(str(sf.path), sf.match.kind.name, "planned",
                                             bytes_in=size))
    return todo


def _failure_message(sf: SourceFile, err: BaseException) -> str:
    if isinstance(err, RatgtexError):
        return str(err)
    if isinstance(err, (OSError, ValueError, duckdb.Error)):
        return f"{sf.path}: {type(err).__name__}: {err}"
    return (f"{sf.path}: {type(err).__name__}: {err} (unexpected: the file may use a feature "
            "the readers lack; please report it with the file's name and this message)")


_Item = tuple[SourceFile, _Converted, int, str]


class _Committer:
    """Commits converted files in groups, at most ``GROUP_SECONDS`` after the first of a group
    was converted (and at the end).

    Each commit publishes one catalog snapshot (a copy of the catalog, changed and renamed into
    place: tens of milliseconds); a release has hundreds of small files, so one per file would
    cost more than converting them. Files recorded without data (skipped, failed) ride along
    with the next commit. If a group's commit fails, its halves are committed apart, down to the
    file at fault, which alone fails.
    """

    GROUP_SECONDS = 1.0
    GROUP_FILES = 64

    def __init__(self, db_dir: Path, report: IngestReport, notify: Progress) -> None:
        self.db_dir, self.report, self.notify = db_dir, report, notify
        self.pending: list[_Item] = []
        self.rows: list[tuple[ManifestRow, FileResult]] = []
        self.since = 0.0

    def record(self, row: ManifestRow, res: FileResult) -> None:
        """A manifest row with no data (skipped, failed), committed with the next group."""
        if not self.rows and not self.pending:
            self.since = time.perf_counter()
        self.rows.append((row, res))
        self._maybe_flush()

    def add(self, sf: SourceFile, conv: _Converted, size: int, sha: str) -> None:
        if not self.pending and not self.rows:
            self.since = time.perf_counter()
        self.pending.append((sf, conv, size, sha))
        self._maybe_flush()

    def failed(self, sf: SourceFile, size: int, sha: str | None, err: BaseException) -> None:
        message = _failure_message(sf, err)
        self.record(_row(sf, FAILED, message, size, sha),
                    FileResult(str(sf.path), sf.match.kind.name if sf.match else None, FAILED,
                               message, bytes_in=size))

    def _maybe_flush(self) -> None:
        if (len(self.pending) + len(self.rows) >= self.GROUP_FILES
                or time.perf_counter() - self.since >= self.GROUP_SECONDS):
            self.flush()

    def flush(self) -> None:
        group, self.pending = self.pending, []
        rows, self.rows = self.rows, []
        if group or rows:
            self._commit(group, rows)

    def _commit(self, group: list[_Item], rows: list[tuple[ManifestRow, FileResult]]) -> None:
        t0 = time.perf_counter()
        changes = [lake.Change(row) for row, _ in rows]
        for sf, conv, size, sha in group:
            assert sf.match is not None
            staged = tuple(
                lake.Staged(o.table, hive_dir(TABLES[o.table], {**sf.match.partition,
                                                               **o.partition}),
                            Path(o.path), o.rows)
                for o in conv.outputs
            )
            row = _row(sf, INGESTED, conv.message, size, sha, conv.rows_read,
                       sum(o.rows for o in conv.outputs))
            changes.append(lake.Change(row, staged, sf.match.kind.tables))
        try:
            written = lake.commit(self.db_dir, changes)
        except (RatgtexError, OSError, duckdb.Error) as err:
            if len(group) + len(rows) > 1:  # find the file at fault: split the group
                items: list = [("row", r) for r in rows] + [("file", g) for g in group]
                half = len(items) // 2
                for part in (items[:half], items[half:]):
                    self._commit([x for k, x in part if k == "file"],
                                 [x for k, x in part if k == "row"])
                return
            if rows:  # even the manifest row alone cannot be written: the catalog is broken
                raise
            sf, conv, size, sha = group[0]
            _discard(conv)
            message = _failure_message(sf, err)
            self._commit([], [(_row(sf, FAILED, message, size, sha),
                               FileResult(str(sf.path), sf.match.kind.name if sf.match else None,
                                          FAILED, message, bytes_in=size))])
            return
        for _, res in rows:
            self.report.results.append(res)
            self.notify("file", {"result": res})
        share = (time.perf_counter() - t0) / max(1, len(group))
        for (sf, conv, size, _sha), (out_bytes, note) in zip(group, written[len(rows):],
                                                              strict=True):
            said = "; ".join(m for m in (conv.message, note) if m) or None
            res = FileResult(str(sf.path), sf.match.kind.name if sf.match else None, INGESTED,
                             said, conv.rows_read, sum(o.rows for o in conv.outputs),
                             size, out_bytes, conv.seconds + share)
            self.report.results.append(res)
            self.notify("file", {"result": res})


def _discard(conv: _Converted) -> None:
    for o in conv.outputs:
        Path(o.path).unlink(missing_ok=True)


#: Errors of converting one file: recorded as that file's failure, the run goes on. Any
#: ``Exception``: a file some library cannot read (an encrypted zip member, Pyarrow refusing a
#: value) or a bug of ours must not throw away the other files of the run; an interrupt does.
CONVERT_ERRORS = (Exception,)


def _run(db_dir: Path, todo: list[tuple[SourceFile, int, str]], staging: Path, jobs: int,
         committer: _Committer, notify: Progress) -> None:
    # Largest first balances workers; commits happen here, in groups, one at a time.
    order = sorted(todo, key=lambda t: -t[1]) if jobs > 1 else todo
    try:
        if jobs <= 1:
            for sf, size, sha in order:
                notify("begin", {"path": str(sf.path), "bytes": size})
                try:
                    conv = convert(str(sf.path), sf.match, str(staging))
                except CONVERT_ERRORS as err:
                    committer.failed(sf, size, sha, err)
                    continue
                committer.add(sf, conv, size, sha)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {
                    pool.submit(convert, str(sf.path), sf.match, str(staging)): (sf, size, sha)
                    for sf, size, sha in order
                }
                for fut in as_completed(futures):
                    sf, size, sha = futures[fut]
                    try:
                        conv = fut.result()
                    except CONVERT_ERRORS as err:
                        committer.failed(sf, size, sha, err)
                        continue
                    committer.add(sf, conv, size, sha)
    except BaseException:
        for _sf, conv, _size, _sha in committer.pending:  # interrupted: nothing half-done
            _discard(conv)
        committer.pending = []
        raise
    committer.flush()
