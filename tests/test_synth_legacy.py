"""The synthetic v1/v2/v3 releases follow release-format.md sections 2, 4, 5.1 and 5.2.

File names, headers and invariants below are typed in from the document, never taken from
registry.py or from synth_legacy's own tables, and the files are read with gzip / zipfile /
pandas directly, so the generator, these checks and our readers are separate readings.
"""

from __future__ import annotations

import gzip
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ratgtex_db.errors import ConfigError
from ratgtex_db.synth_legacy import write_legacy_release

GENOME = {"v1": "rn6", "v2": "rn7", "v3": "rn7"}
TISSUES_V12 = ["Adipose", "BLA", "Brain", "Eye", "IL", "LHb", "Liver", "NAcc1", "NAcc2", "OFC",
               "PL1", "PL2"]
MERGED_V3 = ["Adipose", "BLA", "Brain", "Eye", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
             "pVTA", "RMTg"]
UNMERGED_V3 = ["NAcc1", "NAcc2", "NAcc3", "PL1", "PL2", "PL3"]
VCF_TISSUES = {
    "v12": {"Adipose_Liver": ["Adipose", "Liver"], "BLA_NAcc2_PL2": ["BLA", "NAcc2", "PL2"],
            "Brain": ["Brain"], "Eye": ["Eye"],
            "IL_LHb_NAcc1_OFC_PL1": ["IL", "LHb", "NAcc1", "OFC", "PL1"]},
    "v3": {"ratgtex_v3_round10_4": ["Adipose", "Liver"],
           "ratgtex_v3_round10_5": ["BLA", "Brain", "Eye", "IL", "LHb", "NAcc", "OFC", "PL",
                                    "pVTA", "RMTg", *UNMERGED_V3]},
}

# section 5.2 column lists
STATS = ["num_var", "variant_id", "chrom", "pos", "ref", "alt", "af", "tss_distance",
         "pval_nominal", "slope", "slope_se", "pval_beta"]
HEAD = {
    "top_assoc": {
        "v12": ["tissue", "gene_id", "gene_name", *STATS, "qval", "pval_nominal_threshold",
                "log2_aFC"],
        "v3": ["tissue", "gene_id", *STATS, "qval", "pval_nominal_threshold", "log2_aFC"]},
    "eqtls_indep": {
        "v12": ["tissue", "gene_id", "gene_name", *STATS, "rank", "log2_aFC"],
        "v3": ["tissue", "gene_id", *STATS, "rank", "log2_aFC"]},
    "top_assoc_splice": {
        "v12": ["tissue", "phenotype_id", *STATS, "gene_id", "gene_name", "group_size", "qval",
                "pval_nominal_threshold"],
        "v3": ["tissue", "phenotype_id", *STATS, "gene_id", "group_size", "qval",
               "pval_nominal_threshold"]},
    "sqtls_indep": {
        "v12": ["tissue", "phenotype_id", *STATS, "gene_id", "gene_name", "group_size", "rank"],
        "v3": ["tissue", "phenotype_id", *STATS, "gene_id", "group_size", "rank"]},
    "signif": {
        "v12": ["gene_id", "variant_id", "tss_distance", "af", "ma_samples", "ma_count",
                "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"],
        "v3": ["gene_id", "variant_id", "start_distance", "af", "ma_samples", "ma_count",
               "pval_nominal", "slope", "slope_se", "pval_nominal_threshold", "tss_distance"]},
}
GENE_FIXED = {"v12": ["geneId", "geneSymbol", "chromosome", "start", "end", "strand", "tss",
                      "description", "hasEqtl"],
              "v3": ["geneId", "geneIdEnsembl", "chromosome", "start", "end", "strand", "tss",
                     "description", "hasEqtl"]}
FLAGS = ["expr", "testedEqtl", "eqtl", "altSplice", "testedSqtl", "sqtl"]
AUTOSOMES = [str(i) for i in range(1, 21)]


def _key(v: str) -> str:
    return "v3" if v == "v3" else "v12"


_CACHE: dict[tuple[Path, int], pd.DataFrame] = {}


