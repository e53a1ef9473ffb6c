import type { Logger } from "../log";
import type { JobStore } from "./store";
import type { EnqueueOptions, JobHandler, JobRecord } from "./types";
import { unref } from "../lib/timers";

/** How often each runner looks for jobs whose worker died and for retries that became due. */
export const SWEEP_MS = 10_000;

/**
 * What both runners share: the jobs table answers reads and cancellation (our row is the authority:
 * a cancelled row is a no-op when a runner reaches it); runners differ only in how jobs get executed.
 */
export abstract class StoreBackedQueue {
  protected handlers = new Map<string, JobHandler>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    protected readonly store: JobStore,
    protected readonly log: Logger,
  ) {}

  /** Hands one queued row to a worker (local queue or pg-boss); `delayMs` for a retry. */
  protected abstract dispatch(kind: string, id: string, delayMs?: number): Promise<void>;
  protected abstract get running(): boolean;

  register<P>(kind: string, handler: JobHandler<P>): void {
    this.handlers.set(kind, handler as JobHandler);
  }

  async enqueue(orgId: string, kind: string, payload: Record<string, unknown>, o?: EnqueueOptions): Promise<JobRecord> {
    const { record, dispatch, created } = await this.store.insert(orgId, kind, payload, o);
    // While stopped the row waits in our table; start() hands every queued row to a worker.
    if (dispatch && this.running) await this.dispatch(kind, record.id, created && o?.singleton ? (o.delayMs ?? 0) : 0);
    return record;
  }

  get(orgId: string, id: string): Promise<JobRecord | undefined> {
    return this.store.get(orgId, id);
  }
  list(orgId: string, f?: { resourceKey?: string; limit?: number }): Promise<JobRecord[]> {
    return this.store.list(orgId, f);
  }
  async cancel(orgId: string, id: string): Promise<JobRecord | undefined> {
    await this.store.requestCancel(orgId, { id });
    return this.store.get(orgId, id);
  }
  async cancelResource(orgId: string, resourceKey: string): Promise<number> {
    return (await this.store.requestCancel(orgId, { resourceKey })).length;
  }

  /**
   * Takes back running jobs whose worker stopped heartbeating (killed process, dead replica, a
   * worker whose database writes kept failing) and dispatches queued rows that are due (retries,
   * follow-ups whose dispatch was lost in a crash). Every replica sweeps; the UPDATE picks one winner.
   */
  async sweep(): Promise<void> {
    if (!this.running) return;
    const taken = await this.store.takeBackStale();
    if (taken.length) this.log.warn("took over jobs whose worker stopped", { jobIds: taken.map((t) => t.id) });
    const now = Date.now();
    for (const row of await this.store.unfinished()) {
      if (row.status !== "queued" || !this.handlers.has(row.kind)) continue;
      if (row.runAfter && row.runAfter.getTime() > now) continue;
      await this.dispatch(row.kind, row.id);
    }
  }

  protected startSweeping(everyMs = SWEEP_MS): void {
    this.stopSweeping();
    this.sweeper = setInterval(() => {
      this.sweep().catch((e) => this.log.warn("job sweep failed (database unavailable?)", { err: e }));
    }, everyMs);
    unref(this.sweeper);
  }
  protected stopSweeping(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
