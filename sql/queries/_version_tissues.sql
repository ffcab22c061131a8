-- name: version_tissues
-- The tissues of a version that every gene is listed in by the gene query: those of
-- tissue_info (tissues view), of the gene table (gene_tissue_status) and of top_assoc. They do
-- not depend on the genes asked for, so Database reads them once per catalog snapshot and
-- passes them to the gene query as its version_tissues (scanning the two tables' tissues on
-- every gene lookup cost ~7 ms of the release-shaped lake's ~35).
-- Returns: tissue; ordered by tissue.
-- Parameters:
--   $version  release version
SELECT tissue FROM tissues WHERE version = $version
UNION SELECT tissue FROM gene_tissue_status WHERE version = $version
UNION SELECT tissue FROM top_assoc WHERE version = $version
ORDER BY tissue
