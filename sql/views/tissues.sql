-- tissues: One row per tissue: names, colours, sample and gene counts (tissue_info.{version}.tsv).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_tissues
