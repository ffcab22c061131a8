-- xqtl_top_assoc: Top cis-xQTL per gene, tissue and modality (xqtl/top_assoc.{modality}).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_xqtl_top_assoc
