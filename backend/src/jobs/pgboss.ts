import { Client } from "pg";
import PgBoss from "pg-boss";
import type { Logger } from "../log";
import { storable } from "../lib/text";
import { runJob } from "./run";
import type { JobStore } from "./store";
import { StoreBackedQueue } from "./base";
import type { JobQueue } from "./types";

/** Serialises pg-boss setup across replicas starting at once (its own install can deadlock). */
const SETUP_LOCK = 724202;

/**
 * Postgres runner: pg-boss distributes jobs across replicas (SKIP LOCKED) while our jobs table keeps
 * progress, ownership (heartbeat) and cancellation. pg-boss messages only say "run row X"; a message
 * whose row is not runnable is a no-op, so duplicates are harmless and the sweep may resend freely.
 */
export class PgBossJobQueue extends StoreBackedQueue implements JobQueue {
  private boss: PgBoss;
  private stopper = new AbortController();
  private started = false;
  private readonly concurrency: number;
  private readonly expireInSeconds: number;

  constructor(
    store: JobStore,
    log: Logger,
    private readonly opts: { connectionString: string; schema?: string; concurrency?: number; expireInSeconds?: number },
  ) {
    super(store, log);
    this.boss = new PgBoss({ connectionString: opts.connectionString, schema: opts.schema ?? "pgboss", supervise: true, schedule: false });
    this.boss.on("error", (e) => this.log.error("pg-boss error", { err: e }));
    this.concurrency = opts.concurrency ?? 2;
    // A backstop only: our heartbeat sweep takes a dead worker's job back within a minute.
    this.expireInSeconds = opts.expireInSeconds ?? 15 * 60;
  }

  protected get running(): boolean {
    return this.started;
  }

  protected async dispatch(kind: string, jobId: string, delayMs = 0): Promise<void> {
    // "short" queues keep one waiting message per singletonKey: resending a row (sweep) adds nothing.
    await this.boss.send(
      queueName(kind),
      { jobId },
      {
        singletonKey: jobId,
        retryLimit: 5,
        retryDelay: 2,
        retryBackoff: true,
        expireInSeconds: this.expireInSeconds,
        ...(delayMs > 0 ? { startAfter: Math.ceil(delayMs / 1000) } : {}),
      },
    );
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.stopper = new AbortController();
    await this.withSetupLock(async () => {
      await this.boss.start();
      for (const kind of this.handlers.keys()) {
        if (!(await this.boss.getQueue(queueName(kind))))
          await this.boss.createQueue(queueName(kind), { name: queueName(kind), policy: "short" });
      }
    });
    this.started = true;
    for (const kind of this.handlers.keys()) {
      // One worker per slot: pg-boss 10 has no per-worker concurrency option.
      for (let i = 0; i < this.concurrency; i++) {
        await this.boss.work<{ jobId: string }>(queueName(kind), { batchSize: 1, pollingIntervalSeconds: 0.5 }, async ([job]) => {
          // pg-boss saves a thrown error as jsonb: only plain, storable text may reach it.
          const r = await runJob(this.store, this.handlers, job.data.jobId, this.log, this.stopper.signal).catch((e: unknown) => {
            this.log.error("job runner error", { jobId: job.data.jobId, err: e });
            throw new Error(storable(e instanceof Error ? e.message : String(e)).slice(0, 2000));
          });
          if (r.outcome === "retry") await this.dispatch(kind, job.data.jobId, r.delayMs);
          if (r.followUp) await this.dispatch(r.followUp.kind, r.followUp.id, r.followUp.delayMs);
          // Failing the pg-boss job makes it retry: the row is queued again and a live worker resumes it.
          if (r.outcome === "interrupted") throw new Error("interrupted by shutdown");
        });
      }
    }
    // Rows queued while stopped, interrupted by a shutdown, or orphaned by a dead replica.
    await this.sweep();
    this.startSweeping();
  }

  /** A session advisory lock on a connection of its own, held while pg-boss installs or migrates its schema. */
  private async withSetupLock(fn: () => Promise<void>): Promise<void> {
    const client = new Client({ connectionString: this.opts.connectionString });
    client.on("error", (e) => this.log.warn("pg-boss setup connection lost", { err: e }));
    await client.connect();
    try {
      await client.query("SELECT pg_advisory_lock($1)", [SETUP_LOCK]);
      await fn();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [SETUP_LOCK]).catch(() => undefined);
      await client.end().catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.stopSweeping();
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

// pg-boss queue names allow letters, digits, -, _, . and /. "v2": the earlier queues had the
// "standard" policy (no de-duplication); their leftover messages are harmless no-ops.
const queueName = (kind: string) => `testops.v2.${kind}`;
