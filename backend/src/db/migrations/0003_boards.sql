-- Boards link (issue 6): a project's mapping to TestOps, the TestOps entities it produces, and its sync state.
CREATE TABLE boards_links (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  project_id text NOT NULL,
  project_name text NOT NULL,
  team_id text,
  team_name text,
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 255),
  config jsonb NOT NULL,
  -- Bumped on every edit; entity rows remember the version that mapped them (a full resync re-maps).
  config_version integer NOT NULL DEFAULT 1,
  status text NOT NULL DEFAULT 'Inactive' CHECK (status IN ('Inactive', 'Active', 'Error')),
  status_reason text,
  archived boolean NOT NULL DEFAULT false,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX boards_links_org ON boards_links (org_id, project_id);

-- One row per link: where the reporting revisions stream stopped, and how the last runs went.
CREATE TABLE boards_sync_state (
  link_id uuid PRIMARY KEY REFERENCES boards_links(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  -- Continuation token of _apis/wit/reporting/workitemrevisions, saved with every committed batch.
  continuation_token text,
  -- The config version the token belongs to; a different version forces a full read.
  token_config_version integer,
  -- A full read in progress (token reset on a config change); cleared when it reaches the last batch.
  full_in_progress boolean NOT NULL DEFAULT false,
  run_started_at timestamptz,
  run_counts jsonb,
  last_success_at timestamptz,
  last_summary jsonb,
  last_error text,
  last_error_at timestamptz
);

CREATE TABLE boards_releases (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  ado_node_id integer NOT NULL,
  path text NOT NULL,
  name text NOT NULL,
  start_date timestamptz,
  finish_date timestamptz,
  removed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, ado_node_id)
);

CREATE TABLE boards_sprints (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  ado_node_id integer NOT NULL,
  release_node_id integer NOT NULL,
  path text NOT NULL,
  name text NOT NULL,
  start_date timestamptz,
  finish_date timestamptz,
  removed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, ado_node_id)
);

-- Requirements and bugs: keyed by (link, ADO id); ado_rev guards against older revisions overwriting newer ones.
CREATE TABLE boards_requirements (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  ado_id integer NOT NULL,
  ado_rev integer NOT NULL,
  config_version integer NOT NULL,
  work_item_type text NOT NULL,
  title text NOT NULL,
  ado_state text,
  status text,
  priority text,
  release_date timestamptz,
  iteration_path text,
  removed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, ado_id)
);
CREATE INDEX boards_requirements_iteration ON boards_requirements (link_id, iteration_path);

CREATE TABLE boards_bugs (
  id uuid PRIMARY KEY,
  org_id text NOT NULL,
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  ado_id integer NOT NULL,
  ado_rev integer NOT NULL,
  config_version integer NOT NULL,
  work_item_type text NOT NULL,
  title text NOT NULL,
  ado_state text,
  status text,
  priority text,
  severity text,
  iteration_path text,
  removed boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (link_id, ado_id)
);
CREATE INDEX boards_bugs_iteration ON boards_bugs (link_id, iteration_path);
