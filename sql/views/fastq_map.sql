-- fastq_map: FASTQ file(s) of each rat; fastq_2 NULL for single-end (fastq_map/fastq_map.{tissue}.{version}.txt).
-- columns and keys: architecture.md section 3
SELECT * FROM _ratgtex.lake_fastq_map
