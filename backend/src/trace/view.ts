// The traceability view of a release or sprint: requirements × their test cases × latest result, with gaps.
import type { AppDeps } from "../context";
import { ApiError } from "../lib/errors";
import type { Outcome } from "../schemas/results";
import { visibleResult } from "../results/visible";
import { GAP_LABELS, GAPS, TRACE_LIMITS, type Gap, type TraceRequirement, type TraceTestCaseRow, type TraceView } from "../schemas/trace";
import { orgWebUrl, workItemUrl } from "./katalon";

export interface Latest {
  outcome: Outcome;
  at: string;
  runId: string;
  runName: string;
}

export interface RequirementIn {
  adoId: number;
  title: string;
  status: string | null;
}
export interface LinkIn {
  requirementId: number;
  testCaseId: string;
  title: string;
  adoTestCaseId: number | null;
  source: "generated" | "ado";
  katalonId: string | null;
  katalonName: string | null;
  katalonRemoved: boolean;
  problem: string | null;
  latest: Latest | null;
  /** The automated test's key on the requirement (md5(path) || md5(name)), as the work item summaries keep it. */
  testKey: string | null;
}
export interface ReportedIn {
  requirementId: number;
  tests: number;
  latest: Latest | null;
  outcomes: Outcome[];
}

const failing = (o: Outcome | undefined) => o === "failed" || o === "error";

/** Pure: rows of the view from what the database holds (table-tested). `now` decides what "recent" is. */
export function buildRequirements(
  reqs: RequirementIn[],
  links: LinkIn[],
  reported: ReportedIn[],
  o: {
    orgUrl: string | null;
    now: Date;
    defectLinksKnown: boolean;
    /** Per requirement, the keys of its tests whose latest result fails and that have no open defect. */
    failingWithoutDefect?: Map<number, Set<string>>;
  },
): TraceRequirement[] {
  const recentAfter = o.now.getTime() - TRACE_LIMITS.recentDays * 86_400_000;
  return reqs.map((r) => {
    const testCases: TraceTestCaseRow[] = links
      .filter((l) => l.requirementId === r.adoId)
      .map((l) => {
        const gaps: Gap[] = [];
        if (!l.katalonId) gaps.push("not_automated");
        else if (!l.latest || Date.parse(l.latest.at) < recentAfter) gaps.push("no_recent_results");
        const undefended = !o.defectLinksKnown || (l.testKey !== null && !!o.failingWithoutDefect?.get(r.adoId)?.has(l.testKey));
        if (l.latest && failing(l.latest.outcome) && undefended) gaps.push("failing_no_defect");
        return {
          id: l.testCaseId,
          title: l.title,
          adoTestCaseId: l.adoTestCaseId,
          adoUrl: workItemUrl(o.orgUrl, l.adoTestCaseId),
          source: l.source,
          automation: l.katalonId
            ? { katalonId: l.katalonId, name: l.katalonName ?? l.katalonId, removed: l.katalonRemoved, problem: l.problem }
            : null,
          latest: l.latest,
          gaps,
        };
      })
      .sort((a, b) => a.title.localeCompare(b.title));
    const rep = reported.find((x) => x.requirementId === r.adoId);
    const outcomes = [...testCases.map((t) => t.latest?.outcome).filter((x): x is Outcome => !!x), ...(rep?.outcomes ?? [])];
    const outcome = outcomes.some(failing) ? "failed" : outcomes.includes("passed") ? "passed" : outcomes.length ? "skipped" : null;
    const gaps: Gap[] = [];
    if (!testCases.length && !rep?.tests) gaps.push("no_tests");
    for (const g of GAPS) if (g !== "no_tests" && testCases.some((t) => t.gaps.includes(g))) gaps.push(g);
    const reportedUndefended = o.defectLinksKnown ? (o.failingWithoutDefect?.get(r.adoId)?.size ?? 0) > 0 : !!rep?.outcomes.some(failing);
    if (reportedUndefended && !gaps.includes("failing_no_defect")) gaps.push("failing_no_defect");
    return {
      adoId: r.adoId,
      title: r.title,
      status: r.status,
      url: workItemUrl(o.orgUrl, r.adoId),
      testCases,
      reported: { tests: rep?.tests ?? 0, latest: rep?.latest ?? null },
      outcome,
      gaps,
    };
  });
}

const iso = (v: Date | string) => new Date(v).toISOString();

