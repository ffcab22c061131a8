-- name: region
-- Genes and independent QTLs in a region.
--
-- What lies in a region (1-based, inclusive), as one long frame with a source column: 'gene'
-- (genes whose body start..end overlaps the region), 'eqtl' (independent cis-eQTLs whose
-- variant lies inside, eqtls_indep) and 'xqtl' (independent cis-xQTLs whose variant lies
-- inside, xqtls_indep, modalities other than expression, which 'eqtl' covers).
--
-- Returns: source, gene_id, chrom, start, end, strand, tss, description (gene rows), tissue,
-- modality, phenotype_id, rank, variant_id, pos, pval_nominal, slope, log2_aFC (QTL rows);
-- ordered by source ('gene', 'eqtl', 'xqtl'), start or pos, gene_id, tissue, modality, rank.
-- Parameters:
--   $version  release version
--   $chrom    chromosome of the region, 'chrN'
--   $start    first position of the region (1-based)
--   $end      last position of the region (inclusive)
--   $tissues  tissue ids (VARCHAR[]) for the QTL rows; NULL = all
WITH gene AS (
    SELECT 'gene' AS source, gene_id, chrom, start, "end", strand, tss, description,
           NULL::VARCHAR AS tissue, NULL::VARCHAR AS modality, NULL::VARCHAR AS phenotype_id,
           NULL::INTEGER AS rank, NULL::VARCHAR AS variant_id, NULL::INTEGER AS pos,
           NULL::DOUBLE AS pval_nominal, NULL::DOUBLE AS slope, NULL::DOUBLE AS log2_aFC
    FROM genes
    WHERE version = $version AND chrom = $chrom AND start <= $end AND "end" >= $start
),
eqtl AS (
    SELECT 'eqtl' AS source, gene_id, chrom, NULL::INTEGER AS start, NULL::INTEGER AS "end",
           NULL::VARCHAR AS strand, NULL::INTEGER AS tss, NULL::VARCHAR AS description, tissue,
           'expression' AS modality, NULL::VARCHAR AS phenotype_id, rank, variant_id, pos,
           pval_nominal, slope, log2_aFC
    FROM eqtls_indep
    WHERE version = $version AND chrom = $chrom AND pos BETWEEN $start AND $end
      AND ($tissues IS NULL OR list_contains($tissues, tissue))
),
xqtl AS (
    SELECT 'xqtl' AS source, gene_id, chrom, NULL::INTEGER AS start, NULL::INTEGER AS "end",
           NULL::VARCHAR AS strand, NULL::INTEGER AS tss, NULL::VARCHAR AS description, tissue,
           modality, phenotype_id, rank, variant_id, pos, pval_nominal, slope,
           NULL::DOUBLE AS log2_aFC
    FROM xqtls_indep
    WHERE version = $version AND modality <> 'expression' AND chrom = $chrom
      AND pos BETWEEN $start AND $end
      AND ($tissues IS NULL OR list_contains($tissues, tissue))
)
SELECT * FROM (
    SELECT * FROM gene UNION ALL SELECT * FROM eqtl UNION ALL SELECT * FROM xqtl
)
ORDER BY list_position(['gene', 'eqtl', 'xqtl'], source), coalesce(start, pos), gene_id,
         tissue, modality, rank, phenotype_id, variant_id
