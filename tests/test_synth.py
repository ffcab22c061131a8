"""The synthetic release follows the format document: names, headers, types, invariants.

Everything here reads the files with gzip / zipfile / pandas / cyvcf2 directly, never with our
ingester, so the generator and the readers cannot agree on a mistake.
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ratgtex_db.registry import KINDS_BY_NAME, MODALITIES, match
from ratgtex_db.synth import MARKER, synthesize


def _read(path: Path, header: bool = True) -> pd.DataFrame:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return pd.read_csv(io.BytesIO(data), sep="\t", dtype=str, keep_default_na=False,
                       header=0 if header else None)


def _num(s: pd.Series, na: tuple[str, ...] = ("NA", "")) -> pd.Series:
    return pd.to_numeric(s.where(~s.isin(na)), errors="raise")


@pytest.fixture(scope="module")
def v4(tiny_v4: Path) -> Path:
    return tiny_v4


#: The v4 release tree of release-format 1.2 (rows 1-24), written here from the document:
#: path pattern under data/v4/ -> the table row. Rows 7 (HTML fragments) and 11's .tbi are
#: optional.
_T = r"[A-Za-z0-9]+"
_M = r"(expression|isoforms|splicing|alt_TSS|alt_polyA|stability)"
DOCUMENTED_PATHS = {
    r"gene\.v4\.tsv": 1, r"exon\.v4\.tsv": 2, r"tissue_info\.v4\.tsv": 3,
    r"autocomplete\.v4\.json": 4, r"ref/RatGTEx_rats\.v4\.tsv": 5,
    r"ref/RatGTEx_samples\.v4\.tsv": 6, r"ref/(rats|samples)\.v4\.html": 7,
    rf"rat_ids/rat_ids\.{_T}\.v4\.txt": 8, rf"fastq_map/fastq_map\.{_T}\.v4\.txt": 9,
    rf"covar/covar\.{_T}\.({_M[1:-1]}|cross_modality)\.v4\.tsv": 10,
    r"geno/ratgtex_v4_round11_2\.rn8\.vcf\.gz(\.tbi)?": 11,
    rf"expr/expr\.log2\.{_T}\.v4_rn8\.bed\.gz": 12,
    rf"expr/expr\.tpm\.{_T}\.v4_rn8\.bed\.gz": 13,
    rf"phenos/phenos\.{_T}\.{_M}\.(unnorm|norm)\.v4_rn8\.bed\.gz": 14,
    r"expr/medianGeneExpression\.v4\.tsv\.gz": 15, r"expr/topExpressedGene\.v4\.tsv": 16,
    r"eqtl/top_assoc\.v4_rn8\.tsv": 17, r"eqtl/eqtls_indep\.v4_rn8\.tsv": 18,
    r"eqtl/all_gene_esnps\.v4\.zip": 19,
    rf"xqtl/top_assoc\.({_M[1:-1]}|cross_modality)\.v4_rn8\.tsv": 20,
    rf"xqtl/xqtls_indep\.({_M[1:-1]}|cross_modality)\.v4_rn8\.tsv": 21,
    rf"xqtl/cis_qtl_signif\.{_T}\.{_M}\.v4_rn8\.txt\.gz": 22,
    rf"xqtl/trans_qtl_pairs\.{_T}\.expression\.v4_rn8\.txt\.gz": 23,
    rf"cis_pvals/{_T}\.v4\.zip": 24,
}


def test_every_file_is_in_the_documents_tree_and_every_row_is_there(v4):
    """Names checked against release-format 1.2's table (not against our registry)."""
    import re

    rows = set()
    for p in v4.rglob("*"):
        if not p.is_file() or p.name == MARKER:
            continue
        rel = str(p.relative_to(v4))
        hits = [row for pattern, row in DOCUMENTED_PATHS.items() if re.fullmatch(pattern, rel)]
        assert hits, f"{rel} is not a file of release-format 1.2"
        assert match(p) is not None, f"{rel} matches no registry kind"
        rows.update(hits)
    assert set(range(1, 25)) - {7} <= rows
    assert (v4 / MARKER).read_text().startswith("SYNTHETIC")


