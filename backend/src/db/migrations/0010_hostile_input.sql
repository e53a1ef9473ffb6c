-- Test names of any length: a btree entry holds at most ~2.7 KB, so "same path and name" lookups use
-- an index of the texts' hashes (queries compare the texts too, so a hash collision cannot match).
DROP INDEX IF EXISTS test_results_path_name;
CREATE INDEX test_results_path_name_hash ON test_results (org_id, project_id, md5(path), md5(name));
-- Durations above 2^31 ms (24.8 days) are stored, not clamped.
ALTER TABLE test_results ALTER COLUMN duration_ms TYPE bigint;
