// Storage of test runs, their results and the results' links to Azure DevOps work items. Every query
// is scoped by org_id (tenancy).
import { randomUUID } from "node:crypto";
import { and, asc, count, desc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { AppDeps } from "../context";
import type { Db } from "../db/client";
import { testResultLinks, testResults, testRuns, type ResultLinkSource, type RunOrigin } from "../db/schema";
import { runSoon, startSweep, whenIdle } from "../lib/background";
import { ApiError, fieldError } from "../lib/errors";
import type { Logger } from "../log";
import type { BuildInfo, Outcome, Result, Run } from "../schemas/results";
import { deferSummaries, summarizeSoon } from "../widgets/summaries";
import { deferLinks, rowCount, rowsOf, writePendingLinks, writeResultLinks, type LinkSpec, type RunLinks } from "./links";
import type { ParsedCase, ParsedReport, ReportSummary } from "./junit";
import { visibleResult } from "./visible";

export type RunRow = typeof testRuns.$inferSelect;
export type ResultRow = typeof testResults.$inferSelect;

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const INSERT_BATCH = 500;

export function toRunDto(r: RunRow): Run {
  return {
    id: r.id,
    origin: r.origin,
    build:
      r.buildId === null
        ? null
        : {
            id: r.buildId,
            number: r.buildNumber,
            pipelineId: r.pipelineId,
            pipeline: r.pipelineName,
            branch: r.buildBranch,
            commit: r.buildCommit,
            url: r.buildUrl,
          },
    uploadKey: r.uploadKeyId ? { id: r.uploadKeyId, name: r.uploadKeyName ?? "" } : null,
    importedAdoRunId: r.importedAdoRunId,
    projectId: r.projectId,
    projectName: r.projectName,
    name: r.name,
    source: r.source,
    fileName: r.fileName,
    files: r.files,
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
  /** What the run-wide links are recorded as: given with the upload, the build's, or the imported results'. */
  workItemSource?: ResultLinkSource;
  /** Work item ids named by workitem properties that may be linked (exist and are readable). */
  allowedPropertyIds: Set<number>;
  /** What a case's own work items are recorded as (default: a workitem property of the report). */
  caseWorkItemSource?: ResultLinkSource;
  origin?: RunOrigin;
  build?: BuildInfo | null;
  uploadKey?: { id: string; name: string } | null;
  importedAdoRunId?: number | null;
  /** The run is already in Azure Test Plans (imported from there): it shows as pushed, and is never pushed again. */
  alreadyInAdo?: { runId: number; url: string } | null;
}

/** How a run arrived and what it belongs to (pipeline build, upload key, imported Azure Test Plans run). */
export type RunExtras = Pick<
  NewRun,
  "origin" | "build" | "uploadKey" | "importedAdoRunId" | "alreadyInAdo" | "workItemSource" | "caseWorkItemSource"
>;

/** Results `cases` at positions start… of a run, in one statement (no ORM builder per row). */
async function insertResultRows(
  db: Pick<Db, "execute">,
  r: { orgId: string; runId: string; projectId: string },
  start: number,
  cases: ParsedCase[],
  claim: string | null = null,
): Promise<void> {
  const rows = cases.map((c, i) => ({
    s: start + i,
    su: c.suite,
    c: c.className,
    p: c.path,
    n: c.name,
    f: c.fullName,
    o: c.outcome,
    d: c.durationMs,
    m: c.message,
    st: c.stack,
  }));
  const inserted = await db.execute(sql`
    INSERT INTO test_results (org_id, run_id, project_id, seq, suite, class_name, path, name, full_name, outcome, duration_ms, message, stack)
    SELECT ${r.orgId}, ${r.runId}::uuid, ${r.projectId}, x.s, x.su, x.c, x.p, x.n, x.f, x.o, x.d, x.m, x.st
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(s integer, su text, c text, p text, n text, f text, o text, d bigint, m text, st text)
     ${claim === null ? sql`` : sql`WHERE EXISTS (SELECT 1 FROM test_runs WHERE id = ${r.runId}::uuid AND appending_by = ${claim}::uuid)`}`);
  // An appending writer that lost the run (taken over after it made no progress for minutes) writes nothing more.
  if (claim !== null && rowCount(inserted) === 0) throw lostRun();
}

const lostRun = () =>
  new ApiError(409, "conflict", "This file took too long to add and the run was taken over by another upload; upload the file again");

/**
 * Writes a run's pending links (deferLinks) before the upload answers. A failure leaves them to the
 * background sweep: the results are stored and visible, and answering 5xx would make the caller upload again.
 */
async function linkNow(deps: AppDeps, runId: string, links: RunLinks): Promise<void> {
  if (links.first === null) return;
  try {
    await writePendingLinks(deps.database, { runId });
  } catch (e) {
    deps.log.warn("could not write all of a run's links yet; they are written in the background", { err: e, runId });
  }
}

export interface SavedRun {
  run: RunRow;
  linkedResults: number;
  linkedWorkItems: number[];
}

/** Stores a parsed report as one run (written in chunks, visible only once complete: all of it or nothing). */
export async function saveRun(deps: AppDeps, n: NewRun): Promise<SavedRun> {
  const writer = await RunWriter.begin(deps, { ...n, workItemIds: n.workItemIds });
  try {
    for (let start = 0; start < n.report.cases.length; start += INSERT_BATCH)
      await writer.append(start, n.report.cases.slice(start, start + INSERT_BATCH));
    const propertyIds = new Set(n.report.cases.flatMap((c) => c.workItemIds));
    return await writer.finish(n.report, { name: n.name, source: n.source, allowedPropertyIds: n.allowedPropertyIds, propertyIds });
  } catch (e) {
    await writer.discard();
    throw e;
  }
}

/** Uploads left incomplete this long ago were abandoned (the process stopped half-way). */
const ABANDONED_MS = 60 * 60 * 1000;
/** A file being appended whose writer recorded no progress for this long was abandoned: its run may be taken over. */
export const APPEND_STALE_MS = 5 * 60 * 1000;
/** How often an appending writer records that it is alive (well within APPEND_STALE_MS). */
const APPEND_HEARTBEAT_MS = 10_000;
/** How long a file waits for another file of the same run to be finished before the upload is refused (409). */
export const APPEND_WAIT_MS = 2 * 60 * 1000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Where the file that writer `by` appends to the run starts, if `by` still holds the run (which this locks). */
async function holdOf(tx: Pick<Db, "execute">, runId: string, by: string): Promise<{ from: number } | undefined> {
  const [held] = rowsOf<{ from: number }>(
    await tx.execute(
      sql`SELECT appending_from AS "from" FROM test_runs WHERE id = ${runId}::uuid AND appending_by = ${by}::uuid FOR UPDATE`,
    ),
  );
  return held;
}

/** The run takes a further file again (its results are all visible). */
async function clearHold(tx: Pick<Db, "execute">, runId: string): Promise<void> {
  await tx.execute(sql`UPDATE test_runs SET appending_from = NULL, appending_by = NULL, appending_at = NULL WHERE id = ${runId}::uuid`);
}

/**
 * Deletes what the appending writer `by` wrote and releases the run, in one transaction; nothing if `by` no
 * longer holds the run (it was taken over). Returns whether it did.
 */
async function dropAppend(db: Db, runId: string, by: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const held = await holdOf(tx, runId, by);
    if (!held) return false;
    await tx.execute(sql`DELETE FROM test_results WHERE run_id = ${runId}::uuid AND seq >= ${held.from}::int`);
    await clearHold(tx, runId);
    return true;
  });
}

