// Results follow the chain into Azure Test Plans: after a run is pushed, the results of Katalon test cases linked
// to Test Case work items are run on those Test Cases' test points (one Azure DevOps run per test plan: a run
// belongs to one plan, RunCreateModel.plan + pointIds), so requirement-based suites show the outcomes.
import { and, eq } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import { getWorkItemsBatch } from "../ado/endpoints";
import type { AppDeps } from "../context";
import { tracePlanPushes } from "../db/schema";
import type { RunRow } from "../results/store";
import type { Outcome } from "../schemas/results";

const ADO_OUTCOME: Record<Outcome, string> = { passed: "Passed", failed: "Failed", error: "Error", skipped: "NotExecuted" };
const BATCH = 500;

export interface LinkedResult {
  resultId: number;
  adoTestCaseId: number;
  outcome: Outcome;
  durationMs: number | null;
  message: string | null;
  stack: string | null;
}

/** The run's results whose Katalon test case is linked to a Test Case work item (the last one per test case). */
export async function linkedResults(deps: AppDeps, run: Pick<RunRow, "orgId" | "id" | "projectId">): Promise<LinkedResult[]> {
  const rows = await deps.database.query<Record<string, unknown>>(
    `SELECT DISTINCT ON (t.ado_test_case_id) r.id, t.ado_test_case_id, r.outcome, r.duration_ms, r.message, r.stack
     FROM test_results r
     JOIN repos_links rl ON rl.org_id = r.org_id AND rl.project_id = r.project_id AND rl.archived_at IS NULL
     JOIN repos_test_cases k ON k.link_id = rl.id
      AND r.path = COALESCE(substring(k.katalon_id from '^(.*)/[^/]*$'), '') AND r.name = substring(k.katalon_id from '([^/]*)$')
     JOIN trace_test_cases t ON t.repos_test_case_id = k.id AND t.ado_test_case_id IS NOT NULL
     WHERE r.org_id = $1 AND r.run_id = $2
     ORDER BY t.ado_test_case_id, r.seq DESC`,
    [run.orgId, run.id],
  );
  return rows.map((r) => ({
    resultId: Number(r.id),
    adoTestCaseId: Number(r.ado_test_case_id),
    outcome: r.outcome as Outcome,
    durationMs: r.duration_ms === null ? null : Number(r.duration_ms),
    message: (r.message as string | null) ?? null,
    stack: (r.stack as string | null) ?? null,
  }));
}

/**
 * The run's linked results whose Test Case still exists in Azure DevOps (a Test Case deleted since it was linked
 * must not make Azure DevOps refuse the whole results batch).
 */
export async function liveLinkedResults(
  deps: AppDeps,
  client: AdoClient,
  run: Pick<RunRow, "orgId" | "id" | "projectId">,
  signal?: AbortSignal,
) {
  const linked = await linkedResults(deps, run);
  if (!linked.length) return linked;
  const found = await getWorkItemsBatch(
    client,
    linked.map((l) => l.adoTestCaseId),
    { fields: ["System.Id", "System.WorkItemType"], signal },
  );
  const live = new Set(found.filter((w) => w.fields?.["System.WorkItemType"] === "Test Case").map((w) => Number(w.id)));
  return linked.filter((l) => live.has(l.adoTestCaseId));
}

interface AdoPoint {
  id: number;
  testCase?: { id?: string };
  testPlan?: { id?: string; name?: string };
}

/** Points of these Test Cases in the project's test plans (POST test/points, paged). */
async function pointsOf(client: AdoClient, project: string, testCaseIds: number[], signal: AbortSignal): Promise<AdoPoint[]> {
  const out: AdoPoint[] = [];
  for (let i = 0; i < testCaseIds.length; i += 200) {
    for (let skip = 0; ; skip += 1000) {
      const res = await client.post<{ points?: AdoPoint[] }>(
        `${project}/_apis/test/points`,
        { pointsFilter: { testcaseIds: testCaseIds.slice(i, i + 200) } },
        { query: { $skip: skip, $top: 1000 }, signal, idempotent: true },
      );
      const pts = res.points ?? [];
      out.push(...pts);
      if (pts.length < 1000) break;
    }
  }
  return out;
}

