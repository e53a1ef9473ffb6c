// Fault injection for resilience tests: latency, 5xx, 429 storms, connection resets, truncated bodies.
// Decisions come from a seeded PRNG so a given spec + request sequence always fails the same way.
import { mulberry32 } from "./prng";

export interface FaultSpec {
  /** Added delay before every matching request (ms). */
  latencyMs?: number;
  /** Probability (0..1) of answering 500 or 503. */
  errorRate?: number;
  /** 429 storm: probability of a 429 with Retry-After (seconds). */
  throttle?: { rate?: number; retryAfterSeconds?: number };
  /** Probability of resetting the connection (socket destroyed / fetch throws TypeError). */
  resetRate?: number;
  /** Probability of a body cut in the middle. */
  truncateRate?: number;
  /** Only requests whose path matches (RegExp, or substring). Control endpoints (/_sim) never fault. */
  match?: RegExp | string;
  /** Apply to this many matching requests, then the spec clears itself. */
  count?: number;
  /** PRNG seed for the decisions (default: simulator seed). */
  seed?: number;
}

export type FaultAction =
  | { kind: "none" }
  | { kind: "error"; status: 500 | 503 }
  | { kind: "throttle"; retryAfterSeconds: number }
  | { kind: "reset" }
  | { kind: "truncate" };

export class Faults {
  private spec: FaultSpec | null = null;
  private rand: () => number = Math.random;
  private remaining = Infinity;

  constructor(private defaultSeed: number) {}

  set(spec: FaultSpec): void {
    this.spec = { ...spec };
    this.rand = mulberry32(spec.seed ?? this.defaultSeed);
    this.remaining = spec.count ?? Infinity;
  }

  clear(): void {
    this.spec = null;
  }

  current(): FaultSpec | null {
    return this.spec;
  }

  /** Decides what happens to a request; returns the latency to add and the action. */
  decide(path: string): { latencyMs: number; action: FaultAction } {
    const s = this.spec;
    if (!s || path.startsWith("/_sim")) return { latencyMs: 0, action: { kind: "none" } };
    if (s.match) {
      const ok = typeof s.match === "string" ? path.includes(s.match) : s.match.test(path);
      if (!ok) return { latencyMs: 0, action: { kind: "none" } };
    }
    if (this.remaining <= 0) {
      this.spec = null;
      return { latencyMs: 0, action: { kind: "none" } };
    }
    this.remaining--;
    const latencyMs = s.latencyMs ?? 0;
    const roll = (p?: number) => !!p && this.rand() < p;
    let action: FaultAction = { kind: "none" };
    if (roll(s.resetRate)) action = { kind: "reset" };
    else if (roll(s.errorRate)) action = { kind: "error", status: this.rand() < 0.5 ? 500 : 503 };
    else if (roll(s.throttle?.rate)) action = { kind: "throttle", retryAfterSeconds: s.throttle?.retryAfterSeconds ?? 1 };
    else if (roll(s.truncateRate)) action = { kind: "truncate" };
    if (this.remaining <= 0) this.spec = null;
    return { latencyMs, action };
  }
}

/** Parses a FaultSpec sent as JSON to /_sim/faults (match given as a string is used as a RegExp). */
export function faultSpecFromJson(body: Record<string, unknown>): FaultSpec {
  const spec = { ...body } as FaultSpec & { match?: unknown };
  if (typeof body.match === "string") spec.match = new RegExp(body.match);
  return spec as FaultSpec;
}
