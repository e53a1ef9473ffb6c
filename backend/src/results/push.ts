import { scrubSecrets } from "../lib/scrub";
// "Push test result": publishes a stored run to Azure Test Plans through the organization's connection:
// create a test run, add its results (with their linked work items), complete the run. Resumable:
// a retried push reuses the ADO run it created and only sends results not sent yet.
import type { AdoClient } from "../ado/client";
import { getWorkItemsBatch } from "../ado/endpoints";
import { isAdoError } from "../ado/errors";
import { adoClientFor, getActiveConnection, reportAdoFailure } from "../connections/service";
import type { AppDeps } from "../context";
import { JobCancelled } from "../jobs";
import { ApiError } from "../lib/errors";
import { PUSH_JOB, type Outcome } from "../schemas/results";
import { trimText } from "./junit";
import { writePendingLinks } from "./links";
import { userFacingError } from "../jobs/transient";
import { liveLinkedResults, pushToTestPoints } from "../trace/push";
import {
  countUnpushed,
  findRun,
  markQueued,
  recordAdoResultIds,
  toRunDto,
  unpushedResults,
  updateRunAdo,
  type ResultRow,
  type RunRow,
} from "./store";

/** ADO accepts 1,000 results per POST; smaller batches give finer progress and smaller retries. */
export const PUSH_BATCH = 500;

const ADO_OUTCOME: Record<Outcome, string> = { passed: "Passed", failed: "Failed", error: "Error", skipped: "NotExecuted" };

/** One stored result as an ADO TestCaseResult (pure; table-tested). */
export function toAdoResult(r: ResultRow, workItemIds: number[], run: Pick<RunRow, "source">, testCaseId?: number) {
  return {
    testCaseTitle: r.name.slice(0, 256) || r.fullName.slice(0, 256),
    automatedTestName: r.fullName.slice(0, 512),
    automatedTestStorage: (r.suite || r.path).slice(0, 256) || undefined,
    automatedTestType: run.source.slice(0, 100),
    outcome: ADO_OUTCOME[r.outcome],
    state: "Completed",
    ...(r.durationMs !== null ? { durationInMs: r.durationMs } : {}),
    ...(r.message ? { errorMessage: trimText(r.message, 4000) } : {}),
    // The TestCaseResult spec caps stackTrace at 1,000 characters.
    ...(r.stack ? { stackTrace: trimText(r.stack, 1000) } : {}),
    // associatedBugs takes bugs only (callers pass the Bug-category ids); requirements are reached
    // through their test cases (docs/ado-fidelity.md, point 10).
    ...(workItemIds.length ? { associatedBugs: workItemIds.map((id) => ({ id })) } : {}),
    // The Test Case work item this (Katalon) result automates (issue 17).
    ...(testCaseId ? { testCase: { id: String(testCaseId) } } : {}),
  };
}

/** Groups a run's push jobs (one at a time; the jobs API finds the run's project from it). */
export const runResourceKey = (runId: string) => `results-run:${runId}`;

/** A reason someone can act on, for the run's push status and the failed job. */
export function pushFailureReason(e: unknown): string {
  return scrubSecrets(describePushFailure(e));
}

function describePushFailure(e: unknown): string {
  if (isAdoError(e)) {
    switch (e.kind) {
      case "bad_credentials":
        return "Azure DevOps rejected the connection's PAT (expired or revoked); an organization administrator must update the connection";
      case "missing_scope":
        return "The connection's PAT lacks the Test Management (Read & write) scope (vso.test_write) needed to push test results";
      case "forbidden":
        return `Azure DevOps denied publishing test results: ${e.message}`;
      case "not_found":
        return `Not found in Azure DevOps (was the project or the test run deleted?): ${e.message}`;
      case "bad_request":
        return `Azure DevOps refused the test results: ${e.message}`;
      case "throttled":
        return "Azure DevOps kept throttling the push; push again later (it resumes where it stopped)";
      default:
        return `Azure DevOps could not be reached or failed: ${e.message}; push again to resume`;
    }
  }
  if (e instanceof ApiError) return e.message;
  return userFacingError(e);
}

interface AdoRun {
  id: number;
  webAccessUrl?: string;
  url?: string;
}

/**
 * Which linked work items are bugs (the project's Bug category, discovered, never a hard-coded type name):
 * only those go in a result's associatedBugs. One category read per push, one batch read per 200 new ids.
 */