#: Headers of the v4 table files as release-format section 3 lists them (written here from the
#: document, not taken from the registry the readers use): file-name pattern -> columns, and
#: the columns that must parse as numbers / booleans.
_QTL = ["num_var", "variant_id", "chrom", "pos", "ref", "alt", "af", "tss_distance",
        "pval_nominal", "slope", "slope_se", "pval_beta"]
_QTL_NUM = ["num_var", "pos", "af", "tss_distance", "pval_nominal", "slope", "slope_se",
            "pval_beta"]
DOCUMENTED = {
    r"exon\.v4\.tsv": (["chromosome", "end", "exonId", "exonNumber", "featureType", "geneId",
                        "start", "strand", "transcriptId"], ["end", "exonNumber", "start"], []),
    r"tissue_info\.v4\.tsv": (
        ["tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail", "tissueSite",
         "colorHex", "colorRgb", "dataset", "rnaSeqSampleCount", "rnaSeqAndGenotypeSampleCount",
         "expressedGeneCount", "eGeneCount", "datasetId", "hasEGenes"],
        ["rnaSeqSampleCount", "rnaSeqAndGenotypeSampleCount", "expressedGeneCount",
         "eGeneCount"], ["hasEGenes"]),
    r"RatGTEx_rats\.v4\.tsv": (["rat_id", "sex", "coatcolor", "tissues"], [], []),
    r"RatGTEx_samples\.v4\.tsv": (["tissue", "rat_id", "GEO_accession", "BioSample_accession",
                                  "SRA_accession"], [], []),
    r"topExpressedGene\.v4\.tsv": (["tissueSiteDetailId", "geneId", "median", "chromosome",
                                   "mtGene", "datasetId", "unit"], ["median"], ["mtGene"]),
    r"top_assoc\.v4_rn8\.tsv": (["tissue", "gene_id", *_QTL, "qval", "pval_nominal_threshold",
                                "log2_aFC"],
                               [*_QTL_NUM, "qval", "pval_nominal_threshold", "log2_aFC"], []),
    r"eqtls_indep\.v4_rn8\.tsv": (["tissue", "gene_id", *_QTL, "rank", "log2_aFC"],
                                 [*_QTL_NUM, "rank", "log2_aFC"], []),
    r"top_assoc\.cross_modality\.v4_rn8\.tsv": (
        ["tissue", "modality", "phenotype_id", "gene_id", *_QTL, "qval",
         "pval_nominal_threshold"], [*_QTL_NUM, "qval", "pval_nominal_threshold"], []),
    r"xqtls_indep\.cross_modality\.v4_rn8\.tsv": (
        ["tissue", "modality", "phenotype_id", "gene_id", *_QTL, "rank"], [*_QTL_NUM, "rank"],
        []),
    r"top_assoc\.(?!cross)\w+\.v4_rn8\.tsv": (
        ["tissue", "phenotype_id", "gene_id", *_QTL, "qval", "pval_nominal_threshold"],
        [*_QTL_NUM, "qval", "pval_nominal_threshold"], []),
    r"xqtls_indep\.(?!cross)\w+\.v4_rn8\.tsv": (
        ["tissue", "phenotype_id", "gene_id", *_QTL, "rank"], [*_QTL_NUM, "rank"], []),
    r"cis_qtl_signif\..+\.txt\.gz": (
        ["phenotype_id", "variant_id", "tss_distance", "af", "ma_samples", "ma_count",
         "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"],
        ["tss_distance", "af", "ma_samples", "ma_count", "pval_nominal", "slope", "slope_se",
         "pval_nominal_threshold"], []),
    r"trans_qtl_pairs\..+\.txt\.gz": (
        ["variant_id", "phenotype_id", "pval", "slope", "slope_se", "af"],
        ["pval", "slope", "slope_se", "af"], []),
}
#: Matrices: the document's fixed columns, then one column per rat of rat_ids.
DOCUMENTED_MATRICES = {
    r"(expr|phenos)\..+\.bed\.gz": ["#chr", "start", "end", "phenotype_id"],
    r"covar\..+\.tsv": ["ID"],
}


