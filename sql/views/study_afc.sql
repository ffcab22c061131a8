-- study_afc: Allelic fold change of a study's eQTLs with its bounds (Eye.aFC.txt).
-- Keys: (version, tissue, gene_id, variant_id). pid -> gene_id, sid -> variant_id,
-- sid_chr/sid_pos -> chrom/pos; Python 'nan' is NULL.
SELECT * FROM _ratgtex.lake_study_afc
