-- name: compare
-- One gene side by side across ingested versions: eGene status, lead eQTL and median TPM.
--
-- Per version and tissue: whether the gene was tested for cis-eQTLs (top_assoc row), is an
-- eGene (qval < 0.05), its lead variant with nominal p and slope, its number of independent
-- eQTLs (eqtls_indep) and its median TPM (median_expression). The gene is resolved in each
-- version separately (v1/v2 ids are Ensembl, v3/v4 ids symbols): a version where it is not
-- found has one row with gene_id NULL.
--
-- Returns: version, gene_id, gene_symbol, tissue, tested_eqtl, egene, qval,
-- lead_variant_id, lead_pval_nominal, lead_slope, n_indep_eqtls, median_tpm;
-- ordered by version (releases, then study sources), gene_id, tissue.
-- Key: (version, gene_id, tissue).
-- Parameters:
--   $genes             the gene in each version: list of STRUCT(version, gene_id), gene_id
--                      NULL where the version does not have it
--   $ensembl_versions  versions whose gene ids are Ensembl ids (symbol from genes.gene_symbol,
--                      else top_assoc.gene_name): v1, v2 and the study sources
WITH g AS (
    SELECT s.version AS version, s.gene_id AS gene_id FROM (SELECT unnest($genes) AS s)
),
sym AS (
    SELECT g.version, g.gene_id,
           CASE WHEN list_contains($ensembl_versions, g.version)
                THEN coalesce(any_value(gn.gene_symbol), any_value(ta.gene_name))
                ELSE g.gene_id END AS gene_symbol
    FROM g
    LEFT JOIN genes AS gn ON gn.version = g.version AND gn.gene_id = g.gene_id
    LEFT JOIN top_assoc AS ta ON ta.version = g.version AND ta.gene_id = g.gene_id
    GROUP BY g.version, g.gene_id
),
ta AS (
    SELECT t.version, t.gene_id, t.tissue, t.qval, t.variant_id, t.pval_nominal, t.slope
    FROM top_assoc AS t JOIN g ON g.version = t.version AND g.gene_id = t.gene_id
),
ind AS (
    SELECT e.version, e.gene_id, e.tissue, count(*) AS n_indep
    FROM eqtls_indep AS e JOIN g ON g.version = e.version AND g.gene_id = e.gene_id
    GROUP BY e.version, e.gene_id, e.tissue
),
med AS (
    SELECT m.version, m.gene_id, m.tissue, m.median_tpm
    FROM median_expression AS m JOIN g ON g.version = m.version AND g.gene_id = m.gene_id
),
keys AS (
    SELECT version, gene_id, tissue FROM ta
    UNION SELECT version, gene_id, tissue FROM med
    UNION SELECT version, gene_id, tissue FROM ind
),
rows AS (
    SELECT * FROM keys
    UNION ALL
    SELECT g.version, g.gene_id, NULL FROM g
    WHERE NOT EXISTS (SELECT 1 FROM keys AS k WHERE k.version = g.version
                      AND k.gene_id IS NOT DISTINCT FROM g.gene_id)
)
SELECT r.version, r.gene_id, sym.gene_symbol, r.tissue,
       ta.tissue IS NOT NULL AS tested_eqtl, coalesce(ta.qval < 0.05, false) AS egene,
       ta.qval, ta.variant_id AS lead_variant_id, ta.pval_nominal AS lead_pval_nominal,
       ta.slope AS lead_slope, coalesce(ind.n_indep, 0) AS n_indep_eqtls, med.median_tpm
FROM rows AS r
JOIN sym ON sym.version = r.version AND sym.gene_id IS NOT DISTINCT FROM r.gene_id
LEFT JOIN ta ON ta.version = r.version AND ta.gene_id = r.gene_id AND ta.tissue = r.tissue
LEFT JOIN ind ON ind.version = r.version AND ind.gene_id = r.gene_id AND ind.tissue = r.tissue
LEFT JOIN med ON med.version = r.version AND med.gene_id = r.gene_id AND med.tissue = r.tissue
ORDER BY starts_with(r.version, 'study:'), r.version, r.gene_id, r.tissue
