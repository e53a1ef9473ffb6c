-- Uploads are read and written in chunks (each its own short transaction, so the embedded database
-- keeps answering other requests); a run is hidden until its last chunk is written and it is complete.
-- Existing runs were written in one transaction: complete.
ALTER TABLE test_runs ADD COLUMN complete boolean NOT NULL DEFAULT true;
-- Uploads abandoned half-way (process killed) are deleted by the next upload.
CREATE INDEX test_runs_incomplete ON test_runs (created_at) WHERE NOT complete;
