-- Jobs that survive dead workers and never fold a change into a run that has read past it (issue #19).
--   singleton      at most one queued-or-running job per (org, kind, resource), enforced by the index below
--   rerun_payload  set when an event arrives while the job runs: one follow-up job starts after it
--   run_after      a job retried after a transient failure waits until then
--   worker         host:pid of the process running it (operators and tests see who holds a job)
ALTER TABLE jobs ADD COLUMN singleton boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ADD COLUMN worker text;
ALTER TABLE jobs ADD COLUMN rerun_payload jsonb;
ALTER TABLE jobs ADD COLUMN run_after timestamptz;

-- Every job enqueued with a resource key so far was a singleton (link syncs, result pushes).
UPDATE jobs SET singleton = true WHERE resource_key IS NOT NULL;
-- The old check-then-insert let bursts create duplicates: keep the oldest active one per resource.
UPDATE jobs j
   SET status = 'cancelled', finished_at = now(), message = 'Duplicate of an earlier job for the same resource'
 WHERE j.singleton AND j.status IN ('queued', 'running')
   AND EXISTS (
     SELECT 1 FROM jobs o
      WHERE o.singleton AND o.status IN ('queued', 'running')
        AND o.org_id = j.org_id AND o.kind = j.kind AND o.resource_key = j.resource_key
        AND (o.created_at, o.id) < (j.created_at, j.id));
CREATE UNIQUE INDEX jobs_one_active_per_resource ON jobs (org_id, kind, resource_key)
  WHERE singleton AND status IN ('queued', 'running');
