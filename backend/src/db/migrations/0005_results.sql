-- Test results: runs imported from JUnit XML, one row per test case, links to Azure DevOps work items,
-- and where each run was published in Azure Test Plans.
CREATE TABLE test_runs (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  project_name text NOT NULL,
  name text NOT NULL CHECK (length(name) <= 256),
  source text NOT NULL CHECK (length(source) <= 100),
  file_name text,
  started_at timestamptz,
  finished_at timestamptz,
  duration_ms bigint,
  suites integer NOT NULL DEFAULT 0,
  total integer NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  errors integer NOT NULL,
  skipped integer NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Publishing to Azure Test Plans (the "push test result" feature).
  ado_status text NOT NULL DEFAULT 'none' CHECK (ado_status IN ('none', 'queued', 'pushing', 'pushed', 'failed')),
  ado_run_id integer,
  ado_run_url text,
  ado_error text,
  ado_pushed_at timestamptz,
  ado_job_id uuid
);
CREATE INDEX test_runs_project ON test_runs (org_id, project_id, created_at DESC);

CREATE TABLE test_results (
  id bigserial PRIMARY KEY,
  org_id text NOT NULL,
  run_id uuid NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
  project_id text NOT NULL,
  -- Position in the file, so a run lists its results in the order they ran.
  seq integer NOT NULL,
  suite text NOT NULL,
  class_name text,
  -- Katalon: "Test Cases/<folders>" + test case name; otherwise class name (or suite) + test name.
  path text NOT NULL,
  name text NOT NULL,
  full_name text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('passed', 'failed', 'error', 'skipped')),
  duration_ms integer,
  message text CHECK (length(message) <= 4000),
  stack text CHECK (length(stack) <= 16000),
  ado_result_id integer
);
CREATE INDEX test_results_run ON test_results (run_id, seq);
-- "Link existing results with the exact same path and name" (Repos sync).
CREATE INDEX test_results_path_name ON test_results (org_id, project_id, path, name);

CREATE TABLE test_result_links (
  result_id bigint NOT NULL REFERENCES test_results(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  work_item_id integer NOT NULL CHECK (work_item_id > 0),
  -- upload: work item ids given with the upload; property: <property name="workitem">; repos: a synced Katalon test case.
  source text NOT NULL CHECK (source IN ('upload', 'property', 'repos')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (result_id, work_item_id)
);
CREATE INDEX test_result_links_work_item ON test_result_links (org_id, work_item_id, result_id DESC);
