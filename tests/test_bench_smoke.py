"""The benchmark runs end to end at tiny scale, so it never rots (no timing assertions).

Marked ``slow`` (about 80 s together, a sixth of the default suite): run them with
``python -m pytest -m slow`` before changing ``bench/``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_bench_runs_at_tiny_scale(tmp_path):
    env = dict(os.environ, RATGTEX_BENCH_CACHE=str(tmp_path / "cache"))
    subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--scale", "tiny",
                    "--out", str(tmp_path), "--genes", "5", "--repeats", "1"],
                   check=True, env=env, capture_output=True, text=True, timeout=300)
    results = json.loads((tmp_path / "results.json").read_text())
    assert {k["kind"] for k in results["kinds"]} >= {"cis_qtl_signif", "cis_qtl_signif 4M rows",
                                                     "cis_pvals (zip)"}
    assert results["full_ingest"]["lake_bytes"] > 0 and len(results["scaling"]) == 3
    assert {k: v["p50_ms"] > 0 for k, v in results["lookups"]["ours"].items()} == {
        "gene": True, "variant": True, "region": True}
    text = (tmp_path / "RESULTS.md").read_text()
    assert "Lookups in cis_qtl_signif" in text and "x faster than COPY" in text


@pytest.mark.slow
def test_release_shape_bench_runs_at_tiny_scale(tmp_path):
    env = dict(os.environ, RATGTEX_BENCH_CACHE=str(tmp_path / "cache"))
    subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--shape", "release",
                    "--release-scale", "tiny", "--out", str(tmp_path), "--genes", "5",
                    "--repeats", "1"], check=True, env=env, capture_output=True, text=True,
                   timeout=300)
    results = json.loads((tmp_path / "results.json").read_text())
    lk = results["lookups"]
    assert lk["ad_hoc"]["cis_qtl_signif gene_id"]["row_groups"] > 0
    assert {"assoc gene", "variant", "region"} <= set(lk["canned"])
    assert results["big_ingest"]["x_polars"] > 0 and results["big_ingest"]["lake_over_gz"] > 0
    assert results["trans_real"]["rows"] == 50_000 and results["trans_real"]["gene_p50_ms"] > 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "row groups read" in text and "polars" in text and "trans file of the real" in text
