-- genotypes: Per rat ALT allele dosage 0/1/2 at each variant; a missing call is a row with dosage NULL (VCF).
-- Stored compactly: one row per variant with its dosages in genotype_samples order.
SELECT r.version, r.dataset, r.variant_id, r.chrom, r.pos, s.rat_id,
       r.dosages[s.sample_index + 1] AS dosage
FROM _ratgtex.lake_genotype_rows AS r
JOIN _ratgtex.lake_genotype_samples AS s ON s.version = r.version AND s.dataset = r.dataset
