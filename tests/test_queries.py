"""Canned queries against the tiny synthetic release, each checked by an independent pandas
computation straight on the release files (no ratgtex_db reader or view involved); plus the
query loader, input resolution and safe parameter binding."""

from __future__ import annotations

import gzip
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import polars as pl
import pytest

import ratgtex_db
from ratgtex_db import inputs, queries, sqlfiles
from ratgtex_db.errors import ConfigError, QueryError, UnknownGene
from ratgtex_db.registry import MODALITIES

# -- the release files, read the plain pandas way ----------------------------------------------

NUMERIC = {"num_var", "pos", "af", "tss_distance", "pval_nominal", "slope", "slope_se",
           "pval_beta", "qval", "pval_nominal_threshold", "log2_aFC", "rank", "ma_samples",
           "ma_count", "pval", "start", "end", "tss", "median"}


def read_tsv(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=["NA", ""])
    for col in df.columns:
        if col in NUMERIC:
            df[col] = pd.to_numeric(df[col])
    return df


def split_variant(df: pd.DataFrame) -> pd.DataFrame:
    parts = df["variant_id"].str.split(":", expand=True)
    return df.assign(chrom=parts[0], pos=parts[1].astype(int))


@pytest.fixture(scope="module")
def src(tiny_v4: Path) -> SimpleNamespace:
    """Every table the queries read, from the release files."""
    s = SimpleNamespace()
    s.genes = read_tsv(tiny_v4 / "gene.v4.tsv")
    s.tissue_info = read_tsv(tiny_v4 / "tissue_info.v4.tsv")
    s.tissues = sorted(s.tissue_info["tissueSiteDetailId"])
    s.top = read_tsv(tiny_v4 / "eqtl" / "top_assoc.v4_rn8.tsv")
    s.indep = read_tsv(tiny_v4 / "eqtl" / "eqtls_indep.v4_rn8.tsv")
    x = tiny_v4 / "xqtl"
    s.xtop = pd.concat([read_tsv(x / f"top_assoc.{m}.v4_rn8.tsv").assign(modality=m)
                        for m in MODALITIES], ignore_index=True)
    s.xindep = pd.concat([read_tsv(x / f"xqtls_indep.{m}.v4_rn8.tsv").assign(modality=m)
                          for m in MODALITIES], ignore_index=True)
    s.xindep_cm = read_tsv(x / "xqtls_indep.cross_modality.v4_rn8.tsv")
    parts = []
    for f in sorted(x.glob("cis_qtl_signif.*.txt.gz")):
        _, tissue, modality = f.name.split(".")[:3]
        parts.append(read_tsv(f).assign(tissue=tissue, modality=modality))
    s.signif = split_variant(pd.concat(parts, ignore_index=True))
    s.signif["gene_id"] = s.signif["phenotype_id"].str.split("__").str[0]
    parts = []
    for f in sorted(x.glob("trans_qtl_pairs.*.txt.gz")):
        _, tissue, modality = f.name.split(".")[:3]
        parts.append(read_tsv(f).assign(tissue=tissue, modality=modality))
    s.trans = split_variant(pd.concat(parts, ignore_index=True))
    s.trans["gene_id"] = s.trans["phenotype_id"].str.split("__").str[0]
    med = read_tsv(tiny_v4 / "expr" / "medianGeneExpression.v4.tsv.gz")
    s.median = med.melt(id_vars="geneId", var_name="tissue", value_name="median")
    s.median["median"] = pd.to_numeric(s.median["median"])
    s.rat_ids = {t: (tiny_v4 / "rat_ids" / f"rat_ids.{t}.v4.txt").read_text().split()
                 for t in s.tissues}
    s.norm_rows = {}
    for t in s.tissues:
        with gzip.open(tiny_v4 / "phenos" / f"phenos.{t}.expression.norm.v4_rn8.bed.gz",
                       "rt") as fh:
            s.norm_rows[t] = sum(1 for line in fh if line.strip()) - 1
    s.root = tiny_v4
    return s


