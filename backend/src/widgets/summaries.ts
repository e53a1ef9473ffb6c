// The dashboard widgets' summaries (migration 0080), written when a run is finished: per (run × path)
// outcome counts for the pass-rate trend's path filter, and per (project × test) the last 50 outcomes
// for the flaky/failing widget (and, for the tests with a failure among them, the narrow rows its ranking
// reads: migration 0110). Both are read from the run's own results (an index range on run_id).
import { sql } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import { runSoon, startSweep, whenIdle } from "../lib/background";
import { rowCount } from "../results/links";
import { visibleResult } from "../results/visible";
import type { Logger } from "../log";

/** Outcomes kept per (project × test): the widest window the flaky widget can ask for. */
export const PROJECT_RECENT = 50;
/**
 * Results summarized per transaction on PGlite, which serves one transaction at a time (every other
 * request's queries wait for it): small pages, each its own transaction, keep every wait short. A request
 * makes several queries and may wait behind a page before each: with 500 results a page the work item form
 * API's p99 during a 50k-case upload was 243–287 ms, with 100 it was 63 ms, for an upload 5 s longer
 * (bench/uploads.ts, docs/benchmarks.md).
 */
const PGLITE_PAGE = 100;

const LETTER = sql.raw(`CASE r.outcome WHEN 'passed' THEN 'p' WHEN 'failed' THEN 'f' WHEN 'error' THEN 'e' ELSE 's' END`);

/**
 * Folds results [fromSeq, toSeq) of a run into the summaries (`toSeq` null: to the end), in the caller's
 * transaction. On Postgres one statement per table for the whole range: its rows are locked in test_key
 * order, so two runs of a project finishing at once wait for each other instead of deadlocking. `paged`
 * (the benchmark's dataset on PGlite) goes 100 results a statement.
 */
export async function writeRunSummaries(
  db: Pick<Db, "execute">,
  o: { orgId: string; runId: string; fromSeq: number; toSeq: number | null; paged: boolean },
): Promise<void> {
  const end = o.toSeq ?? 2_147_483_647;
  const step = o.paged ? PGLITE_PAGE : end - o.fromSeq;
  for (let from = o.fromSeq; from < end; from += step) {
    const to = Math.min(end, from + step);
    const n = await summarize(db, o.orgId, o.runId, from, to);
    // Paged without a known end: stop after the first empty page.
    if (!n && o.toSeq === null) break;
  }
}

/**
 * The embedded database's way (see migration 0090): a finished run is made visible with `summarized_seq`
 * set, and its summaries are then written here a page per transaction, each moving `summarized_seq` on
 * with it (conditionally, so two callers never fold a page twice). Called after a run is finished or a
 * file appended (for that run) and at start (for every run a stopped process left pending).
 */
