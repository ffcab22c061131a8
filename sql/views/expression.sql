-- expression: gene expression per rat, long (expr/expr.{unit}.{tissue}); unit log2 or tpm.
-- TPM comes from phenos.{tissue}.expression.unnorm when expr.tpm was skipped as its byte copy
-- (release-format 3.5), so both units are always here.
SELECT * FROM _ratgtex.lake_expression
UNION ALL BY NAME
SELECT p.version, p.tissue, 'tpm' AS unit, p.phenotype_id, p.gene_id, p.chrom, p.tss, p.rat_id,
       p.value
FROM _ratgtex.lake_phenotypes AS p
WHERE p.modality = 'expression' AND NOT p.normalized
  AND NOT EXISTS (
      SELECT 1 FROM _ratgtex.lake_expression AS e
      WHERE e.unit = 'tpm' AND e.version = p.version AND e.tissue = p.tissue)
UNION ALL BY NAME
-- study matrices (release-format 10): gene x library raw counts / TPM (units raw_count,
-- raw_tpm) of all tissues in one file; no coordinates (chrom, tss NULL).
SELECT r.version, r.tissue, r.unit, r.phenotype_id, r.gene_id, CAST(NULL AS VARCHAR) AS chrom,
       CAST(NULL AS INTEGER) AS tss, r.rat_id, r.value
FROM _ratgtex.lake_expression_raw AS r
