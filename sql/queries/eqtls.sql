-- name: eqtls
-- Independent cis-eQTLs, by gene, variant, region and tissue.
--
-- Independent cis-eQTLs: rows of eqtls_indep, the conditionally independent signals of each
-- eGene (rank 1 = strongest), optionally filtered by gene, variant, region and tissue. Filters
-- combine with AND; a region selects QTLs whose variant lies inside it (1-based, inclusive).
--
-- Returns: version, tissue, gene_id, rank, variant_id, chrom, pos, ref, alt, af, tss_distance,
-- num_var, pval_nominal, slope, slope_se, pval_beta, log2_aFC; ordered by gene_id, tissue,
-- rank. Key: (tissue, gene_id, rank).
-- Parameters:
--   $version      release version
--   $tissues      tissue ids (VARCHAR[]); NULL = all
--   $gene_ids     resolved gene ids (VARCHAR[]); NULL = all
--   $variant_ids  variant ids chrN:pos (VARCHAR[]); NULL = all
--   $chroms       variant chromosome in this list (VARCHAR[]); NULL = any
--   $pos_min      variant position >= this; NULL = no bound
--   $pos_max      variant position <= this; NULL = no bound
SELECT version, tissue, gene_id, rank, variant_id, chrom, pos, ref, alt, af, tss_distance,
       num_var, pval_nominal, slope, slope_se, pval_beta, log2_aFC
FROM eqtls_indep
WHERE version = $version
  AND ($tissues IS NULL OR list_contains($tissues, tissue))
  AND ($gene_ids IS NULL OR list_contains($gene_ids, gene_id))
  AND ($variant_ids IS NULL OR list_contains($variant_ids, variant_id))
  AND ($chroms IS NULL OR list_contains($chroms, chrom))
  AND ($pos_min IS NULL OR pos >= $pos_min)
  AND ($pos_max IS NULL OR pos <= $pos_max)
ORDER BY gene_id, tissue, rank
