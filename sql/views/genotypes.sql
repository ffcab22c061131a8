-- genotypes: Per rat ALT allele dosage 0/1/2 at each variant; a missing call is a row with dosage NULL (VCF).
-- Stored compactly: one row per variant with its calls packed two bits per rat in
-- genotype_samples order (code 0/1/2 = dosage, 3 = missing; rat i's code is bits 2i and 2i+1 of
-- the value read as a bit string; a VCF without samples stores empty values, which DuckDB cannot
-- cast to BIT).
SELECT r.version, r.dataset, r.variant_id, r.chrom, r.pos, s.rat_id,
       CAST(nullif(get_bit(r.bits, 2 * s.sample_index) * 2
                   + get_bit(r.bits, 2 * s.sample_index + 1), 3) AS TINYINT) AS dosage
FROM (SELECT version, dataset, variant_id, chrom, pos,
             CAST(nullif(packed_dosages, ''::BLOB) AS BIT) AS bits
      FROM _ratgtex.lake_genotype_rows) AS r
JOIN _ratgtex.lake_genotype_samples AS s ON s.version = r.version AND s.dataset = r.dataset
