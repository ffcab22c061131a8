-- samples: One row per (sub-dataset, rat) with GEO/BioSample/SRA accessions; tissue is the sub-dataset label.
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_samples
