// Writing test results' links to Azure DevOps work items, and the per work item summaries kept with them:
// every writer of links (uploads, appended files, build and chain linking, Repos links, defects) goes
// through writeResultLinks. A finished run's links are written after the run is visible, a page per
// transaction (RunLinks below), so an upload never holds the embedded database for long.
import { sql } from "drizzle-orm";
import type { Database, Db } from "../db/client";
import type { ResultLinkSource } from "../db/schema";
import { runSoon, startSweep, whenIdle } from "../lib/background";
import type { Logger } from "../log";

const INSERT_BATCH = 500;
/** Rows of a drizzle `execute` (PGlite and node-postgres shape them differently). */
export const rowsOf = <T>(res: unknown): T[] => (Array.isArray(res) ? res : ((res as { rows?: T[] }).rows ?? [])) as T[];
/** Rows an INSERT/UPDATE/DELETE touched (with or without RETURNING), from either driver's result. */
export function rowCount(res: unknown): number {
  if (Array.isArray(res)) return res.length;
  const r = res as { rowCount?: number | null; affectedRows?: number; rows?: unknown[] };
  return r.rowCount ?? r.affectedRows ?? r.rows?.length ?? 0;
}

export interface NewLink {
  resultId: number;
  workItemId: number;
  source: ResultLinkSource;
}

/** The recent-outcomes window kept per (work item × test): the form group's strip and flaky check. */
export const RECENT_WINDOW = 20;

/**
 * The one way result links are written (uploads, chunked uploads, Repos linking): inserts the links
 * (idempotent; results of other organizations are ignored) and, in the same statement, folds them into
 * the per (work item × test) summary (`work_item_tests`: latest outcome, last 20 outcomes, count) and the
 * per (work item × run) counts (`work_item_runs`), so reads never scan a work item's history. Links may
 * arrive in any order and chunks (an older run uploaded later only changes "latest" when it is newer).
 * Returns how many links are new. `recount: false` leaves the per work item totals to the caller
 * (recountTotals once at its end): the recount reads every test of the work item, so a run linking 50k results
 * to one work item a page at a time would otherwise read its tests once per page.
 */