export async function writePendingSummaries(database: Database, runId?: string): Promise<void> {
  // Postgres readers never wait for a writer (MVCC): bigger pages there only bound each transaction.
  const page = database.kind === "pglite" ? PGLITE_PAGE : 5_000;
  for (;;) {
    const [run] = await database.query<{ id: string; org_id: string; from: number; end: number }>(
      `SELECT t.id, t.org_id, t.summarized_seq AS "from",
              COALESCE((SELECT max(r.seq) + 1 FROM test_results r WHERE r.run_id = t.id AND ${visibleResult("r", "t")}), 0) AS "end"
         FROM test_runs t WHERE t.summarized_seq IS NOT NULL AND t.complete AND ($1::uuid IS NULL OR t.id = $1::uuid)
        ORDER BY t.created_at, t.id LIMIT 1`,
      [runId ?? null],
    );
    if (!run) return;
    const to = Math.min(run.end, run.from + page);
    await database.db.transaction(async (tx) => {
      const moved = await tx.execute(
        sql`UPDATE test_runs SET summarized_seq = ${to >= run.end ? null : to}::int WHERE id = ${run.id}::uuid AND summarized_seq = ${run.from}::int RETURNING 1`,
      );
      if (rowCount(moved) && to > run.from) await summarize(tx, run.org_id, run.id, run.from, to);
    });
    // Let the requests that waited run before the next page.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const SUMMARIES = "write the widget summaries";

/**
 * Writes the pending summaries in the background, so an upload's answer does not wait for them (a 100k-case
 * run's took about 3 s on Postgres in its finishing transaction): one loop per database in this process.
 */
export function summarizeSoon(database: Database, log: Logger): void {
  runSoon(SUMMARIES, database, (d) => writePendingSummaries(d), log);
}

/** Looks for pending summaries every `everyMs` (a minute by default) and writes them (one index probe). */
export function startSummarySweep(database: Database, log: Logger, everyMs = 60_000): () => void {
  return startSweep(
    SUMMARIES,
    async () => (await database.query(`SELECT 1 FROM test_runs WHERE summarized_seq IS NOT NULL LIMIT 1`)).length > 0,
    () => summarizeSoon(database, log),
    log,
    everyMs,
  );
}

/** Resolves when no background summary work of this process is running (tests; closing the backend). */
export const summariesIdle = (database: Database): Promise<void> => whenIdle(SUMMARIES, database);

/** Marks results from `fromSeq` on as still to summarize (in the transaction that finishes or extends the run). */
export async function deferSummaries(db: Pick<Db, "execute">, runId: string, fromSeq: number): Promise<void> {
  await db.execute(
    sql`UPDATE test_runs SET summarized_seq = LEAST(COALESCE(summarized_seq, ${fromSeq}::int), ${fromSeq}::int) WHERE id = ${runId}::uuid`,
  );
}

async function summarize(db: Pick<Db, "execute">, orgId: string, runId: string, from: number, to: number): Promise<number> {
  const range = sql`r.run_id = ${runId}::uuid AND r.org_id = ${orgId}::text AND r.seq >= ${from}::int AND r.seq < ${to}::int`;
  const paths = await db.execute(sql`
    INSERT INTO run_path_totals AS t (run_id, org_id, path, passed, failed, error, skipped)
    SELECT ${runId}::uuid, ${orgId}::text, r.path, count(*) FILTER (WHERE r.outcome = 'passed'), count(*) FILTER (WHERE r.outcome = 'failed'),
           count(*) FILTER (WHERE r.outcome = 'error'), count(*) FILTER (WHERE r.outcome = 'skipped')
      FROM test_results r WHERE ${range}
     GROUP BY r.path
    ON CONFLICT (run_id, path) DO UPDATE SET passed = t.passed + EXCLUDED.passed, failed = t.failed + EXCLUDED.failed,
      error = t.error + EXCLUDED.error, skipped = t.skipped + EXCLUDED.skipped
    RETURNING 1`);
  const written = rowCount(paths);
  if (!written) return 0;
  const W = sql.raw(String(PROJECT_RECENT));
  // Runs usually arrive in time order: then the new results are all newer than what is kept and the
  // window is a concatenation; otherwise (an older run uploaded later) the two windows are merged by time.
  // Both windows are already in order (within a run: file order), so a merge keeps each one's own order,
  // and at equal times (pages or appended files of one run) what is written now is the newer.
  const newer = sql.raw(`EXCLUDED.recent_at[cardinality(EXCLUDED.recent_at)] >= p.recent_at[1]`);
  const merged = (agg: string) =>
    sql.raw(`(SELECT ${agg} FROM (
               SELECT * FROM (SELECT a.*, 0 AS src FROM unnest(EXCLUDED.recent_at, EXCLUDED.recent_ids, string_to_array(EXCLUDED.recent, NULL))
                                                      WITH ORDINALITY AS a(at, id, o, n)
                              UNION ALL
                              SELECT b.*, 1 FROM unnest(p.recent_at, p.recent_ids, string_to_array(p.recent, NULL)) WITH ORDINALITY AS b(at, id, o, n)) u
                ORDER BY at DESC, src, n LIMIT ${PROJECT_RECENT}) m)`);
  const ORDER = "ORDER BY at DESC, src, n";
  const latest = (col: string) => sql.raw(`${col} = CASE WHEN EXCLUDED.latest_at >= p.latest_at THEN EXCLUDED.${col} ELSE p.${col} END`);
  // project_failing_tests (migration 0110) follows project_tests in the same statement: each row written
  // here is put there if its window holds a failure and taken out if not. The sub-statements touch disjoint
  // keys, and a key's row there is only written by whoever holds its project_tests row (locked above first).
  await db.execute(sql`
    WITH run AS (
      SELECT project_id, COALESCE(started_at, created_at) AS at FROM test_runs WHERE id = ${runId}::uuid AND org_id = ${orgId}::text
    ), a AS (
      -- Within a run, later in the file is newer (result ids need not follow the file: Postgres writes two chunks at once).
      SELECT md5(r.path) || md5(r.name) AS test_key, count(*)::int AS n, (array_agg(r.id ORDER BY r.seq DESC))[1] AS rid,
             (array_agg(r.id ORDER BY r.seq DESC))[1:${W}] AS ids,
             left(string_agg(${LETTER}, '' ORDER BY r.seq DESC), ${W}) AS letters
        FROM test_results r WHERE ${range}
       GROUP BY 1
    ), up AS (
      INSERT INTO project_tests AS p (org_id, project_id, test_key, path, name, full_name, results, latest_result_id, latest_run_id, latest_at,
                                      latest_outcome, recent_at, recent_ids, recent)
      SELECT ${orgId}::text, run.project_id, a.test_key, r.path, r.name, r.full_name, a.n, r.id, ${runId}::uuid, run.at, r.outcome,
             array_fill((extract(epoch FROM run.at) * 1000)::bigint, ARRAY[cardinality(a.ids)]), a.ids, a.letters
        FROM a JOIN test_results r ON r.id = a.rid CROSS JOIN run
       ORDER BY a.test_key
      ON CONFLICT (org_id, project_id, test_key) DO UPDATE SET
        results = p.results + EXCLUDED.results,
        recent_at = CASE WHEN ${newer} THEN (EXCLUDED.recent_at || p.recent_at)[1:${W}] ELSE ${merged(`array_agg(at ${ORDER})`)} END,
        recent_ids = CASE WHEN ${newer} THEN (EXCLUDED.recent_ids || p.recent_ids)[1:${W}] ELSE ${merged(`array_agg(id ${ORDER})`)} END,
        recent = CASE WHEN ${newer} THEN left(EXCLUDED.recent || p.recent, ${W}) ELSE ${merged(`string_agg(o, '' ${ORDER})`)} END,
        ${latest("path")}, ${latest("name")}, ${latest("full_name")}, ${latest("latest_run_id")}, ${latest("latest_outcome")},
        ${latest("latest_result_id")}, ${latest("latest_at")}
      RETURNING p.org_id, p.project_id, p.test_key, p.path, p.name, p.recent, p.latest_at
    ), passing AS (
      DELETE FROM project_failing_tests f USING up
       WHERE up.recent !~ '[fe]' AND f.org_id = up.org_id AND f.project_id = up.project_id AND f.test_key = up.test_key
    )
    INSERT INTO project_failing_tests AS f (org_id, project_id, test_key, path, name, recent, latest_at)
    SELECT org_id, project_id, test_key, path, name, recent, latest_at FROM up WHERE recent ~ '[fe]' ORDER BY test_key
    ON CONFLICT (org_id, project_id, test_key) DO UPDATE SET
      path = EXCLUDED.path, name = EXCLUDED.name, recent = EXCLUDED.recent, latest_at = EXCLUDED.latest_at`);
  return written;
}
