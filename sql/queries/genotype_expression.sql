-- name: genotype_expression
-- Per rat: ALT dosage at a variant with the gene's normalized expression and TPM in a tissue.
--
-- The offline twin of the portal's per-variant boxplot (/dyneqtl): one row per rat of the
-- tissue (rat_ids), with its ALT allele dosage 0/1/2 at the variant (genotypes of the tissue's
-- dataset, tissue_datasets; NULL when the call is missing or the rat is not genotyped), the
-- gene's normalized expression (v4: phenotypes, expression modality, normalized; v1-v3: the
-- expression view's unit iqn) and TPM (expression view, unit tpm).
--
-- Returns: tissue, gene_id, variant_id, rat_id, dosage, normalized, tpm; ordered by rat_id.
-- Key: (tissue, gene_id, variant_id, rat_id).
-- Parameters:
--   $version     release version
--   $tissue      tissue id
--   $gene_id     resolved gene id
--   $variant_id  variant id chrN:pos
--   $chrom       the variant's chromosome
--   $pos         the variant's position
WITH rats AS (  -- the tissue's rats; study archives have no rat_ids: their BEDs' rats
    SELECT rat_id FROM rat_ids WHERE version = $version AND tissue = $tissue
    UNION
    SELECT rat_id FROM expression
    WHERE version = $version AND tissue = $tissue AND gene_id = $gene_id
      AND NOT EXISTS (SELECT 1 FROM rat_ids WHERE version = $version AND tissue = $tissue)
),
calls AS (  -- the tissue's genotype dataset only: a rat may be in two VCFs of a version
    SELECT rat_id, dosage FROM genotypes
    WHERE version = $version AND chrom = $chrom AND pos = $pos
      AND dataset IN (SELECT dataset FROM tissue_datasets
                      WHERE version = $version AND tissue = $tissue)
),
norm AS (  -- v4: the normalized expression phenotypes; v1-v3: the iqn expression BED
    SELECT rat_id, value AS normalized FROM phenotypes
    WHERE version = $version AND tissue = $tissue AND modality = 'expression' AND normalized
      AND phenotype_id = $gene_id
    UNION ALL
    SELECT rat_id, value FROM expression
    WHERE version = $version AND tissue = $tissue AND unit = 'iqn' AND gene_id = $gene_id
),
tpm AS (
    SELECT rat_id, value AS tpm FROM expression
    WHERE version = $version AND tissue = $tissue AND unit = 'tpm' AND gene_id = $gene_id
)
SELECT $tissue AS tissue, $gene_id AS gene_id, $variant_id AS variant_id, r.rat_id,
       c.dosage, n.normalized, t.tpm
FROM rats AS r
LEFT JOIN calls AS c USING (rat_id)
LEFT JOIN norm AS n USING (rat_id)
LEFT JOIN tpm AS t USING (rat_id)
ORDER BY r.rat_id

-- name: genotype_calls
-- Number of genotype calls (any rat, missing calls included) at a variant: 0 means the
-- variant is not in the genotype table of the version, and genotype_expression refuses it.
-- Returns: calls.
-- Parameters:
--   $version  release version
--   $chrom    the variant's chromosome
--   $pos      the variant's position
SELECT count(*) AS calls FROM genotypes
WHERE version = $version AND chrom = $chrom AND pos = $pos