/** The view for one release or sprint of a live Boards link of the organization. */
export async function traceView(
  deps: AppDeps,
  orgId: string,
  scope: { releaseId?: string; sprintId?: string },
  canEdit: boolean,
): Promise<TraceView & { projectId: string }> {
  const q = deps.database.query.bind(deps.database);
  const kind = scope.sprintId ? "sprint" : "release";
  const id = (scope.sprintId ?? scope.releaseId)!;
  const [it] = await q<{ id: string; name: string; path: string; link_id: string; ado_node_id: number; project_id: string }>(
    `SELECT i.id, i.name, i.path, i.link_id, i.ado_node_id, l.project_id FROM ${kind === "sprint" ? "boards_sprints" : "boards_releases"} i
     JOIN boards_links l ON l.id = i.link_id WHERE i.id = $1 AND i.org_id = $2 AND l.archived = false AND i.removed = false`,
    [id, orgId],
  );
  if (!it) throw new ApiError(404, "not_found", `No ${kind} ${id} in a live Boards link`);
  const paths =
    kind === "sprint"
      ? [it.path.toLowerCase()]
      : [
          it.path.toLowerCase(),
          ...(
            await q<{ p: string }>(
              `SELECT lower(path) AS p FROM boards_sprints WHERE link_id = $1 AND release_node_id = $2 AND removed = false`,
              [it.link_id, it.ado_node_id],
            )
          ).map((x) => x.p),
        ];
  const reqs = await q<{ ado_id: number; title: string; status: string | null }>(
    `SELECT ado_id, title, status FROM boards_requirements WHERE link_id = $1 AND removed = false AND lower(iteration_path) = ANY($2::text[]) ORDER BY ado_id`,
    [it.link_id, paths],
  );
  const ids = reqs.map((r) => r.ado_id);
  const links = await q<{
    requirement_id: number;
    test_case_id: string;
    title: string;
    ado_test_case_id: number | null;
    source: "generated" | "ado";
    katalon_id: string | null;
    katalon_name: string | null;
    removed_at: Date | null;
    problem: string | null;
    outcome: Outcome | null;
    at: Date | null;
    run_id: string | null;
    run_name: string | null;
    test_key: string | null;
  }>(
    `SELECT l.requirement_id, t.id AS test_case_id, t.title, t.ado_test_case_id, l.source, k.katalon_id, k.name AS katalon_name,
            k.removed_at, t.automation_problem AS problem, lr.outcome, lr.at, lr.run_id, lr.run_name,
            CASE WHEN k.id IS NULL THEN NULL
                 ELSE md5(COALESCE(substring(k.katalon_id from '^(.*)/[^/]*$'), '')) || md5(substring(k.katalon_id from '([^/]*)$')) END AS test_key
     FROM trace_requirement_links l
     JOIN trace_test_cases t ON t.id = l.test_case_id
     LEFT JOIN repos_test_cases k ON k.id = t.repos_test_case_id
     LEFT JOIN repos_links rl ON rl.id = k.link_id
     LEFT JOIN LATERAL (
       SELECT r.outcome, COALESCE(run.started_at, run.created_at) AS at, run.id AS run_id, run.name AS run_name
       FROM test_results r JOIN test_runs run ON run.id = r.run_id AND ${visibleResult()}
       WHERE k.id IS NOT NULL AND r.org_id = l.org_id AND r.project_id = rl.project_id
         AND md5(r.path) = md5(COALESCE(substring(k.katalon_id from '^(.*)/[^/]*$'), '')) AND md5(r.name) = md5(substring(k.katalon_id from '([^/]*)$'))
         AND r.path = COALESCE(substring(k.katalon_id from '^(.*)/[^/]*$'), '') AND r.name = substring(k.katalon_id from '([^/]*)$')
       ORDER BY COALESCE(run.started_at, run.created_at) DESC, r.id DESC LIMIT 1) lr ON true
     WHERE l.org_id = $1 AND l.requirement_id = ANY($2::int[])`,
    [orgId, ids],
  );
  // Results linked by id in a report (or by the Repos option), not through the chain: each distinct test's latest.
  const reported = await q<{ work_item_id: number; outcome: Outcome; at: Date; run_id: string; run_name: string }>(
    `SELECT DISTINCT ON (k.work_item_id, r.path, r.name) k.work_item_id, r.outcome, COALESCE(run.started_at, run.created_at) AS at, run.id AS run_id, run.name AS run_name
     FROM test_result_links k JOIN test_results r ON r.id = k.result_id AND r.org_id = k.org_id JOIN test_runs run ON run.id = r.run_id
     WHERE k.org_id = $1 AND k.work_item_id = ANY($2::int[]) AND k.source <> 'trace'
     ORDER BY k.work_item_id, r.path, r.name, COALESCE(run.started_at, run.created_at) DESC, r.id DESC`,
    [orgId, ids],
  );
  const rep = new Map<number, ReportedIn>();
  for (const x of reported) {
    const cur = rep.get(x.work_item_id) ?? { requirementId: x.work_item_id, tests: 0, latest: null, outcomes: [] };
    cur.tests++;
    cur.outcomes.push(x.outcome);
    const at = iso(x.at);
    if (!cur.latest || cur.latest.at < at) cur.latest = { outcome: x.outcome, at, runId: x.run_id, runName: x.run_name };
    rep.set(x.work_item_id, cur);
  }
  // Defects linked to tests (the work item form's Create / Link defect): a failing test with an open one is covered.
  const defectLinksKnown = true;
  const failingWithoutDefect = new Map<number, Set<string>>();
  for (const x of await q<{ work_item_id: number; test_key: string }>(
    `SELECT t.work_item_id, t.test_key FROM work_item_tests t
      WHERE t.org_id = $1 AND t.work_item_id = ANY($2::int[]) AND t.latest_outcome IN ('failed', 'error')
        AND NOT EXISTS (SELECT 1 FROM test_defects d WHERE d.org_id = t.org_id AND d.work_item_id = t.work_item_id AND d.test_key = t.test_key
                          AND d.state_category IS DISTINCT FROM 'Completed' AND d.state_category IS DISTINCT FROM 'Removed')`,
    [orgId, ids],
  ))
    failingWithoutDefect.set(x.work_item_id, (failingWithoutDefect.get(x.work_item_id) ?? new Set()).add(x.test_key));
  const requirements = buildRequirements(
    reqs.map((r) => ({ adoId: r.ado_id, title: r.title, status: r.status })),
    links.map((l) => ({
      requirementId: l.requirement_id,
      testCaseId: l.test_case_id,
      title: l.title,
      adoTestCaseId: l.ado_test_case_id,
      source: l.source,
      katalonId: l.katalon_id,
      katalonName: l.katalon_name,
      katalonRemoved: l.removed_at !== null,
      problem: l.problem,
      latest: l.outcome && l.at && l.run_id ? { outcome: l.outcome, at: iso(l.at), runId: l.run_id, runName: l.run_name ?? "" } : null,
      testKey: l.test_key,
    })),
    [...rep.values()],
    { orgUrl: await orgWebUrl(deps, orgId), now: new Date(), defectLinksKnown, failingWithoutDefect },
  );
  const gaps: Record<string, number> = Object.fromEntries(GAPS.map((g) => [g, 0]));
  for (const r of requirements) for (const g of r.gaps) gaps[g]++;
  return {
    projectId: it.project_id,
    scope: { kind, id: it.id, name: it.name, path: it.path },
    canEdit,
    requirements,
    totals: {
      requirements: requirements.length,
      withTests: requirements.filter((r) => r.testCases.length || r.reported.tests).length,
      passing: requirements.filter((r) => r.outcome === "passed").length,
      failing: requirements.filter((r) => r.outcome === "failed").length,
      gaps,
    },
    defectLinksKnown,
  };
}

