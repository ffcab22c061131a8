-- genotypes: Per rat ALT allele dosage 0/1/2 at each variant; a missing call is a row with dosage NULL (VCF).
-- Stored as one row per variant with its dosages as a LIST<TINYINT> in genotype_samples order
-- (NULL for a missing call); rat i's dosage is element i + 1.
SELECT r.version, r.dataset, r.variant_id, r.chrom, r.pos, s.rat_id,
       CAST(r.dosages[s.sample_index + 1] AS TINYINT) AS dosage
FROM _ratgtex.lake_genotype_rows AS r
JOIN _ratgtex.lake_genotype_samples AS s ON s.version = r.version AND s.dataset = r.dataset