def _read(path: Path) -> pd.DataFrame:
    """A text table as strings (gzip or plain); cached per path and mtime (files are not
    rewritten within a test module)."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _CACHE:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        _CACHE[key] = pd.read_csv(io.BytesIO(data), sep="\t", dtype=str,
                                  keep_default_na=False)
    return _CACHE[key].copy()


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.where(~s.isin(["NA", ""])), errors="raise")


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("legacy")
    for v in ("v1", "v2"):
        write_legacy_release(out, v, scale="tiny", seed=5)
    write_legacy_release(out, "v3", scale="tiny", seed=5, unmerged=True)
    return {v: out / "data" / v for v in ("v1", "v2", "v3")}


def _tissues(v: str, unmerged: bool = True) -> tuple[list[str], list[str]]:
    """(aggregated tissues, all tissues with per-tissue files)."""
    if v == "v3":
        return MERGED_V3, MERGED_V3 + (UNMERGED_V3 if unmerged else [])
    return TISSUES_V12, TISSUES_V12


def _expected_files(v: str, unmerged: bool = True) -> set[str]:
    """Section 5.1 for one version, written out pattern by pattern."""
    g = GENOME[v]
    vg = f"{v}_{g}"
    agg, per = _tissues(v, unmerged)
    files = {f"gene.{v}.txt", f"medianGeneExpression.{v}.txt.gz",
             f"ref/RatGTEx_rats.{v}.tsv", f"ref/RatGTEx_samples.{v}.tsv",
             f"eqtl/top_assoc.{vg}.txt", f"eqtl/eqtls_indep.{vg}.txt",
             f"splice/top_assoc_splice.{vg}.txt", f"splice/sqtls_indep.{vg}.txt",
             "SYNTHETIC_RELEASE.txt"}
    files |= {f"geno/{d}.{g}.vcf.gz" for d in VCF_TISSUES[_key(v)]}
    for t in per:
        files |= {f"expr/expr.{u}.{t}.{vg}.bed.gz" for u in ("log2", "tpm", "iqn",
                                                              "iqn.filtered")}
        files |= {f"rat_ids/rat_ids.{t}.{v}.txt", f"fastq_map/fastq_map.{t}.{v}.txt",
                  f"covar/covar.{t}.{v}.txt", f"eqtl/cis_qtl_signif.{t}.{vg}.txt.gz",
                  f"eqtl/trans_qtl_pairs.{t}.{vg}.txt.gz", f"splice/leafcutter.{t}.{vg}.bed.gz",
                  f"splice/covar_splice.{t}.{v}.txt",
                  f"splice/splice.cis_qtl_signif.{t}.{vg}.txt.gz",
                  f"splice/splice.trans_qtl_pairs.{t}.{vg}.txt.gz"}
    if v == "v3":
        files |= {"tissueInfo.v3.txt", "topExpressedGene.v3.txt", "exon.v3.txt",
                  "autocomplete.v3.json", "singleTissueEqtl.v3.zip"}
        files |= {f"cis_pvals/{t}.v3.zip" for t in agg}
    return files


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _rat_ids(root: Path, v: str, t: str) -> list[str]:
    return (root / "rat_ids" / f"rat_ids.{t}.{v}.txt").read_text().split("\n")[:-1]


def _p(root: Path, v: str, kind: str, t: str = "") -> Path:
    vg = f"{v}_{GENOME[v]}"
    return root / {
        "gene": f"gene.{v}.txt", "median": f"medianGeneExpression.{v}.txt.gz",
        "top_assoc": f"eqtl/top_assoc.{vg}.txt", "eqtls_indep": f"eqtl/eqtls_indep.{vg}.txt",
        "top_assoc_splice": f"splice/top_assoc_splice.{vg}.txt",
        "sqtls_indep": f"splice/sqtls_indep.{vg}.txt",
        "signif": f"eqtl/cis_qtl_signif.{t}.{vg}.txt.gz",
        "splice_signif": f"splice/splice.cis_qtl_signif.{t}.{vg}.txt.gz",
        "trans": f"eqtl/trans_qtl_pairs.{t}.{vg}.txt.gz",
        "splice_trans": f"splice/splice.trans_qtl_pairs.{t}.{vg}.txt.gz",
        "leafcutter": f"splice/leafcutter.{t}.{vg}.bed.gz",
        "filtered": f"expr/expr.iqn.filtered.{t}.{vg}.bed.gz",
        "tpm": f"expr/expr.tpm.{t}.{vg}.bed.gz",
    }[kind]


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_every_file_of_section_5_1_and_nothing_else(releases, v):
    """The tree is exactly section 5.1's list (v3 with its unmerged and API-only files)."""
    assert _files(releases[v]) == _expected_files(v)
    assert (releases[v] / "SYNTHETIC_RELEASE.txt").read_text().startswith("SYNTHETIC")


