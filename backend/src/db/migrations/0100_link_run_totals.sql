-- The pass-rate trend of a Boards link (issue #20): per (link × run) and per (link × run × test path)
-- outcome counts of the results linked to at least one of the link's live requirements, each result
-- counted once per link however many of its requirements it is linked to. Summing work_item_runs of the
-- link's 10,000 requirements per shown run took 297 ms p99 at 1M results; these are a few rows per run.
--
-- Kept by triggers, because membership changes in many places (every Boards sync upsert, scope checks,
-- full-sync retirement) and links in several (uploads, chunked uploads, Repos linking, trace links,
-- rebuilds): every one of them keeps the invariant
--   totals(link, run[, path]) = Σ results of the run [under the path] with a link to a live requirement of the link.
-- Rows are deltas, inserted and never updated, so two writers of the same (link × run) never wait for
-- or deadlock on each other; a read sums a run's rows (one per link-writing statement of that run).
--
-- boards_requirements.counted says whether the totals count a requirement as live: it equals NOT removed
-- except inside the statement that changes `removed`, whose trigger counts the difference and sets it.
-- (INSERT … ON CONFLICT DO UPDATE fires its UPDATE and INSERT triggers one after the other, each seeing
-- only its own rows; a flag on the rows lets the first see every change of the statement.)
--
-- Concurrency (Postgres, READ COMMITTED): a result link written while a requirement's membership
-- changes in another transaction would be missed by both triggers (neither sees the other's rows). So
-- link writers take a shared and membership changers an exclusive transaction lock per organization,
-- and the trigger's queries run after it, with a snapshot that sees what the other committed.
CREATE TABLE link_run_totals (
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  error integer NOT NULL,
  skipped integer NOT NULL
);
-- Index-only reads: org_id is in the index too (every read is scoped by it), or each row costs a heap visit.
CREATE INDEX link_run_totals_read ON link_run_totals (link_id, run_id) INCLUDE (org_id, passed, failed, error, skipped);
CREATE INDEX link_run_totals_run ON link_run_totals (run_id);

CREATE TABLE link_run_path_totals (
  link_id uuid NOT NULL REFERENCES boards_links(id) ON DELETE CASCADE,
  run_id uuid NOT NULL REFERENCES test_runs(id) ON DELETE CASCADE,
  org_id text NOT NULL,
  path text COLLATE "C" NOT NULL,
  passed integer NOT NULL,
  failed integer NOT NULL,
  error integer NOT NULL,
  skipped integer NOT NULL
);
CREATE INDEX link_run_path_totals_read ON link_run_path_totals (link_id, run_id, path) INCLUDE (org_id, passed, failed, error, skipped);
CREATE INDEX link_run_path_totals_run ON link_run_path_totals (run_id);

-- Read by nothing since the pass rate of a link reads the tables above (it was made for that in 0080).
DROP INDEX work_item_runs_run;

ALTER TABLE boards_requirements ADD COLUMN counted boolean NOT NULL DEFAULT false;
-- Which links a work item is a counted requirement of (the link triggers look this up for every link written).
CREATE INDEX boards_requirements_member ON boards_requirements (org_id, ado_id, link_id) WHERE counted;
-- Rows whose membership changed in the running statement.
CREATE INDEX boards_requirements_uncounted ON boards_requirements (org_id) WHERE counted = removed;

-- Adds sign × (the results' outcomes) to both tables, grouped by link, run and path. Pairs are distinct.
-- (Both INSERTs run to completion: a data-modifying WITH runs whether or not the main query reads it.)
CREATE FUNCTION link_totals_apply(links uuid[], results bigint[], signs integer[]) RETURNS void LANGUAGE sql AS $fn$
  WITH d AS (
    SELECT u.link_id, r.run_id, r.org_id, r.path, r.outcome, u.sign
      FROM unnest(links, results, signs) AS u(link_id, result_id, sign)
      JOIN test_results r ON r.id = u.result_id
      -- A link deleted in this statement (cascade) gets nothing.
      JOIN boards_links l ON l.id = u.link_id
  ), runs AS (
    INSERT INTO link_run_totals (link_id, run_id, org_id, passed, failed, error, skipped)
    SELECT link_id, run_id, min(org_id), COALESCE(sum(sign) FILTER (WHERE outcome = 'passed'), 0),
           COALESCE(sum(sign) FILTER (WHERE outcome = 'failed'), 0), COALESCE(sum(sign) FILTER (WHERE outcome = 'error'), 0),
           COALESCE(sum(sign) FILTER (WHERE outcome = 'skipped'), 0)
      FROM d GROUP BY link_id, run_id
  )
  INSERT INTO link_run_path_totals (link_id, run_id, org_id, path, passed, failed, error, skipped)
  SELECT link_id, run_id, min(org_id), path, COALESCE(sum(sign) FILTER (WHERE outcome = 'passed'), 0),
         COALESCE(sum(sign) FILTER (WHERE outcome = 'failed'), 0), COALESCE(sum(sign) FILTER (WHERE outcome = 'error'), 0),
         COALESCE(sum(sign) FILTER (WHERE outcome = 'skipped'), 0)
    FROM d GROUP BY link_id, run_id, path
$fn$;

-- New result links: +1 for each (link, result) whose links to the link's counted requirements are all new
-- (all of them in this statement: it was not counted before).
CREATE FUNCTION link_totals_links_added() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(724300, hashtext(o)) FROM (SELECT DISTINCT org_id AS o FROM new_links ORDER BY 1) x;
  PERFORM link_totals_apply(array_agg(h.link_id), array_agg(h.result_id), array_agg(1))
     FROM (SELECT q.link_id, n.result_id, count(*) AS fresh
             FROM new_links n JOIN boards_requirements q ON q.org_id = n.org_id AND q.ado_id = n.work_item_id AND q.counted
            GROUP BY q.link_id, n.result_id) h
    WHERE h.fresh = (SELECT count(*) FROM test_result_links k
                       JOIN boards_requirements q ON q.org_id = k.org_id AND q.ado_id = k.work_item_id AND q.link_id = h.link_id AND q.counted
                      WHERE k.result_id = h.result_id)
   HAVING count(*) > 0;
  RETURN NULL;
END $fn$;

-- Removed result links: −1 for each (link, result) that had a link to a counted requirement of the link
-- and has none left.
CREATE FUNCTION link_totals_links_removed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(724300, hashtext(o)) FROM (SELECT DISTINCT org_id AS o FROM old_links ORDER BY 1) x;
  PERFORM link_totals_apply(array_agg(h.link_id), array_agg(h.result_id), array_agg(-1))
     FROM (SELECT DISTINCT q.link_id, o.result_id
             FROM old_links o JOIN boards_requirements q ON q.org_id = o.org_id AND q.ado_id = o.work_item_id AND q.counted) h
    WHERE NOT EXISTS (SELECT 1 FROM test_result_links k
                        JOIN boards_requirements q ON q.org_id = k.org_id AND q.ado_id = k.work_item_id AND q.link_id = h.link_id AND q.counted
                       WHERE k.result_id = h.result_id)
   HAVING count(*) > 0;
  RETURN NULL;
END $fn$;

CREATE TRIGGER test_result_links_totals_ins AFTER INSERT ON test_result_links
  REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION link_totals_links_added();
CREATE TRIGGER test_result_links_totals_del AFTER DELETE ON test_result_links
  REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION link_totals_links_removed();

-- Membership changes: the requirements whose `removed` changed in this statement (counted = removed) and
-- those deleted while counted (`gone`). For every result linked to one of them, counted before = linked to
-- a requirement counted before (counted, or deleted while counted); counted after = linked to a live one.
CREATE FUNCTION link_totals_membership(gone_links uuid[], gone_items integer[]) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM pg_advisory_xact_lock(724300, hashtext(o))
     FROM (SELECT DISTINCT o FROM (SELECT org_id AS o FROM boards_requirements WHERE counted = removed
                                   UNION SELECT l.org_id FROM unnest(gone_links) AS g(link_id) JOIN boards_links l ON l.id = g.link_id) u
            ORDER BY 1) x;
  PERFORM link_totals_apply(array_agg(j.link_id), array_agg(j.result_id), array_agg(CASE WHEN j.after THEN 1 ELSE -1 END))
     FROM (
          WITH gone AS (
            SELECT g.link_id, g.ado_id, l.org_id FROM unnest(gone_links, gone_items) AS g(link_id, ado_id) JOIN boards_links l ON l.id = g.link_id
          ), c AS (
            SELECT link_id, ado_id, org_id FROM boards_requirements WHERE counted = removed
            UNION SELECT link_id, ado_id, org_id FROM gone
          ), scope AS (
            SELECT DISTINCT c.link_id, k.result_id FROM c JOIN test_result_links k ON k.org_id = c.org_id AND k.work_item_id = c.ado_id
          ), judged AS (
            SELECT s.link_id, s.result_id,
                   COALESCE(bool_or(NOT q.removed), false) AS after,
                   COALESCE(bool_or(q.counted), false) OR bool_or(g.ado_id IS NOT NULL) AS before
              FROM scope s
              JOIN test_result_links k ON k.result_id = s.result_id
              LEFT JOIN boards_requirements q ON q.link_id = s.link_id AND q.ado_id = k.work_item_id AND q.org_id = k.org_id
              LEFT JOIN gone g ON g.link_id = s.link_id AND g.ado_id = k.work_item_id AND g.org_id = k.org_id
             GROUP BY s.link_id, s.result_id
          )
        SELECT * FROM judged) j
    WHERE j.after <> j.before
   HAVING count(*) > 0;
  UPDATE boards_requirements SET counted = NOT removed WHERE counted = removed;
END $fn$;

CREATE FUNCTION link_totals_requirements_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF EXISTS (SELECT 1 FROM boards_requirements WHERE counted = removed) THEN
    PERFORM link_totals_membership(ARRAY[]::uuid[], ARRAY[]::integer[]);
  END IF;
  RETURN NULL;
END $fn$;

CREATE FUNCTION link_totals_requirements_deleted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM link_totals_membership(array_agg(o.link_id), array_agg(o.ado_id)) FROM old_reqs o WHERE o.counted HAVING count(*) > 0;
  RETURN NULL;
END $fn$;

-- UPDATE OF removed: the trigger's own UPDATE of `counted` does not fire it again.
CREATE TRIGGER boards_requirements_totals_ins AFTER INSERT ON boards_requirements
  FOR EACH STATEMENT EXECUTE FUNCTION link_totals_requirements_changed();
CREATE TRIGGER boards_requirements_totals_upd AFTER UPDATE OF removed ON boards_requirements
  FOR EACH STATEMENT EXECUTE FUNCTION link_totals_requirements_changed();
CREATE TRIGGER boards_requirements_totals_del AFTER DELETE ON boards_requirements
  REFERENCING OLD TABLE AS old_reqs FOR EACH STATEMENT EXECUTE FUNCTION link_totals_requirements_deleted();

-- Backfill from what is stored.
UPDATE boards_requirements SET counted = NOT removed;
SELECT link_totals_apply(array_agg(link_id), array_agg(result_id), array_agg(1))
  FROM (SELECT DISTINCT q.link_id, k.result_id
          FROM test_result_links k JOIN boards_requirements q ON q.org_id = k.org_id AND q.ado_id = k.work_item_id AND q.counted) x
HAVING count(*) > 0;
