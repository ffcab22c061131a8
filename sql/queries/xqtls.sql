-- name: xqtls
-- Independent cis-xQTLs of all modalities, by gene, variant, region, tissue, modality.
--
-- Independent cis-xQTLs: rows of xqtls_indep (one table per modality: expression, isoforms,
-- splicing, alt_TSS, alt_polyA, stability; rank 1 = strongest signal of the gene), or with
-- cross-modality the rows of xqtls_indep_cross_modality (signals conditioned across all
-- modalities of a gene, modality from the content). Filters by gene, variant, region, tissue
-- and modality combine with AND; a region selects QTLs whose variant lies inside it.
--
-- Returns: version, modality, tissue, gene_id, phenotype_id, rank, variant_id, chrom, pos, ref,
-- alt, af, tss_distance, num_var, pval_nominal, slope, slope_se, pval_beta; ordered by gene_id,
-- tissue, modality, rank. Key: (tissue, modality, gene_id, rank) (cross-modality: (tissue,
-- gene_id, rank)).
-- Parameters:
--   $version         release version
--   $cross_modality  true: xqtls_indep_cross_modality; false: xqtls_indep
--   $modalities      modalities (VARCHAR[]); NULL = all
--   $tissues         tissue ids (VARCHAR[]); NULL = all
--   $gene_ids        resolved gene ids (VARCHAR[]); NULL = all
--   $variant_ids     variant ids chrN:pos (VARCHAR[]); NULL = all
--   $chroms          variant chromosome in this list (VARCHAR[]); NULL = any
--   $pos_min         variant position >= this; NULL = no bound
--   $pos_max         variant position <= this; NULL = no bound
WITH rows AS (
    SELECT * FROM xqtls_indep WHERE NOT $cross_modality AND version = $version
    UNION ALL BY NAME
    SELECT * FROM xqtls_indep_cross_modality WHERE $cross_modality AND version = $version
)
SELECT version, modality, tissue, gene_id, phenotype_id, rank, variant_id, chrom, pos, ref, alt,
       af, tss_distance, num_var, pval_nominal, slope, slope_se, pval_beta
FROM rows
WHERE ($modalities IS NULL OR list_contains($modalities, modality))
  AND ($tissues IS NULL OR list_contains($tissues, tissue))
  AND ($gene_ids IS NULL OR list_contains($gene_ids, gene_id))
  AND ($variant_ids IS NULL OR list_contains($variant_ids, variant_id))
  AND ($chroms IS NULL OR list_contains($chroms, chrom))
  AND ($pos_min IS NULL OR pos >= $pos_min)
  AND ($pos_max IS NULL OR pos <= $pos_max)
ORDER BY gene_id, tissue, modality, rank, phenotype_id
