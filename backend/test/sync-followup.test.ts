import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { suggestedConfig, simClient } from "./boards-fixtures";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(90_000);

const PROJECT = "Fabrikam Fiber";
const REPO_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`;

/**
 * Changes that arrive while a link's sync runs (after it has read past them) are never folded into
 * that run: they schedule exactly one follow-up sync, however many events arrive meanwhile.
 */
describe.each(DB_KINDS)("events during a running sync (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  // Holds the first response matching `pattern` until the test releases it (the sync has read it).
  let hold: { pattern: string; reached: () => void; release: Promise<void> } | null = null;
  const sim = createSimulator({
    seed: { workItems: 120 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const gatedFetch: typeof fetch = async (input, init) => {
    const res = await sim.fetch(input, init);
    const h = hold;
    if (h && String(input).includes(h.pattern)) {
      hold = null;
      h.reached();
      await h.release;
    }
    return res;
  };
  /** Arms the gate; returns a promise for "the sync read it" and a function that lets it go on. */
  const armGate = (pattern: string) => {
    let reached!: () => void;
    let release!: () => void;
    const reachedP = new Promise<void>((r) => (reached = r));
    hold = { pattern, reached, release: new Promise<void>((r) => (release = r)) };
    return { reached: reachedP, release };
  };
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  let admin: Record<string, string>;
  async function call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await backend.app.request(path, {
      method,
      headers: { ...admin, ...(body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const jobsOf = async (resourceKey: string) =>
    (await call<{ jobs: { id: string; status: string; followUpQueued: boolean }[] }>("GET", `/api/jobs?resourceKey=${resourceKey}`)).body
      .jobs;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: gatedFetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    const conn = await call("POST", "/api/connections", {
      name: "Fabrikam",
      organizationUrl: "https://dev.azure.com/fabrikam",
      pat: DEMO_PATS.admin,
    });
    expect(conn.status).toBe(201);
  });
  afterAll(() => backend.close());

  it("Boards: work item changes made after the running sync read its revisions page get one follow-up sync", async () => {
    const config = await suggestedConfig(simClient(sim), { id: project.id, name: project.name });
    const saved = await call("POST", "/api/boards/links", { config, proceed: true });
    expect(saved.status).toBe(201);
    const linkId = saved.body.link.id as string;
    await backend.deps.jobs.idle();
    const key = `boards:${linkId}`;
    const before = (await jobsOf(key)).length;

    const gate = armGate("/reporting/workitemrevisions");
    const running = (await call("POST", `/api/boards/links/${linkId}/sync`, {})).body.job;
    await gate.reached;
    const { rows } = {
      rows: await backend.deps.database.query<{ ado_id: number }>(
        `SELECT ado_id FROM boards_requirements WHERE link_id = $1 ORDER BY ado_id LIMIT 3`,
        [linkId],
      ),
    };
    for (const [i, r] of rows.entries()) sim.updateWorkItem("fabrikam", r.ado_id, { "System.Title": `Changed during sync ${i}` });
    await sim.flushDeliveries();
    expect(sim.deliveries().filter((d) => d.eventType === "workitem.updated" && !d.ok)).toEqual([]);
    // "Sync now" meanwhile returns the running job, which announces its follow-up.
    const again = (await call("POST", `/api/boards/links/${linkId}/sync`, {})).body.job;
    expect(again).toMatchObject({ id: running.id, status: "running", followUpQueued: true });
    gate.release();
    await backend.deps.jobs.idle();

    const after = await jobsOf(key);
    expect(after).toHaveLength(before + 2);
    expect(after.slice(0, 2).map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
    const titles = await backend.deps.database.query<{ ado_id: number; title: string }>(
      `SELECT ado_id, title FROM boards_requirements WHERE link_id = $1 AND ado_id = ANY($2::int[]) ORDER BY ado_id`,
      [linkId, rows.map((r) => r.ado_id)],
    );
    expect(titles.map((t) => t.title)).toEqual(rows.map((_, i) => `Changed during sync ${i}`));
  });

  it("Repos: a push made while the running sync lists files gets one follow-up sync", async () => {
    const created = await call("POST", "/api/repos/links", { projectId: project.id, name: "CI samples", url: REPO_URL, sync: true });
    expect(created.status).toBe(201);
    const linkId = created.body.id as string;
    await backend.deps.jobs.idle();
    const key = `repos-link:${linkId}`;
    const before = (await jobsOf(key)).length;

    // The sync resolved the branch head; a push lands right after.
    const gate = armGate("/refs");
    const running = (await call("POST", `/api/repos/links/${linkId}/sync`, {})).body;
    await gate.reached;
    for (const n of [1, 2]) {
      sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
        branch: "main",
        changes: [
          {
            changeType: "add",
            path: `/Test Cases/Main Test Cases/During${n}.tc`,
            content: `<?xml version="1.0"?><TestCaseEntity><name>During${n}</name></TestCaseEntity>`,
          },
        ],
      });
    }
    await sim.flushDeliveries();
    expect(sim.deliveries().filter((d) => d.eventType === "git.push" && !d.ok)).toEqual([]);
    gate.release();
    await backend.deps.jobs.idle();

    const after = await jobsOf(key);
    expect(after).toHaveLength(before + 2);
    expect(after.slice(0, 2).map((j) => j.status)).toEqual(["succeeded", "succeeded"]);
    expect(after.map((j) => j.id)).toContain(running.id);
    const names = await backend.deps.database.query<{ name: string }>(`SELECT name FROM repos_test_cases WHERE link_id = $1`, [linkId]);
    expect(names.map((n) => n.name)).toEqual(expect.arrayContaining(["During1", "During2"]));
  });
});
