-- tissue_datasets: The genotype dataset (VCF) whose calls belong to each tissue's rats, per version.
-- One row per (version, tissue) of a version with genotypes or rat ids ingested (the dataset
-- may be one whose VCF is not ingested yet). The dataset is, in order: the one the
-- version's tissue table names (v3 tissueInfo, v4 tissue_info); the v1/v2 cohort whose name
-- lists the tissue (BLA_NAcc2_PL2 -> BLA, NAcc2, PL2; the old IL_LHb_NAcc_OFC_PL -> NAcc1,
-- PL1); a v3 dataset that holds named tissues
-- (ratgtex_v3_round10_4: Adipose, Liver; release-format 5.1); else the version's one dataset
-- whose name neither lists tissues nor is listed above (ratgtex_v3_round10_5 for the other
-- v3 tissues, the unmerged ones included; v4's only VCF).
-- Genotype queries join through it, so a rat in two VCFs of one version is counted once.
WITH genotyped AS (  -- versions with genotypes or rat ids ingested
    SELECT version FROM _ratgtex.lake_genotype_samples
    UNION SELECT version FROM rat_ids
),
sets AS (  -- the ingested VCFs and the genotype datasets release-format 5.1 names
    SELECT version, dataset, bool_or(ingested) AS ingested FROM (
        SELECT DISTINCT version, dataset, true AS ingested FROM _ratgtex.lake_genotype_samples
        UNION ALL
        SELECT version, dataset, false FROM (VALUES
            ('v1', 'Adipose_Liver'), ('v1', 'BLA_NAcc2_PL2'), ('v1', 'Brain'), ('v1', 'Eye'),
            ('v1', 'IL_LHb_NAcc1_OFC_PL1'),
            ('v2', 'Adipose_Liver'), ('v2', 'BLA_NAcc2_PL2'), ('v2', 'Brain'), ('v2', 'Eye'),
            ('v2', 'IL_LHb_NAcc1_OFC_PL1'),
            ('v3', 'ratgtex_v3_round10_4'), ('v3', 'ratgtex_v3_round10_5')
        ) AS t(version, dataset)
        WHERE t.version IN (SELECT version FROM genotyped)
    ) GROUP BY version, dataset
),
known AS (
    SELECT DISTINCT version, tissue FROM (
        SELECT version, tissue FROM rat_ids
        UNION ALL SELECT version, tissue FROM tissues
        UNION ALL SELECT version, tissue FROM _ratgtex.lake_top_assoc
    )
),
listed AS (
    SELECT * FROM (VALUES ('v3', 'ratgtex_v3_round10_4', 'Adipose'),
                          ('v3', 'ratgtex_v3_round10_4', 'Liver')) AS t(version, dataset, tissue)
),
named AS (
    SELECT s.version, s.dataset FROM sets AS s
    WHERE EXISTS (SELECT 1 FROM listed AS l WHERE l.version = s.version AND l.dataset = s.dataset)
       OR EXISTS (SELECT 1 FROM known AS k WHERE k.version = s.version
                  AND list_contains(string_split(s.dataset, '_'), k.tissue))
),
unclaimed AS (
    SELECT s.version, s.dataset, s.ingested FROM sets AS s
    WHERE NOT EXISTS (SELECT 1 FROM named AS n WHERE n.version = s.version
                      AND n.dataset = s.dataset)
),
candidates AS (
    -- the tissue table's dataset, its VCF ingested or not (release-format 7, quirk 10: data, not a
    -- constant; v4 first shipped round11_1)
    SELECT k.version, k.tissue, t.dataset, 1 AS rule, coalesce(s.ingested, false) AS ingested
    FROM known AS k JOIN tissues AS t ON t.version = k.version AND t.tissue = k.tissue
    LEFT JOIN sets AS s ON s.version = t.version AND s.dataset = t.dataset
    WHERE t.dataset IS NOT NULL AND k.version IN (SELECT version FROM genotyped)
    UNION ALL
    SELECT k.version, k.tissue, s.dataset, 2, s.ingested
    FROM known AS k JOIN sets AS s ON s.version = k.version
    WHERE list_contains(string_split(s.dataset, '_'), k.tissue)
       -- the pre-2025 cohort name IL_LHb_NAcc_OFC_PL says NAcc / PL for today's NAcc1 / PL1
       OR (k.tissue IN ('NAcc1', 'PL1')
           AND list_contains(string_split(s.dataset, '_'), rtrim(k.tissue, '1')))
    UNION ALL
    SELECT k.version, k.tissue, l.dataset, 3, s.ingested
    FROM known AS k JOIN listed AS l ON l.version = k.version AND l.tissue = k.tissue
    JOIN sets AS s ON s.version = l.version AND s.dataset = l.dataset
    UNION ALL
    SELECT k.version, k.tissue, u.dataset, 4, u.ingested
    FROM known AS k JOIN unclaimed AS u ON u.version = k.version
    WHERE (SELECT count(*) FROM unclaimed AS u2 WHERE u2.version = k.version) = 1
)
SELECT version, tissue, dataset FROM candidates
QUALIFY row_number() OVER (PARTITION BY version, tissue
                           ORDER BY rule, NOT ingested, dataset) = 1
