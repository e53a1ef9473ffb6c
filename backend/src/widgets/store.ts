// The dashboard widgets' reads. Every query is scoped by org_id; every one reads summaries kept on write
// (test_runs' totals, run_path_totals, link_run_totals, work_item_test_totals, project_tests,
// project_failing_tests), never a project's results, so an answer costs the same with 1k or 1M stored results.
import type { AppDeps } from "../context";
import type { RunOrigin } from "../db/schema";
import type { Outcome } from "../schemas/results";
import type { Coverage, Flaky, PassRate } from "../schemas/widgets";
import { connectionStatus, outcomesOf, passRate, prefixUpperBound, windowCounts } from "./mapping";

const iso = (d: Date | string) => new Date(d).toISOString();

export interface LinkRow {
  id: string;
  projectId: string;
  projectName: string;
  teamId: string | null;
  teamName: string | null;
  name: string;
}

/** A live (unarchived) Boards link of the organization, or null. */
export async function findLink(deps: AppDeps, orgId: string, linkId: string): Promise<LinkRow | null> {
  const [l] = await deps.database.query<{
    id: string;
    project_id: string;
    project_name: string;
    team_id: string | null;
    team_name: string | null;
    description: string;
  }>(
    `SELECT id, project_id, project_name, team_id, team_name, description FROM boards_links WHERE org_id = $1 AND id = $2 AND archived = false`,
    [orgId, linkId],
  );
  if (!l) return null;
  return {
    id: l.id,
    projectId: l.project_id,
    projectName: l.project_name,
    teamId: l.team_id,
    teamName: l.team_name,
    // What the hub shows for a link: its description, else its team, else its project.
    name: l.description || l.team_name || l.project_name,
  };
}

export const linkRef = (l: LinkRow) => ({ id: l.id, projectName: l.projectName, name: l.name });

/** Whether the organization has a working connection and the project a live Boards link. */
export async function widgetStatus(deps: AppDeps, orgId: string, projectId: string): Promise<PassRate["status"]> {
  const [row] = await deps.database.query<{ statuses: string | null; linked: boolean }>(
    `SELECT (SELECT string_agg(status, ',') FROM connections WHERE org_id = $1) AS statuses,
            EXISTS (SELECT 1 FROM boards_links WHERE org_id = $1 AND project_id = $2 AND archived = false) AS linked`,
    [orgId, projectId],
  );
  return { connection: connectionStatus(row?.statuses ? row.statuses.split(",") : []), linked: Boolean(row?.linked) };
}

