/**
 * Hook bursts: 100 work item edits delivered as service hooks, as fast as the simulator sends them, to a
 * backend with one live Boards link. Counts the sync jobs they cause and the ADO requests those make
 * (exact: the simulator's request log), then the requests of an incremental sync for one changed item.
 *
 *   node --import tsx bench/hook-bursts.ts                   # PGlite
 *   BENCH_DB=postgres node --import tsx bench/hook-bursts.ts
 *
 * Baselines in the same run: the same burst with HOOK_SYNC_DELAY_SECONDS=0 (no coalescing: each
 * event enqueues a job that runs at once, as before), and a manual incremental sync for one changed
 * item (it reads the iteration tree and the ids in scope, as every incremental sync did before).
 */
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { suggestedConfig, simClient } from "../backend/test/boards-fixtures";
import { authHeaders, testBackend } from "../backend/test/helpers";

const KIND = process.env.BENCH_DB === "postgres" ? "postgres" : "pglite";
const PROJECT = "Fabrikam Fiber";

async function scenario(delaySeconds: number) {
  const ref: { backend?: Awaited<ReturnType<typeof testBackend>> } = {};
  const sim = createSimulator({
    seed: { workItems: 300 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(ref.backend!.app.request(u.pathname + u.search, init));
    },
  });
  const backend = (ref.backend = await testBackend({
    kind: KIND,
    fetch: sim.fetch,
    env: { HOOK_SYNC_DELAY_SECONDS: String(delaySeconds) },
  }));
  const admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await backend.app.request(p, {
      method,
      headers: { ...admin, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await res.json()) as { link: { id: string } };
  };
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  await call("POST", "/api/connections", { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin });
  const config = await suggestedConfig(simClient(sim), { id: project.id, name: project.name });
  const linkId = (await call("POST", "/api/boards/links", { config, proceed: true })).link.id as string;
  const jobs = () =>
    backend.deps.database.query<{ status: string }>(`SELECT status FROM jobs WHERE resource_key = $1`, [`boards:${linkId}`]);
  const settled = async () => {
    for (;;) {
      await backend.deps.jobs.idle();
      if ((await jobs()).every((j) => j.status !== "queued" && j.status !== "running")) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await settled();
  const ids = (
    await backend.deps.database.query<{ ado_id: number }>(
      `SELECT ado_id FROM boards_requirements WHERE link_id = $1 AND NOT removed ORDER BY ado_id LIMIT 20`,
      [linkId],
    )
  ).map((r) => r.ado_id);

  const measure = async (f: () => Promise<void>) => {
    const before = (await jobs()).length;
    sim.requestLog.clear();
    const t0 = performance.now();
    await f();
    await sim.flushDeliveries();
    const delivered = performance.now() - t0;
    await settled();
    return {
      jobs: (await jobs()).length - before,
      requests: sim.requestLog.entries().length,
      deliveredMs: delivered,
      ms: performance.now() - t0,
    };
  };
  const burst = await measure(async () => {
    for (let i = 0; i < 100; i++) sim.updateWorkItem("fabrikam", ids[i % ids.length], { "System.Title": `Burst ${i}` });
  });
  const one = await measure(async () => {
    sim.updateWorkItem("fabrikam", ids[0], { "System.Title": "One change" });
  });
  // Baseline: an incremental sync that reads everything (what each incremental sync did before).
  sim.updateWorkItem("fabrikam", ids[1], { "System.Title": "One change, manual" });
  const manual = await measure(async () => {
    await sim.flushDeliveries();
    await settled();
    sim.requestLog.clear();
    await call("POST", `/api/boards/links/${linkId}/sync`, {});
  });
  await backend.close();
  return { burst, one, manual };
}

async function main() {
  console.log(`\n=== hook bursts, ${KIND}: 100 edits of 20 work items, one live Boards link ===`);
  for (const delay of [0, 2]) {
    const r = await scenario(delay);
    const label = delay ? `HOOK_SYNC_DELAY_SECONDS=${delay} (default)` : "HOOK_SYNC_DELAY_SECONDS=0 (baseline: no coalescing)";
    console.log(
      `${label}: burst → ${r.burst.jobs} sync jobs, ${r.burst.requests} ADO requests (events delivered in ${(r.burst.deliveredMs / 1000).toFixed(1)} s, settled after ${(r.burst.ms / 1000).toFixed(1)} s); ` +
        `one changed item via hook → ${r.one.jobs} job, ${r.one.requests} ADO request(s); manual incremental sync → ${r.manual.requests} ADO requests`,
    );
  }
}

void main();
