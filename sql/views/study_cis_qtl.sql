-- study_cis_qtl: A study's tensorQTL cis (permutation) results as written, one row per gene (Eye.cis_qtl.txt.gz).
-- Keys: (version, tissue, gene_id). beta_shape1/2, true_df, pval_true_df, pval_perm: the
-- permutation fit; tss_distance as tensorQTL computes it (variant pos - BED end, not
-- strand-aware). The same genes' top_assoc rows come from Eye.top_assoc.txt (annotated).
SELECT * FROM _ratgtex.lake_study_cis_qtl