def expression_matrix(src: SimpleNamespace, tissue: str, unit: str) -> pd.DataFrame:
    """The gene x rat matrix of a tissue: TPM from the unnorm expression BED (expr.tpm is its
    byte copy, release-format 3.5), log2 from expr.log2."""
    name = (f"phenos/phenos.{tissue}.expression.unnorm.v4_rn8.bed.gz" if unit == "tpm"
            else f"expr/expr.log2.{tissue}.v4_rn8.bed.gz")
    bed = pd.read_csv(src.root / name, sep="\t", dtype={"phenotype_id": str})
    return bed.drop(columns=["#chr", "start", "end"]).set_index("phenotype_id")


@pytest.fixture(scope="module")
def db(tiny_db: Path):
    with ratgtex_db.open(tiny_db) as d:
        yield d


# -- comparing frames ---------------------------------------------------------------------------


def assert_rows(ours: pl.DataFrame, expected: pd.DataFrame, key: list[str],
                cols: list[str] | None = None) -> None:
    """Same rows (matched on ``key``), same values (numbers to 1e-9 relative)."""
    cols = cols or [c for c in expected.columns if c in ours.columns]
    got = ours.to_pandas()[cols].sort_values(key).reset_index(drop=True)
    exp = expected[cols].sort_values(key).reset_index(drop=True)
    assert len(got) == len(exp), f"{len(got)} rows, expected {len(exp)}"
    for c in cols:
        g, e = got[c], exp[c]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            assert np.allclose(g.astype(float), e.astype(float), rtol=1e-9, atol=0,
                               equal_nan=True), c
        else:
            norm = [None if (v is None or (isinstance(v, float) and np.isnan(v))) else v
                    for v in e]
            assert [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
                    for v in g] == norm, c


def egene_gene(src: SimpleNamespace) -> str:
    """A gene that is an eGene in every tissue and has independent xQTLs (a rich example)."""
    eg = src.top[src.top.qval < 0.05].groupby("gene_id").tissue.nunique()
    rich = eg[eg == len(src.tissues)].index
    xq = src.xindep.groupby("gene_id").size()
    return sorted(g for g in rich if g in xq.index)[0]


# -- the queries ----------------------------------------------------------------------------------


def test_tissues_counts_match_the_files(db, src):
    """samples, expressed genes, eGenes, independent eQTLs and xQTL genes per tissue."""
    got = db.tissues().to_pandas().set_index("tissue")
    assert list(got.index) == src.tissues
    for t in src.tissues:
        row = got.loc[t]
        assert row.samples == len(src.rat_ids[t])
        assert row.expressed_genes == src.norm_rows[t]
        top = src.top[src.top.tissue == t]
        assert row.egenes == (top.qval < 0.05).sum()
        assert row.indep_eqtls == (src.indep.tissue == t).sum()
        for m in MODALITIES:
            x = src.xindep[(src.xindep.tissue == t) & (src.xindep.modality == m)]
            assert row[f"xqtl_{m}"] == x.gene_id.nunique(), (t, m)
    info = src.tissue_info.set_index("tissueSiteDetailId")
    assert (got.egenes == info.loc[got.index, "eGeneCount"].astype(int)).all()
    assert (got.expressed_genes == info.loc[got.index, "expressedGeneCount"].astype(int)).all()
    assert list(db.tissues(tissue="bla")["tissue"]) == ["BLA"]


