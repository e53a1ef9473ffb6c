import type { JobStatus } from "../db/schema";

export interface JobRecord {
  id: string;
  orgId: string;
  kind: string;
  resourceKey: string | null;
  status: JobStatus;
  progressDone: number;
  progressTotal: number | null;
  message: string | null;
  error: string | null;
  result: Record<string, unknown> | null;
  cancelRequested: boolean;
  createdBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** How many times a worker started it (retries after transient faults and takeovers count). */
  attempts: number;
  /** Queued for a retry: not before this time. */
  nextAttemptAt: string | null;
  /** Running, and something changed meanwhile: one more run starts right after this one. */
  followUpQueued: boolean;
}

export interface JobContext<P = Record<string, unknown>> {
  jobId: string;
  orgId: string;
  payload: P;
  /** Aborted when the job is cancelled or the runner stops; check it between batches. */
  signal: AbortSignal;
  /** Records progress (and notices cancellation requested by another replica). */
  progress(done: number, total?: number | null, message?: string): Promise<void>;
  /** 1 for the first run; retries and takeovers count up. */
  attempt: number;
  /** Whether the runner will retry this job if the handler throws `e` (then it is not a final failure yet). */
  willRetry(e: unknown): boolean;
}

export type JobHandler<P = Record<string, unknown>> = (ctx: JobContext<P>) => Promise<Record<string, unknown> | void>;

export interface EnqueueOptions {
  /** Groups jobs of one resource (e.g. a link id): used to cancel its scheduled work. */
  resourceKey?: string;
  createdBy?: string;
  /**
   * At most one queued-or-running job per resourceKey+kind (atomic): returns the existing one. If that
   * one is already running, one follow-up run is scheduled after it (it may have read past the change).
   */
  singleton?: boolean;
  /** Singleton only: false = a running job is good enough, no follow-up (periodic safety-net syncs). */
  followUp?: boolean;
  /**
   * Singleton only: run no earlier than this (a burst of requests meanwhile finds the job queued and
   * joins it); a follow-up it causes waits as long. A request without a delay makes a waiting job due now.
   * Boolean flags of the payload that are true stay true when requests are joined (e.g. `full`).
   */
  delayMs?: number;
}

export interface JobQueue {
  register<P>(kind: string, handler: JobHandler<P>): void;
  enqueue(orgId: string, kind: string, payload: Record<string, unknown>, o?: EnqueueOptions): Promise<JobRecord>;
  get(orgId: string, id: string): Promise<JobRecord | undefined>;
  list(orgId: string, filter?: { resourceKey?: string; limit?: number }): Promise<JobRecord[]>;
  /** Cancels one job: a queued job never runs, a running one sees its signal aborted. */
  cancel(orgId: string, id: string): Promise<JobRecord | undefined>;
  /** Cancels every queued or running job of a resource (archive). Returns how many. */
  cancelResource(orgId: string, resourceKey: string): Promise<number>;
  start(): Promise<void>;
  /** Takes back jobs whose worker stopped heartbeating and dispatches due retries (runs every 10 s by itself). */
  sweep(): Promise<void>;
  stop(): Promise<void>;
  /** Tests: resolves when no job is queued or running. */
  idle(): Promise<void>;
}

export class JobCancelled extends Error {
  constructor() {
    super("cancelled");
    this.name = "JobCancelled";
  }
}