/**
 * Deletes what appending writers that stopped left (hidden results) and releases their runs: those silent
 * since `before` (default: for APPEND_STALE_MS), of every run or of one.
 */
export async function dropAbandonedAppends(database: AppDeps["database"], o: { runId?: string; before?: Date } = {}): Promise<number> {
  const stale = await database.query<{ id: string; by: string }>(
    `SELECT id, appending_by AS by FROM test_runs
      WHERE appending_from IS NOT NULL AND appending_at < $1 AND ($2::uuid IS NULL OR id = $2::uuid)`,
    [o.before ?? new Date(Date.now() - APPEND_STALE_MS), o.runId ?? null],
  );
  let n = 0;
  for (const r of stale) if (await dropAppend(database.db, r.id, r.by)) n++;
  return n;
}

const DROP_APPENDS = "drop the results of abandoned appended files";

/**
 * Looks every `everyMs` (a minute by default) for files whose writer stopped appending them (one index probe)
 * and deletes what they wrote: without it a run that gets no further file nor push would keep them (hidden).
 */
export function startAppendSweep(database: AppDeps["database"], log: Logger, everyMs = 60_000): () => void {
  return startSweep(
    DROP_APPENDS,
    async () =>
      (
        await database.query(`SELECT 1 FROM test_runs WHERE appending_from IS NOT NULL AND appending_at < $1 LIMIT 1`, [
          new Date(Date.now() - APPEND_STALE_MS),
        ])
      ).length > 0,
    () => runSoon(DROP_APPENDS, database, async (d) => void (await dropAbandonedAppends(d)), log),
    log,
    everyMs,
  );
}

