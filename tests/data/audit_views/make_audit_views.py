"""Writes tests/data/audit_views/data/v4 (the release tree of tests/test_audit_views.py).

Every row below is typed by hand from release-format.md section 3 (never from synth*.py); the
script only joins fields with tabs and compresses (BGZF, plain and multi-member gzip, zip) so that
each file has exactly its documented name and encoding. Run: python make_audit_views.py
"""
import gzip
import io
import shutil
import struct
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent
V4 = ROOT / "data" / "v4"

def T(*rows):
    return "".join("\t".join(r) + "\n" for r in rows)

def bgzf_block(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp = c.compress(data) + c.flush()
    header = (b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff" + struct.pack("<H", 6) + b"BC"
              + struct.pack("<H", 2) + struct.pack("<H", len(comp) + 25))
    return header + comp + struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data))

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")

def bgzf(text: str, split_at: int | None = None) -> bytes:
    data = text.encode()
    if split_at is None:
        return bgzf_block(data) + BGZF_EOF
    return bgzf_block(data[:split_at]) + bgzf_block(data[split_at:]) + BGZF_EOF

def gz(text: str) -> bytes:
    return gzip.compress(text.encode(), mtime=0)

def gz_multi(text: str, at: int) -> bytes:  # two plain gzip members (valid multi-member gzip)
    d = text.encode()
    return gzip.compress(d[:at], mtime=0) + gzip.compress(d[at:], mtime=0)

