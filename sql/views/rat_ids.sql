-- rat_ids: Final post-QC rat ids per tissue (rat_ids/rat_ids.{tissue}.{version}.txt).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_rat_ids
