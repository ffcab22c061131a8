"""The ``ratgtex-db`` command line: each command parses, calls the library once, renders.

Errors are handled in one place (:class:`_Commands`): a library error
(:class:`~ratgtex_db.errors.RatgtexError`) becomes one line on stderr and exit status 1; usage
errors (a bad option value) exit 2; a closed output pipe ends the command quietly with status 0;
anything else keeps its traceback (it is a bug). Library warnings (an unknown gene among known
ones) print one line on stderr. Rows go out through the one renderer (:mod:`ratgtex_db.render`).
"""

# No ``from __future__ import annotations`` here: Typer reads every command's annotations at
# each start (typing.get_type_hints), and evaluating them as strings cost ~55 ms per run.
import copy
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ratgtex_db import inputs
from ratgtex_db.errors import ConfigError, RatgtexError, RatgtexWarning
from ratgtex_db.paths import ENV_VAR, catalog_path, resolve_db_dir


def _click_class(name: str) -> type[Exception]:
    # Typer raises the exceptions of the click it runs on (click itself, or the copy newer
    # Typer versions vendor); typer.BadParameter is one of them in every version.
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


ClickException = _click_class("ClickException")
UsageError = _click_class("UsageError")

#: Scales of ``synth``/``demo`` (the names synth.py takes).
SCALES = ("tiny", "small", "medium", "large")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, RatgtexWarning):
        typer.echo(f"Warning: {message}", err=True)
    else:  # not ours: the usual format
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _db_first(args: list[str]) -> list[str]:
    """``--db DIR`` given after the command moves before it (``tissues --db x`` works)."""
    out: list[str] = []
    moved: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            out.extend(args[i:])
            break
        if a == "--db" and i + 1 < len(args):
            moved += args[i:i + 2]
            i += 2
            continue
        if a.startswith("--db="):
            moved.append(a)
        else:
            out.append(a)
        i += 1
    return moved + out


def _one_line(message: str) -> str:
    """A message on one line: DuckDB's multi-line errors lose their ``LINE n:`` excerpt and
    caret (the SQL file and line are already named) and join the rest."""
    lines = [ln.strip() for ln in message.splitlines()]
    kept = [ln for ln in lines if ln and not ln.startswith("LINE ") and set(ln) != {"^"}]
    return " ".join(kept) or message


class _Commands(TyperGroup):
    """The command group: the one place where library errors become CLI errors."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _db_first(list(args)))

    def invoke(self, ctx: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("always", RatgtexWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except RatgtexError as err:
            raise ClickException(_one_line(str(err))) from err
        except BrokenPipeError:
            # The reader went away (``| head -1``): stop like other Unix tools, status 0, and
            # keep Python from complaining when it flushes stdout at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):  # stdout is not a file (tests)
                pass
            raise typer.Exit(0) from None
        except OSError as err:  # a path the user named: unwritable, a file for a folder, ...
            raise ClickException(_os_message(err)) from err
        except Exception as err:
            if type(err).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
                raise
            # DuckDB refusing a file the user pointed at (--db holding a file that is not a
            # catalog); queries' own errors are already worded by the library
            raise ClickException(_one_line(f"DuckDB: {err}; check --db (run 'ratgtex-db "
                                           "validate'), or ingest into a new folder")) from err


def _os_message(err: OSError) -> str:
    """One line naming the path and the system's reason, with what to check."""
    what = err.strerror or type(err).__name__
    path = err.filename if err.filename is not None else ""
    hint = {"NotADirectoryError": "a file stands where a folder is needed",
            "FileExistsError": "a file stands where a folder is needed",
            "PermissionError": "check the path's permissions, or choose another"}.get(
        type(err).__name__, "check the path")
    return _one_line(f"cannot use {path}: {what} ({hint})" if path else f"{what} ({hint})")


app = typer.Typer(
    name="ratgtex-db",
    cls=_Commands,
    help="Query a RatGTEx release as a local DuckDB + Parquet database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click messages: an error is one line on stderr
)


class State:
    db: Path | None = None
    db_flag: bool = False  # --db given
    db_given: bool = False  # --db or $RATGTEX_DB given


state = State()


def _print_version(value: bool) -> None:
    if value:
        from ratgtex_db import __version__

        typer.echo(f"ratgtex-db {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help=f"Database directory (default: ${ENV_VAR}, else the user data directory); "
                 "before or after the command.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[bool, typer.Option(
        "--version", help="Print the ratgtex-db version and exit.", is_eager=True,
        callback=_print_version)] = False,
) -> None:
    state.db_flag = db is not None
    state.db_given = state.db_flag or bool(os.environ.get(ENV_VAR))
    state.db = resolve_db_dir(db)


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma lists alike: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    if not values:
        return None
    return inputs.split_commas(values)


def _scale(value: str) -> str:
    scale = value.strip().lower()
    if scale not in SCALES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(SCALES)}",
                                 param_hint="'--scale'")
    return scale


