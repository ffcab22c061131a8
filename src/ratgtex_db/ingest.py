"""Orchestration of ``ingest``: discover -> plan -> convert (read/shape/write) -> commit.

Each file is converted into staging Parquet without touching the catalog; its commit then moves
the files into the lake and, in one short DuckDB transaction, updates ``_lake_files``, the
manifest and the ``_lake_`` views. A failing file leaves its previous partition as it was.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from ratgtex_db import catalog
from ratgtex_db.discover import SourceFile, discover
from ratgtex_db.errors import IngestError, RatgtexError
from ratgtex_db.manifest import FAILED, INGESTED, SKIPPED, ManifestRow, now, record, sha256_file
from ratgtex_db.paths import lake_dir, resolve_db_dir, staging_dir
from ratgtex_db.readers.text import RetryLenient
from ratgtex_db.registry import Match
from ratgtex_db.shape import LAYOUTS, NOTE, ROWS_READ, Source
from ratgtex_db.tables import TABLES
from ratgtex_db.write import PartitionWriter, hive_dir

LOCK_NAME = ".ingest.lock"


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


@dataclass
class _Converted:
    outputs: dict[str, tuple[str, int]]  # table -> (staging parquet path, rows)
    rows_read: int
    seconds: float
    message: str | None = None  # e.g. records a reader skipped (recorded in the manifest)


# --- conversion (runs in a worker process when --jobs > 1) ---------------------------------


def convert(path: str, match: Match, staging: str) -> _Converted:
    """Read, shape and write one source file into staging Parquet, one file per table."""
    t0 = time.perf_counter()
    kind = match.kind
    layout = LAYOUTS[kind.layout]
    src = Source(name=path, path=path)
    lenient = False
    while True:
        writers: dict[str, PartitionWriter] = {}
        first_table_rows = 0
        lines: int | None = None  # set when the layout reports source lines (wide files)
        notes: list[str] = []
        try:
            for table_name in kind.tables:
                writers[table_name] = PartitionWriter(TABLES[table_name], Path(staging))
            for table_name, data in layout(src, kind, match.values, lenient):
                if table_name == ROWS_READ:
                    lines = (lines or 0) + data
                elif table_name == NOTE:
                    notes.append(str(data))
                else:
                    writers[table_name].write(data)
                    if table_name == kind.tables[0]:
                        first_table_rows += data.num_rows
            outputs = {t: (str(w.close()), w.rows) for t, w in writers.items()}
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


class _IngestLock:
    """One ingest per database at a time: an exclusive ``flock`` on ``<db>/.ingest.lock``."""

    def __init__(self, db_dir: Path) -> None:
        self.path = db_dir / LOCK_NAME
        self.fd: int | None = None

    def __enter__(self) -> _IngestLock:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = os.pread(self.fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(self.fd)
            self.fd = None
            raise IngestError(
                f"another ingest is running into {self.path.parent} (pid {holder}); "
                "wait for it to finish, then run this one again"
            ) from err
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)


def _cleanup(db_dir: Path) -> None:
    """Remove what an interrupted run left: staging files and lake files no manifest names."""
    shutil.rmtree(staging_dir(db_dir), ignore_errors=True)
    lake = lake_dir(db_dir)
    if not lake.exists():
        return
    con = catalog.connect(db_dir, read_only=True)
    try:
        keep = {r[0] for r in con.execute("SELECT file FROM _lake_files").fetchall()}
    finally:
        con.close()
    for path in lake.rglob("*.parquet"):
        if path.relative_to(lake).as_posix() not in keep:
            path.unlink(missing_ok=True)


def _manifest_snapshot(db_dir: Path) -> tuple[dict[str, tuple], dict[str, list[tuple]]]:
    con = catalog.connect(db_dir, read_only=True)
    try:
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


@dataclass(frozen=True)
class _Moved:
    """One converted partition swapped into the lake (``staged`` is where it came from)."""

    file: int  # index of its source file in the group
    table: str
    partition: str
    rel: str  # path under the lake
    rows: int
    nbytes: int
    staged: Path


def _commit(db_dir: Path, group: list[tuple[SourceFile, _Converted, int, str]]) -> list[int]:
    """Swap the converted partitions of a group of files in and record them, in one catalog
    transaction; returns the bytes written per file.

    Each file stays all or nothing: its partitions are replaced and its manifest row written
    in the same transaction as the others of the group, or, on failure, none are.
    """
    lake = lake_dir(db_dir)
    moved: list[_Moved] = []

    def undo() -> None:
        # Back to staging, so that the files of a failed group can be committed one by one.
        for m in moved:
            try:
                os.replace(lake / m.rel, m.staged)
            except OSError:
                (lake / m.rel).unlink(missing_ok=True)

    try:
        for i, (sf, conv, _size, sha) in enumerate(group):
            assert sf.match is not None
            for table_name, (staged, rows) in conv.outputs.items():
                part = hive_dir(TABLES[table_name], sf.match.partition)
                dest_dir = lake / part
                dest_dir.mkdir(parents=True, exist_ok=True)
                stem = Path(sf.path.name).name.split(".")[0] or table_name
                dest = dest_dir / f"{stem}-{sha[:12]}-{uuid.uuid4().hex[:8]}.parquet"
                os.replace(staged, dest)
                moved.append(_Moved(i, table_name, part, dest.relative_to(lake).as_posix(), rows,
                                    dest.stat().st_size, Path(staged)))
        con = catalog.connect(db_dir, read_only=False)
    except BaseException:
        undo()
        raise
    old: list[str] = []
    try:
        con.execute("BEGIN TRANSACTION")
        for m in moved:
            prev = con.execute(
                "SELECT file FROM _lake_files WHERE table_name = ? AND partition = ?",
                [m.table, m.partition],
            ).fetchall()
            old.extend(p[0] for p in prev)
            con.execute("DELETE FROM _lake_files WHERE table_name = ? AND partition = ?",
                        [m.table, m.partition])
            con.execute("INSERT INTO _lake_files VALUES (?, ?, ?, ?, ?, ?)",
                        [m.table, m.partition, m.rel, m.rows, m.nbytes, str(group[m.file][0].path)])
        for i, (sf, conv, size, sha) in enumerate(group):
            rows_written = sum(m.rows for m in moved if m.file == i)
            record(con, _row(sf, INGESTED, conv.message, size, sha, conv.rows_read,
                             rows_written))
        catalog.refresh_lake_views(con, db_dir, sorted({m.table for m in moved}))
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        undo()
        raise
    finally:
        con.close()
    for rel in old:  # no longer named by the manifest (a later file of the group included)
        (lake / rel).unlink(missing_ok=True)
    return [sum(m.nbytes for m in moved if m.file == i) for i in range(len(group))]


def _record_only(db_dir: Path, row: ManifestRow) -> None:
    con = catalog.connect(db_dir, read_only=False)
    try:
        record(con, row)
    finally:
        con.close()


def _twin_of_tpm(sf: SourceFile, plan: list[SourceFile]) -> SourceFile | None:
    """The phenos expression unnorm file of the same version and tissue, if in this run."""
    assert sf.match is not None
    v = sf.match.values
    for other in plan:
        m = other.match
        if (m and m.kind.name == "phenos" and m.values.get("modality") == "expression"
                and m.values.get("norm") == "unnorm" and m.values.get("version") == v["version"]
                and m.values.get("tissue") == v["tissue"]):
            return other
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
    """
    t_run = time.perf_counter()
    db_dir = resolve_db_dir(db)
    report = IngestReport(db_dir=db_dir, dry_run=dry_run)
    notify = progress or (lambda event, info: None)
    found = discover(sources)
    if not dry_run:
        catalog.ensure(db_dir)
    with _IngestLock(db_dir) if not dry_run else _NoLock():
        if not dry_run:
            _cleanup(db_dir)
            by_path, by_sha = _manifest_snapshot(db_dir)
        else:
            by_path, by_sha = ({}, {}) if not (db_dir / "catalog.duckdb").exists() else \
                _manifest_snapshot(db_dir)
        staging = staging_dir(db_dir)
        matched = [sf for sf in found if sf.match is not None]
        for sf in found:
            if sf.match is None and sf.error is None:
                report.unknown.append(str(sf.path))
        todo: list[tuple[SourceFile, int, str]] = []
        hashes: dict[Path, str] = {}

        def sha_of(path: Path) -> str:  # a tpm copy and its twin are each read once
            if path not in hashes:
                hashes[path] = sha256_file(path)
            return hashes[path]

        notify("start", {"files": len(found), "bytes": sum(sf.path.stat().st_size for sf in found)})
        for sf in found:
            if sf.match is None and sf.error is None:
                continue
            size = sf.path.stat().st_size
            if sf.error is not None:
                res = FileResult(str(sf.path), None, FAILED, sf.error, bytes_in=size)
                report.results.append(res)
                if not dry_run:
                    _record_only(db_dir, _row(sf, FAILED, sf.error, size, None))
                notify("file", {"result": res})
                continue
            kind = sf.match.kind
            if kind.layout == "skip" or kind.layout not in LAYOUTS:
                reason = kind.skip_reason or f"no reader for {kind.layout} files in this version"
                res = FileResult(str(sf.path), kind.name, SKIPPED, reason, bytes_in=size)
                report.results.append(res)
                if not dry_run:
                    _record_only(db_dir, _row(sf, SKIPPED, reason, size, None))
                notify("file", {"result": res})
                continue
            sha = sha_of(sf.path)
            prev = by_path.get(str(sf.path))
            if not force and prev and prev[1] == sha and prev[2] == INGESTED:
                res = FileResult(str(sf.path), kind.name, SKIPPED, "unchanged since last ingest",
                                 bytes_in=size)
                report.results.append(res)
                notify("file", {"result": res})
                continue
            if kind.name == "expr" and sf.match.values.get("unit") == "tpm":
                twin = _twin_of_tpm(sf, matched)
                twin_sha = sha_of(twin.path) if twin else None
                ingested_twin = any(r[3] == "phenos" and r[2] == INGESTED
                                    for r in by_sha.get(sha, []))
                if twin_sha == sha or ingested_twin:
                    reason = ("copy: byte-identical to phenos expression unnorm of this tissue "
                              "(release-format 3.5); the expression view serves it as unit 'tpm'")
                    res = FileResult(str(sf.path), kind.name, SKIPPED, reason, bytes_in=size)
                    report.results.append(res)
                    if not dry_run:
                        _record_only(db_dir, _row(sf, SKIPPED, reason, size, sha))
                    notify("file", {"result": res})
                    continue
            todo.append((sf, size, sha))
        if dry_run:
            for sf, size, _ in todo:
                report.results.append(FileResult(str(sf.path), sf.match.kind.name, "planned",
                                                 bytes_in=size))
            report.seconds = time.perf_counter() - t_run
            return report
        _run(db_dir, todo, staging, jobs, report, notify)
        shutil.rmtree(staging, ignore_errors=True)
    report.seconds = time.perf_counter() - t_run
    notify("done", {"report": report})
    return report


