-- gene_tissue_status: Per gene and tissue: expressed, tested_eqtl, eqtl flags (gene.{version}.tsv, unpivoted).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_gene_tissue_status