/** Resolves when this process is not deleting an abandoned file's results (closing the backend; tests). */
export const appendSweepIdle = (database: AppDeps["database"]): Promise<void> => whenIdle(DROP_APPENDS, database);

/**
 * Writes one run's results in chunks, each a single statement of its own (the embedded database serves
 * other requests between them), and makes them visible all at once in `finish`; `discard` deletes them.
 * A new run (`begin`) stays hidden (`complete = false`) until then. A further file of a visible run
 * (`beginAppend`) is written after the run's results, which readers see only up to `appending_from`
 * (results/visible.ts); the run's totals move in `finish`. Links and summaries are written after that.
 */
export class RunWriter {
  private constructor(
    private readonly deps: AppDeps,
    readonly id: string,
    private readonly orgId: string,
    private readonly projectId: string,
    private readonly uploadIds: number[],
    private readonly uploadSource: ResultLinkSource,
    private readonly caseSource: ResultLinkSource,
    /** A file appended to a stored run: its first position in the run and this writer's hold on the run. */
    private readonly appending: { first: number; by: string } | null = null,
  ) {}

  static async begin(
    deps: AppDeps,
    n: {
      orgId: string;
      project: { id: string; name: string };
      fileName: string | null;
      createdBy: string;
      workItemIds: number[];
    } & RunExtras,
  ): Promise<RunWriter> {
    const b = n.build ?? null;
    const db = deps.database;
    await db.query(`DELETE FROM test_runs WHERE NOT complete AND created_at < $1`, [new Date(Date.now() - ABANDONED_MS)]);
    const id = randomUUID();
    await db.db.insert(testRuns).values({
      id,
      orgId: n.orgId,
      projectId: n.project.id,
      projectName: n.project.name,
      name: "(uploading)",
      source: "JUnit",
      fileName: n.fileName,
      total: 0,
      passed: 0,
      failed: 0,
      errors: 0,
      skipped: 0,
      createdBy: n.createdBy,
      complete: false,
      origin: n.origin ?? "upload",
      ...(b
        ? {
            buildId: b.id,
            buildNumber: b.number,
            pipelineId: b.pipelineId,
            pipelineName: b.pipeline,
            buildBranch: b.branch,
            buildCommit: b.commit,
            buildUrl: b.url,
          }
        : {}),
      uploadKeyId: n.uploadKey?.id ?? null,
      uploadKeyName: n.uploadKey?.name ?? null,
      importedAdoRunId: n.importedAdoRunId ?? null,
      ...(n.alreadyInAdo
        ? { adoStatus: "pushed" as const, adoRunId: n.alreadyInAdo.runId, adoRunUrl: n.alreadyInAdo.url, adoPushedAt: new Date() }
        : {}),
    });
    return new RunWriter(deps, id, n.orgId, n.project.id, n.workItemIds, n.workItemSource ?? "upload", n.caseWorkItemSource ?? "property");
  }

