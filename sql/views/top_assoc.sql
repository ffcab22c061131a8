-- top_assoc: Top cis-eQTL per gene and tissue, significant or not (eqtl/top_assoc); eGene = qval < 0.05.
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_top_assoc
