// The work item form group's reads: one row per distinct test linked to a work item, from the per
// (work item × test) summary that writeResultLinks keeps (never from the work item's whole history),
// its pass-rate trend per run, and one test's history as an index range.
import type { AppDeps } from "../context";
import type { Defect, Outcome, RecentOutcome, TestHistory, TrendPoint, WorkItemTest, WorkItemTests } from "../schemas/results";

const iso = (d: Date | string) => new Date(d).toISOString();
const rate = (passed: number, failed: number, error: number) => (passed + failed + error ? passed / (passed + failed + error) : null);
export const isFailure = (o: Outcome) => o === "failed" || o === "error";
/** Defect states that no longer count as the test's defect. */
export const CLOSED_CATEGORIES = new Set(["Completed", "Removed"]);

/**
 * Flaky: within the window (newest first, skips ignored) the outcome switches between pass and failure
 * at least twice — passed, failed, passed — so a test that broke once and stays broken is not flaky.
 */
export function isFlaky(recent: readonly { outcome: Outcome }[]): boolean {
  let flips = 0;
  let prev: boolean | null = null;
  for (const r of recent) {
    if (r.outcome === "skipped") continue;
    const failed = isFailure(r.outcome);
    if (prev !== null && failed !== prev) flips++;
    prev = failed;
  }
  return flips >= 2;
}

/** Order of rows: failures first, then flaky, skipped, passed; by path and name within each. */
function rank(t: { outcome: Outcome; flaky: boolean }): number {
  if (isFailure(t.outcome)) return 0;
  if (t.flaky) return 1;
  return t.outcome === "skipped" ? 2 : 3;
}

export interface TestSummaryRow {
  test_key: string;
  path: string;
  name: string;
  full_name: string;
  results: number;
  latest_result_id: string | number;
  latest_run_id: string;
  latest_at: Date | string;
  latest_outcome: Outcome;
  latest_duration_ms: string | number | null;
  recent: [number, number, Outcome][] | string;
}

export interface StoredDefect {
  test_key: string;
  defect_id: number;
  result_id: string | number | null;
  how: "created" | "linked";
  title: string | null;
  work_item_type: string | null;
  state: string | null;
  state_category: string | null;
}

export interface RunRef {
  id: string;
  name: string;
  at: string;
  adoUrl: string | null;
}

type Filter = "all" | "failing" | "failingWithoutDefect";

/**
 * Pure: the form group's answer from the summary rows of every test of the work item, their defects
 * (with live state where it was read), the trend rows and the page asked for. The page's rows then get
 * their latest message and run from `withLatestDetails`, read for that page only.
 */
export function buildWorkItemTests(
  workItemId: number,
  rows: readonly TestSummaryRow[],
  defects: ReadonlyMap<string, Defect[]>,
  trend: TrendPoint[],
  page: { top: number; skip: number; filter: Filter },
): WorkItemTests {
  // Only the shown page's outcomes become DTOs (dates as text); the rest need just their outcomes.
  const tests = rows.map((r) => {
    const recentRaw = typeof r.recent === "string" ? (JSON.parse(r.recent) as [number, number, Outcome][]) : r.recent;
    const own = defects.get(r.test_key) ?? [];
    const outcome = r.latest_outcome;
    const flaky = isFlaky(recentRaw.map((x) => ({ outcome: x[2] })));
    return { r, recentRaw, own, outcome, flaky, failingWithoutDefect: isFailure(outcome) && !own.some((d) => d.open) };
  });
  tests.sort((a, b) => rank(a) - rank(b) || a.r.path.localeCompare(b.r.path) || a.r.name.localeCompare(b.r.name));
  const count = (o: Outcome) => tests.filter((t) => t.outcome === o).length;
  const s = { passed: count("passed"), failed: count("failed"), error: count("error"), skipped: count("skipped") };
  const matching = tests.filter((t) =>
    page.filter === "failing" ? isFailure(t.outcome) : page.filter === "failingWithoutDefect" ? t.failingWithoutDefect : true,
  );
  const shown = matching.slice(page.skip, page.skip + page.top);
  const last = trend[trend.length - 1];
  return {
    workItemId,
    summary: {
      tests: tests.length,
      ...s,
      passRate: rate(s.passed, s.failed, s.error),
      failingWithoutDefect: tests.filter((t) => t.failingWithoutDefect).length,
      flaky: tests.filter((t) => t.flaky).length,
      lastRun: last ? { id: last.runId, name: last.runName, at: last.at } : null,
      trend,
    },
    total: matching.length,
    top: page.top,
    skip: page.skip,
    tests: shown.map(({ r, recentRaw, own, outcome, flaky, failingWithoutDefect }): WorkItemTest => {
      const recent: RecentOutcome[] = recentRaw.map(([at, resultId, o]) => ({
        at: iso(new Date(Number(at))),
        resultId: Number(resultId),
        outcome: o,
      }));
      return {
        key: r.test_key,
        path: r.path,
        name: r.name,
        fullName: r.full_name,
        results: Number(r.results),
        latest: {
          resultId: Number(r.latest_result_id),
          outcome,
          durationMs: r.latest_duration_ms === null ? null : Number(r.latest_duration_ms),
          message: null,
          run: { id: r.latest_run_id, name: "", at: iso(r.latest_at), adoUrl: null },
        },
        recent,
        flaky,
        defects: own,
        failingWithoutDefect,
      };
    }),
  };
}

