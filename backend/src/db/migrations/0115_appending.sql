-- A further file appended to a run (a pipeline's second TEST-*.xml) is written in chunks like a new run's, each
-- a statement of its own, instead of in one transaction that held the embedded database (one transaction at a
-- time) for over a second at 50k cases (issue #13). While it is written, the run stays visible as it was:
-- results at positions from appending_from on are not shown to any reader, and the totals move only when the
-- file is finished, in one short transaction that clears appending_from. appending_by names the writer that
-- holds the run (one file at a time), appending_at when it last made progress: a writer silent for minutes
-- stopped, and its rows are deleted by the next writer or push of the run (or the abandoned-upload sweep).
ALTER TABLE test_runs ADD COLUMN appending_from integer;
ALTER TABLE test_runs ADD COLUMN appending_by uuid;
ALTER TABLE test_runs ADD COLUMN appending_at timestamptz;
CREATE INDEX test_runs_appending ON test_runs (appending_at) WHERE appending_from IS NOT NULL;
