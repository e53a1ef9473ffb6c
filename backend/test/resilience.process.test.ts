import { DEMO_PATS, DEMO_USERS, startSimulator, type RunningSimulator } from "@testops/ado-sim";
import { Client } from "pg";
import { AdoClient } from "../src/ado/client";
import { suggestedConfig } from "./boards-fixtures";
import { authHeaders } from "./helpers";
import { freshDatabase, sleep, spawnBackend, terminateConnections, waitFor, type BackendProcess } from "./processes";

/**
 * Claims about processes, tested with processes: two replicas of `backend/src/server.ts` on one
 * fresh Postgres database and the simulator on a real port. Database connections are terminated
 * (what a restart or failover does), a replica is SIGKILLed mid-job, and the backend is down
 * while Azure DevOps fires hooks.
 */
describe("backend replicas on Postgres (real processes)", () => {
  let sim: RunningSimulator;
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let sql: Client;
  let replicas: BackendProcess[] = [];
  let headers: Record<string, string>;
  let linkId: string;
  const fiber = () => sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Fabrikam Fiber")!;

  const env = () => ({ DATABASE_URL: db.url, ENCRYPTION_KEY: KEY, ADO_SIMULATOR_URL: sim.url });
  const KEY = `k1:${Buffer.alloc(32, 7).toString("base64")}`;
  async function api<T = any>(r: BackendProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${r.url}${path}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const job = async (id: string) =>
    (
      await sql.query<{ status: string; worker: string | null; error: string | null; attempts: number }>(
        `SELECT * FROM jobs WHERE id = $1`,
        [id],
      )
    ).rows[0];
  const requirements = async () =>
    (
      await sql.query<{ ado_id: number; title: string }>(
        `SELECT ado_id, title FROM boards_requirements WHERE link_id = $1 AND NOT removed ORDER BY ado_id`,
        [linkId],
      )
    ).rows;
  const ready = async (r: BackendProcess) => (await fetch(`${r.url}/readyz`)).status;

  beforeAll(async () => {
    sim = await startSimulator({
      port: 0,
      seed: { workItems: 300 },
      hooks: { retryDelaysMs: [100, 100], maxProbationRetries: 1, allowLocalTargets: true },
    });
    db = await freshDatabase();
    sql = new Client({ connectionString: db.url });
    sql.on("error", () => undefined);
    headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) await r.kill();
    await sql.end().catch(() => undefined);
    await db.drop();
    await sim.close();
  });

  it("two replicas started at the same moment on a fresh database both come up (queue setup is serialised)", async () => {
    replicas = await Promise.all([spawnBackend(env()), spawnBackend(env())]);
    for (const r of replicas) expect(await ready(r)).toBe(200);
    await sql.connect();
    expect(replicas.every((r) => r.alive())).toBe(true);
    expect(replicas.map((r) => r.output()).join("\n")).not.toMatch(/deadlock/i);
  }, 240_000);

  it("a Boards link syncs through the real processes", async () => {
    const conn = await api(replicas[0], "POST", "/api/connections", {
      name: "Fabrikam",
      organizationUrl: "https://dev.azure.com/fabrikam",
      pat: DEMO_PATS.admin,
    });
    expect(conn.status).toBe(201);
    const client = new AdoClient({
      org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
      auth: { type: "pat", pat: DEMO_PATS.admin },
      simulatorUrl: sim.url,
    });
    const config = await suggestedConfig(client, { id: fiber().id, name: fiber().name });
    const saved = await api(replicas[1], "POST", "/api/boards/links", { config, proceed: true });
    expect(saved.status).toBe(201);
    linkId = saved.body.link.id;
    await waitFor(async () => (await job(saved.body.job.id))?.status === "succeeded", "first sync", 60_000);
    expect((await requirements()).length).toBeGreaterThan(10);
  }, 120_000);

  it("terminating every database connection mid-sync: both processes keep serving and the sync still completes", async () => {
    const before = await requirements();
    // Slow Azure DevOps down so the sync is still running when the connections go.
    sim.faults.set({ latencyMs: 150, match: "/_apis/wit/" });
    const started = await api(replicas[0], "POST", `/api/boards/links/${linkId}/sync`, { full: true });
    expect(started.status).toBe(202);
    const id = started.body.job.id as string;
    await waitFor(async () => (await job(id))?.status === "running", "sync running", 30_000);
    for (let i = 0; i < 3; i++) {
      expect(await terminateConnections(db.name)).toBeGreaterThan(0);
      await sleep(700);
    }
    await sql.end().catch(() => undefined);
    sql = new Client({ connectionString: db.url });
    sql.on("error", () => undefined);
    await sql.connect();
    sim.faults.clear();
    for (const r of replicas) {
      expect(r.alive()).toBe(true);
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
      await waitFor(async () => (await ready(r)) === 200, "readiness back", 20_000);
    }
    // Retried (transient) or taken over (heartbeat lost): either way it ends succeeded, within the takeover bound.
    const done = await waitFor(
      async () => {
        const j = await job(id);
        return j && ["succeeded", "failed"].includes(j.status) ? j : undefined;
      },
      "sync after connection loss",
      90_000,
    );
    expect(done).toMatchObject({ status: "succeeded" });
    expect(await requirements()).toEqual(before);
    expect(replicas.map((r) => r.output()).join("\n")).toContain("database connection lost");
  }, 180_000);

  it("readiness goes red while the database refuses connections, the process keeps answering, and recovers", async () => {
    await sql.end().catch(() => undefined);
    await (await import("./processes")).adminQuery(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS false`);
    await terminateConnections(db.name);
    try {
      for (const r of replicas) await waitFor(async () => (await ready(r)) === 503, "readiness red", 20_000);
      for (const r of replicas) {
        expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
        expect(r.alive()).toBe(true);
      }
    } finally {
      await (await import("./processes")).adminQuery(`ALTER DATABASE "${db.name}" ALLOW_CONNECTIONS true`);
    }
    for (const r of replicas) await waitFor(async () => (await ready(r)) === 200, "readiness green again", 30_000);
    sql = new Client({ connectionString: db.url });
    sql.on("error", () => undefined);
    await sql.connect();
    expect(replicas.every((r) => r.alive())).toBe(true);
  }, 120_000);

  it("a replica killed mid-job: the other takes the job over within 60 s and the result equals a clean run", async () => {
    const clean = await requirements();
    sim.faults.set({ latencyMs: 300, match: "/_apis/wit/" });
    const started = await api(replicas[0], "POST", `/api/boards/links/${linkId}/sync`, { full: true });
    const id = started.body.job.id as string;
    const running = await waitFor(
      async () => {
        const j = await job(id);
        return j?.status === "running" && j.worker ? j : undefined;
      },
      "sync running",
      30_000,
    );
    const victim = replicas.find((r) => running.worker!.endsWith(`:${r.pid}`))!;
    const survivor = replicas.find((r) => r !== victim)!;
    await victim.kill("SIGKILL");
    const killedAt = Date.now();
    // Asking again meanwhile never starts a second job for the link.
    const again = await api(survivor, "POST", `/api/boards/links/${linkId}/sync`, {});
    expect(again.body.job.id).toBe(id);
    await waitFor(
      async () => {
        const j = await job(id);
        return j && j.worker !== running.worker && ["running", "succeeded"].includes(j.status);
      },
      "takeover",
      60_000,
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs).toBeLessThanOrEqual(60_000);
    sim.faults.clear();
    const done = await waitFor(
      async () => {
        const j = await job(id);
        return j && ["succeeded", "failed"].includes(j.status) ? j : undefined;
      },
      "taken-over job done",
      90_000,
    );
    expect(done.status).toBe("succeeded");
    expect(done.worker).toBe(`${done.worker!.split(":")[0]}:${survivor.pid}`);
    expect(await requirements()).toEqual(clean);
    replicas = [survivor, await spawnBackend(env())];
  }, 240_000);

  it("changes made while the backend is down (hooks fail) are synced within 30 s of a restart, without hooks", async () => {
    for (const r of replicas) await r.kill("SIGKILL");
    const ids = (await requirements()).slice(0, 5).map((r) => r.ado_id);
    for (const [i, wid] of ids.entries()) sim.updateWorkItem("fabrikam", wid, { "System.Title": `Changed while down ${i}` });
    await sim.flushDeliveries();
    // Azure DevOps could not deliver: every attempt failed.
    expect(sim.deliveries().filter((d) => d.eventType === "workitem.updated" && !d.ok).length).toBeGreaterThan(0);
    const restartedAt = Date.now();
    replicas = [await spawnBackend(env())];
    await waitFor(
      async () => {
        const rows = await requirements();
        return ids.every((wid, i) => rows.find((r) => r.ado_id === wid)?.title === `Changed while down ${i}`);
      },
      "catch-up",
      30_000,
    );
    expect(Date.now() - restartedAt).toBeLessThanOrEqual(30_000 + 5_000);
  }, 120_000);
});
