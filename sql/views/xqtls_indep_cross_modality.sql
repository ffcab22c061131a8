-- xqtls_indep_cross_modality: Independent cis-xQTLs across modalities (xqtl/xqtls_indep.cross_modality).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_xqtls_indep_cross_modality