def test_gene_one_row_per_tissue(db, src):
    """Annotation repeated per tissue; status, median TPM, lead eQTL and counts per tissue."""
    gene = egene_gene(src)
    got = db.gene(gene.upper() if gene.upper() != gene else gene.lower())
    assert got.height == len(src.tissues)
    ann = src.genes.set_index("geneId").loc[gene]
    for r in got.iter_rows(named=True):
        t = r["tissue"]
        assert (r["gene_id"], r["chrom"], r["start"], r["end"], r["tss"]) == (
            gene, ann.chromosome, ann.start, ann.end, ann.tss)
        assert r["expressed"] == (ann[f"expr_{t}"] == "True")
        top = src.top[(src.top.tissue == t) & (src.top.gene_id == gene)]
        assert r["tested"] == (len(top) == 1)
        assert r["egene"] == bool(len(top) and top.qval.iloc[0] < 0.05)
        med = src.median[(src.median.geneId == gene) & (src.median.tissue == t)]["median"]
        assert r["median_tpm"] == pytest.approx(med.iloc[0])
        ind = src.indep[(src.indep.tissue == t) & (src.indep.gene_id == gene)]
        assert r["indep_eqtls"] == len(ind)
        lead = ind[ind["rank"] == 1].iloc[0]
        assert r["lead_variant_id"] == lead.variant_id
        assert r["lead_pval_nominal"] == pytest.approx(lead.pval_nominal, rel=1e-12)
        assert r["lead_slope"] == pytest.approx(lead.slope, rel=1e-12)
        for m in MODALITIES:
            n = ((src.xindep.tissue == t) & (src.xindep.gene_id == gene)
                 & (src.xindep.modality == m)).sum()
            assert r[f"indep_xqtls_{m}"] == n, (t, m)


def test_gene_several_and_tissue_filter(db, src):
    genes = sorted(src.genes.geneId)[:3]
    got = db.gene(genes, tissue=["NAcc"])
    assert got["gene_id"].to_list() == genes and set(got["tissue"]) == {"NAcc"}


def test_eqtls_filters(db, src):
    """Gene, tissue, variant and region filters select exactly the matching eqtls_indep rows."""
    gene = egene_gene(src)
    other = sorted(set(src.indep.gene_id) - {gene})[0]
    exp = src.indep[src.indep.gene_id.isin([gene, other]) & (src.indep.tissue == "BLA")]
    assert_rows(db.eqtls(gene=[gene, other.lower()], tissue=["bla"]), exp,
                ["gene_id", "rank"])
    v = src.indep.variant_id.iloc[0]
    assert_rows(db.eqtls(variant=v.removeprefix("chr")), src.indep[src.indep.variant_id == v],
                ["tissue", "gene_id", "rank"])
    chrom, pos = v.split(":")
    lo, hi = int(pos) - 500_000, int(pos) + 500_000
    ind = split_variant(src.indep)
    exp = ind[(ind.chrom == chrom) & ind.pos.between(lo, hi)]
    assert_rows(db.eqtls(region=f"{chrom}:{lo}-{hi}"), exp, ["tissue", "gene_id", "rank"])
    # AND of gene and region: the gene's rows inside the region only
    exp2 = exp[exp.gene_id == exp.gene_id.iloc[0]]
    assert_rows(db.eqtls(gene=exp.gene_id.iloc[0], region=f"{chrom}:{lo}-{hi}"), exp2,
                ["tissue", "rank"])
    assert db.eqtls().height == len(src.indep)
    # disjoint filters (gene on one chromosome, region on another) give no rows, no error
    gene_chrom = src.genes.set_index("geneId").chromosome[gene]
    other_chrom = next(c for c in src.genes.chromosome if c not in (gene_chrom, "chrM"))
    assert db.eqtls(gene=gene, region=f"{other_chrom}:1-1000").height == 0


def test_comma_lists_in_the_python_api_as_in_the_cli(db, src):
    """``gene="a,b"`` means what ``--gene a,b`` means: the same rows as the list, for genes,
    tissues, variants and modalities alike."""
    gene = egene_gene(src)
    other = sorted(set(src.indep.gene_id) - {gene})[0]
    as_list = db.eqtls(gene=[gene, other], tissue=["BLA", "NAcc"])
    assert as_list.height > 0
    assert db.eqtls(gene=f"{gene}, {other}", tissue="bla,NAcc").equals(as_list)
    variants = list(src.indep.variant_id.iloc[:2])
    assert db.eqtls(variant=",".join(variants)).equals(db.eqtls(variant=variants))
    assert db.xqtls(gene=gene, modality="splicing,alt_TSS").equals(
        db.xqtls(gene=gene, modality=["splicing", "alt_TSS"]))
    with pytest.raises(QueryError, match="empty"):
        db.eqtls(gene=" , ")


