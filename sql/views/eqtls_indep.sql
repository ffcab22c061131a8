-- eqtls_indep: Conditionally independent cis-eQTLs, rank 1 = strongest (eqtl/eqtls_indep).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_eqtls_indep
