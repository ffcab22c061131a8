-- name: assoc
-- All significant cis pairs of genes, variants or a region, across tissues and modalities.
--
-- All significant cis pairs: rows of cis_qtl_signif (every variant with nominal p below its
-- phenotype's threshold, for phenotypes of genes with q <= 0.05), for genes, variants or a
-- region, across tissues and modalities. Filters combine with AND. A gene lookup also bounds
-- chromosome and position by the gene's cis window (gene body +- 1 Mb) so that Parquet row
-- groups are skipped: pair tables are stored in genome order, not by gene.
--
-- Returns: version, tissue, modality, gene_id, phenotype_id, variant_id, chrom, pos,
-- tss_distance, af, ma_samples, ma_count, pval_nominal, slope, slope_se,
-- pval_nominal_threshold; ordered by gene_id, tissue, modality, phenotype_id, pos.
-- Key: (tissue, modality, phenotype_id, variant_id).
-- Parameters:
--   $version      release version
--   $modalities   modalities (VARCHAR[]); NULL = all
--   $tissues      tissue ids (VARCHAR[]); NULL = all
--   $gene_ids     resolved gene ids (VARCHAR[]); NULL = all
--   $variant_ids  variant ids chrN:pos (VARCHAR[]); NULL = all
--   $chroms       variant chromosome in this list (VARCHAR[]); NULL = any
--   $pos_min      variant position >= this; NULL = no bound
--   $pos_max      variant position <= this; NULL = no bound
--   $partitions   'tissue/modality' partitions that may hold the rows (VARCHAR[], from the
--                 gene index: the other files are never opened); NULL = all
SELECT version, tissue, modality, gene_id, phenotype_id, variant_id, chrom, pos, tss_distance,
       af, ma_samples, ma_count, pval_nominal, slope, slope_se, pval_nominal_threshold
FROM cis_qtl_signif
WHERE version = $version
  AND ($modalities IS NULL OR list_contains($modalities, modality))
  AND ($tissues IS NULL OR list_contains($tissues, tissue))
  AND ($gene_ids IS NULL OR list_contains($gene_ids, gene_id))
  AND ($variant_ids IS NULL OR list_contains($variant_ids, variant_id))
  AND ($chroms IS NULL OR list_contains($chroms, chrom))
  AND ($pos_min IS NULL OR pos >= $pos_min)
  AND ($pos_max IS NULL OR pos <= $pos_max)
  AND ($partitions IS NULL OR list_contains($partitions, tissue || '/' || modality))
ORDER BY gene_id, tissue, modality, phenotype_id, pos, variant_id
