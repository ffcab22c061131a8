-- name: variant
-- Alleles and every association of variants across tissues and modalities.
--
-- Everything about variants, as one long frame with a source column: 'variant' (one row per
-- variant: its alleles, from the genotype table (variants view) when ingested, else from the
-- QTL tables' ref/alt), 'eqtl' (independent cis-eQTLs it leads, eqtls_indep), 'xqtl'
-- (independent cis-xQTLs it leads, xqtls_indep, modalities other than expression, which
-- 'eqtl' covers), 'cis' (significant cis pairs, cis_qtl_signif, all modalities) and 'trans'
-- (trans pairs, trans_qtl_pairs; pval_nominal holds their pval).
--
-- Returns: source, variant_id, chrom, pos, ref, alt, tissue, modality, gene_id, phenotype_id,
-- rank, tss_distance, af, pval_nominal, slope, slope_se, log2_aFC; ordered by variant_id,
-- source ('variant', 'eqtl', 'xqtl', 'cis', 'trans'), tissue, modality, gene_id, phenotype_id,
-- rank.
-- Parameters:
--   $version      release version
--   $variant_ids  variant ids chrN:pos (VARCHAR[])
--   $chroms       chromosomes of the variants (VARCHAR[]; row-group pruning)
--   $pos_min      smallest position of the variants (row-group pruning)
--   $pos_max      largest position of the variants (row-group pruning)
-- eqtl, xqtl and best are read twice (alleles and rows; the variant rows and the final join):
-- MATERIALIZED runs each once (release shape, one variant: p50 196-217 -> 171-177 ms).
WITH ids AS (
    SELECT DISTINCT unnest($variant_ids) AS variant_id
),
eqtl AS MATERIALIZED (
    SELECT 'eqtl' AS source, variant_id, chrom, pos, ref, alt, tissue,
           'expression' AS modality, gene_id, NULL::VARCHAR AS phenotype_id, rank, tss_distance,
           af, pval_nominal, slope, slope_se, log2_aFC
    FROM eqtls_indep
    WHERE version = $version AND list_contains($variant_ids, variant_id)
),
xqtl AS MATERIALIZED (
    SELECT 'xqtl' AS source, variant_id, chrom, pos, ref, alt, tissue, modality, gene_id,
           phenotype_id, rank, tss_distance, af, pval_nominal, slope, slope_se,
           NULL::DOUBLE AS log2_aFC
    FROM xqtls_indep
    WHERE version = $version AND modality <> 'expression'
      AND list_contains($variant_ids, variant_id)
),
cis AS (
    SELECT 'cis' AS source, variant_id, chrom, pos, NULL::VARCHAR AS ref, NULL::VARCHAR AS alt,
           tissue, modality, gene_id, phenotype_id, NULL::INTEGER AS rank, tss_distance, af,
           pval_nominal, slope, slope_se, NULL::DOUBLE AS log2_aFC
    FROM cis_qtl_signif
    WHERE version = $version AND list_contains($chroms, chrom)
      AND pos BETWEEN $pos_min AND $pos_max AND list_contains($variant_ids, variant_id)
),
trans AS (
    SELECT 'trans' AS source, variant_id, chrom, pos, NULL::VARCHAR AS ref,
           NULL::VARCHAR AS alt, tissue, modality, gene_id, phenotype_id, NULL::INTEGER AS rank,
           NULL::INTEGER AS tss_distance, af, pval AS pval_nominal, slope, slope_se,
           NULL::DOUBLE AS log2_aFC
    FROM trans_qtl_pairs
    WHERE version = $version AND list_contains($chroms, chrom)
      AND pos BETWEEN $pos_min AND $pos_max AND list_contains($variant_ids, variant_id)
),
qtl_alleles AS (
    SELECT variant_id, ref, alt FROM top_assoc
    WHERE version = $version AND list_contains($variant_ids, variant_id)
    UNION ALL SELECT variant_id, ref, alt FROM eqtl
    UNION ALL SELECT variant_id, ref, alt FROM xqtl
    UNION ALL
    SELECT variant_id, ref, alt FROM xqtl_top_assoc
    WHERE version = $version AND list_contains($variant_ids, variant_id)
),
alleles AS (
    SELECT variant_id, ref, alt, 1 AS priority FROM variants
    WHERE version = $version AND list_contains($chroms, chrom)
      AND pos BETWEEN $pos_min AND $pos_max AND list_contains($variant_ids, variant_id)
    UNION ALL
    SELECT variant_id, ref, alt, 2 AS priority FROM qtl_alleles
    WHERE ref IS NOT NULL OR alt IS NOT NULL
),
best AS MATERIALIZED (
    SELECT variant_id, arg_min(ref, priority) AS ref, arg_min(alt, priority) AS alt
    FROM alleles GROUP BY variant_id
),
variant AS (
    SELECT 'variant' AS source, ids.variant_id,
           split_part(ids.variant_id, ':', 1) AS chrom,
           TRY_CAST(split_part(ids.variant_id, ':', 2) AS INTEGER) AS pos,
           best.ref, best.alt, NULL::VARCHAR AS tissue, NULL::VARCHAR AS modality,
           NULL::VARCHAR AS gene_id, NULL::VARCHAR AS phenotype_id, NULL::INTEGER AS rank,
           NULL::INTEGER AS tss_distance, NULL::DOUBLE AS af, NULL::DOUBLE AS pval_nominal,
           NULL::DOUBLE AS slope, NULL::DOUBLE AS slope_se, NULL::DOUBLE AS log2_aFC
    FROM ids LEFT JOIN best USING (variant_id)
),
rows AS (
    SELECT * FROM variant
    UNION ALL SELECT * FROM eqtl
    UNION ALL SELECT * FROM xqtl
    UNION ALL SELECT * FROM cis
    UNION ALL SELECT * FROM trans
)
SELECT r.source, r.variant_id, r.chrom, r.pos, coalesce(r.ref, b.ref) AS ref,
       coalesce(r.alt, b.alt) AS alt, r.tissue, r.modality, r.gene_id, r.phenotype_id, r.rank,
       r.tss_distance, r.af, r.pval_nominal, r.slope, r.slope_se, r.log2_aFC
FROM rows AS r LEFT JOIN best AS b USING (variant_id)
ORDER BY r.variant_id,
         list_position(['variant', 'eqtl', 'xqtl', 'cis', 'trans'], r.source),
         r.tissue, r.modality, r.gene_id, r.phenotype_id, r.rank

-- name: genotyped_variants
-- The variant ids of the genotype table (variants view) of a version: the cheap first check
-- of known_variants (one pruned lookup), enough for every id the VCF has.
-- Returns: variant_id (distinct).
-- Parameters:
--   $version      release version
--   $variant_ids  variant ids chrN:pos (VARCHAR[])
--   $chroms       chromosomes of the variants (VARCHAR[]; row-group pruning)
--   $pos_min      smallest position of the variants (row-group pruning)
--   $pos_max      largest position of the variants (row-group pruning)
SELECT DISTINCT variant_id FROM variants
WHERE version = $version AND list_contains($chroms, chrom)
  AND pos BETWEEN $pos_min AND $pos_max AND list_contains($variant_ids, variant_id)

-- name: known_variants
-- The variant ids a version knows from its QTL tables (top_assoc, eqtls_indep,
-- xqtl_top_assoc, xqtls_indep, cis_qtl_signif, trans_qtl_pairs), for ids the genotype table
-- lacks. The variant query answers only known ids, so an absent id is reported rather than
-- given an invented row.
-- Returns: variant_id (distinct).
-- Parameters:
--   $version      release version
--   $variant_ids  variant ids chrN:pos (VARCHAR[])
--   $chroms       chromosomes of the variants (VARCHAR[]; row-group pruning)
--   $pos_min      smallest position of the variants (row-group pruning)
--   $pos_max      largest position of the variants (row-group pruning)
SELECT DISTINCT variant_id FROM (
    SELECT variant_id, chrom, pos FROM top_assoc WHERE version = $version
    UNION ALL
    SELECT variant_id, chrom, pos FROM eqtls_indep WHERE version = $version
    UNION ALL
    SELECT variant_id, chrom, pos FROM xqtl_top_assoc WHERE version = $version
    UNION ALL
    SELECT variant_id, chrom, pos FROM xqtls_indep WHERE version = $version
    UNION ALL
    SELECT variant_id, chrom, pos FROM cis_qtl_signif WHERE version = $version
    UNION ALL
    SELECT variant_id, chrom, pos FROM trans_qtl_pairs WHERE version = $version
)
WHERE list_contains($chroms, chrom) AND pos BETWEEN $pos_min AND $pos_max
  AND list_contains($variant_ids, variant_id)