def zipped(members: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=(2025, 12, 5, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text)
    return buf.getvalue()

FILES: dict[str, bytes | str] = {}

# ---------------------------------------------------------------- 3.1 gene.v4.tsv
# flag blocks in locale-sorted tissue order (pVTA before RMTg), addressed by name
LOC_ORDER = ["Adipose", "BLA", "Brain", "Eye", "IC", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
             "pVTA", "RMTg"]
EXPR = {("Cd300lf", "BLA"), ("Cd300lf", "pVTA"), ("Eno1", "pVTA"), ("Mt-co1", "pVTA"),
        ("Xist", "BLA")}
TESTED = {("Cd300lf", "BLA"), ("Cd300lf", "NAcc"), ("Cd300lf", "pVTA"), ("Eno1", "NAcc"),
          ("Eno1", "pVTA")}
EQTL = {("Cd300lf", "BLA"), ("Cd300lf", "pVTA")}
GENES = [  # GTF order
    ("Eno1", "chr5", "1000", "5000", "+", "1000", "enolase 1, (alpha)", "False"),
    ("LOC120093067", "chr1", "200", "900", "+", "200", "", "True"),
    ("Cd300lf", "chr10", "100862000", "100870000", "-", "100870000",
     "CD300 molecule-like family member f", "True"),
    ("Xist", "chrX", "300", "800", "-", "800", "X inactive specific transcript", "False"),
    ("Mt-co1", "chrM", "5000", "6500", "+", "5000", "cytochrome c oxidase I, mitochondrial",
     "False"),
    ("Nt5c1a", "chr5", "3000000", "3010000", "-", "3010000", "5'-nucleotidase, cytosolic IA",
     "False"),
]
head = ["geneId", "chromosome", "start", "end", "strand", "tss", "description", "hasEqtl"]
head += [f"expr_{t}" for t in LOC_ORDER] + [f"testedEqtl_{t}" for t in LOC_ORDER]
head += [f"eqtl_{t}" for t in LOC_ORDER]
rows = [head]
for g in GENES:
    flags = [str((g[0], t) in s) for s in (EXPR, TESTED, EQTL) for t in LOC_ORDER]
    rows.append(list(g) + flags)
FILES["gene.v4.tsv"] = T(*rows)

# ---------------------------------------------------------------- 3.2 exon.v4.tsv (pandas)
FILES["exon.v4.tsv"] = T(
    ["chromosome", "end", "exonId", "exonNumber", "featureType", "geneId", "start", "strand",
     "transcriptId"],
    ["chr5", "2000", "Eno1_1", "1", "exon", "Eno1", "1000", "+", "Eno1"],
    ["chr10", "100870000", "Cd300lf_1", "1", "exon", "Cd300lf", "100869000", "-", "Cd300lf"],
    ["chr10", "100865000", "Cd300lf_2", "2", "exon", "Cd300lf", "100862000", "-", "Cd300lf"],
    ["chrM", "6500", "Mt-co1_1", "1", "exon", "Mt-co1", "5000", "+", "Mt-co1"],
)

# ---------------------------------------------------------------- 3.3 tissue_info (readr)
FILES["tissue_info.v4.tsv"] = T(
    ["tissueSiteDetailId", "tissueSiteDetailAbbr", "tissueSiteDetail", "tissueSite", "colorHex",
     "colorRgb", "dataset", "rnaSeqSampleCount", "rnaSeqAndGenotypeSampleCount",
     "expressedGeneCount", "eGeneCount", "datasetId", "hasEGenes"],
    ["BLA", "BLA", "Basolateral amygdala", "Brain", "377eb8", "55,126,184",
     "ratgtex_v4_round11_2", "2", "2", "2", "1", "ratgtex_v4", "True"],
    ["NAcc", "NAcc", "Nucleus accumbens core", "Brain", "1e5000", "30,80,0",
     "ratgtex_v4_round11_2", "570", "570", "24107", "NA", "ratgtex_v4", "True"],
    ["pVTA", "pVTA", "Posterior ventral tegmental area", "Brain", "007700", "0,119,0",
     "ratgtex_v4_round11_2", "3", "3", "3", "1", "ratgtex_v4", "True"],
)

FILES["autocomplete.v4.json"] = '["Cd300lf","Eno1","LOC120093067","Mt-co1","Xist"]'

# ---------------------------------------------------------------- 3.11 rats / samples
FILES["ref/RatGTEx_rats.v4.tsv"] = T(
    ["rat_id", "sex", "coatcolor", "tissues"],
    ["0007789E12", "NA", "NA", "pVTA1"],
    ["00077E67B5", "F", "BLACKHOOD", "NAcc1, pVTA2"],
    ["933000320045751", "M", "BROWNHOOD", "BLA, pVTA2"],
    ["933000320046002", "M", "NA", "BLA"],
)
FILES["ref/RatGTEx_samples.v4.tsv"] = T(
    ["tissue", "rat_id", "GEO_accession", "BioSample_accession", "SRA_accession"],
    ["BLA", "933000320045751", "NA", "NA", "NA"],
    ["BLA", "933000320046002", "NA", "NA", "NA"],
    ["NAcc1", "00077E67B5", "GSM5123456", "SAMN17123456", "SRX10123456"],
    ["pVTA1", "0007789E12", "NA", "NA", "NA"],
    ["pVTA2", "00077E67B5", "NA", "NA", "NA"],
    ["pVTA2", "933000320045751", "NA", "NA", "NA"],
)
FILES["ref/rats.v4.html"] = ("<table><tr><th>rat_id</th><th>sex</th></tr>"
                             "<tr><td>00077E67B5</td><td>F</td></tr></table>\n")
FILES["ref/samples.v4.html"] = ("<table><tr><th>tissue</th><th>rat_id</th></tr>"
                                "<tr><td>pVTA2</td><td>00077E67B5</td></tr></table>\n")

# ---------------------------------------------------------------- 3.10 rat_ids / fastq_map
FILES["rat_ids/rat_ids.pVTA.v4.txt"] = "0007789E12\n00077E67B5\n933000320045751\n"
FILES["rat_ids/rat_ids.BLA.v4.txt"] = "933000320045751\n933000320046002\n"
FILES["fastq_map/fastq_map.pVTA.v4.txt"] = T(
    ["pVTA1/0007789E12_R1.fastq.gz", "pVTA1/0007789E12_R2.fastq.gz", "0007789E12"],
    ["pVTA1/0007789E12_L2_R1.fastq.gz", "pVTA1/0007789E12_L2_R2.fastq.gz", "0007789E12"],
    ["pVTA2/00077E67B5.fastq.gz", "00077E67B5"],
    ["pVTA2/0000000E01.fastq.gz", "0000000E01"],
    ["pVTA2/933000320045751.fastq.gz", "933000320045751"],
)

# ---------------------------------------------------------------- 3.9 covariates (write.table)
PV = ["0007789E12", "00077E67B5", "933000320045751"]
BL = ["933000320045751", "933000320046002"]
FILES["covar/covar.pVTA.splicing.v4.tsv"] = T(
    ["ID", *PV],
    ["geno_PC1", "0.1", "-0.2", "1e-06"],
    ["geno_PC2", "-0.5", "0.25", "0"],
    ["pheno_PC1", "-1.2e-05", "12.345678", "-3"],
    ["pheno_PC2", "1e+05", "-1", "-1"],
)
FILES["covar/covar.pVTA.cross_modality.v4.tsv"] = T(
    ["ID", *PV],
    ["geno_PC1", "0.1", "-0.2", "1e-06"],
    ["pheno_PC1", "5e-04", "-0.333333", "0.333333"],
)
FILES["covar/covar.BLA.expression.v4.tsv"] = T(
    ["ID", *BL],
    ["geno_PC1", "0.707107", "-0.707107"],
    ["pheno_PC1", "1", "-1"],
)

# ---------------------------------------------------------------- 3.5 / 3.6 BEDs (pandas %g)
BH = ["#chr", "start", "end", "phenotype_id"]
pv_expr_unnorm = T(
    [*BH, *PV],
    ["chr1", "199", "200", "LOC120093067", "0", "0.001", "1e-05"],
    ["chr10", "100869999", "100870000", "Cd300lf", "2500", "3000", "3500"],
    ["chr5", "999", "1000", "Eno1", "1234.57", "1e+03", "2e+03"],
    ["chrM", "4999", "5000", "Mt-co1", "25000", "2.5e+04", "30000"],
    ["chrX", "799", "800", "Xist", "0", "0", "0"],
)
FILES["phenos/phenos.pVTA.expression.unnorm.v4_rn8.bed.gz"] = bgzf(pv_expr_unnorm, 120)
FILES["expr/expr.tpm.pVTA.v4_rn8.bed.gz"] = (
    FILES["phenos/phenos.pVTA.expression.unnorm.v4_rn8.bed.gz"])
FILES["expr/expr.log2.pVTA.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr1", "199", "200", "LOC120093067", "0", "1", "1.58496"],
    ["chr10", "100869999", "100870000", "Cd300lf", "11.2881", "11.5507", "11.7731"],
    ["chr5", "999", "1000", "Eno1", "10.2708", "9.96722", "1e+01"],
    ["chrM", "4999", "5000", "Mt-co1", "14.6096", "14.6096", "14.8727"],
    ["chrX", "799", "800", "Xist", "0", "0", "0"],
))
FILES["phenos/phenos.pVTA.expression.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", "Cd300lf", "-1.22474", "0", "1.22474"],
    ["chr5", "999", "1000", "Eno1", "0", "-1.22474", "1.22474"],
    ["chrM", "4999", "5000", "Mt-co1", "1.22474", "-1.22474", "0"],
))
FILES["phenos/phenos.pVTA.isoforms.unnorm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", "Cd300lf__NM_001100.1", "0.5", "0.25", ""],
    ["chr10", "100869999", "100870000", "Cd300lf__XM_006245678.3", "0.5", "0.75", ""],
    ["chr5", "999", "1000", "Eno1__XM_039012345.2", "1", "0", "0.5"],
))
FILES["phenos/phenos.pVTA.isoforms.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", "Cd300lf__NM_001100.1", "0.67449", "-0.67449", "0"],
    ["chr5", "999", "1000", "Eno1__XM_039012345.2", "1.22474", "-1.22474", "0"],
))
SP1 = "Cd300lf__chr10_100862967_100866541_clu_7827_-"
SP2 = "Cd300lf__chr10_100862967_100869000_clu_7827_-"
SP3 = "Cd300ld__chr10_100862967_100866541_clu_7827_-"  # same junction, overlapping gene
FILES["phenos/phenos.pVTA.splicing.unnorm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", SP1, "0.9", "0.1", "0.5"],
    ["chr10", "100869999", "100870000", SP2, "0.1", "0.9", "0.5"],
    ["chr10", "100879999", "100880000", SP3, "0.9", "0.1", "0.5"],
))
FILES["phenos/phenos.pVTA.splicing.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", SP1, "1.22474", "-1.22474", "0"],
    ["chr10", "100869999", "100870000", SP2, "-1.22474", "1.22474", "0"],
    ["chr10", "100879999", "100880000", SP3, "1.22474", "-1.22474", "0"],
))
TSS1 = "Eno1__grp_1_upstream_NM_001012345.1"
TSS2 = "Eno1__grp_2_upstream_XM_039012345.2"
FILES["phenos/phenos.pVTA.alt_TSS.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr5", "999", "1000", TSS1, "-0.67449", "0.67449", "0"],
    ["chr5", "999", "1000", TSS2, "0.67449", "-0.67449", "0"],
))
PA2 = "Eno1__grp_2_downstream_XM_039012345.2"
FILES["phenos/phenos.pVTA.alt_polyA.unnorm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr5", "999", "1000", PA2, "", "0.2", "0.8"],
))
FILES["phenos/phenos.pVTA.stability.unnorm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr10", "100869999", "100870000", "Cd300lf", "1.5", "", "2.5e-05"],
    ["chr5", "999", "1000", "Eno1", "0.5", "", "2.5"],
))
FILES["phenos/phenos.pVTA.stability.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *PV],
    ["chr5", "999", "1000", "Eno1", "-1.22474", "0", "1.22474"],
))
# BLA: TPM with no phenos expression unnorm -> ingested as unit tpm
FILES["expr/expr.tpm.BLA.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *BL],
    ["chr10", "100869999", "100870000", "Cd300lf", "10", "14.692"],
    ["chrX", "799", "800", "Xist", "7.5", "7.5"],
))
FILES["phenos/phenos.BLA.expression.norm.v4_rn8.bed.gz"] = bgzf(T(
    [*BH, *BL],
    ["chr10", "100869999", "100870000", "Cd300lf", "-0.67449", "0.67449"],
    ["chrX", "799", "800", "Xist", "0.67449", "-0.67449"],
))