def test_xqtls_modalities_and_cross_modality(db, src):
    gene = egene_gene(src)
    exp = src.xindep[(src.xindep.gene_id == gene)
                     & src.xindep.modality.isin(["splicing", "alt_TSS"])]
    assert_rows(db.xqtls(gene=gene, modality=["splicing", "alt_tss"]), exp,
                ["tissue", "modality", "rank", "phenotype_id"])
    exp = src.xindep_cm[src.xindep_cm.gene_id == gene]
    assert_rows(db.xqtls(gene=gene, cross_modality=True), exp, ["tissue", "rank"])
    assert db.xqtls().height == len(src.xindep)


def test_assoc_gene_across_tissues_and_modalities(db, src):
    """Every significant pair of the gene, in every tissue and modality, nothing else."""
    gene = egene_gene(src)
    exp = src.signif[src.signif.gene_id == gene]
    assert len(exp) and exp.modality.nunique() > 1 and exp.tissue.nunique() > 1
    assert_rows(db.assoc(gene=gene), exp, ["tissue", "modality", "phenotype_id", "variant_id"])
    exp = exp[(exp.modality == "expression") & (exp.tissue == "NAcc")]
    assert_rows(db.assoc(gene=gene, tissue="NAcc", modality="expression"), exp, ["variant_id"])


def test_assoc_variant_and_region(db, src):
    v = src.signif.variant_id.value_counts().index[0]
    assert_rows(db.assoc(variant=v), src.signif[src.signif.variant_id == v],
                ["tissue", "modality", "phenotype_id"])
    chrom, pos = v.split(":")
    lo, hi = int(pos) - 100_000, int(pos) + 100_000
    exp = src.signif[(src.signif.chrom == chrom) & src.signif.pos.between(lo, hi)]
    assert_rows(db.assoc(region=f"{chrom}:{lo:,}-{hi:,}"), exp,
                ["tissue", "modality", "phenotype_id", "variant_id"])
    with pytest.raises(QueryError, match="gene, a variant or a region"):
        db.assoc()


def test_gene_lookup_bounds_the_pair_scan(db, src):
    """A gene lookup binds the gene's chromosome and cis window (gene body +- 1 Mb)."""
    gene = egene_gene(src)
    ann = src.genes.set_index("geneId").loc[gene]
    p = db.filters("v4", gene=gene)
    assert p["gene_ids"] == [gene] and p["chroms"] == [ann.chromosome]
    assert p["pos_min"] == max(1, ann.start - 1_000_000)
    assert p["pos_max"] == ann.end + 1_000_000
    # every significant pair of the gene lies in that window (so the bound loses nothing)
    pairs = src.signif[src.signif.gene_id == gene]
    assert pairs.pos.between(p["pos_min"], p["pos_max"]).all()
    # trans pairs are far from the gene: no window there
    assert db.filters("v4", gene=gene, gene_window=False)["chroms"] is None


@pytest.mark.parametrize("unit", ["tpm", "log2"])
def test_expression_distribution_and_samples(db, src, unit):
    gene = egene_gene(src)
    rows = []
    for t in src.tissues:
        values = expression_matrix(src, t, unit).loc[gene].astype(float)
        rows.append({"gene_id": gene, "tissue": t, "unit": unit, "n": values.notna().sum(),
                     "min": values.min(), "q1": values.quantile(0.25),
                     "median": values.median(), "mean": values.mean(),
                     "q3": values.quantile(0.75), "max": values.max()})
    assert_rows(db.expression(gene, unit=unit), pd.DataFrame(rows), ["tissue"])
    got = db.expression(gene, tissue="BLA", unit=unit, samples=True)
    values = expression_matrix(src, "BLA", unit).loc[gene].astype(float)
    exp = pd.DataFrame({"rat_id": values.index, "value": values.values})
    assert_rows(got, exp, ["rat_id"])
    assert got["rat_id"].to_list() == sorted(src.rat_ids["BLA"])
    with pytest.raises(QueryError, match="unit"):
        db.expression(gene, unit="fpkm")


