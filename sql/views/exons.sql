-- exons: Exons of the collapsed gene models (exon.{version}.tsv).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_exons
