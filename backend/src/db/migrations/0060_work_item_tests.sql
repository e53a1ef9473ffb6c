-- Per (work item × test) summaries kept up to date when result links are written, so the work item form
-- group and Plans' coverage read a row per test instead of every linked result (issue #16, #18 targets 1-2).
-- A test is its path + name; test_key = md5(path) || md5(name) (fixed length whatever the names' length).

-- Each link carries its test and when the result ran (its run's start, else its upload), so one test's
-- history on one work item is an index range however many other results the work item has.
ALTER TABLE test_result_links ADD COLUMN test_key text;
ALTER TABLE test_result_links ADD COLUMN at timestamptz;
UPDATE test_result_links k SET test_key = md5(r.path) || md5(r.name), at = COALESCE(run.started_at, run.created_at)
  FROM test_results r JOIN test_runs run ON run.id = r.run_id
 WHERE r.id = k.result_id;
ALTER TABLE test_result_links ALTER COLUMN test_key SET NOT NULL;
ALTER TABLE test_result_links ALTER COLUMN at SET NOT NULL;
CREATE INDEX test_result_links_test ON test_result_links (org_id, work_item_id, test_key, at DESC, result_id DESC);

CREATE TABLE work_item_tests (
  org_id text NOT NULL,
  work_item_id integer NOT NULL,
  test_key text NOT NULL,
  project_id text NOT NULL,
  path text NOT NULL,
  name text NOT NULL,
  full_name text NOT NULL,
  -- How many linked results the test has on this work item.
  results integer NOT NULL,
  latest_result_id bigint NOT NULL,
  latest_run_id uuid NOT NULL,
  latest_at timestamptz NOT NULL,
  latest_outcome text NOT NULL,
  latest_duration_ms bigint,
  -- The last 20 outcomes, newest first: [[at epoch ms, result id, outcome], ...].
  recent jsonb NOT NULL,
  PRIMARY KEY (org_id, work_item_id, test_key)
);

-- Per (work item × run): the outcomes of the work item's tests in that run (the pass-rate trend).
CREATE TABLE work_item_runs (
  org_id text NOT NULL,
  work_item_id integer NOT NULL,
  run_id uuid NOT NULL,
  at timestamptz NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  error integer NOT NULL,
  skipped integer NOT NULL,
  PRIMARY KEY (org_id, work_item_id, run_id)
);
CREATE INDEX work_item_runs_at ON work_item_runs (org_id, work_item_id, at DESC, run_id);

-- Defects (Azure DevOps work items) linked to a test of a work item: created from a failed result or
-- linked to one. Kept for later runs of the same test until unlinked (row deleted) or closed in ADO
-- (state_category Completed/Removed, refreshed whenever the form reads the defect's live state).
CREATE TABLE test_defects (
  org_id text NOT NULL,
  work_item_id integer NOT NULL,
  test_key text NOT NULL,
  defect_id integer NOT NULL CHECK (defect_id > 0),
  project_id text NOT NULL,
  -- The failed result it was filed from or linked to (kept when that result is deleted).
  result_id bigint,
  how text NOT NULL CHECK (how IN ('created', 'linked')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  title text,
  work_item_type text,
  state text,
  state_category text,
  state_at timestamptz,
  PRIMARY KEY (org_id, work_item_id, test_key, defect_id)
);

-- Backfill the summaries from the links already stored.
INSERT INTO work_item_tests (org_id, work_item_id, test_key, project_id, path, name, full_name, results, latest_result_id,
                             latest_run_id, latest_at, latest_outcome, latest_duration_ms, recent)
SELECT a.org_id, a.work_item_id, a.test_key, r.project_id, r.path, r.name, r.full_name, a.n, r.id, r.run_id, a.at, r.outcome,
       r.duration_ms, a.recent
  FROM (SELECT k.org_id, k.work_item_id, k.test_key, count(*)::int AS n,
               (array_agg(k.result_id ORDER BY k.at DESC, k.result_id DESC))[1] AS rid,
               max(k.at) AS at,
               to_jsonb((array_agg(jsonb_build_array((extract(epoch FROM k.at) * 1000)::bigint, k.result_id, r.outcome)
                                   ORDER BY k.at DESC, k.result_id DESC))[1:20]) AS recent
          FROM test_result_links k JOIN test_results r ON r.id = k.result_id
         GROUP BY 1, 2, 3) a
  JOIN test_results r ON r.id = a.rid;
INSERT INTO work_item_runs (org_id, work_item_id, run_id, at, passed, failed, error, skipped)
SELECT k.org_id, k.work_item_id, r.run_id, min(k.at),
       count(*) FILTER (WHERE r.outcome = 'passed'), count(*) FILTER (WHERE r.outcome = 'failed'),
       count(*) FILTER (WHERE r.outcome = 'error'), count(*) FILTER (WHERE r.outcome = 'skipped')
  FROM test_result_links k JOIN test_results r ON r.id = k.result_id
 GROUP BY 1, 2, 3;

-- Per work item: its tests' latest outcomes counted, and how many fail with no open defect. Plans reads
-- one row per requirement (as cheap as the requirement itself); refreshed from work_item_tests for the
-- work items a write touched (writeResultLinks) and when a test's defects change.
CREATE TABLE work_item_test_totals (
  org_id text NOT NULL,
  work_item_id integer NOT NULL,
  tests integer NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  error integer NOT NULL,
  skipped integer NOT NULL,
  failing_without_defect integer NOT NULL,
  PRIMARY KEY (org_id, work_item_id)
);
INSERT INTO work_item_test_totals
SELECT org_id, work_item_id, count(*), count(*) FILTER (WHERE latest_outcome = 'passed'), count(*) FILTER (WHERE latest_outcome = 'failed'),
       count(*) FILTER (WHERE latest_outcome = 'error'), count(*) FILTER (WHERE latest_outcome = 'skipped'),
       count(*) FILTER (WHERE latest_outcome IN ('failed', 'error'))
  FROM work_item_tests GROUP BY 1, 2;
