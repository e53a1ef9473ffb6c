-- Traceability (issue 17): requirement ⇄ test case ⇄ automated test ⇄ results.
-- A TestOps test case stands for an Azure DevOps Test Case work item (ado_test_case_id), is automated by a
-- synced Katalon test case (repos_test_case_id), or both; "origin" says how it came to exist.
CREATE TABLE trace_test_cases (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 255),
  description text NOT NULL DEFAULT '',
  origin text NOT NULL CHECK (origin IN ('katalon', 'requirement', 'ado')),
  ado_test_case_id integer CHECK (ado_test_case_id > 0),
  -- The Katalon test case keeps its row (by GUID) across renames; a deleted one keeps it too (removed_at),
  -- so the association is reported, never dropped silently.
  repos_test_case_id uuid REFERENCES repos_test_cases(id) ON DELETE SET NULL,
  -- What we wrote into the Test Case's Microsoft.VSTS.TCM.AutomatedTest* fields.
  automated_test_name text,
  automated_test_storage text,
  automated_test_id text,
  -- Why the association in Azure DevOps is out of date (the Katalon test case was deleted, ADO refused an update).
  automation_problem text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX trace_test_cases_ado ON trace_test_cases (org_id, ado_test_case_id) WHERE ado_test_case_id IS NOT NULL;
CREATE UNIQUE INDEX trace_test_cases_katalon ON trace_test_cases (repos_test_case_id) WHERE repos_test_case_id IS NOT NULL;
CREATE INDEX trace_test_cases_project ON trace_test_cases (org_id, project_id);

-- requirement (ADO work item id) → TestOps test case. generated: made by "generate test cases"; ado: a
-- Tested By link read by the Boards sync.
CREATE TABLE trace_requirement_links (
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  requirement_id integer NOT NULL CHECK (requirement_id > 0),
  test_case_id uuid NOT NULL REFERENCES trace_test_cases(id) ON DELETE CASCADE,
  source text NOT NULL CHECK (source IN ('generated', 'ado')),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, requirement_id, test_case_id)
);
CREATE INDEX trace_requirement_links_test_case ON trace_requirement_links (test_case_id);

-- Results reach a requirement through the chain too (a Katalon result counts for every requirement its test
-- case is linked to): those links are kept in test_result_links with source 'trace' and recomputed when the chain changes.
ALTER TABLE test_result_links DROP CONSTRAINT test_result_links_source_check;
ALTER TABLE test_result_links ADD CONSTRAINT test_result_links_source_check CHECK (source IN ('upload', 'property', 'repos', 'build', 'import', 'trace'));

-- Which requirements' Tested By links the Boards sync has read: requirements changed after read_until are read again.
CREATE TABLE trace_boards_state (
  link_id uuid PRIMARY KEY REFERENCES boards_links(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  read_until timestamptz NOT NULL
);

-- Pushing a run to Azure Test Plans also runs the test points of its linked Test Cases: one Azure DevOps run
-- per test plan (a run belongs to one plan), resumable like the main push.
CREATE TABLE trace_plan_pushes (
  org_id text NOT NULL,
  run_id uuid NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
  plan_id integer NOT NULL,
  plan_name text NOT NULL DEFAULT '',
  ado_run_id integer,
  create_sent_at timestamptz,
  points integer NOT NULL DEFAULT 0,
  completed_at timestamptz,
  PRIMARY KEY (run_id, plan_id)
);
