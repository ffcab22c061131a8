"""Synthetic study data archives (release-format 10): ``synth --study GROUP``.

A small writer of the four groups' files, written from section 10 of the release-format
document, not from the registry the readers use (file names, headers and conventions are
spelled out here again on purpose): a reader that only agrees with itself is not tested by it.
Files go to ``OUT/studies/{group}/``, the layout of the server's ``data/studies/``.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

#: Written at OUT so that ingest records the files as synthetic.
MARKER = "SYNTHETIC_RELEASE.txt"

NAR = "IL_LHb_NAcc_OFC_PL"
GROUPS = (NAR, "Eye", "Y_MT", "HPC_F2")
#: Region codes of the NAR library ids (``{rfid}_{region}``) per tissue label.
NAR_REGIONS = {"IL": "IL", "LHb": "LHB", "NAcc": "Acbc", "OFC": "VoLo", "PL": "PL"}
Y_MT_TISSUES = ("BLA", "Brain", "Eye", "IL", "LHb", "NAcc", "NAcc2", "OFC", "PL", "PL2")

TOP_ASSOC_NAR = ("tissue gene_id gene_name tss num_var variant_id chrom pos ref alt af "
                 "pval_nominal slope slope_se pval_beta qval pval_nominal_threshold log2_aFC")
EQTLS_INDEP_NAR = ("tissue gene_id gene_name tss num_var variant_id chrom pos ref alt af "
                   "pval_nominal slope slope_se pval_beta rank log2_aFC")
SPLICE_TOP = ("tissue phenotype_id num_var variant_id chrom pos tss af pval_nominal slope "
              "slope_se pval_beta group_id group_size qval pval_nominal_threshold")
SPLICE_INDEP = ("tissue phenotype_id num_var variant_id chrom pos tss af pval_nominal slope "
                "slope_se pval_beta group_id group_size rank")
CIS = ("phenotype_id num_var beta_shape1 beta_shape2 true_df pval_true_df variant_id "
       "tss_distance ma_samples ma_count af pval_nominal slope slope_se pval_perm pval_beta "
       "qval pval_nominal_threshold")
CIS_INDEP = ("phenotype_id num_var beta_shape1 beta_shape2 true_df pval_true_df variant_id "
             "tss_distance ma_samples ma_count af pval_nominal slope slope_se pval_perm "
             "pval_beta rank")
SIGNIF = ("phenotype_id variant_id tss_distance af ma_samples ma_count pval_nominal slope "
          "slope_se pval_nominal_threshold")
TOP_ANNOTATED = ("gene_id gene_name num_var variant_id chrom pos ref alt af tss_distance "
                 "pval_nominal slope slope_se pval_beta qval pval_nominal_threshold log2_aFC")
F2_INDEP = ("gene_id gene_name num_var variant_id chrom pos ref alt af tss_distance "
            "pval_nominal slope slope_se pval_beta rank log2_aFC_alt_ref log2_aFC_bLR_bHR "
            "upregulated_in")
COLOCS = "gene_id gene_name variant_id z_eQTL trait z_GWAS T_SMR p_SMR"
AFC = "pid sid sid_chr sid_pos log2_aFC log2_aFC_lower log2_aFC_upper"
ASE = "tissue gene_id variant_id log2_aFC_ASE"


def _g(x: float) -> str:
    """tensorQTL's ``%.6g``."""
    return f"{x:.6g}"


