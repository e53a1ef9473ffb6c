// Storage of test runs, their results and the results' links to Azure DevOps work items. Every query
// is scoped by org_id (tenancy).
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { AppDeps } from "../context";
import type { Db } from "../db/client";
import { testResultLinks, testResults, testRuns, type ResultLinkSource } from "../db/schema";
import { ApiError } from "../lib/errors";
import type { Outcome, Result, Run } from "../schemas/results";
import type { ParsedReport } from "./junit";

export type RunRow = typeof testRuns.$inferSelect;
export type ResultRow = typeof testResults.$inferSelect;

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const INSERT_BATCH = 1000;

export function toRunDto(r: RunRow): Run {
  return {
    id: r.id,
    projectId: r.projectId,
    projectName: r.projectName,
    name: r.name,
    source: r.source,
    fileName: r.fileName,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    durationMs: r.durationMs === null ? null : Number(r.durationMs),
    suites: r.suites,
    totals: { total: r.total, passed: r.passed, failed: r.failed, error: r.errors, skipped: r.skipped },
    createdBy: r.createdBy,
    createdAt: iso(r.createdAt)!,
    ado: {
      status: r.adoStatus,
      runId: r.adoRunId,
      url: r.adoRunUrl,
      error: r.adoError,
      pushedAt: iso(r.adoPushedAt),
      jobId: r.adoJobId,
    },
  };
}

