-- cis_qtl_signif: All significant cis pairs per tissue and modality (xqtl/cis_qtl_signif.{tissue}.{modality}).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_cis_qtl_signif
