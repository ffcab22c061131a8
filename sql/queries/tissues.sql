-- name: tissues
-- Per tissue: samples, expressed genes, eGenes, independent eQTLs, xQTL genes.
--
-- Per tissue: samples = rat ids of the tissue (rat_ids); expressed_genes = genes of the
-- normalized expression phenotypes (phenotypes, modality 'expression', normalized; v1-v3: of
-- the expression view's unit iqn_filtered, the genes mapped for eQTLs); egenes =
-- genes with top_assoc qval < 0.05; indep_eqtls = rows of eqtls_indep; xqtl_<modality> =
-- genes with at least one independent xQTL of that modality (xqtls_indep), NULL when the
-- tissue has no xQTL results for the modality.
--
-- Returns: tissue, tissue_site_detail, samples, expressed_genes, egenes, indep_eqtls,
-- xqtl_expression, xqtl_isoforms, xqtl_splicing, xqtl_alt_TSS, xqtl_alt_polyA,
-- xqtl_stability; one row per tissue, ordered by tissue. Key: tissue.
-- Parameters:
--   $version  release version
--   $tissues  tissue ids (VARCHAR[]); NULL = all
WITH names AS (
    SELECT tissue, any_value(tissue_site_detail) AS tissue_site_detail
    FROM tissues WHERE version = $version GROUP BY tissue
),
samples AS (
    SELECT tissue, count(DISTINCT rat_id) AS samples
    FROM rat_ids WHERE version = $version GROUP BY tissue
),
expressed AS (  -- v4: normalized expression phenotypes; v1-v3: the iqn.filtered BED
    SELECT tissue, max(n) AS expressed_genes FROM (
        SELECT tissue, count(DISTINCT phenotype_id) AS n
        FROM phenotypes
        WHERE version = $version AND modality = 'expression' AND normalized
        GROUP BY tissue
        UNION ALL
        SELECT tissue, count(DISTINCT gene_id) FROM expression
        WHERE version = $version AND unit = 'iqn_filtered'
        GROUP BY tissue
    ) GROUP BY tissue
),
egenes AS (
    SELECT tissue, count(DISTINCT gene_id) FILTER (WHERE qval < 0.05) AS egenes
    FROM top_assoc WHERE version = $version GROUP BY tissue
),
indep AS (
    SELECT tissue, count(*) AS indep_eqtls FROM eqtls_indep WHERE version = $version
    GROUP BY tissue
),
tested AS (
    SELECT DISTINCT tissue, modality FROM xqtl_top_assoc WHERE version = $version
    UNION
    SELECT DISTINCT tissue, modality FROM xqtls_indep WHERE version = $version
),
xq AS (
    SELECT t.tissue, t.modality, count(DISTINCT x.gene_id) AS genes
    FROM tested AS t
    LEFT JOIN xqtls_indep AS x
      ON x.version = $version AND x.tissue = t.tissue AND x.modality = t.modality
    GROUP BY t.tissue, t.modality
),
xqw AS (
    SELECT tissue,
           any_value(genes) FILTER (WHERE modality = 'expression') AS xqtl_expression,
           any_value(genes) FILTER (WHERE modality = 'isoforms') AS xqtl_isoforms,
           any_value(genes) FILTER (WHERE modality = 'splicing') AS xqtl_splicing,
           any_value(genes) FILTER (WHERE modality = 'alt_TSS') AS xqtl_alt_TSS,
           any_value(genes) FILTER (WHERE modality = 'alt_polyA') AS xqtl_alt_polyA,
           any_value(genes) FILTER (WHERE modality = 'stability') AS xqtl_stability
    FROM xq GROUP BY tissue
),
all_tissues AS (
    SELECT tissue FROM names UNION SELECT tissue FROM samples UNION SELECT tissue FROM expressed
    UNION SELECT tissue FROM egenes UNION SELECT tissue FROM xqw
)
SELECT a.tissue, n.tissue_site_detail,
       coalesce(s.samples, 0) AS samples,
       coalesce(e.expressed_genes, 0) AS expressed_genes,
       coalesce(g.egenes, 0) AS egenes,
       coalesce(i.indep_eqtls, 0) AS indep_eqtls,
       x.xqtl_expression, x.xqtl_isoforms, x.xqtl_splicing, x.xqtl_alt_TSS, x.xqtl_alt_polyA,
       x.xqtl_stability
FROM all_tissues AS a
LEFT JOIN names AS n USING (tissue)
LEFT JOIN samples AS s USING (tissue)
LEFT JOIN expressed AS e USING (tissue)
LEFT JOIN egenes AS g USING (tissue)
LEFT JOIN indep AS i USING (tissue)
LEFT JOIN xqw AS x USING (tissue)
WHERE $tissues IS NULL OR list_contains($tissues, a.tissue)
ORDER BY a.tissue