def test_v3_without_unmerged_has_no_unmerged_files(tmp_path):
    """Unmerged per-tissue files appear only on request; a tissue subset limits the tree."""
    write_legacy_release(tmp_path, "v3", scale="tiny", seed=2, tissues=["Eye", "NAcc"])
    names = _files(tmp_path / "data" / "v3")
    assert not [n for n in names if re.search(r"\.(NAcc|PL)[123]\.", n)]
    assert {n for n in names if n.startswith("rat_ids/")} == {"rat_ids/rat_ids.Eye.v3.txt",
                                                              "rat_ids/rat_ids.NAcc.v3.txt"}
    assert names >= {"geno/ratgtex_v3_round10_5.rn7.vcf.gz", "cis_pvals/NAcc.v3.zip"}


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_headers_are_section_5_2(releases, v):
    """Every header is the document's column list; matrices carry the rat_ids columns."""
    root, k = releases[v], _key(v)
    agg, per = _tissues(v)
    for kind in ("top_assoc", "eqtls_indep", "top_assoc_splice", "sqtls_indep"):
        assert list(_read(_p(root, v, kind)).columns) == HEAD[kind][k], kind
    gene = _read(_p(root, v, "gene"))
    assert list(gene.columns[:9]) == GENE_FIXED[k]
    assert set(gene.columns[9:]) == {f"{f}_{t}" for f in FLAGS for t in agg}
    assert len(gene.columns) == 9 + 6 * len(agg)
    median = _read(_p(root, v, "median"))
    assert median.columns[0] == "geneId" and sorted(median.columns[1:]) == sorted(agg)
    for t in per:
        rats = _rat_ids(root, v, t)
        assert rats == sorted(rats) and len(set(rats)) == len(rats)
        for unit in ("log2", "tpm", "iqn", "iqn.filtered"):
            bed = _read(root / "expr" / f"expr.{unit}.{t}.{v}_{GENOME[v]}.bed.gz")
            assert list(bed.columns) == ["#chr", "start", "end", "gene_id", *rats], (t, unit)
        leaf = _read(_p(root, v, "leafcutter", t))
        assert list(leaf.columns) == ["#Chr", "start", "end", "ID", *rats]
        for name, n_pheno in ((f"covar/covar.{t}.{v}.txt", 20),
                              (f"splice/covar_splice.{t}.{v}.txt", 10)):
            cov = _read(root / name)
            assert list(cov.columns) == ["ID", *rats], name
            assert list(cov["ID"]) == [f"geno_PC{i}" for i in range(1, 6)] + [
                f"pheno_PC{i}" for i in range(1, n_pheno + 1)], name
            _num(cov[rats].stack())
        signif = _read(_p(root, v, "signif", t))
        assert list(signif.columns) == HEAD["signif"][k]
        ssig = _read(_p(root, v, "splice_signif", t))
        assert list(ssig.columns) == ["phenotype_id", *HEAD["signif"][k][1:]]
        assert list(_read(_p(root, v, "trans", t)).columns) == [
            "variant_id", "gene_id", "pval", "slope", "slope_se", "af"]
        assert list(_read(_p(root, v, "splice_trans", t)).columns) == [
            "variant_id", "phenotype_id", "pval", "slope", "slope_se", "af"]
        # headerless: rat_ids one id a line; fastq_map 2 or 3 fields ending in a rat id
        for line in (root / "fastq_map" / f"fastq_map.{t}.{v}.txt").read_text().splitlines():
            fields = line.split("\t")
            assert len(fields) in (2, 3) and fields[-1] in set(rats) | {"00000QC000"}, line
    assert list(_read(root / "ref" / f"RatGTEx_samples.{v}.tsv").columns) == [
        "tissue", "rat_id", "GEO_accession", "BioSample_accession", "SRA_accession"]
    assert list(_read(root / "ref" / f"RatGTEx_rats.{v}.tsv").columns) == [
        "rat_id", "sex", "coatcolor", "tissues"]


