-- rats: One row per rat: sex, coat colour, sub-datasets (ref/RatGTEx_rats.{version}.tsv).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_rats
