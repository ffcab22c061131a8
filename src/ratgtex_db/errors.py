"""The exception family of ratgtex-db. The library raises these; only the CLI prints them."""

from __future__ import annotations


class RatgtexError(Exception):
    """Base class of every error ratgtex-db raises on purpose."""


class ConfigError(RatgtexError):
    """Raised when a database location or option cannot be used."""


class UnknownFileKind(RatgtexError):
    """Raised when a file name matches no release file kind, or names an unknown version/tissue."""


class FormatError(RatgtexError):
    """Raised when a release file's content does not follow the release format.

    The message starts with ``file:line`` and names the column, what was expected and what was
    found, e.g. ``expr.log2.BLA.v4_rn8.bed.gz:1843: column '00077E67B5': expected a number,
    found 'n/a'``.
    """

    def __init__(
        self,
        path: str,
        message: str,
        *,
        line: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: str | None = None,
    ) -> None:
        self.path = str(path)
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
        where = self.path if line is None else f"{self.path}:{line}"
        parts = [where]
        if column is not None:
            parts.append(f"column '{column}'")
        text = message
        if expected is not None or found is not None:
            text = f"{message}: expected {expected}, found {found!r}" if message else (
                f"expected {expected}, found {found!r}"
            )
        parts.append(text)
        said = ": ".join(p for p in parts if p)
        if line is not None and "re-download" not in said and "; " not in said:  # what to do
            said += ("; the file does not follow the release format there: re-download it, or "
                     "fix or remove that line and ingest again")
        super().__init__(said)


class SchemaError(RatgtexError):
    """Raised when a header lacks a required column or has one twice."""


class IngestError(RatgtexError):
    """Raised when an ingest run finished with files that failed (the others were ingested)."""


class DownloadError(RatgtexError):
    """Raised when a release file cannot be fetched, fails its checks, or the local copy is bad."""


class CatalogLocked(RatgtexError):
    """Raised when the catalog stays locked by another process past the retry period."""


class QueryError(RatgtexError):
    """Raised when a query is refused (e.g. a write in read-only ``sql``) or fails."""


class UnknownGene(RatgtexError):
    """Raised when a gene id matches nothing, exactly or case-insensitively."""

    def __init__(self, gene: str, suggestions: list[str] | None = None) -> None:
        self.gene = gene
        self.suggestions = list(suggestions or [])
        msg = f"unknown gene {gene!r}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions)
        super().__init__(msg)


class RatgtexWarning(UserWarning):
    """Base class of the warnings ratgtex-db gives (the command line prints them on stderr)."""


class UnknownGeneWarning(RatgtexWarning):
    """Given when some names of a gene list match nothing; the others are answered."""
