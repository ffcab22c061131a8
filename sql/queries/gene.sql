-- name: gene
-- Gene annotation and per-tissue status, median TPM, lead eQTL, xQTL counts.
--
-- Genes across tissues: the annotation (genes view) repeated on one row per gene and tissue,
-- with expressed (gene is a row of the tissue's normalized expression phenotypes: the gene
-- table's expr flag, NULL if the gene table is not ingested), tested (gene has a top_assoc
-- row, i.e. was tested for cis-eQTLs), egene
-- (top_assoc qval < 0.05), median_tpm (median_expression), the lead eQTL (eqtls_indep rank 1:
-- lead_variant_id, lead_pval_nominal, lead_slope, lead_log2_aFC), indep_eqtls (rows of
-- eqtls_indep) and indep_xqtls_<modality> (rows of xqtls_indep per modality).
--
-- Returns: gene_id, chrom, start, end, strand, tss, description, tissue, expressed, tested,
-- egene, median_tpm, lead_variant_id, lead_pval_nominal, lead_slope, lead_log2_aFC,
-- indep_eqtls, indep_xqtls_expression, indep_xqtls_isoforms, indep_xqtls_splicing,
-- indep_xqtls_alt_TSS, indep_xqtls_alt_polyA, indep_xqtls_stability; one row per gene and
-- tissue of the version, ordered by gene_id, tissue. Key: (gene_id, tissue). The version's
-- tissues: those of tissue_info, the gene table and top_assoc, and any where one of the genes
-- has a median, an independent eQTL or xQTL, or (``$expression_tissues``) expression.
-- Parameters:
--   $version   release version
--   $gene_ids  resolved gene ids (VARCHAR[])
--   $tissues   tissue ids (VARCHAR[]); NULL = all
--   $expression_tissues  more tissues of the version (VARCHAR[]): where a version without a
--              gene table (study:Y_MT) has the genes' expression; [] otherwise
--   $version_tissues  the tissues of tissue_info, the gene table and top_assoc of the version
--              (VARCHAR[]; the query version_tissues gives them)
WITH g AS (
    SELECT gene_id, chrom, start, "end", strand, tss, description
    FROM genes WHERE version = $version AND list_contains($gene_ids, gene_id)
),
ids AS (SELECT DISTINCT unnest($gene_ids) AS gene_id),
status AS (
    SELECT tissue, gene_id, expressed, tested_eqtl FROM gene_tissue_status
    WHERE version = $version AND list_contains($gene_ids, gene_id)
),
top AS (
    SELECT tissue, gene_id, qval FROM top_assoc
    WHERE version = $version AND list_contains($gene_ids, gene_id)
),
med AS (
    SELECT tissue, gene_id, median_tpm FROM median_expression
    WHERE version = $version AND list_contains($gene_ids, gene_id)
),
indep AS (
    SELECT tissue, gene_id, count(*) AS indep_eqtls,
           arg_min(variant_id, rank) AS lead_variant_id,
           arg_min(pval_nominal, rank) AS lead_pval_nominal,
           arg_min(slope, rank) AS lead_slope,
           arg_min(log2_aFC, rank) AS lead_log2_aFC
    FROM eqtls_indep
    WHERE version = $version AND list_contains($gene_ids, gene_id)
    GROUP BY tissue, gene_id
),
xq AS (
    SELECT tissue, gene_id,
           count(*) FILTER (WHERE modality = 'expression') AS indep_xqtls_expression,
           count(*) FILTER (WHERE modality = 'isoforms') AS indep_xqtls_isoforms,
           count(*) FILTER (WHERE modality = 'splicing') AS indep_xqtls_splicing,
           count(*) FILTER (WHERE modality = 'alt_TSS') AS indep_xqtls_alt_TSS,
           count(*) FILTER (WHERE modality = 'alt_polyA') AS indep_xqtls_alt_polyA,
           count(*) FILTER (WHERE modality = 'stability') AS indep_xqtls_stability
    FROM xqtls_indep
    WHERE version = $version AND list_contains($gene_ids, gene_id)
    GROUP BY tissue, gene_id
),
t AS (
    SELECT unnest($version_tissues::VARCHAR[]) AS tissue
    UNION SELECT tissue FROM med
    UNION SELECT tissue FROM indep
    UNION SELECT tissue FROM xq
    UNION SELECT unnest($expression_tissues::VARCHAR[])
)
SELECT ids.gene_id, g.chrom, g.start, g."end", g.strand, g.tss, g.description, t.tissue,
       status.expressed,
       top.gene_id IS NOT NULL OR coalesce(status.tested_eqtl, false) AS tested,
       coalesce(top.qval < 0.05, false) AS egene,
       med.median_tpm,
       indep.lead_variant_id, indep.lead_pval_nominal, indep.lead_slope, indep.lead_log2_aFC,
       coalesce(indep.indep_eqtls, 0) AS indep_eqtls,
       coalesce(xq.indep_xqtls_expression, 0) AS indep_xqtls_expression,
       coalesce(xq.indep_xqtls_isoforms, 0) AS indep_xqtls_isoforms,
       coalesce(xq.indep_xqtls_splicing, 0) AS indep_xqtls_splicing,
       coalesce(xq.indep_xqtls_alt_TSS, 0) AS indep_xqtls_alt_TSS,
       coalesce(xq.indep_xqtls_alt_polyA, 0) AS indep_xqtls_alt_polyA,
       coalesce(xq.indep_xqtls_stability, 0) AS indep_xqtls_stability
FROM ids
CROSS JOIN t
LEFT JOIN g ON g.gene_id = ids.gene_id
LEFT JOIN status ON status.gene_id = ids.gene_id AND status.tissue = t.tissue
LEFT JOIN top ON top.gene_id = ids.gene_id AND top.tissue = t.tissue
LEFT JOIN med ON med.gene_id = ids.gene_id AND med.tissue = t.tissue
LEFT JOIN indep ON indep.gene_id = ids.gene_id AND indep.tissue = t.tissue
LEFT JOIN xq ON xq.gene_id = ids.gene_id AND xq.tissue = t.tissue
WHERE $tissues IS NULL OR list_contains($tissues, t.tissue)
ORDER BY ids.gene_id, t.tissue
