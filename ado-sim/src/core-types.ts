// The internal simulator object handed to every module (kept separate to avoid import cycles).
import type { SimState } from "./state";
import type { SimEvent } from "./events";

export interface HookOptions {
  /** Delay before each retry of a failed delivery (ms). Length = number of retries. */
  retryDelaysMs: number[];
  /** Failed notifications (after retries) before a subscription goes from onProbation to disabledBySystem. */
  maxProbationRetries: number;
  /** Per-request timeout for webhook POSTs (ms). */
  timeoutMs: number;
  /**
   * Dev/demo only: accept webhook URLs on loopback/private addresses and basic auth over http, which
   * Azure DevOps Services refuses (on a real organization a tunnel with a public https URL stands in).
   */
  allowLocalTargets: boolean;
}

export interface RateLimitOptions {
  /** TSTUs allowed per identity in the sliding window (ADO: 200 per 5 minutes). */
  limit: number;
  windowMs: number;
  /** TSTUs charged per request. Default keeps normal tests far from the limit. */
  costPerRequest: number;
  /** Fraction of the limit after which X-RateLimit-* headers are sent on successful responses. */
  warnRatio: number;
  /**
   * Over the limit Azure DevOps first delays requests server-side (and says so in X-RateLimit-Delay)
   * rather than refusing them: each request over the limit is held this long, then answered.
   */
  delayMs: number;
  /** Usage beyond limit × blockRatio is refused with 429 (TF400733). 1 = refuse as soon as over the limit. */
  blockRatio: number;
}

export interface SimCore {
  state: SimState;
  clock: () => Date;
  /** Public base URL used in payloads created outside a request (hooks, helpers). */
  publicBase(): string;
  emit(event: SimEvent): void;
  hookOptions: HookOptions;
  rateLimit: RateLimitOptions;
  seedValue: number;
}
