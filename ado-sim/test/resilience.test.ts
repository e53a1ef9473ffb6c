import { createServer } from "node:http";
import { createSimulator, DEMO_PATS, startSimulator } from "../src/index";
import { basic, client, demoSim, FIXED_NOW, ORG } from "./helpers";

describe("throttling", () => {
  test("headers near the limit, then 429 with TF400733 and Retry-After", async () => {
    const sim = createSimulator({ clock: () => FIXED_NOW, rateLimit: { limit: 10, costPerRequest: 1, warnRatio: 0.5, blockRatio: 1 } });
    const c = client(sim);
    const statuses: number[] = [];
    let warned: Headers | undefined;
    for (let i = 0; i < 12; i++) {
      const r = await c.get("/_apis/projects");
      statuses.push(r.status);
      if (r.status === 200 && r.headers.get("x-ratelimit-remaining") && !warned) warned = r.headers;
      if (r.status === 429) {
        expect(r.json.message).toMatch(/^TF400733: The request has been canceled/);
        expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
        expect(r.headers.get("x-ratelimit-limit")).toBe("10");
        expect(r.headers.get("x-ratelimit-remaining")).toBe("0");
        expect(r.headers.get("x-ratelimit-resource")).toBeTruthy();
        expect(Number(r.headers.get("x-ratelimit-reset"))).toBeGreaterThan(FIXED_NOW.getTime() / 1000);
      }
    }
    expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    expect(warned?.get("retry-after")).toBeTruthy();
    // Per identity: another user is not throttled.
    expect((await client(sim, DEMO_PATS.member).get("/_apis/projects")).status).toBe(200);
  });

  test("over the limit requests are delayed server-side and say so (X-RateLimit-Delay); far over it, 429", async () => {
    const sim = createSimulator({
      clock: () => FIXED_NOW,
      rateLimit: { limit: 4, costPerRequest: 1, warnRatio: 0.5, delayMs: 150, blockRatio: 1.5 },
    });
    const c = client(sim);
    const out: { status: number; delay: string | null }[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await c.get("/_apis/projects");
      out.push({ status: r.status, delay: r.headers.get("x-ratelimit-delay") });
    }
    // Requests 5 and 6 are over the limit of 4: answered, after the delay they report; 7 is beyond 4 × 1.5.
    expect(out.map((o) => o.status)).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(out.map((o) => o.delay)).toEqual([null, "0.000", "0.000", "0.000", "0.150", "0.150", expect.any(String)]);
  });

  test("the sliding window frees capacity as time passes", async () => {
    let now = FIXED_NOW.getTime();
    const sim = createSimulator({
      clock: () => new Date(now),
      rateLimit: { limit: 2, costPerRequest: 1, windowMs: 60_000, blockRatio: 1 },
    });
    const c = client(sim);
    expect((await c.get("/_apis/projects")).status).toBe(200);
    expect((await c.get("/_apis/projects")).status).toBe(200);
    expect((await c.get("/_apis/projects")).status).toBe(429);
    now += 61_000;
    expect((await c.get("/_apis/projects")).status).toBe(200);
  });

  test("default settings never throttle ordinary use", async () => {
    const sim = demoSim();
    const c = client(sim);
    for (let i = 0; i < 300; i++) expect((await c.get("/_apis/wit/workitems/1")).headers.get("x-ratelimit-remaining")).toBeNull();
  });
});