export async function writeResultLinks(
  db: Pick<Db, "execute">,
  orgId: string,
  links: NewLink[],
  o: { recount?: boolean } = {},
): Promise<number> {
  let added = 0;
  for (let i = 0; i < links.length; i += INSERT_BATCH) {
    const batch = links.slice(i, i + INSERT_BATCH);
    const touched = [...new Set(batch.map((l) => l.workItemId))].sort((a, b) => a - b);
    if (o.recount !== false) await lockTotals(db, orgId, touched);
    // Every SET reads the row as it was, so each column takes the newer side independently of the others.
    const pick = (col: string) =>
      sql.raw(
        `${col} = CASE WHEN (EXCLUDED.latest_at, EXCLUDED.latest_result_id) > (w.latest_at, w.latest_result_id) THEN EXCLUDED.${col} ELSE w.${col} END`,
      );
    const res = await db.execute(sql`
      WITH input AS (
        SELECT * FROM unnest(${sql.param(batch.map((l) => l.resultId))}::bigint[], ${sql.param(batch.map((l) => l.workItemId))}::integer[],
                             ${sql.param(batch.map((l) => l.source))}::text[]) AS u(result_id, work_item_id, source)
      ), ins AS (
        INSERT INTO test_result_links (result_id, org_id, work_item_id, source, test_key, at)
        SELECT i.result_id, r.org_id, i.work_item_id, i.source, md5(r.path) || md5(r.name), COALESCE(run.started_at, run.created_at)
          FROM input i JOIN test_results r ON r.id = i.result_id AND r.org_id = ${orgId}::text
          JOIN test_runs run ON run.id = r.run_id
         ORDER BY i.work_item_id, i.result_id
        ON CONFLICT DO NOTHING
        RETURNING result_id, work_item_id, test_key, at
      ), j AS (
        SELECT ins.*, r.run_id, r.outcome FROM ins JOIN test_results r ON r.id = ins.result_id
      ), tests AS (
        INSERT INTO work_item_tests AS w (org_id, work_item_id, test_key, project_id, path, name, full_name, results, latest_result_id,
                                          latest_run_id, latest_at, latest_outcome, latest_duration_ms, recent)
        SELECT ${orgId}::text, a.work_item_id, a.test_key, r.project_id, r.path, r.name, r.full_name, a.n, r.id, r.run_id, a.at,
               r.outcome, r.duration_ms, a.recent
          FROM (SELECT work_item_id, test_key, count(*)::int AS n, (array_agg(result_id ORDER BY at DESC, result_id DESC))[1] AS rid,
                       max(at) AS at,
                       to_jsonb((array_agg(jsonb_build_array((extract(epoch FROM at) * 1000)::bigint, result_id, outcome)
                                           ORDER BY at DESC, result_id DESC))[1:${sql.raw(String(RECENT_WINDOW))}]) AS recent
                  FROM j GROUP BY work_item_id, test_key) a
          JOIN test_results r ON r.id = a.rid
         ORDER BY a.work_item_id, a.test_key
        ON CONFLICT (org_id, work_item_id, test_key) DO UPDATE SET
          results = w.results + EXCLUDED.results,
          recent = (SELECT to_jsonb((array_agg(e ORDER BY (e->>0)::bigint DESC, (e->>1)::bigint DESC))[1:${sql.raw(String(RECENT_WINDOW))}])
                      FROM jsonb_array_elements(w.recent || EXCLUDED.recent) e),
          ${pick("latest_run_id")}, ${pick("latest_outcome")}, ${pick("latest_duration_ms")}, ${pick("path")}, ${pick("name")},
          ${pick("full_name")}, ${pick("latest_result_id")}, ${pick("latest_at")}
        RETURNING 1
      ), runs AS (
        INSERT INTO work_item_runs AS w (org_id, work_item_id, run_id, at, passed, failed, error, skipped)
        SELECT ${orgId}::text, work_item_id, run_id, min(at), count(*) FILTER (WHERE outcome = 'passed'),
               count(*) FILTER (WHERE outcome = 'failed'), count(*) FILTER (WHERE outcome = 'error'),
               count(*) FILTER (WHERE outcome = 'skipped')
          FROM j GROUP BY work_item_id, run_id ORDER BY work_item_id, run_id
        ON CONFLICT (org_id, work_item_id, run_id) DO UPDATE SET
          passed = w.passed + EXCLUDED.passed, failed = w.failed + EXCLUDED.failed, error = w.error + EXCLUDED.error,
          skipped = w.skipped + EXCLUDED.skipped, at = LEAST(w.at, EXCLUDED.at)
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM ins)::int AS n, (SELECT count(*) FROM tests)::int AS t, (SELECT count(*) FROM runs)::int AS r`);
    const rows = rowsOf<{ n: number }>(res);
    added += Number(rows[0]?.n ?? 0);
    if (o.recount !== false) await refreshTotals(db, orgId, touched);
  }
  return added;
}

/**
 * Takes the work items' totals rows for this transaction (in id order, so writers never deadlock): a
 * concurrent writer of the same work item waits, and its refresh then sees this one's tests. Outside a
 * transaction the lock lasts for the statement only, which is enough for single-statement writers.
 */
async function lockTotals(db: Pick<Db, "execute">, orgId: string, workItemIds: number[]) {
  if (!workItemIds.length) return;
  await db.execute(sql`
    INSERT INTO work_item_test_totals (org_id, work_item_id, tests, passed, failed, error, skipped, failing_without_defect)
    SELECT ${orgId}::text, w, 0, 0, 0, 0, 0, 0 FROM unnest(${sql.param(workItemIds)}::integer[]) AS w ORDER BY w
    ON CONFLICT DO NOTHING`);
  await db.execute(sql`
    SELECT 1 FROM work_item_test_totals WHERE org_id = ${orgId}::text AND work_item_id = ANY(${sql.param(workItemIds)}::integer[])
    ORDER BY work_item_id FOR UPDATE`);
}

/** Locks, then recounts, the work items' totals (see lockTotals): for writers that passed `recount: false`. */
export async function recountTotals(db: Pick<Db, "execute">, orgId: string, workItemIds: number[]): Promise<void> {
  const ids = [...new Set(workItemIds)].sort((a, b) => a - b);
  await lockTotals(db, orgId, ids);
  await refreshTotals(db, orgId, ids);
}

