-- study_colocs: SMR colocalisation of a study's eQTLs with GWAS traits (colocs.tsv), flagged significant from colocs_sig.tsv.
-- Keys: (version, gene_id, variant_id, trait). significant: the row is in colocs_sig.tsv
-- (p_SMR < 0.05 / n per trait); NULL while the version has no colocs_sig.tsv ingested. Rows
-- of colocs_sig.tsv whose version has no colocs.tsv are listed too (significant = true).
WITH sig AS (SELECT DISTINCT version FROM _ratgtex.lake_study_colocs_sig)
SELECT c.*,
       CASE WHEN c.version NOT IN (SELECT version FROM sig) THEN NULL
            ELSE EXISTS (SELECT 1 FROM _ratgtex.lake_study_colocs_sig AS s
                         WHERE s.version = c.version AND s.gene_id = c.gene_id
                           AND s.variant_id = c.variant_id
                           AND s.trait IS NOT DISTINCT FROM c.trait) END AS significant
FROM _ratgtex.lake_study_colocs AS c
UNION ALL BY NAME
SELECT s.*, true AS significant
FROM _ratgtex.lake_study_colocs_sig AS s
WHERE s.version NOT IN (SELECT DISTINCT version FROM _ratgtex.lake_study_colocs)
