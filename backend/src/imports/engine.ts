// "Import pipeline test runs": reads the project's automated test runs from Azure Test Plans by last
// update (QueryTestRuns, 7-day windows, continuation pages), and stores each completed run once with
// its results, its build and the build's work items. Runs TestOps pushed itself are never imported.
// The cursor and the window's continuation token are stored after every page, so a killed import
// resumes where it stopped; the unique (project, imported run) index keeps replays from duplicating.
import { and, eq, inArray, isNotNull } from "drizzle-orm";
import type { AdoClient } from "../ado/client";
import { isAdoError } from "../ado/errors";
import { adoClientFor, getActiveConnection, reportAdoFailure } from "../connections/service";
import type { AppDeps } from "../context";
import { resultsImports, testRuns } from "../db/schema";
import { JobCancelled } from "../jobs";
import { userFacingError } from "../jobs/transient";
import { isUniqueViolation } from "../lib/pgErrors";
import { scrubSecrets } from "../lib/scrub";
import { IMPORT_JOB } from "../schemas/imports";
import type { BuildInfo } from "../schemas/results";
import { saveRun } from "../results/store";
import { nextWindow, skipReason, toReport, type AdoTestResult, type AdoTestRun } from "./mapping";
import { findImport, importResourceKey } from "./store";

/** QueryTestRuns: "$top … Limit is 100". */
const PAGE = 100;
/** Results list page (1,000 without details). */
const RESULTS_PAGE = 1000;
/** Runs updated in the last minutes may still be changing (and clocks differ): read them next time. */
const SETTLE_MS = 2 * 60_000;

interface ImportOutcome {
  imported: number;
  skipped: number;
  pages: number;
}

async function readResults(client: AdoClient, project: string, runId: number, signal: AbortSignal): Promise<AdoTestResult[]> {
  const out: AdoTestResult[] = [];
  for (let skip = 0; ; skip += RESULTS_PAGE) {
    const page = await client.get<{ value?: AdoTestResult[] }>(`${project}/_apis/test/Runs/${runId}/results`, {
      query: { $top: RESULTS_PAGE, $skip: skip },
      signal,
    });
    out.push(...(page.value ?? []));
    if ((page.value ?? []).length < RESULTS_PAGE) return out;
  }
}

async function readBuild(
  client: AdoClient,
  orgUrl: string,
  project: { id: string; name: string },
  run: AdoTestRun,
  signal: AbortSignal,
): Promise<{ build: BuildInfo | null; workItemIds: number[] }> {
  const id = Number(run.build?.id);
  if (!Number.isInteger(id) || id < 1) return { build: null, workItemIds: [] };
  const url = `${orgUrl}/${encodeURIComponent(project.name)}/_build/results?buildId=${id}`;
  const p = encodeURIComponent(project.id);
  try {
    const b = await client.get<{
      buildNumber?: string;
      definition?: { id?: number; name?: string };
      sourceBranch?: string;
      sourceVersion?: string;
    }>(`${p}/_apis/build/builds/${id}`, { signal });
    const items = await client.get<{ value?: { id: string | number }[] }>(`${p}/_apis/build/builds/${id}/workitems`, {
      query: { $top: 200 },
      signal,
    });
    return {
      build: {
        id,
        number: b.buildNumber?.slice(0, 256) ?? run.build?.name ?? null,
        pipelineId: typeof b.definition?.id === "number" ? b.definition.id : null,
        pipeline: b.definition?.name?.slice(0, 256) ?? null,
        branch: b.sourceBranch?.slice(0, 1000) ?? null,
        commit: b.sourceVersion?.slice(0, 100) ?? null,
        url,
      },
      workItemIds: [...new Set((items.value ?? []).map((w) => Number(w.id)).filter((n) => Number.isInteger(n) && n > 0))],
    };
  } catch (e) {
    // A deleted build (retention) leaves the run: keep what the run says about it.
    if (!isAdoError(e, "not_found")) throw e;
    return {
      build: { id, number: run.build?.name?.slice(0, 256) ?? null, pipelineId: null, pipeline: null, branch: null, commit: null, url },
      workItemIds: [],
    };
  }
}

