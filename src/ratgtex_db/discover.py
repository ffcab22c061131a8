"""Walk files and folders (any layout) and match each file name against the registry."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ratgtex_db.errors import ConfigError, UnknownFileKind
from ratgtex_db.registry import Match, match

#: Marker file that ``synth`` writes at a synthetic release root.
SYNTHETIC_MARKER = "SYNTHETIC_RELEASE.txt"
#: Files left by our own downloader or editors that are never release files.
IGNORED_SUFFIXES = (".part", ".tmp", "~")


@dataclass(frozen=True)
class SourceFile:
    """A file found under a source: matched to a kind, named wrongly, or unknown."""

    path: Path
    match: Match | None
    error: str | None
    synthetic: bool

    @property
    def known(self) -> bool:
        return self.match is not None


def _is_synthetic(path: Path, levels: int = 4) -> bool:
    for parent in list(path.parents)[:levels]:
        if (parent / SYNTHETIC_MARKER).is_file():
            return True
    return False


def _walk(source: Path) -> Iterable[Path]:
    if source.is_file():
        yield source
        return
    if not source.is_dir():
        raise ConfigError(f"{source}: no such file or directory; give a release folder or file "
                          "(e.g. the data/v4 folder of a download)")
    for root, dirs, files in os.walk(source):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or name == SYNTHETIC_MARKER or name.endswith(IGNORED_SUFFIXES):
                continue
            yield Path(root) / name


def discover(sources: Iterable[str | os.PathLike[str]]) -> list[SourceFile]:
    """Every file under ``sources``, in a stable order, each matched or marked unknown."""
    out: list[SourceFile] = []
    seen: set[Path] = set()
    for src in sources:
        for path in _walk(Path(src).expanduser()):
            path = path.resolve()
            if path in seen:
                continue
            seen.add(path)
            try:
                m = match(path)
                err = None
            except UnknownFileKind as exc:
                m, err = None, str(exc)
            out.append(SourceFile(path, m, err, _is_synthetic(path)))
    return out
