-- name: portal_tissue_info
-- The portal's /tissueInfo: every row of tissue_info, in the file's order, portal key names.
-- Parameters:
--   $version   release version
SELECT tissue AS tissueSiteDetailId, color_hex AS colorHex, color_rgb AS colorRgb, dataset,
       dataset_id AS datasetId, e_gene_count AS eGeneCount,
       expressed_gene_count AS expressedGeneCount, has_e_genes AS hasEGenes,
       rna_seq_and_genotype_sample_count AS rnaSeqAndGenotypeSampleCount,
       rna_seq_sample_count AS rnaSeqSampleCount, tissue_site AS tissueSite,
       tissue_site_detail AS tissueSiteDetail, tissue_site_detail_abbr AS tissueSiteDetailAbbr
FROM tissues WHERE version = $version

-- name: portal_genes
-- The portal's /gene: annotation rows of the given genes (statusInTissue added by the server).
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
SELECT gene_id AS geneId, chrom AS chromosome, start, "end", strand, tss,
       coalesce(description, '') AS description, has_eqtl AS hasEqtl
FROM genes WHERE version = $version AND list_contains($gene_ids, gene_id)

-- name: portal_gene_status
-- Per gene and tissue: expressed, tested for eQTLs, has an eQTL (gene_tissue_status).
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
SELECT gene_id, tissue, expressed, tested_eqtl, eqtl
FROM gene_tissue_status WHERE version = $version AND list_contains($gene_ids, gene_id)

-- name: portal_exons
-- The portal's /exon: the exon rows of one gene, in the exon table's order.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT chrom AS chromosome, "end", exon_id AS exonId, exon_number AS exonNumber,
       feature_type AS featureType, gene_id AS geneId, start, strand,
       transcript_id AS transcriptId
FROM exons WHERE version = $version AND gene_id = $gene_id

-- name: portal_variants
-- Genotype records at the given positions of one dataset (the VCF the portal reads).
-- Parameters:
--   $version   release version
--   $dataset   genotype dataset (tissue_info.dataset)
--   $chroms    chromosomes (VARCHAR[])
--   $positions positions, same order (INTEGER[])
SELECT v.variant_id, v.chrom, v.pos, v.ref, v.alt
FROM variants AS v
JOIN (SELECT unnest($chroms) AS chrom, unnest($positions) AS pos) AS w
  ON v.chrom = w.chrom AND v.pos = w.pos
WHERE v.version = $version AND v.dataset = $dataset

-- name: portal_expression
-- The unnormalized expression (TPM) row of one gene in each tissue, values in the BED's
-- sample-column order (the order the lake keeps).
-- Parameters:
--   $version   release version
--   $gene_id   gene id (= phenotype id of the expression modality)
SELECT tissue, list(value ORDER BY k) AS data
FROM (SELECT row_number() OVER () AS k, tissue, value FROM phenotypes
      WHERE version = $version AND modality = 'expression' AND NOT normalized
        AND phenotype_id = $gene_id)
GROUP BY tissue

-- name: portal_medians
-- Median TPM of the given genes in the given tissues (median_expression).
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
--   $tissues   tissue ids (VARCHAR[])
SELECT gene_id, tissue, median_tpm
FROM median_expression
WHERE version = $version AND list_contains($gene_ids, gene_id)
  AND list_contains($tissues, tissue)

-- name: portal_top_expressed
-- The portal's /topExpressedGene rows of one tissue, highest median first.
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $exclude_mt  leave out mitochondrial genes
SELECT chrom AS chromosome, dataset_id AS datasetId, gene_id AS geneId, median_tpm AS median,
       tissue AS tissueSiteDetailId, unit
FROM top_expressed
WHERE version = $version AND tissue = $tissue AND NOT ($exclude_mt AND mt_gene)
ORDER BY median_tpm DESC
LIMIT 50

-- name: portal_single_tissue_eqtl
-- The portal's /singleTissueEqtl: significant eQTL pairs of one gene in every tissue.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT chrom AS chromosome, gene_id AS geneId, slope AS nes, pval_nominal AS pValue, pos,
       tissue AS tissueSiteDetailId, variant_id AS variantId
FROM gene_esnps WHERE version = $version AND gene_id = $gene_id

-- name: portal_eqtl
-- The portal's /eqtl: independent cis-eQTLs of one gene, all tissues and ranks.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT alt, gene_id AS geneId, log2_aFC AS log2aFC, pval_beta AS pValueBeta, ref,
       tissue AS tissueSiteDetailId, variant_id AS variantId
FROM eqtls_indep WHERE version = $version AND gene_id = $gene_id

-- name: portal_xqtl
-- The portal's /xqtl: independent cis-xQTLs of one gene from the cross-modality table.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT alt, gene_id AS geneId, modality, pval_beta AS pValueBeta, phenotype_id AS phenotypeId,
       ref, tissue AS tissueSiteDetailId, variant_id AS variantId
FROM xqtls_indep_cross_modality WHERE version = $version AND gene_id = $gene_id

-- name: portal_dyneqtl
-- The portal's /dyneqtl data: per sample column of the tissue's unnormalized expression BED,
-- the gene's TPM and the sample's ALT dosage at the variant (NULL when missing).
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $gene_id   gene id
--   $dataset   genotype dataset of the tissue
--   $variant_id variant id
SELECT e.rat_id, e.value, g.dosage
FROM (SELECT row_number() OVER () AS k, rat_id, value FROM phenotypes
      WHERE version = $version AND tissue = $tissue AND modality = 'expression'
        AND NOT normalized AND phenotype_id = $gene_id) AS e
LEFT JOIN (SELECT rat_id, dosage FROM genotypes
           WHERE version = $version AND dataset = $dataset AND variant_id = $variant_id) AS g
  ON g.rat_id = e.rat_id
ORDER BY e.k

-- name: portal_pair_stats
-- Nominal p-value of a (gene, variant) pair in a tissue (cis_pvals) and the gene's threshold
-- (top_assoc).
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $gene_id   gene id
--   $variant_id variant id
SELECT (SELECT any_value(pval_nominal) FROM cis_pvals
        WHERE version = $version AND tissue = $tissue AND gene_id = $gene_id
          AND variant_id = $variant_id) AS pval_nominal,
       (SELECT any_value(pval_nominal_threshold) FROM top_assoc
        WHERE version = $version AND tissue = $tissue AND gene_id = $gene_id) AS threshold