async function knownRuns(deps: AppDeps, orgId: string, projectId: string, adoIds: number[]) {
  if (!adoIds.length) return { imported: new Set<number>(), pushed: new Set<number>() };
  const db = deps.database.db;
  const base = and(eq(testRuns.orgId, orgId), eq(testRuns.projectId, projectId));
  const [imported, pushed] = await Promise.all([
    db
      .select({ id: testRuns.importedAdoRunId })
      .from(testRuns)
      .where(and(base, inArray(testRuns.importedAdoRunId, adoIds))),
    db
      .select({ id: testRuns.adoRunId })
      .from(testRuns)
      .where(and(base, isNotNull(testRuns.adoRunId), inArray(testRuns.adoRunId, adoIds))),
  ]);
  return { imported: new Set(imported.map((r) => r.id!)), pushed: new Set(pushed.map((r) => r.id!)) };
}

export async function runImport(
  deps: AppDeps,
  client: AdoClient,
  orgId: string,
  projectId: string,
  ctx: { signal: AbortSignal; progress: (d: number, t: number | null, m: string) => Promise<void>; now?: Date },
): Promise<ImportOutcome> {
  const out: ImportOutcome = { imported: 0, skipped: 0, pages: 0 };
  const db = deps.database.db;
  const horizon = new Date((ctx.now ?? new Date()).getTime() - SETTLE_MS);
  const [org] = await deps.database.query<{ url: string }>(`SELECT url FROM organizations WHERE id = $1`, [orgId]);
  for (;;) {
    if (ctx.signal.aborted) throw new JobCancelled();
    const row = await findImport(deps, orgId, projectId);
    if (!row || !row.enabled) return out;
    const project = { id: row.projectId, name: row.projectName };
    const window = row.windowEnd ? { from: row.cursorAt, to: row.windowEnd } : nextWindow(row.cursorAt, horizon);
    if (!window) return out;
    const res = await client.readWith(
      "GET",
      `${encodeURIComponent(project.id)}/_apis/test/runs`,
      {
        query: {
          minLastUpdatedDate: window.from.toISOString(),
          maxLastUpdatedDate: window.to.toISOString(),
          isAutomated: true,
          $top: PAGE,
          continuationToken: row.continuation ?? undefined,
        },
        signal: ctx.signal,
      },
      async (r) => ({ body: (await r.json()) as { value?: AdoTestRun[] }, next: r.headers.get("x-ms-continuationtoken") }),
    );
    out.pages++;
    const runs = res.body.value ?? [];
    const known = await knownRuns(
      deps,
      orgId,
      project.id,
      runs.map((r) => r.id),
    );
    for (const run of runs) {
      if (ctx.signal.aborted) throw new JobCancelled();
      if (skipReason(run, known)) {
        out.skipped++;
        continue;
      }
      const p = encodeURIComponent(project.id);
      const results = await readResults(client, p, run.id, ctx.signal);
      const { build, workItemIds } = await readBuild(client, org.url, project, run, ctx.signal);
      const report = toReport(run, results);
      try {
        await saveRun(deps, {
          orgId,
          project,
          name: (run.name ?? `Test run ${run.id}`).slice(0, 256),
          source: "Azure Test Plans",
          fileName: null,
          createdBy: "system",
          report,
          workItemIds,
          workItemSource: "build",
          // Work items Azure DevOps associates with a result are linked to that result.
          allowedPropertyIds: new Set(report.cases.flatMap((c) => c.workItemIds)),
          caseWorkItemSource: "import",
          origin: "import",
          build,
          importedAdoRunId: run.id,
          alreadyInAdo: {
            runId: run.id,
            url: `${org.url}/${encodeURIComponent(project.name)}/_TestManagement/Runs?runId=${run.id}&_a=runCharts`,
          },
        });
        out.imported++;
      } catch (e) {
        // Another import of this project stored it first (unique test_runs_imported).
        if (!isUniqueViolation(e)) throw e;
        out.skipped++;
      }
      known.imported.add(run.id);
    }
    const done = !res.next;
    await db
      .update(resultsImports)
      .set(
        done
          ? { cursorAt: window.to, windowEnd: null, continuation: null }
          : { windowEnd: window.to, continuation: res.next!.slice(0, 4000) },
      )
      .where(and(eq(resultsImports.orgId, orgId), eq(resultsImports.projectId, projectId)));
    await ctx.progress(out.imported, null, `Imported ${out.imported} runs (read up to ${(done ? window.to : window.from).toISOString()})`);
  }
}