ScaleOpt = Annotated[str, typer.Option("--scale", help=f"{', '.join(SCALES)} (any case).",
                                       callback=_scale)]


def _study_group(value: str) -> str:
    """A study group as typed, any case (``eye`` -> ``Eye``; ``study:Eye`` also accepted)."""
    from ratgtex_db.release import STUDY_GROUPS, STUDY_PREFIX

    name = value.removeprefix(STUDY_PREFIX)
    found = [g for g in STUDY_GROUPS if g.lower() == name.lower()]
    if not found:
        raise typer.BadParameter(f"{value!r} is not a study group; choose "
                                 f"{', '.join(STUDY_GROUPS)}", param_hint="'--study'")
    return found[0]


StudyOpt = Annotated[str | None, typer.Option(
    "--study", help="A study data archive (release-format 10): IL_LHb_NAcc_OFC_PL, Eye, Y_MT "
    "or HPC_F2 (any case).", show_default=False)]


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the release tree into.")],
    scale: ScaleOpt = "small",
    seed: Annotated[int, typer.Option(help="Random seed; same seed + scale = same bytes.")] = 1,
    version: Annotated[str, typer.Option(help="Release version to imitate: v1, v2, v3 "
                                         "(scales tiny, small) or v4.")] = "v4",
    tissues: Annotated[
        list[str] | None,
        typer.Option("--tissues", help="Tissues to write (repeat or comma list)."),
    ] = None,
    unmerged: Annotated[bool, typer.Option(
        "--unmerged", help="v3 only: also write the unmerged NAcc1-3 / PL1-3 files.")] = False,
    study: StudyOpt = None,
) -> None:
    """Write a synthetic release tree in the exact RatGTEx file format.

    With --study GROUP: the files of that study data archive instead (release-format 10),
    into OUT/studies/GROUP/.

    Example: ratgtex-db synth /tmp/release --scale tiny --seed 7
    """
    if study is not None:
        from ratgtex_db.synth_study import synthesize_study

        root = synthesize_study(out, _study_group(study), seed=seed)
        typer.echo(f"wrote synthetic study files to {root}")
        return
    root = _synthesize(out, scale, seed, version, unmerged, _split(tissues))
    typer.echo(f"wrote synthetic release to {root}")


def _synthesize(out: Path, scale: str, seed: int, version: str, unmerged: bool,
                tissues: list[str] | None) -> Path:
    """v4 from synth.py, v1-v3 from synth_legacy.py; --unmerged exists only for v3."""
    version = _check_unmerged(version, unmerged)
    if version in ("v1", "v2", "v3"):
        from ratgtex_db.synth_legacy import write_legacy_release

        return write_legacy_release(out, version, scale=scale, seed=seed, unmerged=unmerged,
                                    tissues=tissues)
    from ratgtex_db.synth import synthesize

    return synthesize(out, scale=scale, seed=seed, version=version, tissues=tissues)


def _check_unmerged(version: str, unmerged: bool) -> str:
    version = version.lower()
    if unmerged and version != "v3":
        raise typer.BadParameter(f"only v3 has unmerged tissues, not {version}; drop "
                                 "--unmerged or use --version v3", param_hint="'--unmerged'")
    return version


FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="table, tsv, csv, json, jsonl or parquet, any case "
                 "(default: from -o's extension, else table on a terminal, tsv when piped).",
                 show_default=False),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout "
                              "(.tsv .csv .json .jsonl .parquet).")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=0, max=2**63 - 1,  # DuckDB's LIMIT
                                              help="At most N rows.", show_default=False)]
VersionOpt = Annotated[
    str | None,
    typer.Option("--version", help="Release version (default: newest ingested).",
                 show_default=False),
]


def _demo_dir() -> Path:
    from ratgtex_db.paths import demo_db_dir

    return demo_db_dir()


def open_db(frames: bool = False):
    """The database of ``--db`` opened read-only for queries (rows are streamed, no polars;
    ``frames=True``: polars frames, for the plots).

    When no database was named and the default one does not exist but the demo's does, the
    error says which ``--db`` / ``$RATGTEX_DB`` to use.
    """
    from ratgtex_db.database import Database

    assert state.db is not None
    if not state.db_given and not catalog_path(state.db).exists():
        demo = _demo_dir()
        if catalog_path(demo).exists():
            raise ConfigError(
                f"no database at {state.db} (the default); the demo database is at {demo}: "
                f"pass --db {demo} or export {ENV_VAR}={demo}")
    return Database(state.db, frames=frames)


def emit(data: Any, fmt: str | None, output: Path | None, limit: int | None = None,
         title: str | None = None) -> None:
    """Render rows through the one renderer."""
    from ratgtex_db.render import render

    render(data, fmt, output, limit=limit, title=title)


