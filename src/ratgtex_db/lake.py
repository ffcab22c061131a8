"""Commits into a database directory: the ingest lock, the object store, catalog snapshots, the
visible hive lake, recovery after a crash and garbage collection.

Layout of ``<db>``::

    catalog.duckdb                 the current catalog snapshot (replaced by rename, never
                                   changed in place)
    lake/<table>/<k=v>/.../part-0.parquet
                                   the current file of each partition, for readers that glob
                                   the lake (a hard link to its object)
    .store/<table>/<k=v>/.../<stem>-<sha>-<id>.parquet
                                   immutable objects: what the catalog's views name
    .snapshots/catalog-<n>.duckdb  published snapshots (hard links of catalog.duckdb), kept
                                   while a reader holds one open
    .staging/                      files being converted
    .commit-pending                a commit between publishing its snapshot and re-linking lake/
    .ingest.lock                   one writer at a time

A commit moves the staged files into ``.store``, copies the current snapshot, changes the copy
(``lake_files``, manifest rows, the lake views of the changed tables), and renames it over
``catalog.duckdb``: readers that opened the old file keep it (DuckDB holds the file it opened),
new readers get the new one, nobody waits on anybody. Then each changed partition's file under
``lake/`` is replaced by a rename, so a glob reader sees the old or the new file of a partition,
never both. A crash (even ``kill -9``) at any point leaves the old or the new snapshot published;
the next command (:func:`maintain`, any ``ratgtex-db`` command) re-links ``lake/`` to match it.

Garbage collection removes a snapshot when no process holds it open (DuckDB keeps a lock on the
file it opened; the test is the same lock) and an object when no kept snapshot names it and it was
retired more than :data:`GRACE_SECONDS` ago.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb

from ratgtex_db import catalog, index
from ratgtex_db.errors import ConfigError, IngestError
from ratgtex_db.manifest import INGESTED, REPLACED, ManifestRow, record
from ratgtex_db.paths import (
    LOCK_NAME,
    PENDING_NAME,
    catalog_path,
    lake_dir,
    snapshots_dir,
    staging_dir,
    store_dir,
)

#: Name of a partition's file under ``lake/``: one file per partition, replaced by rename.
VISIBLE_NAME = "part-0.parquet"
#: Seconds a retired object stays after its last snapshot went (readers that opened a snapshot
#: a moment before it was superseded; ``RATGTEX_DB_GC_GRACE`` overrides).
GRACE_SECONDS = 120.0
#: Seconds a superseded snapshot stays even when nobody holds it (a reader between opening
#: the file and taking its lock).
SNAPSHOT_GRACE_SECONDS = 5.0
#: Written under ``.store`` when objects are waiting for their grace period to end.
GC_DUE_NAME = ".gc-due"


def grace_seconds() -> float:
    env = os.environ.get("RATGTEX_DB_GC_GRACE")
    try:
        return float(env) if env is not None else GRACE_SECONDS
    except ValueError:
        raise ConfigError(f"RATGTEX_DB_GC_GRACE={env!r}: expected a number of seconds") from None


# --- the writer's lock ----------------------------------------------------------------------


#: Seconds an ingest waits for a reader's upkeep (:func:`maintain`: garbage collection, the
#: snapshot of a copied directory) that holds the writer's lock; an ingest holding it is an
#: error at once.
MAINTENANCE_WAIT_SECONDS = 120.0


class IngestLock:
    """One writer per database at a time: an exclusive ``flock`` on ``<db>/.ingest.lock``.

    The holder writes ``pid role`` into the file: ``ingest``, or ``maintenance`` for a reader's
    short upkeep (:func:`maintain`). An ingest that finds the lock held by upkeep waits for it
    (readers must never make an ingest fail); held by another ingest, it is an error.
    ``quiet=True`` makes :meth:`acquire` return False at once instead.
    """

    def __init__(self, db_dir: Path, role: str = "ingest") -> None:
        self.path = db_dir / LOCK_NAME
        self.role = role
        self.fd: int | None = None

    def acquire(self, *, quiet: bool = False) -> bool:
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + MAINTENANCE_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                holder = os.pread(self.fd, 64, 0).decode(errors="replace").split()
                pid = holder[0] if holder else "?"
                # no role yet (a holder between taking the lock and writing it): wait briefly;
                # a pid alone is also what an ingest of an older version of this package writes
                role = holder[1] if len(holder) > 1 else None
                upkeep = role in (None, "maintenance")
                if not quiet and upkeep and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                os.close(self.fd)
                self.fd = None
                if quiet:
                    return False
                what = {"maintenance": "a reader's upkeep", "ingest": "another ingest"}.get(
                    role or "", "another process")
                raise IngestError(
                    f"{what} is running into {self.path.parent} (pid {pid}); "
                    "wait for it to finish, then run this one again"
                ) from err
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()} {self.role}".encode(), 0)
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)  # no stale role for the next holder's first moments
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> IngestLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


# --- snapshots ------------------------------------------------------------------------------


def _attach_new(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Attach a new catalog file in the oldest storage format that our readers need."""
    try:
        catalog.attach(con, path, "snap", f"STORAGE_VERSION '{catalog.STORAGE_VERSION}'")
    except duckdb.Error as err:  # DuckDB < 1.2 has no STORAGE_VERSION and writes that format
        if "storage_version" not in str(err).lower():
            raise
        catalog.attach(con, path, "snap")


