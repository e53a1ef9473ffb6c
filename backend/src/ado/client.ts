import { lookup } from "node:dns/promises";
import { mayHoldUnstorable, ReplacementCounter } from "../lib/text";
import type { Logger } from "../log";
import { scrubSecrets } from "../lib/scrub";
import { AdoError, scopeForPath } from "./errors";
import { publicOnlyFetch } from "./pinned";
import { hostListed, isPrivateAddress, transportBase, type OrgUrl } from "./urls";

export type AdoAuth = { type: "pat"; pat: string } | { type: "bearer"; token: string };

export interface AdoClientOptions {
  org: OrgUrl;
  auth: AdoAuth;
  fetch?: typeof fetch;
  /** Dev/tests: send everything to the simulator (see docs/architecture.md). */
  simulatorUrl?: string;
  /** Azure DevOps Server hosts the operator listed (ADO_SERVER_HOSTS): dialled even at private addresses. */
  allowedHosts?: string[];
  timeoutMs?: number;
  /** Cap on attempts after the first (interactive calls use 0-1; syncs rely on the time budget). */
  maxRetries?: number;
  /** Total time one request may spend waiting between retries (Retry-After, backoff); default 2 min. */
  retryBudgetMs?: number;
  logger?: Logger;
  /** Injected for tests so backoff does not wait for real. */
  sleep?: (ms: number) => Promise<void>;
  /** Shared per identity so concurrent jobs slow down together. */
  throttle?: ThrottleState;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  apiVersion?: string;
  accept?: string;
  signal?: AbortSignal;
  /** Return the raw Response (zip downloads, header access) instead of parsed JSON. */
  raw?: boolean;
  /**
   * Whether the request may be sent again after a 5xx or a broken connection. Default: true for
   * GET/HEAD/PUT/DELETE and for POSTs that only read (WIQL, batch reads, permission checks, blob zips);
   * false for other POST/PATCH (creates), which ADO may already have applied. 429 is always retried:
   * a throttled request was not processed.
   */
  idempotent?: boolean;
}

/** Remembers what ADO's rate limiter told us so the next request waits before being blocked. */
export class ThrottleState {
  notBefore = 0;
  remaining?: number;
  limit?: number;
  delays = 0;
  /** The last response said Azure DevOps delayed it (we are over the limit). */
  delayed = false;
  observe(h: Headers, now: number): void {
    this.delayed = false;
    const retryAfter = Number(h.get("retry-after"));
    if (retryAfter > 0) this.notBefore = Math.max(this.notBefore, now + Math.min(retryAfter, 60) * 1000);
    const rem = h.get("x-ratelimit-remaining");
    const lim = h.get("x-ratelimit-limit");
    if (rem !== null) this.remaining = Number(rem);
    if (lim !== null) this.limit = Number(lim);
    // X-RateLimit-Delay is how long Azure DevOps already held this request (learn.microsoft.com/azure/devops/
    // integrate/concepts/rate-limits): waiting it again would double the slowdown. It only counts as a sign
    // that we are over the limit, where the next requests are paced a little.
    if (Number(h.get("x-ratelimit-delay")) > 0) this.delayed = true;
  }
  /** How long to wait before the next request: honours Retry-After and slows down when nearly out of budget. */
  waitMs(now: number): number {
    let ms = Math.max(0, this.notBefore - now);
    if (this.delayed || (this.remaining !== undefined && this.limit && this.remaining / this.limit < 0.1)) ms = Math.max(ms, 250);
    return ms;
  }
}

const RETRYABLE_STATUS = new Set([500, 502, 503, 504]);
/** POST endpoints that read and change nothing, so a retry cannot duplicate anything. */
const READ_ONLY_POST =
  /_apis\/(wit\/wiql|wit\/reporting\/workitemrevisions|wit\/workitemsbatch|security\/permissionevaluationbatch|hooks\/subscriptionsquery|git\/repositories\/[^/]+\/blobs)/i;
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function messageOf(body: unknown): string | undefined {
  if (body && typeof body === "object" && "message" in body && typeof (body as { message: unknown }).message === "string") {
    return (body as { message: string }).message;
  }
  return undefined;
}

