-- A finished run's work item links are written after the run is visible, a page per transaction (issue #13):
-- written in the transaction that finished the run, they held the embedded database (one transaction at a
-- time) for as long as the links took. linked_seq is where that work stands (results named by link_spec
-- before it are linked; NULL: nothing pending), link_spec what is still to link (the run-wide work items,
-- each case's and each suite's, as RunLinks in results/links.ts reads them), linked_at when a page last
-- moved, so a stopped writer's run is taken over once it has made no progress for a while.
ALTER TABLE test_runs ADD COLUMN linked_seq integer;
ALTER TABLE test_runs ADD COLUMN link_spec jsonb;
ALTER TABLE test_runs ADD COLUMN linked_at timestamptz;
CREATE INDEX test_runs_links_pending ON test_runs (linked_at) WHERE linked_seq IS NOT NULL;