def test_v3_api_only_files(releases):
    """tissueInfo/topExpressedGene/exon as v4, zips with the versioned member folders."""
    root = releases["v3"]
    info = _read(root / "tissueInfo.v3.txt")
    assert list(info.columns) == [
        "tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail", "tissueSite",
        "colorHex", "colorRgb", "dataset", "rnaSeqSampleCount", "rnaSeqAndGenotypeSampleCount",
        "expressedGeneCount", "eGeneCount", "datasetId", "hasEGenes"]
    assert list(info["tissueSiteDetailId"]) == MERGED_V3
    assert set(info.loc[info.tissueSiteDetailId.isin(["Adipose", "Liver"]), "dataset"]) == {
        "ratgtex_v3_round10_4"}
    assert set(info.loc[~info.tissueSiteDetailId.isin(["Adipose", "Liver"]), "dataset"]) == {
        "ratgtex_v3_round10_5"}
    top = _read(_p(root, "v3", "top_assoc"))
    for _, row in info.iterrows():
        t = row.tissueSiteDetailId
        assert int(row.rnaSeqSampleCount) == len(_rat_ids(root, "v3", t))
        n_e = int((_num(top.loc[top.tissue == t, "qval"]) < 0.05).sum())
        assert row.eGeneCount == (str(n_e) if n_e else "NA")
    assert set(info["datasetId"]) == {"ratgtex_v3"} and set(info["hasEGenes"]) == {"True"}
    te = _read(root / "topExpressedGene.v3.txt")
    assert list(te.columns) == ["tissueSiteDetailId", "geneId", "median", "chromosome",
                                "mtGene", "datasetId", "unit"]
    assert (te["mtGene"] == np.where(te["chromosome"] == "chrM", "True", "False")).all()
    assert list(_read(root / "exon.v3.txt").columns) == [
        "chromosome", "end", "exonId", "exonNumber", "featureType", "geneId", "start", "strand",
        "transcriptId"]
    gene = _read(_p(root, "v3", "gene"))
    import json

    words = json.loads((root / "autocomplete.v3.json").read_text())
    assert words == sorted(words) and set(words) <= set(gene.geneId) | set(gene.geneIdEnsembl)
    # singleTissueEqtl: one member per gene with significant pairs, the union of the signif files
    with zipfile.ZipFile(root / "singleTissueEqtl.v3.zip") as zf:
        names = zf.namelist()
        assert all(n.startswith("singleTissueEqtl.v3/") and n.endswith(".txt") for n in names)
        rows = pd.concat([_read_member(zf, n).assign(
            gene=n.removeprefix("singleTissueEqtl.v3/").removesuffix(".txt")) for n in names])
    assert list(rows.columns[:6]) == ["variantId", "pValue", "nes", "chromosome", "pos",
                                      "tissueSiteDetailId"]
    pairs = set()
    for t in MERGED_V3:
        s = _read(_p(root, "v3", "signif", t))
        pairs |= {(t, a, b) for a, b in zip(s.gene_id, s.variant_id, strict=True)}
    assert set(zip(rows.tissueSiteDetailId, rows.gene, rows.variantId, strict=True)) == pairs
    # cis_pvals: one member per tested gene, every signif pair among them with the same p
    for t in ("BLA", "NAcc"):
        with zipfile.ZipFile(root / "cis_pvals" / f"{t}.v3.zip") as zf:
            members = {n.removeprefix(f"{t}.v3/").removesuffix(".txt"): _read_member(zf, n)
                       for n in zf.namelist()}
        assert set(members) == set(top.loc[top.tissue == t, "gene_id"])
        assert all(list(m.columns) == ["variant_id", "pval_nominal"] for m in members.values())
        s = _read(_p(root, "v3", "signif", t))
        for gid, part in s.groupby("gene_id"):
            p = members[gid].set_index("variant_id")["pval_nominal"]
            assert (p.loc[part.variant_id].to_numpy() == part.pval_nominal.to_numpy()).all()