/**
 * The one Azure DevOps REST client every feature uses. Paths are relative to the organization
 * (e.g. "_apis/projects", "Fabrikam/_apis/wit/wiql").
 */
export class AdoClient {
  readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly throttle: ThrottleState;
  /** Number of HTTP requests sent (benchmarks and tests count them). */
  requests = 0;
  /** NUL characters and lone surrogates in Azure DevOps answers, replaced by U+FFFD (the database cannot store them). */
  readonly replaced = new ReplacementCounter();
  private hostChecked = false;

  constructor(private readonly opts: AdoClientOptions) {
    this.base = transportBase(opts.org, opts.simulatorUrl);
    this.fetchImpl = opts.fetch ?? (this.guarded() ? publicOnlyFetch() : fetch);
    this.sleep = opts.sleep ?? realSleep;
    this.throttle = opts.throttle ?? new ThrottleState();
  }

  get org(): OrgUrl {
    return this.opts.org;
  }

  url(path: string, query: RequestOptions["query"] = {}, apiVersion = "7.1"): string {
    const u = new URL(`${this.base}/${path.replace(/^\/+/, "")}`);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    if (apiVersion && !u.searchParams.has("api-version")) u.searchParams.set("api-version", apiVersion);
    return u.toString();
  }

  /** Azure DevOps Server hosts an operator has not allowed may only resolve to public addresses (SSRF guard). */
  private guarded(): boolean {
    const o = this.opts;
    return !o.simulatorUrl && o.org.kind === "server" && !hostListed(o.allowedHosts ?? [], new URL(o.org.url).host, o.org.host);
  }

  /** Fails early with a clear reason; publicOnlyFetch enforces the same rule on every connection. */
  private async checkHost(): Promise<void> {
    if (this.hostChecked) return;
    if (this.guarded()) {
      const host = this.opts.org.host;
      let addrs: { address: string }[];
      try {
        addrs = await lookup(host, { all: true });
      } catch {
        throw new AdoError("unreachable", `Could not resolve ${host}`);
      }
      if (addrs.some((a) => isPrivateAddress(a.address))) {
        throw new AdoError("unreachable", `${host} resolves to a private address; an operator must list it in ADO_SERVER_HOSTS`);
      }
    }
    this.hostChecked = true;
  }

