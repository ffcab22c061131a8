-- study_sample_metadata: Per-library sample metadata of a study (metadata_p50_hao_chen_2014.csv).
-- Keys: (version, library). library = {rfid}_{region}; rat_id = the rfid; tissue = the
-- region as the study's tissue label (IL, LHB, Acbc, VoLo, PL -> IL, LHb, NAcc, OFC, PL);
-- qc_pass = QC_pass 'pass' (true) / 'reject' (false); fields = the CSV's other columns as one
-- JSON object (fields->>'$.name' reads one).
SELECT * FROM _ratgtex.lake_study_sample_metadata