interface Counts {
  run_id: string;
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

/** The project's last `runs` complete runs (oldest first) with their counts, restricted by the filters. */
export async function passRatePoints(
  deps: AppDeps,
  orgId: string,
  f: { projectId: string; runs: number; origin?: RunOrigin; linkId?: string; pathPrefix?: string },
): Promise<PassRate["points"]> {
  const q = deps.database.query.bind(deps.database);
  const runs = await q<{
    id: string;
    name: string;
    origin: RunOrigin;
    build_number: string | null;
    build_url: string | null;
    at: Date | string;
    passed: number;
    failed: number;
    errors: number;
    skipped: number;
  }>(
    `SELECT id, name, origin, build_number, build_url, COALESCE(started_at, created_at) AS at, passed, failed, errors, skipped
       FROM test_runs WHERE org_id = $1 AND project_id = $2 AND complete AND ($3::text IS NULL OR origin = $3)
      ORDER BY COALESCE(started_at, created_at) DESC, id DESC LIMIT $4`,
    [orgId, f.projectId, f.origin ?? null, f.runs],
  );
  if (!runs.length) return [];
  const ids = runs.map((r) => r.id);
  let counts: Map<string, Counts> | null = null;
  const sums = `sum(passed)::int AS passed, sum(failed)::int AS failed, sum(error)::int AS error, sum(skipped)::int AS skipped`;
  if (f.pathPrefix !== undefined && f.linkId === undefined) {
    // Per (run × path) counts, an index range per run.
    const rows = await q<Counts>(
      `SELECT run_id, ${sums} FROM run_path_totals
        WHERE org_id = $1 AND run_id = ANY($2::uuid[]) AND path >= ($3::text COLLATE "C") AND ($4::text IS NULL OR path < ($4::text COLLATE "C"))
        GROUP BY run_id`,
      [orgId, ids, f.pathPrefix, prefixUpperBound(f.pathPrefix)],
    );
    counts = new Map(rows.map((r) => [r.run_id, r]));
  } else if (f.linkId !== undefined) {
    // The link's results (each once, however many of its requirements it is linked to): per (link × run)
    // or per (link × run × path) deltas kept by triggers (migration 0100), a few rows per run.
    const rows = await q<Counts>(
      f.pathPrefix === undefined
        ? `SELECT run_id, ${sums} FROM link_run_totals WHERE org_id = $1 AND link_id = $3 AND run_id = ANY($2::uuid[]) GROUP BY run_id`
        : `SELECT run_id, ${sums} FROM link_run_path_totals
            WHERE org_id = $1 AND link_id = $3 AND run_id = ANY($2::uuid[])
              AND path >= ($4::text COLLATE "C") AND ($5::text IS NULL OR path < ($5::text COLLATE "C"))
            GROUP BY run_id`,
      f.pathPrefix === undefined ? [orgId, ids, f.linkId] : [orgId, ids, f.linkId, f.pathPrefix, prefixUpperBound(f.pathPrefix)],
    );
    counts = new Map(rows.map((r) => [r.run_id, r]));
  }
  return runs.reverse().map((r) => {
    const c = counts
      ? (counts.get(r.id) ?? { passed: 0, failed: 0, error: 0, skipped: 0 })
      : { passed: r.passed, failed: r.failed, error: r.errors, skipped: r.skipped };
    const n = { passed: Number(c.passed), failed: Number(c.failed), error: Number(c.error), skipped: Number(c.skipped) };
    return {
      runId: r.id,
      name: r.name,
      at: iso(r.at),
      origin: r.origin,
      buildNumber: r.build_number,
      buildUrl: r.build_url,
      total: n.passed + n.failed + n.error + n.skipped,
      ...n,
      passRate: passRate(n),
    };
  });
}

export interface Iteration {
  kind: "sprint" | "release";
  id: string;
  name: string;
  path: string;
  startDate: string | null;
  finishDate: string | null;
}
interface IterRow {
  id: string;
  name: string;
  path: string;
  start_date: Date | string | null;
  finish_date: Date | string | null;
}
const toIteration = (kind: Iteration["kind"], r: IterRow): Iteration => ({
  kind,
  id: r.id,
  name: r.name,
  path: r.path,
  startDate: r.start_date ? iso(r.start_date) : null,
  finishDate: r.finish_date ? iso(r.finish_date) : null,
});

/** The link's synced sprint or release by id (as /api/boards/plans names them), or null. */
export async function iterationById(deps: AppDeps, linkId: string, kind: Iteration["kind"], id: string): Promise<Iteration | null> {
  const table = kind === "sprint" ? "boards_sprints" : "boards_releases";
  const [r] = await deps.database.query<IterRow>(
    `SELECT id::text, name, path, start_date, finish_date FROM ${table} WHERE link_id = $1 AND id::text = $2 AND removed = false`,
    [linkId, id],
  );
  return r ? toIteration(kind, r) : null;
}

/**
 * The link's synced sprint at this iteration path (case-insensitive, as ADO compares paths), or null. The
 * spec calls a team iteration's path "relative": it is taken as given ("Project\\Sprint 1", as Azure DevOps
 * answers) and, failing that, under the link's project.
 */
export async function sprintByPath(deps: AppDeps, linkId: string, projectName: string, path: string): Promise<Iteration | null> {
  const [r] = await deps.database.query<IterRow>(
    `SELECT id::text, name, path, start_date, finish_date FROM boards_sprints
      WHERE link_id = $1 AND removed = false AND lower(path) IN (lower($2), lower($3 || '\\' || $2))
      ORDER BY lower(path) = lower($2) DESC, id LIMIT 1`,
    [linkId, path.replace(/^\\+/, ""), projectName],
  );
  return r ? toIteration("sprint", r) : null;
}

/** The link's sprint whose dates contain `now` (the latest started, if several overlap), or null. */
export async function sprintAt(deps: AppDeps, linkId: string, now: Date): Promise<Iteration | null> {
  const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const [r] = await deps.database.query<IterRow>(
    `SELECT id::text, name, path, start_date, finish_date FROM boards_sprints
      WHERE link_id = $1 AND removed = false AND start_date <= $2 AND finish_date >= $2
      ORDER BY start_date DESC, id LIMIT 1`,
    [linkId, day],
  );
  return r ? toIteration("sprint", r) : null;
}

/** Requirements of the link in the iteration (a release: its own and its sprints'), by their tests' latest outcomes. */
export async function coverageCounts(
  deps: AppDeps,
  orgId: string,
  linkId: string,
  it: Iteration,
): Promise<Omit<Coverage, "status" | "link" | "iteration">> {
  const [r] = await deps.database.query<{
    requirements: number;
    tested: number;
    passing: number;
    failing: number;
    fwd: number;
  }>(
    `WITH paths AS (
       SELECT lower($3::text) AS p
       UNION SELECT lower(s.path) FROM boards_sprints s JOIN boards_releases r ON r.link_id = s.link_id AND r.ado_node_id = s.release_node_id
        WHERE $4 = 'release' AND r.id::text = $5 AND s.link_id = $2 AND s.removed = false
     )
     SELECT count(*)::int AS requirements,
            count(*) FILTER (WHERE t.tests > 0)::int AS tested,
            count(*) FILTER (WHERE t.tests > 0 AND t.failed + t.error = 0 AND t.passed > 0)::int AS passing,
            count(*) FILTER (WHERE t.failed + t.error > 0)::int AS failing,
            count(*) FILTER (WHERE t.failing_without_defect > 0)::int AS fwd
       FROM boards_requirements q
       LEFT JOIN work_item_test_totals t ON t.org_id = $1 AND t.work_item_id = q.ado_id
      WHERE q.link_id = $2 AND q.org_id = $1 AND q.removed = false AND lower(q.iteration_path) IN (SELECT p FROM paths)`,
    [orgId, linkId, it.path, it.kind, it.id],
  );
  const n = (x: number | undefined) => Number(x ?? 0);
  return {
    requirements: n(r?.requirements),
    tested: n(r?.tested),
    passing: n(r?.passing),
    failing: n(r?.failing),
    notTested: n(r?.requirements) - n(r?.tested),
    failingWithoutDefect: n(r?.fwd),
  };
}

/**
 * The project's tests (or those of the link's requirements) with the most failures, or the most pass⇄fail
 * flips, in their last `window` results. Ranked from project_failing_tests (migration 0110): the narrow rows
 * of the tests with a failure among their last 50 results, whose window's counts are computed on the letters
 * of `recent`; project_tests (wide: the last 50 result times and ids) is read for the top rows only.
 */
export async function flakyTests(
  deps: AppDeps,
  orgId: string,
  f: { projectId: string; linkId?: string; top: number; by: "failures" | "flakiness"; window: number },
): Promise<Flaky["tests"]> {
  // Failures: f and e in the window; flips: "pf" and "fp" pairs once skips are dropped and errors read as failures.
  const failures = `(length(w) - length(translate(w, 'fe', '')))`;
  const flips = `((length(nf) - length(replace(nf, 'pf', ''))) / 2 + (length(nf) - length(replace(nf, 'fp', ''))) / 2)`;
  const order =
    f.by === "failures"
      ? `failures DESC, flips DESC, latest_at DESC, path, name, test_key`
      : `flips DESC, failures DESC, latest_at DESC, path, name, test_key`;
  // Flaky as the work item form counts it: at least two flips (passed, failed, passed).
  const keep = f.by === "failures" ? `failures > 0` : `flips >= 2`;
  type Ranked = { test_key: string; path: string; name: string; latest_at: Date | string; w: string; in_link?: boolean };
  type Row = Ranked & { full_name: string; latest_outcome: Outcome; latest_run_id: string };
  const inLink = `EXISTS (SELECT 1 FROM work_item_tests t JOIN boards_requirements q ON q.link_id = $5 AND q.ado_id = t.work_item_id AND q.removed = false
                   WHERE t.org_id = $1 AND t.test_key = x.test_key)`;
  // Computing those letters is most of the query's time (every failing test of the project, each call): each
  // OFFSET 0 keeps a subquery from being merged into its outer query, which would compute the errors-as-failures
  // letters four times and the failures twice (once to filter, once to sort) per row; with them, once each
  // (39 → 17 ms for 13k tests over 20 results on the development machine).
  const ranked = (linkFilter: boolean) =>
    `SELECT test_key, path, name, latest_at, w, failures, flips FROM (
       SELECT test_key, path, name, latest_at, w, ${failures} AS failures, ${flips} AS flips
         FROM (SELECT test_key, path, name, latest_at, w, translate(w, 'es', 'f') AS nf
                 FROM (SELECT n.*, substr(n.recent, 1, $3) AS w FROM project_failing_tests n WHERE n.org_id = $1 AND n.project_id = $2) n
               OFFSET 0) n
       OFFSET 0) x
      WHERE ${keep}${linkFilter ? ` AND ${inLink}` : ""}
      ORDER BY ${order}`;
  // The rest of a ranked row, from its project_tests row.
  const details = `p.full_name, p.latest_outcome, p.latest_run_id FROM project_tests p WHERE p.org_id = $1 AND p.project_id = $2`;
  const q = deps.database.query.bind(deps.database);
  let rows: Row[] = [];
  if (!f.linkId)
    rows = await q<Row>(
      `SELECT x.*, d.* FROM (${ranked(false)} LIMIT $4) x CROSS JOIN LATERAL (SELECT ${details} AND p.test_key = x.test_key) d ORDER BY ${order}`,
      [orgId, f.projectId, f.window, f.top],
    );
  else {
    // Is a test one of the link's? Asked of the best-ranked tests a chunk at a time (one index probe each),
    // not of every failing test of the project; a link holding few of them falls back to filtering all.
    const CHUNK = Math.max(100, f.top * 4);
    let exhausted = false;
    let found: Ranked[] = [];
    for (let offset = 0; offset < CHUNK * 3 && found.length < f.top && !exhausted; offset += CHUNK) {
      const chunk = await q<Ranked>(`SELECT x.*, ${inLink} AS in_link FROM (${ranked(false)} LIMIT $4 OFFSET $6) x ORDER BY ${order}`, [
        orgId,
        f.projectId,
        f.window,
        CHUNK,
        f.linkId,
        offset,
      ]);
      found.push(...chunk.filter((r) => r.in_link));
      exhausted = chunk.length < CHUNK;
    }
    if (found.length < f.top && !exhausted)
      found = await q<Ranked>(`${ranked(true)} LIMIT $4`, [orgId, f.projectId, f.window, f.top, f.linkId]);
    found = found.slice(0, f.top);
    // The found rows' window and latest time are read again with the rest, so each row shows one state of
    // its test even if a run was summarized since the chunks were read.
    const more = found.length
      ? await q<Row>(
          `SELECT p.test_key, p.path, p.name, p.latest_at, substr(p.recent, 1, $4) AS w, ${details} AND p.test_key = ANY($3::text[])`,
          [orgId, f.projectId, found.map((r) => r.test_key), f.window],
        )
      : [];
    const byKey = new Map(more.map((d) => [d.test_key, d]));
    // A row deleted since it was ranked (its project's summaries rewritten) is left out.
    rows = found.flatMap((r) => {
      const d = byKey.get(r.test_key);
      return d ? [d] : [];
    });
  }
  if (!rows.length) return [];
  const defects = await deps.database.query<{
    test_key: string;
    defect_id: number;
    title: string | null;
    state: string | null;
    state_category: string | null;
  }>(
    // A defect may be linked to the test on several work items: listed once, open ones first, newest first.
    `SELECT DISTINCT ON (test_key, defect_id) test_key, defect_id, title, state, state_category, created_at FROM test_defects
      WHERE org_id = $1 AND project_id = $2 AND test_key = ANY($3::text[])
      ORDER BY test_key, defect_id, state_at DESC NULLS LAST`,
    [orgId, f.projectId, rows.map((r) => r.test_key)],
  );
  const closed = (c: string | null) => c === "Completed" || c === "Removed";
  const byKey = new Map<string, Flaky["tests"][number]["defects"]>();
  for (const d of [...defects].sort(
    (a, b) => Number(closed(a.state_category)) - Number(closed(b.state_category)) || b.defect_id - a.defect_id,
  )) {
    const list = byKey.get(d.test_key) ?? [];
    list.push({ id: Number(d.defect_id), title: d.title, state: d.state, stateCategory: d.state_category });
    byKey.set(d.test_key, list);
  }
  return rows.map((r) => {
    const recent = outcomesOf(r.w, f.window);
    return {
      key: r.test_key,
      path: r.path,
      name: r.name,
      fullName: r.full_name,
      results: recent.length,
      ...windowCounts(recent),
      latestOutcome: r.latest_outcome,
      latestAt: iso(r.latest_at),
      latestRunId: r.latest_run_id,
      recent,
      defects: byKey.get(r.test_key) ?? [],
    };
  });
}
