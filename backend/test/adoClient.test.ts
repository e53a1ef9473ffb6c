import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { AdoClient, type AdoClientOptions } from "../src/ado/client";
import { connectionData, getWorkItemsBatch, listProjects } from "../src/ado/endpoints";
import { AdoError } from "../src/ado/errors";
import { parseOrganizationUrl, type OrgUrl } from "../src/ado/urls";

const sim = createSimulator();
const SIM_URL = "http://ado-sim.test";
const fabrikam = (parseOrganizationUrl("https://dev.azure.com/fabrikam") as { value: OrgUrl }).value;

/** The simulator's in-process fetch, with every request the client sent recorded. */
function recordingFetch(inner: typeof fetch = sim.fetch) {
  const sent: { url: string; method: string; headers: Headers; body?: string }[] = [];
  const f = (async (input: RequestInfo | URL, init?: RequestInit) => {
    sent.push({
      url: String(input),
      method: init?.method ?? "GET",
      headers: new Headers(init?.headers),
      body: init?.body as string | undefined,
    });
    return inner(input, init);
  }) as typeof fetch;
  return { fetch: f, sent };
}

function client(o: Partial<AdoClientOptions> = {}) {
  const sleeps: number[] = [];
  const rec = recordingFetch(o.fetch);
  const c = new AdoClient({
    org: fabrikam,
    auth: { type: "pat", pat: DEMO_PATS.admin },
    simulatorUrl: SIM_URL,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...o,
    fetch: rec.fetch,
  });
  return { c, sleeps, sent: rec.sent };
}

const caught = async (p: Promise<unknown>): Promise<AdoError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof AdoError) return e;
    throw e;
  }
  throw new Error("expected an AdoError");
};

beforeEach(() => {
  sim.faults.clear();
  sim.throttle.reset();
  sim.requestLog.clear();
  sim.throttle.configure({ limit: 200, costPerRequest: 0.001, warnRatio: 0.8 });
});