# ---------------------------------------------------------------- 3.7 median (readr, NA)
TS = ["Adipose", "BLA", "Brain", "Eye", "IC", "IL", "LHb", "Liver", "NAcc", "OFC", "PL",
      "RMTg", "pVTA"]
def med(gene, **vals):
    return [gene] + [vals.get(t, "NA") for t in TS]
FILES["expr/medianGeneExpression.v4.tsv.gz"] = gz(T(
    ["geneId", *TS],
    med("Eno1", BLA="1e-3", pVTA="1234.568"),
    med("LOC120093067", pVTA="0.001"),
    med("Cd300lf", BLA="12.346", NAcc="0", pVTA="3e3"),
    med("Xist", BLA="7.5", pVTA="0"),
    med("Mt-co1", pVTA="2.5e4"),
))

# ---------------------------------------------------------------- 3.8 topExpressedGene
FILES["expr/topExpressedGene.v4.tsv"] = T(
    ["tissueSiteDetailId", "geneId", "median", "chromosome", "mtGene", "datasetId", "unit"],
    ["BLA", "Cd300lf", "12.346", "chr10", "False", "ratgtex_v4", "TPM"],
    ["BLA", "Xist", "7.5", "chrX", "False", "ratgtex_v4", "TPM"],
    ["pVTA", "Mt-co1", "2.5e4", "chrM", "True", "ratgtex_v4", "TPM"],
    ["pVTA", "Cd300lf", "3000.0", "chr10", "False", "ratgtex_v4", "TPM"],
    ["pVTA", "Eno1", "1234.568", "chr5", "False", "ratgtex_v4", "TPM"],
)

