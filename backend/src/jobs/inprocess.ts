import type { Logger } from "../log";
import { runJob, type RunOutcome } from "./run";
import type { JobStore } from "./store";
import { StoreBackedQueue } from "./base";
import type { JobQueue } from "./types";
import { unref } from "../lib/timers";

/**
 * The embedded (PGlite) runner: same contract as pg-boss, executed in this process. The jobs table
 * is the durable queue, so jobs left queued or running by a killed process are resumed at start.
 */
export class InProcessJobQueue extends StoreBackedQueue implements JobQueue {
  private queue: string[] = [];
  /** Ids in the local queue or running here: the sweep must not queue them twice. */
  private known = new Set<string>();
  private active = new Set<Promise<void>>();
  private timers = new Set<NodeJS.Timeout>();
  private stopper = new AbortController();
  private started = false;

  constructor(
    store: JobStore,
    log: Logger,
    private readonly concurrency = 2,
  ) {
    super(store, log);
  }

  protected get running(): boolean {
    return this.started;
  }

  protected async dispatch(_kind: string, id: string, delayMs = 0): Promise<void> {
    if (delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        void this.dispatch(_kind, id);
      }, delayMs);
      unref(t);
      this.timers.add(t);
      return;
    }
    if (this.known.has(id)) return;
    this.known.add(id);
    this.queue.push(id);
    this.pump();
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopper = new AbortController();
    await this.store.requeueAllRunning();
    const leftovers = await this.store.unfinished();
    if (leftovers.length) this.log.info("resuming unfinished jobs", { count: leftovers.length });
    for (const j of leftovers) await this.dispatch(j.kind, j.id, j.runAfter ? Math.max(0, j.runAfter.getTime() - Date.now()) : 0);
    this.startSweeping();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopSweeping();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopper.abort();
    await Promise.allSettled([...this.active]);
    this.queue = [];
    this.known.clear();
  }

  async idle(): Promise<void> {
    while (this.queue.length || this.active.size) await Promise.allSettled([...this.active, new Promise((r) => setTimeout(r, 5))]);
  }

  private pump(): void {
    while (this.started && this.active.size < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      const p: Promise<void> = runJob(this.store, this.handlers, id, this.log, this.stopper.signal)
        .then((r) => this.after(id, r))
        .catch((e) => this.log.error("job runner error (the sweep retries the job)", { jobId: id, err: e }))
        .finally(() => {
          this.active.delete(p);
          this.known.delete(id);
          this.pump();
        });
      this.active.add(p);
    }
  }

  private async after(id: string, r: RunOutcome): Promise<void> {
    if (r.outcome === "retry") await this.dispatch("", id, r.delayMs);
    if (r.followUp) await this.dispatch(r.followUp.kind, r.followUp.id, r.followUp.delayMs);
  }
}
