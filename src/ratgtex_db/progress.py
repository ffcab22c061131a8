"""Rich progress bars (ingest, download) and the ingest summary table: CLI presentation only."""

from __future__ import annotations

import sys
import threading
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from ratgtex_db.download import DownloadReport
from ratgtex_db.ingest import IngestReport
from ratgtex_db.render import print_table


class _Bars:
    """Rich progress bars on stderr, drawn only when ``enabled`` and stderr is a terminal.

    Subclasses are progress callbacks ``(event, info)``; ``last`` is the time column.
    """

    last = TimeElapsedColumn

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.console = Console(stderr=True)
        self._progress: Progress | None = None
        self._overall = None

    def __enter__(self) -> _Bars:
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                self.last(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()


class IngestProgress(_Bars):
    """Overall bar (bytes of all files) and one line for the file being converted."""

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled)
        self._current = None

    def __call__(self, event: str, info: dict) -> None:
        p = self._progress
        if p is None:
            return
        if event == "start":
            self._overall = p.add_task("all files", total=info["bytes"])
        elif event == "begin":
            if self._current is not None:
                p.remove_task(self._current)
            name = info["path"].rsplit("/", 1)[-1]
            self._current = p.add_task(f"  {escape(name)}", total=info["bytes"])
        elif event == "file":
            res = info["result"]
            if self._overall is not None:
                p.advance(self._overall, res.bytes_in)
            if self._current is not None:
                p.update(self._current, completed=res.bytes_in)


class DownloadProgress(_Bars):
    """Rich progress bars on stderr: overall bytes and files, one bar per running transfer.

    A :data:`ratgtex_db.download.Progress` callback.
    """

    last = TimeRemainingColumn

    def __init__(self, enabled: bool = True) -> None:
        super().__init__(enabled)
        self._tasks: dict[str, Any] = {}
        self._done: dict[str, int] = {}
        self._totals: dict[str, int] = {}
        self._files = 0
        self._ended = 0
        self._lock = threading.Lock()

    def __call__(self, event: str, info: dict[str, Any]) -> None:
        p = self._progress
        if p is None:
            return
        with self._lock:
            path = info.get("path", "")
            if event == "start":
                self._files = info["files"]
                self._overall = p.add_task(self._overall_text(), total=None)
            elif event == "begin":
                offset, total = info["offset"], info["bytes"]
                if total is not None:
                    self._totals[path] = total
                task = self._tasks.get(path)
                name = "  " + escape(path.rsplit("/", 1)[-1])  # a file name is not markup
                if task is None:
                    self._tasks[path] = p.add_task(name, total=total, completed=offset)
                else:
                    p.update(task, total=total, completed=offset)
                self._bump(path, offset - self._done.get(path, 0))
                self._done[path] = offset
            elif event == "advance":
                if path in self._tasks:
                    p.advance(self._tasks[path], info["bytes"])
                self._done[path] = self._done.get(path, 0) + info["bytes"]
                self._bump(path, info["bytes"])
            elif event == "end":
                self._ended += 1
                task = self._tasks.pop(path, None)
                if task is not None:
                    p.remove_task(task)
                if self._overall is not None:
                    p.update(self._overall, description=self._overall_text())

    def _bump(self, path: str, n: int) -> None:
        if self._overall is not None and self._progress is not None:
            total = sum(self._totals.values()) or None
            self._progress.update(self._overall, advance=n, total=total)

    def _overall_text(self) -> str:
        return f"{self._ended}/{self._files} files"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def print_summary(report: IngestReport, console: Console | None = None) -> None:
    """Final table: files, rows, bytes in, bytes out, seconds; then failures and unknowns."""
    console = console or Console()
    if report.dry_run:  # what would be done, file by file (whole paths), before the totals
        for r in report.results:
            note = f"  ({r.message})" if r.message else ""
            console.print(Text(f"{r.status:<8} {r.kind or '-':<20} {r.bytes_in:>14,}  "
                               f"{r.path}{note}"), soft_wrap=True)
    cols = ["status", "files", "rows read", "rows written", "bytes in", "bytes out", "seconds"]
    cells = []
    for status in sorted({r.status for r in report.results}):
        rs = [r for r in report.results if r.status == status]
        cells.append([status, str(len(rs)), f"{sum(r.rows_read for r in rs):,}",
                      f"{sum(r.rows_written for r in rs):,}", _size(sum(r.bytes_in for r in rs)),
                      _size(sum(r.bytes_out for r in rs)), f"{sum(r.seconds for r in rs):.1f}"])
    print_table(cols, cells, title=f"ingest into {report.db_dir}"
                + (" (dry run)" if report.dry_run else ""),
                caption=f"wall time {report.seconds:.1f} s",
                numeric=[c != "status" for c in cols], console=console)
    errors = Console(stderr=True)
    for r in report.failed:
        # soft_wrap: a message names a file and line; never break it across lines
        errors.print(Text.assemble(("failed", "red"), " ", r.message or ""), soft_wrap=True)
    for r in report.results:  # e.g. a file that displaced another's rows: two copies?
        if r.status == "ingested" and r.message:
            errors.print(Text.assemble(("note", "yellow"), f" {r.path} {r.message}"),
                         soft_wrap=True)
    if report.unknown:  # a warning, with the failures: stdout keeps the summary alone
        errors.print(f"{len(report.unknown)} file(s) match no release file kind (not "
                     "ingested; rename a release file to its published name):")
        for path in report.unknown:
            errors.print(Text(f"  {path}"), soft_wrap=True)


def print_download(report: DownloadReport, console: Console | None = None) -> None:
    """The download (or dry-run, or verify) report, then one line per failed file on stderr."""
    console = console or Console()

    def size(n: int | None) -> str:
        return "?" if n is None else f"{n:,}"

    if report.dry_run:
        cols = ["status", "file", "bytes", "note"]
        cells = [[r.status, r.path, size(r.bytes), "" if r.failed else r.message]
                 for r in report.results]
        todo = report.with_status("planned")
        caption = (f"{len(todo)} file(s) to fetch, {size(sum(r.bytes or 0 for r in todo))} "
                   "bytes" + (" or more (some sizes unknown)"
                              if any(r.bytes is None for r in todo) else ""))
        title = f"would download into {report.root} (dry run)"
        numeric = [False, False, True, False]
    else:
        cols = ["status", "files", "bytes", "seconds"]
        cells = []
        for status in dict.fromkeys(r.status for r in report.results):
            rs = report.with_status(status)
            cells.append([status, str(len(rs)), size(sum(r.bytes or 0 for r in rs)),
                          f"{sum(r.seconds for r in rs):.1f}"])
        caption = f"wall time {report.seconds:.1f} s"
        from ratgtex_db.download import server_folder

        title = (f"{'verify' if report.verify else 'download'} "
                 f"{report.base_url}/{server_folder(report.version)} -> {report.root}")
        numeric = [False, True, True, True]
    print_table(cols, cells, title=title, caption=caption, numeric=numeric, console=console)
    errors = Console(stderr=True)
    for r in report.failed:
        errors.print(Text.assemble((r.status, "red"), f" {r.path}: {r.message}"),
                     soft_wrap=True)