@app.command()
def ingest(
    sources: Annotated[list[str] | None, typer.Argument(
        help="Release files or folders (any layout), or a server URL (e.g. "
             "https://ratgtex.org/data) to download from first.", show_default=False)] = None,
    download: Annotated[bool, typer.Option(
        "--download", help="Download the release from ratgtex.org (or the URL given) into "
        "<db>/downloads first, then ingest it.")] = False,
    version: Annotated[str, typer.Option("--version", help="Release version to download.")
                       ] = "v4",
    tissue: Annotated[list[str] | None, typer.Option(
        "--tissue", help="With --download: only these tissues' per-tissue files.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1,
                                      help="Files converted in parallel.")] = 1,
    force: Annotated[bool, typer.Option(help="Re-ingest files even if unchanged.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what would be done.")
                       ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars.")] = False,
) -> None:
    """Ingest release files into the database (incremental: unchanged files are skipped).

    Kinds, versions, tissues and modalities are recognised from file names. A file that fails
    is reported (file, line, column) and leaves its previous data untouched; the others still
    ingest; the exit status is then 1.

    Example: ratgtex-db --db ~/ratgtex ingest ~/Downloads/ratgtex/data/v4

    Example (download, then ingest): ratgtex-db --db ~/ratgtex ingest --download --tissue BLA
    """
    from ratgtex_db.ingest import ingest as run_ingest
    from ratgtex_db.progress import IngestProgress, print_summary

    assert state.db is not None
    paths = [s for s in sources or [] if "://" not in s]
    urls = [s for s in sources or [] if "://" in s]
    if download and not urls:
        from ratgtex_db.download import DEFAULT_BASE_URL

        urls = [DEFAULT_BASE_URL]
    if not paths and not urls:
        raise UsageError("give release files/folders, a URL, or --download")
    download_failed = False
    for url in urls:
        from ratgtex_db.download import download_release
        from ratgtex_db.progress import DownloadProgress

        dest = state.db / "downloads"
        url_version = version.lower()
        folder = re.match(r"^(.+?)/(v\d+)/*$", url)  # the version's own folder, as the
        if folder:                                   # documents write it: .../data/v4/
            url, url_version = folder.group(1), folder.group(2)
        with DownloadProgress(enabled=not quiet and not dry_run) as dprog:
            drep = download_release(dest, version=url_version, tissues=_split(tissue),
                                    base_url=url, jobs=max(jobs, 4), dry_run=dry_run,
                                    progress=dprog)
        for r in drep.failed:
            typer.echo(f"download failed: {r.message}", err=True)
        download_failed |= bool(drep.failed)
        paths.append(str(drep.root))
    if dry_run and urls:
        typer.echo(f"dry run: would download into {state.db / 'downloads'} and ingest it")
        return
    with IngestProgress(enabled=not quiet and not dry_run) as progress:
        report = run_ingest(paths, state.db, force=force, jobs=jobs, dry_run=dry_run,
                            progress=progress)
    print_summary(report)
    if report.failed or download_failed:
        raise typer.Exit(1)


def _read_sql(file: Path) -> str:
    """The SQL of ``-f FILE`` (``-`` is stdin), or a ConfigError naming the file."""
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise ConfigError(f"cannot read -f {file}: no such file; check the path (or use "
                          "-f - to read the SQL from stdin)") from err
    except IsADirectoryError as err:
        raise ConfigError(f"cannot read -f {file}: it is a folder; give a .sql file") from err
    except PermissionError as err:
        raise ConfigError(f"cannot read -f {file}: permission denied") from err
    except UnicodeDecodeError as err:
        raise ConfigError(f"cannot read -f {file}: not UTF-8 text ({err.reason} at byte "
                          f"{err.start}); save the SQL as UTF-8") from err


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL text (or use -f FILE).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the SQL from FILE "
                                              "('-' reads stdin).")] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Run read-only SQL over the views (SELECT / EXPLAIN / PRAGMA; writes are refused).

    Rows are streamed: an export of millions of rows (-o FILE, or a pipe) keeps memory flat,
    and a closed pipe (| head) stops the query. 'ratgtex-db views' lists the views.

    Example: ratgtex-db sql "SELECT tissue, count(*) FROM eqtls_indep GROUP BY 1"
    """
    if (query is None) == (file is None):
        raise UsageError("give either QUERY or --file FILE")
    text = query if query is not None else _read_sql(file)  # type: ignore[arg-type]
    if not text.strip():
        raise ConfigError("the SQL is empty" + (f" (-f {file})" if file is not None else ""))
    with open_db() as db:
        emit(db.sql(text), fmt, output, limit)


@app.command()
def info(fmt: FormatOpt = None) -> None:
    """Versions, tissues, tables with row counts and bytes, source vs lake size.

    With --format json: one JSON object {database, synthetic, versions, tissues, tables}.

    Example: ratgtex-db info --format json
    """
    from ratgtex_db.render import choose_format, json_document

    chosen = choose_format(fmt)
    if chosen == "parquet":
        raise ConfigError("info has no parquet form; use --format table, tsv, csv or json")
    with open_db() as db:
        parts = db.info()
        synthetic = db.is_synthetic()
        if chosen in ("json", "jsonl"):
            typer.echo(json_document({"database": str(state.db), "synthetic": synthetic,
                                      **parts}), nl=False)
            return
        typer.echo(f"database: {state.db}")
        if synthetic:
            typer.echo("NOTE: this database holds SYNTHETIC demo data, not real RatGTEx results.")
        for title, frame in parts.items():
            if chosen != "table":
                typer.echo(f"# {title}")
            emit(frame, chosen, None, title=title)


@app.command()
def validate(fmt: FormatOpt = None, quick: Annotated[bool, typer.Option(
        "--quick", help="Read each Parquet file's footer only, not every page.")] = False,
             ) -> None:
    """Re-check the lake against the manifest: files present and readable, row counts, sources.

    Every page of every lake file is read back (and its checksum compared), so damage inside a
    file is found; --quick reads only the footers. Exit status 1 when a problem is found. With
    --format json: one JSON object {ok, problems}.

    Example: ratgtex-db validate
    """
    from ratgtex_db.render import choose_format, json_document

    chosen = choose_format(fmt)
    with open_db() as db:
        problems = db.validate(pages=not quick)
    if chosen in ("json", "jsonl"):
        typer.echo(json_document({"database": str(state.db), "ok": problems.height == 0,
                                  "problems": problems}), nl=False)
    elif problems.height:
        emit(problems, chosen, None, title="problems")
    else:
        typer.echo("ok: every Parquet file is present and readable with the recorded row count"
                   + ("" if quick else ", every page read back"))
    if problems.height:
        raise typer.Exit(1)


@app.command()
def views(
    view: Annotated[str | None, typer.Argument(help="One view: its columns and types.",
                                               show_default=False)] = None,
    fmt: FormatOpt = None, output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    """The public views: name, meaning and columns; with VIEW, its columns and types.

    Internal objects (names starting with '_', other schemas) are not listed.

    Example: ratgtex-db views cis_qtl_signif
    """
    with open_db() as db:
        emit(db.views(view), fmt, output, limit, title=view)


def _tour_gene(db, version: str) -> str | None:
    """The demo's showcase gene: independent eQTLs in the most tissues, then the strongest."""
    rows = db.sql("SELECT gene_id FROM eqtls_indep WHERE version = ? GROUP BY gene_id "
                  "ORDER BY count(DISTINCT tissue) DESC, min(pval_nominal), gene_id LIMIT 1",
                  [version]).rows()
    return rows[0][0] if rows else None