class _NoLock:
    def __enter__(self) -> _NoLock:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _failed(db_dir: Path, sf: SourceFile, size: int, sha: str, err: BaseException,
            report: IngestReport, notify: Progress) -> None:
    kind = sf.match.kind.name if sf.match else None
    message = str(err) if isinstance(err, RatgtexError) else f"{type(err).__name__}: {err}"
    if not isinstance(err, RatgtexError):
        message = f"{sf.path}: {message}"
    _record_only(db_dir, _row(sf, FAILED, message, size, sha))
    res = FileResult(str(sf.path), kind, FAILED, message, bytes_in=size)
    report.results.append(res)
    notify("file", {"result": res})


class _Committer:
    """Commits converted files in groups, at most ``GROUP_SECONDS`` after the first of a group
    was converted (and at the end).

    A commit opens the catalog for writing, which costs tens of milliseconds (open, write,
    checkpoint on close); a release has hundreds of small files, so one commit per file would
    cost more than converting them. Readers still wait at most one short commit. If a group's
    commit fails, its files are committed one by one so that only the file at fault fails.
    """

    GROUP_SECONDS = 1.0
    GROUP_FILES = 64

    def __init__(self, db_dir: Path, report: IngestReport, notify: Progress) -> None:
        self.db_dir, self.report, self.notify = db_dir, report, notify
        self.pending: list[tuple[SourceFile, _Converted, int, str]] = []
        self.since = 0.0

    def add(self, sf: SourceFile, conv: _Converted, size: int, sha: str) -> None:
        if not self.pending:
            self.since = time.perf_counter()
        self.pending.append((sf, conv, size, sha))
        if (len(self.pending) >= self.GROUP_FILES
                or time.perf_counter() - self.since >= self.GROUP_SECONDS):
            self.flush()

    def flush(self) -> None:
        group, self.pending = self.pending, []
        if group:
            self._commit(group)

    def _commit(self, group: list[tuple[SourceFile, _Converted, int, str]]) -> None:
        t0 = time.perf_counter()
        try:
            written = _commit(self.db_dir, group)
        except (RatgtexError, OSError, duckdb.Error) as err:
            if len(group) > 1:  # find the file at fault: commit them one by one
                for item in group:
                    self._commit([item])
                return
            sf, conv, size, sha = group[0]
            _discard(conv)
            _failed(self.db_dir, sf, size, sha, err, self.report, self.notify)
            return
        share = (time.perf_counter() - t0) / len(group)
        for (sf, conv, size, _sha), out_bytes in zip(group, written, strict=True):
            res = FileResult(str(sf.path), sf.match.kind.name if sf.match else None, INGESTED,
                             None, conv.rows_read, sum(r for _, r in conv.outputs.values()),
                             size, out_bytes, conv.seconds + share)
            self.report.results.append(res)
            self.notify("file", {"result": res})


