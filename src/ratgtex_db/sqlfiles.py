"""The SQL-file loader: ``sql/queries/*.sql`` as named, documented, parameterised queries.

Each file holds one or more queries. A query opens with a header comment, as in aiosql::

    -- name: eqtls
    -- Independent cis-eQTLs (rows of eqtls_indep) ...
    -- Returns: ...
    -- Parameters:
    --   $version   release version
    --   $tissues   tissue ids (VARCHAR[]); NULL = all

The comment lines after ``-- name:`` are the query's documentation (the docstring of the
``Database`` method and the ``--help`` of the CLI command); the text before ``Parameters:`` is
the user-facing part. Parameters are DuckDB named parameters (``$name``), always bound by value,
never formatted into the SQL text; every one used must be documented in the header and vice
versa. Errors name the SQL file and line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from ratgtex_db.errors import QueryError
from ratgtex_db.paths import sql_dir

_NAME_RE = re.compile(r"^--\s*name:\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*$")
_PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_PARAMS_HEADING_RE = re.compile(r"^\s*Parameters\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Query:
    """One named query: its SQL, documentation, parameters and where it was defined."""

    name: str
    doc: str
    sql: str
    params: tuple[str, ...]
    path: Path
    line: int
    body_line: int

    @property
    def floc(self) -> str:
        """``FILE:LINE`` of the ``-- name:`` line, for messages."""
        return f"{self.path}:{self.line}"

    @property
    def summary(self) -> str:
        """The user-facing part of the doc: everything before ``Parameters:``."""
        out: list[str] = []
        for line in self.doc.splitlines():
            if _PARAMS_HEADING_RE.match(line):
                break
            out.append(line)
        return "\n".join(out).strip()


def strip_sql_noise(line: str) -> str:
    """A SQL line without its string literals and ``--`` comment (for finding ``$params``)."""
    line = re.sub(r"'(?:[^']|'')*'", "''", line)
    line = re.sub(r'"(?:[^"]|"")*"', '""', line)
    return line.split("--", 1)[0]


def parse(text: str, path: Path) -> list[Query]:
    """Split one SQL file into its queries.

    Raises
    ------
    QueryError : text before the first ``-- name:``, an empty query, or parameters used but not
        documented in the header (or documented but unused); the message starts ``FILE:LINE``.
    """
    lines = text.splitlines()
    starts = [i for i, ln in enumerate(lines) if _NAME_RE.match(ln.strip())]
    first_code = next((i for i, ln in enumerate(lines)
                       if ln.strip() and not ln.lstrip().startswith("--")), None)
    if not starts or (first_code is not None and first_code < starts[0]):
        where = (first_code or 0) + 1
        raise QueryError(f"{path}:{where}: a query file must open with a '-- name: NAME' line")
    out: list[Query] = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        name = _NAME_RE.match(lines[start].strip()).group("name")  # type: ignore[union-attr]
        doc_lines: list[str] = []
        i = start + 1
        while i < end and lines[i].lstrip().startswith("--"):
            doc_lines.append(re.sub(r"^\s*-- ?", "", lines[i]).rstrip())
            i += 1
        while i < end and not lines[i].strip():
            i += 1
        body = "\n".join(lines[i:end]).rstrip()
        if not body:
            raise QueryError(f"{path}:{start + 1}: empty SQL for query {name!r}")
        used: list[str] = []
        for ln in lines[i:end]:
            for p in _PARAM_RE.findall(strip_sql_noise(ln)):
                if p not in used:
                    used.append(p)
        documented_params = set(_PARAM_RE.findall("\n".join(doc_lines)))
        if undocumented := [p for p in used if p not in documented_params]:
            raise QueryError(
                f"{path}:{start + 1}: query {name!r} uses "
                f"{', '.join('$' + p for p in undocumented)} but its header does not document "
                "them; add a line '--   $name  meaning' under 'Parameters:'")
        if unused := sorted(documented_params - set(used)):
            raise QueryError(
                f"{path}:{start + 1}: query {name!r} documents "
                f"{', '.join('$' + p for p in unused)} but its SQL does not use them")
        out.append(Query(name, "\n".join(doc_lines).strip(), body, tuple(used), path, start + 1,
                         i + 1))
    return out


def load(folder: Path | None = None) -> dict[str, Query]:
    """Every query of ``folder`` (default: the shipped ``sql/queries``), by name.

    Raises
    ------
    QueryError : a malformed file, or two queries with the same name.
    """
    folder = folder if folder is not None else sql_dir() / "queries"
    queries: dict[str, Query] = {}
    for path in sorted(folder.glob("*.sql")):
        for q in parse(path.read_text(), path):
            if q.name in queries:
                raise QueryError(f"{q.floc}: query {q.name!r} is already defined at "
                                 f"{queries[q.name].floc}")
            queries[q.name] = q
    return queries


@functools.cache
def shipped() -> dict[str, Query]:
    """The shipped queries, loaded once per process."""
    return load()


def get(name: str) -> Query:
    """The shipped query called ``name``."""
    queries = shipped()
    if name not in queries:
        raise QueryError(f"no query named {name!r}; known: {', '.join(sorted(queries))}")
    return queries[name]


def error_line(q: Query, message: str) -> int:
    """The file line a DuckDB error is about: its ``LINE n`` (counted from the start of the
    query text), else the first line naming a quoted identifier of the message (binder
    errors carry no position), else the ``-- name:`` line."""
    m = re.search(r"LINE (\d+):", message)
    if m:
        return q.body_line + int(m.group(1)) - 1
    for ident in re.findall(r'"([^"\n]+)"', message):
        for k, line in enumerate(q.sql.splitlines()):
            if re.search(rf"(?<![\w$]){re.escape(ident)}(?!\w)", strip_sql_noise(line)):
                return q.body_line + k
    return q.line


def query_error(q: Query | None, err: Exception) -> QueryError:
    """A DuckDB error as a :class:`QueryError`, naming the SQL file and line when known."""
    if q is None:
        return QueryError(f"{type(err).__name__}: {err}")
    return QueryError(f"{q.path}:{error_line(q, str(err))}: query {q.name!r} failed: "
                      f"{type(err).__name__}: {err}")


def documented(name: str):
    """Decorator: append the query's header documentation to a method's docstring."""

    def deco(fn):
        try:
            q = get(name)
        except QueryError:  # a broken SQL file is reported when the query runs
            return fn
        pad = " " * 8
        text = "\n".join(pad + ln if ln else "" for ln in q.doc.splitlines())
        fn.__doc__ = (fn.__doc__ or "").rstrip() + f"\n\n{pad}SQL ``{q.path.name}``:\n\n{text}\n"
        return fn

    return deco


def help_text(name: str, example: str) -> str:
    """The ``--help`` of a CLI command: the query's user-facing doc and an example."""
    try:
        summary = get(name).summary
    except QueryError as err:
        summary = f"(documentation unavailable: {err})"
    # One line per paragraph: the help renderer wraps to the terminal itself.
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", summary) if p.strip()]
    return "\n\n".join([*paragraphs, f"Example: {example}"])


#: Meanings of public catalog objects that have no file in sql/views.
TABLE_MEANINGS = {
    "ingested_files": "The manifest: one row per source file ingested, skipped or failed, "
                      "with its size, checksum, rows and message.",
}


@functools.cache
def view_meanings(folder: Path | None = None) -> dict[str, str]:
    """Per public view, its one-line meaning: the first comment line of
    ``sql/views/<view>.sql`` without the ``-- <view>:`` prefix."""
    folder = folder if folder is not None else sql_dir() / "views"
    out = dict(TABLE_MEANINGS)
    for path in sorted(folder.glob("*.sql")):
        first = next((ln for ln in path.read_text().splitlines() if ln.strip()), "")
        if first.lstrip().startswith("--"):
            text = first.lstrip()[2:].strip()
            name, sep, rest = text.partition(":")
            out[path.stem] = rest.strip() if sep and name.strip() == path.stem else text
    return out
