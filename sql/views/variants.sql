-- variants: Genotyped variants: id, chrom, pos, ref, alt (geno/{dataset}.{genome}.vcf.gz).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_variants
