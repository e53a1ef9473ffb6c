import type { AppDeps } from "../context";
import type { Plans } from "../schemas/boards";

/** Requirements listed per release/sprint (the coverage numbers always count all of them). */
export const PLAN_ITEMS_LIMIT = 200;

type Timing = "planned" | "current" | "past" | "undated";
export function timing(start: Date | null, finish: Date | null, now = new Date()): Timing {
  if (!start || !finish) return "undated";
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (finish.getTime() < today) return "past";
  if (start.getTime() <= today) return "current";
  return "planned";
}

export type TestOutcome = "passed" | "failed" | "skipped";
export type TestCounts = { tested: number; passed: number; failed: number; failingWithoutDefect: number };
const NO_TESTS: Readonly<TestCounts> = { tested: 0, passed: 0, failed: 0, failingWithoutDefect: 0 };

/** A requirement's test state from the latest outcome of each test linked to it: one failure fails it. */
export function requirementOutcome(latest: readonly string[]): TestOutcome | null {
  const n = (o: string) => latest.filter((x) => x === o).length;
  return outcomeOfCounts({ passed: n("passed"), failed: n("failed"), error: n("error"), skipped: n("skipped") });
}

/** The same from the counts of latest outcomes (work_item_test_totals). */
export function outcomeOfCounts(c: { passed: number; failed: number; error: number; skipped: number }): TestOutcome | null {
  if (!c.passed && !c.failed && !c.error && !c.skipped) return null;
  if (Number(c.failed) + Number(c.error) > 0) return "failed";
  return Number(c.passed) > 0 ? "passed" : "skipped";
}

const pct = (n: number, of: number) => (of ? Math.round((n / of) * 1000) / 10 : 0);
const DONE = new Set(["Done", "Resolved"]);
export function coverage(byStatus: Record<string, number>, tests: Readonly<TestCounts> = NO_TESTS) {
  let total = 0;
  let done = 0;
  for (const [s, n] of Object.entries(byStatus)) {
    total += n;
    if (DONE.has(s)) done += n;
  }
  return { total, done, percent: pct(done, total), byStatus, ...tests, testedPercent: pct(tests.tested, total) };
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);

interface IterRow {
  id: string;
  link_id: string;
  ado_node_id: number;
  path: string;
  name: string;
  start_date: Date | null;
  finish_date: Date | null;
  release_node_id?: number;
}