def _read_member(zf: zipfile.ZipFile, name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(zf.read(name)), sep="\t", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_chromosome_names(releases, v):
    """v1/v2 bare ('1', 'X', 'MT', scaffolds) outside variant ids; v3 'chr1' (section 2.3)."""
    root = releases[v]
    bare = v != "v3"
    gene = _read(_p(root, v, "gene"))
    chroms = set(gene.chromosome)
    if bare:
        assert chroms >= {"1", "X", "MT", "AABR07024041.1"} and not any(
            c.startswith("chr") for c in chroms)
        assert gene.geneId.str.fullmatch(r"ENSRNOG\d{11}").all()
    else:
        assert chroms >= {"chr1", "chrX", "chrM"}
        assert not gene.geneId.str.startswith("ENSRNOG").any()
        assert (gene.geneIdEnsembl == "NA").any() and gene.geneIdEnsembl.str.startswith(
            "ENSRNOG").any()
    prefix = "" if bare else "chr"
    auto = [prefix + c for c in AUTOSOMES]
    for kind in ("top_assoc", "eqtls_indep", "top_assoc_splice", "sqtls_indep"):
        df = _read(_p(root, v, kind))
        assert set(df.chrom) <= set(auto), kind
        assert (df.variant_id == "chr" + df.chrom.str.removeprefix("chr") + ":" + df.pos).all()
    tpm = _read(_p(root, v, "tpm", "BLA"))
    if bare:
        assert set(tpm["#chr"]) >= {"X", "MT", "AABR07024041.1", "1", "10"}
    order = list(zip(tpm["#chr"], tpm["start"].astype(int), strict=True))
    assert order == sorted(order)  # chromosomes sorted as strings
    filt = _read(_p(root, v, "filtered", "BLA"))
    assert set(filt["#chr"]) <= set(auto)
    num = list(zip(filt["#chr"].str.removeprefix("chr").astype(int), filt.start.astype(int),
                   strict=True))
    assert num == sorted(num)  # numeric order, chr1-20 only
    leaf = _read(_p(root, v, "leafcutter", "BLA"))
    assert set(leaf["#Chr"]) <= set(auto)
    parts = leaf.ID.str.split(":")
    assert (parts.str.len() == 5).all() and (parts.str[0] == leaf["#Chr"]).all()
    assert parts.str[3].str.fullmatch(r"clu_\d+(_[+-])?").all()
    for vcf in (root / "geno").iterdir():
        chrom, ids = _vcf_columns(vcf)
        assert set(chrom) <= set(auto)
        assert all(re.fullmatch(r"chr([1-9]|1\d|20):\d+", i) for i in ids)


def _vcf_columns(path: Path) -> tuple[list[str], list[str]]:
    chrom, ids = [], []
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        if not line.startswith("#"):
            f = line.split("\t", 3)
            chrom.append(f[0])
            ids.append(f[2])
    return chrom, ids


def _vcf(path: Path) -> tuple[list[str], dict[str, np.ndarray], dict[str, str]]:
    """(samples, variant id -> ALT dosages (NaN missing), INFO per id); REF/ALT in INFO's
    place under key ``(id, 'alleles')``."""
    samples: list[str] = []
    dos: dict[str, np.ndarray] = {}
    info: dict = {}
    for line in gzip.decompress(path.read_bytes()).decode().splitlines():
        if line.startswith("##"):
            continue
        f = line.split("\t")
        if line.startswith("#CHROM"):
            samples = f[9:]
            continue
        gt = np.array([np.nan if c[0] == "." else int(c[0]) + int(c[2]) for c in f[9:]])
        dos[f[2]] = gt
        info[f[2]] = f[7]
        info[(f[2], "alleles")] = (f[3], f[4])
    return samples, dos, info


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_vcf_samples_and_allele_frequencies(releases, v):
    """VCF samples cover each tissue's rats; top_assoc af = k/2n from the tissue's hard calls."""
    root = releases[v]
    top = _read(_p(root, v, "top_assoc"))
    for name, tissues in VCF_TISSUES[_key(v)].items():
        samples, dos, info = _vcf(root / "geno" / f"{name}.{GENOME[v]}.vcf.gz")
        assert samples == sorted(samples)
        col = {s: i for i, s in enumerate(samples)}
        for t in tissues:
            rats = _rat_ids(root, v, t)
            assert set(rats) <= set(samples), (name, t)
            rows = top[top.tissue == t]
            idx = [col[r] for r in rats]
            for vid, af, ref, alt in zip(rows.variant_id, _num(rows.af), rows.ref, rows.alt,
                                         strict=True):
                d = dos[vid][idx]
                expect = np.nansum(d) / (2 * np.sum(~np.isnan(d)))
                assert abs(af - expect) < 1e-5, (t, vid)
                assert (ref, alt) in {("NA", "NA"), info[(vid, "alleles")]}, vid
            assert (rows.ref == "NA").sum() < len(rows) or t in UNMERGED_V3
            sig = _read(_p(root, v, "signif", t)).head(60)  # unmerged tissues too
            for vid, af, ma in zip(sig.variant_id, _num(sig.af), sig.ma_count.astype(int),
                                   strict=True):
                d = dos[vid][idx]
                k, n2 = np.nansum(d), 2 * np.sum(~np.isnan(d))
                assert abs(af - k / n2) < 1e-5 and ma == min(k, n2 - k), (t, vid)
        # v2 reduces INFO to AC/AN (section 5.2)
        if v == "v2":
            assert all(re.fullmatch(r"AC=\d+;AN=\d+", x) for k, x in info.items()
                       if isinstance(k, str))


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_section_4_invariants(releases, v):
    """Flags match the tables; signif below threshold of q<=0.05 genes; tested genes in BEDs."""
    root = releases[v]
    agg, per = _tissues(v)
    gene = _read(_p(root, v, "gene")).set_index("geneId")
    top = _read(_p(root, v, "top_assoc"))
    ind = _read(_p(root, v, "eqtls_indep"))
    stop = _read(_p(root, v, "top_assoc_splice"))
    sind = _read(_p(root, v, "sqtls_indep"))
    assert set(top.tissue) == set(ind.tissue) == set(stop.tissue) == set(sind.tissue) == set(agg)
    has_eqtl: set[str] = set()
    for t in agg:
        tt, ti = top[top.tissue == t], ind[ind.tissue == t]
        st, si = stop[stop.tissue == t], sind[sind.tissue == t]
        assert tt.gene_id.is_unique and st.gene_id.is_unique
        tpm = _read(_p(root, v, "tpm", t))
        vals = tpm.iloc[:, 4:].astype(float)
        positive = set(tpm.gene_id[(vals > 0).sum(axis=1) > 1])  # expr_ meaning, section 5.2
        filt = set(_read(_p(root, v, "filtered", t)).gene_id)
        leaf = _read(_p(root, v, "leafcutter", t))
        leaf_gene = leaf.ID.str.rsplit(":", n=1).str[1]
        flag = lambda b, t=t: set(gene.index[gene[f"{b}_{t}"] == "True"])  # noqa: E731
        assert flag("expr") == positive
        assert flag("testedEqtl") == set(tt.gene_id) and set(tt.gene_id) <= filt
        assert flag("eqtl") == set(ti.gene_id)
        assert flag("altSplice") == set(leaf_gene)
        assert flag("testedSqtl") == set(st.gene_id) and flag("sqtl") == set(si.gene_id)
        assert filt <= positive and set(leaf_gene) <= filt
        # eqtls_indep / sqtls_indep genes are top_assoc genes with q <= 0.05
        for a, b in ((tt, ti), (st, si)):
            sig = set(a.gene_id[_num(a.qval) <= 0.05])
            assert set(b.gene_id) <= sig
            ranks = b.groupby("gene_id")["rank"].apply(lambda r: sorted(r.astype(int)))
            assert all(r == list(range(1, len(r) + 1)) for r in ranks)
        # splice: phenotype ids are leafcutter rows, gene after the last ':', group sizes
        assert set(st.phenotype_id) <= set(leaf.ID) and set(si.phenotype_id) <= set(leaf.ID)
        assert (st.phenotype_id.str.rsplit(":", n=1).str[1] == st.gene_id).all()
        sizes = leaf_gene.value_counts()
        assert (st.group_size.astype(int).to_numpy() == sizes[st.gene_id].to_numpy()).all()
        if v != "v3":
            symbols = gene.loc[tt.gene_id, "geneSymbol"]
            assert (tt.gene_name.to_numpy() == symbols.to_numpy()).all()
        # signif pairs: genes significant in top_assoc, p < the gene's threshold
        for kind, a, id_col, to_gene in (
                ("signif", tt, "gene_id", lambda s: s),
                ("splice_signif", st, "phenotype_id", lambda s: s.str.rsplit(":", n=1).str[1])):
            s = _read(_p(root, v, kind, t))
            genes = to_gene(s[id_col])
            thr = a.set_index("gene_id")
            assert set(genes) <= set(a.gene_id[_num(a.qval) <= 0.05]), (t, kind)
            assert (_num(s.pval_nominal) < _num(s.pval_nominal_threshold)).all()
            assert np.allclose(_num(s.pval_nominal_threshold),
                               _num(thr.loc[genes, "pval_nominal_threshold"]), rtol=1e-5)
            if kind == "signif":
                has_eqtl |= set(genes)
                assert set(s.gene_id) <= filt
            else:
                assert set(s.phenotype_id) <= set(leaf.ID)
    assert set(gene.index[gene.hasEqtl == "True"]) == has_eqtl
    for t in per:  # trans pairs: tested ids, p < 1e-5, variants on chr1-20
        for kind, id_col, ids in (
                ("trans", "gene_id", set(_read(_p(root, v, "filtered", t)).gene_id)),
                ("splice_trans", "phenotype_id", set(_read(_p(root, v, "leafcutter", t)).ID))):
            tr = _read(_p(root, v, kind, t))
            assert set(tr[id_col]) <= ids and (_num(tr.pval) < 1e-5).all()
            assert tr.variant_id.str.fullmatch(r"chr([1-9]|1\d|20):\d+").all()


@pytest.mark.parametrize("v", ["v1", "v2", "v3"])
def test_tss_and_start_distances(releases, v):
    """tss_distance is strand-aware everywhere; v3's start_distance is a different number."""
    root = releases[v]
    gene = _read(_p(root, v, "gene")).set_index("geneId")
    top = _read(_p(root, v, "top_assoc"))
    tss = gene.loc[top.gene_id, "tss"].astype(int).to_numpy()
    plus = gene.loc[top.gene_id, "strand"].to_numpy() == "+"
    pos = top.pos.astype(int).to_numpy()
    assert (top.tss_distance.astype(int) == np.where(plus, pos - tss, tss - pos)).all()
    n = 0
    for t in _tissues(v)[1]:
        s = _read(_p(root, v, "signif", t))
        if s.empty:
            continue
        g = gene.loc[s.gene_id]
        pos = s.variant_id.str.split(":").str[1].astype(int).to_numpy()
        tss, plus = g.tss.astype(int).to_numpy(), g.strand.to_numpy() == "+"
        assert (s.tss_distance.astype(int).to_numpy() == np.where(plus, pos - tss, tss - pos)
                ).all()
        if v == "v3":
            assert (s.start_distance.astype(int) != s.tss_distance.astype(int)).all()
            assert (~plus).any() and plus.any()
        n += len(s)
    assert n > 0


def test_number_dialects(releases):
    """readr (NA, 1e-5, 3e3), pandas %g (1e-05), R write.table (e-06); v1/v2 medians unrounded."""
    for v, root in releases.items():
        top = _p(root, v, "top_assoc").read_text()
        assert re.search(r"\de-[1-9]\d*\t", top) and "\tNA" in top
        assert not re.search(r"e-0\d", top)
        s = gzip.decompress(_p(root, v, "signif", "BLA").read_bytes()).decode()
        assert re.search(r"e-0\d", s)
        cov = (root / "covar" / f"covar.BLA.{v}.txt").read_text()
        assert re.search(r"e-0\d", cov)
        med = gzip.decompress(_p(root, v, "median").read_bytes()).decode()
        assert "\t3e3" in med
        decimals = [len(x.split(".")[1]) for x in re.findall(r"\t(\d+\.\d+)", med)]
        assert (max(decimals) > 3) == (v != "v3"), v


def test_v3_unmerged_tissues_only_in_per_tissue_files(releases):
    """NAcc1-3/PL1-3: own files, rats inside the merged tissue, no aggregated rows or flags."""
    root = releases["v3"]
    for name in ("top_assoc", "eqtls_indep", "top_assoc_splice", "sqtls_indep"):
        assert not set(_read(_p(root, "v3", name)).tissue) & set(UNMERGED_V3)
    gene = _read(_p(root, "v3", "gene"))
    assert not [c for c in gene.columns if c.split("_", 1)[-1] in UNMERGED_V3]
    assert not set(_read(_p(root, "v3", "median")).columns) & set(UNMERGED_V3)
    samples = _read(root / "ref" / "RatGTEx_samples.v3.tsv")
    for merged in ("NAcc", "PL"):
        subs = [f"{merged}{i}" for i in (1, 2, 3)]
        union = set().union(*(_rat_ids(root, "v3", s) for s in subs))
        assert set(_rat_ids(root, "v3", merged)) == union
        for s in subs:
            assert set(samples.rat_id[samples.tissue == s]) == set(_rat_ids(root, "v3", s))
        assert merged not in set(samples.tissue)
    fq = (root / "fastq_map" / "fastq_map.NAcc.v3.txt").read_text()
    assert all(line.split("\t")[0].split("/")[0] in {"NAcc1", "NAcc2", "NAcc3"}
               for line in fq.splitlines())


def test_same_seed_same_bytes(tmp_path):
    """Same seed and options give identical files."""
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        write_legacy_release(out, "v2", scale="tiny", seed=9, tissues=["Eye", "Liver"])
    files = sorted(_files(a / "data" / "v2"))
    assert files == sorted(_files(b / "data" / "v2"))
    for f in files:
        assert (a / "data" / "v2" / f).read_bytes() == (b / "data" / "v2" / f).read_bytes(), f


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"version": "v4"}, "v4"), ({"version": "v2", "scale": "medium"}, "medium"),
    ({"version": "v1", "tissues": ["NAcc"]}, "NAcc"),
    ({"version": "v2", "unmerged": True}, "unmerged"),
    ({"version": "v3", "tissues": ["PL2"]}, "unmerged"),
])
def test_bad_options_are_config_errors(tmp_path, kwargs, match):
    """Unknown version/scale/tissue and unmerged outside v3 are named errors."""
    with pytest.raises(ConfigError, match=match):
        write_legacy_release(tmp_path, **kwargs)


