-- median_expression: Median TPM per gene and tissue (expr/medianGeneExpression, unpivoted).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_median_expression