/** Recounts the work items' totals (latest outcomes, failing with no open defect) from their tests' summaries. */
export async function refreshTotals(db: Pick<Db, "execute">, orgId: string, workItemIds: number[]): Promise<void> {
  if (!workItemIds.length) return;
  await db.execute(sql`
    UPDATE work_item_test_totals w SET tests = x.tests, passed = x.passed, failed = x.failed, error = x.error, skipped = x.skipped,
           failing_without_defect = x.fwd
      FROM (SELECT t.work_item_id, count(*)::int AS tests, count(*) FILTER (WHERE t.latest_outcome = 'passed')::int AS passed,
                   count(*) FILTER (WHERE t.latest_outcome = 'failed')::int AS failed, count(*) FILTER (WHERE t.latest_outcome = 'error')::int AS error,
                   count(*) FILTER (WHERE t.latest_outcome = 'skipped')::int AS skipped,
                   count(*) FILTER (WHERE t.latest_outcome IN ('failed', 'error') AND NOT EXISTS (
                     SELECT 1 FROM test_defects d WHERE d.org_id = t.org_id AND d.work_item_id = t.work_item_id AND d.test_key = t.test_key
                        AND d.state_category IS DISTINCT FROM 'Completed' AND d.state_category IS DISTINCT FROM 'Removed'))::int AS fwd
              FROM work_item_tests t WHERE t.org_id = ${orgId}::text AND t.work_item_id = ANY(${sql.param(workItemIds)}::integer[])
             GROUP BY t.work_item_id) x
     WHERE w.org_id = ${orgId}::text AND w.work_item_id = x.work_item_id`);
}

/**
 * Replaces every link of these work items with what they hold now plus `extra`, rebuilding their summaries
 * from scratch (used when links are taken away — the summaries only ever add). Cost: the work items' links.
 */
export async function rebuildWorkItemLinks(db: Pick<Db, "execute">, orgId: string, workItemIds: number[], extra: NewLink[]): Promise<void> {
  if (!workItemIds.length && !extra.length) return;
  const ids = sql.param(workItemIds);
  const existing = rowsOf<{ result_id: string | number; work_item_id: number; source: ResultLinkSource }>(
    await db.execute(
      sql`SELECT result_id, work_item_id, source FROM test_result_links WHERE org_id = ${orgId} AND work_item_id = ANY(${ids}::integer[])`,
    ),
  );
  await db.execute(sql`DELETE FROM test_result_links WHERE org_id = ${orgId} AND work_item_id = ANY(${ids}::integer[])`);
  await db.execute(sql`DELETE FROM work_item_tests WHERE org_id = ${orgId} AND work_item_id = ANY(${ids}::integer[])`);
  await db.execute(sql`DELETE FROM work_item_runs WHERE org_id = ${orgId} AND work_item_id = ANY(${ids}::integer[])`);
  await db.execute(sql`UPDATE work_item_test_totals SET tests = 0, passed = 0, failed = 0, error = 0, skipped = 0, failing_without_defect = 0
                        WHERE org_id = ${orgId} AND work_item_id = ANY(${ids}::integer[])`);
  await writeResultLinks(db, orgId, [
    ...existing.map((e) => ({ resultId: Number(e.result_id), workItemId: Number(e.work_item_id), source: e.source })),
    ...extra,
  ]);
}

/**
 * What one file of a run has to link (test_runs.link_spec holds the run's files' specs while any link is
 * pending, migration 0105), so a process stopped half-way resumes exactly: results [start, end) of the file;
 * the run-wide work items link each of them, the work items a case named (already filtered to the readable
 * ones) its own result, a suite's those in its range. Positions are the run's (an appended file's start after
 * the earlier files').
 */
export interface LinkSpec {
  start: number;
  end: number;
  upload: number[];
  uploadSource: ResultLinkSource;
  caseSource: ResultLinkSource;
  /** [result position, work item ids], by position. */
  cases: [number, number[]][];
  ranges: { from: number; to: number; ids: number[] }[];
}

/** A run's link specs (one per file, disjoint position ranges), read by page. */
export class RunLinks {
  private readonly segments: LinkSpec[];
  private readonly byCase = new Map<number, number[]>();
  /** Positions with at least one link, in order. */
  private readonly named: number[];

  constructor(specs: LinkSpec | LinkSpec[]) {
    this.segments = (Array.isArray(specs) ? specs : [specs]).slice().sort((a, b) => a.start - b.start);
    const named = new Set<number>();
    for (const g of this.segments) {
      const inside = (seq: number) => seq >= g.start && seq < g.end;
      if (g.upload.length) for (let seq = g.start; seq < g.end; seq++) named.add(seq);
      for (const [seq, ids] of g.cases)
        if (inside(seq)) {
          this.byCase.set(seq, ids);
          named.add(seq);
        }
      for (const r of g.ranges) for (let seq = Math.max(r.from, g.start); seq < Math.min(r.to, g.end); seq++) named.add(seq);
    }
    this.named = [...named].sort((x, y) => x - y);
  }

