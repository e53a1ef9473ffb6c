import PgBoss from "pg-boss";
import type { Logger } from "../log";
import { storable } from "../lib/text";
import { runJob } from "./run";
import type { JobStore } from "./store";
import { StoreBackedQueue } from "./base";
import type { EnqueueOptions, JobQueue, JobRecord } from "./types";

/**
 * Postgres runner: pg-boss distributes jobs across replicas (SKIP LOCKED), retries jobs whose
 * replica died (expiry), while our jobs table keeps progress and cancellation for the UI.
 */
export class PgBossJobQueue extends StoreBackedQueue implements JobQueue {
  private boss: PgBoss;
  private stopper = new AbortController();
  private started = false;

  constructor(
    store: JobStore,
    private readonly log: Logger,
    opts: { connectionString: string; schema?: string; concurrency?: number; expireInSeconds?: number },
  ) {
    super(store);
    this.boss = new PgBoss({ connectionString: opts.connectionString, schema: opts.schema ?? "pgboss", supervise: true, schedule: false });
    this.boss.on("error", (e) => this.log.error("pg-boss error", { err: e }));
    this.concurrency = opts.concurrency ?? 2;
    this.expireInSeconds = opts.expireInSeconds ?? 15 * 60;
  }
  private readonly concurrency: number;
  private readonly expireInSeconds: number;

  async enqueue(orgId: string, kind: string, payload: Record<string, unknown>, o?: EnqueueOptions): Promise<JobRecord> {
    const { record, created } = await this.store.insert(orgId, kind, payload, o);
    // While stopped the row waits in our table; start() hands every queued row to pg-boss.
    if (created && this.started) await this.send(kind, record.id);
    return record;
  }

  private async send(kind: string, jobId: string): Promise<void> {
    await this.boss.send(
      queueName(kind),
      { jobId },
      { retryLimit: 5, retryDelay: 2, retryBackoff: true, expireInSeconds: this.expireInSeconds },
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.stopper = new AbortController();
    await this.boss.start();
    for (const kind of this.handlers.keys()) {
      await this.boss.createQueue(queueName(kind));
      // One worker per slot: pg-boss 10 has no per-worker concurrency option.
      for (let i = 0; i < this.concurrency; i++) {
        await this.boss.work<{ jobId: string }>(queueName(kind), { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
          // pg-boss saves a thrown error as jsonb: only plain, storable text may reach it.
          const outcome = await runJob(this.store, this.handlers, job.data.jobId, this.log, this.stopper.signal).catch((e: unknown) => {
            this.log.error("job runner error", { jobId: job.data.jobId, err: e });
            throw new Error(storable(e instanceof Error ? e.message : String(e)).slice(0, 2000));
          });
          // Failing the pg-boss job makes it retry: the row is queued again and a live worker resumes it.
          if (outcome === "interrupted") throw new Error("interrupted by shutdown");
        });
      }
    }
    // Rows queued while stopped, or interrupted by a shutdown: duplicates are harmless (claim() lets one run).
    for (const row of await this.store.unfinished())
      if (row.status === "queued" && this.handlers.has(row.kind)) await this.send(row.kind, row.id);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopper.abort();
    await this.boss.stop({ graceful: true, wait: true, timeout: 10_000 });
  }

  async idle(): Promise<void> {
    for (;;) {
      const pending = await this.store.unfinished();
      if (pending.length === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// pg-boss queue names allow letters, digits, -, _, . and /
const queueName = (kind: string) => `testops.${kind}`;