  /**
   * Holds a stored run for one further file (a pipeline's next TEST-*.xml): one file at a time per run, so
   * this waits (up to APPEND_WAIT_MS, then 409) while another is being written; a writer silent for
   * APPEND_STALE_MS is taken over (its results deleted). Refused once the run is pushed or being pushed.
   */
  static async beginAppend(
    deps: AppDeps,
    runId: string,
    n: { orgId: string; project: { id: string; name: string }; workItemIds: number[] } & Pick<
      RunExtras,
      "workItemSource" | "caseWorkItemSource"
    >,
  ): Promise<RunWriter> {
    const db = deps.database;
    const by = randomUUID();
    const until = Date.now() + APPEND_WAIT_MS;
    for (;;) {
      // One conditional statement: a push being queued at the same moment (markQueued) or another file excludes this.
      const [held] = await db.query<{ first: number }>(
        `UPDATE test_runs SET appending_from = COALESCE((SELECT max(seq) + 1 FROM test_results WHERE run_id = $1), 0),
                appending_by = $3, appending_at = $4
          WHERE id = $1 AND org_id = $2 AND complete AND ado_status = 'none' AND appending_from IS NULL
          RETURNING appending_from AS first`,
        [runId, n.orgId, by, new Date()],
      );
      if (held) {
        deps.log.info("adding a file to a test run", { runId, from: Number(held.first) });
        return new RunWriter(
          deps,
          runId,
          n.orgId,
          n.project.id,
          n.workItemIds,
          n.workItemSource ?? "upload",
          n.caseWorkItemSource ?? "property",
          { first: Number(held.first), by },
        );
      }
      const [run] = await db.query<{ ado_status: string; appending_at: Date | string | null }>(
        `SELECT ado_status, appending_at FROM test_runs WHERE id = $1 AND org_id = $2 AND complete`,
        [runId, n.orgId],
      );
      if (!run) throw new ApiError(404, "not_found", "No such test run in this organization");
      if (run.ado_status !== "none")
        throw fieldError("runId", "is already pushed (or being pushed) to Azure Test Plans: upload to a new run");
      // Held by a writer silent for minutes: it stopped; what it wrote is deleted and the run taken.
      if (run.appending_at && new Date(run.appending_at).getTime() < Date.now() - APPEND_STALE_MS) {
        await dropAbandonedAppends(db, { runId });
        continue;
      }
      if (Date.now() > until)
        throw new ApiError(409, "conflict", "Another file is still being added to this run; upload this one again when it is finished");
      await sleep(100);
    }
  }

  /** Work item links named by the cases (position in the file, work item), written by `finish`. */
  private caseLinks: { s: number; w: number }[] = [];
  /** Suite-level work items learnt after results [from, to) of the file were written. */
  private rangeLinks: { from: number; to: number; ids: number[] }[] = [];
  private beatAt = Date.now();

  /** Results `cases` at positions start… of the file, in one statement (their links wait for `finish`). */
  async append(start: number, cases: ParsedCase[]): Promise<void> {
    if (!cases.length) return;
    cases.forEach((c, i) => new Set(c.workItemIds).forEach((w) => this.caseLinks.push({ s: start + i, w })));
    const at = this.appending;
    await insertResultRows(
      this.deps.database.db,
      { orgId: this.orgId, runId: this.id, projectId: this.projectId },
      (at?.first ?? 0) + start,
      cases,
      at?.by ?? null,
    );
    if (at && Date.now() - this.beatAt > APPEND_HEARTBEAT_MS) {
      this.beatAt = Date.now();
      await this.deps.database.query(`UPDATE test_runs SET appending_at = $3 WHERE id = $1 AND appending_by = $2`, [
        this.id,
        at.by,
        new Date(),
      ]);
    }
  }