/** The page's latest messages and runs (see loadLatestDetails). */
export function withLatestDetails(
  out: WorkItemTests,
  details: ReadonlyMap<number, { message: string | null; run: RunRef }>,
): WorkItemTests {
  for (const t of out.tests) {
    const d = details.get(t.latest.resultId);
    if (d) t.latest = { ...t.latest, message: d.message, run: d.run };
  }
  return out;
}

/** Reads of the summary tables (org-scoped). Each is bounded by the number of tests, not of results. */
export async function loadTestSummaries(deps: AppDeps, orgId: string, workItemId: number) {
  const q = deps.database.query.bind(deps.database);
  const [rows, defects, trend] = await Promise.all([
    q<TestSummaryRow>(
      `SELECT test_key, path, name, full_name, results, latest_result_id, latest_run_id, latest_at, latest_outcome, latest_duration_ms, recent
         FROM work_item_tests WHERE org_id = $1 AND work_item_id = $2`,
      [orgId, workItemId],
    ),
    q<StoredDefect>(
      `SELECT test_key, defect_id, result_id, how, title, work_item_type, state, state_category FROM test_defects
        WHERE org_id = $1 AND work_item_id = $2 ORDER BY created_at, defect_id`,
      [orgId, workItemId],
    ),
    q<{ run_id: string; name: string; at: Date | string; passed: number; failed: number; error: number; skipped: number }>(
      `SELECT * FROM (SELECT w.run_id, run.name, w.at, w.passed, w.failed, w.error, w.skipped
                        FROM work_item_runs w JOIN test_runs run ON run.id = w.run_id
                       WHERE w.org_id = $1 AND w.work_item_id = $2 ORDER BY w.at DESC, w.run_id DESC LIMIT 20) x
        ORDER BY at, run_id`,
      [orgId, workItemId],
    ),
  ]);
  return {
    rows,
    defects,
    trend: trend.map((t): TrendPoint => ({
      runId: t.run_id,
      runName: t.name,
      at: iso(t.at),
      passed: Number(t.passed),
      failed: Number(t.failed),
      error: Number(t.error),
      skipped: Number(t.skipped),
      passRate: rate(Number(t.passed), Number(t.failed), Number(t.error)),
    })),
  };
}

/** The latest message and run of the given results (one page of the form group). */
export async function loadLatestDetails(deps: AppDeps, orgId: string, resultIds: number[]) {
  const out = new Map<number, { message: string | null; run: RunRef }>();
  if (!resultIds.length) return out;
  const rows = await deps.database.query<{
    id: string | number;
    message: string | null;
    run_id: string;
    run_name: string;
    at: Date | string;
    ado_run_url: string | null;
  }>(
    `SELECT r.id, r.message, run.id AS run_id, run.name AS run_name, COALESCE(run.started_at, run.created_at) AS at, run.ado_run_url
       FROM test_results r JOIN test_runs run ON run.id = r.run_id
      WHERE r.org_id = $1 AND r.id = ANY($2::bigint[])`,
    [orgId, resultIds],
  );
  for (const r of rows)
    out.set(Number(r.id), { message: r.message, run: { id: r.run_id, name: r.run_name, at: iso(r.at), adoUrl: r.ado_run_url } });
  return out;
}

/** Whether the work item has a summary row for the test. */
export async function findTest(deps: AppDeps, orgId: string, workItemId: number, testKey: string) {
  const [row] = await deps.database.query<{ project_id: string; path: string; name: string; full_name: string; results: number }>(
    `SELECT project_id, path, name, full_name, results FROM work_item_tests WHERE org_id = $1 AND work_item_id = $2 AND test_key = $3`,
    [orgId, workItemId, testKey],
  );
  return row ?? null;
}

/** One test's results on a work item, newest first: an index range of test_result_links. */
export async function testHistory(
  deps: AppDeps,
  orgId: string,
  workItemId: number,
  testKey: string,
  total: number,
  page: { top: number; skip: number },
): Promise<TestHistory> {
  const rows = await deps.database.query<{
    id: string | number;
    outcome: Outcome;
    duration_ms: string | number | null;
    message: string | null;
    stack: string | null;
    run_id: string;
    run_name: string;
    source: string;
    at: Date | string;
    ado_run_url: string | null;
    build_number: string | null;
    build_url: string | null;
  }>(
    `SELECT r.id, r.outcome, r.duration_ms, r.message, r.stack, run.id AS run_id, run.name AS run_name, run.source, k.at, run.ado_run_url,
            run.build_number, run.build_url
       FROM (SELECT result_id, at FROM test_result_links WHERE org_id = $1 AND work_item_id = $2 AND test_key = $3
              ORDER BY at DESC, result_id DESC LIMIT $4 OFFSET $5) k
       JOIN test_results r ON r.id = k.result_id
       JOIN test_runs run ON run.id = r.run_id
      ORDER BY k.at DESC, k.result_id DESC`,
    [orgId, workItemId, testKey, page.top, page.skip],
  );
  return {
    total,
    top: page.top,
    skip: page.skip,
    results: rows.map((r) => ({
      id: Number(r.id),
      outcome: r.outcome,
      durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
      message: r.message,
      stack: r.stack,
      run: {
        id: r.run_id,
        name: r.run_name,
        source: r.source,
        at: iso(r.at),
        adoUrl: r.ado_run_url,
        build: r.build_number ? { number: r.build_number, url: r.build_url } : null,
      },
    })),
  };
}
