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