function bugsOf(client: AdoClient, project: string, signal: AbortSignal) {
  let bugTypes: Promise<Set<string>> | undefined;
  const known = new Map<number, boolean>();
  return async (ids: number[]): Promise<(id: number) => boolean> => {
    const unknown = [...new Set(ids)].filter((id) => !known.has(id));
    if (unknown.length) {
      bugTypes ??= client
        .get<{ workItemTypes?: { name: string }[] }>(`${project}/_apis/wit/workitemtypecategories/Microsoft.BugCategory`, { signal })
        .then((c) => new Set((c.workItemTypes ?? []).map((t) => t.name.toLowerCase())));
      const types = await bugTypes;
      for (const id of unknown) known.set(id, false);
      for (const wi of await getWorkItemsBatch(client, unknown, { fields: ["System.WorkItemType"], signal }))
        known.set(wi.id, types.has(String(wi.fields["System.WorkItemType"] ?? "").toLowerCase()));
    }
    return (id) => known.get(id) === true;
  };
}

async function pushRun(
  deps: AppDeps,
  client: AdoClient,
  run: RunRow,
  ctx: { signal: AbortSignal; progress: (d: number, t: number, m: string) => Promise<void> },
) {
  const project = encodeURIComponent(run.projectId);
  // Links a stopped upload left unwritten are written first: the pushed results carry their work items.
  await writePendingLinks(deps.database, { runId: run.id });
  // Creating calls are not retried blindly: a POST whose answer was lost may have been applied. The run
  // carries this marker in its comment so a later push finds it instead of creating a second one.
  const marker = `[TestOps run ${run.id}]`;
  let adoRunId = run.adoRunId;
  let found: AdoRun | undefined;
  if (adoRunId === null && run.adoCreateSentAt) found = await findRunByMarker(client, project, marker, ctx.signal);
  if (found) {
    adoRunId = found.id;
    await updateRunAdo(deps, run.orgId, run.id, { adoRunId, adoRunUrl: found.webAccessUrl ?? found.url ?? null });
  }
  const resumed = adoRunId !== null;
  if (adoRunId === null) {
    await updateRunAdo(deps, run.orgId, run.id, { adoCreateSentAt: new Date() });
    const comment = `Imported by TestOps from ${run.fileName ?? "a JUnit XML report"} (${run.source})`.slice(0, 1000 - marker.length - 1);
    const created = await client.post<AdoRun>(
      `${project}/_apis/test/runs`,
      {
        name: run.name,
        automated: true,
        state: "InProgress",
        // RunCreateModel names it startDate (the run reads back startedDate); ADO ignores unknown members.
        ...(run.startedAt ? { startDate: run.startedAt.toISOString() } : {}),
        comment: `${comment} ${marker}`,
      },
      { signal: ctx.signal },
    );
    adoRunId = created.id;
    await updateRunAdo(deps, run.orgId, run.id, { adoRunId, adoRunUrl: created.webAccessUrl ?? created.url ?? null });
  }
  // A results POST whose answer was lost may have been applied too: adopt what the run already holds.
  if (resumed) await adoptAppliedResults(deps, client, run, project, adoRunId, ctx.signal);
  const testCaseOf = new Map((await liveLinkedResults(deps, client, run, ctx.signal)).map((l) => [l.resultId, l.adoTestCaseId]));
  const total = run.total;
  let done = total - (await countUnpushed(deps, run.orgId, run.id));
  await ctx.progress(done, total, `Created test run ${adoRunId}`);
  const isBug = await bugsOf(client, project, ctx.signal);
  for (;;) {
    const batch = await unpushedResults(deps, run.orgId, run.id, PUSH_BATCH);
    if (!batch.length) break;
    const bugs = await isBug(batch.flatMap((b) => b.workItemIds));
    const res = await client.post<{ value?: { id: number }[] }>(
      `${project}/_apis/test/Runs/${adoRunId}/results`,
      batch.map((b) => toAdoResult(b.row, b.workItemIds.filter(bugs), run, testCaseOf.get(b.row.id))),
      { signal: ctx.signal },
    );
    const ids = res.value ?? [];
    if (ids.length !== batch.length) throw new Error(`Azure DevOps stored ${ids.length} of ${batch.length} results; push again to resume`);
    await recordAdoResultIds(
      deps,
      batch.map((b, i) => ({ id: b.row.id, adoResultId: ids[i].id })),
    );
    done += batch.length;
    await ctx.progress(done, total, `Pushed ${done} of ${total} results`);
  }
  await client.patch(
    `${project}/_apis/test/runs/${adoRunId}`,
    { state: "Completed", ...(run.finishedAt ? { completedDate: run.finishedAt.toISOString() } : {}) },
    { signal: ctx.signal },
  );
  return { adoRunId, results: total };
}

