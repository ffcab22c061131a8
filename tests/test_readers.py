"""Text and zip readers on real small files: good oddities ingest, bad input is located."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from ratgtex_db.errors import FormatError, SchemaError
from ratgtex_db.ingest import convert
from ratgtex_db.registry import match

SIGNIF_HEADER = ("phenotype_id\tvariant_id\ttss_distance\taf\tma_samples\tma_count\t"
                 "pval_nominal\tslope\tslope_se\tpval_nominal_threshold\n")
SIGNIF_ROWS = (
    "Grin2b\tchr1:1000\t-50\t0.25\t10\t12\t1.23457e-08\t0.5\t0.1\t1e-05\n"
    "Grin2b\tchr1:1200\t150\t0.3\t11\t13\t2e-06\t-0.4\t0.1\t1e-05\n"
    "Cd300lf__grp_1_upstream_NM_1.1\tchr10:5000\tNA\t0.1\t3\t4\t1e-300\t\t0.05\t1e-4\n"
)
SIGNIF_NAME = "cis_qtl_signif.BLA.expression.v4_rn8.txt.gz"


def _read(path: Path):
    """Convert one file with the ingester and return its first table as pyarrow."""
    import pyarrow.parquet as pq

    m = match(path.name)
    out = convert(str(path), m, str(path.parent / "staging"))
    table = m.kind.tables[0]
    return pq.read_table(out.path_of(table)), out


def _write_gz(path: Path, text: str | bytes) -> Path:
    data = text.encode() if isinstance(text, str) else text
    path.write_bytes(gzip.compress(data, mtime=0))
    return path


def test_signif_values_and_nulls(tmp_path):
    """%g numbers, 1e-300, NA and empty fields read as DOUBLE / NULL; ids split."""
    t, conv = _read(_write_gz(tmp_path / SIGNIF_NAME, SIGNIF_HEADER + SIGNIF_ROWS))
    rows = t.to_pylist()
    assert conv.rows_read == 3 and t.num_rows == 3
    assert rows[0]["pval_nominal"] == 1.23457e-08
    assert rows[0]["chrom"] == "chr1" and rows[0]["pos"] == 1000
    assert rows[2]["pval_nominal"] == 1e-300
    assert rows[2]["tss_distance"] is None and rows[2]["slope"] is None
    assert rows[2]["gene_id"] == "Cd300lf"
    assert rows[2]["pval_nominal_threshold"] == 1e-4
    assert t.schema.field("pos").type == pa.int32()


def test_crlf_trailing_blank_lines_and_multimember_gzip(tmp_path):
    """CRLF endings, blank trailing lines and multi-member (BGZF-like) gzip read the same."""
    text = (SIGNIF_HEADER + SIGNIF_ROWS).replace("\n", "\r\n") + "\r\n\n"
    half = len(text) // 2
    raw = gzip.compress(text[:half].encode(), mtime=0) + gzip.compress(text[half:].encode(),
                                                                      mtime=0)
    path = tmp_path / SIGNIF_NAME
    path.write_bytes(raw)
    t, _ = _read(path)
    assert t.num_rows == 3
    assert t.column("phenotype_id").to_pylist()[0] == "Grin2b"
    assert t.column("pval_nominal_threshold").to_pylist()[1] == 1e-05


def test_header_only_file_gives_zero_rows(tmp_path):
    t, conv = _read(_write_gz(tmp_path / SIGNIF_NAME, SIGNIF_HEADER))
    assert t.num_rows == 0 and conv.rows_read == 0


def test_integers_written_as_floats_are_accepted(tmp_path):
    """pandas writes an int column with a gap as '12.0' (release-format 7.26)."""
    rows = SIGNIF_ROWS.replace("\t10\t12\t", "\t10.0\t12.0\t")
    t, _ = _read(_write_gz(tmp_path / SIGNIF_NAME, SIGNIF_HEADER + rows))
    assert t.column("ma_samples").to_pylist()[0] == 10


def test_non_numeric_value_names_line_and_column(tmp_path):
    rows = SIGNIF_ROWS.replace("2e-06", "n/a")
    with pytest.raises(FormatError, match=r":3: column 'pval_nominal'.*expected a number.*'n/a'"):
        _read(_write_gz(tmp_path / SIGNIF_NAME, SIGNIF_HEADER + rows))


def test_short_row_names_line(tmp_path):
    rows = SIGNIF_ROWS.replace("\t0.05\t1e-4\n", "\n")
    with pytest.raises(FormatError, match=r":4: .*expected 10 tab-separated fields"):
        _read(_write_gz(tmp_path / SIGNIF_NAME, SIGNIF_HEADER + rows))


def test_wrong_header_is_a_schema_error(tmp_path):
    header = SIGNIF_HEADER.replace("slope_se", "slope_err")
    with pytest.raises(SchemaError, match=r":1: header lacks column\(s\) 'slope_se'"):
        _read(_write_gz(tmp_path / SIGNIF_NAME, header + SIGNIF_ROWS))


def test_truncated_gzip_is_reported(tmp_path):
    big = SIGNIF_HEADER + SIGNIF_ROWS * 2000
    data = gzip.compress(big.encode(), mtime=0)
    path = tmp_path / SIGNIF_NAME
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match=r"truncated|broken"):
        _read(path)


def test_not_gzip_is_reported(tmp_path):
    path = tmp_path / SIGNIF_NAME
    path.write_text(SIGNIF_HEADER + SIGNIF_ROWS)
    with pytest.raises(FormatError, match="not a gzip file"):
        _read(path)


def test_empty_file_is_reported(tmp_path):
    path = tmp_path / "top_assoc.v4_rn8.tsv"
    path.write_bytes(b"")
    with pytest.raises(FormatError, match=r":1: empty file"):
        _read(path)


BED = ("#chr\tstart\tend\tphenotype_id\t00077E67B5\t933000320045751\t000789972A\n"
       "chr1\t999\t1000\tGrin2b\t1.5\t\t3e3\n"
       "chr10\t4999\t5000\tCd300lf__chr10_1_2_clu_7_-\t0.1\tnan\t-0.25\n")


def test_bed_becomes_long_with_string_rat_ids(tmp_path):
    """Sample headers stay strings (hex that looks like a float, 15 digits); holes -> NULL."""
    t, conv = _read(_write_gz(tmp_path / "phenos.BLA.splicing.unnorm.v4_rn8.bed.gz", BED))
    assert conv.rows_read == 2 and t.num_rows == 6
    rows = {(r["phenotype_id"], r["rat_id"]): r for r in t.to_pylist()}
    assert {rat for _, rat in rows} == {"00077E67B5", "933000320045751", "000789972A"}
    assert rows["Grin2b", "933000320045751"]["value"] is None
    assert rows["Cd300lf__chr10_1_2_clu_7_-", "933000320045751"]["value"] is None
    assert rows["Grin2b", "000789972A"]["value"] == 3000.0
    cd = rows["Cd300lf__chr10_1_2_clu_7_-", "000789972A"]
    assert cd["gene_id"] == "Cd300lf" and cd["tss"] == 5000 and cd["chrom"] == "chr10"
    assert cd["value"] == -0.25


def test_bed_rows_are_stored_by_gene_with_the_rats_in_column_order(tmp_path):
    """A BED in genome order (gene names in no order, a gene's phenotypes apart, enough rows
    for several reader blocks) is stored sorted by gene, then phenotype; each phenotype's rats
    keep the header's order and every value its cell's."""
    rats = ["00077E67B5", "933000320045751", "000789972A", "0007899884"]
    genes = [f"Gene{(i * 7919) % 1000:03d}" for i in range(60)]
    lines, expected = [], {}
    for i in range(20000):  # ~1.4 MB of text: more than one 1 MB reader block
        gene = genes[i % 60]
        pid = f"{gene}__chr1_{i}_{i + 5}_clu_{i}_+"
        cells = [f"{(i * 31 + k) % 997 / 7:.6g}" if (i + k) % 11 else "NA" for k in range(4)]
        expected[pid] = [None if c == "NA" else float(c) for c in cells]
        lines.append(f"chr1\t{1000 + 10 * i}\t{1001 + 10 * i}\t{pid}\t" + "\t".join(cells))
    bed = "#chr\tstart\tend\tphenotype_id\t" + "\t".join(rats) + "\n" + "\n".join(lines) + "\n"
    t, conv = _read(_write_gz(tmp_path / "phenos.BLA.splicing.unnorm.v4_rn8.bed.gz", bed))
    assert len(bed) > 1 << 20
    assert conv.rows_read == 20000 and t.num_rows == 80000
    got = t.select(["gene_id", "phenotype_id", "rat_id", "value"]).to_pylist()
    keys = [(r["gene_id"], r["phenotype_id"]) for r in got]
    assert keys == sorted(keys)
    for j in range(0, len(got), 4):
        block = got[j:j + 4]
        assert [r["rat_id"] for r in block] == rats
        assert [r["value"] for r in block] == expected[block[0]["phenotype_id"]]
        assert block[0]["gene_id"] == block[0]["phenotype_id"].split("__")[0]


def test_wide_sort_keeps_ties_in_order_and_chunks_by_values(tmp_path):
    """WideSort: rows of several blocks in key order, equal keys in arrival order, chunks of
    at most ``chunk_values`` values (at least one row), the value rows with their ids; the
    values wait in the scratch directory given (the ingest's staging), not in /tmp."""
    import os

    import numpy as np

    from ratgtex_db.shape import WideSort

    wide = WideSort(("gene_id",), 3, chunk_values=7, scratch=str(tmp_path))  # 2 rows a chunk
    blocks = [(["b", "a", "c"], [[1, 2, 3], [4, 5, 6], [7, 8, 9]]),
              (["a", "b"], [[10, 11, 12], [np.nan, 14, 15]])]
    for genes, vals in blocks:
        assert list(wide.add(pa.table({"gene_id": genes}), np.array(vals, float))) == []
    held = f"/proc/self/fd/{wide._file.fileno()}"
    if os.path.exists(held):  # Linux: the unnamed file's directory
        assert os.readlink(held).startswith(str(tmp_path) + "/")
    out = list(wide.sorted())
    assert [ids.num_rows for ids, _ in out] == [2, 2, 1]
    genes = [g for ids, _ in out for g in ids.column("gene_id").to_pylist()]
    rows = np.concatenate([m for _, m in out])
    assert genes == ["a", "a", "b", "b", "c"]
    assert rows[:3].tolist() == [[4, 5, 6], [10, 11, 12], [1, 2, 3]]
    assert np.isnan(rows[3, 0]) and rows[3, 1:].tolist() == [14, 15]
    assert rows[4].tolist() == [7, 8, 9]
    assert list(wide.sorted()) == []  # drained; the scratch file is gone
    plain = WideSort((), 2)
    ids = pa.table({"gene_id": ["z"]})
    assert [b[0] for b in plain.add(ids, np.zeros((1, 2)))] == [ids]


def test_bed_duplicate_sample_column(tmp_path):
    bed = BED.replace("000789972A", "00077E67B5")
    with pytest.raises(SchemaError, match="appears twice"):
        _read(_write_gz(tmp_path / "phenos.BLA.splicing.unnorm.v4_rn8.bed.gz", bed))


def test_zip_members_stream_and_corrupt_member_is_named(tmp_path):
    path = tmp_path / "BLA.v4.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("BLA.v4/Grin2b.txt", "variant_id\tpval_nominal\nchr1:10\t0.5\nchr1:20\t1e-5\n")
        zf.writestr("BLA.v4/Cd300lf.txt", "variant_id\tpval_nominal\nchr2:30\t0.25\n")
    t, _ = _read(path)
    assert t.to_pylist() == [
        {"gene_id": "Grin2b", "variant_id": "chr1:10", "chrom": "chr1", "pos": 10,
         "pval_nominal": 0.5},
        {"gene_id": "Grin2b", "variant_id": "chr1:20", "chrom": "chr1", "pos": 20,
         "pval_nominal": 1e-5},
        {"gene_id": "Cd300lf", "variant_id": "chr2:30", "chrom": "chr2", "pos": 30,
         "pval_nominal": 0.25},
    ]
    data = bytearray(path.read_bytes())
    i = data.find(b"BLA.v4/Cd300lf.txt") + len("BLA.v4/Cd300lf.txt") + 2
    data[i : i + 4] = b"\xff\xff\xff\xff"  # damage the deflate stream of the second member
    path.write_bytes(bytes(data))
    with pytest.raises(FormatError, match=r"BLA.v4.zip!BLA.v4/Cd300lf.txt"):
        _read(path)


def test_zip_member_of_a_gene_id_with_a_slash(tmp_path):
    """A `/` in a gene id makes a path inside the archive (release-format 7.20): the gene is
    the text between the version folder and `.txt`, not a refused member."""
    path = tmp_path / "all_gene_esnps.v4.zip"
    head = "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId\n"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("all_gene_esnps.v4/Eno1.txt", head + "chr5:100\t1e-10\t1\tchr5\t100\tBLA\n")
        zf.writestr("all_gene_esnps.v4/H2-T/a.txt", head + "chr5:200\t2e-10\t-1\tchr5\t200\tIL\n")
    t, _ = _read(path)
    assert [(r["gene_id"], r["variant_id"], r["tissue"]) for r in t.to_pylist()] == [
        ("Eno1", "chr5:100", "BLA"), ("H2-T/a", "chr5:200", "IL")]


def test_fastq_map_mixes_single_and_paired(tmp_path):
    path = tmp_path / "fastq_map.NAcc.v4.txt"
    path.write_text("NAcc1/a_1.fq.gz\tNAcc1/a_2.fq.gz\t00077E67B5\nNAcc2/b.fq.gz\t000789972A\n")
    t, _ = _read(path)
    assert t.to_pylist() == [
        {"fastq_1": "NAcc1/a_1.fq.gz", "fastq_2": "NAcc1/a_2.fq.gz", "rat_id": "00077E67B5",
         "paired": True},
        {"fastq_1": "NAcc2/b.fq.gz", "fastq_2": None, "rat_id": "000789972A", "paired": False},
    ]
    path.write_text("a\tb\tc\td\n")
    with pytest.raises(FormatError, match=r":1: .*2 \(single-end\) or 3"):
        _read(path)