export interface NewRun {
  orgId: string;
  project: { id: string; name: string };
  name: string;
  source: string;
  fileName: string | null;
  createdBy: string;
  report: ParsedReport;
  /** Linked to every result of the run. */
  workItemIds: number[];
  /** Work item ids named by workitem properties that may be linked (exist and are readable). */
  allowedPropertyIds: Set<number>;
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
 * Returns how many links are new.
 */
export async function writeResultLinks(db: Pick<Db, "execute">, orgId: string, links: NewLink[]): Promise<number> {
  let added = 0;
  for (let i = 0; i < links.length; i += INSERT_BATCH) {
    const batch = links.slice(i, i + INSERT_BATCH);
    const touched = [...new Set(batch.map((l) => l.workItemId))].sort((a, b) => a - b);
    await lockTotals(db, orgId, touched);
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
    const rows = (Array.isArray(res) ? res : (res as unknown as { rows: { n: number }[] }).rows) as { n: number }[];
    added += Number(rows[0]?.n ?? 0);
    await refreshTotals(db, orgId, touched);
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

/** Stores a parsed report as one run, in one transaction: all of it or nothing. */
export async function saveRun(deps: AppDeps, n: NewRun): Promise<{ run: RunRow; linkedResults: number; linkedWorkItems: number[] }> {
  const id = randomUUID();
  const { report } = n;
  const finishedAt = report.startedAt && report.durationMs !== null ? new Date(report.startedAt.getTime() + report.durationMs) : null;
  return deps.database.db.transaction(async (tx) => {
    const [run] = await tx
      .insert(testRuns)
      .values({
        id,
        orgId: n.orgId,
        projectId: n.project.id,
        projectName: n.project.name,
        name: n.name,
        source: n.source,
        fileName: n.fileName,
        startedAt: report.startedAt,
        finishedAt,
        durationMs: report.durationMs,
        suites: report.stats.suites,
        total: report.totals.total,
        passed: report.totals.passed,
        failed: report.totals.failed,
        errors: report.totals.error,
        skipped: report.totals.skipped,
        createdBy: n.createdBy,
      })
      .returning();
    let linkedResults = 0;
    const linked = new Set<number>();
    for (let start = 0; start < report.cases.length; start += INSERT_BATCH) {
      const batch = report.cases.slice(start, start + INSERT_BATCH);
      const rows = await tx
        .insert(testResults)
        .values(
          batch.map((c, i) => ({
            orgId: n.orgId,
            runId: id,
            projectId: n.project.id,
            seq: start + i,
            suite: c.suite,
            className: c.className,
            path: c.path,
            name: c.name,
            fullName: c.fullName,
            outcome: c.outcome,
            durationMs: c.durationMs,
            message: c.message,
            stack: c.stack,
          })),
        )
        .returning({ id: testResults.id, seq: testResults.seq });
      const links: NewLink[] = [];
      for (const row of rows) {
        const c = report.cases[row.seq];
        const seen = new Set<number>();
        const add = (workItemId: number, source: ResultLinkSource) => {
          if (seen.has(workItemId)) return;
          seen.add(workItemId);
          linked.add(workItemId);
          links.push({ resultId: row.id, workItemId, source });
        };
        n.workItemIds.forEach((w) => add(w, "upload"));
        c.workItemIds.filter((w) => n.allowedPropertyIds.has(w)).forEach((w) => add(w, "property"));
        if (seen.size) linkedResults++;
      }
      await writeResultLinks(tx, n.orgId, links);
    }
    return { run, linkedResults, linkedWorkItems: [...linked].sort((a, b) => a - b) };
  });
}

export async function findRun(deps: AppDeps, orgId: string, id: string): Promise<RunRow> {
  const [row] = await deps.database.db
    .select()
    .from(testRuns)
    .where(and(eq(testRuns.orgId, orgId), eq(testRuns.id, id)))
    .limit(1);
  if (!row) throw new ApiError(404, "not_found", "No such test run in this organization");
  return row;
}

export async function listRuns(deps: AppDeps, orgId: string, f: { projectId?: string; top: number; skip: number }) {
  const where = and(eq(testRuns.orgId, orgId), f.projectId ? eq(testRuns.projectId, f.projectId) : undefined);
  const [rows, [{ n }]] = await Promise.all([
    deps.database.db.select().from(testRuns).where(where).orderBy(desc(testRuns.createdAt), desc(testRuns.id)).limit(f.top).offset(f.skip),
    deps.database.db.select({ n: count() }).from(testRuns).where(where),
  ]);
  return { runs: rows.map(toRunDto), total: Number(n) };
}

async function linksOf(deps: AppDeps, orgId: string, resultIds: number[]): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  if (!resultIds.length) return out;
  const rows = await deps.database.db
    .select({ resultId: testResultLinks.resultId, workItemId: testResultLinks.workItemId })
    .from(testResultLinks)
    .where(and(eq(testResultLinks.orgId, orgId), inArray(testResultLinks.resultId, resultIds)))
    .orderBy(asc(testResultLinks.workItemId));
  for (const r of rows) out.set(r.resultId, [...(out.get(r.resultId) ?? []), r.workItemId]);
  return out;
}

const toResultDto = (r: ResultRow, workItemIds: number[]): Result => ({
  id: r.id,
  runId: r.runId,
  suite: r.suite,
  className: r.className,
  path: r.path,
  name: r.name,
  fullName: r.fullName,
  outcome: r.outcome,
  durationMs: r.durationMs,
  message: r.message,
  stack: r.stack,
  workItemIds,
});

export async function listRunResults(deps: AppDeps, orgId: string, runId: string, f: { outcome?: Outcome; top: number; skip: number }) {
  await findRun(deps, orgId, runId);
  const where = and(eq(testResults.orgId, orgId), eq(testResults.runId, runId), f.outcome ? eq(testResults.outcome, f.outcome) : undefined);
  const [rows, [{ n }]] = await Promise.all([
    deps.database.db.select().from(testResults).where(where).orderBy(asc(testResults.seq)).limit(f.top).offset(f.skip),
    deps.database.db.select({ n: count() }).from(testResults).where(where),
  ]);
  const links = await linksOf(
    deps,
    orgId,
    rows.map((r) => r.id),
  );
  return { results: rows.map((r) => toResultDto(r, links.get(r.id) ?? [])), total: Number(n) };
}

/** Results waiting to be published in Azure DevOps, in file order, with their work item links. */
export async function unpushedResults(deps: AppDeps, orgId: string, runId: string, limit: number) {
  const rows = await deps.database.db
    .select()
    .from(testResults)
    .where(and(eq(testResults.orgId, orgId), eq(testResults.runId, runId), isNull(testResults.adoResultId)))
    .orderBy(asc(testResults.seq))
    .limit(limit);
  const links = await linksOf(
    deps,
    orgId,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({ row: r, workItemIds: links.get(r.id) ?? [] }));
}

export async function countUnpushed(deps: AppDeps, orgId: string, runId: string): Promise<number> {
  const [{ n }] = await deps.database.db
    .select({ n: count() })
    .from(testResults)
    .where(and(eq(testResults.orgId, orgId), eq(testResults.runId, runId), isNull(testResults.adoResultId)));
  return Number(n);
}

export async function recordAdoResultIds(deps: AppDeps, pairs: { id: number; adoResultId: number }[]): Promise<void> {
  if (!pairs.length) return;
  await deps.database.query(
    `UPDATE test_results t SET ado_result_id = u.ado FROM unnest($1::bigint[], $2::integer[]) AS u(id, ado) WHERE t.id = u.id`,
    [pairs.map((p) => p.id), pairs.map((p) => p.adoResultId)],
  );
}

export async function updateRunAdo(deps: AppDeps, orgId: string, id: string, set: Partial<typeof testRuns.$inferInsert>): Promise<void> {
  await deps.database.db
    .update(testRuns)
    .set(set)
    .where(and(eq(testRuns.orgId, orgId), eq(testRuns.id, id)));
}

/** A run not being pushed becomes queued (a push in progress is left alone). */
export async function markQueued(deps: AppDeps, orgId: string, id: string): Promise<void> {
  await deps.database.db
    .update(testRuns)
    .set({ adoStatus: "queued", adoError: null })
    .where(and(eq(testRuns.orgId, orgId), eq(testRuns.id, id), inArray(testRuns.adoStatus, ["none", "failed"])));
}

// ---- for other features (Repos: "link existing results with the exact same path and name") ----

export interface StoredResultRef {
  id: number;
  runId: string;
  path: string;
  name: string;
  outcome: Outcome;
}

/**
 * Stored results of a project whose path and name are exactly the given ones. For Katalon, a test
 * case id "Test Cases/Login/Valid login" is path "Test Cases/Login" + name "Valid login" (see
 * splitKatalonId). Case-sensitive, like Katalon ids.
 */
export async function findResultsByPathAndName(
  deps: AppDeps,
  orgId: string,
  projectId: string,
  tests: { path: string; name: string }[],
): Promise<StoredResultRef[]> {
  if (!tests.length) return [];
  const out: StoredResultRef[] = [];
  for (let i = 0; i < tests.length; i += 500) {
    const batch = tests.slice(i, i + 500);
    const rows = await deps.database.db
      .select({
        id: testResults.id,
        runId: testResults.runId,
        path: testResults.path,
        name: testResults.name,
        outcome: testResults.outcome,
      })
      .from(testResults)
      .where(
        and(
          eq(testResults.orgId, orgId),
          eq(testResults.projectId, projectId),
          // The hashes use the index (names of any length); the texts make the match exact.
          sql`(md5(${testResults.path}), md5(${testResults.name}), ${testResults.path}, ${testResults.name}) IN (${sql.join(
            batch.map((t) => sql`(md5(${t.path}), md5(${t.name}), ${t.path}, ${t.name})`),
            sql`, `,
          )})`,
        ),
      )
      .orderBy(asc(testResults.id));
    out.push(...rows);
  }
  return out;
}

/** "Test Cases/Login/Valid login" → { path: "Test Cases/Login", name: "Valid login" }. */
export function splitKatalonId(katalonId: string): { path: string; name: string } {
  const cut = katalonId.lastIndexOf("/");
  return cut < 0 ? { path: "", name: katalonId } : { path: katalonId.slice(0, cut), name: katalonId.slice(cut + 1) };
}

/** Links stored results to a work item (idempotent). Results of other organizations are ignored. Returns how many links are new. */
export async function linkResultsToWorkItem(
  deps: AppDeps,
  orgId: string,
  resultIds: number[],
  workItemId: number,
  source: ResultLinkSource = "repos",
): Promise<number> {
  if (!resultIds.length) return 0;
  let added = 0;
  for (let i = 0; i < resultIds.length; i += INSERT_BATCH) {
    const owned = await deps.database.db
      .select({ id: testResults.id })
      .from(testResults)
      .where(and(eq(testResults.orgId, orgId), inArray(testResults.id, resultIds.slice(i, i + INSERT_BATCH))));
    if (!owned.length) continue;
    // In a transaction: the totals rows stay locked until the summaries are recounted (see lockTotals).
    const inserted = await deps.database.db.transaction((tx) =>
      writeResultLinks(
        tx,
        orgId,
        owned.map((r) => ({ resultId: r.id, workItemId, source })),
      ),
    );
    added += inserted;
  }
  return added;
}
