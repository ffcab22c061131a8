"""Shared fixtures: a tiny synthetic release written once per session, and a db ingested from it."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Root folder of a tiny synthetic v4 release (contains ``data/v4/...``)."""
    from ratgtex_db.synth import synthesize

    out = tmp_path_factory.mktemp("tiny_release")
    synthesize(out, scale="tiny", seed=1)
    return out


@pytest.fixture(scope="session")
def tiny_v4(tiny_release: Path) -> Path:
    """The ``data/v4`` folder of the tiny release."""
    return tiny_release / "data" / "v4"


@pytest.fixture(scope="session")
def tiny_db(tiny_v4: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database directory ingested once from the tiny release (read-only use only)."""
    from ratgtex_db.ingest import ingest

    out = tmp_path_factory.mktemp("tiny_db")
    report = ingest([tiny_v4], out)
    assert not report.failed, [r.message for r in report.failed]
    return out


@pytest.fixture
def run(tiny_db: Path):
    """``run(*args)``: the CLI in process (Typer's runner) on the tiny database."""
    from typer.testing import CliRunner

    from ratgtex_db.cli import app

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, env: dict | None = None):
        return runner.invoke(app, ["--db", str(tiny_db), *args], input=input, env=env)

    return invoke
