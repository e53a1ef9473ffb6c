-- On the embedded database (PGlite serves one transaction at a time, and every other request waits for it)
-- a finished run's widget summaries are written after the run is visible, a page per transaction, so a
-- 50k-case upload never holds the database for seconds (issue #13). summarized_seq is where that work
-- stands: results with seq below it are in the summaries; NULL means nothing is pending. Each page moves
-- it in the same transaction as its summaries, so a restart continues exactly where a crash stopped.
ALTER TABLE test_runs ADD COLUMN summarized_seq integer;
CREATE INDEX test_runs_summaries_pending ON test_runs (id) WHERE summarized_seq IS NOT NULL;
