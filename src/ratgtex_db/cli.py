"""The ``ratgtex-db`` command line: each command parses, calls the library once, renders.

Errors of the library (:class:`~ratgtex_db.errors.RatgtexError`) become a message on stderr and
exit status 1; Typer's usage errors exit 2; anything else keeps its traceback (it is a bug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ratgtex_db.errors import RatgtexError
from ratgtex_db.paths import resolve_db_dir

app = typer.Typer(
    name="ratgtex-db",
    help="Query a RatGTEx release as a local DuckDB + Parquet database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class State:
    db: Path | None = None
    db_given: bool = False


state = State()


@app.callback()
def _root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Database directory (default: $RATGTEX_DB, else the user data directory).",
            show_default=False,
        ),
    ] = None,
) -> None:
    state.db_given = db is not None
    state.db = resolve_db_dir(db)


def fail(err: RatgtexError) -> typer.Exit:
    """Print a library error on stderr and return the exit to raise (status 1)."""
    typer.echo(f"Error: {err}", err=True)
    return typer.Exit(1)


@app.command()
def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the release tree into.")],
    scale: Annotated[str, typer.Option(help="tiny, small, medium or large.")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed; same seed + scale = same bytes.")] = 1,
    version: Annotated[str, typer.Option(help="Release version to imitate.")] = "v4",
    tissues: Annotated[
        list[str] | None,
        typer.Option("--tissues", help="Tissues to write (repeat or comma list)."),
    ] = None,
) -> None:
    """Write a synthetic release tree in the exact RatGTEx file format.

    Example: ratgtex-db synth /tmp/release --scale tiny --seed 7
    """
    from ratgtex_db.synth import synthesize

    tissue_list = _split(tissues)
    try:
        root = synthesize(out, scale=scale, seed=seed, version=version, tissues=tissue_list)
    except RatgtexError as err:
        raise fail(err) from err
    typer.echo(f"wrote synthetic release to {root}")


FormatOpt = Annotated[
    str | None,
    typer.Option("--format", help="table, tsv, csv, json, jsonl or parquet "
                 "(default: table on a terminal, tsv when piped).", show_default=False),
]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", help="At most N rows.")]
VersionOpt = Annotated[
    str | None,
    typer.Option("--version", help="Release version (default: newest ingested).",
                 show_default=False),
]


def open_db(version: str | None = None):
    """Open the database of ``--db`` read-only (converting library errors to exit 1).

    Queries return rows fetched on demand (``frames=False``): rendering them needs neither
    polars nor pyarrow, whose imports would cost more than most queries.
    """
    from ratgtex_db.database import Database

    try:
        return Database(state.db, version, frames=False)
    except RatgtexError as err:
        raise fail(err) from err


def emit(frame, fmt: str | None, output: Path | None, limit: int | None = None,
         title: str | None = None) -> None:
    """Render rows through the one renderer."""
    from ratgtex_db.render import render

    try:
        render(frame, fmt, output, limit=limit, title=title)
    except RatgtexError as err:
        raise fail(err) from err


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
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files converted in parallel.")] = 1,
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

    paths = [s for s in sources or [] if "://" not in s]
    urls = [s for s in sources or [] if "://" in s]
    if download and not urls:
        from ratgtex_db.download import DEFAULT_BASE_URL

        urls = [DEFAULT_BASE_URL]
    if not paths and not urls:
        typer.echo("Error: give release files/folders, a URL, or --download", err=True)
        raise typer.Exit(2)
    download_failed = False
    for url in urls:
        from ratgtex_db.download import download_release
        from ratgtex_db.progress import DownloadProgress

        dest = state.db / "downloads"
        try:
            with DownloadProgress(enabled=not quiet and not dry_run) as dprog:
                drep = download_release(dest, version=version, tissues=_split(tissue),
                                        base_url=url, jobs=max(jobs, 4), dry_run=dry_run,
                                        progress=dprog)
        except RatgtexError as err:
            raise fail(err) from err
        for r in drep.failed:
            typer.echo(f"download failed: {r.message}", err=True)
        download_failed |= bool(drep.failed)
        paths.append(str(drep.root))
    if dry_run and urls:
        typer.echo(f"dry run: would download into {state.db / 'downloads'} and ingest it")
        return
    try:
        with IngestProgress(enabled=not quiet and not dry_run) as progress:
            report = run_ingest(paths, state.db, force=force, jobs=jobs, dry_run=dry_run,
                                progress=progress)
    except RatgtexError as err:
        raise fail(err) from err
    print_summary(report)
    if report.failed or download_failed:
        raise typer.Exit(1)


@app.command()
def sql(
    query: Annotated[str | None, typer.Argument(help="SQL text (or use -f FILE).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the SQL from FILE.")
                    ] = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    """Run read-only SQL over the views (SELECT / EXPLAIN / PRAGMA; writes are refused).

    Example: ratgtex-db sql "SELECT tissue, count(*) FROM eqtls_indep GROUP BY 1"
    """
    if (query is None) == (file is None):
        typer.echo("Error: give either QUERY or --file FILE", err=True)
        raise typer.Exit(2)
    text = query if query is not None else file.read_text()  # type: ignore[union-attr]
    with open_db() as db:
        try:
            frame = db.sql(text)
        except RatgtexError as err:
            raise fail(err) from err
        emit(frame, fmt, output, limit)


@app.command()
def info(fmt: FormatOpt = None) -> None:
    """Versions, tissues, tables with row counts and bytes, source vs lake size.

    Example: ratgtex-db info
    """
    with open_db() as db:
        parts = db.info()
        typer.echo(f"database: {state.db}")
        if db.is_synthetic():
            typer.echo("NOTE: this database holds SYNTHETIC demo data, not real RatGTEx results.")
        for title, frame in parts.items():
            emit(frame, fmt, None, title=title)


@app.command()
def validate(fmt: FormatOpt = None) -> None:
    """Re-check the lake against the manifest: files present and readable, row counts, sources.

    Example: ratgtex-db validate
    """
    with open_db() as db:
        problems = db.validate()
    if problems.height:
        emit(problems, fmt, None, title="problems")
        raise typer.Exit(1)
    typer.echo("ok: every Parquet file is present and readable with the recorded row count")


@app.command()
def demo(
    scale: Annotated[str, typer.Option(help="Synthetic scale (tiny, small).")] = "small",
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
) -> None:
    """Synthesise a small release, ingest it, and print a short tour of queries.

    The demo uses its own database directory (never your real catalog) unless --db is given.

    Example: ratgtex-db demo
    """
    import platformdirs

    from ratgtex_db.ingest import ingest as run_ingest
    from ratgtex_db.progress import IngestProgress, print_summary
    from ratgtex_db.synth import synthesize

    db_dir = state.db if state.db_given else Path(
        platformdirs.user_cache_dir("ratgtex-db", appauthor=False)) / "demo"
    release = db_dir / "synthetic-release"
    try:
        if not (release / "data").exists():
            typer.echo(f"synthesising a {scale} release into {release} ...")
            synthesize(release, scale=scale, seed=seed)
        with IngestProgress(enabled=True) as progress:
            report = run_ingest([release / "data"], db_dir, progress=progress)
    except RatgtexError as err:
        raise fail(err) from err
    print_summary(report)
    state.db = db_dir
    from ratgtex_db.database import Database

    tour = [
        ("Tissues and sample counts",
         "SELECT tissue, rna_seq_sample_count, expressed_gene_count, e_gene_count "
         "FROM tissues ORDER BY tissue"),
        ("eGenes and independent eQTLs per tissue",
         "SELECT tissue, count(DISTINCT gene_id) AS egenes, count(*) AS indep_eqtls "
         "FROM eqtls_indep GROUP BY 1 ORDER BY 1"),
        ("Strongest cis-eQTLs across tissues",
         "SELECT tissue, gene_id, variant_id, pval_nominal, slope FROM eqtls_indep "
         "ORDER BY pval_nominal LIMIT 5"),
        ("Significant cis pairs per modality",
         "SELECT modality, count(*) AS pairs FROM cis_qtl_signif GROUP BY 1 ORDER BY 2 DESC"),
    ]
    with Database(db_dir) as db:
        for title, query in tour:
            typer.echo(f"\n$ ratgtex-db --db {db_dir} sql \"{query}\"")
            emit(db.sql(query), None, None, title=title)
    typer.echo(f"\nThese data are SYNTHETIC. Try: ratgtex-db --db {db_dir} info")
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
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Files downloaded in parallel.")] = 4,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list the files and their "
                                          "sizes (HEAD requests); write nothing.")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Re-hash downloaded files against "
                                         "the local manifest (no network).")] = False,
) -> None:
    """Download a RatGTEx release into DEST: parallel, resumable, checked.

    Interrupted files resume where they stopped; gzip and zip files are checked before they
    take their final name; complete files are recorded in DEST/VERSION/.ratgtex-download.json
    and skipped on the next run. A file that fails is reported and the others still download;
    the exit status is then 1. DEST/VERSION can be given to ingest as it is.

    Example: ratgtex-db download ~/ratgtex-data --tissue BLA --kind cis_qtl_signif,top_assoc
    """
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from ratgtex_db.download import DEFAULT_BASE_URL, download_release
    from ratgtex_db.progress import DownloadProgress

    try:
        with DownloadProgress(enabled=not dry_run and not verify) as progress:
            report = download_release(dest, version=version, tissues=_split(tissues),
                                      kinds=_split(kinds), base_url=base_url or DEFAULT_BASE_URL,
                                      jobs=jobs, dry_run=dry_run, verify=verify,
                                      progress=progress)
    except RatgtexError as err:
        raise fail(err) from err

    def size(n: int | None) -> str:
        return "?" if n is None else f"{n:,}"

    if dry_run:
        table = Table(title=f"would download into {report.root} (dry run)")
        for col, justify in (("status", "left"), ("file", "left"), ("bytes", "right"),
                             ("note", "left")):
            table.add_column(col, justify=justify, overflow="fold")
        for r in report.results:
            table.add_row(r.status, r.path, size(r.bytes), "" if r.failed else r.message)
        todo = report.with_status("planned")
        table.caption = (f"{len(todo)} file(s) to fetch, "
                         f"{size(sum(r.bytes or 0 for r in todo))} bytes"
                         + (" or more (some sizes unknown)" if any(r.bytes is None for r in todo)
                            else ""))
    else:
        title = "verify" if verify else "download"
        table = Table(title=f"{title} {report.base_url}/{version} -> {report.root}")
        for col in ("status", "files", "bytes", "seconds"):
            table.add_column(col, justify="left" if col == "status" else "right")
        for status in dict.fromkeys(r.status for r in report.results):
            rs = report.with_status(status)
            table.add_row(status, str(len(rs)), size(sum(r.bytes or 0 for r in rs)),
                          f"{sum(r.seconds for r in rs):.1f}")
        table.caption = f"wall time {report.seconds:.1f} s"
    Console().print(table)
    errors = Console(stderr=True)
    for r in report.failed:
        errors.print(f"[red]{r.status}[/red] {escape(r.path)}: {escape(r.message)}",
                     highlight=False)
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
    from ratgtex_db.queries import help_text

    return help_text(name, example)


def _values(values: list[str] | None) -> list[str] | None:
    """Like ``_split``, and a '-' is replaced by the ids read from stdin (whitespace/commas)."""
    import re

    items = _split(values)
    if items and "-" in items:
        read = [x for x in re.split(r"[\s,]+", sys.stdin.read()) if x]
        items = [x for v in items for x in (read if v == "-" else [v])]
    return items


class _Querying:
    """``with _Querying(version) as db``: the db of ``--db``; library errors exit 1."""

    def __init__(self, version: str | None) -> None:
        self.db = open_db(version)

    def __enter__(self):
        return self.db

    def __exit__(self, kind, err, tb) -> None:
        self.db.close()
        if isinstance(err, RatgtexError):
            raise fail(err) from err


@app.command("tissues", help=_query_help("tissues", "ratgtex-db tissues --format csv"))
def cmd_tissues(tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
                output: OutputOpt = None, limit: LimitOpt = None) -> None:
    with _Querying(version) as db:
        frame = db.tissues(_split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("gene", help=_query_help("gene", "ratgtex-db gene Grin2b cd300lf --tissue BLA"))
def cmd_gene(
    genes: Annotated[list[str], typer.Argument(help="Gene ids or symbols, any case ('-' reads "
                                               "stdin).", metavar="GENE...")],
    tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.gene(_values(genes), _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("eqtls", help=_query_help("eqtls", "ratgtex-db eqtls --gene Grin2b,Cd300lf "
                                       "--tissue BLA"))
def cmd_eqtls(gene: GeneOpt = None, variant: VariantOpt = None, region: RegionOpt = None,
              tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
              output: OutputOpt = None, limit: LimitOpt = None) -> None:
    with _Querying(version) as db:
        frame = db.eqtls(_values(gene), _values(variant), region, _split(tissue),
                         version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("xqtls", help=_query_help("xqtls", "ratgtex-db xqtls --gene Grin2b --modality "
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
    with _Querying(version) as db:
        frame = db.xqtls(_values(gene), _values(variant), region, _split(tissue),
                         _split(modality), cross_modality, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("assoc", help=_query_help("assoc", "ratgtex-db assoc --gene Grin2b --tissue BLA "
                                       "--modality expression"))
def cmd_assoc(gene: GeneOpt = None, variant: VariantOpt = None, region: RegionOpt = None,
              tissue: TissueOpt = None, modality: ModalitiesOpt = None,
              version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
              limit: LimitOpt = None) -> None:
    if not gene and not variant and region is None:
        typer.echo("Error: give --gene, --variant or --region", err=True)
        raise typer.Exit(2)
    with _Querying(version) as db:
        frame = db.assoc(_values(gene), _values(variant), region, _split(tissue),
                         _split(modality), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("expression", help=_query_help(
    "expression", "ratgtex-db expression Grin2b --tissue BLA,NAcc --unit log2") + (
    "\n\nWith --samples: one row per rat (gene_id, tissue, unit, rat_id, value)."))
def cmd_expression(
    genes: Annotated[list[str], typer.Argument(help="Gene ids or symbols ('-' reads stdin).",
                                               metavar="GENE...")],
    tissue: TissueOpt = None,
    unit: Annotated[str, typer.Option("--unit", help="tpm or log2.")] = "tpm",
    samples: Annotated[bool, typer.Option("--samples", help="One row per rat instead of the "
                                          "distribution.")] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.expression(_values(genes), _split(tissue), unit, samples, version=version,
                              limit=limit)
        emit(frame, fmt, output, limit)


@app.command("top-expressed", help=_query_help("top_expressed", "ratgtex-db top-expressed BLA "
                                               "--n 20 --exclude-mt"))
def cmd_top_expressed(
    tissue: Annotated[str, typer.Argument(help="Tissue id.")],
    n: Annotated[int, typer.Option("--n", "-n", help="Number of genes.")] = 50,
    exclude_mt: Annotated[bool, typer.Option("--exclude-mt", help="Leave out chrM genes.")
                          ] = False,
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.top_expressed(tissue, n, exclude_mt, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("sharing", help=_query_help("sharing", "ratgtex-db sharing --modality splicing"))
def cmd_sharing(modality: ModalityOpt = "expression", tissue: TissueOpt = None,
                version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
                limit: LimitOpt = None) -> None:
    with _Querying(version) as db:
        frame = db.sharing(modality, _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("specific", help=_query_help("specific", "ratgtex-db specific BLA"))
def cmd_specific(tissue: Annotated[str, typer.Argument(help="Tissue id.")],
                 modality: ModalityOpt = "expression", version: VersionOpt = None,
                 fmt: FormatOpt = None, output: OutputOpt = None,
                 limit: LimitOpt = None) -> None:
    with _Querying(version) as db:
        frame = db.specific(tissue, modality, version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("trans", help=_query_help("trans", "ratgtex-db trans --gene Grin2b --max-pval "
                                       "1e-8"))
def cmd_trans(
    gene: GeneOpt = None, variant: VariantOpt = None, tissue: TissueOpt = None,
    max_pval: Annotated[float | None, typer.Option("--max-pval", help="Keep pairs with pval "
                                                   "<= P.", show_default=False)] = None,
    region: RegionOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.trans(_values(gene), _values(variant), _split(tissue), max_pval, region,
                         version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("variant", help=_query_help("variant", "ratgtex-db variant chr1:793394 "
                                         "chr10:100826333"))
def cmd_variant(
    variants: Annotated[list[str], typer.Argument(help="Variant ids chrN:pos ('-' reads "
                                                  "stdin).", metavar="VARIANT...")],
    version: VersionOpt = None, fmt: FormatOpt = None, output: OutputOpt = None,
    limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.variant(_values(variants), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("region", help=_query_help("region", "ratgtex-db region chr1:1000000-2000000"))
def cmd_region(
    region: Annotated[str, typer.Argument(help="chrN:start-end, 1-based inclusive.",
                                          metavar="REGION")],
    tissue: TissueOpt = None, version: VersionOpt = None, fmt: FormatOpt = None,
    output: OutputOpt = None, limit: LimitOpt = None,
) -> None:
    with _Querying(version) as db:
        frame = db.region(region, _split(tissue), version=version, limit=limit)
        emit(frame, fmt, output, limit)


@app.command("genotype-expression",
             help=_query_help("genotype_expression", "ratgtex-db genotype-expression --gene "
                              "Grin2b --variant chr4:169219813 --tissue BLA [--summary]"))
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
    with _Querying(version) as db:
        if summary:
            frame = db.genotype_expression_summary(gene, variant, tissue, version=version)
        else:
            frame = db.genotype_expression(gene, variant, tissue, version=version, limit=limit)
        emit(frame, fmt, output, limit)


def _split(values: list[str] | None) -> list[str] | None:
    """Repeated options and comma lists alike: ['a,b', 'c'] -> ['a', 'b', 'c']."""
    if not values:
        return None
    out: list[str] = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except RatgtexError as err:  # pragma: no cover - commands convert these themselves
        typer.echo(f"Error: {err}", err=True)
        sys.exit(1)
