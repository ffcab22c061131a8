-- gene_esnps: Significant eQTL pairs per gene across tissues (eqtl/all_gene_esnps.{version}.zip).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_gene_esnps