# ---------------------------------------------------------------- 3.13 eqtl (readr)
TOPH = ["tissue", "gene_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt", "af",
        "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
        "pval_nominal_threshold", "log2_aFC"]
FILES["eqtl/top_assoc.v4_rn8.tsv"] = T(
    TOPH,
    ["BLA", "Cd300lf", "2e3", "chr10:100000000", "chr10", "1e8", "A", "G", "0.25", "8.7e5",
     "1.2e-5", "-4.029971e-4", "0.1", "3.3e-5", "0.0499", "2.5e-5", "NA"],
    ["NAcc", "Cd300lf", "1500", "chr10:100880000", "chr10", "1.0088e8", "NA", "NA", "0.5",
     "-1e4", "1e-3", "0.2", "0.05", "2e-3", "0.05", "1e-4", "NaN"],
    ["NAcc", "Eno1", "987", "chr5:793394", "chr5", "793394", "C", "T", "1", "NA", "0.3", "0",
     "0.01", "0.9", "0.95", "1e-3", "Inf"],
    ["pVTA", "Cd300lf", "2000", "chr10:100860000", "chr10", "100860000", "G", "A", "0.166667",
     "1e4", "1e-300", "1.5", "0.25", "5e-324", "1.2e-10", "3.1e-4", "-0.8"],
    ["pVTA", "Eno1", "300", "chr5:1001", "chr5", "1001", "T", "C", "0.5", "1", "0.02", "0.1",
     "0.05", "0.4", "0.5", "1e-3", "-Inf"],
)
INDH = TOPH[:14] + ["rank", "log2_aFC"]
FILES["eqtl/eqtls_indep.v4_rn8.tsv"] = T(
    INDH,
    ["BLA", "Cd300lf", "2e3", "chr10:100000000", "chr10", "1e8", "A", "G", "0.25", "8.7e5",
     "1.2e-5", "-4.029971e-4", "0.1", "3.3e-05", "1", "NA"],
    ["pVTA", "Cd300lf", "2000", "chr10:100860000", "chr10", "100860000", "G", "A", "0.166667",
     "1e4", "1e-300", "1.5", "0.25", "4.94066e-324", "1", "-0.8"],
    ["pVTA", "Cd300lf", "2000", "chr10:100500000", "chr10", "100500000", "C", "G", "0.833333",
     "3.7e5", "2e-8", "-0.5", "0.1", "1.23457e-08", "2", "0.321"],
)