@app.command()
def demo(
    scale: ScaleOpt = "small",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    version: Annotated[str, typer.Option(help="Release version to imitate: v1, v2, v3 "
                                         "or v4.")] = "v4",
    unmerged: Annotated[bool, typer.Option(
        "--unmerged", help="v3 only: include the unmerged NAcc1-3 / PL1-3 files.")] = False,
) -> None:
    """Synthesise a small release, ingest it, and print a short tour of queries.

    The demo uses its own database directory (never your real catalog, even when
    $RATGTEX_DB is set) unless --db names one; the end of the tour says how to query it.

    Example: ratgtex-db demo
    """
    from ratgtex_db.database import Database
    from ratgtex_db.ingest import ingest as run_ingest
    from ratgtex_db.progress import IngestProgress, print_summary

    assert state.db is not None
    db_dir = state.db if state.db_flag else _demo_dir()
    release = db_dir / "synthetic-release"
    version = _check_unmerged(version, unmerged)
    if not (release / "data" / version).exists():
        typer.echo(f"synthesising a {scale} {version} release into {release} ...")
        _synthesize(release, scale, seed, version, unmerged, None)
    with IngestProgress(enabled=True) as progress:
        report = run_ingest([release / "data"], db_dir, progress=progress)
    print_summary(report)
    prefix = "ratgtex-db" + ("" if os.environ.get(ENV_VAR) == str(db_dir) else
                             f" --db {db_dir}")
    v = version.lower()
    opt = "" if v == "v4" else f" --version {v}"
    with Database(db_dir, frames=False) as db:
        gene = _tour_gene(db, v)
        tour: list[tuple[str, str, Any]] = [
            ("Tissues: samples, expressed genes, eGenes, QTLs per modality", f"tissues{opt}",
             lambda: db.tissues(version=v)),
        ]
        if gene is not None:
            tour += [
                (f"One gene across tissues: status, median TPM, lead eQTL ({gene})",
                 f"gene {gene}{opt}", lambda: db.gene(gene, version=v)),
                ("Its significant cis pairs, all modalities (first 10)",
                 f"assoc --gene {gene} --limit 10{opt}",
                 lambda: db.assoc(gene, limit=10, version=v)),
            ]
        for title, command, call in tour:
            typer.echo(f"\n$ {prefix} {command}")
            emit(call(), None, None, title=title)
    typer.echo("\nThese data are SYNTHETIC.")
    if prefix != "ratgtex-db":
        typer.echo(f"To query them: export {ENV_VAR}={db_dir}   (or pass --db {db_dir})")
    typer.echo(f"Then try: ratgtex-db views; ratgtex-db eqtls --gene {gene or 'GENE'}{opt}; "
               "ratgtex-db info")
    if report.failed:
        raise typer.Exit(1)


