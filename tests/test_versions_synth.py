"""The synthetic v1-v3 releases (synth_legacy, written from release-format 5 by its own reading)
ingest without a failure, and the views hold the source files' values (read here with pandas)."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import ratgtex_db


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", *args], capture_output=True,
                          text=True, timeout=600)


def _read(path: Path) -> pd.DataFrame:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return pd.read_csv(io.BytesIO(data), sep="\t", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def legacy(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("legacy_synth")
    rel, db = root / "rel", root / "db"
    for version, extra in (("v1", []), ("v3", ["--unmerged"])):
        res = _cli("synth", str(rel / version), "--version", version, "--scale", "tiny", *extra)
        assert res.returncode == 0, res.stderr
    res = _cli("--db", str(db), "ingest", str(rel), "--quiet")
    assert res.returncode == 0, res.stdout + res.stderr
    return rel, db


def test_every_file_ingests(legacy):
    rel, db = legacy
    with ratgtex_db.open(db) as d:
        status = dict(d.sql("SELECT status, count(*) AS n FROM ingested_files GROUP BY 1").rows())
    files = [p for p in rel.rglob("*") if p.is_file() and p.name != "SYNTHETIC_RELEASE.txt"]
    assert status.get("failed", 0) == 0
    assert status["ingested"] + status.get("skipped", 0) == len(files)


def test_v3_signif_tss_distance_is_the_appended_column(legacy):
    rel, db = legacy
    src = next(rel.rglob("eqtl/cis_qtl_signif.BLA.v3_rn7.txt.gz"))
    df = _read(src)
    assert list(df.columns)[-1] == "tss_distance" and "start_distance" in df.columns
    assert (df["tss_distance"] != df["start_distance"]).any()
    with ratgtex_db.open(db) as d:
        got = d.sql("SELECT phenotype_id, variant_id, tss_distance FROM cis_qtl_signif "
                    "WHERE version = 'v3' AND tissue = 'BLA' AND modality = 'expression'").rows()
    want = {(r.gene_id, r.variant_id, int(r.tss_distance)) for r in df.itertuples()}
    assert set(got) == want


def test_v1_top_assoc_keeps_gene_name_and_normalises_chrom(legacy):
    rel, db = legacy
    df = _read(next(rel.rglob("eqtl/top_assoc.v1_rn6.txt")))
    assert set(df["chrom"]) <= {str(i) for i in range(1, 21)}
    with ratgtex_db.open(db) as d:
        got = d.sql("SELECT tissue, gene_id, gene_name, chrom, pos FROM top_assoc "
                    "WHERE version = 'v1'").rows()
    want = {(r.tissue, r.gene_id, None if r.gene_name in ("", "NA") else r.gene_name,
             f"chr{r.chrom}", int(r.pos))
            for r in df.itertuples()}
    assert set(got) == want


def test_unmerged_tissues_have_per_tissue_rows_only(legacy):
    _, db = legacy
    with ratgtex_db.open(db) as d:
        per_tissue = {r[0] for r in d.sql(
            "SELECT DISTINCT tissue FROM cis_qtl_signif WHERE version = 'v3'").rows()}
        aggregated = {r[0] for r in d.sql(
            "SELECT DISTINCT tissue FROM top_assoc WHERE version = 'v3'").rows()}
        datasets = dict(d.sql("SELECT tissue, dataset FROM tissue_datasets "
                              "WHERE version = 'v3'").rows())
    assert {"NAcc1", "PL3"} <= per_tissue
    assert not {"NAcc1", "NAcc2", "NAcc3", "PL1", "PL2", "PL3"} & aggregated
    # release-format 5.1: round10_4 = Adipose, Liver; round10_5 = the others, unmerged included
    assert datasets["Adipose"] == datasets["Liver"] == "ratgtex_v3_round10_4"
    assert {datasets[t] for t in ("BLA", "NAcc", "NAcc1", "PL3")} == {"ratgtex_v3_round10_5"}


def test_versions_and_compare_by_symbol_and_ensembl_id(legacy):
    _, db = legacy
    with ratgtex_db.open(db) as d:
        versions = d.versions().rows()
        assert [r[0] for r in versions] == ["v1", "v3"]
        gene, symbol = d.sql(
            "SELECT g.gene_id, g.gene_symbol FROM genes AS g JOIN eqtls_indep AS e "
            "USING (version, gene_id) WHERE g.version = 'v1' AND g.gene_symbol IS NOT NULL "
            "LIMIT 1").rows()[0]
        by_symbol = d.compare(symbol.upper()).rows()
        by_id = d.compare(gene).rows()
    assert by_symbol == by_id
    assert {r[1] for r in by_symbol if r[0] == "v1"} == {gene}
