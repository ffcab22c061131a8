-- name: genotype_expression_summary
-- Genotype counts, ALT frequency, nominal p-value and the gene's threshold for a gene-variant pair.
--
-- Over the tissue's rats: hom_ref / het / hom_alt counts and missing calls at the variant,
-- alt_freq = (het + 2 hom_alt) / (2 called) (the portal calls it maf), ref/alt alleles
-- (variants), the pair's nominal p-value from cis_pvals (NULL if the pair was not tested) and
-- the gene's pval_nominal_threshold from top_assoc.
--
-- Returns: tissue, gene_id, variant_id, ref, alt, hom_ref, het, hom_alt, missing, alt_freq,
-- pval_nominal, pval_nominal_threshold.
-- Key: (tissue, gene_id, variant_id).
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
calls AS (
    SELECT g.dosage FROM rats AS r
    LEFT JOIN genotypes AS g
      ON g.rat_id = r.rat_id AND g.version = $version AND g.chrom = $chrom AND g.pos = $pos
     AND g.dataset IN (SELECT dataset FROM tissue_datasets
                       WHERE version = $version AND tissue = $tissue)
),
counts AS (
    SELECT count(*) FILTER (dosage = 0) AS hom_ref, count(*) FILTER (dosage = 1) AS het,
           count(*) FILTER (dosage = 2) AS hom_alt, count(*) FILTER (dosage IS NULL) AS missing
    FROM calls
)
SELECT $tissue AS tissue, $gene_id AS gene_id, $variant_id AS variant_id,
       a.ref, a.alt,
       c.hom_ref, c.het, c.hom_alt, c.missing,
       CASE WHEN c.hom_ref + c.het + c.hom_alt > 0
            THEN (c.het + 2 * c.hom_alt) / (2.0 * (c.hom_ref + c.het + c.hom_alt)) END
           AS alt_freq,
       (SELECT min(pval_nominal) FROM cis_pvals
        WHERE version = $version AND tissue = $tissue AND gene_id = $gene_id
          AND chrom = $chrom AND pos = $pos) AS pval_nominal,
       (SELECT min(pval_nominal_threshold) FROM top_assoc
        WHERE version = $version AND tissue = $tissue AND gene_id = $gene_id)
           AS pval_nominal_threshold
FROM counts AS c
LEFT JOIN (  -- alleles from the tissue's dataset first, else any dataset of the version
    SELECT first(v.ref ORDER BY d.dataset IS NULL, v.dataset) AS ref,
           first(v.alt ORDER BY d.dataset IS NULL, v.dataset) AS alt
    FROM variants AS v
    LEFT JOIN (SELECT dataset FROM tissue_datasets WHERE version = $version AND tissue = $tissue)
        AS d ON d.dataset = v.dataset
    WHERE v.version = $version AND v.chrom = $chrom AND v.pos = $pos
) AS a ON true
