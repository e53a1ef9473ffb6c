-- Dashboard widgets (issue #20): summaries written when a run is finished (RunWriter.finish, appendToRun),
-- so the widgets' data calls read a few rows per run or per failing test, never a project's results.

-- Per (run × test path): outcome counts. The pass-rate trend filtered by a path prefix reads an index
-- range of these per run. "C" collation: byte order, so a prefix is a range whatever the database locale.
CREATE TABLE run_path_totals (
  run_id uuid NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  path text COLLATE "C" NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  error integer NOT NULL,
  skipped integer NOT NULL,
  PRIMARY KEY (run_id, path)
);

-- Per (project × test): the latest result and the last 50 results, newest first, as parallel arrays
-- (when in epoch ms, result id) and one letter per outcome (p passed, f failed, e error, s skipped) so a
-- window of N results is a substring. Tests linked to no work item count too (unlike work_item_tests).
CREATE TABLE project_tests (
  org_id text NOT NULL,
  project_id text NOT NULL,
  test_key text NOT NULL,
  path text NOT NULL,
  name text NOT NULL,
  full_name text NOT NULL,
  results integer NOT NULL,
  latest_result_id bigint NOT NULL,
  latest_run_id uuid NOT NULL,
  latest_at timestamptz NOT NULL,
  latest_outcome text NOT NULL,
  recent_at bigint[] NOT NULL,
  recent_ids bigint[] NOT NULL,
  recent text NOT NULL,
  PRIMARY KEY (org_id, project_id, test_key)
);
-- The flaky/failing widget only ever ranks tests with a failure among their last 50 results.
CREATE INDEX project_tests_failing ON project_tests (org_id, project_id) WHERE recent ~ '[fe]';

-- The pass-rate trend of a Boards link: its requirements' counts in the project's last runs, read by run.
CREATE INDEX work_item_runs_run ON work_item_runs (org_id, run_id, work_item_id) INCLUDE (passed, failed, error, skipped);
-- The flaky widget of a Boards link: is this test one of the link's requirements' tests?
CREATE INDEX work_item_tests_test ON work_item_tests (org_id, test_key, work_item_id);

-- Backfill from the complete runs already stored.
INSERT INTO run_path_totals (run_id, org_id, path, passed, failed, error, skipped)
SELECT r.run_id, r.org_id, r.path, count(*) FILTER (WHERE r.outcome = 'passed'), count(*) FILTER (WHERE r.outcome = 'failed'),
       count(*) FILTER (WHERE r.outcome = 'error'), count(*) FILTER (WHERE r.outcome = 'skipped')
  FROM test_results r JOIN test_runs run ON run.id = r.run_id AND run.complete
 GROUP BY r.run_id, r.org_id, r.path;

INSERT INTO project_tests (org_id, project_id, test_key, path, name, full_name, results, latest_result_id, latest_run_id, latest_at,
                           latest_outcome, recent_at, recent_ids, recent)
SELECT x.org_id, x.project_id, x.test_key, l.path, l.name, l.full_name, x.n, l.id, l.run_id, x.latest_at, l.outcome, x.recent_at,
       x.recent_ids, x.recent
  FROM (SELECT org_id, project_id, test_key, max(n)::int AS n, max(at) AS latest_at,
               (array_agg(id ORDER BY at DESC, id DESC))[1] AS rid,
               array_agg((extract(epoch FROM at) * 1000)::bigint ORDER BY at DESC, id DESC) AS recent_at,
               array_agg(id ORDER BY at DESC, id DESC) AS recent_ids,
               string_agg(CASE outcome WHEN 'passed' THEN 'p' WHEN 'failed' THEN 'f' WHEN 'error' THEN 'e' ELSE 's' END, ''
                          ORDER BY at DESC, id DESC) AS recent
          FROM (SELECT r.org_id, r.project_id, md5(r.path) || md5(r.name) AS test_key, r.id, r.outcome,
                       COALESCE(run.started_at, run.created_at) AS at,
                       count(*) OVER w AS n, row_number() OVER (w ORDER BY COALESCE(run.started_at, run.created_at) DESC, r.id DESC) AS rn
                  FROM test_results r JOIN test_runs run ON run.id = r.run_id AND run.complete
                WINDOW w AS (PARTITION BY r.org_id, r.project_id, md5(r.path) || md5(r.name))) y
         WHERE rn <= 50
         GROUP BY 1, 2, 3) x
  JOIN test_results l ON l.id = x.rid;