/** The ADO run an earlier attempt created (its comment carries `marker`), if any. */
async function findRunByMarker(client: AdoClient, project: string, marker: string, signal: AbortSignal): Promise<AdoRun | undefined> {
  const PAGE = 100;
  for (let skip = 0; ; skip += PAGE) {
    const page = await client.get<{ value?: (AdoRun & { comment?: string })[] }>(`${project}/_apis/test/runs`, {
      query: { automated: true, includeRunDetails: true, $top: PAGE, $skip: skip },
      signal,
    });
    const runs = page.value ?? [];
    const hit = runs.find((r) => r.comment?.includes(marker));
    if (hit) return hit;
    if (runs.length < PAGE) return undefined;
  }
}

/**
 * Results are added in our order (seq) and ADO numbers them in that order: when the run holds more
 * results than we recorded, the extra ones are the next unpushed rows, whose ids we record instead of
 * sending them again.
 */
async function adoptAppliedResults(deps: AppDeps, client: AdoClient, run: RunRow, project: string, adoRunId: number, signal: AbortSignal) {
  const remote = await client.get<{ totalTests?: number }>(`${project}/_apis/test/runs/${adoRunId}`, { signal });
  const recorded = run.total - (await countUnpushed(deps, run.orgId, run.id));
  const extra = Math.min((remote.totalTests ?? 0) - recorded, run.total - recorded);
  if (extra <= 0) return;
  const res = await client.get<{ value?: { id: number }[] }>(`${project}/_apis/test/Runs/${adoRunId}/results`, {
    query: { $skip: recorded, $top: extra },
    signal,
  });
  const ids = res.value ?? [];
  const rows = await unpushedResults(deps, run.orgId, run.id, ids.length);
  await recordAdoResultIds(
    deps,
    rows.map((r, i) => ({ id: r.row.id, adoResultId: ids[i].id })),
  );
}

export function registerResultsJobs(deps: AppDeps): void {
  deps.jobs.register<{ runId: string }>(PUSH_JOB, async ({ orgId, payload, signal, progress }) => {
    const run = await findRun(deps, orgId, payload.runId);
    if (run.adoStatus === "pushed") return { adoRunId: run.adoRunId, results: run.total, alreadyPushed: true };
    const connection = await getActiveConnection(deps, orgId);
    const fail = async (reason: string) => {
      await updateRunAdo(deps, orgId, run.id, { adoStatus: "failed", adoError: reason });
      return new Error(reason);
    };
    if (!connection) throw await fail("This organization has no active Azure DevOps connection: connect the organization first");
    await updateRunAdo(deps, orgId, run.id, { adoStatus: "pushing", adoError: null });
    try {
      const client = await adoClientFor(deps, orgId);
      const out = await pushRun(deps, client, run, { signal, progress });
      // Traceability (issue 17): linked Test Cases' test points get the outcomes too (their own run per plan).
      const testPoints = await pushToTestPoints(deps, client, run, signal);
      await updateRunAdo(deps, orgId, run.id, { adoStatus: "pushed", adoError: null, adoPushedAt: new Date() });
      return { ...out, testPoints };
    } catch (e) {
      if (signal.aborted || e instanceof JobCancelled) {
        await updateRunAdo(deps, orgId, run.id, { adoStatus: "failed", adoError: "Cancelled; push again to resume" });
        throw e;
      }
      // The shared client already reports bad credentials; this keeps it true for any client.
      await reportAdoFailure(deps, connection.id, e);
      throw await fail(pushFailureReason(e));
    }
  });
}

/** Queues a push (one at a time per run). 409 when there is no active connection or it is already pushed. */
export async function enqueuePush(deps: AppDeps, orgId: string, runId: string, userId: string) {
  const run = await findRun(deps, orgId, runId);
  if (run.adoStatus === "pushed")
    throw new ApiError(409, "already_pushed", `This run is already in Azure Test Plans (test run ${run.adoRunId})`);
  if (!(await getActiveConnection(deps, orgId)))
    throw new ApiError(
      409,
      "no_connection",
      "This organization has no active Azure DevOps connection: connect the organization first (Organization settings → TestOps)",
    );
  // Queued before the job exists: an in-process runner may start (and finish) it right away.
  await markQueued(deps, orgId, runId);
  const job = await deps.jobs.enqueue(
    orgId,
    PUSH_JOB,
    { runId },
    { resourceKey: runResourceKey(runId), createdBy: userId, singleton: true },
  );
  await updateRunAdo(deps, orgId, runId, { adoJobId: job.id });
  return { job, run: toRunDto(await findRun(deps, orgId, runId)) };
}
