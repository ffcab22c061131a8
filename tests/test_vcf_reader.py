"""The VCF reader (numpy over the record text) checked against cyvcf2 on hand-written VCFs.

Each file in tests/data/vcf/ is read as plain text, as BGZF (pysam.tabix_compress) and as plain
gzip; variants and dosages must equal cyvcf2's ``gt_types`` of the same file, except where the
reader deliberately differs (a call with one missing allele is NULL; an allele index a biallelic
record cannot have is an error), which are tested against literal expectations.
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pysam
import pytest
from cyvcf2 import VCF

from ratgtex_db.errors import FormatError
from ratgtex_db.ingest import ingest
from ratgtex_db.readers import NOTE
from ratgtex_db.readers.gt import decode_any, decode_fixed, dosage_lists
from ratgtex_db.readers.vcf import shape_vcf
from ratgtex_db.registry import KINDS_BY_NAME
from ratgtex_db.shape import Source

DATA = Path(__file__).parent / "data" / "vcf"
KIND = KINDS_BY_NAME["vcf"]
VCF_NAME = "ratgtex_v4_round11_2.rn8.vcf.gz"
#: cyvcf2 gt_types (HOM_REF, HET, UNKNOWN, HOM_ALT) -> ALT dosage
GT_DOSAGE = [0, 1, None, 2]
GOOD = ["phased_unphased.vcf", "bare_chrom.vcf", "gt_ds_haploid.vcf", "skipped_records.vcf"]


def read(path: Path) -> tuple[list[dict], list[list], list[str], list[str]]:
    """(variants rows, dosage lists, sample names, notes) as the reader yields them."""
    variants: list[dict] = []
    dosages: list[list] = []
    samples: list[str] = []
    notes: list[str] = []
    for name, data in shape_vcf(Source(path.name, str(path)), KIND, {}, False):
        if name == NOTE:
            notes.append(str(data))
        elif name == "variants":
            variants += data.to_pylist()
        elif name == "genotype_rows":
            assert data.column("variant_id").to_pylist() == [v["variant_id"] for v in
                                                             variants[-data.num_rows:]]
            dosages += data.column("dosages").to_pylist()
        elif name == "genotype_samples":
            assert data.column("sample_index").to_pylist() == list(range(data.num_rows))
            samples = data.column("rat_id").to_pylist()
    return variants, dosages, samples, notes


def cyvcf2_read(path: Path) -> tuple[list[tuple], list[list], list[str]]:
    """(pos, ref, alt) and dosages of the biallelic records, and the samples, per cyvcf2."""
    vcf = VCF(str(path), gts012=False)
    sites, dosages = [], []
    for rec in vcf:
        if len(rec.ALT) != 1:
            continue
        sites.append((rec.POS, rec.REF, rec.ALT[0]))
        dosages.append([GT_DOSAGE[t] for t in rec.gt_types])
    return sites, dosages, list(vcf.samples)


@pytest.fixture(params=["text", "bgzf", "gzip"])
def container(request, tmp_path):
    """Turn a hand-written VCF into the container under test (a real file on disk)."""

    def make(name: str) -> Path:
        src = DATA / name
        if request.param == "text":
            return src
        out = tmp_path / (name + ".gz")
        if request.param == "bgzf":
            pysam.tabix_compress(str(src), str(out), force=True)
        else:
            out.write_bytes(gzip.compress(src.read_bytes(), mtime=0))
        return out

    return make


@pytest.mark.parametrize("name", GOOD)
def test_dosages_match_cyvcf2(name, container):
    """Every biallelic record's dosages equal cyvcf2's gt_types, in sample order."""
    path = container(name)
    variants, dosages, samples, _ = read(path)
    sites, want, want_samples = cyvcf2_read(path)
    assert samples == want_samples
    assert [(v["pos"], v["ref"], v["alt"]) for v in variants] == sites
    assert dosages == want


@pytest.mark.parametrize("name", GOOD)
def test_record_by_record_path_matches_cyvcf2(name):
    """The per-record parser (used when a block is not all in the release's layout, and to
    locate errors) gives the same records as the block parser and cyvcf2."""
    import io

    from ratgtex_db.readers.vcf import _Records, read_header

    path = DATA / name
    raw = path.read_bytes()
    stream = io.BytesIO(raw)
    header_lines, samples = read_header(name, stream)
    records = _Records(name, samples, header_lines)
    body = raw[stream.tell():]
    records.scan(body, 0, len(body))
    tables = dict(records.batch())
    sites, want, _ = cyvcf2_read(path)
    got = tables["variants"]
    assert list(zip(got.column("pos").to_pylist(), got.column("ref").to_pylist(),
                    got.column("alt").to_pylist(), strict=True)) == sites
    assert tables["genotype_rows"].column("dosages").to_pylist() == want
    assert got.to_pylist() == read(path)[0]


def test_skipped_records_are_counted():
    """Multi-allelic records and records without ALT are skipped and reported apart."""
    variants, _, _, notes = read(DATA / "skipped_records.vcf")
    assert [v["pos"] for v in variants] == [100, 200]
    assert notes == ["2 multi-allelic record(s) skipped; 1 record(s) without an ALT allele "
                     "skipped"]


def test_chrom_and_id_normalisation():
    """Bare CHROM gets chr (MT -> chrM), scaffolds stay; a missing ID becomes chrom:pos."""
    variants, _, _, _ = read(DATA / "bare_chrom.vcf")
    assert [(v["variant_id"], v["chrom"]) for v in variants] == [
        ("chr1:10", "chr1"), ("chr2:20", "chr2"), ("chrX:30", "chrX"), ("chrM:40", "chrM"),
        ("AABR07046136.1:50", "AABR07046136.1")]


def test_haploid_and_extra_format_fields():
    """GT:DS fields, dropped trailing fields and haploid calls (1 -> dosage 2, as plink)."""
    _, dosages, _, _ = read(DATA / "gt_ds_haploid.vcf")
    assert dosages == [[1, 2, None, 0, None], [1, 0, 2, None, 1], [0, 2, None, 1, 2],
                       [0, 1, 2, 1, None]]


def test_a_call_with_one_missing_allele_is_null():
    """./1, 1/. and 0|. have no known dosage (htslib would call them HET/HOM_REF)."""
    _, dosages, _, _ = read(DATA / "half_missing.vcf")
    assert dosages == [[None, None, None]]


def test_an_allele_a_biallelic_record_cannot_have_is_an_error():
    """0/2 in a record with one ALT names the file line, the sample and the call."""
    with pytest.raises(FormatError, match=r"bad_allele.vcf:6: malformed VCF record: sample "
                                          r"'R2': GT '0/2'"):
        read(DATA / "bad_allele.vcf")


def test_a_record_with_too_few_sample_columns_is_an_error(container):
    """The line number counts the header lines, whatever the container."""
    with pytest.raises(FormatError, match=r":6: malformed VCF record: 3 sample column\(s\) "
                                          r"expected \(the #CHROM header\), found 2"):
        read(container("missing_column.vcf"))


def test_text_that_is_not_utf8_is_an_error(tmp_path):
    """A REF that is not UTF-8 is a FormatError naming the file, not a traceback."""
    bad = tmp_path / "latin1.vcf"
    bad.write_bytes((DATA / "phased_unphased.vcf").read_bytes().replace(b"\tC\tT\t",
                                                                          b"\t\xe9\tT\t"))
    with pytest.raises(FormatError, match=r"latin1.vcf:\d+: malformed VCF record: .*UTF-8"):
        read(bad)


def test_crlf_line_ends_read_the_same(tmp_path):
    """A VCF written with CR LF line ends gives the same tables as with LF."""
    crlf = tmp_path / "crlf.vcf"
    crlf.write_bytes((DATA / "phased_unphased.vcf").read_bytes().replace(b"\n", b"\r\n"))
    assert read(crlf)[:3] == read(DATA / "phased_unphased.vcf")[:3]


def test_truncated_plain_gzip_is_an_error(tmp_path):
    """A cut-off (non-BGZF) gzip stream is reported, not read as a shorter file."""
    text = (DATA / "phased_unphased.vcf").read_bytes()
    body = b"".join(f"chr1\t{i}\t.\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t./.\n".encode()
                    for i in range(1, 20000))
    full = gzip.compress(text + body, mtime=0)
    cut = tmp_path / VCF_NAME
    cut.write_bytes(full[: len(full) // 2])
    with pytest.raises(FormatError, match="broken or truncated"):
        read(cut)


def test_plain_text_vcf_under_the_release_name_ingests(tmp_path):
    """Plain text is accepted whatever the name says (cyvcf2 accepted it too)."""
    path = tmp_path / "geno" / VCF_NAME
    path.parent.mkdir()
    shutil.copy(DATA / "phased_unphased.vcf", path)
    report = ingest([path], tmp_path / "db")
    assert not report.failed, [r.message for r in report.failed]
    import ratgtex_db

    with ratgtex_db.open(tmp_path / "db") as db:
        rows = db.sql("SELECT variant_id, rat_id, dosage FROM genotypes WHERE pos = 250 "
                      "ORDER BY rat_id").rows()
    assert rows == [("chr1:250", "00077E67B5", 1), ("chr1:250", "000789972A", 2),
                    ("chr1:250", "56269_4", 1), ("chr1:250", "933000320045751", None)]


def test_sites_only_vcf_ingests_variants_and_no_genotypes(tmp_path):
    """A VCF without sample columns (8 columns, no FORMAT): its variants, and a genotypes view
    that answers with no rows (each record's packed calls are empty)."""
    path = tmp_path / "geno" / VCF_NAME
    path.parent.mkdir()
    lines = [line.split("\t")[:8] for line in (DATA / "phased_unphased.vcf").read_text()
             .splitlines() if not line.startswith("##")]
    path.write_text("##fileformat=VCFv4.2\n" + "\n".join("\t".join(f) for f in lines) + "\n")
    report = ingest([path], tmp_path / "db")
    assert not report.failed, [r.message for r in report.failed]
    import ratgtex_db

    with ratgtex_db.open(tmp_path / "db") as db:
        assert db.sql("SELECT count(*) AS n FROM variants")["n"][0] == \
            len(read(DATA / "phased_unphased.vcf")[0])
        assert db.sql("SELECT count(*) AS n, count(dosage) AS d FROM genotypes").rows() == \
            [(0, 0)]
        assert db.sql("SELECT count(*) AS n FROM genotypes WHERE variant_id = 'chr1:250'"
                      ).rows() == [(0,)]


def _random_vcf(path: Path, records: int, samples: int, seed: int) -> None:
    """A VCF with many records (more than one read block and one batch), written here with
    numpy, independently of the reader: phased and unphased calls, missing calls, some
    multi-allelic records."""
    rng = np.random.default_rng(seed)
    calls = np.array(["0/0", "0/1", "1/0", "1/1", "./.", "0|0", "0|1", "1|0", "1|1", ".|."])
    pick = rng.choice(len(calls), size=(records, samples), p=[.3, .1, .1, .2, .02,
                                                              .1, .05, .05, .06, .02])
    lines = ["##fileformat=VCFv4.2", "##contig=<ID=chr7>",
             '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
             "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                        *[f"S{i:04d}" for i in range(samples)]])]
    text = calls[pick]
    for i in range(records):
        alt = "G,T" if i % 997 == 5 else "G"
        lines.append(f"chr7\t{i + 1}\tchr7:{i + 1}\tA\t{alt}\t.\t.\t.\tGT\t" + "\t".join(text[i]))
    path.write_text("\n".join(lines) + "\n")


def test_many_blocks_and_batches_match_cyvcf2(tmp_path):
    """Records straddling read blocks and batches come out whole and in order."""
    text = tmp_path / "big.vcf"
    _random_vcf(text, 12_000, 200, seed=7)  # ~9.6 MB of text: two read blocks, two batches
    assert text.stat().st_size > 8 << 20
    path = tmp_path / VCF_NAME
    pysam.tabix_compress(str(text), str(path), force=True)
    variants, dosages, _, notes = read(path)
    sites, want, _ = cyvcf2_read(path)
    assert len(variants) == len(sites) == 12_000 - 13
    assert [(v["pos"], v["ref"], v["alt"]) for v in variants] == sites
    assert dosages == want
    assert notes == ["13 multi-allelic record(s) skipped"]


def test_blocks_parsed_side_by_side_stay_in_order_and_name_the_bad_line(tmp_path, monkeypatch):
    """With small read blocks many are parsed at once on threads: blocks the fast path refuses
    (a record with an extra FORMAT field) are read in their place, records come out in file
    order, and a bad record far into the file is named by its own line."""
    from ratgtex_db.readers import vcf

    monkeypatch.setattr(vcf, "CHUNK_BYTES", 16 << 10)  # ~20 records of 200 samples a block
    text = tmp_path / "many.vcf"
    _random_vcf(text, 3_000, 200, seed=11)
    lines = text.read_text().splitlines(keepends=True)
    header = 4
    for i in (700, 1_901):  # two records with GT:DS: their blocks take the record-by-record path
        fields = lines[header + i].rstrip("\n").split("\t")
        fields[8] = "GT:DS"
        fields[9:] = [f + ":0.5" for f in fields[9:]]
        lines[header + i] = "\t".join(fields) + "\n"
    text.write_text("".join(lines))
    path = tmp_path / VCF_NAME
    pysam.tabix_compress(str(text), str(path), force=True)
    variants, dosages, _, notes = read(path)
    sites, want, _ = cyvcf2_read(path)
    assert [(v["pos"], v["ref"], v["alt"]) for v in variants] == sites
    assert dosages == want
    assert notes == ["4 multi-allelic record(s) skipped"]

    bad = 2_500  # a call that is no call, in the 2,501st record
    fields = lines[header + bad].split("\t")
    fields[42] = "2/7"
    lines[header + bad] = "\t".join(fields)
    text.write_text("".join(lines))
    pysam.tabix_compress(str(text), str(path), force=True)
    with pytest.raises(FormatError) as err:
        read(path)
    assert err.value.line == header + bad + 1
    assert "S0033" in str(err.value)


def test_the_two_decoders_agree():
    """decode_fixed and decode_any give the same bytes for the release's layout, and
    decode_fixed refuses (returns None) what it cannot read instead of guessing."""
    rng = np.random.default_rng(3)
    alleles = np.array(list("01."))
    a, b = rng.integers(0, 3, (50, 40)), rng.integers(0, 3, (50, 40))
    sep = np.where(rng.random((50, 40)) < 0.5, "/", "|")
    rows = ["\t".join(f"{alleles[i]}{s}{alleles[j]}" for i, s, j in zip(r, q, t, strict=True))
            + "\n" for r, q, t in zip(a, sep, b, strict=True)]
    raw = "".join(rows).encode()
    fixed = decode_fixed(np.frombuffer(raw, np.uint8).copy(), 50, 40)
    assert fixed is not None
    assert (fixed == decode_any(raw + b"\0\0\0", 50, 40)).all()
    for bad in (b"0/2", b"0\t0", b"x/1", b"0-1", b"01/", b"/01"):
        broken = bytearray(raw)
        broken[4:7] = bad  # the second call of the first record
        assert decode_fixed(np.frombuffer(bytes(broken), np.uint8).copy(), 50, 40) is None, bad


def test_bench_vcf_measures_a_tiny_file(tmp_path):
    """bench/vcf.py generates a VCF, ingests it and reports every figure (no timing checks)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_vcf", Path(__file__).resolve().parents[1] / "bench" / "vcf.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    vcf = bench.make_vcf(tmp_path / VCF_NAME, records=300, samples=40)
    r = bench.measure(vcf, tmp_path / "work")
    assert (r["records"], r["samples"]) == (300, 40)
    assert {"gz_mb", "decompress_s", "ingest_s", "x_decompress", "records_per_s",
            "peak_rss_mib", "cyvcf2_baseline_s", "reader_s", "list_write_us_per_record",
            "list_plain_write_us_per_record"} <= set(r)
    assert read(vcf)[1] == cyvcf2_read(vcf)[1]  # the bench file reads as cyvcf2 reads it


def test_dosage_lists_of_decoded_calls():
    """One plain LIST<TINYINT> per record, in sample order, NULL for a call with a missing
    allele (decoded bytes 4, 5, 8): values worked out by hand, and read back by the SQL of the
    genotypes view (element sample_index + 1)."""
    import duckdb

    x = np.array([0, 1, 2, 4, 8, 0, 5, 1, 2, 0, 1, 2], dtype=np.uint8)  # 2 records x 6
    lists = dosage_lists(x, 2, 6)
    assert lists.type == pa.list_(pa.int8())
    assert lists.to_pylist() == [[0, 1, 2, None, None, 0], [None, 1, 2, 0, 1, 2]]
    assert dosage_lists(np.empty(0, dtype=np.uint8), 3, 0).to_pylist() == [[], [], []]
    sql = (Path(__file__).parents[1] / "sql" / "views" / "genotypes.sql").read_text()
    expr = sql[sql.index("CAST(r.dosages"):sql.index(" AS dosage")]
    con = duckdb.connect()
    con.register("rows", pa.table({"dosages": lists}))
    got = [[con.execute(f"SELECT {expr} FROM (SELECT dosages FROM rows LIMIT 1 OFFSET ?) AS r, "
                        "(SELECT ? AS sample_index) AS s", [k, i]).fetchone()[0]
            for i in range(6)] for k in range(2)]
    assert got == [[0, 1, 2, None, None, 0], [None, 1, 2, 0, 1, 2]]