def test_headers_and_column_types_are_the_documents(v4, tiny_release):
    import re

    rat_ids = {p.name.split(".")[1]: (p.read_text().split()) for p in (v4 / "rat_ids").iterdir()}
    checked = set()
    for p in sorted(v4.rglob("*")):
        if not p.is_file():
            continue
        for pattern, (cols, numeric, flags) in DOCUMENTED.items():
            if re.fullmatch(pattern, p.name):
                df = _read(p)
                assert list(df.columns) == cols, p
                for c in numeric:
                    _num(df[c])
                for c in flags:
                    assert set(df[c]) <= {"True", "False"}, (p, c)
                checked.add(pattern)
        for pattern, fixed in DOCUMENTED_MATRICES.items():
            if re.fullmatch(pattern, p.name):
                df = _read(p)
                assert list(df.columns[: len(fixed)]) == fixed, p
                assert list(df.columns[len(fixed):]) == rat_ids[p.name.split(".")[
                    2 if p.name.startswith("expr.") else 1]], p
                _num(df[df.columns[len(fixed):]].stack())
                checked.add(pattern)
    assert checked == set(DOCUMENTED) | set(DOCUMENTED_MATRICES)


def test_number_dialects_present(v4):
    """pandas %g (e-05), readr (e-5, NA) and R write.table text all occur."""
    signif = gzip.decompress(next((v4 / "xqtl").glob("cis_qtl_signif.*.gz")).read_bytes())
    assert b"e-05" in signif or b"e-06" in signif
    top = (v4 / "eqtl" / "top_assoc.v4_rn8.tsv").read_text()
    assert "e-5\t" in top or "e-6\t" in top or "e-7\t" in top
    assert "\tNA" in top
    assert "\t\t" in gzip.decompress(
        next((v4 / "phenos").glob("phenos.*.splicing.unnorm.*")).read_bytes()).decode()


