"""Genotype VCF ingest and genotype-by-expression, checked against independent parses."""

from __future__ import annotations

import gzip
import io

import duckdb
import numpy as np
import pandas as pd
import pytest

import ratgtex_db
from ratgtex_db.errors import FormatError
from ratgtex_db.ingest import ingest

VCF_NAME = "ratgtex_v4_round11_2.rn8.vcf.gz"


def _vcf_frame(path) -> tuple[pd.DataFrame, list[str]]:
    """Parse the VCF text with pandas: (records, sample names); dosage NaN when missing."""
    text = gzip.decompress(path.read_bytes()).decode()
    lines = [ln for ln in text.splitlines() if not ln.startswith("##")]
    df = pd.read_csv(io.StringIO("\n".join(lines)), sep="\t", dtype=str)
    samples = list(df.columns[9:])
    return df, samples


def _dosage(gt: str) -> float:
    a, b = gt.replace("|", "/").split("/")
    return np.nan if "." in (a, b) else int(a) + int(b)


@pytest.fixture(scope="module")
def gdb(tiny_release, tmp_path_factory):
    d = tmp_path_factory.mktemp("gdb")
    report = ingest([tiny_release / "data"], d)
    assert not report.failed, [r.message for r in report.failed]
    return d


def test_counts_match_an_independent_parse(gdb, tiny_v4):
    df, samples = _vcf_frame(next((tiny_v4 / "geno").glob("*.vcf.gz")))
    d = df[samples].map(_dosage)
    con = duckdb.connect(str(gdb / "catalog.duckdb"), read_only=True)
    try:
        n_var, = con.execute("SELECT count(*) FROM variants").fetchone()
        calls, called = con.execute("SELECT count(*), count(dosage) FROM genotypes").fetchone()
        # a specific rat at a specific variant
        row = df.iloc[len(df) // 2]
        rat = samples[3]
        got, = con.execute("SELECT dosage FROM genotypes WHERE variant_id = ? AND rat_id = ?",
                           [row["ID"], rat]).fetchone()
        ref, alt = con.execute("SELECT ref, alt FROM variants WHERE variant_id = ?",
                               [row["ID"]]).fetchone()
    finally:
        con.close()
    assert n_var == len(df)
    assert calls == d.size and called == int(d.notna().sum().sum())
    want = _dosage(row[rat])
    assert (got is None and np.isnan(want)) or got == want
    assert (ref, alt) == (row["REF"], row["ALT"])


def _write_vcf(path, body: list[str], samples=("R1", "R2", "R3")) -> None:
    head = ["##fileformat=VCFv4.2", '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">',
            "##contig=<ID=1>", "##contig=<ID=chr1>",
            "#" + "\t".join(["CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                             "FORMAT", *samples])]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(head + body) + "\n").encode(), mtime=0))


def _long(db_dir) -> list[tuple]:
    with ratgtex_db.open(db_dir) as db:
        return db.sql("SELECT variant_id, chrom, pos, rat_id, dosage FROM genotypes "
                      "ORDER BY pos, rat_id").rows()


def test_phased_and_unphased_read_the_same_and_bare_chrom_is_normalised(tmp_path):
    a, b = tmp_path / "a" / VCF_NAME, tmp_path / "b" / VCF_NAME
    _write_vcf(a, ["1\t100\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1",
                   "1\t200\tchr1:200\tC\tT\t.\t.\t.\tGT\t./.\t1/0\t0/0"])
    _write_vcf(b, ["chr1\t100\tchr1:100\tA\tG\t.\t.\t.\tGT\t0|0\t0|1\t1|1",
                   "chr1\t200\tchr1:200\tC\tT\t.\t.\t.\tGT\t.|.\t1|0\t0|0"])
    assert not ingest([a], tmp_path / "dba").failed
    assert not ingest([b], tmp_path / "dbb").failed
    rows = _long(tmp_path / "dba")
    assert rows == _long(tmp_path / "dbb")
    assert rows[:3] == [("chr1:100", "chr1", 100, "R1", 0), ("chr1:100", "chr1", 100, "R2", 1),
                        ("chr1:100", "chr1", 100, "R3", 2)]
    assert rows[3] == ("chr1:200", "chr1", 200, "R1", None)


def test_multiallelic_records_are_counted_not_fatal(tmp_path):
    path = tmp_path / "r" / VCF_NAME
    _write_vcf(path, ["chr1\t100\tchr1:100\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1",
                      "chr1\t150\tchr1:150\tA\tG,T\t.\t.\t.\tGT\t0/2\t0/1\t1/1",
                      "chr1\t200\tchr1:200\tC\tT\t.\t.\t.\tGT\t0/0\t0/0\t0/1"])
    report = ingest([path], tmp_path / "db")
    assert not report.failed
    with ratgtex_db.open(tmp_path / "db") as db:
        assert db.sql("SELECT count(*) AS n FROM variants")["n"][0] == 2
        msg = db.sql("SELECT message FROM ingested_files")["message"][0]
    assert "1 multi-allelic record(s) skipped" in msg


def test_truncated_bgzf_is_an_error(tiny_v4, tmp_path):
    src = next((tiny_v4 / "geno").glob("*.vcf.gz"))
    bad = tmp_path / "t" / src.name
    bad.parent.mkdir()
    bad.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    report = ingest([bad], tmp_path / "db")
    (failed,) = report.failed
    assert "truncated" in failed.message and src.name in failed.message


def test_genotype_expression_matches_pandas(gdb, tiny_v4):
    top = pd.read_csv(tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv", sep="\t", dtype=str)
    eg = top[pd.to_numeric(top.qval) < 0.05].iloc[0]
    tissue, gene, variant = eg.tissue, eg.gene_id, eg.variant_id
    with ratgtex_db.open(gdb) as db:
        per_rat = db.genotype_expression(gene, variant, tissue).to_pandas()
        summary = db.genotype_expression_summary(gene, variant, tissue).to_pandas().iloc[0]
    # independent: VCF text, BED text, rat_ids text, zip member text
    df, samples = _vcf_frame(next((tiny_v4 / "geno").glob("*.vcf.gz")))
    rec = df[df.ID == variant].iloc[0]
    rats = (tiny_v4 / "rat_ids" / f"rat_ids.{tissue}.v4.txt").read_text().split()
    dos = pd.Series({r: _dosage(rec[r]) for r in rats})
    norm = pd.read_csv(tiny_v4 / "phenos" / f"phenos.{tissue}.expression.norm.v4_rn8.bed.gz",
                       sep="\t", dtype={"phenotype_id": str}).set_index("phenotype_id")
    tpm = pd.read_csv(tiny_v4 / "expr" / f"expr.tpm.{tissue}.v4_rn8.bed.gz", sep="\t",
                      dtype={"phenotype_id": str}).set_index("phenotype_id")
    per_rat = per_rat.set_index("rat_id")
    assert sorted(per_rat.index) == sorted(rats)
    for r in rats:
        d = per_rat.loc[r, "dosage"]
        assert (pd.isna(d) and np.isnan(dos[r])) or d == dos[r]
        assert per_rat.loc[r, "normalized"] == pytest.approx(float(norm.loc[gene, r]))
        assert per_rat.loc[r, "tpm"] == pytest.approx(float(tpm.loc[gene, r]))
    called = dos.dropna()
    assert summary.hom_ref == (called == 0).sum() and summary.het == (called == 1).sum()
    assert summary.hom_alt == (called == 2).sum()
    assert summary.alt_freq == pytest.approx(called.sum() / (2 * len(called)))
    import zipfile

    with zipfile.ZipFile(tiny_v4 / "cis_pvals" / f"{tissue}.v4.zip") as zf:
        member = pd.read_csv(io.BytesIO(zf.read(f"{tissue}.v4/{gene}.txt")), sep="\t")
    want_p = float(member.loc[member.variant_id == variant, "pval_nominal"].iloc[0])
    assert summary.pval_nominal == want_p
    assert summary.pval_nominal_threshold == float(eg.pval_nominal_threshold)
    # the lead variant of an eGene really shifts expression (synthetic effect)
    ok = per_rat.dosage.notna()
    c = np.corrcoef(per_rat.dosage[ok].astype(float), per_rat.normalized[ok])[0, 1]
    assert np.sign(c) == np.sign(float(eg.slope))


def test_not_a_vcf_is_a_format_error(tmp_path):
    from ratgtex_db.readers.vcf import _check_container

    p = tmp_path / VCF_NAME
    p.write_text("hello\n")
    with pytest.raises(FormatError, match="not a VCF"):
        _check_container(str(p))


def test_ingested_dosages_match_cyvcf2(gdb, tiny_v4):
    """Every rat's dosage in the genotypes view (which pairs the stored dosage lists with the rats)
    equals cyvcf2's gt_types of the same record."""
    from cyvcf2 import VCF

    path = next((tiny_v4 / "geno").glob("*.vcf.gz"))
    vcf = VCF(str(path), gts012=False)
    samples = list(vcf.samples)
    want = {(rec.ID, rat): [0, 1, None, 2][t]
            for rec in vcf for rat, t in zip(samples, rec.gt_types, strict=True)}
    with ratgtex_db.open(gdb) as db:
        got = {(v, r): d for v, r, d in
               db.sql("SELECT variant_id, rat_id, dosage FROM genotypes").rows()}
        order = [r for (r,) in db.sql("SELECT rat_id FROM _ratgtex.lake_genotype_samples "
                                      "ORDER BY sample_index").rows()]
    assert order == samples
    assert got == want
    assert None in got.values() and {0, 1, 2} <= set(got.values())


def test_stored_dosages_are_one_plain_list_per_variant(gdb):
    """A record's stored value is a LIST<TINYINT> with one element per rat (what other Parquet
    engines and /dyneqtl read), equal to the view's dosages in genotype_samples order."""
    import pyarrow.parquet as pq

    with ratgtex_db.open(gdb) as db:
        rats = db.sql("SELECT count(*) AS n FROM _ratgtex.lake_genotype_samples")["n"][0]
        vid, stored = db.sql("SELECT variant_id, dosages FROM "
                             "_ratgtex.lake_genotype_rows LIMIT 1").rows()[0]
        view = [d for (d,) in db.sql(
            "SELECT g.dosage FROM genotypes g JOIN _ratgtex.lake_genotype_samples s "
            "USING (version, dataset, rat_id) WHERE variant_id = ? ORDER BY s.sample_index",
            [vid]).rows()]
    assert len(stored) == rats
    assert list(stored) == view
    (path,) = (gdb / "lake" / "genotype_rows").rglob("*.parquet")
    assert str(pq.read_schema(path).field("dosages").type) == "list<element: int8>"


def test_a_lake_of_the_former_packed_calls_says_to_ingest_again(gdb, tmp_path):
    """A genotype object stored by an older ratgtex-db (``packed_dosages``: two bits a rat in
    one BLOB) is not read as all-missing calls: the genotypes view fails with what to do;
    other views still answer."""
    import shutil

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ratgtex_db import lake

    db = tmp_path / "old"
    shutil.copytree(gdb, db)
    with ratgtex_db.open(db) as h:
        (obj,) = [f for (f,) in h.sql("SELECT file FROM _ratgtex.lake_files "
                                      "WHERE table_name = 'genotype_rows'").rows()]
        variants = h.sql("SELECT count(*) AS n FROM variants")["n"][0]
    path = db / ".store" / obj
    t = pq.read_table(path)

    def packed(calls: list) -> bytes:  # the former layout: code 3 missing, first rat high
        codes = [3 if c is None else c for c in calls]
        codes += [0] * (-len(codes) % 4)
        return bytes(np.array(codes, dtype=np.uint8).reshape(-1, 4)
                     @ np.array([64, 16, 4, 1], dtype=np.uint8))

    blobs = pa.array([packed(v) for v in t.column("dosages").to_pylist()], pa.binary())
    path.unlink()  # a hard link to the lake's copy: write a new file, as the old version did
    pq.write_table(t.drop_columns(["dosages"]).append_column("packed_dosages", blobs), path)
    shutil.copy(path, next((db / "lake" / "genotype_rows").rglob("*.parquet")))
    # what opening a catalog of an older version's views does (its views digest differs)
    assert lake.maintain(db, rebuild_catalog=True)
    with ratgtex_db.open(db) as h:
        assert h.sql("SELECT count(*) AS n FROM variants")["n"][0] == variants
        (source,) = [s for (s,) in h.sql("SELECT source FROM _ratgtex.lake_files "
                                         "WHERE table_name = 'genotype_rows'").rows()]
        with pytest.raises(Exception, match="older ratgtex-db") as err:
            h.sql("SELECT dosage FROM genotypes").rows()
    assert f"ratgtex-db ingest --force {source}" in str(err.value)
    # what the message says to do, done: the genotypes answer again
    report = ingest([source], db, force=True)
    assert not report.failed, [r.message for r in report.failed]
    with ratgtex_db.open(db) as h, ratgtex_db.open(gdb) as fresh:
        q = "SELECT variant_id, rat_id, dosage FROM genotypes ORDER BY ALL"
        assert h.sql(q).rows() == fresh.sql(q).rows()