describe("faults (in-process)", () => {
  test("5xx rate, deterministic for a seed, limited by count and match", async () => {
    const run = async () => {
      const sim = demoSim();
      sim.faults.set({ errorRate: 0.5, seed: 7, match: "/wit/" });
      const c = client(sim);
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await c.get("/_apis/wit/workitems/1")).status);
      expect((await c.get("/_apis/projects")).status).toBe(200); // not matched
      return out;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(a.some((s) => s === 500 || s === 503)).toBe(true);
    expect(a.some((s) => s === 200)).toBe(true);
    const sim = demoSim();
    sim.faults.set({ errorRate: 1, count: 2 });
    const c = client(sim);
    expect([
      (await c.get("/_apis/projects")).status,
      (await c.get("/_apis/projects")).status,
      (await c.get("/_apis/projects")).status,
    ]).toEqual([expect.any(Number), expect.any(Number), 200]);
    expect(sim.requestLog.count({ status: 200 })).toBe(1);
  });

  test("429 storm, resets and truncated bodies", async () => {
    const sim = demoSim();
    const c = client(sim);
    sim.faults.set({ throttle: { rate: 1, retryAfterSeconds: 3 }, count: 1 });
    const t = await c.get("/_apis/projects");
    expect(t.status).toBe(429);
    expect(t.headers.get("retry-after")).toBe("3");
    sim.faults.set({ resetRate: 1, count: 1 });
    await expect(sim.fetch(`${ORG}/_apis/projects?api-version=7.1`, { headers: basic(DEMO_PATS.admin) })).rejects.toThrow(TypeError);
    sim.faults.set({ truncateRate: 1, count: 1 });
    const res = await sim.fetch(`${ORG}/_apis/projects?api-version=7.1`, { headers: basic(DEMO_PATS.admin) });
    await expect(res.json()).rejects.toThrow();
    sim.faults.clear();
    expect((await c.get("/_apis/projects")).status).toBe(200);
  });
});

describe("faults over a real port", () => {
  test("reset destroys the socket, truncation cuts the body, /_sim/faults controls it", async () => {
    const sim = await startSimulator({ seed: { katalonRepos: false, workItems: 20 } });
    try {
      const url = `${sim.url}/fabrikam/_apis/projects?api-version=7.1`;
      const headers = basic(DEMO_PATS.admin);
      expect((await fetch(url, { headers })).status).toBe(200);
      await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ resetRate: 1, count: 1 }) });
      await expect(fetch(url, { headers })).rejects.toThrow("fetch failed");
      await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ truncateRate: 1, count: 1 }) });
      await expect(fetch(url, { headers }).then((r) => r.json())).rejects.toThrow();
      await fetch(`${sim.url}/_sim/faults`, { method: "POST", body: JSON.stringify({ errorRate: 1, match: "projects" }) });
      expect([500, 503]).toContain((await fetch(url, { headers })).status);
      await fetch(`${sim.url}/_sim/faults`, { method: "DELETE" });
      expect((await fetch(url, { headers })).status).toBe(200);
      const log = await (await fetch(`${sim.url}/_sim/requests`)).json();
      expect(log.filter((e: { path: string }) => e.path === "/fabrikam/_apis/projects").length).toBe(5);
    } finally {
      await sim.close();
    }
  });
});

describe("request log", () => {
  test("counts calls by method, path and status", async () => {
    const sim = demoSim();
    const c = client(sim);
    await c.get("/_apis/wit/workitems/1");
    await c.post("/_apis/wit/workitemsbatch", { ids: [1, 2] });
    await c.get("/_apis/wit/workitems/999999");
    expect(sim.requestLog.count({ pathIncludes: "/wit/" })).toBe(3);
    expect(sim.requestLog.count({ method: "POST" })).toBe(1);
    expect(sim.requestLog.count({ status: 404 })).toBe(1);
    sim.requestLog.clear();
    expect(sim.requestLog.entries()).toEqual([]);
  });
});

describe("webhooks to a receiver that is down do not block the API", () => {
  test("the API call returns before delivery finishes", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const sim = demoSim({ deliver: async () => (await gate, new Response("ok")) });
    const c = client(sim);
    await c.post("/_apis/hooks/subscriptions", {
      publisherId: "tfs",
      eventType: "workitem.created",
      consumerId: "webHooks",
      consumerActionId: "httpRequest",
      publisherInputs: {},
      consumerInputs: { url: "https://receiver.example/hook" },
    });
    const created = await c.jsonPatch("POST", "/Fabrikam Fiber/_apis/wit/workitems/$Task", [
      { op: "add", path: "/fields/System.Title", value: "t" },
    ]);
    expect(created.status).toBe(200);
    expect(sim.deliveries()).toHaveLength(0);
    release();
    await sim.flushDeliveries();
    expect(sim.deliveries()).toHaveLength(1);
    void createServer;
  });
});
