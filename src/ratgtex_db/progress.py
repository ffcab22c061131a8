"""Rich progress bars and the summary table of an ingest run (CLI presentation only)."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from ratgtex_db.ingest import IngestReport


class IngestProgress:
    """Overall bar (bytes of all files) and one line for the file being converted."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.console = Console(stderr=True)
        self._progress: Progress | None = None
        self._overall = None
        self._current = None

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

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
            self._current = p.add_task(f"  {name}", total=info["bytes"])
        elif event == "file":
            res = info["result"]
            if self._overall is not None:
                p.advance(self._overall, res.bytes_in)
            if self._current is not None:
                p.update(self._current, completed=res.bytes_in)


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return str(n)


def print_summary(report: IngestReport, console: Console | None = None) -> None:
    """Final table: files, rows, bytes in, bytes out, seconds; then failures and unknowns."""
    console = console or Console()
    table = Table(title=f"ingest into {report.db_dir}" + (" (dry run)" if report.dry_run
                                                           else ""))
    for col in ("status", "files", "rows read", "rows written", "bytes in", "bytes out",
                "seconds"):
        table.add_column(col, justify="left" if col == "status" else "right")
    statuses = sorted({r.status for r in report.results})
    for status in statuses:
        rs = [r for r in report.results if r.status == status]
        table.add_row(status, str(len(rs)), f"{sum(r.rows_read for r in rs):,}",
                      f"{sum(r.rows_written for r in rs):,}", _size(sum(r.bytes_in for r in rs)),
                      _size(sum(r.bytes_out for r in rs)), f"{sum(r.seconds for r in rs):.1f}")
    table.caption = f"wall time {report.seconds:.1f} s"
    console.print(table)
    for r in report.failed:
        # soft_wrap: a message names a file and line; never break it across lines
        Console(stderr=True).print(f"[red]failed[/red] {escape(r.message or '')}",
                                   highlight=False, soft_wrap=True)
    if report.unknown:
        console.print(f"{len(report.unknown)} file(s) match no release file kind:")
        for path in report.unknown:
            console.print(f"  {escape(path)}", highlight=False, soft_wrap=True)