export function registerImportJobs(deps: AppDeps): void {
  deps.jobs.register<{ projectId: string }>(IMPORT_JOB, async ({ orgId, payload, signal, progress, willRetry }) => {
    const db = deps.database.db;
    const where = and(eq(resultsImports.orgId, orgId), eq(resultsImports.projectId, payload.projectId));
    const connection = await getActiveConnection(deps, orgId);
    if (!connection) {
      const reason = "This organization has no active Azure DevOps connection: connect the organization first";
      await db.update(resultsImports).set({ lastError: reason }).where(where);
      throw new Error(reason);
    }
    try {
      const client = await adoClientFor(deps, orgId);
      const out = await runImport(deps, client, orgId, payload.projectId, { signal, progress });
      const [row] = await db.select().from(resultsImports).where(where);
      if (row)
        await db
          .update(resultsImports)
          .set({
            lastImportAt: new Date(),
            lastError: null,
            importedRuns: row.importedRuns + out.imported,
            skippedRuns: row.skippedRuns + out.skipped,
          })
          .where(where);
      return { ...out };
    } catch (e) {
      if (signal.aborted || e instanceof JobCancelled) throw e;
      await reportAdoFailure(deps, connection.id, e);
      if (!willRetry(e))
        await db
          .update(resultsImports)
          .set({ lastError: scrubSecrets(importFailure(e)) })
          .where(where);
      throw e;
    }
  });
}

function importFailure(e: unknown): string {
  if (isAdoError(e, "bad_credentials"))
    return "Azure DevOps rejected the connection's PAT (expired or revoked); an organization administrator must update the connection";
  if (isAdoError(e, "missing_scope")) return "The connection's PAT lacks the Test Management (Read) scope needed to read test runs";
  if (isAdoError(e)) return `Azure DevOps could not answer: ${e.message}`;
  return userFacingError(e);
}

/** Queues an import of the project (one at a time; an import while one runs gets one follow-up). */
export function enqueueImport(deps: AppDeps, orgId: string, projectId: string, createdBy: string, followUp = true) {
  return deps.jobs.enqueue(
    orgId,
    IMPORT_JOB,
    { projectId },
    { resourceKey: importResourceKey(projectId), createdBy, singleton: true, followUp },
  );
}

/**
 * Imports are pulled, not pushed: every live import is queued at start (catch-up) and every
 * SYNC_INTERVAL_MINUTES, like the Boards/Repos safety net. A running import is good enough (no follow-up).
 */
export function startImportTimer(deps: AppDeps): () => void {
  const run = async (reason: string) => {
    try {
      const rows = await (await import("./store")).enabledImports(deps);
      for (const r of rows) if (await getActiveConnection(deps, r.orgId)) await enqueueImport(deps, r.orgId, r.projectId, "system", false);
      if (rows.length) deps.log.info("pipeline test run imports queued", { reason, projects: rows.length });
    } catch (e) {
      deps.log.warn("pipeline test run imports could not be queued", { reason, err: e });
    }
  };
  void run("catch-up");
  const minutes = deps.config.syncIntervalMinutes;
  if (minutes <= 0) return () => undefined;
  const timer = setInterval(() => void run("periodic"), minutes * 60_000);
  timer.unref?.();
  return () => clearInterval(timer);
}
