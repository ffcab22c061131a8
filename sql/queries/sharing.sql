-- name: sharing
-- eGene sharing between tissues: overlap, Jaccard, lead variants, slope signs.
--
-- eGene sharing between tissues, for each ordered pair of distinct tissues (tissue1, tissue2)
-- of one modality. Per (tissue, gene) the top association is taken from top_assoc for
-- expression and from xqtl_top_assoc for the other modalities; an eGene has qval < 0.05.
-- egenes1/egenes2: eGenes of each tissue; tested_both: genes tested in both; shared_egenes:
-- eGenes of both; jaccard: |E1 & E2| / |E1 | E2| of the two tissues' eGene sets, i.e.
-- shared_egenes / (egenes1 + egenes2 - shared_egenes) (NULL when both are empty); same_top_variant: shared eGenes whose top variant is the
-- same; sign_concordance: fraction of shared eGenes whose top slopes have the same sign
-- (NULL when none are shared).
--
-- Returns: modality, tissue1, tissue2, egenes1, egenes2, tested_both, shared_egenes, jaccard,
-- same_top_variant, sign_concordance; ordered by tissue1, tissue2. Key: (tissue1, tissue2).
-- Parameters:
--   $version   release version
--   $modality  modality name
--   $tissues   tissue ids (VARCHAR[]) of both tissues of a pair; NULL = all
WITH top AS (
    SELECT tissue, gene_id, variant_id, slope, coalesce(qval < 0.05, false) AS egene
    FROM top_assoc
    WHERE version = $version AND $modality = 'expression'
    UNION ALL
    SELECT tissue, gene_id, variant_id, slope, coalesce(qval < 0.05, false) AS egene
    FROM xqtl_top_assoc
    WHERE version = $version AND $modality <> 'expression' AND modality = $modality
),
sel AS (SELECT * FROM top WHERE $tissues IS NULL OR list_contains($tissues, tissue)),
per_tissue AS (
    SELECT tissue, count(DISTINCT gene_id) FILTER (WHERE egene) AS egenes
    FROM sel GROUP BY tissue
),
pairs AS (
    SELECT a.tissue AS tissue1, b.tissue AS tissue2,
           count(*) AS tested_both,
           count(*) FILTER (WHERE a.egene AND b.egene) AS shared_egenes,
           count(*) FILTER (WHERE a.egene AND b.egene AND a.variant_id = b.variant_id)
               AS same_top_variant,
           count(*) FILTER (WHERE a.egene AND b.egene AND sign(a.slope) = sign(b.slope))
               AS same_sign
    FROM sel AS a JOIN sel AS b ON a.gene_id = b.gene_id AND a.tissue <> b.tissue
    GROUP BY a.tissue, b.tissue
)
SELECT $modality AS modality, t1.tissue AS tissue1, t2.tissue AS tissue2,
       t1.egenes AS egenes1, t2.egenes AS egenes2,
       coalesce(p.tested_both, 0) AS tested_both,
       coalesce(p.shared_egenes, 0) AS shared_egenes,
       CASE WHEN t1.egenes + t2.egenes > 0
            THEN coalesce(p.shared_egenes, 0)
                 / (t1.egenes + t2.egenes - coalesce(p.shared_egenes, 0)) END AS jaccard,
       coalesce(p.same_top_variant, 0) AS same_top_variant,
       CASE WHEN coalesce(p.shared_egenes, 0) > 0
            THEN p.same_sign / p.shared_egenes END AS sign_concordance
FROM per_tissue AS t1
JOIN per_tissue AS t2 ON t1.tissue <> t2.tissue
LEFT JOIN pairs AS p ON p.tissue1 = t1.tissue AND p.tissue2 = t2.tissue
ORDER BY tissue1, tissue2