def test_cli_synth_versions(tmp_path):
    """`synth --version v1` writes v1; --unmerged with v2 is a usage error naming the option."""
    from typer.testing import CliRunner

    from ratgtex_db.cli import app

    runner = CliRunner()
    r = runner.invoke(app, ["synth", str(tmp_path), "--version", "v1", "--scale", "tiny",
                            "--tissues", "Eye"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "data" / "v1" / "eqtl" / "top_assoc.v1_rn6.txt").exists()
    r = runner.invoke(app, ["synth", str(tmp_path), "--version", "v2", "--unmerged"])
    assert r.exit_code == 2 and "--unmerged" in r.output
    r = runner.invoke(app, ["--db", str(tmp_path / "db"), "demo", "--version", "v1",
                            "--unmerged"])
    assert r.exit_code == 2 and "--unmerged" in r.output
    assert not (tmp_path / "db" / "synthetic-release").exists()
    r = runner.invoke(app, ["synth", str(tmp_path), "--version", "v3", "--unmerged",
                            "--scale", "tiny", "--tissues", "NAcc1"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "data" / "v3" / "rat_ids" / "rat_ids.NAcc1.v3.txt").exists()


@pytest.mark.parametrize("v", ["v1", "v2"])
def test_v1_v2_sample_and_rat_tables(releases, v):
    """Samples per tissue = rat_ids; rats are the union, sorted; Adipose/Liver rats are M."""
    root = releases[v]
    samples = _read(root / "ref" / f"RatGTEx_samples.{v}.tsv")
    rats = _read(root / "ref" / f"RatGTEx_rats.{v}.tsv")
    for t in TISSUES_V12:
        assert sorted(samples.rat_id[samples.tissue == t]) == _rat_ids(root, v, t)
    assert list(rats.rat_id) == sorted(set(samples.rat_id))
    listed = rats.set_index("rat_id").tissues.str.split(", ")
    for t, r in zip(samples.tissue, samples.rat_id, strict=True):
        assert t in listed[r]
    al = set(_rat_ids(root, v, "Adipose")) | set(_rat_ids(root, v, "Liver"))
    assert set(rats.sex[rats.rat_id.isin(al)]) == {"M"}
    assert all(re.fullmatch(r"\d+_\d", r) for r in al)  # Adipose/Liver ids like 56269_4
    geo = samples[samples.tissue.isin(["Eye", "IL", "LHb", "NAcc1", "OFC", "PL1"])]
    assert geo.GEO_accession.str.startswith("GSM").all()
    assert (samples.loc[~samples.index.isin(geo.index), "GEO_accession"] == "NA").all()
