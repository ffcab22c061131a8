-- xqtls_indep: Independent cis-xQTLs per modality (xqtl/xqtls_indep.{modality}).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_xqtls_indep