  async request<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    if (o.raw) return (await this.send(method, path, o, async (res) => res)) as unknown as T;
    return this.send(method, path, o, async (res) => {
      const text = await res.text().catch(() => {
        throw new AdoError("unreachable", "The connection to Azure DevOps broke while reading the response", { path });
      });
      if (!text) return undefined as T;
      try {
        return this.storable(JSON.parse(text) as T, text);
      } catch {
        // A truncated body is a transport failure, not a server answer.
        throw new AdoError("unreachable", "Azure DevOps sent an incomplete or non-JSON response", { path, status: res.status });
      }
    });
  }

  /**
   * A request whose answer `read` turns into a value (e.g. a zip to unzip); a failure of `read` is
   * retried like a transport fault, so a body cut mid-stream is fetched again.
   */
  readWith<T>(method: string, path: string, o: RequestOptions, read: (res: Response) => Promise<T>): Promise<T> {
    return this.send(method, path, o, read);
  }

  get<T = unknown>(path: string, o: RequestOptions = {}) {
    return this.request<T>("GET", path, o);
  }
  post<T = unknown>(path: string, body: unknown, o: RequestOptions = {}) {
    return this.request<T>("POST", path, { ...o, body });
  }
  patch<T = unknown>(path: string, body: unknown, o: RequestOptions = {}) {
    return this.request<T>("PATCH", path, { ...o, body });
  }
  delete<T = unknown>(path: string, o: RequestOptions = {}) {
    return this.request<T>("DELETE", path, o);
  }

  /** Follows `x-ms-continuationtoken` pages (projects, refs) and yields each page's `value`. */
  async *pages<T>(path: string, o: RequestOptions = {}): AsyncGenerator<T[]> {
    let token: string | undefined;
    do {
      const page = await this.send("GET", path, { ...o, query: { ...o.query, continuationToken: token } }, async (res) => {
        const text = await res.text();
        return {
          body: (text ? this.storable(JSON.parse(text), text) : {}) as { value?: T[] },
          next: res.headers.get("x-ms-continuationtoken") ?? undefined,
        };
      }).catch((e: unknown) => {
        if (e instanceof AdoError) throw e;
        throw new AdoError("unreachable", "Azure DevOps sent an incomplete or non-JSON response", { path });
      });
      yield page.body.value ?? [];
      token = page.next;
    } while (token);
  }

  /** Error text without this client's credential in any spelling, nor any other known secret. */
  private scrub(text: string): string {
    return scrubSecrets(text, [this.opts.auth.type === "pat" ? this.opts.auth.pat : this.opts.auth.token]);
  }

  /** Work item titles, names, messages: what Azure DevOps sends is stored, so NUL and lone surrogates are replaced. */
  private storable<T>(parsed: T, text: string): T {
    return mayHoldUnstorable(text) ? this.replaced.deep(parsed) : parsed;
  }

  private headers(o: RequestOptions): Record<string, string> {
    const h: Record<string, string> = {
      Accept: o.accept ?? "application/json",
      "X-TFS-FedAuthRedirect": "Suppress",
      "User-Agent": "testops-azure-devops/0.1",
    };
    h.Authorization =
      this.opts.auth.type === "pat"
        ? `Basic ${Buffer.from(`:${this.opts.auth.pat}`).toString("base64")}`
        : `Bearer ${this.opts.auth.token}`;
    if (o.body !== undefined) h["Content-Type"] = o.contentType ?? "application/json";
    return h;
  }

  /**
   * Sends a request and reads its answer with `read`, retrying every transient fault: connection
   * errors, 5xx, 429 and bodies cut in the middle (reading is part of the attempt). Waits follow
   * Retry-After (429) or exponential backoff and stop when they would exceed the time budget
   * (`retryBudgetMs`) or the attempt cap (`maxRetries`), whichever comes first.
   */
  private async send<T>(method: string, path: string, o: RequestOptions, read: (res: Response) => Promise<T>): Promise<T> {
    await this.checkHost();
    const url = this.url(path, o.query, o.apiVersion);
    const maxRetries = this.opts.maxRetries ?? 12;
    const budgetMs = this.opts.retryBudgetMs ?? 120_000;
    let waited = 0;
    const scope = scopeForPath(`/${path}`, method);
    const retrySafe = o.idempotent ?? (["GET", "HEAD", "PUT", "DELETE"].includes(method) || READ_ONLY_POST.test(path));
    /** Sleeps before the next attempt when the cap and the budget allow it; false = give up. */
    const retryAfter = async (attempt: number, ms: number): Promise<boolean> => {
      if (attempt >= maxRetries || waited + ms > budgetMs || o.signal?.aborted) return false;
      waited += ms;
      await this.sleep(ms);
      return true;
    };
    for (let attempt = 0; ; attempt++) {
      const wait = this.throttle.waitMs(Date.now());
      if (wait > 0) {
        this.throttle.delays++;
        await this.sleep(wait);
      }
      let res: Response;
      const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
      try {
        this.requests++;
        res = await this.fetchImpl(url, {
          method,
          headers: this.headers(o),
          body:
            o.body === undefined
              ? undefined
              : typeof o.body === "string" || o.body instanceof Uint8Array
                ? (o.body as BodyInit)
                : JSON.stringify(o.body),
          signal: o.signal ? AbortSignal.any([o.signal, timeout]) : timeout,
          redirect: "manual",
        });
      } catch (e) {
        if (o.signal?.aborted) throw e;
        if (retrySafe && (await retryAfter(attempt, backoff(attempt)))) continue;
        // fetch says "fetch failed"; the reason (refused, private address, TLS) is its cause.
        const why = this.scrub(
          timeout.aborted ? "timed out" : (((e as Error).cause as Error | undefined)?.message ?? (e as Error).message),
        );
        throw new AdoError("unreachable", `Could not reach Azure DevOps at ${this.opts.org.url}: ${why}`, { path });
      }
      this.throttle.observe(res.headers, Date.now());
      if (res.ok && res.status !== 203) {
        try {
          return await read(res);
        } catch (e) {
          // A body cut mid-stream (reset, truncation): the answer never fully arrived, so ask again.
          if (o.signal?.aborted || !retrySafe || !(await retryAfter(attempt, backoff(attempt)))) throw e;
          continue;
        }
      }

      if (res.status === 429) {
        const ra = Number(res.headers.get("retry-after")) || 2 ** Math.min(attempt, 6);
        await res.body?.cancel();
        this.opts.logger?.warn("ado throttled", { path, retryAfter: ra });
        // A throttled request was not processed: always safe to send again.
        if (await retryAfter(attempt, ra * 1000)) continue;
        throw await this.toError(res, path, scope);
      }
      if (retrySafe && RETRYABLE_STATUS.has(res.status)) {
        await res.body?.cancel();
        if (await retryAfter(attempt, backoff(attempt))) continue;
        throw new AdoError("server", `Azure DevOps answered ${res.status}`, { status: res.status, path });
      }
      throw await this.toError(res, path, scope);
    }
  }

  /** One scope-free call with the same credentials: 401 there too means the user, not the scope. */
  private async ownerLostAccess(path: string): Promise<boolean> {
    if (/^_apis\/connectionData\b/i.test(path)) return true;
    try {
      this.requests++;
      const res = await this.fetchImpl(this.url("_apis/connectionData"), {
        headers: this.headers({}),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
        redirect: "manual",
      });
      await res.body?.cancel();
      return res.status === 401 || res.status === 203;
    } catch {
      return false;
    }
  }

  private async toError(res: Response, path: string, scope: string): Promise<AdoError> {
    const type = res.headers.get("content-type") ?? "";
    const text = await res.text().catch(() => "");
    let body: unknown;
    try {
      body = type.includes("json") ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    // Azure DevOps (or a proxy in front of it) may echo the request's credentials in its error text.
    const raw = messageOf(body === undefined ? body : this.storable(body, text));
    const adoMessage = raw === undefined ? undefined : this.scrub(raw);
    const details = { status: res.status, path, adoMessage };
    if (
      res.status === 203 ||
      (res.status >= 300 && res.status < 400) ||
      (res.status === 401 && !adoMessage?.includes("TF400813: The user"))
    ) {
      return new AdoError("bad_credentials", "Azure DevOps rejected the credentials: the PAT is wrong, expired or revoked", details);
    }
    if (res.status === 401) {
      // "TF400813: The user … is not authorized" is also what a valid PAT gets once its owner lost access
      // to the organization; connectionData needs no scope, so its answer tells the two apart.
      if (await this.ownerLostAccess(path))
        return new AdoError(
          "bad_credentials",
          "Azure DevOps rejected the credentials: the PAT's owner no longer has access to this organization",
          { ...details, lostAccess: true },
        );
      return new AdoError("missing_scope", `The PAT is missing the ${scope} scope`, { ...details, scope });
    }
    if (res.status === 403) return new AdoError("forbidden", adoMessage ?? "Permission denied by Azure DevOps", details);
    if (res.status === 404) return new AdoError("not_found", adoMessage ?? "Not found in Azure DevOps", details);
    if (res.status === 409 || res.status === 412) return new AdoError("conflict", adoMessage ?? "Conflict", details);
    if (res.status === 429) {
      return new AdoError("throttled", "Azure DevOps is throttling requests; try again later", {
        ...details,
        retryAfterSec: Number(res.headers.get("retry-after")) || undefined,
      });
    }
    if (res.status >= 500) return new AdoError("server", `Azure DevOps answered ${res.status}`, details);
    return new AdoError("bad_request", adoMessage ?? `Azure DevOps answered ${res.status}`, details);
  }
}

/** Exponential backoff with jitter: 0.5s, 1s, 2s, 4s … capped at 30 s (+ up to 25%). */
export function backoff(attempt: number): number {
  const base = Math.min(500 * 2 ** attempt, 30_000);
  return base + Math.floor(Math.random() * base * 0.25);
}

/** Splits ids into the 200-id batches ADO accepts (workitemsbatch, VS403474 above). */
export function chunk<T>(items: T[], size = 200): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