# ---------------------------------------------------------------- 3.14 xqtl (verbatim %.6g)
XH = ["tissue", "phenotype_id", "gene_id", "num_var", "variant_id", "chrom", "pos", "ref", "alt",
      "af", "tss_distance", "pval_nominal", "slope", "slope_se", "pval_beta", "qval",
      "pval_nominal_threshold"]
XIH = XH[:15] + ["rank"]
ISO1, ISO2, ENOISO = "Cd300lf__NM_001100.1", "Cd300lf__XM_006245678.3", "Eno1__XM_039012345.2"
X = {
    "expression": [
        ["BLA", "Cd300lf", "Cd300lf", "2000", "chr10:100000000", "chr10", "100000000", "A", "G",
         "0.25", "870000", "1.2e-05", "-0.000402997", "0.1", "3.3e-05", "0.0499", "2.5e-05"],
        ["pVTA", "Cd300lf", "Cd300lf", "2000", "chr10:100860000", "chr10", "100860000", "G",
         "A", "0.166667", "10000", "1e-300", "1.5", "0.25", "4.94066e-324", "1.2e-10",
         "0.00031"]],
    "isoforms": [
        ["pVTA", ISO1, "Cd300lf", "1999", "chr10:100860000", "chr10", "100860000", "G", "A",
         "0.166667", "10000", "1e-06", "0.7", "0.2", "2e-06", "0.01", "1e-05"],
        ["pVTA", ENOISO, "Eno1", "300", "chr5:1001", "chr5", "1001", "T", "C", "0.5", "1",
         "0.2", "0.1", "0.3", "0.25", "0.3", "0.001"]],
    "splicing": [
        ["pVTA", SP1, "Cd300lf", "2000", "chr10:100862967", "chr10", "100862967", "A", "C",
         "0.333333", "7033", "1e-07", "-1", "0.25", "3e-07", "0.001", "2e-05"]],
    "alt_TSS": [
        ["pVTA", TSS1, "Eno1", "300", "chr5:1001", "chr5", "1001", "T", "C", "0.5", "1",
         "0.001", "0.5", "0.2", "0.002", "0.04", "0.0015"]],
    "alt_polyA": [
        ["pVTA", PA2, "Eno1", "300", "chr5:1001", "chr5", "1001", "NA", "NA", "0.5", "1",
         "0.01", "0.4", "0.2", "0.02", "0.2", "0.001"]],
    "stability": [
        ["pVTA", "Eno1", "Eno1", "300", "chr5:1001", "chr5", "1001", "T", "C", "0.5", "1",
         "0.5", "1e+06", "2e+05", "0.6", "0.7", "0.001"]],
}
XI = {
    "expression": [
        ["BLA", "Cd300lf", "Cd300lf", "2000", "chr10:100000000", "chr10", "100000000", "A", "G",
         "0.25", "870000", "1.2e-05", "-0.000402997", "0.1", "3.3e-05", "1"],
        ["pVTA", "Cd300lf", "Cd300lf", "2000", "chr10:100860000", "chr10", "100860000", "G",
         "A", "0.166667", "10000", "1e-300", "1.5", "0.25", "4.94066e-324", "1"],
        ["pVTA", "Cd300lf", "Cd300lf", "2000", "chr10:100500000", "chr10", "100500000", "C",
         "G", "0.833333", "370000", "2e-08", "-0.5", "0.1", "1.23457e-08", "2"]],
    "isoforms": [
        ["pVTA", ISO1, "Cd300lf", "1999", "chr10:100860000", "chr10", "100860000", "G", "A",
         "0.166667", "10000", "1e-06", "0.7", "0.2", "2e-06", "1"],
        ["pVTA", ISO2, "Cd300lf", "1999", "chr10:100500000", "chr10", "100500000", "C", "G",
         "0.833333", "370000", "4e-06", "-0.3", "0.1", "8e-06", "2"]],
    "splicing": [
        ["pVTA", SP1, "Cd300lf", "2000", "chr10:100862967", "chr10", "100862967", "A", "C",
         "0.333333", "7033", "1e-07", "-1", "0.25", "3e-07", "1"]],
    "alt_TSS": [
        ["pVTA", TSS1, "Eno1", "300", "chr5:1001", "chr5", "1001", "T", "C", "0.5", "1",
         "0.001", "0.5", "0.2", "0.002", "1"]],
    "alt_polyA": [],   # no significant group: header-only
    "stability": [],
}
for m in X:
    FILES[f"xqtl/top_assoc.{m}.v4_rn8.tsv"] = T(XH, *X[m])
    FILES[f"xqtl/xqtls_indep.{m}.v4_rn8.tsv"] = T(XIH, *XI[m])