@app.command()
def download(
    dest: Annotated[Path, typer.Argument(help="Folder to download into (files go to "
                                         "DEST/VERSION/... as on the server).")],
    version: Annotated[str, typer.Option("--version", help="Release version.")] = "v4",
    tissues: Annotated[
        list[str] | None,
        typer.Option("--tissue", help="Only these tissues' per-tissue files (repeat or comma "
                     "list); release-wide files are kept unless --kind narrows them."),
    ] = None,
    kinds: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only these file kinds, by registry name (e.g. gene, "
                     "cis_qtl_signif, phenos; repeat or comma list)."),
    ] = None,
    base_url: Annotated[str | None, typer.Option(
        "--base-url", help="Server folder holding VERSION/ (default: https://ratgtex.org/data).",
        show_default=False)] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1,
                                      help="Files downloaded in parallel.")] = 4,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list the files and their "
                                          "sizes (HEAD requests); write nothing.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Re-hash downloaded files against "
                                         "the local manifest (no network).")] = False,
    study: StudyOpt = None,
) -> None:
    """Download a RatGTEx release into DEST: parallel, resumable, checked.

    Interrupted files resume where they stopped; gzip and zip files are checked before they
    take their final name; complete files are recorded in DEST/VERSION/.ratgtex-download.json
    and skipped on the next run. A file that fails is reported and the others still download;
    the exit status is then 1. A host name that does not resolve stops the run at once.
    DEST/VERSION can be given to ingest as it is.

    With --study GROUP: that study data archive (server folder studies/GROUP/, into
    DEST/studies/GROUP/; its version is study:GROUP).

    Example: ratgtex-db download ~/ratgtex-data --tissue BLA --kind cis_qtl_signif,top_assoc

    Example: ratgtex-db download ~/ratgtex-data --study Eye
    """
    from ratgtex_db.download import DEFAULT_BASE_URL, download_release
    from ratgtex_db.progress import DownloadProgress, print_download

    if study is not None:
        version = "study:" + _study_group(study)
    else:
        version = version.lower()
    with DownloadProgress(enabled=not dry_run and not verify) as progress:
        report = download_release(dest, version=version, tissues=_split(tissues),
                                  kinds=_split(kinds), base_url=base_url or DEFAULT_BASE_URL,
                                  jobs=jobs, dry_run=dry_run, verify=verify, progress=progress)
    print_download(report)
    if report.failed:
        raise typer.Exit(1)


# -- canned queries ---------------------------------------------------------------------------
# Each command parses its options, calls the Database method of the same name (sql/queries/
# <name>.sql; hyphens only here) and renders through ``emit``. The help text is the SQL
# file's header, so the definitions are written once.

GeneOpt = Annotated[
    list[str] | None,
    typer.Option("--gene", help="Gene id or symbol, any case (repeat or comma list; '-' reads "
                 "ids from stdin).", metavar="GENE", show_default=False),
]
VariantOpt = Annotated[
    list[str] | None,
    typer.Option("--variant", help="Variant id chrN:pos (repeat or comma list; '-' reads "
                 "stdin).", metavar="VARIANT", show_default=False),
]
RegionOpt = Annotated[
    str | None,
    typer.Option("--region", help="Region chrN:start-end, 1-based inclusive.",
                 metavar="REGION", show_default=False),
]
TissueOpt = Annotated[
    list[str] | None,
    typer.Option("--tissue", help="Tissue id (repeat or comma list); default all.",
                 metavar="TISSUE", show_default=False),
]
ModalitiesOpt = Annotated[
    list[str] | None,
    typer.Option("--modality", help="expression, isoforms, splicing, alt_TSS, alt_polyA or "
                 "stability (repeat or comma list); default all.", metavar="MODALITY",
                 show_default=False),
]
ModalityOpt = Annotated[
    str, typer.Option("--modality", help="expression, isoforms, splicing, alt_TSS, alt_polyA "
                      "or stability.")
]


def _query_help(name: str, example: str) -> str:
    from ratgtex_db.sqlfiles import help_text

    return help_text(name, example)


def _values(values: list[str] | None) -> list[str] | None:
    """Like ``_split``, and a '-' is replaced by the ids read from stdin (whitespace/commas)."""
    import re

    items = _split(values)
    if items and "-" in items:
        read = [x for x in re.split(r"[\s,]+", sys.stdin.read()) if x]
        items = [x for v in items for x in (read if v == "-" else [v])]
    return items


