import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { Database } from "../src/db/client";
import { ingestJUnit } from "../src/results/ingest";
import { appendSweepIdle, findResultsByPathAndName, RunWriter, startAppendSweep } from "../src/results/store";
import type { ParsedCase } from "../src/results/junit";
import { writePendingSummaries } from "../src/widgets/summaries";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

/**
 * A further file of a run (a pipeline's next TEST-*.xml, `runId=`) is written in chunks like a new run's
 * (issue #13: in one transaction it held the embedded database for over a second at 50k cases). Until it is
 * finished no reader sees any of it, a file refused half-way leaves the run as it was, files of one run are
 * added one at a time, and a writer that stopped is taken over.
 */
jest.setTimeout(120_000);

const PROJECT = "Fabrikam Fiber";

const head = `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="s" timestamp="2026-11-26T10:00:00Z">`;
const tail = `</testsuite></testsuites>`;
/** Cases t{from}… of class pkg.A (every fourth fails). */
const cases = (from: number, n: number) =>
  Array.from(
    { length: n },
    (_, i) => `<testcase classname="pkg.A" name="t${from + i}">${(from + i) % 4 === 0 ? `<failure message="m"/>` : ""}</testcase>`,
  ).join("\n");
const report = (from: number, n: number) => `${head}\n${cases(from, n)}\n${tail}`;

/** A body that sends `first`, then waits for `release()` before sending `rest`. */
function gated(first: string, rest: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* body(): AsyncIterable<Uint8Array> {
    yield Buffer.from(first);
    await gate;
    yield Buffer.from(rest);
  }
  return { body: body(), release };
}

const parsed = (i: number): ParsedCase => ({
  suite: "s",
  className: "pkg.A",
  path: "pkg.A",
  name: `x${i}`,
  fullName: `pkg.A.x${i}`,
  outcome: "passed",
  durationMs: 1,
  message: null,
  stack: null,
  file: null,
  workItemIds: [],
});

