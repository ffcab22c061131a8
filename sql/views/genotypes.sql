-- genotypes: Per rat ALT allele dosage 0/1/2 at each variant; a missing call is a row with dosage NULL (VCF).
-- columns and keys: architecture.md section 3
SELECT * FROM _lake_genotypes
