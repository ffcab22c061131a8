-- top_assoc: Top cis-eQTL per gene and tissue, significant or not (eqtl/top_assoc); eGene = qval < 0.05.
-- columns and keys: architecture.md section 3
-- A study source with a tensorQTL cis table but no top_assoc file (release-format 10) is
-- served from study_cis_qtl; where both exist the top_assoc file (annotated) alone is used.
SELECT * FROM _ratgtex.lake_top_assoc
UNION ALL BY NAME
SELECT c.version, c.tissue, c.gene_id, c.num_var, c.variant_id, c.chrom, c.pos,
       CAST(NULL AS VARCHAR) AS ref, CAST(NULL AS VARCHAR) AS alt, c.af, c.tss_distance,
       c.pval_nominal, c.slope, c.slope_se, c.pval_beta, c.qval, c.pval_nominal_threshold
FROM _ratgtex.lake_study_cis_qtl AS c
WHERE NOT EXISTS (SELECT 1 FROM _ratgtex.lake_top_assoc AS t WHERE t.version = c.version)
