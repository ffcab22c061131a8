-- study_ase_afc: Allelic fold change of a study's eQTLs from allele-specific expression (ASE_aFC.txt).
-- Keys: (version, tissue, gene_id, variant_id); chrom, pos from the variant id.
SELECT * FROM _ratgtex.lake_study_ase_afc
