// ADO's rate limiting: TSTUs per identity in a sliding window. Near the limit successful responses
// carry X-RateLimit-* headers (and Retry-After); over it requests are delayed server-side (the delay
// reported in X-RateLimit-Delay), and far over it (blockRatio) they get 429 with a TF400733 body.
import type { RateLimitOptions } from "./core-types";

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  limit: 200,
  windowMs: 5 * 60_000,
  // 0.001 TSTU per request → 200,000 requests per 5 minutes before throttling: normal tests never hit it.
  costPerRequest: 0.001,
  warnRatio: 0.8,
  delayMs: 2000,
  blockRatio: 1.5,
};

export interface ThrottleDecision {
  blocked: boolean;
  /** Server-side delay to apply before answering (over the limit, not yet blocked). */
  delayMs: number;
  headers: Record<string, string>;
}

export class Throttle {
  private usage = new Map<string, { at: number; cost: number }[]>();
  constructor(
    public options: RateLimitOptions,
    private now: () => number,
  ) {}

  configure(o: Partial<RateLimitOptions>): void {
    this.options = { ...this.options, ...o };
  }

  reset(): void {
    this.usage.clear();
  }

  /** Charges one request to the identity and says whether it is blocked. */
  charge(identity: string): ThrottleDecision {
    const { limit, windowMs, costPerRequest, warnRatio, delayMs, blockRatio } = this.options;
    const now = this.now();
    const list = (this.usage.get(identity) ?? []).filter((u) => u.at > now - windowMs);
    let used = list.reduce((s, u) => s + u.cost, 0);
    const blocked = used + costPerRequest > limit * Math.max(1, blockRatio);
    const delayed = !blocked && used + costPerRequest > limit ? delayMs : 0;
    if (!blocked) {
      list.push({ at: now, cost: costPerRequest });
      used += costPerRequest;
    }
    this.usage.set(identity, list);
    const headers: Record<string, string> = {};
    if (blocked || used >= limit * warnRatio) {
      // When would enough usage leave the window?
      let freed = 0;
      let resetAt = now + windowMs;
      for (const u of list) {
        freed += u.cost;
        if (used - freed + costPerRequest <= limit * warnRatio) {
          resetAt = u.at + windowMs;
          break;
        }
      }
      const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
      headers["Retry-After"] = String(retryAfter);
      headers["X-RateLimit-Resource"] = "ATCPU";
      // The delay this response already got (seconds): a client must not wait it again.
      headers["X-RateLimit-Delay"] = (blocked ? retryAfter : delayed / 1000).toFixed(3);
      headers["X-RateLimit-Limit"] = String(limit);
      headers["X-RateLimit-Remaining"] = String(Math.max(0, Math.floor(limit - used)));
      headers["X-RateLimit-Reset"] = String(Math.floor(resetAt / 1000));
    }
    return { blocked, delayMs: delayed, headers };
  }
}

export function throttledBody(identity: string) {
  return {
    $id: "1",
    innerException: null,
    message: `TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'ATCPU' in namespace 'User'. For more information on why your request was blocked, see the topic "Rate limits" on the Microsoft Web site (https://go.microsoft.com/fwlink/?LinkId=823950). Identity: ${identity}`,
    typeName: "Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server",
    typeKey: "RequestBlockedException",
    errorCode: 0,
    eventId: 3000,
  };
}
