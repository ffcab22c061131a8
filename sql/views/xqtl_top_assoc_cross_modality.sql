-- xqtl_top_assoc_cross_modality: Top cis-xQTL per gene and tissue across modalities; modality from the content (xqtl/top_assoc.cross_modality).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_xqtl_top_assoc_cross_modality
