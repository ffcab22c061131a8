-- phenotypes: RNA phenotype values, long: one row per (phenotype, rat); a missing cell is a row with value NULL (phenos BEDs).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_phenotypes
