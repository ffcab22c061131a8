"""Audit: hand-written bad (and valid-but-odd) release files and query options.

Every file here is written from release-format.md (sections 1-3, 7), not from ``synth``. The
good starting database is the synthetic tiny release (conftest ``tiny_v4``): a bad file names
the same partition as a good one, and must leave it as it was.

Contract (project standard): bad input gets a clear error and nothing is lost: the message
names file, line and column (or the option and value) and says what to do; the catalog stays as
it was; no tracebacks for user mistakes; never an empty success where the input named something
absent. Errors on stderr with exit 1, usage errors exit 2.
"""

from __future__ import annotations

import gzip
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import duckdb
import pytest
from test_cli_errors import one_error  # exit 1, one 'Error: ...' line

# --- helpers -------------------------------------------------------------------------------

SIGNIF_COLS = ["phenotype_id", "variant_id", "tss_distance", "af", "ma_samples", "ma_count",
               "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"]
SIGNIF_HEADER = "\t".join(SIGNIF_COLS) + "\n"


def signif_rows(n: int, gene: str = "Grin2b", start: int = 1000) -> list[str]:
    return [f"{gene}\tchr1:{start + i}\t-50\t0.25\t10\t12\t1.23457e-08\t0.5\t0.1\t1e-05\n"
            for i in range(n)]


def signif_text(n: int = 5) -> str:
    return SIGNIF_HEADER + "".join(signif_rows(n))


TOP_COLS = ["tissue", "gene_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt", "af",
            "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
            "pval_nominal_threshold", "log2_aFC"]


def top_row(gene: str, pos: int, **over: str) -> str:
    vals = {"tissue": "BLA", "gene_id": gene, "num_var": "2500", "variant_id": f"chr1:{pos}",
            "chrom": "chr1", "pos": str(pos), "ref": "A", "alt": "G", "af": "0.3",
            "tss_distance": "-1200", "pval_nominal": "1e-5", "slope": "0.4", "slope_se": "0.08",
            "pval_beta": "0.001", "qval": "0.01", "pval_nominal_threshold": "2e-4",
            "log2_aFC": "0.25"}
    vals.update(over)
    return "\t".join(vals[c] for c in TOP_COLS) + "\n"


def top_text(n: int = 4) -> str:
    return "\t".join(TOP_COLS) + "\n" + "".join(top_row(f"G{i}", 1000 + i) for i in range(n))


BED_HEAD = "#chr\tstart\tend\tphenotype_id\tR1\tR2\tR3\n"


def bed_text(n: int = 4) -> str:
    return BED_HEAD + "".join(f"chr1\t{99 + i}\t{100 + i}\tG{i}__p\t0.5\t-0.25\t1.5\n"
                              for i in range(n))


