-- name: resolve_genes
-- Resolve gene names as typed: exact gene_id first, else case-insensitive matches; for a name
-- matching neither, up to $n_suggestions close ids (Jaro-Winkler similarity >= 0.7).
-- Genes come from the genes view; if the version has no gene table, from top_assoc (then
-- without coordinates).
-- Returns: query, match ('exact', 'nocase' or 'suggestion'), gene_id, chrom, start, end, score.
-- Parameters:
--   $version        release version
--   $queries        the names as typed (VARCHAR[])
--   $n_suggestions  at most this many suggestions per unmatched name
WITH known AS MATERIALIZED (  -- scanned once, used by three matches
    SELECT gene_id, chrom, start, "end" FROM genes WHERE version = $version
    UNION ALL
    SELECT DISTINCT gene_id, NULL, NULL, NULL FROM top_assoc
    WHERE version = $version AND NOT EXISTS (SELECT 1 FROM genes WHERE version = $version)
),
q AS (SELECT DISTINCT unnest($queries) AS query),
exact AS (
    SELECT q.query, 'exact' AS match, k.* FROM q JOIN known AS k ON k.gene_id = q.query
),
nocase AS (
    SELECT q.query, 'nocase' AS match, k.*
    FROM q JOIN known AS k ON lower(k.gene_id) = lower(q.query)
    WHERE q.query NOT IN (SELECT query FROM exact)
),
unmatched AS (
    SELECT query FROM q
    WHERE query NOT IN (SELECT query FROM exact UNION ALL SELECT query FROM nocase)
),
suggestion AS (
    SELECT u.query, 'suggestion' AS match, k.*,
           jaro_winkler_similarity(lower(u.query), lower(k.gene_id)) AS score
    FROM unmatched AS u, known AS k
    WHERE jaro_winkler_similarity(lower(u.query), lower(k.gene_id)) >= 0.7
    QUALIFY row_number() OVER (PARTITION BY u.query ORDER BY score DESC, k.gene_id)
            <= $n_suggestions
)
SELECT query, match, gene_id, chrom, start, "end", NULL::DOUBLE AS score FROM exact
UNION ALL
SELECT query, match, gene_id, chrom, start, "end", NULL::DOUBLE AS score FROM nocase
UNION ALL
SELECT query, match, gene_id, chrom, start, "end", score FROM suggestion
ORDER BY query, match, score DESC NULLS FIRST, gene_id

-- name: known_tissues
-- Tissue ids of a version: those of ingested files, of tissue_info and of top_assoc.
-- Returns: tissue, sorted.
-- Parameters:
--   $version  release version
SELECT DISTINCT tissue FROM (
    SELECT tissue FROM ingested_files
    WHERE version = $version AND status = 'ingested' AND tissue IS NOT NULL
    UNION ALL
    SELECT tissue FROM tissues WHERE version = $version
    UNION ALL
    SELECT tissue FROM top_assoc WHERE version = $version
)
ORDER BY tissue
