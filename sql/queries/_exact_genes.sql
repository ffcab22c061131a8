-- name: exact_genes
-- The genes whose gene_id is exactly one of the names as typed (genes view): the cheap first
-- step of resolving gene names; resolve_genes runs only when a name is not matched here.
-- Returns: query, match ('exact'), gene_id, chrom, start, end.
-- Parameters:
--   $version  release version
--   $queries  the names as typed (VARCHAR[])
SELECT gene_id AS query, 'exact' AS match, gene_id, chrom, start, "end" FROM genes
WHERE version = $version AND list_contains($queries, gene_id)
ORDER BY gene_id

-- name: exact_qtl_genes
-- Genes named exactly that the QTL tables hold but the genes view lacks (release-format 3.13
-- and 3.15: a gene absent from the GTF keeps its QTL rows, with tss_distance NA): the second
-- step of resolving names, for the names exact_genes did not match. No coordinates.
-- Returns: query, match ('exact'), gene_id, chrom, start, end.
-- Parameters:
--   $version  release version
--   $queries  the names as typed, not in the genes view (VARCHAR[])
SELECT DISTINCT gene_id AS query, 'exact' AS match, gene_id, NULL::VARCHAR AS chrom,
       NULL::INTEGER AS start, NULL::INTEGER AS "end"
FROM (
    SELECT gene_id FROM top_assoc
    WHERE version = $version AND list_contains($queries, gene_id)
    UNION ALL
    SELECT gene_id FROM xqtl_top_assoc
    WHERE version = $version AND list_contains($queries, gene_id)
)
ORDER BY gene_id