describe.each(DB_KINDS)("a file appended to a run is written in chunks and seen only when finished (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  let admin: Record<string, string>;
  let db: Database;
  let orgId: string;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    db = backend.deps.database;
    orgId = (await db.query<{ id: string }>(`SELECT id FROM organizations LIMIT 1`))[0].id;
  });
  afterAll(() => backend.close());

  const upload = async (xml: string, q: Record<string, string> = {}) => {
    const res = await backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, ...q })}`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/xml" },
      body: xml,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const get = async (p: string) => (await (await backend.app.request(p, { headers: admin })).json()) as any;
  /** What readers see of the run: its totals, its results, the widgets' per-path counts. */
  const seen = async (runId: string) => {
    await writePendingSummaries(db);
    const [paths] = await db.query<{ n: string | number | null }>(
      `SELECT sum(passed + failed + error + skipped) AS n FROM run_path_totals WHERE run_id = $1`,
      [runId],
    );
    return {
      total: (await get(`/api/results/runs/${runId}`)).totals.total as number,
      results: (await get(`/api/results/runs/${runId}/results?top=200`)).total as number,
      summarized: Number(paths.n ?? 0),
    };
  };
  /** Positions of the run's stored rows (hidden or not) and whether a file is being added. */
  const stored = async (runId: string) => ({
    seqs: (await db.query<{ seq: number }>(`SELECT seq FROM test_results WHERE run_id = $1 ORDER BY seq`, [runId])).map((r) => r.seq),
    appending: (await db.query<{ a: boolean }>(`SELECT appending_from IS NOT NULL AS a FROM test_runs WHERE id = $1`, [runId]))[0].a,
  });
  const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
  const waitUntil = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 400 && !(await check()); i++) await new Promise((r) => setTimeout(r, 25));
    expect(await check()).toBe(true);
  };
  const options = (project: { id: string; name: string }, runId: string) => ({
    orgId,
    project,
    createdBy: DEMO_USERS.admin.id,
    fileName: "TEST-more.xml",
    workItemIds: [],
    readableWorkItems: async () => new Set<number>(),
    appendTo: runId,
    batchSize: 10,
  });

  /** A run of `n` results, and a writer that added `k` more (hidden) and then stopped, still holding the run. */
  const stoppedAppend = async (n: number, k: number) => {
    const base = await upload(report(0, n));
    const runId = base.body.run.id as string;
    const project = { id: base.body.run.projectId as string, name: PROJECT };
    const stopped = await RunWriter.beginAppend(backend.deps, runId, { orgId, project, workItemIds: [] });
    await stopped.append(0, range(0, k).map(parsed));
    return { runId, project, stopped };
  };
  /** The run's appending writer last made progress six minutes ago (APPEND_STALE_MS is five). */
  const silentForMinutes = (runId: string) =>
    db.query(`UPDATE test_runs SET appending_at = now() - interval '6 minutes' WHERE id = $1`, [runId]);

  it("no reader sees a file until it is finished; a second file waits for the first; a push is refused meanwhile", async () => {
    const base = await upload(report(0, 30));
    expect(base.status).toBe(201);
    const runId = base.body.run.id as string;
    const project = { id: base.body.run.projectId as string, name: PROJECT };
    expect(await seen(runId)).toEqual({ total: 30, results: 30, summarized: 30 });

    // 50 cases of the next file arrive and are written (10 a statement); the rest of it has not arrived yet.
    const file = gated(`${head}\n${cases(30, 50)}\n`, `${cases(80, 20)}\n${tail}`);
    const appending = ingestJUnit(backend.deps, file.body, options(project, runId));
    await waitUntil(async () => (await stored(runId)).seqs.length >= 80);
    expect(await stored(runId)).toEqual({ seqs: range(0, 80), appending: true });
    // Readers see the run as it was: totals, results, widget summaries, a test's history; summaries still
    // pending from the run's earlier files (as if their writer had not got there yet) stop before this file.
    await db.query(`UPDATE test_runs SET summarized_seq = 30 WHERE id = $1`, [runId]);
    expect(await seen(runId)).toEqual({ total: 30, results: 30, summarized: 30 });
    expect(await findResultsByPathAndName(backend.deps, orgId, project.id, [{ path: "pkg.A", name: "t40" }])).toEqual([]);
    // A push now would miss the file: refused, and the run can still take it.
    const push = await backend.app.request(`/api/results/runs/${runId}/push`, { method: "POST", headers: admin });
    expect(push.status).toBe(409);
    expect(((await push.json()) as { message: string }).message).toMatch(/still being added/);
    expect((await get(`/api/results/runs/${runId}`)).ado.status).toBe("none");

    // A second file of the run (the API, as the pipeline task sends it) waits for the first.
    let secondDone = false;
    const second = upload(report(100, 7), { runId }).then((r) => ((secondDone = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(secondDone).toBe(false);

    file.release();
    const first = await appending;
    expect(first.run.total).toBe(100);
    const next = await second;
    expect(next.status).toBe(201);
    expect(next.body.run.totals.total).toBe(107);
    // Three files made the run; the first one names it.
    expect(next.body.run).toMatchObject({ files: 3, fileName: null });
    // One file after the other: positions 30–99 the first file's, 100–106 the second's, none twice.
    expect(await stored(runId)).toEqual({ seqs: range(0, 107), appending: false });
    const results = (await get(`/api/results/runs/${runId}/results?top=200`)).results as { name: string }[];
    expect(results.map((r) => r.name)).toEqual(range(0, 107).map((i) => `t${i}`));
    expect(await seen(runId)).toEqual({ total: 107, results: 107, summarized: 107 });
    expect(await findResultsByPathAndName(backend.deps, orgId, project.id, [{ path: "pkg.A", name: "t40" }])).toHaveLength(1);
  });

  it("a file refused half-way leaves the run as it was, and the run takes the next file", async () => {
    const base = await upload(report(0, 12));
    const runId = base.body.run.id as string;
    const project = { id: base.body.run.projectId as string, name: PROJECT };
    // Not well-formed after 40 cases (already written): refused, and what it wrote is deleted.
    const bad = `${head}\n${cases(12, 40)}\n<testcase name="broken"></testsuite>`;
    await expect(ingestJUnit(backend.deps, bad, options(project, runId))).rejects.toThrow(/line \d+/);
    expect(await stored(runId)).toEqual({ seqs: range(0, 12), appending: false });
    // Through the API: 400 naming the file, nothing stored.
    const refused = await upload(bad, { runId });
    expect(refused.status).toBe(400);
    expect(refused.body.fields[0].field).toBe("file");
    expect(await stored(runId)).toEqual({ seqs: range(0, 12), appending: false });
    const more = await upload(report(12, 5), { runId });
    expect(more.status).toBe(201);
    expect(await stored(runId)).toEqual({ seqs: range(0, 17), appending: false });
    expect(await seen(runId)).toEqual({ total: 17, results: 17, summarized: 17 });
  });

  it("a writer that stopped is taken over once silent for minutes; it then writes nothing more and deletes nothing of the new one's", async () => {
    const { runId, stopped } = await stoppedAppend(10, 25);
    expect(await stored(runId)).toEqual({ seqs: range(0, 35), appending: true });
    await silentForMinutes(runId);
    const more = await upload(report(10, 4), { runId });
    expect(more.status).toBe(201);
    expect(more.body.run.totals.total).toBe(14);
    expect(await stored(runId)).toEqual({ seqs: range(0, 14), appending: false });
    // The stopped writer comes back: refused, and its discard leaves the run alone.
    await expect(stopped.append(25, [parsed(25)])).rejects.toMatchObject({ status: 409 });
    await stopped.discard();
    expect(await stored(runId)).toEqual({ seqs: range(0, 14), appending: false });
    expect(await seen(runId)).toEqual({ total: 14, results: 14, summarized: 14 });
  });

  it("a sweep deletes what a stopped writer left when the run gets no further file nor push", async () => {
    const { runId } = await stoppedAppend(3, 4);
    const stop = startAppendSweep(db, backend.log, 20);
    try {
      // Still making progress (a moment ago): left alone.
      await new Promise((r) => setTimeout(r, 200));
      await appendSweepIdle(db);
      expect(await stored(runId)).toEqual({ seqs: range(0, 7), appending: true });
      await silentForMinutes(runId);
      await waitUntil(async () => !(await stored(runId)).appending);
      await appendSweepIdle(db);
      expect(await stored(runId)).toEqual({ seqs: range(0, 3), appending: false });
    } finally {
      stop();
    }
  });

  it("a push takes over a stopped writer's run; a pushed run takes no more files", async () => {
    const { runId, project } = await stoppedAppend(6, 5);
    await silentForMinutes(runId);
    const push = await backend.app.request(`/api/results/runs/${runId}/push`, { method: "POST", headers: admin });
    expect(push.status).toBe(202);
    expect(await stored(runId)).toEqual({ seqs: range(0, 6), appending: false });
    const jobId = ((await push.json()) as { job: { id: string } }).job.id;
    for (let i = 0; i < 400 && !["succeeded", "failed"].includes((await get(`/api/jobs/${jobId}`)).status); i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await get(`/api/jobs/${jobId}`)).status).toBe("succeeded");
    const adoRunId = (await get(`/api/results/runs/${runId}`)).ado.runId as number;
    expect(sim.state.orgs.get("fabrikam")!.test.runs.find((x) => x.id === adoRunId)!.results).toHaveLength(6);
    const late = await upload(report(6, 2), { runId });
    expect(late.status).toBe(400);
    expect(late.body.fields[0].field).toBe("runId");
    await expect(RunWriter.beginAppend(backend.deps, runId, { orgId, project, workItemIds: [] })).rejects.toMatchObject({
      status: 400,
    });
  });
});
