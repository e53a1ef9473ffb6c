-- The flaky/failing widget's ranking (issue #20): per (project × test) with a failure among its last 50
-- results, only what ranking needs. Ranking read the project's failing project_tests rows, which carry the
-- last 50 result times and ids (two 50-element arrays): at 1M results 17.7 of the call's 20.2 ms was the heap
-- scan of those 11,236 wide rows. The widget now ranks these narrow rows and reads project_tests for the top
-- few only.
--
-- A projection of project_tests WHERE recent ~ '[fe]', written in the same statement as project_tests (the
-- summaries' upsert, widgets/summaries.ts; it is project_tests' only writer). path and name are kept because
-- they break ties in the ranking's order (after the counts and latest_at), and ties are common: every test of
-- a run shares its time, so all the always-failing tests of a project tie. The foreign key removes (and
-- re-keys) the rows with their project_tests rows, whatever deletes or updates those.
CREATE TABLE project_failing_tests (
  org_id text NOT NULL,
  project_id text NOT NULL,
  test_key text NOT NULL,
  path text NOT NULL,
  name text NOT NULL,
  recent text NOT NULL CHECK (recent ~ '[fe]'),
  latest_at timestamptz NOT NULL,
  PRIMARY KEY (org_id, project_id, test_key),
  FOREIGN KEY (org_id, project_id, test_key) REFERENCES project_tests (org_id, project_id, test_key) ON DELETE CASCADE ON UPDATE CASCADE
);

INSERT INTO project_failing_tests (org_id, project_id, test_key, path, name, recent, latest_at)
SELECT org_id, project_id, test_key, path, name, recent, latest_at FROM project_tests WHERE recent ~ '[fe]';

-- Read by nothing now: the widget ranks project_failing_tests by its primary key.
DROP INDEX project_tests_failing;
