import { scrubSecrets } from "../lib/scrub";
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { and, desc, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { storable, storableJson } from "../lib/text";
import { jobs } from "../db/schema";
import type { EnqueueOptions, JobRecord } from "./types";

/** A running job's worker writes its heartbeat this often, whatever the handler is doing. */
export const HEARTBEAT_MS = 10_000;
/** A running job without a heartbeat for this long lost its worker (process killed, replica gone). */
export const STALE_MS = 30_000;

type Row = typeof jobs.$inferSelect;

/** Who runs a claimed job: shown to operators, and lets tests kill the right replica. */
const WORKER = `${hostname()}:${process.pid}`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export function toRecord(r: Row): JobRecord {
  return {
    id: r.id,
    orgId: r.orgId,
    kind: r.kind,
    resourceKey: r.resourceKey,
    status: r.status,
    progressDone: r.progressDone,
    progressTotal: r.progressTotal,
    message: r.message,
    error: r.error,
    result: r.result ?? null,
    cancelRequested: r.cancelRequested,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    attempts: r.attempts,
    nextAttemptAt: r.status === "queued" ? iso(r.runAfter) : null,
    followUpQueued: r.status === "running" && r.rerunPayload !== null,
  };
}

/** What enqueue did: `dispatch` = the runner must hand this row to a worker (new, or taken back from a dead one). */
export interface InsertOutcome {
  record: JobRecord;
  created: boolean;
  dispatch: boolean;
}

/**
 * `next` joined with `prev`: boolean flags true in `prev` stay true (a full sync asked for stays full).
 * Returns `same` (by identity) when nothing changes, so callers can skip a write.
 */
export function stickyMerge(prev: Record<string, unknown> | null, next: Record<string, unknown>, same?: Record<string, unknown>) {
  const out: Record<string, unknown> = { ...(same ? prev : next) };
  let changed = !same;
  const add = (k: string, v: unknown) => {
    if (v === true && out[k] !== true) {
      out[k] = true;
      changed = true;
    }
  };
  if (same) for (const [k, v] of Object.entries(next)) add(k, v);
  else for (const [k, v] of Object.entries(prev ?? {})) add(k, v);
  return changed ? out : same!;
}

/** The longest a coalescing job (EnqueueOptions.delayMs) is pushed back by a burst that goes on. */
export const COALESCE_MAX_WAIT_MS = 30_000;

const staleBefore = () => new Date(Date.now() - STALE_MS);
const isUniqueViolation = (e: unknown): boolean => {
  for (let c: unknown = e; c; c = (c as { cause?: unknown }).cause) if ((c as { code?: string }).code === "23505") return true;
  return false;
};

/**
 * Job rows shared by both runners: the table is what the UI reads and what survives restarts.
 * A worker owns a running row through the attempt number its claim wrote; every later write of
 * that worker (heartbeat, progress, finish) is conditional on it, so a worker that was presumed
 * dead and taken over can no longer touch the row.
 */
export class JobStore {
  constructor(private readonly db: Db) {}

  async insert(orgId: string, kind: string, payload: Record<string, unknown>, o: EnqueueOptions = {}): Promise<InsertOutcome> {
    const values = {
      orgId,
      kind,
      payload,
      resourceKey: o.resourceKey ?? null,
      createdBy: o.createdBy ?? null,
      singleton: Boolean(o.singleton && o.resourceKey),
    };
    if (!values.singleton) {
      const [row] = await this.db
        .insert(jobs)
        .values({ id: randomUUID(), ...values })
        .returning();
      return { record: toRecord(row), created: true, dispatch: true };
    }
    const delayMs = o.delayMs && o.delayMs > 0 ? o.delayMs : null;
    const runAfter = delayMs ? new Date(Date.now() + delayMs) : null;
    // The unique partial index makes "one active job per resource" atomic; the loop covers the
    // active job finishing between our insert attempt and our read of it.
    for (let round = 0; round < 20; round++) {
      let inserted: Row | undefined;
      try {
        [inserted] = await this.db
          .insert(jobs)
          .values({ id: randomUUID(), ...values, runAfter })
          .onConflictDoNothing()
          .returning();
      } catch (e) {
        // PGlite reports partial-index conflicts like Postgres; anything else is a real failure.
        if (!isUniqueViolation(e)) throw e;
      }
      if (inserted) return { record: toRecord(inserted), created: true, dispatch: true };
      const [active] = await this.db
        .select()
        .from(jobs)
        .where(
          and(
            eq(jobs.orgId, orgId),
            eq(jobs.kind, kind),
            eq(jobs.resourceKey, values.resourceKey!),
            eq(jobs.singleton, true),
            inArray(jobs.status, ["queued", "running"]),
          ),
        )
        .limit(1);
      if (!active) continue;
      // Queued: it has read nothing yet, so it will see whatever caused this request. It takes this
      // request's true flags, and runs now if it was waiting and this request does not want to wait.
      if (active.status === "queued") {
        const merged = stickyMerge(active.payload, payload, active.payload);
        const waiting = active.runAfter !== null && active.runAfter.getTime() > Date.now() && active.attempts === 0;
        const dueNow = !delayMs && waiting;
        // A burst keeps pushing the start back (trailing edge), never beyond COALESCE_MAX_WAIT_MS after the job was made.
        const later =
          delayMs && waiting ? Math.min(Date.now() + delayMs, active.createdAt.getTime() + Math.max(COALESCE_MAX_WAIT_MS, delayMs)) : 0;
        const pushBack = later > 0 && later > active.runAfter!.getTime() + 50;
        if (merged === active.payload && !dueNow && !pushBack) return { record: toRecord(active), created: false, dispatch: false };
        const [joined] = await this.db
          .update(jobs)
          .set({ payload: merged, ...(dueNow ? { runAfter: null } : pushBack ? { runAfter: new Date(later) } : {}) })
          .where(and(eq(jobs.id, active.id), eq(jobs.status, "queued")))
          .returning();
        if (joined) return { record: toRecord(joined), created: false, dispatch: dueNow };
        continue;
      }
      // Running but its worker is gone: take it back now rather than hand out a dead job.
      if (active.heartbeatAt === null || active.heartbeatAt < staleBefore()) {
        const [taken] = await this.takeBack(active.id);
        if (taken) return { record: toRecord(taken), created: false, dispatch: true };
        continue;
      }
      if (o.followUp === false) return { record: toRecord(active), created: false, dispatch: false };
      // Running: it may already have read past the change, so one follow-up run is scheduled after it.
      // A full sync requested meanwhile is kept even if an incremental request comes after it.
      // The follow-up waits as long as the shortest wait asked for (none if any request wanted none).
      const rerunDelay =
        active.rerunPayload === null
          ? delayMs
          : active.rerunDelayMs === null || delayMs === null
            ? null
            : Math.min(active.rerunDelayMs, delayMs);
      const [marked] = await this.db
        .update(jobs)
        .set({ rerunPayload: stickyMerge(active.rerunPayload, payload), rerunDelayMs: rerunDelay })
        .where(
          and(
            eq(jobs.id, active.id),
            eq(jobs.status, "running"),
            // Optimistic: another request joining meanwhile makes this round read again (no flag is lost).
            active.rerunPayload === null
              ? isNull(jobs.rerunPayload)
              : sql`${jobs.rerunPayload} = ${JSON.stringify(active.rerunPayload)}::jsonb`,
          ),
        )
        .returning();
      if (marked) return { record: toRecord(marked), created: false, dispatch: false };
    }
    throw new Error(`could not enqueue ${kind} for ${values.resourceKey}: the resource's job kept changing`);
  }

  async get(orgId: string, id: string): Promise<JobRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [row] = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.orgId, orgId), eq(jobs.id, id)));
    return row ? toRecord(row) : undefined;
  }

  async getById(id: string) {
    const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
    return row;
  }

  async list(orgId: string, f: { resourceKey?: string; limit?: number } = {}): Promise<JobRecord[]> {
    const rows = await this.db
      .select()
      .from(jobs)
      .where(and(eq(jobs.orgId, orgId), f.resourceKey ? eq(jobs.resourceKey, f.resourceKey) : undefined))
      .orderBy(desc(jobs.createdAt))
      .limit(f.limit ?? 50);
    return rows.map(toRecord);
  }

  /**
   * Moves a queued job (whose retry delay has passed) to running and returns the attempt number
   * that makes this worker its owner; null when it was cancelled, is not due, or another worker holds it.
   */
  async claim(id: string): Promise<number | null> {
    const now = new Date();
    const rows = await this.db
      .update(jobs)
      .set({ status: "running", startedAt: now, heartbeatAt: now, attempts: sql`${jobs.attempts} + 1`, runAfter: null, worker: WORKER })
      .where(
        and(
          eq(jobs.id, id),
          eq(jobs.cancelRequested, false),
          or(
            and(eq(jobs.status, "queued"), or(isNull(jobs.runAfter), lte(jobs.runAfter, now))),
            and(eq(jobs.status, "running"), or(isNull(jobs.heartbeatAt), lt(jobs.heartbeatAt, staleBefore()))),
          ),
        ),
      )
      .returning({ attempts: jobs.attempts });
    return rows[0]?.attempts ?? null;
  }

  private owned(id: string, attempt: number) {
    return and(eq(jobs.id, id), eq(jobs.status, "running"), eq(jobs.attempts, attempt));
  }

  /** Proves the worker is alive; false when the row is no longer this worker's (taken over, cancelled away). */
  async heartbeat(id: string, attempt: number): Promise<boolean> {
    const rows = await this.db.update(jobs).set({ heartbeatAt: new Date() }).where(this.owned(id, attempt)).returning({ id: jobs.id });
    return rows.length > 0;
  }

  /** A job interrupted by a graceful stop goes back to the queue so a restart (or another replica) resumes it. */
  async requeue(id: string, attempt: number): Promise<void> {
    await this.db
      .update(jobs)
      .set({ status: "queued", message: "Interrupted by a restart; it will resume" })
      .where(this.owned(id, attempt));
  }

  /** A transient failure: the job waits `delayMs` and runs again (same row, next attempt). */
  async retryLater(id: string, attempt: number, delayMs: number, reason: string): Promise<boolean> {
    const rows = await this.db
      .update(jobs)
      .set({
        status: "queued",
        runAfter: new Date(Date.now() + delayMs),
        error: storable(scrubSecrets(reason)),
        message: storable(scrubSecrets(`Retrying in ${Math.round(delayMs / 1000)} s (attempt ${attempt} failed): ${reason}`)),
      })
      .where(this.owned(id, attempt))
      .returning({ id: jobs.id });
    return rows.length > 0;
  }

  /** A running row whose worker stopped heartbeating goes back to the queue; returns it when it did. */
  private takeBack(id?: string) {
    return this.db
      .update(jobs)
      .set({ status: "queued", runAfter: null, message: "Its worker stopped (process or replica gone); taken over" })
      .where(
        and(
          id ? eq(jobs.id, id) : undefined,
          eq(jobs.status, "running"),
          or(isNull(jobs.heartbeatAt), lt(jobs.heartbeatAt, staleBefore())),
        ),
      )
      .returning();
  }

  /** Every running job whose worker is gone, queued again for a live one (both runners sweep with this). */
  async takeBackStale(): Promise<{ id: string; kind: string }[]> {
    return (await this.takeBack()).map((r) => ({ id: r.id, kind: r.kind }));
  }

  /** In-process runner only: at start every running row is an orphan of a dead process. */
  async requeueAllRunning(): Promise<void> {
    await this.db.update(jobs).set({ status: "queued" }).where(eq(jobs.status, "running"));
  }

  /** Saves progress (it is a heartbeat too) and answers whether this worker should stop (cancelled or no longer its row). */
  async progress(
    id: string,
    attempt: number,
    done: number,
    total: number | null | undefined,
    message: string | undefined,
  ): Promise<boolean> {
    const [row] = await this.db
      .update(jobs)
      .set({
        progressDone: done,
        ...(total !== undefined ? { progressTotal: total } : {}),
        ...(message !== undefined ? { message: storable(message) } : {}),
        heartbeatAt: new Date(),
      })
      .where(this.owned(id, attempt))
      .returning({ cancel: jobs.cancelRequested });
    return row?.cancel ?? true;
  }

  /**
   * Ends a job. When an event asked for a follow-up while it ran, the follow-up row is created in the
   * same transaction (so a crash cannot lose it) and returned for the runner to dispatch.
   * `attempt` undefined = not claimed by anyone (e.g. unknown kind).
   */
  async finish(
    id: string,
    attempt: number | undefined,
    status: "succeeded" | "failed" | "cancelled",
    fields: { error?: string; result?: Record<string, unknown>; message?: string } = {},
  ): Promise<{ id: string; kind: string; delayMs: number } | null> {
    return this.db.transaction(async (tx) => {
      const [done] = await tx
        .update(jobs)
        .set({
          status,
          finishedAt: new Date(),
          runAfter: null,
          // Error text often quotes Azure DevOps, which may echo credentials: never store them.
          // Texts may quote Azure DevOps data (a title with NUL): stored with such characters replaced.
          error: fields.error === undefined ? null : storable(scrubSecrets(fields.error)),
          result: fields.result === undefined ? null : storableJson(fields.result),
          ...(fields.message ? { message: storable(scrubSecrets(fields.message)) } : {}),
        })
        .where(attempt === undefined ? and(eq(jobs.id, id), inArray(jobs.status, ["queued", "running"])) : this.owned(id, attempt))
        .returning();
      if (!done?.rerunPayload || done.cancelRequested) return null;
      const delayMs = done.rerunDelayMs ?? 0;
      const [next] = await tx
        .insert(jobs)
        .values({
          id: randomUUID(),
          orgId: done.orgId,
          kind: done.kind,
          payload: done.rerunPayload,
          resourceKey: done.resourceKey,
          singleton: done.singleton,
          createdBy: done.createdBy,
          runAfter: delayMs ? new Date(Date.now() + delayMs) : null,
          message: "Follow-up: changes arrived while the previous sync ran",
        })
        .onConflictDoNothing()
        .returning({ id: jobs.id, kind: jobs.kind });
      return next ? { ...next, delayMs } : null;
    });
  }

  async requestCancel(orgId: string, where: { id?: string; resourceKey?: string }): Promise<{ id: string; status: string }[]> {
    const cond = and(
      eq(jobs.orgId, orgId),
      where.id ? eq(jobs.id, where.id) : undefined,
      where.resourceKey ? eq(jobs.resourceKey, where.resourceKey) : undefined,
      inArray(jobs.status, ["queued", "running"]),
    );
    const rows = await this.db.update(jobs).set({ cancelRequested: true }).where(cond).returning({ id: jobs.id, status: jobs.status });
    // Queued jobs are cancelled right away; running ones finish as cancelled when they notice.
    const queued = rows.filter((r) => r.status === "queued").map((r) => r.id);
    if (queued.length) {
      await this.db
        .update(jobs)
        .set({ status: "cancelled", finishedAt: new Date(), message: "Cancelled before it started" })
        .where(inArray(jobs.id, queued));
    }
    return rows;
  }

  /** Jobs left queued or running (restart: the PGlite runner re-runs them, pg-boss gets the queued ones). */
  async unfinished(): Promise<Row[]> {
    return this.db
      .select()
      .from(jobs)
      .where(inArray(jobs.status, ["queued", "running"]))
      .orderBy(jobs.createdAt);
  }
}
