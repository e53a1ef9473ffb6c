-- Organizations are Azure DevOps instances (instanceId from connectionData); every row below hangs off one.
CREATE TABLE organizations (
  id text PRIMARY KEY,
  name text NOT NULL,
  url text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  actor_id text NOT NULL,
  actor_name text,
  action text NOT NULL,
  target_type text NOT NULL,
  target_id text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'::jsonb,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_target ON audit_log (org_id, target_type, target_id, at DESC);

-- The record of every background job (sync runs), whichever runner executes it.
CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  kind text NOT NULL,
  resource_key text,
  payload jsonb NOT NULL DEFAULT '{}'::jsonb,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  progress_done integer NOT NULL DEFAULT 0,
  progress_total integer,
  message text,
  error text,
  result jsonb,
  cancel_requested boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  heartbeat_at timestamptz
);
CREATE INDEX jobs_org_resource ON jobs (org_id, resource_key, created_at DESC);
CREATE INDEX jobs_status ON jobs (status) WHERE status IN ('queued', 'running');