/** RFC 4180 field; a leading = + - @ is prefixed with ' so a spreadsheet does not run it as a formula. */
export function csvField(v: string | number | null | undefined): string {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One line per requirement × test case (a requirement without tests gets one line too). */
export function toCsv(view: TraceView): string {
  const head = [
    "Requirement ID",
    "Requirement",
    "Requirement status",
    "Requirement outcome",
    "Test case",
    "Azure DevOps Test Case ID",
    "Link",
    "Katalon test case",
    "Latest outcome",
    "Latest run",
    "Latest at",
    "Gaps",
  ];
  const lines = [head.map(csvField).join(",")];
  for (const r of view.requirements) {
    const reqCols = [r.adoId, r.title, r.status, r.outcome];
    const rows = r.testCases.length ? r.testCases : [null];
    for (const t of rows) {
      const gaps = (t ? t.gaps : r.gaps).map((g) => GAP_LABELS[g]).join("; ");
      lines.push(
        [
          ...reqCols,
          t?.title,
          t?.adoTestCaseId,
          t ? (t.source === "ado" ? "Tested By (Azure DevOps)" : "Generated by TestOps") : null,
          t?.automation?.katalonId,
          t?.latest?.outcome,
          t?.latest?.runName,
          t?.latest?.at,
          gaps,
        ]
          .map(csvField)
          .join(","),
      );
    }
  }
  return lines.join("\r\n") + "\r\n";
}