describe("AdoClient against the simulator", () => {
  it("authenticates with the PAT, suppresses sign-in redirects and pins api-version 7.1", async () => {
    const { c, sent } = client();
    const who = await connectionData(c);
    expect(who.authenticatedUser.providerDisplayName).toBe("Ada Admin");
    await c.get("_apis/projects");
    const h = sent[1].headers;
    expect(h.get("authorization")).toBe(`Basic ${Buffer.from(`:${DEMO_PATS.admin}`).toString("base64")}`);
    expect(h.get("x-tfs-fedauthredirect")).toBe("Suppress");
    expect(new URL(sent[1].url).searchParams.get("api-version")).toBe("7.1");
    expect(sent[1].url.startsWith(`${SIM_URL}/fabrikam/_apis/projects`)).toBe(true);
  });

  it("retries 5xx answers with growing backoff, then succeeds", async () => {
    sim.faults.set({ errorRate: 1, count: 2 });
    const { c, sleeps } = client();
    const res = await c.get<{ count: number }>("_apis/projects");
    expect(res.count).toBeGreaterThan(0);
    expect(c.requests).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(500);
    expect(sleeps[0]).toBeLessThan(700);
    expect(sleeps[1]).toBeGreaterThanOrEqual(1000);
    expect(sleeps[1]).toBeLessThan(1300);
  });

  it("never repeats a create after a 5xx or a reset (ADO may have applied it), but repeats read-only POSTs", async () => {
    sim.faults.set({ errorRate: 1, count: 1 });
    const create = client();
    const e = await caught(
      create.c.post("Fabrikam%20Fiber/_apis/wit/workitems/$Bug", [{ op: "add", path: "/fields/System.Title", value: "x" }], {
        contentType: "application/json-patch+json",
      }),
    );
    expect(e.kind).toBe("server");
    expect(create.c.requests).toBe(1);
    sim.faults.set({ resetRate: 1, count: 1 });
    const wiql = client();
    const ids = await wiql.c.post<{ workItems: unknown[] }>("Fabrikam%20Fiber/_apis/wit/wiql", {
      query: "SELECT [System.Id] FROM WorkItems",
    });
    expect(ids.workItems.length).toBeGreaterThan(0);
    expect(wiql.c.requests).toBe(2);
  });

  it("retries connection resets", async () => {
    sim.faults.set({ resetRate: 1, count: 2 });
    const { c } = client();
    expect((await c.get<{ count: number }>("_apis/projects")).count).toBeGreaterThan(0);
    expect(c.requests).toBe(3);
  });

  it("gives up after its retries with a typed error", async () => {
    sim.faults.set({ errorRate: 1 });
    const a = client({ maxRetries: 2 });
    const e = await caught(a.c.get("_apis/projects"));
    expect(e.kind).toBe("server");
    expect(a.c.requests).toBe(3);
    sim.faults.set({ resetRate: 1 });
    const b = client({ maxRetries: 1 });
    expect((await caught(b.c.get("_apis/projects"))).kind).toBe("unreachable");
  });

  it("a body cut in the middle is fetched again; one that never arrives whole is a transport failure, not data", async () => {
    sim.faults.set({ truncateRate: 1, count: 2 });
    const once = client();
    expect((await once.c.get<{ count: number }>("_apis/projects")).count).toBeGreaterThan(0);
    expect(once.c.requests).toBe(3);
    sim.faults.set({ truncateRate: 1 });
    const always = client({ maxRetries: 2 });
    expect((await caught(always.c.get("_apis/projects"))).kind).toBe("unreachable");
    expect(always.c.requests).toBe(3);
  });

  it("continuation pages and zips cut mid-stream are fetched again too", async () => {
    sim.faults.set({ truncateRate: 1, count: 1 });
    const { c } = client();
    const projects = await listProjects(c, { pageSize: 2 });
    expect(projects.length).toBe(sim.state.orgs.get("fabrikam")!.projects.length);
    expect(c.requests).toBe(Math.ceil(projects.length / 2) + 1);
  });

  it("retries a mix of faults for as long as its time budget allows, not a fixed small count", async () => {
    // Eight faults in a row (5xx, resets, cut bodies, 429s) exceed the old 4-retry cap but not the budget.
    // truncateRate 1 is the fallback when no other fault is rolled: each of the 8 requests fails somehow.
    sim.faults.set({ resetRate: 0.25, errorRate: 0.3, throttle: { rate: 0.3, retryAfterSeconds: 2 }, truncateRate: 1, count: 8, seed: 7 });
    const ok = client();
    expect((await ok.c.get<{ count: number }>("_apis/projects")).count).toBeGreaterThan(0);
    expect(ok.c.requests).toBe(9);
    // A Retry-After longer than what is left of the budget ends the retries with a typed error.
    sim.faults.set({ throttle: { rate: 1, retryAfterSeconds: 50 } });
    const out = client({ retryBudgetMs: 120_000 });
    const e = await caught(out.c.get("_apis/projects"));
    expect(e.kind).toBe("throttled");
    // 2 waits of 50 s fit in 120 s, a third does not: three requests in all.
    expect(out.c.requests).toBe(3);
  });

  it("waits as long as Retry-After says on 429, then succeeds", async () => {
    sim.faults.set({ throttle: { rate: 1, retryAfterSeconds: 7 }, count: 1 });
    const { c, sleeps } = client();
    expect((await c.get<{ count: number }>("_apis/projects")).count).toBeGreaterThan(0);
    expect(sleeps[0]).toBe(7000);
    expect(c.requests).toBe(2);
  });

  it("slows down when X-RateLimit-* headers warn, before Azure DevOps blocks anything", async () => {
    sim.throttle.configure({ limit: 10, costPerRequest: 1, warnRatio: 0.5 });
    const { c, sleeps } = client();
    for (let i = 0; i < 7; i++) await c.get("_apis/projects", { query: { $top: 1 } });
    expect(c.throttle.limit).toBe(10);
    expect(c.throttle.remaining).toBeLessThan(5);
    expect(c.throttle.delays).toBeGreaterThan(0);
    expect(sleeps.some((ms) => ms > 0)).toBe(true);
    expect(sim.requestLog.entries().some((e) => e.status === 429)).toBe(false);
  });

  it("does not wait again for the delay Azure DevOps already applied (X-RateLimit-Delay)", async () => {
    // A delayed answer as the docs list its headers, without Retry-After.
    const delayed = (async () =>
      new Response(JSON.stringify({ count: 0, value: [] }), {
        status: 200,
        headers: { "content-type": "application/json", "X-RateLimit-Delay": "5.000", "X-RateLimit-Resource": "ATCPU" },
      })) as typeof fetch;
    const { c, sleeps } = client({ fetch: delayed });
    await c.get("_apis/projects");
    await c.get("_apis/projects");
    expect(sleeps).toEqual([250]);
    expect(c.throttle.delays).toBe(1);
  });

  it("a throttled organization ends in a typed error with the retry delay", async () => {
    sim.faults.set({ throttle: { rate: 1, retryAfterSeconds: 3 } });
    const { c } = client({ maxRetries: 1 });
    const e = await caught(c.get("_apis/projects"));
    expect(e.kind).toBe("throttled");
    expect(e.details.retryAfterSec).toBe(3);
  });

  it("follows continuation tokens", async () => {
    const { c } = client();
    const projects = await listProjects(c, { pageSize: 2 });
    const all = sim.state.orgs.get("fabrikam")!.projects;
    expect(projects.map((p) => p.name).sort()).toEqual(all.map((p) => p.name).sort());
    expect(c.requests).toBe(Math.ceil(all.length / 2));
  });

  it("reads work items in batches of at most 200 ids and skips missing ones", async () => {
    const { c, sent } = client();
    const max = sim.state.orgs.get("fabrikam")!.workItems.maxId();
    const ids = Array.from({ length: 450 }, (_, i) => i + 1);
    const items = await getWorkItemsBatch(c, ids, { fields: ["System.Title"] });
    const batches = sent.filter((s) => s.url.includes("workitemsbatch")).map((s) => JSON.parse(s.body!).ids.length);
    expect(batches).toEqual([200, 200, 50]);
    expect(items.length).toBe(Math.min(450, max) - sim.state.orgs.get("fabrikam")!.workItems.deleted.size);
    expect(items[0].fields!["System.Title"]).toEqual(expect.any(String));
  });

  it.each([
    ["a wrong PAT", "bad_credentials", { auth: { type: "pat" as const, pat: "wrongwrongwrongwrongwrong" } }, "_apis/projects", "GET"],
    ["an expired PAT", "bad_credentials", { auth: { type: "pat" as const, pat: DEMO_PATS.expired } }, "_apis/projects", "GET"],
    ["a missing work item", "not_found", {}, "_apis/wit/workitems/987654", "GET"],
  ])("turns %s into %s", async (_n, kind, o, path, method) => {
    const { c } = client(o);
    const e = await caught(c.request(method, path));
    expect(e.kind).toBe(kind);
    expect(c.requests).toBe(1); // nothing worth retrying
    expect(e.message).not.toContain(DEMO_PATS.expired);
  });

  it("names the missing scope", async () => {
    const { c } = client({ auth: { type: "pat", pat: DEMO_PATS.readOnly } });
    const e = await caught(
      c.patch("Fabrikam Fiber/_apis/wit/workitems/1", [{ op: "test", path: "/rev", value: -1 }], {
        contentType: "application/json-patch+json",
      }),
    );
    expect(e.kind).toBe("missing_scope");
    expect(e.details.scope).toBe("vso.work_write");
    expect(e.message).toContain("vso.work_write");
  });

  it("tells the two TF400813 shapes apart: a missing scope, and a PAT whose owner left the organization", async () => {
    const other = createSimulator();
    const pat = other.addPat({ userId: DEMO_USERS.member.id, org: "fabrikam", scopes: ["vso.project"] });
    const { c } = client({ fetch: other.fetch, auth: { type: "pat", pat: pat.token } });
    const scope = await caught(c.get("Fabrikam Fiber/_apis/wit/workitemtypes"));
    expect([scope.kind, scope.details.scope]).toEqual(["missing_scope", "vso.work"]);
    other.state.orgs.get("fabrikam")!.members.delete(DEMO_USERS.member.id);
    const gone = await caught(c.get("Fabrikam Fiber/_apis/wit/workitemtypes"));
    expect(gone).toMatchObject({ kind: "bad_credentials", details: { lostAccess: true } });
    expect(gone.message).toContain("no longer has access");
    expect((await caught(c.get("_apis/connectionData"))).kind).toBe("bad_credentials");
  });

  it("treats a 203 sign-in page as bad credentials", async () => {
    const signIn = (async () =>
      new Response("<html>Sign in</html>", { status: 203, headers: { "content-type": "text/html" } })) as typeof fetch;
    const { c } = client({ fetch: signIn });
    expect((await caught(c.get("_apis/projects"))).kind).toBe("bad_credentials");
  });

  it("times out a request that never answers", async () => {
    const hang = ((_u: RequestInfo | URL, init?: RequestInit) =>
      new Promise((_r, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason)))) as typeof fetch;
    const { c } = client({ fetch: hang, timeoutMs: 20, maxRetries: 0 });
    const e = await caught(c.get("_apis/projects"));
    expect(e.kind).toBe("unreachable");
    expect(e.message).toContain("timed out");
  });

  it("SSRF guard: never calls an Azure DevOps Server host that resolves to a private address unless allowed", async () => {
    const local: OrgUrl = { url: "https://localhost/tfs/DefaultCollection", name: "DefaultCollection", kind: "server", host: "localhost" };
    const answer = (async () =>
      new Response('{"count":0,"value":[]}', { status: 200, headers: { "content-type": "application/json" } })) as typeof fetch;
    const blocked = client({ org: local, simulatorUrl: undefined, fetch: answer });
    const e = await caught(blocked.c.get("_apis/projects"));
    expect(e.kind).toBe("unreachable");
    expect(e.message).toContain("ADO_SERVER_HOSTS");
    expect(blocked.sent).toEqual([]);
    const allowed = client({ org: local, simulatorUrl: undefined, fetch: answer, allowedHosts: ["localhost"] });
    await allowed.c.get("_apis/projects");
    expect(allowed.sent.map((s) => new URL(s.url).host)).toEqual(["localhost"]);
    expect(parseOrganizationUrl("https://192.168.1.10/tfs/Coll")).toMatchObject({ ok: false, reason: expect.stringContaining("private") });
    expect(parseOrganizationUrl("https://192.168.1.10/tfs/Coll", ["192.168.1.10"])).toMatchObject({ ok: true });
  });
});
