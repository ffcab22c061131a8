"""Download a RatGTEx release tree: parallel, resumable, checked, recorded.

The file list comes from the file-kind registry (:func:`ratgtex_db.registry.release_paths`), so
``download``, ``synth`` and ``ingest`` name the same files. Files land in
``DEST/{version}/{path}``, exactly as under ``{base_url}/{version}/`` on the server
(release-format 1.1), so the folder can be given to ``ingest`` as it is. A study data archive
(version ``study:{group}``, release-format 10) is ``{base_url}/studies/{group}/`` and lands in
``DEST/studies/{group}/``, whose folder name tells ``ingest`` the group.

Each file is written to ``name.part`` in its target folder and renamed only when complete: its
length matches ``Content-Length``, a gzip/BGZF file decompresses to the end (every member), a zip
passes :meth:`zipfile.ZipFile.testzip`. An interrupted transfer resumes from the ``.part`` with an
HTTP ``Range`` request. Completed files are recorded (URL, bytes, sha256, time) in the local
manifest ``DEST/{version}/.ratgtex-download.json``; a rerun skips them, ``verify=True`` re-hashes
them. Only the standard library speaks HTTP.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from isal import isal_zlib

from ratgtex_db.errors import ConfigError, DownloadError
from ratgtex_db.registry import (
    KINDS_BY_NAME,
    LATEST_VERSION,
    TISSUES,
    VCF_DATASETS,
    match,
    release_paths,
)
from ratgtex_db.release import STUDY_PREFIX, is_study

DEFAULT_BASE_URL = "https://ratgtex.org/data"
MANIFEST_NAME = ".ratgtex-download.json"
MANIFEST_FORMAT = 1
PART_SUFFIX = ".part"
CHUNK_SIZE = 1 << 20
USER_AGENT = "ratgtex-db (+https://github.com/daniel-munro/ratgtex)"

#: HTTP statuses worth another try: the server or a proxy is busy or briefly broken.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

#: Result statuses that make a run fail (exit status 1 in the CLI).
FAILED_STATUSES = frozenset({"failed", "modified", "missing"})

#: Longest pause between two attempts, whatever the backoff.
MAX_DELAY = 30.0

#: Progress callback: ``progress(event, info)`` with events ``start`` {files},
#: ``begin`` {path, bytes (None if unknown), offset}, ``advance`` {path, bytes},
#: ``end`` {path, result}. It is called from worker threads.
Progress = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class RemoteFile:
    """One release file: its kind, path under the version folder, URL and local path."""

    kind: str
    path: str
    url: str
    dest: Path

    @property
    def part(self) -> Path:
        """The temporary name the file is written under until it is complete."""
        return self.dest.with_name(self.dest.name + PART_SUFFIX)


@dataclass(frozen=True)
class FileResult:
    """What happened to one file.

    ``status`` is ``downloaded``, ``skipped`` (already complete), ``failed``, ``planned``
    (dry run), or for ``verify``: ``ok``, ``modified``, ``missing``. ``resumed_from`` is the
    byte offset the last transfer resumed at (0 for a full transfer).
    """

    path: str
    url: str
    status: str
    bytes: int | None = None
    sha256: str | None = None
    message: str = ""
    seconds: float = 0.0
    resumed_from: int = 0
    attempts: int = 0

    @property
    def failed(self) -> bool:
        return self.status in FAILED_STATUSES


@dataclass
class DownloadReport:
    """Per-file results of one :func:`download_release` run, in registry order."""

    root: Path
    version: str
    base_url: str
    results: list[FileResult] = field(default_factory=list)
    dry_run: bool = False
    verify: bool = False
    seconds: float = 0.0

    @property
    def failed(self) -> list[FileResult]:
        """Results that make the run fail: failed transfers, modified or missing files."""
        return [r for r in self.results if r.failed]

    def with_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST_NAME


def server_folder(version: str) -> str:
    """The folder of a source under the server's ``data/`` (and under DEST): ``v4``, or
    ``studies/{group}`` for a study data archive (``study:{group}``, release-format 10)."""
    return f"studies/{version[len(STUDY_PREFIX):]}" if is_study(version) else version


def select_files(
    dest: str | os.PathLike[str],
    version: str = LATEST_VERSION,
    tissues: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
) -> list[RemoteFile]:
    """The release files to fetch, from the file-kind registry, with their URLs and local paths.

    Parameters
    ----------
    dest
        Local folder; files go to ``dest/{version}/{path}`` (a study:
        ``dest/studies/{group}/{file}``).
    version
        Release version, e.g. ``"v4"``.
    tissues
        Limit per-tissue files to these tissues (case-insensitive); release-wide files such as
        ``gene.v4.tsv`` are kept (narrow them with ``kinds``). ``None``: every tissue.
    kinds
        Registry kind names (e.g. ``"cis_qtl_signif"``); ``None``: every kind.
    base_url
        Server folder holding ``{version}/`` (default ``https://ratgtex.org/data``).

    Returns
    -------
    list of RemoteFile, in registry order.

    Raises
    ------
    ConfigError
        For an unknown version, tissue or kind.
    """
    if version not in TISSUES:
        raise ConfigError(f"unknown release version {version!r} "
                          f"(known: {', '.join(sorted(TISSUES))})")
    if not re.match(r"^https?://", base_url):
        raise ConfigError(f"--base-url must be an http:// or https:// URL, got {base_url!r}")
    tissue_list = _canonical_tissues(version, tissues)
    kind_set = _check_kinds(kinds)
    try:
        paths = release_paths(version, tissue_list)
    except KeyError as err:
        # The registry spells the file names of some versions only (release-format 5.1).
        raise ConfigError(f"the file-kind registry does not name the files of {version} yet; "
                          f"download supports {', '.join(sorted(VCF_DATASETS))}") from err
    base = base_url.rstrip("/")
    folder = server_folder(version)
    root = Path(dest).joinpath(*PurePosixPath(folder).parts)
    out = []
    for rel in paths:
        found = match(f"{folder}/{rel}")  # a study file's group is its folder
        kind = found.kind.name if found is not None else "unknown"
        if kind_set is not None and kind not in kind_set:
            continue
        out.append(RemoteFile(kind, rel, f"{base}/{folder}/{rel}",
                              root.joinpath(*PurePosixPath(rel).parts)))
    return out


def download_release(
    dest: str | os.PathLike[str],
    version: str = LATEST_VERSION,
    tissues: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
    base_url: str = DEFAULT_BASE_URL,
    jobs: int = 4,
    dry_run: bool = False,
    verify: bool = False,
    progress: Progress | None = None,
    *,
    retries: int = 4,
    backoff: float = 0.5,
    timeout: float = 60.0,
) -> DownloadReport:
    """Download (or list, or verify) the files of a release into ``dest/{version}/``.

    A file already recorded in the local manifest with its size is skipped; a ``.part`` left by
    an interrupted run is resumed. A file that cannot be fetched (404, retries exhausted, a
    failed integrity check) is reported as ``failed`` and the others still download.

    Parameters
    ----------
    dest, version, tissues, kinds, base_url
        What to fetch and where to put it; see :func:`select_files`.
    jobs
        Files transferred in parallel.
    dry_run
        Only list the files that would be fetched, with their sizes from a ``HEAD`` request
        (``status='planned'``); nothing is written.
    verify
        Re-hash the files recorded in the local manifest (no network): ``ok``, ``modified`` or
        ``missing``.
    progress
        Optional callback ``progress(event, info)``, called from worker threads (see
        :data:`Progress`); ``progress.DownloadProgress`` draws rich bars with it.
    retries
        Further attempts after a connection error, a short body or an HTTP 5xx; a transfer
        that made progress does not use one up.
    backoff
        First pause between attempts in seconds; it doubles each time (at most 30 s).
    timeout
        Socket timeout in seconds.

    Returns
    -------
    DownloadReport
        One :class:`FileResult` per selected file; ``report.failed`` lists the failures.

    Raises
    ------
    ConfigError
        For an unknown version, tissue or kind, ``jobs < 1``, or ``dry_run`` with ``verify``.
    DownloadError
        When the local manifest cannot be read.
    """
    started = time.monotonic()
    if jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {jobs}")
    if dry_run and verify:
        raise ConfigError("--dry-run and --verify cannot be combined; use one of them")
    files = select_files(dest, version, tissues, kinds, base_url)
    if not files:  # never an empty success for a selection that names nothing
        raise ConfigError(f"no downloadable file of {version} is of kind "
                          f"{', '.join(sorted(kinds or []))}"
                          + (f" for tissue {', '.join(tissues)}" if tissues else "")
                          + "; see 'ratgtex-db download --dry-run' for the files there are")
    root = Path(dest).joinpath(*PurePosixPath(server_folder(version)).parts)
    if verify and not (root / MANIFEST_NAME).exists():
        raise DownloadError(f"{root}: no download manifest ({MANIFEST_NAME}), so nothing was "
                            "downloaded here to verify; give the folder that download wrote to")
    if not verify:
        check_host(base_url)
    manifest = _Manifest(root / MANIFEST_NAME)
    fetcher = _Fetcher(manifest, progress, retries=retries, backoff=backoff, timeout=timeout)
    if verify:
        files = [f for f in files if manifest.get(f.path) is not None]
        task: Callable[[RemoteFile], FileResult] = fetcher.verify
    elif dry_run:
        task = fetcher.plan
    else:
        task = fetcher.fetch
    fetcher.emit("start", {"files": len(files)})
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="ratgtex-download")
    try:
        results = list(pool.map(task, files))
    except BaseException:
        # Ctrl-C: stop the running transfers at their next chunk (their .part files stay).
        fetcher.cancel.set()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown()
    if not (dry_run or verify) and any(r.status == "downloaded" for r in results):
        _fetch_marker(f"{base_url.rstrip('/')}/{server_folder(version)}", root, timeout)
    return DownloadReport(root, version, base_url, results, dry_run=dry_run, verify=verify,
                          seconds=time.monotonic() - started)


def _fetch_marker(folder_url: str, root: Path, timeout: float) -> None:
    """Copy the synthetic-release marker (``SYNTHETIC_RELEASE.txt``, which ``synth`` writes in
    the version folder) when the server has one, so that data served from a mirror of a
    synthetic release stay marked synthetic in the manifest. A real release has none: its 404
    (or any error) is not reported."""
    from ratgtex_db.discover import SYNTHETIC_MARKER

    req = urllib.request.Request(f"{folder_url}/{SYNTHETIC_MARKER}",
                                 headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(req, timeout=min(timeout, 10)) as resp:
            text = resp.read(64 * 1024 + 1)
    except (OSError, http.client.HTTPException, ValueError):
        return
    if len(text) <= 64 * 1024 and b"SYNTHETIC" in text.upper():
        root.mkdir(parents=True, exist_ok=True)
        (root / SYNTHETIC_MARKER).write_bytes(text)


def _unresolvable(url: str, err: BaseException) -> DownloadError:
    host = urllib.parse.urlsplit(url).hostname or url
    return DownloadError(f"cannot resolve host {host!r} ({err}); check the network connection "
                         "or the host in --base-url")


def check_host(url: str) -> None:
    """Resolve the host of ``url`` once, before any file is fetched.

    A name that does not resolve will not resolve on a retry seconds later either, so this
    fails the whole download at once instead of every file after its retries.

    Raises
    ------
    DownloadError : the host name does not resolve, or nothing accepts connections there
        (connection refused), naming it.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as err:
        raise _unresolvable(url, err) from err
    try:  # refused now is refused for every file: one probe instead of each file's retries
        socket.create_connection((parts.hostname, port), timeout=10).close()
    except ConnectionRefusedError as err:
        raise DownloadError(f"{url}: cannot connect to {parts.hostname}:{port} (connection "
                            "refused): no server is listening there; check the URL, or try "
                            "again later") from err
    except OSError:
        return  # a timeout or an unreachable network: the transfers retry and report it


def check_file(path: str | os.PathLike[str], name: str | None = None) -> str:
    """Check a file's container and return its sha256 (hex).

    The check is chosen by the suffix of ``name`` (default: the file's own name): ``.gz`` and
    ``.tbi`` must decompress to the end as gzip, every member of a multi-member (BGZF) file
    included; ``.zip`` must pass :meth:`zipfile.ZipFile.testzip`; other files are only hashed.

    Raises
    ------
    DownloadError
        When the container is broken (truncated, bad CRC, not gzip/zip).
    """
    path = Path(path)
    name = name or path.name
    suffix = PurePosixPath(name).suffix
    checker = CHECKS.get(suffix)
    digest = hashlib.sha256()
    gz = _GzipCheck() if checker == "gzip" else None
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(CHUNK_SIZE):
                digest.update(chunk)
                if gz is not None:
                    gz.feed(chunk)
        if gz is not None:
            gz.close()
        if checker == "zip":
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
            if bad is not None:
                raise DownloadError(f"{name}: zip member {bad!r} is corrupt (bad CRC or data)")
    except (zlib.error, isal_zlib.error, zipfile.BadZipFile, EOFError, ValueError) as err:
        kind = "gzip" if checker == "gzip" else "zip"
        raise DownloadError(f"{name}: not a complete {kind} file ({err})") from err
    return digest.hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The sha256 (hex) of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


#: Container check per file-name suffix (the BGZF tabix index is gzip too).
CHECKS: dict[str, str] = {".gz": "gzip", ".bgz": "gzip", ".tbi": "gzip", ".zip": "zip"}


class _GzipCheck:
    """Incremental full decompression of a gzip stream of one or more members (BGZF)."""

    def __init__(self) -> None:
        self._new()
        self.members = 0

    def _new(self) -> None:
        self._d = isal_zlib.decompressobj(wbits=31)
        self._open = False  # bytes of the current member were fed, its end not yet seen

    def feed(self, data: bytes) -> None:
        while data:
            if not self._open:
                # gzip allows zero padding between/after members (as Python's gzip does).
                data = data.lstrip(b"\x00")
                if not data:
                    return
            self._open = True
            # Bounded output per call: a highly compressible member never fills memory.
            while True:
                out = self._d.decompress(data, CHUNK_SIZE)
                if self._d.eof or (not self._d.unconsumed_tail and len(out) < CHUNK_SIZE):
                    break
                data = self._d.unconsumed_tail
            if not self._d.eof:
                return
            self.members += 1
            data = self._d.unused_data
            self._new()

    def close(self) -> None:
        if self._open:
            raise EOFError("compressed data ends before the end of the last gzip member")
        if self.members == 0:
            raise EOFError("no gzip member found")


class _Transient(Exception):  # noqa: N818 - internal signal, not an error users see
    """A failure worth another attempt; ``progressed`` when the partial file grew."""

    def __init__(self, message: str, progressed: bool = False) -> None:
        super().__init__(message)
        self.progressed = progressed


class _Cancelled(Exception):  # noqa: N818
    """The run is being stopped (Ctrl-C)."""


class _Manifest:
    """The local record of complete files, ``{version}/.ratgtex-download.json``; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.files: dict[str, dict[str, Any]] = {}
        if path.exists():
            try:
                data = json.loads(path.read_text())
                self.files = dict(data["files"])
            except (ValueError, KeyError, TypeError) as err:
                raise DownloadError(f"{path}: not a readable download manifest ({err}); "
                                    "delete it to download every file again") from err

    def get(self, rel: str) -> dict[str, Any] | None:
        with self._lock:
            return self.files.get(rel)

    def record(self, rel: str, entry: dict[str, Any]) -> None:
        with self._lock:
            self.files[rel] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(self.path.name + ".tmp")
            body = {"format": MANIFEST_FORMAT, "files": dict(sorted(self.files.items()))}
            tmp.write_text(json.dumps(body, indent=1) + "\n")
            os.replace(tmp, self.path)


@dataclass
class _State:
    """Per-file bookkeeping across attempts."""

    attempts: int = 0
    high_water: int = 0
    resumed: bool = False
    resumed_from: int = 0
    restarted_after_check: bool = False
    content_type: str = ""


class _Fetcher:
    """The per-file work of a run (fetch, plan, verify), shared by the worker threads."""

    def __init__(self, manifest: _Manifest, progress: Progress | None, *, retries: int,
                 backoff: float, timeout: float) -> None:
        self.manifest = manifest
        self.progress = progress
        self.retries = retries
        self.backoff = backoff
        self.timeout = timeout
        self.cancel = threading.Event()

    def emit(self, event: str, info: dict[str, Any]) -> None:
        if self.progress is not None:
            self.progress(event, info)

    # --- the three tasks ------------------------------------------------------------------

    def fetch(self, rf: RemoteFile) -> FileResult:
        started = time.monotonic()
        done = self._complete(rf)
        if done is not None:
            result = FileResult(rf.path, rf.url, "skipped", done["bytes"], done.get("sha256"),
                                "already complete (recorded in the local manifest)")
            self.emit("end", {"path": rf.path, "result": result})
            return result
        state = _State()
        try:
            size, sha = self._retrying(lambda: self._attempt(rf, state), state)
        except _NotFound as err:
            status, message = _not_found(rf, err)
            result = FileResult(rf.path, rf.url, status, None, None, message,
                                time.monotonic() - started, state.resumed_from, state.attempts)
        except DownloadError as err:
            result = FileResult(rf.path, rf.url, "failed", None, None, str(err),
                                time.monotonic() - started, state.resumed_from, state.attempts)
        else:
            self.manifest.record(rf.path, {
                "url": rf.url,
                "bytes": size,
                "sha256": sha,
                "downloaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            })
            result = FileResult(rf.path, rf.url, "downloaded", size, sha, "",
                                time.monotonic() - started, state.resumed_from, state.attempts)
        self.emit("end", {"path": rf.path, "result": result})
        return result

    def plan(self, rf: RemoteFile) -> FileResult:
        done = self._complete(rf)
        if done is not None:
            result = FileResult(rf.path, rf.url, "skipped", done["bytes"], done.get("sha256"),
                                "already complete (recorded in the local manifest)")
        else:
            state = _State()
            try:
                size, note = self._retrying(lambda: self._head(rf, state), state)
            except _NotFound as err:  # as fetch reports it
                status, message = _not_found(rf, err)
                result = FileResult(rf.path, rf.url, status, None, None, message,
                                    attempts=state.attempts)
            except DownloadError as err:
                result = FileResult(rf.path, rf.url, "failed", None, None, str(err),
                                    attempts=state.attempts)
            else:
                partial = rf.part.stat().st_size if rf.part.exists() else 0
                if partial:
                    note = f"resume from byte {partial}" + (f"; {note}" if note else "")
                result = FileResult(rf.path, rf.url, "planned", size, None, note,
                                    resumed_from=partial, attempts=state.attempts)
        self.emit("end", {"path": rf.path, "result": result})
        return result

    def verify(self, rf: RemoteFile) -> FileResult:
        started = time.monotonic()
        entry = self.manifest.get(rf.path) or {}
        want_bytes, want_sha = entry.get("bytes"), entry.get("sha256")
        if not rf.dest.exists():
            result = FileResult(rf.path, rf.url, "missing", want_bytes, want_sha,
                                "recorded in the local manifest but absent; run download again")
        else:
            size = rf.dest.stat().st_size
            self.emit("begin", {"path": rf.path, "bytes": size, "offset": 0})
            sha = sha256_file(rf.dest)
            self.emit("advance", {"path": rf.path, "bytes": size})
            if sha == want_sha and size == want_bytes:
                result = FileResult(rf.path, rf.url, "ok", size, sha, "",
                                    time.monotonic() - started)
            else:
                result = FileResult(
                    rf.path, rf.url, "modified", size, sha,
                    f"differs from the download ({size} bytes, sha256 {sha[:12]}...; recorded "
                    f"{want_bytes} bytes, sha256 {str(want_sha)[:12]}...); delete it and run "
                    "download again", time.monotonic() - started)
        self.emit("end", {"path": rf.path, "result": result})
        return result

    # --- pieces ---------------------------------------------------------------------------

    def _complete(self, rf: RemoteFile) -> dict[str, Any] | None:
        """The manifest entry if the file is there with the recorded size, else None."""
        entry = self.manifest.get(rf.path)
        if entry is None or not rf.dest.exists():
            return None
        return entry if rf.dest.stat().st_size == entry.get("bytes") else None

    def _retrying(self, attempt: Callable[[], Any], state: _State) -> Any:
        failures = 0
        while True:
            state.attempts += 1
            try:
                return attempt()
            except _Transient as err:
                # A transfer that got further than ever before does not use up a retry, so a
                # big file on a flaky line still completes; one that did not, does.
                failures = 0 if err.progressed else failures + 1
                if failures > self.retries:
                    raise DownloadError(f"{err} (gave up after {state.attempts} attempts); "
                                        "try again later: a rerun resumes this file and skips "
                                        "the complete ones") from err
                delay = min(self.backoff * 2 ** max(failures - 1, 0), MAX_DELAY)
                if self.cancel.wait(delay):
                    raise DownloadError("cancelled") from err

    def _request(self, rf: RemoteFile, headers: dict[str, str], method: str = "GET"):
        req = urllib.request.Request(rf.url, method=method, headers={
            "User-Agent": USER_AGENT, "Accept-Encoding": "identity", **headers})
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as err:
            err.close()
            if err.code in RETRY_STATUSES:
                raise _Transient(f"{rf.url}: HTTP {err.code} {err.reason}") from err
            if err.code == 404:
                raise _NotFound(f"{rf.url}: not found (HTTP 404); check the version and the "
                                "server's URL, or whether the server publishes this file"
                                ) from err
            raise _HTTPStatus(err.code, f"{rf.url}: HTTP {err.code} {err.reason}") from err
        except (OSError, http.client.HTTPException) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, socket.gaierror):  # DNS gone mid-run: no retries either
                raise _unresolvable(rf.url, reason) from err
            raise _Transient(f"{rf.url}: {reason}") from err

    def _head(self, rf: RemoteFile, state: _State) -> tuple[int | None, str]:
        try:
            resp = self._request(rf, {}, method="HEAD")
        except _HTTPStatus as err:
            if err.code in (403, 405, 501):  # some servers refuse HEAD but serve GET
                return None, f"size unknown (HEAD refused: HTTP {err.code})"
            raise DownloadError(str(err)) from err
        with resp:
            return _int_header(resp.headers.get("Content-Length")), ""

    def _attempt(self, rf: RemoteFile, state: _State) -> tuple[int, str]:
        """One transfer attempt, then the checks and the rename; returns (bytes, sha256).
        The ``.part`` is held with an exclusive lock throughout: a second download into the
        same folder never appends to it nor renames it."""
        rf.dest.parent.mkdir(parents=True, exist_ok=True)
        with _locked(rf):
            return self._locked_attempt(rf, state)

    def _locked_attempt(self, rf: RemoteFile, state: _State) -> tuple[int, str]:
        size = self._transfer(rf, state)
        try:
            try:
                sha = check_file(rf.part, rf.dest.name)
            except DownloadError as err:
                if "html" in state.content_type:
                    raise DownloadError(f"{rf.url}: the server sent an HTML page "
                                        f"({state.content_type}), not the file: {err}; check "
                                        "the URL") from err
                raise DownloadError(f"{rf.url}: {err}") from err
        except DownloadError as err:
            rf.part.unlink(missing_ok=True)
            if state.resumed and not state.restarted_after_check:
                # The server's file may have changed between the two halves: one clean start.
                state.restarted_after_check = True
                state.resumed = False
                state.high_water = 0
                raise _Transient(f"{err}; the file was resumed, starting over") from err
            raise
        os.replace(rf.part, rf.dest)
        return size, sha

    def _transfer(self, rf: RemoteFile, state: _State) -> int:
        """Fetch the rest of the file into ``.part``; return its complete length."""
        rf.dest.parent.mkdir(parents=True, exist_ok=True)
        part = rf.part
        offset = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        try:
            resp = self._request(rf, headers)
        except _HTTPStatus as err:
            if err.code == 416 and offset:
                part.unlink(missing_ok=True)
                raise _Transient(f"{rf.url}: the server cannot resume at byte {offset} "
                                 "(HTTP 416); starting over") from err
            raise DownloadError(str(err)) from err
        with resp:
            length = _int_header(resp.headers.get("Content-Length"))
            state.content_type = (resp.headers.get("Content-Type") or "").lower()
            if "text/html" in state.content_type and not rf.dest.name.endswith(".html"):
                # a portal or proxy error page answered 200 for a data file
                raise DownloadError(f"{rf.url}: the server sent an HTML page "
                                    f"({state.content_type}), not the file; check the URL")
            if resp.status == 206:
                start, total = _content_range(resp.headers.get("Content-Range"))
                if start != offset:
                    part.unlink(missing_ok=True)
                    raise _Transient(f"{rf.url}: asked to resume at byte {offset}, the server "
                                     f"answered from byte {start}; starting over")
                mode = "ab"
                state.resumed, state.resumed_from = offset > 0, offset
            elif resp.status == 200:
                # Full body: also when the server ignored our Range header (200, not 206).
                offset, total, mode = 0, length, "wb"
                state.resumed_from = 0
            else:
                raise DownloadError(f"{rf.url}: unexpected HTTP {resp.status} {resp.reason}")
            expected = offset + length if length is not None else total
            self.emit("begin", {"path": rf.path, "bytes": expected, "offset": offset})
            received = 0
            try:
                with open(part, mode) as fh:
                    while chunk := resp.read(CHUNK_SIZE // 4):
                        if self.cancel.is_set():
                            raise _Cancelled
                        fh.write(chunk)
                        received += len(chunk)
                        self.emit("advance", {"path": rf.path, "bytes": len(chunk)})
            except _Cancelled as err:
                raise DownloadError("cancelled; the partial file is kept for a resume") from err
            except (OSError, http.client.HTTPException) as err:
                raise self._short(rf, state, offset + received,
                                  f"connection lost after {offset + received} bytes ({err})"
                                  ) from err
        have = offset + received
        if length is not None and received < length:
            raise self._short(rf, state, have, f"body shorter than Content-Length: got {have} "
                              f"of {offset + length} bytes")
        if total is not None and have != total:
            raise self._short(rf, state, have, f"got {have} bytes, the server announced {total}")
        return have

    @staticmethod
    def _short(rf: RemoteFile, state: _State, have: int, why: str) -> _Transient:
        progressed = have > state.high_water
        state.high_water = max(state.high_water, have)
        return _Transient(f"{rf.url}: {why}", progressed=progressed)


class _NotFound(DownloadError):
    """HTTP 404 for one file."""


def _not_found(rf: RemoteFile, err: _NotFound) -> tuple[str, str]:
    """Status and message of a 404: kinds the download pages do not link may simply not be
    published (release-format 1.2, "Linked"), which is reported, not a failure of the run."""
    kind = KINDS_BY_NAME.get(rf.kind)
    if kind is None or kind.linked:
        return "failed", str(err)
    return "unpublished", (f"{err}; this kind is not linked from the download pages, so the "
                           "server may not publish it")


@contextlib.contextmanager
def _locked(rf: RemoteFile):  # noqa: ANN202 - a context manager
    """Hold ``rf.part`` (created if absent) with an exclusive, non-blocking lock."""
    fd = os.open(rf.part, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DownloadError(f"{rf.part}: another download is writing this file; wait for "
                                "it to finish (or stop it), then run download again") from None
        yield
    finally:
        with contextlib.suppress(OSError):  # an empty .part (e.g. a 404) is of no use
            st, now = os.fstat(fd), os.stat(rf.part)
            if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino) and st.st_size == 0:
                os.unlink(rf.part)
        os.close(fd)


class _HTTPStatus(Exception):  # noqa: N818
    """An HTTP status that is neither retried nor a 404; the caller decides."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _int_header(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """(first byte, total length) of a ``Content-Range`` header; None for what it lacks."""
    m = _CONTENT_RANGE.match((value or "").strip())
    if not m:
        return None, None
    return int(m.group(1)), (None if m.group(3) == "*" else int(m.group(3)))


def _canonical_tissues(version: str, tissues: Iterable[str] | None) -> list[str] | None:
    if tissues is None:
        return None
    known = {t.lower(): t for t in TISSUES[version]}
    out = []
    for t in tissues:
        if t.lower() not in known:
            raise ConfigError(f"unknown tissue {t!r} for {version} "
                              f"(known: {', '.join(TISSUES[version])})")
        out.append(known[t.lower()])
    return list(dict.fromkeys(out))


def _check_kinds(kinds: Iterable[str] | None) -> set[str] | None:
    if kinds is None:
        return None
    out = set(kinds)
    unknown = sorted(out - set(KINDS_BY_NAME))
    if unknown:
        raise ConfigError(f"unknown file kind(s) {', '.join(map(repr, unknown))} "
                          f"(known: {', '.join(KINDS_BY_NAME)})")
    return out
