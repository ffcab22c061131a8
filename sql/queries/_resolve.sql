-- name: resolve_genes
-- Resolve gene names as typed: exact gene_id first, else case-insensitive matches of the
-- gene id or of its other name (v1/v2: the symbol of an Ensembl gene id, genes.gene_symbol;
-- v3: the Ensembl id of a RefSeq gene, genes.gene_id_ensembl); for a name matching neither,
-- up to $n_suggestions close ids (Jaro-Winkler similarity >= 0.7).
-- Genes come from the genes view and, for those it lacks (all of them in a version without
-- a gene table; genes absent from the GTF otherwise), from top_assoc, without coordinates
-- (v1/v2 symbols from top_assoc.gene_name).
-- Returns: query, match ('exact', 'nocase' or 'suggestion'), gene_id, chrom, start, end, score.
-- Parameters:
--   $version        release version
--   $queries        the names as typed (VARCHAR[])
--   $n_suggestions  at most this many suggestions per unmatched name
WITH known AS MATERIALIZED (  -- scanned once, used by three matches
    SELECT gene_id, coalesce(gene_symbol, gene_id_ensembl) AS alias, chrom, start, "end"
    FROM genes WHERE version = $version
    UNION ALL
    SELECT DISTINCT gene_id, gene_name, NULL, NULL, NULL FROM top_assoc
    WHERE version = $version
      AND gene_id NOT IN (SELECT gene_id FROM genes WHERE version = $version)
),
q AS (SELECT DISTINCT unnest($queries) AS query),
exact AS (
    SELECT q.query, 'exact' AS match, k.* FROM q JOIN known AS k ON k.gene_id = q.query
),
nocase AS (
    SELECT q.query, 'nocase' AS match, k.*
    FROM q JOIN known AS k
      ON lower(k.gene_id) = lower(q.query) OR lower(k.alias) = lower(q.query)
    WHERE q.query NOT IN (SELECT query FROM exact)
),
unmatched AS (
    SELECT query FROM q
    WHERE query NOT IN (SELECT query FROM exact UNION ALL SELECT query FROM nocase)
),
suggestion AS (
    SELECT u.query, 'suggestion' AS match, k.*,
           greatest(jaro_winkler_similarity(lower(u.query), lower(k.gene_id)),
                    coalesce(jaro_winkler_similarity(lower(u.query), lower(k.alias)), 0))
               AS score
    FROM unmatched AS u, known AS k
    WHERE greatest(jaro_winkler_similarity(lower(u.query), lower(k.gene_id)),
                   coalesce(jaro_winkler_similarity(lower(u.query), lower(k.alias)), 0)) >= 0.7
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

-- name: resolve_genes_expression
-- Resolve gene names in a version that has neither a gene table nor top_assoc (the study
-- archive study:Y_MT holds expression only): from the gene ids of its expression files,
-- exact first, else case-insensitive; no suggestions. Coordinates: the BEDs' chromosome
-- and TSS.
-- Returns: query, match ('exact' or 'nocase'), gene_id, chrom, start, end, score.
-- Parameters:
--   $version  release version
--   $queries  the names as typed (VARCHAR[])
WITH known AS MATERIALIZED (
    SELECT gene_id, any_value(chrom) AS chrom, min(tss) AS start, max(tss) AS "end"
    FROM expression WHERE version = $version GROUP BY gene_id
),
q AS (SELECT DISTINCT unnest($queries) AS query),
exact AS (
    SELECT q.query, 'exact' AS match, k.* FROM q JOIN known AS k ON k.gene_id = q.query
),
nocase AS (
    SELECT q.query, 'nocase' AS match, k.*
    FROM q JOIN known AS k ON lower(k.gene_id) = lower(q.query)
    WHERE q.query NOT IN (SELECT query FROM exact)
)
SELECT query, match, gene_id, chrom, start, "end", NULL::DOUBLE AS score FROM exact
UNION ALL
SELECT query, match, gene_id, chrom, start, "end", NULL::DOUBLE AS score FROM nocase
ORDER BY query, match, gene_id

-- name: expression_tissues
-- Tissues where a version's expression files hold any of the genes (for a version without a
-- gene table, whose tissues the gene query cannot otherwise know).
-- Returns: tissue, sorted.
-- Parameters:
--   $version   release version
--   $gene_ids  gene ids (VARCHAR[])
SELECT DISTINCT tissue FROM expression
WHERE version = $version AND list_contains($gene_ids, gene_id)
ORDER BY tissue
