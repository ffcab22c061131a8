-- cis_pvals: Nominal p-value of every tested cis (gene, variant) pair, expression (cis_pvals/{tissue}.{version}.zip).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_cis_pvals