VCF_HEAD = ("##fileformat=VCFv4.2\n##contig=<ID=chr1>\n"
            '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tR1\tR2\tR3\n")


def vcf_rec(pos: int, calls: str = "0/0\t0/1\t1/1", vid: str | None = None) -> str:
    return f"chr1\t{pos}\t{vid or f'chr1:{pos}'}\tA\tG\t.\t.\t.\tGT\t{calls}\n"


def gz(text: str | bytes) -> bytes:
    return gzip.compress(text.encode() if isinstance(text, str) else text, mtime=0)


BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def bgzf_block(data: bytes) -> bytes:
    """One BGZF block (a gzip member with the BC extra field), as bgzip writes it."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    comp = c.compress(data) + c.flush()
    header = (b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff" + struct.pack("<H", 6) + b"BC"
              + struct.pack("<HH", 2, len(comp) + 25))
    return header + comp + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data))


def bgzf(data: bytes) -> bytes:
    """BGZF as bgzip writes it: blocks of at most 64 KiB of text, then the EOF block."""
    return b"".join(bgzf_block(data[i:i + 60000]) for i in range(0, len(data), 60000)) + BGZF_EOF


def cli(db: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ratgtex_db", "--db", str(db), *args],
                          capture_output=True, text=True, timeout=300, input=input)


def flat(res: subprocess.CompletedProcess) -> str:
    return " ".join((res.stdout + res.stderr).split())  # rich may wrap long lines


def connect(db: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(db / "catalog.duckdb"), read_only=True)


def state(db: Path) -> dict[str, tuple]:
    """Every public view (ingested_files aside): row count and an order-free content hash."""
    con = connect(db)
    try:
        names = [r[0] for r in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
            "AND view_name NOT LIKE '\\_%' ESCAPE '\\' AND view_name <> 'ingested_files' "
            "ORDER BY 1").fetchall()]
        return {n: con.execute(f'SELECT count(*), sum(hash(t::VARCHAR) % 1000000007) '
                               f'FROM "{n}" AS t').fetchone() for n in names}
    finally:
        con.close()


def manifest(db: Path) -> dict[str, tuple]:
    con = connect(db)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT path, status, message, kind FROM ingested_files").fetchall()}
    finally:
        con.close()


def q(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(db)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture
def good(tmp_path, tiny_v4):
    """``good(*relpaths)``: a db ingested from those files of the tiny synthetic release."""
    from ratgtex_db.ingest import ingest

    def make(*rels: str) -> Path:
        src = tmp_path / "good"
        for rel in rels:
            dest = src / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(tiny_v4 / rel, dest)
        db = tmp_path / "db"
        report = ingest([src], db)
        assert not report.failed, [r.message for r in report.failed]
        return db

    return make


def write(tmp_path: Path, name: str, data: str | bytes, folder: str = "bad") -> Path:
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def assert_refused(db: Path, before: dict, bad: Path, res: subprocess.CompletedProcess,
                   *parts: str) -> str:
    """Exit 1, no traceback, the message names the file and ``parts``, the views unchanged,
    the manifest says failed (with the same message)."""
    out = flat(res)
    assert res.returncode == 1, (res.returncode, out[-2000:])
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    assert bad.name in out, out[-2000:]
    for part in parts:
        assert part in out, (part, out[-2000:])
    assert state(db) == before
    row = manifest(db).get(str(bad.resolve()))
    assert row is not None and row[0] == "failed", row
    for part in parts:
        assert part in (row[1] or ""), (part, row)
    return row[1]


def ingest_bad(db: Path, bad: Path, *parts: str) -> str:
    before = state(db)
    res = cli(db, "ingest", "--quiet", str(bad))
    return assert_refused(db, before, bad, res, *parts)


def still_ingests(db: Path, tiny_v4: Path, rel: str) -> None:
    res = cli(db, "ingest", "--quiet", "--force", str(tiny_v4 / rel))
    assert res.returncode == 0, flat(res)[-2000:]


SIGNIF = "xqtl/cis_qtl_signif.BLA.expression.v4_rn8.txt.gz"
TOP = "eqtl/top_assoc.v4_rn8.tsv"
INDEP = "eqtl/eqtls_indep.v4_rn8.tsv"
EXPR = "expr/expr.log2.BLA.v4_rn8.bed.gz"
PHENOS = "phenos/phenos.BLA.splicing.norm.v4_rn8.bed.gz"
GENE = "gene.v4.tsv"
TISSUE_INFO = "tissue_info.v4.tsv"
COVAR = "covar/covar.BLA.expression.v4.tsv"
TRANS = "xqtl/trans_qtl_pairs.BLA.expression.v4_rn8.txt.gz"
CIS_PVALS = "cis_pvals/BLA.v4.zip"
ESNPS = "eqtl/all_gene_esnps.v4.zip"
VCF = "geno/ratgtex_v4_round11_2.rn8.vcf.gz"


def lines_with(text: str, line: int, old: str | None, new: str) -> str:
    """``text`` with file line ``line`` (1-based, header = 1) changed: ``old`` -> ``new``, or
    the whole line replaced by ``new`` when ``old`` is None."""
    rows = text.splitlines(keepends=True)
    rows[line - 1] = new if old is None else rows[line - 1].replace(old, new, 1)
    return "".join(rows)


# --- ordinary bad files: each refused with file, line, column; nothing changes ---------------

GENE_HEAD = ("geneId\tchromosome\tstart\tend\tstrand\ttss\tdescription\thasEqtl\texpr_BLA\t"
             "testedEqtl_BLA\teqtl_BLA\n")
GENE_ROW = "G{i}\tchr1\t{s}\t{e}\t+\t{s}\tsome gene\tTrue\tTrue\tTrue\tFalse\n"


def gene_text(n: int = 4) -> str:
    return GENE_HEAD + "".join(GENE_ROW.format(i=i, s=1000 * (i + 1), e=1000 * (i + 1) + 500)
                               for i in range(n))


TI_COLS = ["tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail", "tissueSite",
           "colorHex", "colorRgb", "dataset", "rnaSeqSampleCount",
           "rnaSeqAndGenotypeSampleCount", "expressedGeneCount", "eGeneCount", "datasetId",
           "hasEGenes"]


def ti_text() -> str:
    rows = [["BLA", "BLA", "Basolateral amygdala", "Brain", "377eb8", "55,126,184",
             "ratgtex_v4_round11_2", "20", "20", "100", "40", "ratgtex_v4", "True"],
            ["NAcc", "NAcc", "Nucleus accumbens core", "Brain", "1e5000", "30,80,0",
             "ratgtex_v4_round11_2", "24", "24", "110", "NA", "ratgtex_v4", "True"]]
    return "\t".join(TI_COLS) + "\n" + "".join("\t".join(r) + "\n" for r in rows)


COVAR_TEXT = ("ID\tR1\tR2\tR3\ngeno_PC1\t0.1\t-0.2\t1e-06\ngeno_PC2\t0.3\t0.4\t-0.5\n"
              "pheno_PC1\t1.5\t2.5\t-3.5\n")
TRANS_TEXT = ("variant_id\tphenotype_id\tpval\tslope\tslope_se\taf\n"
              "chr1:100\tG1\t1e-06\t0.5\t0.1\t0.2\nchr2:200\tG2\t3e-07\t-0.4\t0.09\t0.35\n"
              "chr3:300\tG3\t9.9e-06\t0.2\t0.05\t0.5\n")

BAD_FILES = {
    # id: (good relpath, bad file name, bytes, parts the message must have)
    "signif-truncated-gzip": (SIGNIF, gz(signif_text(3000))[:-4000], ["truncated"]),
    "signif-not-gzip": (SIGNIF, signif_text(3).encode(), ["not a gzip file"]),
    "signif-too-few-fields": (SIGNIF, gz(lines_with(signif_text(5), 4, "\t0.5\t0.1", "")),
                              [":4:", "wrong number of fields"]),
    "signif-too-many-fields": (SIGNIF, gz(lines_with(signif_text(5), 3, "\n", "\textra\n")),
                               [":3:", "wrong number of fields"]),
    "signif-non-numeric": (SIGNIF, gz(lines_with(signif_text(5), 5, "\t0.5\t", "\tbig\t")),
                           [":5:", "column 'slope'", "'big'"]),
    "signif-non-integer": (SIGNIF, gz(lines_with(signif_text(5), 2, "\t12\t", "\t12.5\t")),
                           [":2:", "column 'ma_count'"]),
    "signif-renamed-column": (SIGNIF, gz(signif_text(3).replace("slope_se", "slope_err")),
                              ["slope_se"]),
    "signif-missing-column": (SIGNIF, gz("\n".join("\t".join(f.split("\t")[:3] + f.split("\t")[4:])
                                                   for f in signif_text(3).split("\n"))),
                              ["'af'"]),
    "signif-duplicated-column": (SIGNIF, gz(signif_text(3).replace("tss_distance", "af", 1)),
                                 ["'af'", "twice"]),
    "signif-empty-gzip": (SIGNIF, gz(""), ["empty"]),
    "top-too-few-fields": (TOP, lines_with(top_text(4), 3, None, "BLA\tG1\t2500\n"),
                           [":3:", "wrong number of fields"]),
    "top-non-numeric-qval": (TOP, lines_with(top_text(4), 4, "\t0.01\t", "\t<0.05\t"),
                             [":4:", "column 'qval'"]),
    "top-cut-mid-line": (TOP, top_text(4)[:-30], [":5:", "wrong number of fields"]),
    "top-empty-file": (TOP, b"", ["empty"]),
    "top-missing-column": (TOP, top_text(3).replace("\tlog2_aFC", ""), ["log2_aFC"]),
    "indep-rank-fraction": (INDEP, "\t".join(c for c in TOP_COLS if c not in ("qval",
                            "pval_nominal_threshold", "log2_aFC")) + "\trank\tlog2_aFC\n"
                            + "BLA\tG1\t2500\tchr1:5\tchr1\t5\tA\tG\t0.3\t-10\t1e-5\t0.4\t0.08\t"
                              "0.001\t1.5\t0.2\n", [":2:", "column 'rank'"]),
    "expr-truncated-gzip": (EXPR, gz(bed_text(400))[:-200], ["truncated"]),
    "expr-non-numeric-sample": (EXPR, gz(lines_with(bed_text(4), 3, "\t-0.25\t", "\tx\t")),
                                [":3:", "column 'R2'", "'x'"]),
    "expr-header-no-hash": (EXPR, gz(bed_text(3).replace("#chr", "chr", 1)), ["#chr"]),
    "phenos-duplicated-sample": (PHENOS, gz(bed_text(3).replace("R3", "R1")),
                                 ["'R1'", "twice"]),
    "phenos-bad-start": (PHENOS, gz(lines_with(bed_text(3), 2, "\t99\t", "\t99.5\t")),
                         [":2:", "column 'start'"]),
    "gene-bad-flag": (GENE, lines_with(gene_text(4), 3, "\tTrue\tTrue\tFalse",
                                       "\tyes\tTrue\tFalse"),
                      [":3:", "column 'expr_BLA'", "'yes'"]),
    "gene-unknown-tissue-flag": (GENE, gene_text(2).replace("eqtl_BLA", "eqtl_Kidney"),
                                 ["eqtl_Kidney"]),
    "gene-no-geneId": (GENE, gene_text(2).replace("geneId", "gene", 1), ["geneId"]),
    "tissue-info-bad-count": (TISSUE_INFO, lines_with(ti_text(), 3, "\t24\t24\t", "\t24\t2x4\t"),
                              [":3:", "column 'rnaSeqAndGenotypeSampleCount'"]),
    "tissue-info-bad-bool": (TISSUE_INFO, lines_with(ti_text(), 2, "\tTrue\n", "\tyes\n"),
                             [":2:", "column 'hasEGenes'"]),
    "covar-non-numeric": (COVAR, lines_with(COVAR_TEXT, 3, "\t0.4\t", "\t0,4\t"),
                          [":3:", "column 'R2'"]),
    "covar-no-ID": (COVAR, COVAR_TEXT.replace("ID", "covariate", 1), ["'ID'"]),
    "covar-duplicated-rat": (COVAR, COVAR_TEXT.replace("R3", "R2", 1), ["'R2'", "twice"]),
    "trans-bad-variant": (TRANS, gz(lines_with(TRANS_TEXT, 3, "chr2:200", "chr2-200")),
                          [":3:", "column 'variant_id'"]),
    "trans-non-numeric": (TRANS, gz(lines_with(TRANS_TEXT, 4, "9.9e-06", "<1e-5")),
                          [":4:", "column 'pval'"]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_and_changes_nothing(case, good, tmp_path, tiny_v4):
    rel, data, parts = BAD_FILES[case]
    db = good(rel)
    bad = write(tmp_path, Path(rel).name, data)
    ingest_bad(db, bad, *parts)
    still_ingests(db, tiny_v4, rel)


# --- zips ----------------------------------------------------------------------------------

PV_HEAD = "variant_id\tpval_nominal\n"


def make_zip(members: dict[str, str | bytes]) -> bytes:
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


def patch_zip(data: bytes, *, flag: int = 0, method: int | None = None) -> bytes:
    """Set general-purpose flag bits / the compression method of every entry, in both the
    local headers and the central directory (a password-protected or Deflate64 archive, as
    other zip tools write them)."""
    raw = bytearray(data)
    for sig, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
        i = raw.find(sig)
        while i >= 0:
            f = struct.unpack_from("<H", raw, i + flag_at)[0] | flag
            struct.pack_into("<H", raw, i + flag_at, f)
            if method is not None:
                struct.pack_into("<H", raw, i + method_at, method)
            i = raw.find(sig, i + 4)
    return bytes(raw)


def test_zip_that_is_not_a_zip(good, tmp_path, tiny_v4):
    db = good(CIS_PVALS)
    bad = write(tmp_path, "BLA.v4.zip", gz(PV_HEAD + "chr1:1\t0.5\n"))
    ingest_bad(db, bad, "zip")
    still_ingests(db, tiny_v4, CIS_PVALS)


def test_zip_with_an_extra_member_that_is_no_gene_file(good, tmp_path):
    db = good(CIS_PVALS)
    bad = write(tmp_path, "BLA.v4.zip", make_zip({"BLA.v4/G1.txt": PV_HEAD + "chr1:1\t0.5\n",
                                                  "README.md": "hello\n"}))
    ingest_bad(db, bad, "README.md")


def test_zip_member_with_a_bad_value_names_member_line_column(good, tmp_path):
    db = good(ESNPS)
    head = "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId\n"
    bad = write(tmp_path, "all_gene_esnps.v4.zip", make_zip({
        "all_gene_esnps.v4/G1.txt": head + "chr1:5\t1e-6\t0.5\tchr1\t5\tBLA\n",
        "all_gene_esnps.v4/G2.txt": head + "chr1:7\t1e-6\t0.5\tchr1\t7\tBLA\n"
                                    "chr1:8\t1e-6\t0.5\tchr1\tabc\tBLA\n"}))
    ingest_bad(db, bad, "all_gene_esnps.v4/G2.txt:3:", "column 'pos'")


def test_zip_member_missing_a_column(good, tmp_path):
    db = good(CIS_PVALS)
    bad = write(tmp_path, "BLA.v4.zip", make_zip({"BLA.v4/G1.txt": "variant_id\n" "chr1:1\n"}))
    ingest_bad(db, bad, "BLA.v4/G1.txt", "pval_nominal")


def test_zip_without_members_is_not_an_empty_success(good, tmp_path):
    """An archive with no member at all (a cut-off download re-zipped, a wrong export) is as
    empty as a 0-byte text file, which ingest refuses; it must not empty the partition."""
    db = good(CIS_PVALS)
    bad = write(tmp_path, "BLA.v4.zip", make_zip({}))
    ingest_bad(db, bad, "BLA.v4.zip")


def test_zip_member_of_another_tissue_is_refused(good, tmp_path):
    """cis_pvals/BLA.v4.zip holds BLA.v4/{gene}.txt (release-format 3.18, 7.20): a member of
    IL's archive inside it is not silently stored as BLA rows."""
    db = good(CIS_PVALS)
    bad = write(tmp_path, "BLA.v4.zip", make_zip({"BLA.v4/G1.txt": PV_HEAD + "chr1:1\t0.5\n",
                                                  "IL.v4/G2.txt": PV_HEAD + "chr1:2\t0.5\n"}))
    ingest_bad(db, bad, "IL.v4/G2.txt")


@pytest.mark.parametrize("how", ["encrypted", "deflate64"])
def test_zip_a_reader_cannot_open_is_a_clear_error(how, good, tmp_path, tiny_v4):
    """A password-protected or Deflate64 archive (Windows' own zip tool writes Deflate64 for
    big files) is a user mistake: a one-line error, no traceback, and the good file given in
    the same run still ingests."""
    db = good(CIS_PVALS)
    data = make_zip({"BLA.v4/G1.txt": PV_HEAD + "chr1:1\t0.5\n" * 50})
    data = patch_zip(data, flag=1) if how == "encrypted" else patch_zip(data, method=9)
    bad = write(tmp_path, "BLA.v4.zip", data)
    ok = write(tmp_path, "top_assoc.v4_rn8.tsv", top_text(3))  # converted first
    before = state(db)
    res = cli(db, "ingest", "--quiet", str(ok), str(bad))
    out = flat(res)
    assert "Traceback" not in res.stderr, res.stderr[-3000:]
    assert res.returncode == 1 and "BLA.v4.zip" in out, out[-2000:]
    changed = {"top_assoc", "egenes"}  # the good file's table, and the view over it
    assert {k: v for k, v in state(db).items() if k not in changed} == \
        {k: v for k, v in before.items() if k not in changed}
    assert manifest(db)[str(ok.resolve())][0] == "ingested"
    assert q(db, "SELECT count(*) FROM top_assoc")[0][0] == 3


def test_zip_member_with_a_bom_reads_like_a_text_file_with_one(tmp_path):
    """Text files may start with a UTF-8 byte-order mark (read_header drops it); a zip member
    that does (saved by the same editor) reads the same, or the error says so."""
    from ratgtex_db.ingest import ingest

    path = write(tmp_path, "BLA.v4.zip", make_zip({
        "BLA.v4/G1.txt": "\ufeff" + PV_HEAD + "chr1:1\t0.5\nchr1:2\t0.25\n"}))
    report = ingest([path], tmp_path / "db")
    if report.failed:
        (failed,) = report.failed
        assert "byte-order mark" in failed.message or "BOM" in failed.message, failed.message
    else:
        assert q(tmp_path / "db", "SELECT gene_id, variant_id, pval_nominal FROM cis_pvals "
                 "ORDER BY 2") == [("G1", "chr1:1", 0.5), ("G1", "chr1:2", 0.25)]


# --- truncation that a plain gzip reader cannot see ------------------------------------------

def test_bgzf_bed_cut_at_a_block_boundary_is_refused(good, tmp_path):
    """BEDs are BGZF (release-format 1.2, 3.6): blocks are whole gzip members, so a download
    cut between two blocks is still valid gzip; only the missing end-of-file block shows it.
    Here the cut falls inside the last value ('1.5' read as '1.'), so reading on would store
    a wrong number."""
    db = good(PHENOS)
    text = bed_text(4).encode()
    cut = text.rfind(b"1.5\n") + 2
    data = bgzf_block(text[:cut])  # second block and the EOF block lost
    assert gzip.decompress(data) == text[:cut]
    bad = write(tmp_path, Path(PHENOS).name, data)
    ingest_bad(db, bad, "truncated")


# --- the VCF -------------------------------------------------------------------------------

VCF_BAD = {
    "bad-gt": (VCF_HEAD + vcf_rec(100) + vcf_rec(200, "0/0\t0/2\t1/1") + vcf_rec(300),
               [":6:", "'R2'", "0/2"]),
    "letters-gt": (VCF_HEAD + vcf_rec(100) + vcf_rec(200) + vcf_rec(300, "A/G\t0/1\t1/1"),
                   [":7:", "'R1'", "A/G"]),
    "too-few-samples": (VCF_HEAD + vcf_rec(100, "0/0\t0/1"), [":5:", "3 sample column"]),
    "too-many-samples": (VCF_HEAD + vcf_rec(100) + vcf_rec(200, "0/0\t0/1\t1/1\t0/0"),
                         [":6:", "3 sample column"]),
    "bad-pos": (VCF_HEAD + vcf_rec(100).replace("\t100\t", "\t1e2\t", 1), [":5:", "POS"]),
    "no-chrom-line": (VCF_HEAD.replace("#CHROM", "CHROM"), ["#CHROM"]),
}


@pytest.mark.parametrize("case", sorted(VCF_BAD))
def test_bad_vcf_is_refused(case, good, tmp_path):
    db = good(VCF)
    text, parts = VCF_BAD[case]
    bad = write(tmp_path, Path(VCF).name, bgzf_block(text.encode()) + BGZF_EOF)
    ingest_bad(db, bad, *parts)


def test_vcf_truncated_plain_gzip_and_bgzf(good, tmp_path):
    db = good(VCF)
    body = VCF_HEAD + "".join(vcf_rec(100 + i) for i in range(3000))
    bad = write(tmp_path, Path(VCF).name, gz(body)[:-5000])
    ingest_bad(db, bad, "truncated")
    bad = write(tmp_path, Path(VCF).name, bgzf(body.encode())[:-len(BGZF_EOF)], folder="bad2")
    ingest_bad(db, bad, "truncated")


def test_vcf_id_that_disagrees_with_chrom_pos(tmp_path):
    """variant_id and (chrom, pos) must agree (architecture 3: chrom and pos are parsed from
    variant_id); a record whose ID names another position is refused with its line, or the
    stored columns agree with the stored id."""
    text = VCF_HEAD + vcf_rec(100) + vcf_rec(200, vid="chr1:999")
    bad = write(tmp_path, Path(VCF).name, bgzf_block(text.encode()) + BGZF_EOF)
    db = tmp_path / "db"
    res = cli(db, "ingest", "--quiet", str(bad))
    if res.returncode == 0:
        rows = q(db, "SELECT variant_id, chrom, pos FROM variants ORDER BY pos")
        assert all(v == f"{c}:{p}" for v, c, p in rows), rows
    else:
        assert ":6:" in flat(res) and "Traceback" not in res.stderr, flat(res)


# --- line numbers, encodings, number text --------------------------------------------------

def test_line_number_counts_blank_lines(tmp_path):
    """The message names the file line: a blank line before the bad one still counts."""
    text = SIGNIF_HEADER + "".join(signif_rows(1)) + "\n" + "".join(signif_rows(3, start=5000))
    text = lines_with(text, 5, "chr1:5001", "chr1:+5001")
    bad = write(tmp_path, Path(SIGNIF).name, gz(text))
    res = cli(tmp_path / "db", "ingest", "--quiet", str(bad))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert f"{bad.name}:5: column 'variant_id'" in flat(res), flat(res)[-1500:]


@pytest.mark.parametrize("case", ["latin1-description", "underscore-number"])
def test_values_the_fast_reader_refuses_name_line_and_column(case, good, tmp_path):
    """When the fast parser refuses a value, the line-by-line check must find it: a
    description saved as Latin-1 (Excel), or '1_000' (a number Python's float() reads but
    the release's writers never write). Not a bare 'cannot parse: In CSV column #6' without
    line, column name or what to do."""
    if case == "latin1-description":
        db = good(GENE)
        text = gene_text(4).encode().replace(b"\tsome gene\t", b"\tcaf\xe9 gene\t")
        rows = text.split(b"\n")
        text = b"\n".join([rows[0], rows[1].replace(b"caf\xe9", b"cafe"), *rows[2:]])
        bad = write(tmp_path, GENE, text)
        message = ingest_bad(db, bad, ":3:", "column 'description'")
        assert "UTF-8" in message
    else:
        db = good(TOP)
        bad = write(tmp_path, Path(TOP).name, lines_with(top_text(4), 4, "\t0.4\t", "\t1_000\t"))
        ingest_bad(db, bad, ":4:", "column 'slope'", "'1_000'")


def test_number_with_a_space_names_line_and_column(good, tmp_path):
    """' 0.5' (a padded number) is either read as 0.5 or refused naming line and column;
    never a bare parser message without them."""
    db = good(TOP)
    text = lines_with(top_text(4), 4, "\t0.4\t", "\t 0.4\t")
    bad = write(tmp_path, Path(TOP).name, text)
    before = state(db)
    res = cli(db, "ingest", "--quiet", str(bad))
    assert "Traceback" not in res.stderr
    if res.returncode == 1:
        assert_refused(db, before, bad, res, ":4:", "column 'slope'")
    else:
        assert q(db, "SELECT slope FROM top_assoc WHERE gene_id = 'G2'") == [(0.4,)]


def test_rat_ids_with_a_bom_store_the_rat_id(tmp_path):
    """A byte-order mark is not part of the first rat id (read_header drops it for files
    with a header; the headerless rat_ids and fastq_map files too)."""
    from ratgtex_db.ingest import ingest

    write(tmp_path, "rat_ids.BLA.v4.txt", "\ufeff00077E67B5\n933000320045751\n", "r")
    write(tmp_path, "fastq_map.BLA.v4.txt", "\ufeffa_1.fq.gz\ta_2.fq.gz\t00077E67B5\n", "r")
    report = ingest([tmp_path / "r"], tmp_path / "db")
    assert not report.failed, [r.message for r in report.failed]
    assert {r for (r,) in q(tmp_path / "db", "SELECT rat_id FROM rat_ids")} == \
        {"00077E67B5", "933000320045751"}
    assert q(tmp_path / "db", "SELECT fastq_1 FROM fastq_map") == [("a_1.fq.gz",)]


def test_empty_column_name_is_refused(good, tmp_path):
    """A header with an empty column name (a trailing tab) has no rat id there: refused, not
    stored as rat ''."""
    db = good(COVAR)
    text = COVAR_TEXT.replace("\n", "\t\n")
    bad = write(tmp_path, Path(COVAR).name, text)
    ingest_bad(db, bad, ":1:")


# --- messages say what to do --------------------------------------------------------------

WHAT_TO_DO = ("re-download", "fix", "remove", "rename", "move", "check", "save", "give",
              "ingest again", "use ")


@pytest.mark.parametrize("case", ["signif-renamed-column", "signif-missing-column",
                                  "signif-duplicated-column", "gene-unknown-tissue-flag",
                                  "covar-no-ID"])
def test_header_errors_say_what_to_do(case, tmp_path):
    from ratgtex_db.ingest import ingest

    rel, data, _ = BAD_FILES[case]
    write(tmp_path, Path(rel).name, data)
    (failed,) = ingest([tmp_path / "bad"], tmp_path / "db").failed
    assert any(w in failed.message for w in WHAT_TO_DO), failed.message


def test_zip_errors_say_what_to_do(tmp_path):
    from ratgtex_db.ingest import ingest

    write(tmp_path, "BLA.v4.zip", b"PK\x03\x04 not really a zip")
    write(tmp_path, "NAcc.v4.zip", make_zip({"NAcc.v4/G1.txt": PV_HEAD, "notes.txt": "x"}))
    failed = ingest([tmp_path / "bad"], tmp_path / "db").failed
    assert len(failed) == 2
    for f in failed:
        assert any(w in f.message for w in WHAT_TO_DO), f.message


# --- mixed runs, the manifest, file names ----------------------------------------------------

def test_mixed_run_ingests_the_good_and_names_each_bad(good, tmp_path, tiny_v4):
    db = good(SIGNIF, TOP, EXPR)
    before = state(db)
    x = tmp_path / "mix"
    bads = {
        write(tmp_path, "xqtl/cis_qtl_signif.BLA.expression.v4_rn8.txt.gz",
              gz(signif_text(3000))[:-3000], "mix"): "truncated",
        write(tmp_path, "expr/expr.log2.BLA.v4_rn8.bed.gz",
              gz(lines_with(bed_text(4), 3, "\t-0.25\t", "\tx\t")), "mix"): ":3:",
        write(tmp_path, "top_assoc.v4_rn8.tsv", b"", "mix"): "empty",
    }
    shutil.copy(tiny_v4 / TRANS, x / Path(TRANS).name)
    write(tmp_path, "notes/cis_qtl_signif.BLA.expresion.v4_rn8.txt.gz", gz(signif_text(2)), "mix")
    res = cli(db, "ingest", "--quiet", str(x))
    out = flat(res)
    assert res.returncode == 1 and "Traceback" not in res.stderr, out[-2000:]
    for path, part in bads.items():
        assert path.name in out and part in out, (path.name, part)
        assert manifest(db)[str(path.resolve())][0] == "failed"
    assert "cis_qtl_signif.BLA.expresion.v4_rn8.txt.gz" in out  # matches no kind: reported
    after = state(db)
    assert after["trans_qtl_pairs"][0] > 0 and before.get("trans_qtl_pairs", (0,))[0] == 0
    assert {k: v for k, v in after.items() if k != "trans_qtl_pairs"} == \
        {k: v for k, v in before.items() if k != "trans_qtl_pairs"}


def test_only_misnamed_files_is_an_error(tmp_path):
    write(tmp_path, "cis_qtl_signif.BLA.expresion.v4_rn8.txt.gz", gz(signif_text(2)))
    write(tmp_path, "top_assoc.v4.tsv", top_text(2))
    res = cli(tmp_path / "db", "ingest", "--quiet", str(tmp_path / "bad"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "no RatGTEx release file found" in flat(res)
    assert not (tmp_path / "db" / "catalog.duckdb").exists()


def test_failed_reingest_keeps_what_was_ingested(tmp_path, tiny_v4):
    """A file that ingested once and then fails (a broken re-download at the same path)
    leaves the catalog as it was: its rows, and the commands that listed its version."""
    src = tmp_path / "r" / "top_assoc.v4_rn8.tsv"
    src.parent.mkdir()
    src.write_text(top_text(4))
    db = tmp_path / "db"
    assert cli(db, "ingest", "--quiet", str(src)).returncode == 0
    versions = cli(db, "versions", "--format", "tsv")
    rows = cli(db, "sql", "--format", "csv", "SELECT * FROM top_assoc ORDER BY ALL").stdout
    assert versions.returncode == 0 and "v4" in versions.stdout
    src.write_text(lines_with(top_text(4), 3, "\t0.4\t", "\tx\t"))
    res = cli(db, "ingest", "--quiet", str(src))
    assert res.returncode == 1 and ":3:" in flat(res)
    assert cli(db, "sql", "--format", "csv", "SELECT * FROM top_assoc ORDER BY ALL").stdout \
        == rows
    again = cli(db, "versions", "--format", "tsv")
    assert again.returncode == 0 and again.stdout == versions.stdout, flat(again)


# --- valid-but-odd files (release-format 7): exact values ----------------------------------

def test_quirks_of_pair_and_aggregated_tables(tmp_path):
    from ratgtex_db.ingest import ingest

    r = tmp_path / "rel"
    # signif: columns in another order (bind by name), %g text, NA, 12.0 for an INTEGER,
    # CRLF line ends, trailing blank lines
    cols = ["variant_id", "phenotype_id", *SIGNIF_COLS[2:]]
    signif = ("\t".join(cols) + "\r\n"
              + "chr10:100826333\tCd300lf__chr10_100862967_100866541_clu_7827_-\tNA\t0.5\t"
                "10\t12.0\t1.23457e-08\t-4.029971e-4\t1e+06\t1e-300\r\n"
              + "chr1:793394\tCd300lf__chr10_1_2_clu_7_-\t-50\t0.125\t3\t4\t0\t3e3\t0.1\t"
                "1e-05\r\n\r\n\r\n")
    write(tmp_path, "cis_qtl_signif.BLA.splicing.v4_rn8.txt.gz", gz(signif), "rel")
    # header-only signif: an empty partition (7.23)
    write(tmp_path, "cis_qtl_signif.NAcc.splicing.v4_rn8.txt.gz", gz(SIGNIF_HEADER), "rel")
    # top_assoc: NA/NaN/Inf aFC -> NULL, tss_distance NA
    top = ("\t".join(TOP_COLS) + "\n"
           + top_row("Eno1", 5, log2_aFC="NA", tss_distance="NA")
           + top_row("Polr3k", 6, log2_aFC="Inf", af="0.3")
           + top_row("LOC120093067", 7, log2_aFC="-4.029971e-4", pval_nominal="1e-320"))
    write(tmp_path, "top_assoc.v4_rn8.tsv", top, "rel")
    write(tmp_path, "tissue_info.v4.tsv", ti_text(), "rel")
    report = ingest([r], tmp_path / "db")
    assert not report.failed, [x.message for x in report.failed]
    db = tmp_path / "db"
    assert q(db, "SELECT phenotype_id, gene_id, af, ma_samples, pval_nominal FROM "
             "cis_qtl_signif WHERE tissue = 'BLA' ORDER BY pos") == [
        ("Cd300lf__chr10_1_2_clu_7_-", "Cd300lf", 0.125, 3, 0.0),
        ("Cd300lf__chr10_100862967_100866541_clu_7827_-", "Cd300lf", 0.5, 10, 1.23457e-08)]
    got = q(db, "SELECT variant_id, tss_distance, ma_count, slope, slope_se, "
            "pval_nominal_threshold FROM cis_qtl_signif WHERE tissue = 'BLA' ORDER BY pos")
    assert got == [("chr1:793394", -50, 4, 3000.0, 0.1, 1e-05),
                   ("chr10:100826333", None, 12, -4.029971e-4, 1e6, 1e-300)]
    assert q(db, "SELECT count(*) FROM cis_qtl_signif WHERE tissue = 'NAcc'") == [(0,)]
    assert q(db, "SELECT gene_id, tss_distance, log2_aFC, pval_nominal FROM top_assoc "
             "ORDER BY pos") == [("Eno1", None, None, 1e-5), ("Polr3k", -1200, None, 1e-5),
                                 ("LOC120093067", -1200, -4.029971e-4, 1e-320)]
    assert q(db, "SELECT tissue, color_hex, color_rgb, e_gene_count, has_e_genes, "
             "rna_seq_sample_count FROM tissues ORDER BY tissue") == [
        ("BLA", "377eb8", "55,126,184", 40, True, 20),
        ("NAcc", "1e5000", "30,80,0", None, True, 24)]


def test_quirks_of_matrices(tmp_path):
    from ratgtex_db.ingest import ingest

    rats = ["00077E67B5", "933000320045751", "56269_4"]
    head = "#chr\tstart\tend\tphenotype_id\t" + "\t".join(rats) + "\n"
    # unnorm ratio BED: empty cells (NaN holes), lexicographic chromosomes, shared positions
    bed = (head + "chr1\t99\t100\tGa__grp_1_upstream_NM_001.1\t0.25\t\t1\n"
           + "chr1\t99\t100\tGa__grp_2_upstream_XM_002.1\t0.75\t1e-06\t0\n"
           + "chr10\t4\t5\tGb__grp_1_upstream_NM_3.1\t\t0.5\t0.5\n"
           + "chrX\t9\t10\tGc__grp_1_upstream_NM_4.1\t0.1\t0.2\t0.3\n")
    write(tmp_path, "phenos.BLA.alt_TSS.unnorm.v4_rn8.bed.gz",
          bgzf_block(bed.encode()) + BGZF_EOF, "rel")
    covar = ("ID\t" + "\t".join(rats) + "\n" + "geno_PC1\t1e-06\t-0.5\t3\n"
             + "pheno_PC1\t-1.234567\t0\t2.5e-05\n")
    write(tmp_path, "covar.BLA.alt_TSS.v4.tsv", covar, "rel")
    # gene table: flag blocks in any order, empty description, chrM gene
    gene = ("geneId\tchromosome\tstart\tend\tstrand\ttss\tdescription\thasEqtl\t"
            "eqtl_BLA\texpr_NAcc\texpr_BLA\ttestedEqtl_NAcc\ttestedEqtl_BLA\teqtl_NAcc\n"
            "Ga\tchr1\t100\t900\t+\t100\t\tTrue\tTrue\tFalse\tTrue\tFalse\tTrue\tFalse\n"
            "Mt-co1\tchrM\t5000\t6000\t-\t6000\tcytochrome c oxidase I\tFalse\tFalse\tTrue\t"
            "False\tFalse\tFalse\tFalse\n")
    write(tmp_path, "gene.v4.tsv", gene, "rel")
    write(tmp_path, "fastq_map.BLA.v4.txt",
          "BLA/x_1.fq.gz\tBLA/x_2.fq.gz\t00077E67B5\nBLA/y.fq.gz\t933000320045751\n", "rel")
    report = ingest([tmp_path / "rel"], tmp_path / "db")
    assert not report.failed, [x.message for x in report.failed]
    db = tmp_path / "db"
    assert q(db, "SELECT phenotype_id, gene_id, chrom, rat_id, value FROM phenotypes "
             "WHERE gene_id IN ('Ga', 'Gb') ORDER BY phenotype_id, rat_id") == [
        ("Ga__grp_1_upstream_NM_001.1", "Ga", "chr1", "00077E67B5", 0.25),
        ("Ga__grp_1_upstream_NM_001.1", "Ga", "chr1", "56269_4", 1.0),
        ("Ga__grp_1_upstream_NM_001.1", "Ga", "chr1", "933000320045751", None),
        ("Ga__grp_2_upstream_XM_002.1", "Ga", "chr1", "00077E67B5", 0.75),
        ("Ga__grp_2_upstream_XM_002.1", "Ga", "chr1", "56269_4", 0.0),
        ("Ga__grp_2_upstream_XM_002.1", "Ga", "chr1", "933000320045751", 1e-06),
        ("Gb__grp_1_upstream_NM_3.1", "Gb", "chr10", "00077E67B5", None),
        ("Gb__grp_1_upstream_NM_3.1", "Gb", "chr10", "56269_4", 0.5),
        ("Gb__grp_1_upstream_NM_3.1", "Gb", "chr10", "933000320045751", 0.5)]
    assert q(db, "SELECT DISTINCT normalized, modality FROM phenotypes") == [(False, "alt_TSS")]
    assert q(db, "SELECT covariate, rat_id, value FROM covariates ORDER BY 1, 2") == [
        ("geno_PC1", "00077E67B5", 1e-06), ("geno_PC1", "56269_4", 3.0),
        ("geno_PC1", "933000320045751", -0.5), ("pheno_PC1", "00077E67B5", -1.234567),
        ("pheno_PC1", "56269_4", 2.5e-05), ("pheno_PC1", "933000320045751", 0.0)]
    assert q(db, "SELECT gene_id, chrom, tss, description, has_eqtl FROM genes ORDER BY 1") \
        == [("Ga", "chr1", 100, None, True),
            ("Mt-co1", "chrM", 6000, "cytochrome c oxidase I", False)]
    assert q(db, "SELECT gene_id, tissue, expressed, tested_eqtl, eqtl FROM "
             "gene_tissue_status ORDER BY 1, 2") == [
        ("Ga", "BLA", True, True, True), ("Ga", "NAcc", False, False, False),
        ("Mt-co1", "BLA", False, False, False), ("Mt-co1", "NAcc", True, False, False)]
    assert q(db, "SELECT fastq_1, fastq_2, rat_id, paired FROM fastq_map ORDER BY rat_id") == [
        ("BLA/x_1.fq.gz", "BLA/x_2.fq.gz", "00077E67B5", True),
        ("BLA/y.fq.gz", None, "933000320045751", False)]


def test_quirks_of_zips_and_vcf(tmp_path):
    import io

    from ratgtex_db.ingest import ingest

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pVTA.v4/", "")  # a directory entry (7.20 says none; tolerate one)
        zf.writestr("pVTA.v4/Cd300lf.txt", PV_HEAD + "chr10:100826333\t1.23457e-08\n"
                    "chr10:100826400\tNA\n")
        zf.writestr("pVTA.v4/LOC120093067.txt", PV_HEAD)
    write(tmp_path, "pVTA.v4.zip", buf.getvalue(), "rel")
    head = "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId\n"
    write(tmp_path, "all_gene_esnps.v4.zip", make_zip({
        "all_gene_esnps.v4/Eno1.txt": head + "chr1:793394\t1e-10\t-0.5\tchr1\t793394\tBLA\n"
                                      "chr1:793394\t2e-08\t0.25\tchr1\t793394\tpVTA\n"}), "rel")
    vcf = (VCF_HEAD.replace("\n", "\r\n")
           + "chr1\t100\tchr1:100\tA\tG\t.\t.\t.\tGT\t0|1\t./.\t1/1\r\n"
           + "chr1\t150\tchr1:150\tA\tC,T\t.\t.\t.\tGT\t0/1\t1/2\t0/0\r\n"  # multi-allelic: skipped
           + "chr2\t200\t.\tC\tT\t.\t.\tAC=1\tGT:DS\t1/0:1\t.|.:.\t0/0:0\r\n")
    write(tmp_path, "ratgtex_v4_round11_2.rn8.vcf.gz", bgzf_block(vcf.encode()) + BGZF_EOF,
          "rel")
    report = ingest([tmp_path / "rel"], tmp_path / "db")
    assert not report.failed, [x.message for x in report.failed]
    db = tmp_path / "db"
    assert q(db, "SELECT tissue, gene_id, variant_id, chrom, pos, pval_nominal FROM cis_pvals "
             "ORDER BY pos") == [("pVTA", "Cd300lf", "chr10:100826333", "chr10", 100826333,
                                  1.23457e-08),
                                 ("pVTA", "Cd300lf", "chr10:100826400", "chr10", 100826400,
                                  None)]
    assert q(db, "SELECT gene_id, tissue, variant_id, pos, pval_nominal, slope FROM gene_esnps "
             "ORDER BY tissue") == [("Eno1", "BLA", "chr1:793394", 793394, 1e-10, -0.5),
                                    ("Eno1", "pVTA", "chr1:793394", 793394, 2e-08, 0.25)]
    assert q(db, "SELECT variant_id, chrom, pos, ref, alt FROM variants ORDER BY chrom, pos") \
        == [("chr1:100", "chr1", 100, "A", "G"), ("chr2:200", "chr2", 200, "C", "T")]
    assert q(db, "SELECT variant_id, rat_id, dosage FROM genotypes ORDER BY 1, 2") == [
        ("chr1:100", "R1", 1), ("chr1:100", "R2", None), ("chr1:100", "R3", 2),
        ("chr2:200", "R1", 1), ("chr2:200", "R2", None), ("chr2:200", "R3", 0)]


# --- query options naming absent or malformed things ---------------------------------------

QGENE = "A1c612"  # a gene of the tiny release (seed 1), as in test_cli_errors


@pytest.mark.parametrize("args,parts", [
    (["xqtls", "--modality", "splice"], ["unknown modality 'splice'"]),
    (["sharing", "--modality", "splice"], ["unknown modality 'splice'"]),
    (["top-expressed", "Kidney"], ["unknown tissue 'Kidney'"]),
    (["specific", "Kidney"], ["unknown tissue 'Kidney'"]),
    (["expression", QGENE, "--tissue", "Kidney"], ["unknown tissue 'Kidney'"]),
    (["tissues", "--version", "v9"], ["'v9'", "--version"]),
    (["eqtls", "--region", "chr1:5-1"], ["bad region 'chr1:5-1'"]),
    (["eqtls", "--region", "chr1:abc"], ["bad region 'chr1:abc'"]),
    (["region", "chr1:100-"], ["bad region 'chr1:100-'"]),
    (["eqtls", "--variant", "chr1"], ["bad variant id 'chr1'"]),
    (["variant", "chr1:0"], ["bad variant id 'chr1:0'"]),
    (["variant", "rs12345"], ["bad variant id 'rs12345'"]),
    (["variant", "chr2:99999999999"], ["chr2:99999999999"]),
    (["trans", "--max-pval", "nan"], ["--max-pval"]),
    (["sql", "INSERT INTO genes SELECT * FROM genes"], ["read-only"]),
    (["sql", "CREATE TABLE t AS SELECT 1"], ["read-only"]),
    (["sql", "SELECT 1; DROP VIEW genes"], ["read-only"]),
    (["sql", "SET threads = 1"], ["read-only"]),
    (["sql", "SELEC 1"], ["SELEC"]),
    (["sql", "SELECT count(* FROM genes"], ["syntax"]),
])
def test_query_mistakes_are_one_line_exit_1(run, args, parts):
    one_error(run(*args), *parts)


@pytest.mark.parametrize("args", [["eqtls", "--variant", "chr2:1"],
                                  ["xqtls", "--variant", "chr2:1"],
                                  ["assoc", "--variant", "chr2:1"],
                                  ["trans", "--variant", "chr2:1"],
                                  ["assoc", "--variant", "chr2:99999999999"]])
def test_absent_variant_filter_is_not_an_empty_success(run, args):
    """chr2:1 is in no table of the tiny release (``variant chr2:1`` says so, exit 1); as a
    filter of eqtls/xqtls/assoc/trans it must say so too, not print an empty table with
    exit 0 (a warning when other named variants are known)."""
    one_error(run(*args), args[-1], "not found")


def test_sql_copy_is_refused_and_writes_nothing(run, tmp_path):
    target = tmp_path / "out.csv"
    one_error(run("sql", f"COPY (SELECT 1) TO '{target}'"), "read-only")
    assert not target.exists()


@pytest.mark.parametrize("args", [["eqtls", "--gene", "-"], ["assoc", "--gene", "-"],
                                  ["gene", "-"], ["expression", "-"],
                                  ["variant", "-"], ["xqtls", "--variant", "-"]])
def test_dash_with_empty_stdin_is_an_error(run, args):
    one_error(run(*args, input=""), "stdin")


def test_output_under_a_file_is_one_line(run, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    one_error(run("tissues", "-o", str(f / "x.tsv")), "cannot write", str(f / "x.tsv"))
    one_error(run("eqtls", "--gene", QGENE, "-o", "/proc/nope/x.tsv"), "cannot write")


# --- required ids left empty ---------------------------------------------------------------

EMPTY_IDS = {
    # release-format 3: these columns are never missing (null: no); an empty one is a broken
    # line, not a row with a NULL key
    "signif-empty-variant_id": (SIGNIF, gz(lines_with(signif_text(4), 3, "chr1:1001", "")),
                                [":3:", "column 'variant_id'"]),
    "signif-empty-phenotype_id": (SIGNIF, gz(lines_with(signif_text(4), 4, "Grin2b", "")),
                                  [":4:", "column 'phenotype_id'"]),
    "top-empty-gene_id": (TOP, lines_with(top_text(4), 2, "\tG0\t", "\t\t"),
                          [":2:", "column 'gene_id'"]),
}


@pytest.mark.parametrize("case", sorted(EMPTY_IDS))
def test_empty_required_id_is_refused(case, good, tmp_path):
    rel, data, parts = EMPTY_IDS[case]
    db = good(rel)
    bad = write(tmp_path, Path(rel).name, data)
    ingest_bad(db, bad, *parts)


def test_bed_without_sample_columns_is_refused(good, tmp_path):
    """Rows but no sample column: nothing to store; not 'a header-only file' emptying the
    partition."""
    db = good(EXPR)
    bad = write(tmp_path, Path(EXPR).name,
                gz("#chr\tstart\tend\tphenotype_id\nchr1\t99\t100\tG1\nchr1\t199\t200\tG2\n"))
    ingest_bad(db, bad, "sample")


@pytest.mark.parametrize("kind", ["top_assoc", "gene_esnps"])
def test_chrom_pos_columns_that_disagree_with_variant_id(kind, tmp_path):
    """top_assoc carries chrom and pos beside variant_id, all_gene_esnps members chromosome
    and pos (release-format 3.13, 3.17): a row where they name another place than the id is
    refused with its line, or the stored chrom/pos are the id's (architecture 3)."""
    if kind == "top_assoc":
        bad = write(tmp_path, "top_assoc.v4_rn8.tsv",
                    lines_with(top_text(3), 3, "\tchr1\t1001\t", "\tchr2\t5\t"))
        view, where = "top_assoc", ":3:"
    else:
        head = "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId\n"
        bad = write(tmp_path, "all_gene_esnps.v4.zip", make_zip({
            "all_gene_esnps.v4/G1.txt": head + "chr1:5\t1e-6\t0.5\tchr1\t5\tBLA\n"
                                        "chr1:7\t1e-6\t0.5\tchr3\t70\tBLA\n"}))
        view, where = "gene_esnps", "G1.txt:3:"
    db = tmp_path / "db"
    res = cli(db, "ingest", "--quiet", str(bad))
    assert "Traceback" not in res.stderr
    if res.returncode == 0:
        rows = q(db, f"SELECT variant_id, chrom, pos FROM {view}")
        assert all(v == f"{c}:{p}" for v, c, p in rows), rows
    else:
        assert where in flat(res), flat(res)


def test_header_only_signif_and_trans_make_empty_partitions(good, tmp_path):
    """release-format 7.23: a header-only signif or trans file is an empty partition, not
    an error."""
    db = good(SIGNIF, TRANS)
    s = write(tmp_path, Path(SIGNIF).name, gz(SIGNIF_HEADER))
    t = write(tmp_path, Path(TRANS).name, gz(TRANS_TEXT.splitlines(keepends=True)[0]))
    res = cli(db, "ingest", "--quiet", str(s), str(t))
    assert res.returncode == 0, flat(res)
    assert q(db, "SELECT count(*) FROM cis_qtl_signif WHERE tissue = 'BLA' AND "
             "modality = 'expression'") == [(0,)]
    assert q(db, "SELECT count(*) FROM trans_qtl_pairs WHERE tissue = 'BLA'") == [(0,)]


def test_bed_with_an_empty_phenotype_id_is_an_error_not_a_crash(good, tmp_path, tiny_v4):
    """An empty phenotype_id in a BED (a hand-edited file) crashed the whole run with a
    pyarrow traceback (ArrowNotImplementedError while writing), losing the run's other
    files; it must be that file's error, naming line and column."""
    db = good(EXPR)
    bad = write(tmp_path, Path(EXPR).name, gz(lines_with(bed_text(3), 3, "G1__p", "")))
    ingest_bad(db, bad, ":3:", "column 'phenotype_id'")
    still_ingests(db, tiny_v4, EXPR)


def test_tissue_in_the_content_must_be_a_release_tissue(good, tmp_path):
    """A file name with an unknown tissue is refused ("unknown tissue 'Kidney'"); the tissue
    column of an aggregated table must be one of the version's tissues too (release-format
    4: tissue <-> tissue_info), not a new tissue 'Kidney' in the views."""
    db = good(TOP)
    bad = write(tmp_path, Path(TOP).name, lines_with(top_text(4), 3, "BLA", "Kidney"))
    ingest_bad(db, bad, ":3:", "column 'tissue'", "Kidney")
