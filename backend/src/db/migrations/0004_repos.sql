-- Repos link (issue 7): Katalon test cases and suites synced from a folder of an Azure Repos repository.
CREATE TABLE repos_links (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 255),
  -- The URL as the user gave it (shown back), and what it resolved to in Azure DevOps.
  url text NOT NULL,
  repo_project_id text NOT NULL,
  repo_project_name text NOT NULL,
  repository_id text NOT NULL,
  repository_name text NOT NULL,
  path text NOT NULL DEFAULT '/',
  version_type text NOT NULL CHECK (version_type IN ('branch', 'tag', 'commit')),
  version text NOT NULL,
  -- "Link existing test execution results with test cases having the exact same paths and names".
  link_results boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'Inactive' CHECK (status IN ('Inactive', 'Active', 'Error')),
  status_reason text,
  archived_at timestamptz,
  -- The commit the stored test cases reflect; the next sync asks ADO only for what changed since.
  last_commit text,
  last_synced_at timestamptz,
  -- Summary of the last finished sync: counts, requests, and the skipped/warning report.
  last_sync jsonb,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repos_links_project ON repos_links (org_id, project_id);
CREATE INDEX repos_links_repository ON repos_links (org_id, repository_id);
CREATE UNIQUE INDEX repos_links_name ON repos_links (org_id, project_id, lower(name));

-- The Katalon-relevant files of the linked folder at last_commit (.prj, .tc, .ts, Scripts/**/Script*.groovy),
-- with the parse of each blob we had to read, so the next sync reads only blobs that changed.
CREATE TABLE repos_files (
  link_id uuid NOT NULL REFERENCES repos_links(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  path text NOT NULL,
  object_id text NOT NULL,
  parsed jsonb,
  PRIMARY KEY (link_id, path)
);

-- Test cases, keyed by link + identity (the testCaseGuid, or "path:<path>" for a file without one), so a
-- renamed test case keeps its row. removed_at marks a test case that left the repository.
CREATE TABLE repos_test_cases (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES repos_links(id) ON DELETE CASCADE,
  identity text NOT NULL,
  guid text,
  path text NOT NULL,
  project_dir text NOT NULL,
  katalon_id text NOT NULL,
  folder text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  comment text NOT NULL DEFAULT '',
  tags jsonb NOT NULL DEFAULT '[]'::jsonb,
  variables jsonb NOT NULL DEFAULT '[]'::jsonb,
  script_path text,
  object_id text NOT NULL,
  warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
  fingerprint text NOT NULL,
  commit_id text NOT NULL,
  removed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, identity)
);
CREATE INDEX repos_test_cases_name ON repos_test_cases (org_id, katalon_id);

-- Suites, collections and dynamic suites; members refer to test case/suite identities of the same link.
CREATE TABLE repos_test_suites (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES repos_links(id) ON DELETE CASCADE,
  identity text NOT NULL,
  guid text,
  kind text NOT NULL CHECK (kind IN ('suite', 'collection', 'dynamic')),
  path text NOT NULL,
  project_dir text NOT NULL,
  katalon_id text NOT NULL,
  folder text NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  tags jsonb NOT NULL DEFAULT '[]'::jsonb,
  -- suite: {links:[{testCaseId, guid, isRun, testCaseKey}]}; collection: {executionMode, maxConcurrentInstances,
  -- runs:[{testSuiteId, runEnabled, runConfigurationId, profileName, suiteKey}]}; dynamic: {filterText, testCaseKeys}
  details jsonb NOT NULL,
  object_id text NOT NULL,
  warnings jsonb NOT NULL DEFAULT '[]'::jsonb,
  fingerprint text NOT NULL,
  commit_id text NOT NULL,
  removed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, identity)
);