def test_top_expressed(db, src):
    chrom = src.genes.set_index("geneId").chromosome
    med = src.median[src.median.tissue == "BLA"].dropna(subset=["median"]).copy()
    med["chrom"] = med.geneId.map(chrom)
    med = med.sort_values(["median", "geneId"], ascending=[False, True])
    got = db.top_expressed("BLA", n=10)
    assert got["gene_id"].to_list() == med.geneId.head(10).to_list()
    assert got["rank"].to_list() == list(range(1, 11))
    assert got["mt_gene"].to_list() == (med.chrom.head(10) == "chrM").to_list()
    no_mt = med[med.chrom != "chrM"]
    got = db.top_expressed("bla", n=5, exclude_mt=True)
    assert got["gene_id"].to_list() == no_mt.geneId.head(5).to_list()
    assert not got["mt_gene"].any()
    # the release's own topExpressedGene table agrees (its first rows, mtGene kept)
    rel = read_tsv(src.root / "expr" / "topExpressedGene.v4.tsv")
    rel = rel[rel.tissueSiteDetailId == "BLA"]
    assert db.top_expressed("BLA", n=len(rel))["gene_id"].to_list() == rel.geneId.to_list()


def _top_of(src: SimpleNamespace, modality: str) -> pd.DataFrame:
    if modality == "expression":
        return src.top
    return src.xtop[src.xtop.modality == modality]


@pytest.mark.parametrize("modality", ["expression", "splicing"])
def test_sharing_pairs(db, src, modality):
    top = _top_of(src, modality).assign(egene=lambda d: d.qval < 0.05)
    got = db.sharing(modality).to_pandas().set_index(["tissue1", "tissue2"])
    assert len(got) == len(src.tissues) * (len(src.tissues) - 1)
    for t1 in src.tissues:
        for t2 in src.tissues:
            if t1 == t2:
                continue
            a = top[top.tissue == t1].set_index("gene_id")
            b = top[top.tissue == t2].set_index("gene_id")
            both = a.index.intersection(b.index)
            a2, b2 = a.loc[both], b.loc[both]
            shared = both[a2.egene.values & b2.egene.values]
            r = got.loc[(t1, t2)]
            assert r.modality == modality
            assert r.egenes1 == a.egene.sum() and r.egenes2 == b.egene.sum()
            assert r.tested_both == len(both)
            assert r.shared_egenes == len(shared)
            union = a.egene.sum() + b.egene.sum() - len(shared)  # of the whole eGene sets
            assert r.jaccard == pytest.approx(len(shared) / union)
            assert r.same_top_variant == (a.loc[shared].variant_id
                                          == b.loc[shared].variant_id).sum()
            same = (np.sign(a.loc[shared].slope) == np.sign(b.loc[shared].slope)).mean()
            assert r.sign_concordance == pytest.approx(same)


@pytest.mark.parametrize("modality", ["expression", "isoforms"])
def test_specific(db, src, modality):
    top = _top_of(src, modality)
    for t in src.tissues:
        mine = top[(top.tissue == t) & (top.qval < 0.05)]
        others = top[top.tissue != t]
        expected = []
        for g in mine.gene_id:
            o = others[others.gene_id == g]
            if (o.qval.fillna(1) >= 0.05).all():  # tested nowhere else counts too
                expected.append(g)
        got = db.specific(t, modality)
        assert sorted(got["gene_id"]) == sorted(expected), t
        assert (got["qval"] < 0.05).all()


