-- The RatGTEx portal's REST API (release-format section 8), one query per lookup of
-- `ratgtex-db serve` (src/ratgtex_db/serve.py). Every query reads one version and prunes by
-- the lake's partitions (version, tissue, modality) first; lookups of pair tables also name the
-- chromosome and position so that row-group min/max statistics skip the rest of the file.
-- Rows come out in the lake's order (no ORDER BY) where that is the release file's order.

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

-- name: portal_versions
-- Release versions with a tissue table: the versions `serve` can answer for.
-- Parameters: none
SELECT DISTINCT version FROM tissues

-- name: portal_served
-- Which endpoints' data one version has (each test stops at the first row it finds).
-- v4 has xQTLs across modalities (/xqtl); v1-v3 had sQTLs (/sqtl, the splicing rows of
-- xqtls_indep).
-- Parameters:
--   $version   release version
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM genes WHERE version = $version LIMIT 1)) > 0 AS gene,
    (SELECT count(*) FROM (SELECT 1 FROM exons WHERE version = $version LIMIT 1)) > 0 AS exon,
    (SELECT count(*) FROM (SELECT 1 FROM variants WHERE version = $version LIMIT 1)) > 0
        AS variant,
    (SELECT count(*) FROM (SELECT 1 FROM phenotypes WHERE version = $version
                           AND modality = 'expression' AND NOT normalized LIMIT 1)) > 0
        AS phenos_unnorm,
    (SELECT count(*) FROM (SELECT 1 FROM median_expression WHERE version = $version LIMIT 1))
        > 0 AS median_gene_expression,
    (SELECT count(*) FROM (SELECT 1 FROM top_expressed WHERE version = $version LIMIT 1)) > 0
        AS top_expressed_gene,
    (SELECT count(*) FROM (SELECT 1 FROM gene_esnps WHERE version = $version LIMIT 1)) > 0
        AS single_tissue_eqtl,
    (SELECT count(*) FROM (SELECT 1 FROM eqtls_indep WHERE version = $version LIMIT 1)) > 0
        AS eqtl,
    (SELECT count(*) FROM (SELECT 1 FROM xqtls_indep_cross_modality
                           WHERE version = $version LIMIT 1)) > 0 AS xqtl,
    (SELECT count(*) FROM (SELECT 1 FROM xqtls_indep WHERE version = $version
                           AND modality = 'splicing' LIMIT 1)) > 0 AS sqtl,
    (SELECT count(*) FROM (SELECT 1 FROM genotypes WHERE version = $version LIMIT 1)) > 0
        AS genotypes,
    (SELECT count(*) FROM (SELECT 1 FROM top_assoc WHERE version = $version LIMIT 1)) > 0
        AS top_assoc

-- name: portal_has_unit
-- Whether a version has expression BEDs of one unit (v1-v3: tpm for /geneExpression, iqn for
-- /dyneqtl).
-- Parameters:
--   $version   release version
--   $unit      tpm, log2, iqn or iqn_filtered
SELECT (SELECT count(*) FROM (SELECT 1 FROM expression WHERE version = $version
                              AND unit = $unit LIMIT 1)) > 0 AS present

-- name: portal_median_tissues
-- Tissues with a column in medianGeneExpression.
-- Parameters:
--   $version   release version
SELECT DISTINCT tissue FROM median_expression WHERE version = $version

-- name: portal_genes
-- The portal's /gene: annotation rows of the given genes (statusInTissue added by the server;
-- gene_symbol / gene_id_ensembl become the v1/v2 / v3 gene tables' extra key, release-format 5.2).
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
SELECT gene_id AS geneId, chrom AS chromosome, start, "end", strand, tss,
       coalesce(description, '') AS description, has_eqtl AS hasEqtl,
       gene_symbol, gene_id_ensembl
FROM genes WHERE version = $version AND list_contains($gene_ids, gene_id)

-- name: portal_gene_status
-- Per gene and tissue: expressed, tested for eQTLs, has an eQTL (gene_tissue_status); v1-v3
-- also alternatively spliced, tested for sQTLs, has an sQTL.
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
SELECT gene_id, tissue, expressed, tested_eqtl, eqtl, alt_splice, tested_sqtl, sqtl
FROM gene_tissue_status WHERE version = $version AND list_contains($gene_ids, gene_id)

-- name: portal_exons
-- The portal's /exon: the exon rows of one gene.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT chrom AS chromosome, "end", exon_id AS exonId, exon_number AS exonNumber,
       feature_type AS featureType, gene_id AS geneId, start, strand,
       transcript_id AS transcriptId
FROM exons WHERE version = $version AND gene_id = $gene_id

-- name: portal_variants
-- Genotype records of one dataset (the VCF the portal reads) at the given positions. The
-- positions' range is named too, so that row groups outside it are skipped by their min/max.
-- Parameters:
--   $version   release version
--   $dataset   genotype dataset (tissue_info.dataset)
--   $chroms    chromosomes (VARCHAR[])
--   $positions positions, same order (INTEGER[])
SELECT variant_id, chrom, pos, ref, alt
FROM variants
WHERE version = $version AND dataset = $dataset
  AND pos BETWEEN list_min($positions) AND list_max($positions)
  AND list_contains($chroms, chrom) AND list_contains($positions, pos)

-- name: portal_expression_unit
-- The values of one gene in every tissue from expression BEDs of one unit (/geneExpression:
-- tpm, i.e. v4's phenos expression unnorm or expr.tpm, v1-v3's expr.tpm), in the lake's
-- order: the BED's sample columns.
-- Parameters:
--   $version   release version
--   $gene_id   gene id
--   $unit      tpm, log2, iqn or iqn_filtered
SELECT tissue, value FROM expression
WHERE version = $version AND unit = $unit AND gene_id = $gene_id