def cm(row, modality):
    return [row[0], modality, *row[1:]]
FILES["xqtl/top_assoc.cross_modality.v4_rn8.tsv"] = T(
    cm(XH, "modality"),
    cm(X["expression"][0], "expression"),
    cm(X["splicing"][0], "splicing"),
    cm(X["alt_TSS"][0], "alt_TSS"),
)
FILES["xqtl/xqtls_indep.cross_modality.v4_rn8.tsv"] = T(
    cm(XIH, "modality"),
    cm(XI["expression"][0], "expression"),
    cm(XI["splicing"][0], "splicing"),
    cm(XI["isoforms"][1], "isoforms"),
    cm(XI["alt_TSS"][0], "alt_TSS"),
)

# ---------------------------------------------------------------- 3.15 cis_qtl_signif
SH = ["phenotype_id", "variant_id", "tss_distance", "af", "ma_samples", "ma_count",
      "pval_nominal", "slope", "slope_se", "pval_nominal_threshold"]
sig_pvta_expr = T(
    SH,
    ["Cd300lf", "chr10:100500000", "370000", "0.833333", "1", "1", "2e-08", "-0.5", "0.1",
     "0.00031"],
    ["Cd300lf", "chr10:100860000", "10000", "0.166667", "1", "1", "1e-300", "1.5", "0.25",
     "0.00031"],
)
FILES["xqtl/cis_qtl_signif.pVTA.expression.v4_rn8.txt.gz"] = gz_multi(sig_pvta_expr, 150)
FILES["xqtl/cis_qtl_signif.BLA.expression.v4_rn8.txt.gz"] = gz(T(
    SH,
    ["LOC120093067", "chr1:793394", "793194", "0.75", "1", "1", "3e-06", "0.9", "0.2", "4e-06"],
    ["Cd300lf", "chr10:100000000", "870000", "0.25", "1", "1", "1.2e-05", "-0.000402997",
     "0.1", "2.5e-05"],
))
FILES["xqtl/cis_qtl_signif.pVTA.splicing.v4_rn8.txt.gz"] = gz(T(
    SH,
    [SP1, "chr10:100500000", "NA", "0.833333", "1", "1", "1.5e-05", "0.9", "0.3", "2e-05"],
    [SP2, "chr10:100500000", "3.7e5", "0.833333", "1", "1", "1.9e-05", "-0.8", "0.3",
     "2e-05"],
    [SP1, "chr10:100862967", "7033", "0.333333", "2", "2", "1e-07", "-1", "0.25", "2e-05"],
    [SP3, "chr10:100862967", "17033", "0.333333", "2", "2", "1e-07", "-1", "0.25", "3e-05"],
))
FILES["xqtl/cis_qtl_signif.pVTA.stability.v4_rn8.txt.gz"] = gz(T(SH))  # header only