/** Runs the linked results on their test points; resumable (a plan whose run completed is skipped). */
export async function pushToTestPoints(deps: AppDeps, client: AdoClient, run: RunRow, signal: AbortSignal) {
  const linked = await linkedResults(deps, run);
  if (!linked.length) return { plans: 0, points: 0 };
  const project = encodeURIComponent(run.projectId);
  const points = await pointsOf(client, project, [...new Set(linked.map((l) => l.adoTestCaseId))], signal);
  const byPlan = new Map<number, { name: string; points: AdoPoint[] }>();
  for (const p of points) {
    const planId = Number(p.testPlan?.id ?? 0);
    if (!planId) continue;
    const e = byPlan.get(planId) ?? { name: p.testPlan?.name ?? "", points: [] };
    e.points.push(p);
    byPlan.set(planId, e);
  }
  const resultOf = new Map(linked.map((l) => [l.adoTestCaseId, l]));
  let done = 0;
  for (const [planId, { name, points: pts }] of [...byPlan].sort((a, b) => a[0] - b[0])) {
    const [state] = await deps.database.db
      .select()
      .from(tracePlanPushes)
      .where(and(eq(tracePlanPushes.runId, run.id), eq(tracePlanPushes.planId, planId)));
    if (state?.completedAt) {
      done += state.points;
      continue;
    }
    const marker = `[TestOps run ${run.id} plan ${planId}]`;
    let adoRunId = state?.adoRunId ?? null;
    if (adoRunId === null && state?.createSentAt) adoRunId = await findPlanRun(client, project, planId, marker, signal);
    if (adoRunId === null) {
      await deps.database.db
        .insert(tracePlanPushes)
        .values({ orgId: run.orgId, runId: run.id, planId, planName: name, createSentAt: new Date(), points: pts.length })
        .onConflictDoUpdate({
          target: [tracePlanPushes.runId, tracePlanPushes.planId],
          set: { createSentAt: new Date(), points: pts.length },
        });
      const created = await client.post<{ id: number }>(
        `${project}/_apis/test/runs`,
        {
          name: `${run.name} · ${name || `plan ${planId}`}`.slice(0, 256),
          automated: true,
          state: "InProgress",
          plan: { id: String(planId) },
          pointIds: pts.map((p) => p.id),
          comment: `Katalon results pushed by TestOps onto the test points of linked Test Cases ${marker}`,
        },
        { signal },
      );
      adoRunId = created.id;
    }
    await deps.database.db
      .update(tracePlanPushes)
      .set({ adoRunId })
      .where(and(eq(tracePlanPushes.runId, run.id), eq(tracePlanPushes.planId, planId)));
    // The run holds one pending result per point; completing them is idempotent, so a resumed push sends them all again.
    const pending: { id: number; testCase?: { id?: string } }[] = [];
    for (let skip = 0; ; skip += 1000) {
      const page = await client.get<{ value?: { id: number; testCase?: { id?: string } }[] }>(
        `${project}/_apis/test/Runs/${adoRunId}/results`,
        {
          query: { $skip: skip, $top: 1000 },
          signal,
        },
      );
      pending.push(...(page.value ?? []));
      if ((page.value ?? []).length < 1000) break;
    }
    const updates = pending
      .map((p) => ({ p, r: resultOf.get(Number(p.testCase?.id ?? 0)) }))
      .filter((x): x is { p: (typeof pending)[number]; r: LinkedResult } => !!x.r)
      .map(({ p, r }) => ({
        id: p.id,
        outcome: ADO_OUTCOME[r.outcome],
        state: "Completed",
        ...(r.durationMs !== null ? { durationInMs: r.durationMs } : {}),
        ...(r.message ? { errorMessage: r.message.slice(0, 4000) } : {}),
        ...(r.stack ? { stackTrace: r.stack.slice(0, 1000) } : {}),
      }));
    for (let i = 0; i < updates.length; i += BATCH)
      await client.patch(`${project}/_apis/test/Runs/${adoRunId}/results`, updates.slice(i, i + BATCH), { signal, idempotent: true });
    await client.patch(`${project}/_apis/test/runs/${adoRunId}`, { state: "Completed" }, { signal, idempotent: true });
    await deps.database.db
      .update(tracePlanPushes)
      .set({ completedAt: new Date() })
      .where(and(eq(tracePlanPushes.runId, run.id), eq(tracePlanPushes.planId, planId)));
    done += pts.length;
  }
  return { plans: byPlan.size, points: done };
}

async function findPlanRun(
  client: AdoClient,
  project: string,
  planId: number,
  marker: string,
  signal: AbortSignal,
): Promise<number | null> {
  for (let skip = 0; ; skip += 100) {
    const page = await client.get<{ value?: { id: number; comment?: string }[] }>(`${project}/_apis/test/runs`, {
      query: { planId, automated: true, includeRunDetails: true, $top: 100, $skip: skip },
      signal,
    });
    const runs = page.value ?? [];
    const hit = runs.find((r) => r.comment?.includes(marker));
    if (hit) return hit.id;
    if (runs.length < 100) return null;
  }
}
