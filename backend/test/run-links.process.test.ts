import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { DEMO_PATS, DEMO_USERS, startSimulator, type RunningSimulator } from "@testops/ado-sim";
import { Client } from "pg";
import { authHeaders } from "./helpers";
import { freshDatabase, spawnBackend, waitFor, type BackendProcess } from "./processes";

/**
 * A backend SIGKILLed while it writes a finished run's links (after the run is visible, a page per
 * transaction, migration 0105): the next start finishes them, each once, on the embedded database and on
 * Postgres alike. Killed while it appends a file to a run (in chunks, hidden until finished, migration
 * 0115): the run stays as it was, and takes the next file right after its own results.
 */
jest.setTimeout(240_000);

const PROJECT = "Fabrikam Fiber";
const KEY = `k1:${randomBytes(32).toString("base64")}`;

function report(n: number, from = 0): string {
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="killed" timestamp="2026-11-26T10:00:00Z">`];
  for (let i = from; i < from + n; i++)
    out.push(`<testcase classname="pkg.C${i % 40}" name="t${i}">${i % 7 === 0 ? `<failure message="m"/>` : ""}</testcase>`);
  out.push(`</testsuite></testsuites>`);
  return out.join("\n");
}

describe.each(["pglite", "postgres"] as const)("a backend killed while it writes a run's links (%s, real processes)", (kind) => {
  let sim: RunningSimulator;
  let dataDir: string;
  let db: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  let backend: BackendProcess | undefined;
  let headers: Record<string, string>;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, hooks: { retryDelaysMs: [] } });
    dataDir = mkdtempSync(path.join(tmpdir(), "testops-links-"));
    if (kind === "postgres") db = await freshDatabase();
    headers = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
  });
  afterAll(async () => {
    await backend?.kill();
    await sim.close();
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = () =>
    spawnBackend({
      ADO_SIMULATOR_URL: sim.url,
      RESULTS_MAX_CASES: "100000",
      ...(db ? { DATABASE_URL: db.url, ENCRYPTION_KEY: KEY } : { DATA_DIR: dataDir }),
    });
  const get = async <T>(p: string): Promise<T> => (await (await fetch(`${backend!.url}${p}`, { headers })).json()) as T;

  it("the next start writes the rest of the links, and every result is counted once", async () => {
    backend = await start();
    const connected = await fetch(`${backend.url}/api/connections`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "F", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin }),
    });
    expect(connected.status).toBe(201);
    const story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Linked to every result" }).id;
    // Enough links for many pages on either database (100 a page on PGlite, 2,000 on Postgres).
    const n = kind === "pglite" ? 20_000 : 60_000;
    const answered = fetch(`${backend.url}/api/results/junit?project=${encodeURIComponent(PROJECT)}&workItemIds=${story}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/xml" },
      body: report(n),
    }).then(
      (r) => `answered ${r.status}`,
      () => "connection lost",
    );
    // The run is listed (visible) while its links are still being written: killed then.
    const runId = await waitFor(
      async () => (await get<{ runs: { id: string }[] }>(`/api/results/runs?project=${encodeURIComponent(PROJECT)}`)).runs[0]?.id,
      "run visible",
      120_000,
      20,
    );
    const before = await get<{ summary: { tests: number } }>(`/api/results/work-items/${story}?top=1`);
    await backend.kill("SIGKILL");
    expect(await answered).toBe("connection lost");
    // Killed half-way: some of the run's links were written, not all.
    expect(before.summary.tests).toBeLessThan(n);

    backend = await start();
    const after = await waitFor(
      async () => {
        const r = await get<{ summary: { tests: number; trend: { runId: string; passed: number; failed: number }[] } }>(
          `/api/results/work-items/${story}?top=1`,
        );
        return r.summary.tests === n ? r : undefined;
      },
      "links finished after the restart",
      120_000,
    );
    // Each result once: the run's counts on the work item are the report's, nothing counted twice.
    const failed = Math.ceil(n / 7);
    expect(after.summary.trend).toEqual([expect.objectContaining({ runId, passed: n - failed, failed })]);
    const run = await get<{ totals: { total: number; failed: number } }>(`/api/results/runs/${runId}`);
    expect(run.totals).toMatchObject({ total: n, failed });
  });

  it("killed while it appends a file: the run stays as it was and takes the next file after its own results", async () => {
    const post = (xml: string, q: Record<string, string>) =>
      fetch(`${backend!.url}/api/results/junit?${new URLSearchParams({ project: PROJECT, ...q })}`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/xml" },
        body: xml,
      });
    const base = await post(report(10), {});
    expect(base.status).toBe(201);
    const runId = ((await base.json()) as { run: { id: string } }).run.id;
    const logged = backend!.output().length;
    const answered = post(report(kind === "pglite" ? 20_000 : 60_000, 10), { runId }).then(
      (r) => `answered ${r.status}`,
      () => "connection lost",
    );
    // Killed once the file holds the run and its first chunks are being written.
    await waitFor(async () => backend!.output().slice(logged).includes("adding a file to a test run"), "append begun", 60_000, 10);
    await new Promise((r) => setTimeout(r, 300));
    await backend!.kill("SIGKILL");
    expect(await answered).toBe("connection lost");
    const pg = db ? new Client({ connectionString: db.url }) : null;
    await pg?.connect();
    if (pg) {
      // Written in part, and hidden: the run still says 10.
      const rows = await pg.query(`SELECT count(*)::int AS n FROM test_results WHERE run_id = $1`, [runId]);
      expect(rows.rows[0].n).toBeGreaterThan(10);
    }

    backend = await start();
    const run = await get<{ totals: { total: number } }>(`/api/results/runs/${runId}`);
    expect(run.totals.total).toBe(10);
    expect((await get<{ total: number }>(`/api/results/runs/${runId}/results?top=200`)).total).toBe(10);
    // The embedded database has one process: its start dropped the stopped file. On Postgres another replica
    // could be writing it: taken over once silent for five minutes (here: made so).
    if (pg) await pg.query(`UPDATE test_runs SET appending_at = now() - interval '6 minutes' WHERE id = $1`, [runId]);
    await pg?.end();
    const next = await post(report(5, 10), { runId });
    expect(next.status).toBe(201);
    const results = await get<{ total: number; results: { name: string }[] }>(`/api/results/runs/${runId}/results?top=200`);
    expect(results.results.map((r) => r.name)).toEqual(Array.from({ length: 15 }, (_, i) => `t${i}`));
  });
});
