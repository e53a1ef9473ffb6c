-- Results from CI (issue #15): where a run came from, the build it belongs to, upload keys, and the
-- per-project import of test runs already in Azure Test Plans.

-- `source` already holds the report's tool ("JUnit", "Katalon", or what the uploader said); `origin` is
-- the way the run arrived: a page upload, the pipeline task, an upload key, or the import.
ALTER TABLE test_runs ADD COLUMN origin text NOT NULL DEFAULT 'upload' CHECK (origin IN ('upload', 'task', 'key', 'import'));
-- Build metadata, as Azure DevOps describes the build (never as the caller claims it).
ALTER TABLE test_runs ADD COLUMN build_id integer;
ALTER TABLE test_runs ADD COLUMN build_number text CHECK (length(build_number) <= 256);
ALTER TABLE test_runs ADD COLUMN pipeline_id integer;
ALTER TABLE test_runs ADD COLUMN pipeline_name text CHECK (length(pipeline_name) <= 256);
ALTER TABLE test_runs ADD COLUMN build_branch text CHECK (length(build_branch) <= 1000);
ALTER TABLE test_runs ADD COLUMN build_commit text CHECK (length(build_commit) <= 100);
ALTER TABLE test_runs ADD COLUMN build_url text CHECK (length(build_url) <= 2000);
-- Which upload key sent it (origin 'key').
ALTER TABLE test_runs ADD COLUMN upload_key_id uuid;
ALTER TABLE test_runs ADD COLUMN upload_key_name text;
-- The Azure Test Plans run it was imported from (origin 'import'): imported once per project.
ALTER TABLE test_runs ADD COLUMN imported_ado_run_id integer;
CREATE UNIQUE INDEX test_runs_imported ON test_runs (org_id, project_id, imported_ado_run_id) WHERE imported_ado_run_id IS NOT NULL;
CREATE INDEX test_runs_build ON test_runs (org_id, project_id, build_id) WHERE build_id IS NOT NULL;
CREATE INDEX test_runs_pushed ON test_runs (org_id, project_id, ado_run_id) WHERE ado_run_id IS NOT NULL;

-- Links also come from the build's associated work items and from imported Azure DevOps results.
ALTER TABLE test_result_links DROP CONSTRAINT test_result_links_source_check;
ALTER TABLE test_result_links ADD CONSTRAINT test_result_links_source_check
  CHECK (source IN ('upload', 'property', 'repos', 'build', 'import'));

-- Upload keys: a secret for one project, shown once; only its SHA-256 is stored.
CREATE TABLE upload_keys (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  project_name text NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- The first characters of the key ("tok_ab12cd"), to tell keys apart in lists and logs.
  prefix text NOT NULL,
  secret_sha256 text NOT NULL UNIQUE,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_by text
);
CREATE INDEX upload_keys_project ON upload_keys (org_id, project_id, created_at DESC);
CREATE UNIQUE INDEX upload_keys_live_name ON upload_keys (org_id, project_id, lower(name)) WHERE revoked_at IS NULL;

-- "Import pipeline test runs": one row per project; the cursor is the lastUpdatedDate up to which
-- every run has been read, the continuation token resumes a window a killed import was paging.
CREATE TABLE results_imports (
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  project_name text NOT NULL,
  enabled boolean NOT NULL DEFAULT false,
  cursor_at timestamptz NOT NULL,
  window_end timestamptz,
  continuation text,
  last_import_at timestamptz,
  last_error text,
  imported_runs integer NOT NULL DEFAULT 0,
  skipped_runs integer NOT NULL DEFAULT 0,
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, project_id)
);
