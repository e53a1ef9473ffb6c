-- Hook bursts: a sync asked for by a service hook waits a short window (run_after) so that the rest of a
-- burst finds it queued; a follow-up it causes waits as long (rerun_delay_ms).
ALTER TABLE jobs ADD COLUMN rerun_delay_ms integer;
-- An incremental sync re-reads the iteration tree and checks which ids are still in scope only when asked
-- (full, manual, safety net, an event that may change them) or when the last read is this old.
ALTER TABLE boards_sync_state ADD COLUMN iterations_read_at timestamptz;
ALTER TABLE boards_sync_state ADD COLUMN scope_checked_at timestamptz;