def _discard(conv: _Converted) -> None:
    for staged, _rows in conv.outputs.values():
        Path(staged).unlink(missing_ok=True)


def _run(db_dir: Path, todo: list[tuple[SourceFile, int, str]], staging: Path, jobs: int,
         report: IngestReport, notify: Progress) -> None:
    # Largest first balances workers; commits happen here, in groups, one at a time.
    order = sorted(todo, key=lambda t: -t[1]) if jobs > 1 else todo
    committer = _Committer(db_dir, report, notify)
    try:
        if jobs <= 1:
            for sf, size, sha in order:
                notify("begin", {"path": str(sf.path), "bytes": size})
                try:
                    conv = convert(str(sf.path), sf.match, str(staging))
                except (RatgtexError, OSError, ValueError, duckdb.Error) as err:
                    _failed(db_dir, sf, size, sha, err, report, notify)
                    continue
                committer.add(sf, conv, size, sha)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = {
                    pool.submit(convert, str(sf.path), sf.match, str(staging)): (sf, size, sha)
                    for sf, size, sha in order
                }
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    sf, size, sha = futures[fut]
                    try:
                        conv = fut.result()
                    except (RatgtexError, OSError, ValueError, duckdb.Error) as err:
                        _failed(db_dir, sf, size, sha, err, report, notify)
                        continue
                    committer.add(sf, conv, size, sha)
    except BaseException:
        for _sf, conv, _size, _sha in committer.pending:  # interrupted: nothing half-done
            _discard(conv)
        raise
    committer.flush()
