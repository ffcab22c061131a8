-- trans_qtl_pairs: Trans pairs with p < 1e-5, > 5 Mb from the TSS (xqtl/trans_qtl_pairs.{tissue}.expression).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_trans_qtl_pairs