  /** Suite-level work items learnt after results [fromSeq, toSeq) of the file were written. */
  async linkRange(fromSeq: number, toSeq: number, workItemIds: number[]): Promise<void> {
    if (!workItemIds.length || toSeq <= fromSeq) return;
    this.rangeLinks.push({ from: fromSeq, to: toSeq, ids: [...new Set(workItemIds)] });
  }

  /** What is to be linked, in positions of the run (only to work items in `allowed` for those the report named). */
  private linkSpec(total: number, allowedPropertyIds: Set<number>): LinkSpec {
    const base = this.appending?.first ?? 0;
    const allowed = (w: number) => allowedPropertyIds.has(w) || this.uploadIds.includes(w);
    const bySeq = new Map<number, number[]>();
    for (const l of this.caseLinks) if (allowed(l.w)) bySeq.set(base + l.s, [...(bySeq.get(base + l.s) ?? []), l.w]);
    return {
      start: base,
      end: base + total,
      upload: [...new Set(this.uploadIds)],
      uploadSource: this.uploadSource,
      caseSource: this.caseSource,
      cases: [...bySeq].sort((a, b) => a[0] - b[0]),
      ranges: this.rangeLinks
        .map((r) => ({ from: base + r.from, to: base + r.to, ids: r.ids.filter(allowed) }))
        .filter((r) => r.ids.length),
    };
  }

  /**
   * Records the totals and what is to be linked and makes the results visible, in one short transaction;
   * then writes the links a page per transaction (writePendingLinks), before answering. Summaries only
   * count the links once written, and a process stopped half-way leaves the rest in test_runs.link_spec for
   * another writer (linkSoon, startLinkSweep). A new run gets its name and source; a file appended to a run
   * adds its totals and widens the run's time span.
   */
  async finish(
    report: ReportSummary,
    o: { name: string; source: string; allowedPropertyIds: Set<number>; propertyIds: Set<number> },
  ): Promise<SavedRun> {
    const spec = this.linkSpec(report.totals.total, o.allowedPropertyIds);
    const appending = this.appending;
    const { run, links } = await this.deps.database.db.transaction(async (tx) => {
      // A file appended adds to the run's totals as they are now: read once its writer's hold is checked (and locked).
      let before: RunRow | undefined;
      if (appending) {
        if (!(await holdOf(tx, this.id, appending.by))) throw lostRun();
        [before] = await tx
          .select()
          .from(testRuns)
          .where(and(eq(testRuns.orgId, this.orgId), eq(testRuns.id, this.id)));
      }
      const links = await deferLinks(tx, this.id, spec);
      // The dashboard widgets' summaries (per run × path, per project × test) are written after the results are
      // visible, in pages, in the background (migration 0090): marked pending here, in the same transaction.
      await deferSummaries(tx, this.id, spec.start);
      const set = before ? appendedTotals(before, report) : newRunTotals(report, o);
      const [run] = await tx
        .update(testRuns)
        .set({ ...set, complete: true })
        .where(and(eq(testRuns.orgId, this.orgId), eq(testRuns.id, this.id)))
        .returning();
      if (appending) await clearHold(tx, this.id);
      return { run, links };
    });
    summarizeSoon(this.deps.database, this.deps.log);
    await linkNow(this.deps, this.id, links);
    return { run, linkedResults: links.results, linkedWorkItems: links.workItems };
  }

  /** Deletes what was written (a refused or failed upload stores nothing; a run appended to is left as it was). */
  async discard(): Promise<void> {
    if (this.appending) await dropAppend(this.deps.database.db, this.id, this.appending.by);
    else await this.deps.database.query(`DELETE FROM test_runs WHERE id = $1 AND NOT complete`, [this.id]);
  }
}