# ---------------------------------------------------------------- 3.16 trans (pandas, NaN empty)
FILES["xqtl/trans_qtl_pairs.pVTA.expression.v4_rn8.txt.gz"] = gz(T(
    ["variant_id", "phenotype_id", "pval", "slope", "slope_se", "af"],
    ["chr1:793394", "Cd300lf", "9.87654e-06", "0.123457", "0.0234568", "0.166667"],
    ["chr2:5000000", "Cd300lf", "1e-12", "-1.5", "0.2", "0.5"],
    ["chr2:5000000", "Eno1", "3.2e-07", "2.5", "", "0.5"],
    ["chr3:7000000", "Eno1", "0", "inf", "-inf", "0.25"],
))

# ---------------------------------------------------------------- 3.17 / 3.18 zips
FILES["eqtl/all_gene_esnps.v4.zip"] = zipped({
    "all_gene_esnps.v4/Cd300lf.txt": T(
        ["variantId", "pValue", "nes", "chromosome", "pos", "tissueSiteDetailId"],
        ["chr10:100000000", "1.2e-05", "-0.000402997", "chr10", "100000000", "BLA"],
        ["chr10:100500000", "2e-08", "-0.5", "chr10", "100500000", "pVTA"],
        ["chr10:100860000", "1e-300", "1.5", "chr10", "100860000", "pVTA"]),
    "all_gene_esnps.v4/LOC120093067.txt": T(
        ["variantId", "pValue", "nes", "chromosome", "pos", "tissueSiteDetailId"],
        ["chr1:793394", "3e-06", "0.9", "chr1", "793394", "BLA"]),
})
FILES["cis_pvals/pVTA.v4.zip"] = zipped({
    "pVTA.v4/LOC120093067.txt": T(["variant_id", "pval_nominal"],
                                  ["chr1:793394", "1"], ["chr1:1000200", "0.0123457"]),
    "pVTA.v4/Cd300lf.txt": T(["variant_id", "pval_nominal"],
                             ["chr10:100000000", "0.5"], ["chr10:100500000", "2e-08"],
                             ["chr10:100860000", "1e-300"]),
})

# ---------------------------------------------------------------- 3.12 VCF (BGZF) + .tbi
VS = ["0000000E01", "0007789E12", "00077E67B5", "933000320045751", "933000320046002"]
vcf = ("##fileformat=VCFv4.2\n"
       '##FILTER=<ID=PASS,Description="All filters passed">\n'
       "##contig=<ID=chr1,length=260522016>\n##contig=<ID=chr5,length=173707219>\n"
       "##contig=<ID=chr10,length=107211142>\n"
       '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
       + T(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *VS],
           ["chr1", "793394", "chr1:793394", "A", "G", ".", ".", ".", "GT",
            "0/0", "0/1", "1/1", "./.", "0|1"],
           ["chr5", "1001", "chr5:1001", "T", "C", ".", ".", "AC=5;AN=8", "GT",
            "1|0", "0|0", "1|1", "0/1", "./."],
           ["chr10", "100000000", "chr10:100000000", "A", "G", ".", ".", ".", "GT",
            "0/0", "0/0", "0/0", "0/0", "1/1"],
           ["chr10", "100860000", "chr10:100860000", "G", "A", ".", ".", ".", "GT",
            "1/0", "0/1", "./.", "0|0", "0/0"]))
FILES["geno/ratgtex_v4_round11_2.rn8.vcf.gz"] = bgzf(vcf, 200)
names = b"chr1\0chr5\0chr10\0"
tbi = (b"TBI\x01" + struct.pack("<i", 3) + struct.pack("<6i", 2, 1, 2, 0, ord("#"), 0)
       + struct.pack("<i", len(names)) + names + struct.pack("<ii", 0, 0) * 3)
FILES["geno/ratgtex_v4_round11_2.rn8.vcf.gz.tbi"] = bgzf_block(tbi) + BGZF_EOF

if (ROOT / "data").exists():
    shutil.rmtree(ROOT / "data")
for rel, content in FILES.items():
    p = V4 / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(content.encode() if isinstance(content, str) else content)
print(len(FILES), "files")
