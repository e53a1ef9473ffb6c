-- The organization's Azure DevOps connection(s): a PAT (sealed with deps.secrets, AAD = connection id)
-- that Boards and Repos links use. Connections are never deleted (history and audit refer to them).
CREATE TABLE connections (
  id uuid PRIMARY KEY,
  org_id text NOT NULL REFERENCES organizations(id),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50),
  organization_url text NOT NULL,
  organization_name text NOT NULL,
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 255),
  status text NOT NULL CHECK (status IN ('Active', 'Inactive', 'Error')),
  status_reason text,
  status_changed_at timestamptz NOT NULL DEFAULT now(),
  pat_sealed text NOT NULL,
  pat_set_at timestamptz NOT NULL DEFAULT now(),
  pat_expires_on date,
  pat_owner_id text,
  pat_owner_name text,
  hook_secret_sealed text NOT NULL,
  hooks_error text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- The rule for several connections: at most one connection per organization that is not Inactive
-- (Active, or Error waiting for a new PAT), so "the org's connection" is never ambiguous.
CREATE UNIQUE INDEX connections_one_live_per_org ON connections (org_id) WHERE status <> 'Inactive';
CREATE UNIQUE INDEX connections_name_per_org ON connections (org_id, lower(name));

-- Service-hook subscriptions we created in Azure DevOps for a connection (removed on disconnect).
CREATE TABLE connection_hooks (
  connection_id uuid NOT NULL REFERENCES connections(id),
  subscription_id text NOT NULL,
  event_type text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, subscription_id)
);

-- Service-hook deliveries already accepted, by event id: Azure DevOps retries, we handle each event once.
CREATE TABLE webhook_events (
  connection_id uuid NOT NULL REFERENCES connections(id),
  event_id text NOT NULL,
  event_type text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connection_id, event_id)
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);