-- name: portal_tissue_expression_unit
-- One gene's values in one tissue from an expression BED of one unit (/dyneqtl: v4 tpm, v1-v3
-- iqn), with the samples' rat ids, in the BED's sample-column order.
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $gene_id   gene id
--   $unit      tpm, log2, iqn or iqn_filtered
SELECT rat_id, value FROM expression
WHERE version = $version AND tissue = $tissue AND unit = $unit AND gene_id = $gene_id

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
-- The portal's /topExpressedGene rows of one tissue: the file's rows (sorted by median,
-- highest first), mitochondrial genes left out on request, the first 50.
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $exclude_mt  leave out mitochondrial genes
SELECT chrom AS chromosome, dataset_id AS datasetId, gene_id AS geneId, median_tpm AS median,
       tissue AS tissueSiteDetailId, unit
FROM top_expressed
WHERE version = $version AND tissue = $tissue AND NOT ($exclude_mt AND coalesce(mt_gene, false))
LIMIT 50

-- name: portal_single_tissue_eqtl
-- The portal's /singleTissueEqtl: the significant eQTL pairs of one gene in every tissue, in
-- the zip member's order (all_gene_esnps).
-- Parameters:
--   $version   release version
--   $gene_id   gene id
SELECT chrom AS chromosome, gene_id AS geneId, slope AS nes, pval_nominal AS pValue, pos,
       tissue AS tissueSiteDetailId, variant_id AS variantId
FROM gene_esnps WHERE version = $version AND gene_id = $gene_id

-- name: portal_eqtl
-- The portal's /eqtl rows (v4 names) of every gene: independent cis-eQTLs, by gene, then
-- tissue and rank (the file's order within a gene when its tissue blocks are sorted). Small:
-- the server keeps it per catalog snapshot and answers a gene from it.
-- Parameters:
--   $version   release version
SELECT alt, gene_id AS geneId, log2_aFC AS log2aFC, pval_beta AS pValueBeta, ref,
       tissue AS tissueSiteDetailId, variant_id AS variantId
FROM eqtls_indep WHERE version = $version
ORDER BY gene_id, tissue, rank

-- name: portal_eqtl_legacy
-- The v1-v3 portal's /eqtl rows: as portal_eqtl with the file's names pval_beta, log2_aFC.
-- Parameters:
--   $version   release version
SELECT alt, gene_id AS geneId, log2_aFC, pval_beta, ref, tissue AS tissueSiteDetailId,
       variant_id AS variantId
FROM eqtls_indep WHERE version = $version
ORDER BY gene_id, tissue, rank

-- name: portal_xqtl
-- The portal's /xqtl rows of every gene: independent cis-xQTLs of the cross-modality table,
-- by gene, then tissue and rank.
-- Parameters:
--   $version   release version
SELECT alt, gene_id AS geneId, modality, pval_beta AS pValueBeta, phenotype_id AS phenotypeId,
       ref, tissue AS tissueSiteDetailId, variant_id AS variantId
FROM xqtls_indep_cross_modality WHERE version = $version
ORDER BY gene_id, tissue, rank

-- name: portal_sqtl
-- The v1-v3 portal's /sqtl rows of every gene: independent cis-sQTLs (splicing rows of
-- xqtls_indep), by gene, then tissue and rank.
-- Parameters:
--   $version   release version
SELECT alt, gene_id AS geneId, phenotype_id AS phenotypeId, pval_beta, ref,
       tissue AS tissueSiteDetailId, variant_id AS variantId
FROM xqtls_indep
WHERE version = $version AND modality = 'splicing'
ORDER BY gene_id, tissue, rank

-- name: portal_thresholds
-- Genes tested for eQTLs per tissue with their nominal p threshold (top_assoc), by gene
-- (/dyneqtl; kept per catalog snapshot).
-- Parameters:
--   $version   release version
SELECT gene_id AS geneId, tissue, pval_nominal_threshold
FROM top_assoc WHERE version = $version
ORDER BY gene_id, tissue

-- name: portal_pair_pval
-- For /dyneqtl: the nominal p-value of one (gene, variant) pair in a tissue (cis_pvals); no row
-- when the variant is outside the gene's cis window.
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $gene_id   gene id
--   $variant_id variant id
--   $chrom     the variant's chromosome
--   $pos       the variant's position
SELECT pval_nominal FROM cis_pvals
WHERE version = $version AND tissue = $tissue AND chrom = $chrom AND pos = $pos
  AND gene_id = $gene_id AND variant_id = $variant_id
LIMIT 1

-- name: portal_genotype_rows_at
-- For /dyneqtl: the stored calls of each VCF record at one position of one dataset, a list of
-- dosages in genotype_samples order (what the genotypes view pairs, one row per rat, by a join
-- with every rat of the dataset); paired with portal_genotype_samples, read once per snapshot.
-- Parameters:
--   $version   release version
--   $dataset   genotype dataset of the tissue
--   $chrom     chromosome
--   $pos       position
SELECT variant_id, dosages FROM _ratgtex.lake_genotype_rows
WHERE version = $version AND dataset = $dataset AND chrom = $chrom AND pos = $pos

-- name: portal_genotype_samples
-- The rat of each position of a dataset's dosage lists (genotype_samples order).
-- Parameters:
--   $version   release version
--   $dataset   genotype dataset
SELECT rat_id FROM _ratgtex.lake_genotype_samples
WHERE version = $version AND dataset = $dataset
ORDER BY sample_index