@app.command("versions", help=_query_help("versions", "ratgtex-db versions"))
def cmd_versions(fmt: FormatOpt = None, output: OutputOpt = None,
                 limit: LimitOpt = None) -> None:
    with open_db() as db:
        emit(db.versions(limit=limit), fmt, output, limit)


@app.command("compare", help=_query_help("compare", "ratgtex-db compare Lft19"))
def cmd_compare(
    gene: Annotated[str, typer.Argument(help="Gene id or symbol, any case (v1/v2: Ensembl id "
                                        "or symbol).", metavar="GENE")],
    fmt: FormatOpt = None, output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        emit(db.compare(gene, limit=limit), fmt, output, limit)


@app.command("tissues", help=_query_help("tissues", "ratgtex-db tissues --format csv"))
def cmd_tissues(tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
                output: OutputOpt = None, limit: LimitOpt = None) -> None:
    with open_db() as db:
        frame = db.tissues(_split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("gene", help=_query_help("gene", "ratgtex-db gene Lft19 t1sy6 --tissue BLA"))
def cmd_gene(
    genes: Annotated[list[str], typer.Argument(help="Gene ids or symbols, any case ('-' reads "
                                               "stdin).", metavar="GENE...")],
    tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.gene(_values(genes), _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("eqtls", help=_query_help("eqtls", "ratgtex-db eqtls --gene Lft19,T1sy6 "
                                       "--tissue BLA"))
def cmd_eqtls(gene: GeneOpt = None, variant: VariantOpt = None, region: RegionOpt = None,
              tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
              output: OutputOpt = None, limit: LimitOpt = None) -> None:
    with open_db() as db:
        frame = db.eqtls(_values(gene), _values(variant), region, _split(tissue),
                         version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("xqtls", help=_query_help("xqtls", "ratgtex-db xqtls --gene Lft19 --modality "
                                       "splicing,isoforms"))
def cmd_xqtls(
    gene: GeneOpt = None, variant: VariantOpt = None, region: RegionOpt = None,
    tissue: TissueOpt = None, modality: ModalitiesOpt = None,
    cross_modality: Annotated[bool, typer.Option(
        "--cross-modality", help="Signals conditioned across modalities "
        "(xqtls_indep_cross_modality).")] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.xqtls(_values(gene), _values(variant), region, _split(tissue),
                         _split(modality), cross_modality, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("assoc", help=_query_help("assoc", "ratgtex-db assoc --gene Lft19 --tissue BLA "
                                       "--modality expression"))
def cmd_assoc(gene: GeneOpt = None, variant: VariantOpt = None, region: RegionOpt = None,
              tissue: TissueOpt = None, modality: ModalitiesOpt = None,
              version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
              limit: LimitOpt = None) -> None:
    if not gene and not variant and region is None:
        raise UsageError("give --gene, --variant or --region")
    with open_db() as db:
        frame = db.assoc(_values(gene), _values(variant), region, _split(tissue),
                         _split(modality), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("expression", help=_query_help(
    "expression", "ratgtex-db expression Lft19 --tissue BLA,NAcc --unit log2") + (
    "\n\nWith --samples: one row per rat (gene_id, tissue, unit, rat_id, value)."))
def cmd_expression(
    genes: Annotated[list[str], typer.Argument(help="Gene ids or symbols ('-' reads stdin).",
                                               metavar="GENE...")],
    tissue: TissueOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="tpm or log2 (any case); v1-v3 also iqn, "
                                      "iqn_filtered.")] = "tpm",
    samples: Annotated[bool, typer.Option("--samples", help="One row per rat instead of the "
                                          "distribution.")] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.expression(_values(genes), _split(tissue), unit, samples, version=version,
                              limit=limit)
        emit(frame, fmt, output, limit)


@app.command("top-expressed", help=_query_help("top_expressed", "ratgtex-db top-expressed BLA "
                                               "--n 20 --exclude-mt"))
def cmd_top_expressed(
    tissue: Annotated[str, typer.Argument(help="Tissue id.")],
    n: Annotated[int, typer.Option("--n", "-n", min=0, help="Number of genes.")] = 50,
    exclude_mt: Annotated[bool, typer.Option("--exclude-mt", help="Leave out chrM genes.")
                          ] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.top_expressed(tissue, n, exclude_mt, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("sharing", help=_query_help("sharing", "ratgtex-db sharing --modality splicing"))
def cmd_sharing(modality: ModalityOpt = "expression", tissue: TissueOpt = None,
                version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                limit: LimitOpt = None) -> None:
    with open_db() as db:
        frame = db.sharing(modality, _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("specific", help=_query_help("specific", "ratgtex-db specific BLA"))
def cmd_specific(tissue: Annotated[str, typer.Argument(help="Tissue id.")],
                 modality: ModalityOpt = "expression", version: VersionOpt = None,
                 fmt: FormatOpt = None, output: OutputOpt = None,
                 limit: LimitOpt = None) -> None:
    with open_db() as db:
        frame = db.specific(tissue, modality, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("trans", help=_query_help("trans", "ratgtex-db trans --gene Lft19 --max-pval "
                                       "1e-8"))
def cmd_trans(
    gene: GeneOpt = None, variant: VariantOpt = None, tissue: TissueOpt = None,
    max_pval: Annotated[float | None, typer.Option("--max-pval", help="Keep pairs with pval "
                                                   "<= P.", show_default=False)] = None,
    region: RegionOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.trans(_values(gene), _values(variant), _split(tissue), max_pval, region,
                         version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("variant", help=_query_help("variant", "ratgtex-db variant chr10:1650895 "
                                         "chr16:5121489"))
def cmd_variant(
    variants: Annotated[list[str], typer.Argument(help="Variant ids chrN:pos ('-' reads "
                                                  "stdin).", metavar="VARIANT...")],
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.variant(_values(variants), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("region", help=_query_help("region", "ratgtex-db region chr10:1000000-2000000"))
def cmd_region(
    region: Annotated[str, typer.Argument(help="chrN:start-end, 1-based inclusive.",
                                          metavar="REGION")],
    tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        frame = db.region(region, _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("genotype-expression",
             help=_query_help("genotype_expression", "ratgtex-db genotype-expression --gene "
                              "Lft19 --variant chr10:1650895 --tissue BLA [--summary]"))
def cmd_genotype_expression(
    gene: Annotated[str, typer.Option("--gene", help="Gene id or symbol.")],
    variant: Annotated[str, typer.Option("--variant", help="Variant id chrN:pos.")],
    tissue: Annotated[str, typer.Option("--tissue", help="Tissue id.")],
    summary: Annotated[bool, typer.Option(
        "--summary", help="Genotype counts, ALT frequency, nominal p-value and the gene's "
        "threshold instead of one row per rat.")] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with open_db() as db:
        if summary:
            frame = db.genotype_expression_summary(gene, variant, tissue, version=version)
        else:
            frame = db.genotype_expression(gene, variant, tissue, version=version, limit=limit)
        emit(frame, fmt, output, limit)


# -- plots ------------------------------------------------------------------------------------
# Each command calls the Database's plot method of the same name (plots.py) and saves the
# Figure in the format -o names.

plot_app = typer.Typer(help="Pictures of the portal's gene page (png, svg or pdf by -o).\n\n"
                            "Example: ratgtex-db plot expression Lft19 -o lft19.png",
                       no_args_is_help=True, rich_markup_mode=None)
app.add_typer(plot_app, name="plot")

PictureOpt = Annotated[Path, typer.Option("--output", "-o", help="Picture file: .png, .svg "
                                          "or .pdf.", show_default=False)]
WidthOpt = Annotated[float | None, typer.Option("--width", min=1, help="Inches.",
                                                show_default=False)]
HeightOpt = Annotated[float | None, typer.Option("--height", min=1, help="Inches.",
                                                 show_default=False)]
DpiOpt = Annotated[int, typer.Option("--dpi", min=10, help="Dots per inch (png).")]


def _size(width: float | None, height: float | None, dpi: int) -> dict[str, Any]:
    out: dict[str, Any] = {"dpi": dpi}
    if width is not None:
        out["width"] = width
    if height is not None:
        out["height"] = height
    return out


def _save(fig: Any, output: Path) -> None:
    from ratgtex_db.plots import save

    typer.echo(f"wrote {save(fig, output)}")


def _check_picture(output: Path) -> None:
    """Refuse a bad -o before any query runs."""
    from ratgtex_db.plots import check_output

    check_output(output)


@plot_app.command("expression")
def plot_expression(
    gene: Annotated[str, typer.Argument(help="Gene id or symbol.")],
    output: PictureOpt, tissue: TissueOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="tpm or log2 (any case); v1-v3 also iqn, "
                                      "iqn_filtered.")] = "tpm",
    version: VersionOpt = None, width: WidthOpt = None, height: HeightOpt = None,
    dpi: DpiOpt = 100,
) -> None:
    """Per-rat expression of a gene in each tissue: violins with the rats as points.

    Example: ratgtex-db plot expression Lft19 -o lft19.png
    """
    _check_picture(output)
    with open_db(frames=True) as db:
        _save(db.plot.expression(gene, _split(tissue), unit.lower(), version=version,
                                 **_size(width, height, dpi)), output)


@plot_app.command("locus")
def plot_locus(
    gene: Annotated[str, typer.Argument(help="Gene id or symbol.")],
    output: PictureOpt, modality: ModalitiesOpt = None, tissue: TissueOpt = None,
    version: VersionOpt = None, width: WidthOpt = None, height: HeightOpt = None,
    dpi: DpiOpt = 100,
) -> None:
    """Significant cis pairs of a gene over its locus, per tissue and modality (colour:
    slope, size: -log10 p), independent QTLs circled, the gene model beneath.

    Example: ratgtex-db plot locus Lft19 --modality expression,splicing -o locus.svg
    """
    _check_picture(output)
    with open_db(frames=True) as db:
        _save(db.plot.locus(gene, _split(modality), _split(tissue), version=version,
                            **_size(width, height, dpi)), output)


@plot_app.command("heatmap")
def plot_heatmap(
    genes: Annotated[list[str], typer.Argument(help="Gene ids or symbols ('-' reads stdin).",
                                               metavar="GENE...")],
    output: PictureOpt, tissue: TissueOpt = None,
    log: Annotated[bool, typer.Option("--log", help="Colour by log10(median TPM + 1).")
                   ] = False,
    version: VersionOpt = None, width: WidthOpt = None, height: HeightOpt = None,
    dpi: DpiOpt = 100,
) -> None:
    """Median TPM of genes x tissues, clustered (average linkage) with dendrograms.

    Example: ratgtex-db plot heatmap Lft19 T1sy6 --log -o medians.pdf
    """
    _check_picture(output)
    with open_db(frames=True) as db:
        _save(db.plot.heatmap(_values(genes), _split(tissue), log, version=version,
                              **_size(width, height, dpi)), output)


@plot_app.command("genotype")
def plot_genotype(
    gene: Annotated[str, typer.Option("--gene", help="Gene id or symbol.")],
    variant: Annotated[str, typer.Option("--variant", help="Variant id chrN:pos.")],
    tissue: Annotated[str, typer.Option("--tissue", help="Tissue id.")],
    output: PictureOpt, version: VersionOpt = None, width: WidthOpt = None,
    height: HeightOpt = None, dpi: DpiOpt = 100,
) -> None:
    """Normalized expression and TPM of a gene by genotype (0/1/2 ALT alleles) at a variant,
    with counts, p-value and threshold.

    Example: ratgtex-db plot genotype --gene Lft19 --variant chr10:1650895 --tissue BLA -o g.png
    """
    _check_picture(output)
    with open_db(frames=True) as db:
        _save(db.plot.genotype(gene, variant, tissue, version=version,
                               **_size(width, height, dpi)), output)


@plot_app.command("sharing")
def plot_sharing(
    output: PictureOpt, modality: ModalityOpt = "expression", tissue: TissueOpt = None,
    version: VersionOpt = None, width: WidthOpt = None, height: HeightOpt = None,
    dpi: DpiOpt = 100,
) -> None:
    """Tissue x tissue eGene Jaccard index, annotated.

    Example: ratgtex-db plot sharing --modality splicing -o sharing.png
    """
    _check_picture(output)
    with open_db(frames=True) as db:
        _save(db.plot.sharing(modality, _split(tissue), version=version,
                              **_size(width, height, dpi)), output)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (default: this machine only; "
                                      "0.0.0.0 for every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    static: Annotated[Path | None, typer.Option(
        "--static", help="A folder of static files served at / (e.g. a built copy of the "
        "portal's site, whose pages call /api/v4/).", show_default=False)] = None,
    version: Annotated[str | None, typer.Option(
        "--version", help="Serve only this release (default: every ingested release, each "
        "under /api/VERSION/).", show_default=False)] = None,
) -> None:
    """Serve the RatGTEx portal's REST API (/api/v4/...) from the local lake, read-only.

    The portal's endpoints, parameters and JSON, answered by queries over the lake; errors are
    JSON {"error": ...} (400 bad parameter, 404 unknown gene/tissue/variant). /api/ lists what
    is served, /docs documents it. Stop with Ctrl-C.

    Example: ratgtex-db serve --port 8000   (then GET /api/v4/gene?geneId=Lft19)
    """
    from ratgtex_db.serve import run

    if static is not None and not static.is_dir():
        raise ConfigError(f"--static {static}: no such folder")
    assert state.db is not None
    db = open_db()  # the same checks and messages as the query commands; the server's first
    run(state.db, host=host, port=port, static=static, version=version, session=db)


def _named(args: list[str]) -> str | None:
    """The command a command line names: the first word after the ``--db`` options (None
    for an option such as ``--help`` or ``--version``, or no word)."""
    args = _db_first(list(args))
    while args and (args[0] == "--db" or args[0].startswith("--db=")):
        args = args[2:] if args[0] == "--db" else args[1:]
    return args[0] if args and not args[0].startswith("-") else None


def _for(args: list[str]) -> typer.Typer:
    """``app``, or a copy of it holding only the one command ``args`` name: Typer turns every
    registered command's signature into click parameters at each start (~60 ms for 29
    commands, ~10% of a query's round trip). Help, groups (``plot``), unknown names and
    mistakes get the whole app, whose messages name every command."""
    name = _named(args)
    if name is None:
        return app
    infos = [c for c in app.registered_commands
             if (c.name or typer.main.get_command_name(c.callback.__name__)) == name]
    if len(infos) != 1:
        return app
    slim = copy.copy(app)
    slim.registered_commands, slim.registered_groups = infos, []
    return slim


def main() -> None:
    """Console-script entry point."""
    _for(sys.argv[1:])()
