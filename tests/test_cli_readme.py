"""The README's command examples and each command's --help example run as written on the
default demo (small scale, seed 1): real processes, a real shell. Slow: it builds the demo."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Help examples that need something else than the demo db (network, a release folder).
NOT_ON_THE_DEMO = {"synth", "ingest", "download", "demo", "serve"}  # serve runs until stopped


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """As the README says: `ratgtex-db demo`, then the `export RATGTEX_DB=...` it prints."""
    home = tmp_path_factory.mktemp("readme")
    env = {k: v for k, v in os.environ.items() if k != "RATGTEX_DB"}
    env.update(XDG_CACHE_HOME=str(home / "cache"), XDG_DATA_HOME=str(home / "data"))
    res = subprocess.run([sys.executable, "-m", "ratgtex_db", "demo"], env=env, check=True,
                         capture_output=True, text=True, timeout=900)
    m = re.search(r"^To query them: export RATGTEX_DB=(\S+)", res.stdout, re.M)
    assert m, res.stdout[-2000:]
    return {**env, "RATGTEX_DB": m.group(1)}


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Commands"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the Commands section opens with a bash block of examples"
    return [ln.strip() for ln in block.group(1).splitlines() if ln.strip().startswith("ratgtex-db")]


def _shell(command: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    exe = f"'{sys.executable}' -m ratgtex_db"
    return subprocess.run("set -o pipefail; " + command.replace("ratgtex-db", exe, 1),
                          shell=True, executable="/bin/bash", env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_readme_examples_run_on_the_demo(demo, tmp_path):
    commands = readme_commands()
    assert len(commands) >= 5
    for command in commands:
        res = _shell(command, demo, tmp_path)
        assert res.returncode == 0, (command, res.stderr)
        assert res.stderr == "", (command, res.stderr)
        wrote = list(tmp_path.iterdir())
        assert res.stdout.count("\n") >= 2 or wrote, command


@pytest.mark.slow
def test_help_examples_run_on_the_demo(demo, tmp_path):
    from typer.main import get_command

    from ratgtex_db.cli import app

    group = get_command(app)
    for name, command in group.commands.items():
        if name in NOT_ON_THE_DEMO:
            continue
        helptext = command.help or ""
        m = re.search(r"Example: (ratgtex-db [^\n]+)", helptext)
        assert m, name
        example = m.group(1).replace(" [--summary]", "")
        res = _shell(example, demo, tmp_path)
        assert res.returncode == 0, (example, res.stderr)
        assert "Warning" not in res.stderr, (example, res.stderr)
