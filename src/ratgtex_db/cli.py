"""The ``ratgtex-db`` command line: each command parses, calls the library once, renders.

Errors of the library (:class:`~ratgtex_db.errors.RatgtexError`) become a message on stderr and
exit status 1; Typer's usage errors exit 2; anything else keeps its traceback (it is a bug).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

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
        Optional[Path],
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
        Optional[list[str]],
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
