import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_PATS, DEMO_USERS, startSimulator, type RunningSimulator } from "@testops/ado-sim";
import { AdoClient } from "../src/ado/client";
import { suggestedConfig } from "./boards-fixtures";
import { authHeaders } from "./helpers";
import { spawnBackend, waitFor, type BackendProcess } from "./processes";

/**
 * The embedded default (PGlite in DATA_DIR, in-process runner): a backend SIGKILLed mid-sync leaves
 * its job "running"; the next start takes it over and finishes it, and "Sync now" meanwhile hands
 * back that job (now with a live worker), never a second one.
 */
type Counts = { created: number; updated: number; unchanged: number; removed: number };

describe("embedded backend (PGlite) killed mid-job (real processes)", () => {
  let sim: RunningSimulator;
  let dataDir: string;
  let backend: BackendProcess | undefined;
  let headers: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, seed: { workItems: 300 }, hooks: { retryDelaysMs: [] } });
    dataDir = mkdtempSync(path.join(tmpdir(), "testops-kill-"));
    headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
  });
  afterAll(async () => {
    await backend?.kill();
    await sim.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () => spawnBackend({ DATA_DIR: dataDir, ADO_SIMULATOR_URL: sim.url });
  async function api<T = any>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${backend!.url}${p}`, {
      method,
      headers: { ...headers, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it("the job of a killed process is taken over at the next start and converges to the clean result", async () => {
    backend = await start();
    expect(
      (await api("POST", "/api/connections", { name: "F", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }))
        .status,
    ).toBe(201);
    const fiber = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Fabrikam Fiber")!;
    const client = new AdoClient({
      org: { url: "https://dev.azure.com/fabrikam", name: "fabrikam", kind: "cloud", host: "dev.azure.com" },
      auth: { type: "pat", pat: DEMO_PATS.admin },
      simulatorUrl: sim.url,
    });
    const saved = await api("POST", "/api/boards/links", { config: await suggestedConfig(client, fiber), proceed: true });
    const linkId = saved.body.link.id as string;
    const status = async (id: string) =>
      (await api("GET", `/api/jobs/${id}`)).body as { status: string; attempts: number; result: Record<string, Counts> | null };
    await waitFor(async () => (await status(saved.body.job.id)).status === "succeeded", "first sync", 60_000);
    const clean = (await api("GET", `/api/boards/links/${linkId}`)).body;

    sim.faults.set({ latencyMs: 300, match: "/_apis/wit/" });
    const job = (await api("POST", `/api/boards/links/${linkId}/sync`, { full: true })).body.job as { id: string };
    await waitFor(async () => (await status(job.id)).status === "running", "sync running", 30_000);
    await backend.kill("SIGKILL");
    sim.faults.clear();

    const killedAt = Date.now();
    backend = await start();
    const again = await api("POST", `/api/boards/links/${linkId}/sync`, {});
    // The same job (taken over) while it is unfinished; a new one only once it has finished.
    if (again.body.job.id !== job.id) expect((await status(job.id)).status).toBe("succeeded");
    const done = await waitFor(
      async () => {
        const j = await status(job.id);
        return ["succeeded", "failed"].includes(j.status) ? j : undefined;
      },
      "taken-over job",
      60_000,
    );
    expect(Date.now() - killedAt).toBeLessThanOrEqual(60_000 + 30_000);
    expect(done).toMatchObject({ status: "succeeded", attempts: 2 });
    const after = (await api("GET", `/api/boards/links/${linkId}`)).body;
    expect(after.status).toBe("Active");
    // The resumed full sync sees exactly what the clean first sync stored: nothing new, nothing removed.
    const total = (c: Counts) => c.created + c.updated + c.unchanged;
    for (const kind of ["requirements", "bugs"] as const) {
      expect(total(done.result![kind])).toBe(total(clean.lastSync[kind] as Counts));
      expect(done.result![kind].removed).toBe(0);
    }
  }, 240_000);
});
