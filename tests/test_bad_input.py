"""Bad input through the real CLI: each bad file is explained, the others still ingest."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb

from ratgtex_db.registry import KINDS_BY_NAME

SIGNIF_HEADER = ("phenotype_id\tvariant_id\ttss_distance\taf\tma_samples\tma_count\t"
                 "pval_nominal\tslope\tslope_se\tpval_nominal_threshold\n")
SIGNIF_ROW = "Grin2b\tchr1:{pos}\t-50\t0.25\t10\t12\t1.23457e-08\t0.5\t0.1\t1e-05\n"


def _name(kind: str, **values: str) -> str:
    return KINDS_BY_NAME[kind].filename(version="v4", **values).rsplit("/", 1)[-1]


def _signif(rows: int = 3) -> str:
    return SIGNIF_HEADER + "".join(SIGNIF_ROW.format(pos=1000 + i) for i in range(rows))


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=120)


def _write_bad_release(root: Path, tiny_v4: Path) -> dict[str, str]:
    """Good files plus one bad file per case; returns file name -> expected message part."""
    root.mkdir(parents=True)
    x = root / "xqtl"
    x.mkdir()
    expect = {}
    # good: BGZF-or-gzip signif (multi-member), header-only, CRLF + trailing blank lines
    good = _signif(5)
    (x / _name("cis_qtl_signif", tissue="BLA", modality="expression")).write_bytes(
        gzip.compress(good[:200].encode(), mtime=0) + gzip.compress(good[200:].encode(), mtime=0))
    (x / _name("cis_qtl_signif", tissue="BLA", modality="splicing")).write_bytes(
        gzip.compress(SIGNIF_HEADER.encode(), mtime=0))
    (x / _name("cis_qtl_signif", tissue="BLA", modality="isoforms")).write_bytes(gzip.compress(
        (_signif(3).replace("\n", "\r\n") + "\r\n\r\n").encode(), mtime=0))
    # bad: truncated gzip
    name = _name("cis_qtl_signif", tissue="BLA", modality="alt_TSS")
    data = gzip.compress(_signif(3000).encode(), mtime=0)
    (x / name).write_bytes(data[: len(data) // 2])
    expect[name] = "truncated"
    # bad: .gz that is not gzip
    name = _name("cis_qtl_signif", tissue="BLA", modality="alt_polyA")
    (x / name).write_text(_signif(2))
    expect[name] = "not a gzip file"
    # bad: wrong column in the header
    name = _name("cis_qtl_signif", tissue="BLA", modality="stability")
    (x / name).write_bytes(gzip.compress(_signif(2).replace("slope_se", "se").encode()))
    expect[name] = "header lacks column(s) 'slope_se'"
    def one_bad_line(modality: str, rows: int, line: int, old: str | None, new: str) -> str:
        """A signif file whose data line ``line`` (1-based, header = 1) has ``old`` replaced
        by ``new`` (the whole line when ``old`` is None); returns its name."""
        name = _name("cis_qtl_signif", tissue="NAcc", modality=modality)
        text = _signif(rows).splitlines(keepends=True)
        text[line - 1] = new if old is None else text[line - 1].replace(old, new)
        (x / name).write_bytes(gzip.compress("".join(text).encode()))
        return name

    # bad: wrong column count on a data line (line 3)
    expect[one_bad_line("expression", 3, 3, None, "Grin2b\tchr1:5\t1\n")] = \
        ":3: wrong number of fields"
    # bad: non-numeric text in a numeric column (line 4, column pval_nominal)
    expect[one_bad_line("splicing", 3, 4, "1.23457e-08", "n/a")] = \
        ":4: column 'pval_nominal': expected a number, found 'n/a'"
    # bad: variant ids that are not chrN:pos with pos an INTEGER (lines 3 and 4)
    expect[one_bad_line("alt_TSS", 4, 3, "chr1:1001", "chr1:+1001")] = \
        ":3: column 'variant_id': expected a variant id chrN:pos, found 'chr1:+1001'"
    expect[one_bad_line("alt_polyA", 4, 4, "chr1:1002", "chr1:99999999999")] = \
        ":4: column 'variant_id': expected a variant id chrN:pos with a position"
    # bad: empty 0-byte file
    name = _name("exon")
    (root / name).write_bytes(b"")
    expect[name] = "empty file"
    # bad: duplicated sample column in a BED
    name = _name("phenos", tissue="BLA", modality="splicing", norm="norm")
    (root / name).write_bytes(gzip.compress(
        b"#chr\tstart\tend\tphenotype_id\tR1\tR1\nchr1\t9\t10\tG__x\t0.1\t0.2\n"))
    expect[name] = "appears twice"
    # bad: zip with a corrupt member
    name = _name("cis_pvals", tissue="BLA")
    with zipfile.ZipFile(root / name, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BLA.v4/G1.txt", "variant_id\tpval_nominal\n" + "chr1:1\t0.5\n" * 200)
    raw = bytearray((root / name).read_bytes())
    i = raw.find(b"BLA.v4/G1.txt") + len("BLA.v4/G1.txt") + 5
    raw[i : i + 8] = b"\x00" * 8
    (root / name).write_bytes(bytes(raw))
    expect[name] = "BLA.v4/G1.txt"
    # bad: malformed VCF line (position 'abc' on line 6)
    name = _name("vcf", dataset="ratgtex_v4_round11_2", genome="rn8")
    head = ("##fileformat=VCFv4.2\n##contig=<ID=chr1>\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="GT">\n'
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tR1\tR2\n")
    body = ("chr1\t100\tchr1:100\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\n"
            "chr1\tabc\tchr1:200\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\n")
    (root / name).write_bytes(gzip.compress((head + body).encode()))
    expect[name] = ":6: malformed VCF record"
    # bad: a name that parses to an unknown tissue / version
    bad_t = "cis_qtl_signif.Kidney.expression.v4_rn8.txt.gz"
    (x / bad_t).write_bytes(gzip.compress(_signif(1).encode()))
    expect[bad_t] = "unknown tissue 'Kidney'"
    bad_v = "top_assoc.v9_rn8.tsv"
    (root / bad_v).write_text("x\n")
    expect[bad_v] = "unknown release version 'v9'"
    # a good file from the synthetic release too
    shutil.copy(tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv", root / "top_assoc.v4_rn8.tsv")
    return expect


def test_each_bad_file_is_explained_and_the_others_ingest(tmp_path, tiny_v4):
    root = tmp_path / "release"
    expect = _write_bad_release(root, tiny_v4)
    db = tmp_path / "db"
    res = _cli(db, "ingest", "--quiet", str(root))
    assert res.returncode == 1
    out = " ".join((res.stdout + res.stderr).split())  # rich may wrap long lines
    for name, part in expect.items():
        assert name in out, name
        assert part in out, (name, part, out[-3000:])
    con = duckdb.connect(str(db / "catalog.duckdb"), read_only=True)
    try:
        counts = dict(con.execute(
            "SELECT modality, count(*) FROM cis_qtl_signif GROUP BY 1").fetchall())
        status = dict(con.execute("SELECT path, status FROM ingested_files").fetchall())
        top = con.execute("SELECT count(*) FROM top_assoc").fetchone()[0]
    finally:
        con.close()
    assert counts == {"expression": 5, "isoforms": 3}  # header-only splicing: 0 rows
    assert top > 0
    failed = {Path(p).name for p, s in status.items() if s == "failed"}
    assert failed == set(expect), failed ^ set(expect)


def test_failing_file_keeps_the_previous_partition(tmp_path, tiny_v4):
    root = tmp_path / "r"
    root.mkdir()
    path = root / "top_assoc.v4_rn8.tsv"
    shutil.copy(tiny_v4 / "eqtl" / path.name, path)
    db = tmp_path / "db"
    assert _cli(db, "ingest", "--quiet", str(root)).returncode == 0
    before = _cli(db, "sql", "--format", "csv", "SELECT * FROM top_assoc ORDER BY ALL").stdout
    lines = path.read_text().splitlines(keepends=True)
    lines[5] = lines[5].replace("\t", "\tXX", 1).replace("\t", "\tnot-a-number\t", 3)
    path.write_text("".join(lines))
    res = _cli(db, "ingest", "--quiet", str(root))
    assert res.returncode == 1 and ":6:" in " ".join((res.stdout + res.stderr).split())
    after = _cli(db, "sql", "--format", "csv", "SELECT * FROM top_assoc ORDER BY ALL").stdout
    assert after == before
    # the record stays that of the rows the views hold; the failure is said in its message
    status = _cli(db, "sql", "--format", "tsv", "SELECT status, message FROM ingested_files")
    (got,) = status.stdout.splitlines()[1:]
    state, message = got.split("\t", 1)
    assert state == "ingested" and message.startswith("re-ingest failed"), got
    assert ":6:" in message and "are kept" in message



def test_zip_members_parsed_together_keep_every_row_and_name_the_bad_member(tmp_path):
    """Small per-gene members are parsed many at a time: line endings, header-only, gzip and
    unterminated members keep their rows and genes; a bad value names member, line, column."""
    from ratgtex_db.ingest import ingest

    head = "variant_id\tpval_nominal\n"
    good = tmp_path / "good" / _name("cis_pvals", tissue="BLA")
    good.parent.mkdir()
    with zipfile.ZipFile(good, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BLA.v4/G1.txt", head + "chr1:1\t0.5\nchr1:2\t0.25\nchr1:3\tNA\n")
        zf.writestr("BLA.v4/G2.txt", head)
        zf.writestr("BLA.v4/G3.txt", head.replace("\n", "\r\n") + "chr2:5\t1e-300\r\n\r\n"
                    "chr2:6\t0.125\r\n\n")
        zf.writestr("BLA.v4/G4.txt", gzip.compress((head + "chr3:7\t0.5\nchr3:8\t0.75\n").encode(),
                                                   mtime=0))
        zf.writestr("BLA.v4/G5.txt", head + "chrX:9\t0.0625")
    report = ingest([good.parent], tmp_path / "db")
    assert not report.failed, [r.message for r in report.failed]
    con = duckdb.connect(str(tmp_path / "db" / "catalog.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT gene_id, variant_id, chrom, pos, pval_nominal FROM cis_pvals "
                           "ORDER BY gene_id, pos").fetchall()
    finally:
        con.close()
    assert rows == [("G1", "chr1:1", "chr1", 1, 0.5), ("G1", "chr1:2", "chr1", 2, 0.25),
                    ("G1", "chr1:3", "chr1", 3, None), ("G3", "chr2:5", "chr2", 5, 1e-300),
                    ("G3", "chr2:6", "chr2", 6, 0.125), ("G4", "chr3:7", "chr3", 7, 0.5),
                    ("G4", "chr3:8", "chr3", 8, 0.75), ("G5", "chrX:9", "chrX", 9, 0.0625)]
    bad = tmp_path / "bad" / good.name
    bad.parent.mkdir()
    with zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BLA.v4/G1.txt", head + "chr1:1\t0.5\n" * 200)
        zf.writestr("BLA.v4/G2.txt", head + "chr1:7\t0.5\nchr1:8\tabc\n")
    report = ingest([bad.parent], tmp_path / "db")
    (failed,) = report.failed
    assert "BLA.v4/G2.txt:3: column 'pval_nominal': expected a number, found 'abc'" in \
        failed.message


def test_zip_member_header_not_utf8_names_the_member_and_field(tmp_path):
    """A member's header with a byte that is not UTF-8 is said as such (it was decoded with
    replacement characters and reported as a missing column)."""
    from ratgtex_db.ingest import ingest

    path = tmp_path / "BLA.v4.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("BLA.v4/G1.txt", b"variant_id\tpval_nominal\xe9\nchr1:1\t0.5\n")
    (failed,) = ingest([path], tmp_path / "db").failed
    assert "BLA.v4.zip!BLA.v4/G1.txt:1" in failed.message, failed.message
    assert "not UTF-8" in failed.message and "field 2" in failed.message, failed.message
