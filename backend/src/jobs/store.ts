import { randomUUID } from "node:crypto";
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { storable, storableJson } from "../lib/text";
import { jobs } from "../db/schema";
import type { EnqueueOptions, JobRecord } from "./types";

/** A running job that has not reported progress for this long is considered abandoned. */
export const STALE_MS = 5 * 60_000;

const iso = (d: Date | null) => (d ? d.toISOString() : null);
export function toRecord(r: typeof jobs.$inferSelect): JobRecord {
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
  };
}

/** Job rows shared by both runners: the table is what the UI reads and what survives restarts. */
export class JobStore {
  constructor(private readonly db: Db) {}

  async insert(
    orgId: string,
    kind: string,
    payload: Record<string, unknown>,
    o: EnqueueOptions = {},
  ): Promise<{ record: JobRecord; created: boolean }> {
    if (o.singleton && o.resourceKey) {
      const [existing] = await this.db
        .select()
        .from(jobs)
        .where(
          and(eq(jobs.orgId, orgId), eq(jobs.kind, kind), eq(jobs.resourceKey, o.resourceKey), inArray(jobs.status, ["queued", "running"])),
        )
        .limit(1);
      if (existing) return { record: toRecord(existing), created: false };
    }
    const [row] = await this.db
      .insert(jobs)
      .values({ id: randomUUID(), orgId, kind, payload, resourceKey: o.resourceKey ?? null, createdBy: o.createdBy ?? null })
      .returning();
    return { record: toRecord(row), created: true };
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
   * Moves a queued job to running; false when it was cancelled or another worker holds it. A running
   * row whose worker stopped reporting for STALE_MS (its replica died) may be taken over.
   */
  async claim(id: string): Promise<boolean> {
    const stale = new Date(Date.now() - STALE_MS);
    const rows = await this.db
      .update(jobs)
      .set({ status: "running", startedAt: new Date(), heartbeatAt: new Date(), attempts: sql`${jobs.attempts} + 1` })
      .where(
        and(
          eq(jobs.id, id),
          eq(jobs.cancelRequested, false),
          or(eq(jobs.status, "queued"), and(eq(jobs.status, "running"), or(isNull(jobs.heartbeatAt), lt(jobs.heartbeatAt, stale)))),
        ),
      )
      .returning({ id: jobs.id });
    return rows.length > 0;
  }

  /** A job interrupted by a graceful stop goes back to the queue so a restart (or another replica) resumes it. */
  async requeue(id: string): Promise<void> {
    await this.db
      .update(jobs)
      .set({ status: "queued", message: "Interrupted by a restart; it will resume" })
      .where(and(eq(jobs.id, id), eq(jobs.status, "running")));
  }

  /** In-process runner only: at start every running row is an orphan of a dead process. */
  async requeueAllRunning(): Promise<void> {
    await this.db.update(jobs).set({ status: "queued" }).where(eq(jobs.status, "running"));
  }

  /** Saves progress and answers whether cancellation was requested. */
  async progress(id: string, done: number, total: number | null | undefined, message: string | undefined): Promise<boolean> {
    const [row] = await this.db
      .update(jobs)
      .set({
        progressDone: done,
        ...(total !== undefined ? { progressTotal: total } : {}),
        ...(message !== undefined ? { message: storable(message) } : {}),
        heartbeatAt: new Date(),
      })
      .where(eq(jobs.id, id))
      .returning({ cancel: jobs.cancelRequested });
    return row?.cancel ?? true;
  }

  async finish(
    id: string,
    status: "succeeded" | "failed" | "cancelled",
    fields: { error?: string; result?: Record<string, unknown>; message?: string } = {},
  ) {
    await this.db
      .update(jobs)
      .set({
        status,
        finishedAt: new Date(),
        // Texts may quote Azure DevOps data (a title with NUL): stored with such characters replaced.
        error: fields.error === undefined ? null : storable(fields.error),
        result: fields.result === undefined ? null : storableJson(fields.result),
        ...(fields.message ? { message: storable(fields.message) } : {}),
      })
      .where(and(eq(jobs.id, id), inArray(jobs.status, ["queued", "running"])));
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

  /** Jobs left queued or running by a process that died (PGlite runner re-runs them at start). */
  async unfinished(): Promise<(typeof jobs.$inferSelect)[]> {
    return this.db
      .select()
      .from(jobs)
      .where(inArray(jobs.status, ["queued", "running"]))
      .orderBy(jobs.createdAt);
  }
}
