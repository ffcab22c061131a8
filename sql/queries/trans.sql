-- name: trans
-- Trans-eQTL pairs, by gene, variant, region, tissue and p-value.
--
-- Trans pairs: rows of trans_qtl_pairs (genome-wide variant x normalized-expression scan, pairs
-- with p < 1e-5 and more than 5 Mb from the gene's TSS; no significance test beyond that),
-- filtered by gene, variant, region, tissue and maximum p-value; filters combine with AND. A
-- region selects pairs whose variant lies inside it.
--
-- Returns: version, tissue, modality, gene_id, phenotype_id, variant_id, chrom, pos, pval,
-- slope, slope_se, af; ordered by gene_id, tissue, pval, variant_id.
-- Key: (tissue, modality, variant_id, phenotype_id).
-- Parameters:
--   $version      release version
--   $max_pval     keep pairs with pval <= this; NULL = all
--   $tissues      tissue ids (VARCHAR[]); NULL = all
--   $gene_ids     resolved gene ids (VARCHAR[]); NULL = all
--   $variant_ids  variant ids chrN:pos (VARCHAR[]); NULL = all
--   $chroms       variant chromosome in this list (VARCHAR[]); NULL = any
--   $pos_min      variant position >= this; NULL = no bound
--   $pos_max      variant position <= this; NULL = no bound
SELECT version, tissue, modality, gene_id, phenotype_id, variant_id, chrom, pos, pval, slope,
       slope_se, af
FROM trans_qtl_pairs
WHERE version = $version
  AND ($max_pval IS NULL OR pval <= $max_pval)
  AND ($tissues IS NULL OR list_contains($tissues, tissue))
  AND ($gene_ids IS NULL OR list_contains($gene_ids, gene_id))
  AND ($variant_ids IS NULL OR list_contains($variant_ids, variant_id))
  AND ($chroms IS NULL OR list_contains($chroms, chrom))
  AND ($pos_min IS NULL OR pos >= $pos_min)
  AND ($pos_max IS NULL OR pos <= $pos_max)
ORDER BY gene_id, tissue, pval, variant_id, phenotype_id