class _Study:
    def __init__(self, root: Path, group: str, seed: int, genes: int, rats: int) -> None:
        self.root, self.group = root, group
        self.rng = random.Random(f"{group}:{seed}")
        rng = self.rng
        self.rats = [f"{rng.randrange(16 ** 10):010X}" for _ in range(rats)]
        self.genes = []
        for i in range(genes):
            chrom = str(1 + i % 3)
            tss = 10_000 * (i + 1) + rng.randrange(1000)
            self.genes.append((f"ENSRNOG{50000000 + i:011d}", f"Gene{i}", chrom, tss,
                               rng.choice("+-")))
        self.variants = [(g[2], g[3] + rng.randrange(-5000, 5000)) for g in self.genes]

    def write(self, name: str, lines: list[str], *, gz: bool = False) -> None:
        data = "".join(line + "\n" for line in lines).encode()
        path = self.root / name
        path.write_bytes(gzip.compress(data, mtime=0) if gz else data)

    def table(self, name: str, header: str, rows: list[list[str]], *, gz: bool = False,
              sep: str = "\t") -> None:
        self.write(name, [sep.join(header.split())] + [sep.join(r) for r in rows], gz=gz)

    def vcf(self, name: str, *, phased: bool) -> None:
        sep = "|" if phased else "/"
        lines = ["##fileformat=VCFv4.2",
                 '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">']
        if phased:
            lines += ['##INFO=<ID=AC,Number=A,Type=Integer,Description="Allele count">',
                      '##INFO=<ID=AN,Number=1,Type=Integer,Description="Allele number">']
        lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO",
                                "FORMAT", *self.rats]))
        for chrom, pos in sorted(set(self.variants), key=lambda v: (int(v[0]), v[1])):
            calls = [(self.rng.randrange(2), self.rng.randrange(2)) for _ in self.rats]
            info = f"AC={sum(a + b for a, b in calls)};AN={2 * len(calls)}" if phased else "."
            lines.append("\t".join([chrom, str(pos), f"chr{chrom}:{pos}", "A", "G", ".", "PASS",
                                    info, "GT", *(f"{a}{sep}{b}" for a, b in calls)]))
        self.write(name, lines, gz=True)

    def bed(self, name: str, *, nar: bool, scale: float, extra_contigs: bool = False,
            samples: list[str] | None = None) -> None:
        samples = samples or self.rats
        rows = []
        for gid, _sym, chrom, tss, _strand in self.genes:
            start, end = (tss, tss + 1) if nar else (tss - 1, tss)
            rows.append([chrom, str(start), str(end), gid,
                         *(_g(self.rng.uniform(0, scale)) for _ in samples)])
        if extra_contigs:  # all contigs, sorted as strings
            rows.append(["MT", "14", "15", "ENSRNOG00000099901",
                         *(_g(self.rng.uniform(0, scale)) for _ in samples)])
            rows.append(["X", "900", "901", "ENSRNOG00000099902",
                         *(_g(self.rng.uniform(0, scale)) for _ in samples)])
            rows.sort(key=lambda r: (r[0], int(r[1])))
        else:  # chr 1..20 in numeric order
            rows.sort(key=lambda r: (int(r[0]), int(r[1])))
        self.table(name, "#chr start end gene_id " + " ".join(samples), rows, gz=True)

    def stats(self, i: int) -> dict[str, str]:
        rng = self.rng
        gid, sym, chrom, tss, strand = self.genes[i]
        vchrom, pos = self.variants[i]
        dist = pos - tss if strand == "+" else tss - pos
        p = 10 ** -rng.uniform(1, 12)
        return {"gene_id": gid, "gene_name": sym, "tss": str(tss), "num_var": str(1000 + i),
                "variant_id": f"chr{vchrom}:{pos}", "chrom": vchrom, "pos": str(pos),
                "ref": "A", "alt": "G", "af": _g(rng.uniform(0.05, 0.5)),
                "tss_distance": str(dist), "pval_nominal": _g(p),
                "slope": _g(rng.uniform(-1, 1)), "slope_se": _g(rng.uniform(0.05, 0.2)),
                "pval_beta": _g(min(1.0, p * 100)), "qval": _g(min(1.0, p * 1000)),
                "pval_nominal_threshold": _g(3e-5), "log2_aFC": _g(rng.uniform(-2, 2)),
                "beta_shape1": _g(1.05), "beta_shape2": _g(300.0), "true_df": _g(45.5),
                "pval_true_df": _g(p * 10), "ma_samples": str(len(self.rats) // 2),
                "ma_count": str(len(self.rats) // 2 + 1), "pval_perm": _g(min(1.0, p * 50)),
                "rank": "1", "group_id": gid, "group_size": "2",
                "phenotype_id": gid}

    def rows(self, header: str, overrides: dict[str, str] | None = None,
             genes: range | None = None) -> list[list[str]]:
        out = []
        for i in genes if genes is not None else range(len(self.genes)):
            s = self.stats(i) | (overrides or {})
            out.append([s[c] for c in header.split()])
        return out


def _nar(st: _Study) -> None:
    st.vcf("P50.rnaseq.88.unpruned.vcf.gz", phased=True)
    libs = [(rat, t) for rat in st.rats for t in NAR_REGIONS]
    extra = [f"extra_{i:02d}" for i in range(1, 25)]
    header = ["library", "rfid", "brain_region", "sequencing_batch", *extra, "QC_pass"]
    lines = [",".join(f'"{h}"' for h in header)]
    for n, (rat, t) in enumerate(libs):
        lib = f"{rat}_{NAR_REGIONS[t]}"
        vals = [f'"{lib}"', f'"{rat}"', f'"{NAR_REGIONS[t]}"', f'"batch{1 + n % 2}"',
                *(str(st.rng.randrange(100)) if j % 3 else "NA" for j in range(24)),
                '"pass"' if n % 7 else '"reject"']
        lines.append(",".join(vals))
    st.write("metadata_p50_hao_chen_2014.csv", lines)
    lib_ids = [f"{rat}_{NAR_REGIONS[t]}" for rat, t in libs]
    for name, fmt in (("ensembl-gene_raw-counts.txt", lambda: str(st.rng.randrange(5000))),
                      ("ensembl-gene_raw-tpm.txt", lambda: _g(st.rng.uniform(0, 300)))):
        st.write(name, ["\t".join(lib_ids)]
                 + ["\t".join([g[0], *(fmt() for _ in lib_ids)]) for g in st.genes])
    for tissue in NAR_REGIONS:
        st.bed(f"ensembl-gene_log2_{tissue}.bed.gz", nar=True, scale=12)
        st.bed(f"ensembl-gene_inv-quant_{tissue}.bed.gz", nar=True, scale=2)
    top, indep, ase, stop, sindep = [], [], [], [], []
    for tissue in NAR_REGIONS:
        top += st.rows(TOP_ASSOC_NAR, {"tissue": tissue})
        indep += st.rows(EQTLS_INDEP_NAR, {"tissue": tissue})
        ase += st.rows(ASE, {"tissue": tissue, "log2_aFC_ASE": _g(st.rng.uniform(-1, 1))})
        for row in st.rows(SPLICE_TOP, {"tissue": tissue}):
            stop.append(row)
        sindep += st.rows(SPLICE_INDEP, {"tissue": tissue})
    for rows in (stop, sindep):  # leafcutter ids: {chr}:{start}:{end}:clu_{n}_{strand}:{gene}
        for n, row in enumerate(rows):
            gid, chrom, tss = row[12], row[4], int(row[6])
            row[1] = f"{chrom}:{tss}:{tss + 400}:clu_{n + 1}_+:{gid}"
    st.table("top_assoc.txt", TOP_ASSOC_NAR, top)
    st.table("eqtls_indep.txt", EQTLS_INDEP_NAR, indep)
    st.table("ASE_aFC.txt", ASE, ase)
    st.table("top_assoc_splice.txt", SPLICE_TOP, stop)
    st.table("sqtls_indep.txt", SPLICE_INDEP, sindep)


def _eye(st: _Study) -> None:
    st.vcf("eyes.vcf.gz", phased=False)
    st.bed("Eye.expr.log2.bed.gz", nar=False, scale=12, extra_contigs=True)
    st.bed("Eye.expr.tpm.bed.gz", nar=False, scale=300, extra_contigs=True)
    st.bed("Eye.expr.iqn.bed.gz", nar=False, scale=2, extra_contigs=True)
    st.bed("Eye.expr.iqn.filtered.bed.gz", nar=False, scale=2)
    covs = [f"geno_PC{i}" for i in range(1, 6)] + [f"expr_PC{i}" for i in range(1, 21)]
    st.table("covar.txt", "ID " + " ".join(st.rats),
             [[c, *(_g(st.rng.uniform(-5, 5)) for _ in st.rats)] for c in covs])
    st.table("Eye.cis_qtl.txt.gz", CIS, st.rows(CIS), gz=True)
    st.table("Eye.cis_independent_qtl.txt.gz", CIS_INDEP, st.rows(CIS_INDEP), gz=True)
    st.table("Eye.cis_qtl_signif.txt.gz", SIGNIF, st.rows(SIGNIF), gz=True)
    afc = []
    for i, row in enumerate(st.rows("phenotype_id variant_id chrom pos log2_aFC")):
        gid, vid, chrom, pos, value = row
        bounds = ["nan", "nan", "nan"] if i == 0 else [repr(float(value)),
                                                       repr(float(value) - 0.5),
                                                       repr(float(value) + 0.5)]
        afc.append([gid, vid, chrom, pos, *bounds])
    st.table("Eye.aFC.txt", AFC, afc)
    top = st.rows(TOP_ANNOTATED)
    st.table("Eye.top_assoc.txt", TOP_ANNOTATED, top)
    no_q = [c for c in TOP_ANNOTATED.split() if c != "qval"]
    st.table("Eye.top_eQTLs.txt", " ".join(no_q), st.rows(" ".join(no_q)))


def _y_mt(st: _Study) -> None:
    for tissue in Y_MT_TISSUES:
        st.bed(f"{tissue}.rn7.expr.log2.bed.gz", nar=False, scale=12, extra_contigs=True)
    st.bed("Brain.rn7.expr.iqn.bed.gz", nar=False, scale=2, extra_contigs=True)
    st.bed("Brain.rn7.expr.tpm.bed.gz", nar=False, scale=300, extra_contigs=True)


def _hpc_f2(st: _Study) -> None:
    st.table("f2.top_assoc.txt", TOP_ANNOTATED, st.rows(TOP_ANNOTATED))
    rows = st.rows(F2_INDEP.replace("log2_aFC_alt_ref", "log2_aFC")
                   .replace("log2_aFC_bLR_bHR", "slope_se").replace("upregulated_in", "ref"))
    for row in rows:
        row[-1] = st.rng.choice(["bLR", "bHR", "equal"])
        row[-2] = _g(st.rng.uniform(-1, 1))
    st.table("f2.eqtls_indep.txt", F2_INDEP, rows)
    st.table("f2.cis_qtl_signif.txt.gz", SIGNIF, st.rows(SIGNIF), gz=True)
    colocs = []
    for i, g in enumerate(st.genes):
        for trait in ("body_weight", "tail_length"):
            p = st.rng.uniform(0, 0.01) if i == 0 else st.rng.uniform(0.05, 1)
            colocs.append([g[0], g[1], f"chr{st.variants[i][0]}:{st.variants[i][1]}",
                           _g(st.rng.uniform(-9, 9)), trait, _g(st.rng.uniform(-5, 5)),
                           _g(st.rng.uniform(0, 20)), _g(p)])
    colocs.append([st.genes[-1][0], "NA", f"chr{st.variants[-1][0]}:{st.variants[-1][1]}",
                   "1.5", "NA", "NA", "NA", "NA"])
    st.table("colocs.tsv", COLOCS, colocs)
    limit = 0.05 / len(st.genes)
    st.table("colocs_sig.tsv", COLOCS, [r for r in colocs if r[7] != "NA" and
                                        float(r[7]) < limit])


WRITERS = {NAR: _nar, "Eye": _eye, "Y_MT": _y_mt, "HPC_F2": _hpc_f2}


def synthesize_study(out: str | Path, group: str, *, seed: int = 1, genes: int = 6,
                     rats: int = 4) -> Path:
    """Write one study group's files into ``out/studies/{group}/``; returns that folder."""
    if group not in WRITERS:
        raise ValueError(f"unknown study group {group!r}; choose {', '.join(GROUPS)}")
    root = Path(out) / "studies" / group
    root.mkdir(parents=True, exist_ok=True)
    (Path(out) / MARKER).write_text("SYNTHETIC study data archive written by ratgtex-db synth "
                                    "--study (not real data)\n")
    WRITERS[group](_Study(root, group, seed, genes, rats))
    return root