def test_trans(db, src):
    assert_rows(db.trans(), src.trans, ["tissue", "variant_id", "phenotype_id"])
    g = src.trans.gene_id.iloc[0]
    assert_rows(db.trans(gene=g), src.trans[src.trans.gene_id == g],
                ["tissue", "variant_id"])
    cut = float(src.trans.pval.median())
    exp = src.trans[(src.trans.pval <= cut) & (src.trans.tissue == "NAcc")]
    assert_rows(db.trans(tissue="NAcc", max_pval=cut), exp, ["variant_id", "phenotype_id"])
    v = src.trans.variant_id.iloc[0]
    assert_rows(db.trans(variant=v), src.trans[src.trans.variant_id == v],
                ["tissue", "phenotype_id"])


def test_variant_every_association(db, src):
    """One 'variant' row with alleles, then eqtl, xqtl, cis and trans rows of the variant."""
    lead = src.indep.variant_id.iloc[0]
    in_trans_and_cis = sorted(set(src.trans.variant_id) & set(src.signif.variant_id))
    vs = [*in_trans_and_cis[:1], lead]
    got = db.variant([x.removeprefix("chr") for x in vs]).to_pandas()
    for x in dict.fromkeys(vs):
        rows = got[got.variant_id == x]
        counts = rows.source.value_counts().to_dict()
        exp = {"variant": 1,
               "eqtl": (src.indep.variant_id == x).sum(),
               "xqtl": ((src.xindep.variant_id == x) & (src.xindep.modality != "expression")
                        ).sum(),
               "cis": (src.signif.variant_id == x).sum(),
               "trans": (src.trans.variant_id == x).sum()}
        assert counts == {k: n for k, n in exp.items() if n}, x
        alleles = pd.concat([src.top, src.indep, src.xtop, src.xindep])
        alleles = alleles[alleles.variant_id == x][["ref", "alt"]].dropna().drop_duplicates()
        if len(alleles):
            assert (rows.ref == alleles.ref.iloc[0]).all()
            assert (rows.alt == alleles.alt.iloc[0]).all()
        cis = rows[rows.source == "cis"]
        exp_cis = src.signif[src.signif.variant_id == x]
        assert sorted(cis.pval_nominal) == pytest.approx(sorted(exp_cis.pval_nominal))
    with pytest.raises(QueryError, match="bad variant id"):
        db.variant("rs123")


def test_region(db, src):
    v = src.indep.variant_id.iloc[0]
    chrom, pos = v.split(":")
    lo, hi = int(pos) - 300_000, int(pos) + 300_000
    got = db.region(f"{chrom}:{lo}-{hi}").to_pandas()
    g = src.genes
    genes = g[(g.chromosome == chrom) & (g.start <= hi) & (g.end >= lo)].geneId
    assert sorted(got[got.source == "gene"].gene_id) == sorted(genes)
    ind = split_variant(src.indep)
    n_eqtl = ((ind.chrom == chrom) & ind.pos.between(lo, hi)).sum()
    xi = src.xindep[src.xindep.modality != "expression"]
    n_xqtl = ((xi.chrom == chrom) & xi.pos.between(lo, hi)).sum()
    assert (got.source == "eqtl").sum() == n_eqtl > 0
    assert (got.source == "xqtl").sum() == n_xqtl
    assert list(dict.fromkeys(got.source)) == [s for s in ("gene", "eqtl", "xqtl")
                                               if (got.source == s).any()]
    # 1-based inclusive: a region of exactly the variant's position holds it
    one = db.region(f"{chrom}:{pos}-{pos}")
    assert v in one["variant_id"].to_list()
    with pytest.raises(QueryError, match="bad region"):
        db.region("chr1:200-100")


# -- input handling and safety ------------------------------------------------------------------


def test_unknown_gene_suggests_close_ids(db, src):
    gene = egene_gene(src)
    with pytest.raises(UnknownGene) as info:
        db.eqtls(gene=gene[:-1] + "#")
    assert gene in info.value.suggestions and len(info.value.suggestions) <= 5
    assert "did you mean" in str(info.value)