def test_gene_flags_and_tissue_counts_match_the_tables(v4):
    gene = _read(v4 / "gene.v4.tsv").set_index("geneId")
    top = _read(v4 / "eqtl" / "top_assoc.v4_rn8.tsv")
    ind = _read(v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv")
    info = _read(v4 / "tissue_info.v4.tsv").set_index("tissueSiteDetailId")
    signif_genes = set()
    for t in info.index:
        norm = _read(v4 / "phenos" / f"phenos.{t}.expression.norm.v4_rn8.bed.gz")
        assert set(gene.index[gene[f"expr_{t}"] == "True"]) == set(norm["phenotype_id"])
        assert set(gene.index[gene[f"testedEqtl_{t}"] == "True"]) == set(
            top.loc[top.tissue == t, "gene_id"])
        assert set(gene.index[gene[f"eqtl_{t}"] == "True"]) == set(
            ind.loc[ind.tissue == t, "gene_id"])
        assert int(info.loc[t, "expressedGeneCount"]) == len(norm)
        assert int(info.loc[t, "rnaSeqSampleCount"]) == norm.shape[1] - 4
        n_e = int((_num(top.loc[top.tissue == t, "qval"]) < 0.05).sum())
        assert info.loc[t, "eGeneCount"] == (str(n_e) if n_e else "NA")
        s = _read(v4 / "xqtl" / f"cis_qtl_signif.{t}.expression.v4_rn8.txt.gz")
        signif_genes |= set(s["phenotype_id"])
    assert set(gene.index[gene["hasEqtl"] == "True"]) == signif_genes


def test_tss_distance_is_strand_aware_and_pairs_are_below_threshold(v4):
    gene = _read(v4 / "gene.v4.tsv").set_index("geneId")
    top = _read(v4 / "eqtl" / "top_assoc.v4_rn8.tsv")
    for p in (v4 / "xqtl").glob("cis_qtl_signif.*.gz"):
        s = _read(p)
        if s.empty:
            continue
        g = s["phenotype_id"].str.split("__").str[0]
        pos = s["variant_id"].str.split(":").str[1].astype(int)
        tss = gene.loc[g, "tss"].astype(int).to_numpy()
        sign = np.where(gene.loc[g, "strand"].to_numpy() == "+", 1, -1)
        assert (s["tss_distance"].astype(int).to_numpy() == (pos.to_numpy() - tss) * sign).all()
        assert (_num(s["pval_nominal"]) < _num(s["pval_nominal_threshold"])).all(), p
        tissue, modality = p.name.split(".")[1:3]
        if modality == "expression":
            thr = top[top.tissue == tissue].set_index("gene_id")["pval_nominal_threshold"]
            assert np.allclose(_num(thr.loc[g]).to_numpy(),
                               _num(s["pval_nominal_threshold"]).to_numpy(), rtol=1e-5)


def test_median_tpm_and_tpm_copy(v4):
    med = _read(v4 / "expr" / "medianGeneExpression.v4.tsv.gz").set_index("geneId")
    for t in med.columns:
        tpm_path = v4 / "expr" / f"expr.tpm.{t}.v4_rn8.bed.gz"
        unnorm = v4 / "phenos" / f"phenos.{t}.expression.unnorm.v4_rn8.bed.gz"
        assert tpm_path.read_bytes() == unnorm.read_bytes()
        bed = _read(tpm_path).set_index("phenotype_id")
        median = bed.iloc[:, 3:].apply(pd.to_numeric).median(axis=1).round(3)
        assert np.allclose(_num(med.loc[median.index, t]), median, atol=1e-3)


def test_rat_ids_bed_covariates_and_samples_agree(v4):
    samples = _read(v4 / "ref" / "RatGTEx_samples.v4.tsv")
    for p in (v4 / "rat_ids").iterdir():
        t = p.name.split(".")[1]
        ids = p.read_text().split()
        for m in MODALITIES:
            cov = _read(v4 / "covar" / f"covar.{t}.{m}.v4.tsv")
            assert list(cov.columns[1:]) == ids
            assert list(cov["ID"][:5]) == [f"geno_PC{i}" for i in range(1, 6)]
        sub = samples[samples.tissue.str.startswith(t) | (samples.tissue == t)]
        assert set(sub.rat_id) == set(ids)
    # hex ids that a float parser would take for numbers, 15-digit ids, leading zeros
    all_ids = [i for p in (v4 / "rat_ids").iterdir() for i in p.read_text().split()]
    assert any(i[:4].isdigit() and i[4] == "E" and i[5:].isdigit() for i in all_ids)
    assert any(len(i) == 15 and i.isdigit() for i in all_ids)
    assert any(i.startswith("000") for i in all_ids)


def test_fastq_map_mixes_single_and_paired_end(v4):
    lines = (v4 / "fastq_map" / "fastq_map.NAcc.v4.txt").read_text().splitlines()
    widths = {len(ln.split("\t")) for ln in lines}
    assert widths == {2, 3}
    assert all(ln.startswith("NAcc") for ln in lines)


def test_zips_and_vcf_open_with_standard_tools(v4):
    for p in list((v4 / "cis_pvals").glob("*.zip")) + [v4 / "eqtl" / "all_gene_esnps.v4.zip"]:
        with zipfile.ZipFile(p) as zf:
            assert zf.testzip() is None
            names = zf.namelist()
            assert names and all("/" in n and not n.endswith("/") for n in names)
            first = zf.read(names[0]).decode().splitlines()[0]
            assert first in ("variant_id\tpval_nominal",
                             "variantId\tpValue\tnes\tchromosome\tpos\ttissueSiteDetailId")
    from cyvcf2 import VCF

    vcf_path = next((v4 / "geno").glob("*.vcf.gz"))
    vcf = VCF(str(vcf_path))
    n = 0
    for rec in vcf:
        assert rec.CHROM.startswith("chr") and rec.ID == f"{rec.CHROM}:{rec.POS}"
        n += 1
    assert n > 100
    text = gzip.decompress(vcf_path.read_bytes()).decode()
    assert "|" in text and "/" in text and "./." in text


def test_lead_variant_dosage_shifts_expression(v4):
    """For eGenes, the top variant's dosage correlates with normalized expression."""
    from cyvcf2 import VCF

    top = _read(v4 / "eqtl" / "top_assoc.v4_rn8.tsv")
    vcf = VCF(str(next((v4 / "geno").glob("*.vcf.gz"))))
    samples = vcf.samples
    dos = {}
    for rec in vcf:
        gt = rec.genotype.array()[:, :2]
        d = gt.sum(axis=1).astype(float)
        d[(gt < 0).any(axis=1)] = np.nan
        dos[rec.ID] = d
    agree = total = 0
    for t in top.tissue.unique():
        bed = _read(v4 / "phenos" / f"phenos.{t}.expression.norm.v4_rn8.bed.gz").set_index(
            "phenotype_id")
        eg = top[(top.tissue == t) & (_num(top.qval) < 0.05)]
        for _, r in eg.iterrows():
            x = pd.Series(dos[r.variant_id], index=samples)[bed.columns[3:]].to_numpy()
            y = bed.loc[r.gene_id].iloc[3:].astype(float).to_numpy()
            ok = ~np.isnan(x)
            if np.std(x[ok]) == 0:
                continue
            c = np.corrcoef(x[ok], y[ok])[0, 1]
            total += 1
            agree += np.sign(c) == np.sign(float(r.slope))
    assert total > 10 and agree / total > 0.8


def test_header_only_file_exists(v4):
    sizes = [len(_read(p)) for p in (v4 / "xqtl").glob("trans_qtl_pairs.*.gz")]
    assert 0 in sizes and max(sizes) > 0


def test_same_seed_same_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    synthesize(a, scale="tiny", seed=3)
    synthesize(b, scale="tiny", seed=3)
    fa = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert fa == fb
    for rel in fa:
        assert (a / rel).read_bytes() == (b / rel).read_bytes(), rel


def test_unknown_scale_is_refused(tmp_path):
    from ratgtex_db.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown scale"):
        synthesize(tmp_path, scale="huge")
    assert KINDS_BY_NAME["vcf"].tables


def test_synthetic_allele_statistics_are_those_of_the_genotypes(tiny_db):
    """What a geneticist checks first: each significant pair's af, ma_count and ma_samples are
    what the tissue's rats' genotypes give (af = k / 2n), and no monomorphic variant is
    significant."""
    import ratgtex_db

    with ratgtex_db.open(tiny_db) as db:
        got = db.sql("""
            WITH calls AS (
                SELECT c.tissue, c.modality, c.phenotype_id, c.variant_id, c.af, c.ma_count,
                       c.ma_samples, sum(g.dosage) AS alt, 2 * count(g.dosage) AS n,
                       count(*) FILTER (g.dosage = 1) AS het,
                       count(*) FILTER (g.dosage = 2) AS hom_alt,
                       count(*) FILTER (g.dosage = 0) AS hom_ref
                FROM cis_qtl_signif AS c
                JOIN rat_ids AS r ON r.tissue = c.tissue
                JOIN genotypes AS g ON g.variant_id = c.variant_id AND g.rat_id = r.rat_id
                GROUP BY ALL)
            SELECT count(*) AS pairs,
                   count(*) FILTER (abs(af - alt / n) > 1e-6) AS af_wrong,
                   count(*) FILTER (ma_count <> least(alt, n - alt)) AS ma_count_wrong,
                   count(*) FILTER (ma_samples <> het + CASE WHEN alt <= n - alt THEN hom_alt
                                                             ELSE hom_ref END) AS ma_samples_wrong,
                   count(*) FILTER (alt = 0 OR alt = n) AS monomorphic
            FROM calls""").row(0, named=True)
    assert got["pairs"] > 1000
    assert got == dict(got, af_wrong=0, ma_count_wrong=0, ma_samples_wrong=0, monomorphic=0)
