-- covariates: Covariates used for mapping, long: one row per (covariate, rat) (covar/covar.{tissue}.{modality}.{version}.tsv).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_covariates
