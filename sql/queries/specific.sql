-- name: specific
-- eGenes significant in one tissue only, among the tissues where tested.
--
-- Tissue-specific eGenes of one modality: genes with qval < 0.05 in the tissue and with
-- qval >= 0.05 (or no q-value) in every other tissue where they were tested; an eGene tested
-- in no other tissue is one of them, with other_tested 0. The top association comes from top_assoc for expression and from
-- xqtl_top_assoc for the other modalities.
--
-- Returns: tissue, modality, gene_id, phenotype_id (top phenotype; NULL for expression),
-- variant_id, pval_nominal, slope, qval, other_tested (number of other tissues where the gene
-- was tested), min_other_qval; ordered by qval, gene_id. Key: gene_id.
-- Parameters:
--   $version   release version
--   $tissue    tissue id
--   $modality  modality name
WITH top AS (
    SELECT tissue, NULL::VARCHAR AS phenotype_id, gene_id, variant_id, pval_nominal, slope, qval
    FROM top_assoc
    WHERE version = $version AND $modality = 'expression'
    UNION ALL
    SELECT tissue, phenotype_id, gene_id, variant_id, pval_nominal, slope, qval
    FROM xqtl_top_assoc
    WHERE version = $version AND $modality <> 'expression' AND modality = $modality
),
others AS (
    SELECT gene_id, count(DISTINCT tissue) AS other_tested, min(qval) AS min_other_qval,
           bool_or(coalesce(qval < 0.05, false)) AS significant_elsewhere
    FROM top WHERE tissue <> $tissue GROUP BY gene_id
)
SELECT t.tissue, $modality AS modality, t.gene_id, t.phenotype_id, t.variant_id,
       t.pval_nominal, t.slope, t.qval, coalesce(o.other_tested, 0) AS other_tested,
       o.min_other_qval
FROM top AS t LEFT JOIN others AS o USING (gene_id)
WHERE t.tissue = $tissue AND t.qval < 0.05 AND NOT coalesce(o.significant_elsewhere, false)
ORDER BY t.qval, t.gene_id
