import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { stickyMerge } from "../src/jobs/store";
import { suggestedConfig, simClient } from "./boards-fixtures";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(120_000);

const PROJECT = "Fabrikam Fiber";

describe("stickyMerge: joined job requests keep every true flag", () => {
  it.each([
    [null, { full: false, iterations: false }, undefined, { full: false, iterations: false }],
    [
      { full: true, iterations: false },
      { full: false, iterations: false, reason: "b" },
      undefined,
      { full: true, iterations: false, reason: "b" },
    ],
    [{ full: false, scope: true }, { full: false, scope: false }, undefined, { full: false, scope: true }],
    [{ full: false, reason: "a" }, { full: true, reason: "b" }, "same", { full: true, reason: "a" }],
  ] as const)("%j + %j (%s)", (prev, next, same, want) => {
    const p = prev as Record<string, unknown> | null;
    expect(stickyMerge(p, { ...next }, same ? (p ?? undefined) : undefined)).toEqual(want);
  });

  it("returns the same object when a queued job's payload gains nothing", () => {
    const queued = { full: true, iterations: true, scope: true, reason: "a" };
    expect(stickyMerge(queued, { full: false, iterations: false, scope: true, reason: "b" }, queued)).toBe(queued);
  });
});

describe.each(DB_KINDS)("work item hook bursts (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    seed: { workItems: 150 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  let admin: Record<string, string>;
  let linkId: string;
  async function call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await backend.app.request(path, {
      method,
      headers: { ...admin, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const jobs = async () =>
    backend.deps.database.query<{ id: string; status: string; result: { adoRequests?: number; mode?: string } | null }>(
      `SELECT id, status, result FROM jobs WHERE resource_key = $1 ORDER BY created_at DESC, id`,
      [`boards:${linkId}`],
    );
  /** Waits until the link has no queued or running job (delayed jobs included). */
  async function settled() {
    for (let i = 0; i < 200; i++) {
      await backend.deps.jobs.idle();
      if ((await jobs()).every((j) => j.status !== "queued" && j.status !== "running")) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("jobs did not settle");
  }
  const requirementIds = async (n: number) =>
    (
      await backend.deps.database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 AND NOT removed ORDER BY ado_id LIMIT $2`,
        [linkId, n],
      )
    ).map((r) => r.ado_id);
  /** Requests the backend sent to Azure DevOps while `f` ran and the jobs it caused settled. */
  async function requestsFor(f: () => Promise<void>) {
    const jobsBefore = (await jobs()).length;
    sim.requestLog.clear();
    await f();
    await sim.flushDeliveries();
    await settled();
    const after = await jobs();
    return { requests: sim.requestLog.entries(), jobs: after.slice(0, after.length - jobsBefore) };
  }

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch, env: { HOOK_SYNC_DELAY_SECONDS: "1" } });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    expect(
      (
        await call("POST", "/api/connections", {
          name: "Fabrikam",
          organizationUrl: "https://dev.azure.com/fabrikam",
          pat: DEMO_PATS.admin,
        })
      ).status,
    ).toBe(201);
    const config = await suggestedConfig(simClient(sim), { id: project.id, name: project.name });
    const saved = await call("POST", "/api/boards/links", { config, proceed: true });
    expect(saved.status).toBe(201);
    linkId = saved.body.link.id;
    await settled();
  });
  afterAll(() => backend.close());

  it("100 edits in a burst cause at most 2 incremental syncs, each reading one page of revisions and nothing else", async () => {
    const ids = await requirementIds(20);
    const { requests, jobs: caused } = await requestsFor(async () => {
      for (let i = 0; i < 100; i++) sim.updateWorkItem("fabrikam", ids[i % ids.length], { "System.Title": `Burst edit ${i}` });
    });
    expect(caused.length).toBeGreaterThanOrEqual(1);
    expect(caused.length).toBeLessThanOrEqual(2);
    expect(caused.every((j) => j.status === "succeeded" && j.result?.mode === "incremental")).toBe(true);
    // One request per sync: the revisions page (no iteration tree, no scope query).
    expect(requests.map((r) => r.path).filter((p) => !p.includes("/reporting/workitemrevisions"))).toEqual([]);
    expect(requests).toHaveLength(caused.length);
    const titles = await backend.deps.database.query<{ ado_id: number; title: string }>(
      `SELECT ado_id, title FROM boards_requirements WHERE link_id = $1 AND ado_id = ANY($2::int[])`,
      [linkId, ids],
    );
    // Each item keeps its last edit: the largest i < 100 with i % ids.length = its position.
    for (const t of titles) {
      const k = ids.indexOf(t.ado_id);
      expect(t.title).toBe(`Burst edit ${k + ids.length * Math.floor((99 - k) / ids.length)}`);
    }
  });

  it("an edit naming an iteration path the link does not know re-reads the iteration tree", async () => {
    const [id] = await requirementIds(1);
    // A sprint added in Azure DevOps (no hook says so; the simulator has no API to add one) and a work item moved into it.
    project.iterations.children.push({
      id: 990_001,
      identifier: "4d1c2a44-0000-4000-8000-000000990001",
      name: "Added later",
      structureType: "iteration",
      children: [],
    });
    const { requests } = await requestsFor(async () => {
      sim.updateWorkItem("fabrikam", id, { "System.IterationPath": `${PROJECT}\\Added later` });
    });
    expect(requests.some((r) => r.path.includes("/classificationnodes"))).toBe(true);
    expect(requests.some((r) => r.path.includes("/wiql"))).toBe(false);
    // Known now: the next move there reads the revisions only.
    const again = await requestsFor(async () => {
      sim.updateWorkItem("fabrikam", id, { "System.Title": "Moved", "System.IterationPath": `${PROJECT}\\Added later` });
    });
    expect(again.requests.map((r) => r.path).filter((p) => !p.includes("/reporting/workitemrevisions"))).toEqual([]);
  });

  it("a type change or a delete checks which ids are still in scope", async () => {
    const [, id] = await requirementIds(2);
    const { requests } = await requestsFor(async () => {
      sim.updateWorkItem("fabrikam", id, { "System.WorkItemType": "Task" });
    });
    expect(requests.some((r) => r.path.includes("/wiql"))).toBe(true);
    const [row] = await backend.deps.database.query<{ removed: boolean }>(
      `SELECT removed FROM boards_requirements WHERE link_id = $1 AND ado_id = $2`,
      [linkId, id],
    );
    expect(row.removed).toBe(true);
  });

  it("a manual sync makes a waiting hook sync due now and reads everything", async () => {
    const [id] = await requirementIds(1);
    sim.updateWorkItem("fabrikam", id, { "System.Title": "Waiting" });
    await sim.flushDeliveries();
    const waiting = (await jobs())[0];
    expect(waiting.status).toBe("queued");
    const manual = await call("POST", `/api/boards/links/${linkId}/sync`, {});
    expect(manual.body.job.id).toBe(waiting.id);
    sim.requestLog.clear();
    await backend.deps.jobs.idle();
    await settled();
    const paths = sim.requestLog.entries().map((r) => r.path);
    expect(paths.some((p) => p.includes("/classificationnodes"))).toBe(true);
    expect(paths.some((p) => p.includes("/wiql"))).toBe(true);
  });
});
