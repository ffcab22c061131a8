-- name: expression
-- Distribution of genes' expression (TPM or log2) per tissue.
--
-- Expression of genes per tissue: n (rats with a value), min, q1, median, mean, q3, max of the
-- gene's TPM (expression view, unit 'tpm': sum of kallisto transcript TPMs) or log2 expression
-- (unit 'log2': log2(est_counts + 1)). Quartiles interpolate linearly (quantile_cont).
--
-- Returns: gene_id, tissue, unit, n, min, q1, median, mean, q3, max; ordered by gene_id,
-- tissue. Key: (gene_id, tissue).
-- Parameters:
--   $version   release version
--   $unit      'tpm' or 'log2'
--   $gene_ids  resolved gene ids (VARCHAR[])
--   $tissues   tissue ids (VARCHAR[]); NULL = all
WITH r AS MATERIALIZED (  -- filtered first: under an aggregate DuckDB 2.0 skips the bloom
    SELECT gene_id, tissue, unit, value  -- filters of the gene filter and reads every group
    FROM expression
    WHERE version = $version AND unit = $unit
      AND list_contains($gene_ids, gene_id)
      AND ($tissues IS NULL OR list_contains($tissues, tissue))
)
SELECT gene_id, tissue, unit,
       count(value) AS n,
       min(value) AS min,
       quantile_cont(value, 0.25) AS q1,
       quantile_cont(value, 0.5) AS median,
       avg(value) AS mean,
       quantile_cont(value, 0.75) AS q3,
       max(value) AS max
FROM r
GROUP BY gene_id, tissue, unit
ORDER BY gene_id, tissue

-- name: expression_samples
-- Genes' expression (TPM or log2) of every rat.
--
-- Expression of genes per rat: the value of every rat of each tissue, TPM (unit 'tpm') or
-- log2 expression (unit 'log2'); a missing value is NULL.
--
-- Returns: gene_id, tissue, unit, rat_id, value; ordered by gene_id, tissue, rat_id.
-- Key: (gene_id, tissue, rat_id).
-- Parameters:
--   $version   release version
--   $unit      'tpm' or 'log2'
--   $gene_ids  resolved gene ids (VARCHAR[])
--   $tissues   tissue ids (VARCHAR[]); NULL = all
SELECT gene_id, tissue, unit, rat_id, value
FROM expression
WHERE version = $version AND unit = $unit
  AND list_contains($gene_ids, gene_id)
  AND ($tissues IS NULL OR list_contains($tissues, tissue))
ORDER BY gene_id, tissue, rat_id
