-- expression: gene expression per rat, long (expr/expr.{unit}.{tissue}); unit log2 or tpm.
-- TPM comes from phenos.{tissue}.expression.unnorm when expr.tpm was skipped as its byte copy
-- (release-format 3.5), so both units are always here.
SELECT * FROM _lake_expression
UNION ALL BY NAME
SELECT p.version, p.tissue, 'tpm' AS unit, p.phenotype_id, p.gene_id, p.chrom, p.tss, p.rat_id,
       p.value
FROM _lake_phenotypes AS p
WHERE p.modality = 'expression' AND NOT p.normalized
  AND (p.version, p.tissue) NOT IN (
      SELECT DISTINCT version, tissue FROM _lake_expression WHERE unit = 'tpm')
