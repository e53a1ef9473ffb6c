-- A test run POST whose answer was lost (timeout, broken connection) may still have been applied by
-- Azure DevOps: remember that one was sent, so the next push looks for that run before creating another.
ALTER TABLE test_runs ADD COLUMN ado_create_sent_at timestamptz;