/** Releases and sprints of the org's live (non-archived) links, with their requirements, dates and coverage. */
export async function getPlans(deps: AppDeps, orgId: string, f: { projectId?: string; linkId?: string }): Promise<Plans> {
  const q = deps.database.query.bind(deps.database);
  const linkWhere = `l.org_id = $1 AND l.archived = false AND ($2::text IS NULL OR l.project_id = $2) AND ($3::uuid IS NULL OR l.id = $3)`;
  const params = [orgId, f.projectId ?? null, f.linkId ?? null];
  const links = await q<{ id: string; project_name: string; status: "Inactive" | "Active" | "Error"; last_success_at: Date | null }>(
    `SELECT l.id, l.project_name, l.status, s.last_success_at FROM boards_links l LEFT JOIN boards_sync_state s ON s.link_id = l.id
     WHERE ${linkWhere} ORDER BY l.project_name`,
    params,
  );
  if (!links.length) return { releases: [], unplannedRequirements: 0, links: [] };
  const [releases, sprints, counts, items, bugs, tested] = await Promise.all([
    q<IterRow>(
      `SELECT r.* FROM boards_releases r JOIN boards_links l ON l.id = r.link_id WHERE ${linkWhere} AND r.removed = false
       ORDER BY r.start_date NULLS LAST, r.path`,
      params,
    ),
    q<IterRow>(
      `SELECT s.* FROM boards_sprints s JOIN boards_links l ON l.id = s.link_id WHERE ${linkWhere} AND s.removed = false
       ORDER BY s.start_date NULLS LAST, s.path`,
      params,
    ),
    q<{ link_id: string; ipath: string | null; status: string | null; n: string; max_release: Date | null }>(
      `SELECT q.link_id, lower(q.iteration_path) AS ipath, q.status, count(*) AS n, max(q.release_date) AS max_release
       FROM boards_requirements q JOIN boards_links l ON l.id = q.link_id WHERE ${linkWhere} AND q.removed = false
       GROUP BY 1, 2, 3`,
      params,
    ),
    q<{
      id: string;
      link_id: string;
      ipath: string;
      ado_id: number;
      title: string;
      work_item_type: string;
      ado_state: string | null;
      status: string | null;
      priority: string | null;
      release_date: Date | null;
      iteration_path: string | null;
    }>(
      `SELECT * FROM (
         SELECT q.*, lower(q.iteration_path) AS ipath,
                row_number() OVER (PARTITION BY q.link_id, lower(q.iteration_path) ORDER BY q.ado_id) AS rn
         FROM boards_requirements q JOIN boards_links l ON l.id = q.link_id
         WHERE ${linkWhere} AND q.removed = false AND q.iteration_path IS NOT NULL) x
       WHERE rn <= ${PLAN_ITEMS_LIMIT} ORDER BY ado_id`,
      params,
    ),
    q<{ link_id: string; ipath: string | null; n: string }>(
      `SELECT b.link_id, lower(b.iteration_path) AS ipath, count(*) AS n FROM boards_bugs b JOIN boards_links l ON l.id = b.link_id
       WHERE ${linkWhere} AND b.removed = false GROUP BY 1, 2`,
      params,
    ),
    // Each requirement's tests by latest outcome, from the per work item totals kept on write (one row per
    // requirement, however many results its tests have), with how many fail with no open defect.
    q<{
      link_id: string;
      ipath: string | null;
      ado_id: number;
      tests: number;
      passed: number;
      failed: number;
      error: number;
      skipped: number;
      failing_without_defect: number;
    }>(
      `SELECT q.link_id, lower(q.iteration_path) AS ipath, q.ado_id, t.tests, t.passed, t.failed, t.error, t.skipped, t.failing_without_defect
       FROM boards_requirements q JOIN boards_links l ON l.id = q.link_id
       JOIN work_item_test_totals t ON t.org_id = l.org_id AND t.work_item_id = q.ado_id
       WHERE ${linkWhere} AND q.removed = false AND t.tests > 0`,
      params,
    ),
  ]);
  const key = (link: string, path: string | null) => `${link}\u0000${(path ?? "").toLowerCase()}`;
  const orgUrl = (await q<{ url: string }>(`SELECT url FROM organizations WHERE id = $1`, [orgId]))[0]?.url ?? null;
  const statusBy = new Map<string, Record<string, number>>();
  const maxRelease = new Map<string, Date>();
  for (const c of counts) {
    const k = key(c.link_id, c.ipath);
    const m = statusBy.get(k) ?? {};
    m[c.status ?? "(unmapped)"] = (m[c.status ?? "(unmapped)"] ?? 0) + Number(c.n);
    statusBy.set(k, m);
    if (c.max_release) {
      const d = new Date(c.max_release);
      const cur = maxRelease.get(k);
      if (!cur || cur < d) maxRelease.set(k, d);
    }
  }
  const itemsBy = new Map<string, typeof items>();
  for (const it of items) {
    const k = key(it.link_id, it.ipath);
    const list = itemsBy.get(k) ?? [];
    list.push(it);
    itemsBy.set(k, list);
  }
  const bugsBy = new Map(bugs.map((b) => [key(b.link_id, b.ipath), Number(b.n)]));
  const testsOf = new Map<string, { outcome: TestOutcome | null; count: number }>();
  const testsBy = new Map<string, TestCounts>();
  for (const t of tested) {
    const outcome = outcomeOfCounts(t);
    testsOf.set(`${t.link_id}\u0000${t.ado_id}`, { outcome, count: Number(t.tests) });
    const k = key(t.link_id, t.ipath);
    const c = testsBy.get(k) ?? { ...NO_TESTS };
    c.tested++;
    if (outcome === "passed") c.passed++;
    if (outcome === "failed") c.failed++;
    c.failingWithoutDefect += Number(t.failing_without_defect);
    testsBy.set(k, c);
  }
  const reqs = (k: string) =>
    (itemsBy.get(k) ?? []).map((r) => {
      const t = testsOf.get(`${r.link_id}\u0000${r.ado_id}`);
      return {
        id: r.id,
        adoId: r.ado_id,
        title: r.title,
        workItemType: r.work_item_type,
        adoState: r.ado_state,
        status: r.status as never,
        priority: r.priority as never,
        releaseDate: iso(r.release_date),
        iterationPath: r.iteration_path,
        url: orgUrl ? `${orgUrl}/_workitems/edit/${r.ado_id}` : null,
        testOutcome: t?.outcome ?? null,
        tests: t?.count ?? 0,
      };
    });
  const merge = (a: Record<string, number>, b: Record<string, number>) => {
    for (const [s, n] of Object.entries(b)) a[s] = (a[s] ?? 0) + n;
    return a;
  };

  let plannedCount = 0;
  const out: Plans["releases"] = releases.map((r) => {
    const rk = key(r.link_id, r.path);
    const own = statusBy.get(rk) ?? {};
    const relStatus = { ...own };
    const relTests = { ...(testsBy.get(rk) ?? NO_TESTS) };
    let relBugs = bugsBy.get(rk) ?? 0;
    let relDate = maxRelease.get(rk) ?? null;
    const sp = sprints
      .filter((s) => s.link_id === r.link_id && s.release_node_id === r.ado_node_id)
      .map((s) => {
        const sk = key(s.link_id, s.path);
        const st = statusBy.get(sk) ?? {};
        merge(relStatus, st);
        const spTests = testsBy.get(sk) ?? NO_TESTS;
        for (const f of ["tested", "passed", "failed", "failingWithoutDefect"] as const) relTests[f] += spTests[f];
        const b = bugsBy.get(sk) ?? 0;
        relBugs += b;
        const d = maxRelease.get(sk);
        if (d && (!relDate || relDate < d)) relDate = d;
        return {
          id: s.id,
          adoNodeId: s.ado_node_id,
          name: s.name,
          path: s.path,
          startDate: iso(s.start_date),
          finishDate: iso(s.finish_date),
          missingDates: !s.start_date || !s.finish_date,
          status: timing(s.start_date && new Date(s.start_date), s.finish_date && new Date(s.finish_date)),
          coverage: coverage(st, spTests),
          requirements: reqs(sk),
          bugs: b,
        };
      });
    const cov = coverage(relStatus, relTests);
    plannedCount += cov.total;
    return {
      id: r.id,
      linkId: r.link_id,
      adoNodeId: r.ado_node_id,
      name: r.name,
      path: r.path,
      startDate: iso(r.start_date),
      finishDate: iso(r.finish_date),
      releaseDate: iso(relDate),
      status: timing(r.start_date && new Date(r.start_date), r.finish_date && new Date(r.finish_date)),
      coverage: cov,
      sprints: sp,
      requirements: reqs(rk),
      bugs: relBugs,
    };
  });
  let total = 0;
  for (const m of statusBy.values()) for (const n of Object.values(m)) total += n;
  return {
    releases: out,
    unplannedRequirements: total - plannedCount,
    links: links.map((l) => ({ id: l.id, projectName: l.project_name, status: l.status, lastSyncAt: iso(l.last_success_at) })),
  };
}
