-- name: top_expressed
-- The genes of highest median TPM in a tissue.
--
-- The n genes of highest median TPM in a tissue (median_expression, i.e. the release's
-- medianGeneExpression table; the topExpressedGene table when the median table is not
-- ingested), ranked by median TPM descending then gene_id. mt_gene: the gene lies on chrM;
-- with exclude-mt those genes are left out before ranking.
--
-- Returns: rank, tissue, gene_id, median_tpm, chrom, mt_gene; ordered by rank.
-- Key: (tissue, gene_id).
-- Parameters:
--   $version     release version
--   $tissue      tissue id
--   $n           number of genes
--   $exclude_mt  true: leave out chrM genes
WITH med AS (
    SELECT m.tissue, m.gene_id, m.median_tpm, g.chrom
    FROM median_expression AS m
    LEFT JOIN genes AS g ON g.version = m.version AND g.gene_id = m.gene_id
    WHERE m.version = $version AND m.tissue = $tissue AND m.median_tpm IS NOT NULL
),
src AS (
    SELECT * FROM med
    UNION ALL
    SELECT tissue, gene_id, median_tpm, chrom FROM top_expressed
    WHERE version = $version AND tissue = $tissue AND NOT EXISTS (SELECT 1 FROM med)
)
SELECT row_number() OVER (ORDER BY median_tpm DESC, gene_id) AS rank,
       tissue, gene_id, median_tpm, chrom, coalesce(chrom = 'chrM', false) AS mt_gene
FROM src
WHERE NOT ($exclude_mt AND coalesce(chrom = 'chrM', false))
QUALIFY rank <= $n
ORDER BY rank
