-- name: versions
-- Ingested releases: genome, assembly, annotation, tissues and files per version.
--
-- One row per version with at least one ingested file: its genome tag, assembly and
-- annotation (release-format 1.1), the tissues its files and tables name (v3's unmerged
-- NAcc1-3 / PL1-3 among them), and the files ingested, skipped and failed. The study data
-- archives (release-format 10) are sources of their own, version 'study:{group}', listed
-- after the releases.
--
-- Returns: version, genome, assembly, annotation, n_tissues, tissues, files (recorded in the
-- manifest), files_ingested, files_skipped, files_failed, files_replaced (ingested, then
-- displaced by another file of the same partition), source_bytes, last_ingested;
-- ordered by version (releases first, then studies).
-- Key: (version).
-- Parameters:
--   $meta  facts of every known version: list of STRUCT(version, genome, assembly, annotation)
WITH meta AS (
    SELECT m.version AS version, m.genome AS genome, m.assembly AS assembly,
           m.annotation AS annotation
    FROM (SELECT unnest($meta) AS m)
),
files AS (
    SELECT version, count(*) AS files,
           count(*) FILTER (status = 'ingested') AS files_ingested,
           count(*) FILTER (status = 'skipped') AS files_skipped,
           count(*) FILTER (status = 'failed') AS files_failed,
           count(*) FILTER (status = 'replaced') AS files_replaced,
           sum(bytes) FILTER (status = 'ingested') AS source_bytes,
           max(ingested_at) AS last_ingested
    FROM ingested_files WHERE version IS NOT NULL
    GROUP BY version
),
named AS (
    SELECT DISTINCT version, tissue FROM (
        SELECT version, tissue FROM ingested_files
        WHERE status = 'ingested' AND tissue IS NOT NULL
        UNION ALL SELECT version, tissue FROM tissues
        UNION ALL SELECT version, tissue FROM top_assoc
        UNION ALL SELECT version, tissue FROM study_sample_metadata
    )
),
tissue_lists AS (
    SELECT version, count(*) AS n_tissues, string_agg(tissue, ', ' ORDER BY tissue) AS tissues
    FROM named GROUP BY version
)
SELECT f.version, m.genome, m.assembly, m.annotation, coalesce(t.n_tissues, 0) AS n_tissues,
       t.tissues, f.files, f.files_ingested, f.files_skipped, f.files_failed,
       f.files_replaced, f.source_bytes,
       f.last_ingested
FROM files AS f
LEFT JOIN meta AS m USING (version)
LEFT JOIN tissue_lists AS t USING (version)
WHERE f.files_ingested > 0
ORDER BY f.version LIKE 'study:%', f.version