def test_unknown_tissue_and_modality(db):
    with pytest.raises(QueryError, match="unknown tissue 'Kidney'.*BLA"):
        db.eqtls(tissue="Kidney")
    with pytest.raises(QueryError, match="unknown modality"):
        db.xqtls(modality="methylation")


@pytest.mark.parametrize("evil", ["x'; DROP VIEW genes; --", "a\"b", "';SELECT 1;--",
                                  "Robert'); DELETE FROM ingested_files;--"])
def test_parameters_are_bound_not_formatted(db, evil):
    """Quotes and semicolons in inputs are data: an unknown gene, not SQL."""
    with pytest.raises(UnknownGene):
        db.gene(evil)
    with pytest.raises(QueryError, match="unknown tissue"):
        db.eqtls(tissue=evil)
    with pytest.raises(QueryError, match="bad"):
        db.assoc(variant=evil)
    assert db.sql("SELECT count(*) AS n FROM genes")["n"][0] > 0


def test_many_genes_are_one_query(db, src, monkeypatch):
    """All genes at once: resolution, tissues and the query itself, never a loop per gene."""
    calls = []
    real = queries.execute
    monkeypatch.setattr(queries, "execute",
                        lambda con, name, *a, **k: calls.append(name) or real(con, name, *a, **k))
    genes = list(src.genes.geneId) * 10  # a thousand names, duplicates included
    assert len(genes) >= 1000
    got = db.eqtls(gene=[g.upper() for g in genes[:5]] + genes, tissue="BLA")
    # exact ids first (one cheap query), then the QTL tables' exact ids for the names the
    # gene table lacks; upper-cased names need the full resolver (one more)
    assert calls == ["exact_genes", "exact_qtl_genes", "resolve_genes", "known_tissues",
                     "eqtls"]
    assert got.height == (src.indep.tissue == "BLA").sum()


def test_limit_is_applied_in_sql(db, src):
    full = db.assoc(gene=egene_gene(src))
    part = db.assoc(gene=egene_gene(src), limit=7)
    assert part.height == 7 and part.equals(full.head(7))


def test_version_defaults_to_newest_and_unknown_version_is_an_error(db):
    """A version that is not ingested is refused (an empty answer would read as "none")."""
    assert db.version == "v4"
    assert db.eqtls(version="v4").height > 0
    assert db.eqtls(version="V4").equals(db.eqtls(version="v4"))  # choices: any case
    assert db.resolve_version("V4") == "v4"  # what the plots use
    with pytest.raises(ConfigError, match="version 'v3' is not ingested.*ingested: v4"):
        db.tissues(version="v3")


def test_methods_carry_the_sql_documentation():
    assert "SQL ``eqtls.sql``" in ratgtex_db.Database.eqtls.__doc__
    assert "eqtls_indep" in ratgtex_db.Database.eqtls.__doc__


# -- the loader ---------------------------------------------------------------------------------


def test_every_shipped_query_has_a_documented_header():
    qs = sqlfiles.load()
    commands = {"tissues", "gene", "eqtls", "xqtls", "assoc", "expression", "top_expressed",
                "sharing", "specific", "trans", "variant", "region"}
    assert commands <= set(qs)
    for name in commands:
        q = qs[name]
        assert q.path.name == f"{name}.sql" and q.line == 1
        assert q.summary and "Returns:" in q.doc and "Parameters:" in q.doc
        assert "version" in q.params


