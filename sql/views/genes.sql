-- genes: Gene annotation: one row per gene (annotation part of gene.{version}.tsv).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_genes
