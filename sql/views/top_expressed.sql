-- top_expressed: Top genes by median TPM per tissue (expr/topExpressedGene).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_top_expressed