/** A new run's name, source, totals and time span. */
function newRunTotals(report: ReportSummary, o: { name: string; source: string }): Partial<RunRow> {
  return {
    name: o.name,
    source: o.source,
    startedAt: report.startedAt,
    finishedAt: report.startedAt && report.durationMs !== null ? new Date(report.startedAt.getTime() + report.durationMs) : null,
    durationMs: report.durationMs,
    suites: report.stats.suites,
    total: report.totals.total,
    passed: report.totals.passed,
    failed: report.totals.failed,
    errors: report.totals.error,
    skipped: report.totals.skipped,
  };
}

/** A run's totals with a further file's added, and its time span widened to the file's. */
function appendedTotals(run: RunRow, report: ReportSummary): Partial<RunRow> {
  const end = (d: Date | null, ms: number | null) => (d && ms !== null ? d.getTime() + ms : null);
  const starts = [run.startedAt?.getTime() ?? null, report.startedAt?.getTime() ?? null].filter((x): x is number => x !== null);
  const ends = [run.finishedAt?.getTime() ?? null, end(report.startedAt, report.durationMs)].filter((x): x is number => x !== null);
  const startedAt = starts.length ? new Date(Math.min(...starts)) : null;
  const finishedAt = ends.length ? new Date(Math.max(...ends)) : null;
  return {
    files: run.files + 1,
    suites: run.suites + report.stats.suites,
    total: run.total + report.totals.total,
    passed: run.passed + report.totals.passed,
    failed: run.failed + report.totals.failed,
    errors: run.errors + report.totals.error,
    skipped: run.skipped + report.totals.skipped,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : (run.durationMs ?? report.durationMs),
  };
}

export async function findRun(deps: AppDeps, orgId: string, id: string): Promise<RunRow> {
  const [row] = await deps.database.db
    .select()
    .from(testRuns)
    .where(and(eq(testRuns.orgId, orgId), eq(testRuns.id, id), eq(testRuns.complete, true)))
    .limit(1);
  if (!row) throw new ApiError(404, "not_found", "No such test run in this organization");
  return row;
}

export async function listRuns(deps: AppDeps, orgId: string, f: { projectId?: string; origin?: RunOrigin; top: number; skip: number }) {
  const where = and(
    eq(testRuns.orgId, orgId),
    eq(testRuns.complete, true),
    f.projectId ? eq(testRuns.projectId, f.projectId) : undefined,
    f.origin ? eq(testRuns.origin, f.origin) : undefined,
  );
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
  const where = and(
    eq(testResults.orgId, orgId),
    eq(testResults.runId, runId),
    f.outcome ? eq(testResults.outcome, f.outcome) : undefined,
    sql`EXISTS (SELECT 1 FROM test_runs run WHERE run.id = ${testResults.runId} AND ${sql.raw(visibleResult("test_results"))})`,
  );
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

/**
 * A run not being pushed becomes queued (a push in progress is left alone). Refused (409) while a file is
 * being appended to it: the push would miss that file's results, and a run pushed takes no more files.
 */
export async function markQueued(deps: AppDeps, orgId: string, id: string): Promise<void> {
  await dropAbandonedAppends(deps.database, { runId: id });
  await deps.database.db
    .update(testRuns)
    .set({ adoStatus: "queued", adoError: null })
    .where(
      and(eq(testRuns.orgId, orgId), eq(testRuns.id, id), inArray(testRuns.adoStatus, ["none", "failed"]), sql`appending_from IS NULL`),
    );
  const [appending] = await deps.database.query(`SELECT 1 FROM test_runs WHERE id = $1 AND org_id = $2 AND appending_from IS NOT NULL`, [
    id,
    orgId,
  ]);
  if (appending)
    throw new ApiError(
      409,
      "conflict",
      "A file is still being added to this run (or its upload stopped minutes ago): push it when that is over",
    );
}

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
          sql`EXISTS (SELECT 1 FROM test_runs run WHERE run.id = ${testResults.runId} AND ${sql.raw(visibleResult("test_results"))})`,
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
