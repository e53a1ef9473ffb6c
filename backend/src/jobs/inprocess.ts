import type { Logger } from "../log";
import { runJob } from "./run";
import type { JobStore } from "./store";
import { StoreBackedQueue } from "./base";
import type { EnqueueOptions, JobQueue, JobRecord } from "./types";

/**
 * The embedded (PGlite) runner: same contract as pg-boss, executed in this process. The jobs table
 * is the durable queue, so jobs left queued or running by a killed process are resumed at start.
 */
export class InProcessJobQueue extends StoreBackedQueue implements JobQueue {
  private queue: string[] = [];
  private active = new Set<Promise<void>>();
  private stopper = new AbortController();
  private started = false;

  constructor(
    store: JobStore,
    private readonly log: Logger,
    private readonly concurrency = 2,
  ) {
    super(store);
  }

  async enqueue(orgId: string, kind: string, payload: Record<string, unknown>, o?: EnqueueOptions): Promise<JobRecord> {
    const { record, created } = await this.store.insert(orgId, kind, payload, o);
    if (created) {
      this.queue.push(record.id);
      this.pump();
    }
    return record;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopper = new AbortController();
    await this.store.requeueAllRunning();
    const leftovers = await this.store.unfinished();
    if (leftovers.length) this.log.info("resuming unfinished jobs", { count: leftovers.length });
    this.queue.push(...leftovers.map((j) => j.id));
    this.pump();
  }

  async stop(): Promise<void> {
    this.started = false;
    this.stopper.abort();
    await Promise.allSettled([...this.active]);
  }

  async idle(): Promise<void> {
    while (this.queue.length || this.active.size) await Promise.allSettled([...this.active, new Promise((r) => setTimeout(r, 5))]);
  }

  private pump(): void {
    while (this.started && this.active.size < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      const p: Promise<void> = runJob(this.store, this.handlers, id, this.log, this.stopper.signal)
        .then(() => undefined)
        .catch((e) => this.log.error("job runner error", { jobId: id, err: e }))
        .finally(() => {
          this.active.delete(p);
          this.pump();
        });
      this.active.add(p);
    }
  }
}