def test_loader_errors_name_file_and_line(tmp_path):
    cases = {
        "nohead.sql": ("SELECT 1\n", "nohead.sql:1: a query file must open"),
        "empty.sql": ("-- name: empty\n-- nothing here\n", "empty.sql:1: empty SQL"),
        "undoc.sql": ("-- name: a\n-- doc\nSELECT 1\n\n-- name: b\n-- Parameters:\n"
                      "--   $x  a thing\nSELECT $x, $y\n", "undoc.sql:5: query 'b' uses $y"),
        "unused.sql": ("-- name: u\n-- Parameters:\n--   $x  unused\nSELECT 1\n",
                       "unused.sql:1: query 'u' documents $x"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(QueryError, match=message.replace("$", r"\$")):
            sqlfiles.parse(text, tmp_path / name)
    d = tmp_path / "dup"
    d.mkdir()
    (d / "a.sql").write_text("-- name: q\nSELECT 1\n")
    (d / "b.sql").write_text("-- name: q\nSELECT 2\n")
    with pytest.raises(QueryError, match=r"b\.sql:1: query 'q' is already defined at .*a\.sql:1"):
        sqlfiles.load(d)


def test_parameters_in_strings_and_comments_are_not_parameters(tmp_path):
    (q,) = sqlfiles.parse("-- name: s\n-- Parameters:\n--   $a  a\n"
                         "SELECT '$notme', $a -- $nor_me\n", tmp_path / "s.sql")
    assert q.params == ("a",) and q.body_line == 4


def test_runtime_error_points_at_the_sql_line(db, monkeypatch, tmp_path):
    f = tmp_path / "broken.sql"
    f.write_text("-- name: broken\n-- doc\nSELECT\n  no_such_column\nFROM genes\n")
    (tmp_path / "syntax.sql").write_text("-- name: syntax\n-- doc\n\nSELECT 1\nFROM FROM\n")
    monkeypatch.setattr(sqlfiles, "shipped", lambda: sqlfiles.load(tmp_path))
    with pytest.raises(QueryError, match=r"broken\.sql:4: query 'broken' failed"):
        queries.execute(db.connection, "broken", {}).rows()
    with pytest.raises(QueryError, match=r"broken\.sql:4: query 'broken' failed"):
        _ = queries.execute(db.connection, "broken", {}).columns  # bound without a run
    with pytest.raises(QueryError, match=r"syntax\.sql:5: query 'syntax' failed"):
        queries.execute(db.connection, "syntax", {}).rows()


@pytest.mark.parametrize("text,expected", [
    ("chr1:793394", ("chr1:793394", "chr1", 793394)),
    ("1:793394", ("chr1:793394", "chr1", 793394)),
    ("CHR10_100826333", ("chr10:100826333", "chr10", 100826333)),
])
def test_parse_variant(text, expected):
    assert inputs.parse_variant(text) == expected


@pytest.mark.parametrize("text", ["chr1", "chr1:0", "chr1:12a", "rs1", "chr1:1-2"])
def test_parse_variant_rejects(text):
    with pytest.raises(QueryError, match="bad variant id"):
        inputs.parse_variant(text)


def test_parse_region():
    assert inputs.parse_region("chr1:1,000,000-2,000,000") == inputs.Region("chr1", 1_000_000,
                                                                              2_000_000)
    assert inputs.parse_region("5:10-10") == inputs.Region("chr5", 10, 10)
    assert inputs.parse_region("chrX").start == 1
    for bad in ("chr1:10", "chr1:0-5", "chr1:9-2", "chr1:a-b", "foo"):
        with pytest.raises(QueryError, match="bad region"):
            inputs.parse_region(bad)


def test_results_pickle_and_a_closed_database_says_so(tiny_db):
    """Results cross process boundaries (multiprocessing, joblib) as themselves; a closed
    Database answers every call with one clear error."""
    import pickle

    from ratgtex_db.errors import ConfigError

    with ratgtex_db.open(tiny_db) as d:
        got = d.sql("SELECT * FROM eqtls_indep ORDER BY ALL LIMIT 3")
        back = pickle.loads(pickle.dumps(got))
        assert type(back) is type(got) and back.equals(got) and back.arrow().num_rows == 3
    for call in (lambda: d.sql("SELECT 1"), lambda: d.eqtls(), lambda: d.connection):
        with pytest.raises(ConfigError, match="is closed"):
            call()