  /** The specs as stored. */
  get specs(): LinkSpec[] {
    return this.segments;
  }

  /** How many results get at least one link. */
  get results(): number {
    return this.named.length;
  }

  /** Every work item a result is linked to, in id order. */
  get workItems(): number[] {
    const all = new Set<number>();
    for (const seq of this.named) for (const l of this.linksOf(seq)) all.add(l.workItemId);
    return [...all].sort((a, b) => a - b);
  }

  /** The first position to link (where a page loop starts), or null when nothing is linked. */
  get first(): number | null {
    return this.named[0] ?? null;
  }

  /** Where the last spec ends: positions after it belong to files not in these specs. */
  get end(): number {
    return Math.max(0, ...this.segments.map((g) => g.end));
  }

  /** The work items result `seq` links to, each once: run-wide first, then its case's, then its suites'. */
  linksOf(seq: number): { workItemId: number; source: ResultLinkSource }[] {
    const g = this.segments.find((x) => seq >= x.start && seq < x.end);
    if (!g) return [];
    const out: { workItemId: number; source: ResultLinkSource }[] = [];
    const seen = new Set<number>();
    const add = (w: number, source: ResultLinkSource) => {
      if (seen.has(w)) return;
      seen.add(w);
      out.push({ workItemId: w, source });
    };
    for (const w of g.upload) add(w, g.uploadSource);
    for (const w of this.byCase.get(seq) ?? []) add(w, g.caseSource);
    for (const r of g.ranges) if (seq >= r.from && seq < r.to) for (const w of r.ids) add(w, g.caseSource);
    return out;
  }

  /**
   * The positions from `from` on that one page links, about `maxLinks` links (at least one position), and
   * where the next page starts (null: this page is the last).
   */
  page(from: number, maxLinks: number): { seqs: number[]; next: number | null } {
    const seqs: number[] = [];
    let links = 0;
    let i = lowerBound(this.named, from);
    for (; i < this.named.length && (seqs.length === 0 || links < maxLinks); i++) {
      seqs.push(this.named[i]);
      links += this.linksOf(this.named[i]).length;
    }
    return { seqs, next: this.named[i] ?? null };
  }
}

function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Marks a file's links as pending, in the transaction that makes its results visible (a finished run or an
 * appended file): its spec joins the run's, and the run's position moves back to the file's first linked
 * result only when nothing earlier is pending. Returns the file's links (what the upload answers).
 */
export async function deferLinks(db: Pick<Db, "execute">, runId: string, spec: LinkSpec): Promise<RunLinks> {
  const links = new RunLinks(spec);
  if (links.first !== null)
    await db.execute(sql`
      UPDATE test_runs SET link_spec = COALESCE(link_spec, '[]'::jsonb) || jsonb_build_array(${JSON.stringify(spec)}::jsonb),
             linked_seq = LEAST(COALESCE(linked_seq, ${links.first}::int), ${links.first}::int), linked_at = now()
       WHERE id = ${runId}::uuid`);
  return links;
}

/**
 * Links per transaction. PGlite serves one transaction at a time (every other request waits for it): 500
 * links in one statement took 80–86 ms there (bench/uploads.ts), so its pages are small. Postgres readers
 * never wait for a writer (MVCC): bigger pages there only bound each transaction.
 */
const pageLinks = (database: Database) => (database.kind === "pglite" ? 100 : 2_000);

/**
 * Writes the links runs still have to write (test_runs.linked_seq not null), a page per transaction, each
 * moving linked_seq on with it (conditionally: two writers of one run never write a page twice, and the
 * links are idempotent anyway). `runId`: that run only (its uploads, which wait for their links, and a push);
 * otherwise every run whose writer has made no progress for `staleMs` or since `before` (stopped or crashed).
 * A run's specs are read again only when a file was appended meanwhile (their count changed).
 */