@contextmanager
def snapshot(db_dir: Path, *, fresh: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable copy of the current catalog (or, if there is none or ``fresh``, a new empty
    one), published when the block ends.

    The connection's default database is the copy; if the block raises, nothing is published.
    Call with the writer's lock held.
    """
    snaps = snapshots_dir(db_dir)
    snaps.mkdir(parents=True, exist_ok=True)
    path = snaps / f"catalog-{time.time_ns():020d}-{os.getpid()}.duckdb"
    current = catalog_path(db_dir)
    con = duckdb.connect()
    try:
        if current.exists() and not fresh:
            shutil.copyfile(current, path)
            catalog.attach(con, path, "snap")
            con.execute("USE snap")
            catalog.check_schema(con, current)
        else:
            _attach_new(con, path)
            con.execute("USE snap")
            catalog.initialize(con, db_dir)
        con.execute("BEGIN TRANSACTION")
        yield con
        con.execute("COMMIT")
        con.execute("USE memory")
        con.execute("DETACH snap")  # checkpoints: the file is complete before it is published
    except BaseException:
        con.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        raise
    con.close()
    _publish(db_dir, path)


def _publish(db_dir: Path, snap: Path) -> None:
    """Rename ``snap`` (via a hard link, so the snapshot keeps its name) over catalog.duckdb."""
    current = catalog_path(db_dir)
    try:
        old = os.stat(current)
    except FileNotFoundError:
        old = None
    tmp = db_dir / f".catalog-{uuid.uuid4().hex[:8]}.tmp"
    _link_or_copy(snap, tmp)
    os.replace(tmp, current)
    wal = Path(str(current) + ".wal")
    if wal.exists():  # left by someone who opened catalog.duckdb for writing: not ours to replay
        wal.rename(snapshots_dir(db_dir) / f"stale-{time.time_ns()}.wal")
    if old is not None:  # the superseded snapshot's grace period starts now
        for s in snapshots_dir(db_dir).glob("catalog-*.duckdb"):
            st = s.stat()
            if (st.st_dev, st.st_ino) == (old.st_dev, old.st_ino):
                os.utime(s)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:  # a file system without hard links: a copy (twice the bytes, same result)
        shutil.copyfile(src, dest)


def _held(path: Path) -> bool:
    """True if a process holds ``path`` open through DuckDB (which locks the file it opens)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


# --- commits --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Staged:
    """One converted partition file waiting in staging."""

    table: str
    partition: str  # hive path under the table root, e.g. "cis_qtl_signif/version=v4/tissue=BLA"
    path: Path
    rows: int


@dataclass(frozen=True)
class Change:
    """A source file's part of a commit: its manifest row and the partitions it replaces.

    ``tables``: the tables its conversion writes. A partition of one of them that this source
    gave before and does not give now (a tissue gone from a gene table) leaves the lake."""

    row: ManifestRow
    staged: tuple[Staged, ...] = ()
    tables: tuple[str, ...] = ()


def commit(db_dir: Path, changes: list[Change]) -> list[tuple[int, str | None]]:
    """Swap in the staged partitions of ``changes`` and record their manifest rows, as one
    snapshot; returns per change the Parquet bytes written and a note naming the other source
    files whose partitions it replaced (``None`` if none). A source left with no partition is
    marked ``replaced`` in the manifest (so that its counts no longer count, and ingesting it
    again is not skipped as unchanged).

    Each change is all or nothing with the others: on failure no snapshot is published and the
    staged files are back in staging (so that the caller can retry them one by one). Call with
    the writer's lock held.
    """
    store = store_dir(db_dir)
    moved: list[tuple[Staged, str, int]] = []  # (staged, object path under .store, bytes)
    try:
        for change in changes:
            for st in change.staged:
                rel = f"{st.partition}/{_object_name(change.row)}"
                dest = store / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(st.path, dest)
                moved.append((st, rel, dest.stat().st_size))
        retired: list[str] = []
        dropped: list[tuple[str, str]] = []  # (table, partition) no source gives any more
        displaced: dict[str, set[str]] = {}  # new source -> other sources it replaced
        with snapshot(db_dir) as con:
            for st, rel, nbytes in moved:
                prev = con.execute(
                    f"SELECT file, source FROM {catalog.INTERNAL}.lake_files "
                    "WHERE table_name = ? AND partition = ?", [st.table, st.partition]
                ).fetchall()
                retired.extend(p[0] for p in prev)
                source = next(c.row.path for c in changes if st in c.staged)
                displaced.setdefault(source, set()).update(
                    p[1] for p in prev if p[1] and p[1] != source)
                # an upsert, not DELETE + INSERT: DuckDB 1.1 refuses to re-insert a key deleted
                # in the same transaction
                con.execute(f"INSERT OR REPLACE INTO {catalog.INTERNAL}.lake_files "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            [st.table, st.partition, rel, st.rows, nbytes, source])
            for change in changes:
                if change.staged or change.tables:
                    gone = _gone(con, change)
                    for table, part, rel in gone:
                        con.execute(f"DELETE FROM {catalog.INTERNAL}.lake_files "
                                    "WHERE table_name = ? AND partition = ?", [table, part])
                        retired.append(rel)
                        dropped.append((table, part))
                record(con, change.row)
            shas = {c.row.path: c.row.sha256 for c in changes}
            for new, olds in displaced.items():
                for old in sorted(olds):
                    got = con.execute("SELECT sha256 FROM ingested_files WHERE path = ?",
                                      [old]).fetchone()
                    if got and got[0] and got[0] == shas.get(new):
                        olds.discard(old)  # a byte copy: the same rows, nothing displaced
                        continue
                    left = con.execute(f"SELECT count(*) FROM {catalog.INTERNAL}.lake_files "
                                       "WHERE source = ?", [old]).fetchone()[0]
                    if left == 0:
                        why = (f"its rows were replaced by {new} (the same partition); "
                               "ingest it again to bring them back")
                        con.execute("UPDATE ingested_files SET status = ?, message = ? "
                                    "WHERE path = ? AND status = ?", [REPLACED, why, old, INGESTED])
            if moved or dropped:
                index.sync(con, store)
                catalog.refresh_lake_views(con, db_dir, sorted(
                    {st.table for st, _, _ in moved} | {t for t, _ in dropped}))
            _mark_pending(db_dir)
    except BaseException:
        for st, rel, _ in moved:  # back to staging: the files can be committed one by one
            try:
                os.replace(store / rel, st.path)
            except OSError:
                (store / rel).unlink(missing_ok=True)
        raise
    # Published: the commit stands. What follows only brings lake/ in line; if a link fails
    # (a full disk, a blocked path) the pending mark stays and the next command retries.
    failed = _relink(db_dir, {st.partition: rel for st, rel, _ in moved})
    if failed + _unlink_visible(db_dir, [part for _, part in dropped]) == 0:
        _clear_pending(db_dir)
    ours = {rel for _, rel, _ in moved}
    for rel in retired:  # replaced within this commit: no snapshot ever named it
        if rel in ours:
            (store / rel).unlink(missing_ok=True)
    _retire(db_dir, [rel for rel in retired if rel not in ours])
    out: list[tuple[int, str | None]] = []
    for change in changes:
        olds = sorted(displaced.get(change.row.path, ()))
        note = (f"replaced the rows of {', '.join(olds)} (the same table partition)"
                if olds else None)
        out.append((sum(n for st, _, n in moved if st in change.staged), note))
    return out


def _object_name(row: ManifestRow) -> str:
    stem = Path(row.path).name.split(".")[0] or "part"
    return f"{stem}-{(row.sha256 or '')[:12]}-{uuid.uuid4().hex[:8]}.parquet"


def _mark_pending(db_dir: Path) -> None:
    (db_dir / PENDING_NAME).write_text(str(os.getpid()))


def request_relink(db_dir: Path) -> bool:
    """Have the next command re-link ``lake/`` to the current snapshot (after ``validate``
    found a missing or foreign file there), as after a commit cut short. False if the
    directory is read-only."""
    try:
        _mark_pending(db_dir)
    except OSError:
        return False
    return True


def _clear_pending(db_dir: Path) -> None:
    (db_dir / PENDING_NAME).unlink(missing_ok=True)


def _relink(db_dir: Path, partitions: dict[str, str]) -> int:
    """Make ``lake/<partition>/part-0.parquet`` the object ``.store/<rel>``, by rename; returns
    the number of partitions that could not be linked."""
    lake, store = lake_dir(db_dir), store_dir(db_dir)
    failed = 0
    for part, rel in partitions.items():
        dest_dir = lake / part
        tmp = dest_dir / f".{VISIBLE_NAME}.{uuid.uuid4().hex[:8]}"  # hidden, no .parquet suffix
        try:
            dest_dir.mkdir(parents=True, exist_ok=True)
            _link_or_copy(store / rel, tmp)
            os.replace(tmp, dest_dir / VISIBLE_NAME)
        except OSError:
            failed += 1
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
    return failed


def _gone(con: duckdb.DuckDBPyConnection, change: Change) -> list[tuple[str, str, str]]:
    """(table, partition, object) of the partitions the change's source gave before in its
    tables and does not give now."""
    now_given = {(st.table, st.partition) for st in change.staged}
    tables = sorted(set(change.tables) | {st.table for st in change.staged})
    rows = con.execute(
        f"SELECT table_name, partition, file FROM {catalog.INTERNAL}.lake_files "
        "WHERE source = ? AND list_contains(?, table_name) ORDER BY ALL",
        [change.row.path, tables]).fetchall()
    return [(t, p, f) for t, p, f in rows if (t, p) not in now_given]


def _unlink_visible(db_dir: Path, partitions: list[str]) -> int:
    """Take ``lake/<partition>/part-0.parquet`` away (and the folders left empty); returns
    the number that could not be removed (the next command's :func:`sync_lake` retries)."""
    lake = lake_dir(db_dir)
    failed = 0
    for part in partitions:
        folder = lake / part
        try:
            (folder / VISIBLE_NAME).unlink(missing_ok=True)
        except OSError:
            failed += 1
            continue
        while folder != lake:
            try:
                folder.rmdir()  # only if empty
            except OSError:
                break
            folder = folder.parent
    return failed


def _retire(db_dir: Path, rels: list[str]) -> None:
    """Start the grace period of objects no longer in the current snapshot."""
    store = store_dir(db_dir)
    for rel in rels:
        try:
            os.utime(store / rel)
        except FileNotFoundError:
            continue
    if rels:
        (store / GC_DUE_NAME).write_text(str(time.time() + grace_seconds()))


def ensure(db_dir: Path) -> None:
    """Create an empty catalog in ``db_dir`` if there is none (lock held)."""
    db_dir.mkdir(parents=True, exist_ok=True)
    if not catalog_path(db_dir).exists():
        with snapshot(db_dir):
            pass


def create(db_dir: Path) -> None:
    """Create an empty database in ``db_dir`` (taking the writer's lock) if there is none."""
    db_dir.mkdir(parents=True, exist_ok=True)
    with IngestLock(db_dir):
        ensure(db_dir)


def rebuild(db_dir: Path) -> None:
    """Publish a snapshot written for this directory with the shipped views (after a copy or a
    move, or when the package's view SQL changed). Lock held."""
    with snapshot(db_dir) as con:
        catalog.initialize(con, db_dir)


def migrate(db_dir: Path) -> None:
    """Convert a schema-1 catalog (ratgtex-db 0.1) in place (lock held): each lake file gets a
    hard link under ``.store`` at the same relative path, a new snapshot names those objects
    and carries the manifest over, then ``lake/`` is re-linked (one ``part-0.parquet`` per
    partition). The old catalog stays as it was until the new snapshot is published."""
    con = catalog.connect(db_dir)
    try:
        files = con.execute("SELECT table_name, partition, file, rows, bytes, source "
                            "FROM main._lake_files").fetchall()
        cols = [c[0] for c in con.execute("DESCRIBE ingested_files").fetchall()]
        manifest = con.execute(f"SELECT {', '.join(cols)} FROM ingested_files").fetchall()
    finally:
        con.close()
    lake, store = lake_dir(db_dir), store_dir(db_dir)
    for _table, _part, rel, *_ in files:
        dest = store / rel
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(lake / rel, dest)
    with snapshot(db_dir, fresh=True) as con:
        if files:
            con.executemany(f"INSERT INTO {catalog.INTERNAL}.lake_files VALUES (?, ?, ?, ?, ?, ?)",
                            [list(f) for f in files])
        if manifest:
            con.executemany(f"INSERT INTO ingested_files ({', '.join(cols)}) "
                            f"VALUES ({', '.join('?' for _ in cols)})", [list(r) for r in manifest])
        index.sync(con, store)
        catalog.refresh_lake_views(con, db_dir)
        _mark_pending(db_dir)
    if sync_lake(db_dir) == 0:
        _clear_pending(db_dir)


# --- recovery and garbage collection --------------------------------------------------------


def _current_files(db_dir: Path) -> dict[str, str]:
    """partition -> object of the current snapshot."""
    con = catalog.connect(db_dir)
    try:
        catalog.check_schema(con, catalog_path(db_dir))
        return dict(con.execute(
            f"SELECT partition, file FROM {catalog.INTERNAL}.lake_files").fetchall())
    finally:
        con.close()


def sync_lake(db_dir: Path) -> int:
    """Make ``lake/`` hold exactly the current snapshot's files (lock held); returns the number
    of partitions that could not be linked."""
    lake, store = lake_dir(db_dir), store_dir(db_dir)
    want = _current_files(db_dir)
    fix: dict[str, str] = {}
    for part, rel in want.items():
        visible = lake / part / VISIBLE_NAME
        try:
            same = os.path.samefile(visible, store / rel)
        except FileNotFoundError:
            same = False
        if not same and (store / rel).exists():
            fix[part] = rel
    failed = _relink(db_dir, fix)
    if lake.exists():
        for root, dirs, files in os.walk(lake, topdown=False):
            rel_root = Path(root).relative_to(lake).as_posix()
            for name in files:
                if not (name == VISIBLE_NAME and rel_root in want):
                    try:
                        (Path(root) / name).unlink(missing_ok=True)
                    except OSError:
                        failed += 1
            for d in dirs:
                try:
                    (Path(root) / d).rmdir()  # only if empty
                except OSError:
                    pass
    return failed


def recover(db_dir: Path) -> None:
    """After a crash: drop staging, re-link ``lake/``, collect garbage (lock held)."""
    shutil.rmtree(staging_dir(db_dir), ignore_errors=True)
    for tmp in db_dir.glob(".catalog-*.tmp"):
        tmp.unlink(missing_ok=True)
    if catalog_path(db_dir).exists():
        if sync_lake(db_dir) == 0:
            _clear_pending(db_dir)
        gc(db_dir)


def gc(db_dir: Path, grace: float | None = None) -> None:
    """Remove snapshots nobody holds and objects no kept snapshot names (lock held)."""
    grace = grace_seconds() if grace is None else grace
    now = time.time()
    cur = os.stat(catalog_path(db_dir))
    # the published catalog's objects, named directly: after a copy that did not keep hard
    # links (cp -r, shutil.copytree) no snapshot shares its inode, and its objects must stay
    keep: set[str] = _files_of(catalog_path(db_dir))
    young_snapshot = False
    for snap in sorted(snapshots_dir(db_dir).glob("catalog-*.duckdb")):
        st = snap.stat()
        if (st.st_dev, st.st_ino) == (cur.st_dev, cur.st_ino):
            continue  # the published catalog itself: its objects are kept above
        if _held(snap):
            keep |= _files_of(snap)
        elif now - st.st_mtime < min(grace, SNAPSHOT_GRACE_SECONDS):
            keep |= _files_of(snap)
            young_snapshot = True
        else:
            snap.unlink(missing_ok=True)
            Path(str(snap) + ".wal").unlink(missing_ok=True)
    store = store_dir(db_dir)
    waiting = young_snapshot
    if store.exists():
        for obj in store.rglob("*.parquet"):
            rel = obj.relative_to(store).as_posix()
            if rel in keep:
                continue
            if now - obj.stat().st_mtime >= grace:
                obj.unlink(missing_ok=True)
            else:
                waiting = True
        for root, dirs, _files in os.walk(store, topdown=False):
            for d in dirs:
                try:
                    (Path(root) / d).rmdir()
                except OSError:
                    pass
        due = store / GC_DUE_NAME
        if waiting:
            due.write_text(str(now + grace))
        else:
            due.unlink(missing_ok=True)


def _files_of(snap: Path) -> set[str]:
    """The objects a snapshot names (raises if it cannot be read: never guess "none")."""
    con = catalog.open_file(snap)
    try:
        return {r[0] for r in con.execute(
            f"SELECT file FROM {catalog.INTERNAL}.lake_files").fetchall()}
    finally:
        con.close()


def needs_maintenance(db_dir: Path) -> bool:
    """Cheap test: a crashed commit to finish, staging left by a killed ingest (or in use by
    a running one: then :func:`maintain` finds the lock taken), or garbage whose grace period
    is over."""
    if (db_dir / PENDING_NAME).exists() or staging_dir(db_dir).exists():
        return True
    if next(db_dir.glob(".catalog-*.tmp"), None) is not None:  # a publish cut short
        return True
    due = store_dir(db_dir) / GC_DUE_NAME
    try:
        return float(due.read_text() or 0) <= time.time()
    except (FileNotFoundError, ValueError):
        return False


def maintain(db_dir: Path, *, rebuild_catalog: bool = False, convert: bool = False) -> bool:
    """What any command does on a writable directory when it is not idle: finish a crashed
    commit, collect garbage, and (``rebuild_catalog``) publish a snapshot for this directory
    after a copy or move. Does nothing if the directory is read-only or an ingest holds the
    lock (that ingest does it). True if it ran."""
    if not os.access(db_dir, os.W_OK):
        return False
    lock = IngestLock(db_dir, role="maintenance")
    try:
        if not lock.acquire(quiet=True):
            return False
    except OSError:
        return False
    try:
        if convert:
            migrate(db_dir)
        if rebuild_catalog:
            rebuild(db_dir)
        recover(db_dir)
    except (OSError, duckdb.Error):
        return False  # e.g. a full disk: queries still answer from the published snapshot
    finally:
        lock.release()
    return True
