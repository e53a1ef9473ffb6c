-- Service-hook health as Azure DevOps reports it (issue #19): the hub shows the real state of each
-- subscription, the last delivery we received, and what the backend did about a broken one.
ALTER TABLE connection_hooks ADD COLUMN status text;
ALTER TABLE connection_hooks ADD COLUMN checked_at timestamptz;
ALTER TABLE connection_hooks ADD COLUMN last_delivery_at timestamptz;
ALTER TABLE connection_hooks ADD COLUMN last_action text;
ALTER TABLE connection_hooks ADD COLUMN last_action_at timestamptz;