export async function writePendingLinks(database: Database, o: { runId?: string; staleMs?: number; before?: Date } = {}): Promise<void> {
  const cache = new Map<string, RunLinks>();
  // A run taken over is followed to its end (each page it writes makes it look fresh again).
  let current = o.runId;
  for (;;) {
    const [run] = await database.query<{ id: string; org_id: string; from: number; specs: LinkSpec[] | null }>(
      `SELECT id, org_id, linked_seq AS "from",
              CASE WHEN jsonb_array_length(link_spec) = $2 THEN NULL ELSE link_spec END AS specs
         FROM test_runs
        WHERE linked_seq IS NOT NULL AND complete AND ($1::uuid IS NULL OR id = $1::uuid)
          AND ($1::uuid IS NOT NULL OR linked_at < now() - make_interval(secs => $3::float8) OR linked_at < $4::timestamptz)
        ORDER BY linked_at, id LIMIT 1`,
      [current ?? null, current ? (cache.get(current)?.specs.length ?? -1) : -1, (o.staleMs ?? 0) / 1000, o.before ?? null],
    );
    if (!run) {
      if (current === o.runId) return;
      current = o.runId;
      continue;
    }
    current = run.id;
    // The specs come back whenever the cached ones are missing or fewer than the run's (a file was appended).
    if (run.specs) cache.set(run.id, new RunLinks(run.specs));
    const links = cache.get(run.id);
    if (!links) throw new Error(`run ${run.id} has links to write but no link spec`);
    const page = links.page(run.from, pageLinks(database));
    await database.db.transaction(async (tx) => {
      // The last page of the specs read: the run is done unless a file was appended since (then its
      // specs are read on the next turn and the loop goes on from where these end).
      const last = page.next === null;
      const moved = rowsOf<{ done: boolean }>(
        await tx.execute(sql`
          UPDATE test_runs t SET linked_at = now(),
                 linked_seq = CASE WHEN NOT ${last} THEN ${page.next}::int
                                   WHEN jsonb_array_length(t.link_spec) = ${links.specs.length}::int THEN NULL ELSE ${links.end}::int END,
                 link_spec = CASE WHEN ${last} AND jsonb_array_length(t.link_spec) = ${links.specs.length}::int THEN NULL ELSE t.link_spec END
           WHERE t.id = ${run.id}::uuid AND t.linked_seq = ${run.from}::int
          RETURNING t.linked_seq IS NULL AS done`),
      );
      if (!moved.length) return;
      const rows = rowsOf<{ id: string | number; seq: number }>(
        await tx.execute(
          sql`SELECT id, seq FROM test_results WHERE run_id = ${run.id}::uuid AND seq = ANY(${sql.param(page.seqs)}::int[])`,
        ),
      );
      await writeResultLinks(
        tx,
        run.org_id,
        rows.flatMap((r) => links.linksOf(r.seq).map((l) => ({ resultId: Number(r.id), ...l }))),
        { recount: false },
      );
      // The work items' totals are recounted once, with the last page (in its transaction: a run is never
      // done without it); until then the form group's counts lag the run's tests by up to one upload.
      if (moved[0].done) await recountTotals(tx, run.org_id, links.workItems);
    });
    // Let the requests that waited run before the next page.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** A writer's runs are taken over once they have made no progress for this long (its page failed, or it stopped). */
const STALE_MS = 60_000;
/**
 * Runs that made no progress since this process started are taken over at once: on one instance they are a
 * previous process's (stopped or crashed); a live replica's lose at most a page written twice (idempotent).
 */
const STARTED = new Date();

const LINKS = "write the remaining links of finished runs";

/** Runs with links left by a stopped process (or a failed page) are finished in the background. */
export function linkSoon(database: Database, log: Logger): void {
  runSoon(LINKS, database, (d) => writePendingLinks(d, { staleMs: STALE_MS, before: STARTED }), log);
}

/** Every minute (by default) looks for runs whose writer stalled, and finishes them. */
export function startLinkSweep(database: Database, log: Logger, everyMs = 60_000): () => void {
  return startSweep(
    LINKS,
    () => stalledLinks(database),
    () => linkSoon(database, log),
    log,
    everyMs,
  );
}

/** Resolves when no background link work of this process is running (tests; closing the backend). */
export const linksIdle = (database: Database): Promise<void> => whenIdle(LINKS, database);

/** Is any run's writer stalled? (the sweep's one index probe) */
export async function stalledLinks(database: Database): Promise<boolean> {
  const rows = await database.query(
    `SELECT 1 FROM test_runs WHERE linked_seq IS NOT NULL AND linked_at < now() - make_interval(secs => $1::float8) LIMIT 1`,
    [STALE_MS / 1000],
  );
  return rows.length > 0;
}
