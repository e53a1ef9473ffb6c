import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import type { Database } from "../src/db/client";
import { linkSoon, linksIdle, rebuildWorkItemLinks, RunLinks, stalledLinks, writePendingLinks, type LinkSpec } from "../src/results/links";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(120_000);

const PROJECT = "Fabrikam Fiber";

const spec = (s: Partial<LinkSpec>): LinkSpec => ({
  start: 0,
  end: 10,
  upload: [],
  uploadSource: "upload",
  caseSource: "property",
  cases: [],
  ranges: [],
  ...s,
});

describe("RunLinks: a run's link spec, read a page at a time", () => {
  it.each([
    ["run-wide work items link every result", spec({ upload: [7, 8] }), 0, 5, { seqs: [0, 1, 2], next: 3 }],
    ["a page has at least one result however many links it has", spec({ upload: [7, 8] }), 4, 1, { seqs: [4], next: 5 }],
    ["the last page says so", spec({ upload: [7] }), 8, 100, { seqs: [8, 9], next: null }],
    [
      "only named results, skipping the rest",
      spec({
        cases: [
          [2, [5]],
          [6, [5]],
          [9, [5, 6]],
        ],
      }),
      0,
      2,
      { seqs: [2, 6], next: 9 },
    ],
    [
      "from the middle of a gap",
      spec({
        cases: [
          [2, [5]],
          [6, [5]],
          [9, [5, 6]],
        ],
      }),
      3,
      100,
      { seqs: [6, 9], next: null },
    ],
    [
      "suite ranges name their results",
      spec({ ranges: [{ from: 3, to: 5, ids: [4] }], cases: [[8, [1]]] }),
      0,
      100,
      { seqs: [3, 4, 8], next: null },
    ],
    [
      "nothing past the upload's end (appended files have their own)",
      spec({ end: 4, ranges: [{ from: 2, to: 9, ids: [4] }] }),
      0,
      100,
      { seqs: [2, 3], next: null },
    ],
    ["past the end: an empty last page", spec({ cases: [[1, [5]]] }), 2, 100, { seqs: [], next: null }],
  ])("%s", (_what, s, from, max, expected) => {
    expect(new RunLinks(s).page(from, max)).toEqual(expected);
  });

  it("each result links each work item once: run-wide first, then its case's, then its suites'", () => {
    const l = new RunLinks(spec({ upload: [3], cases: [[1, [3, 4]]], ranges: [{ from: 0, to: 2, ids: [4, 5] }] }));
    expect(l.linksOf(1)).toEqual([
      { workItemId: 3, source: "upload" },
      { workItemId: 4, source: "property" },
      { workItemId: 5, source: "property" },
    ]);
    expect(l.linksOf(2)).toEqual([{ workItemId: 3, source: "upload" }]);
    expect(l.linksOf(10)).toEqual([]);
  });

  it.each([
    ["run-wide", [spec({ upload: [9, 2] })], { first: 0, results: 10, workItems: [2, 9], end: 10 }],
    ["named", [spec({ cases: [[4, [1]]], ranges: [{ from: 3, to: 5, ids: [2] }] })], { first: 3, results: 2, workItems: [1, 2], end: 10 }],
    ["nothing", [spec({})], { first: null, results: 0, workItems: [], end: 10 }],
    ["an empty upload with run-wide work items", [spec({ end: 0, upload: [1] })], { first: null, results: 0, workItems: [], end: 0 }],
    [
      "a run and an appended file",
      [spec({ start: 4, end: 8, cases: [[5, [9]]] }), spec({ end: 4, upload: [7] })],
      { first: 0, results: 5, workItems: [7, 9], end: 8 },
    ],
  ])("what the answer says (%s)", (_what, specs, expected) => {
    const l = new RunLinks(specs);
    expect({ first: l.first, results: l.results, workItems: l.workItems, end: l.end }).toEqual(expected);
  });

  it("a run's files are read as one sequence of positions, each with its own file's work items", () => {
    const l = new RunLinks([
      spec({ end: 4, upload: [7] }),
      spec({
        start: 4,
        end: 8,
        cases: [
          [5, [9]],
          [9, [3]],
        ],
        ranges: [{ from: 0, to: 9, ids: [4] }],
      }),
    ]);
    expect(l.page(0, 100)).toEqual({ seqs: [0, 1, 2, 3, 4, 5, 6, 7], next: null });
    expect(l.page(2, 3)).toEqual({ seqs: [2, 3, 4], next: 5 });
    expect(l.linksOf(3)).toEqual([{ workItemId: 7, source: "upload" }]);
    // A file's suite range only covers its own positions; a case outside the file is not its own.
    expect(l.linksOf(5)).toEqual([
      { workItemId: 9, source: "property" },
      { workItemId: 4, source: "property" },
    ]);
    expect(l.linksOf(8)).toEqual([]);
  });
});

/** A report of n cases in 3 suites: case i names `caseItem` when i % 3 == 0; the second suite names `suiteItem` after its cases. */
function report(n: number, caseItem: number, suiteItem: number): string {
  const third = Math.ceil(n / 3);
  const out = [`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>`];
  for (let s = 0, i = 0; s < 3; s++) {
    out.push(`<testsuite name="suite${s}" timestamp="2026-11-26T0${s}:00:00Z">`);
    for (let k = 0; k < third && i < n; k++, i++) {
      const props = i % 3 === 0 ? `<properties><property name="workitem" value="${caseItem}"/></properties>` : "";
      out.push(`<testcase classname="pkg.C${s}" name="t${i}">${props}${i % 5 === 0 ? `<failure message="m${i}"/>` : ""}</testcase>`);
    }
    if (s === 1) out.push(`<properties><property name="workitem" value="${suiteItem}"/></properties>`);
    out.push(`</testsuite>`);
  }
  out.push(`</testsuites>`);
  return out.join("\n");
}

describe.each(DB_KINDS)("a run's links are written after it is visible, a page per transaction (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  let admin: Record<string, string>;
  let db: Database;
  let orgId: string;
  let story: number;
  let caseItem: number;
  let suiteItem: number;
  let bug: number;
  /** The page-loop query of the link writer fails from its `n`th call on, until `heal` (a database that went away). */
  let failFrom = Infinity;
  let pageQueries = 0;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Run-wide" }).id;
    caseItem = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Named by cases" }).id;
    suiteItem = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Named by a suite" }).id;
    bug = sim.createWorkItem("fabrikam", PROJECT, "Bug", { "System.Title": "Known bug" }).id;
    db = backend.deps.database;
    const query = db.query.bind(db);
    db.query = (async (sql: string, params?: unknown[]) => {
      if (sql.includes(`linked_seq AS "from"`) && ++pageQueries >= failFrom) throw new Error("connection terminated unexpectedly");
      return query(sql, params);
    }) as Database["query"];
    orgId = (await db.query<{ id: string }>(`SELECT id FROM organizations LIMIT 1`))[0].id;
  });
  afterAll(() => backend.close());

  const upload = async (xml: string, q: Record<string, string>) => {
    const res = await backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, ...q })}`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/xml" },
      body: xml,
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  /** Every link of the run as "seq:work item:source", sorted. */
  const linksOfRun = async (runId: string) =>
    (
      await db.query<{ l: string }>(
        `SELECT r.seq || ':' || l.work_item_id || ':' || l.source AS l FROM test_result_links l JOIN test_results r ON r.id = l.result_id
          WHERE r.run_id = $1 ORDER BY r.seq, l.work_item_id`,
        [runId],
      )
    ).map((r) => r.l);
  /** The per work item summaries the links feed (form group, Plans, widgets). */
  const summaries = async (ids: number[]) => ({
    tests: await db.query(
      `SELECT work_item_id, test_key, results, latest_result_id, latest_outcome, recent FROM work_item_tests
        WHERE org_id = $1 AND work_item_id = ANY($2::int[]) ORDER BY 1, 2`,
      [orgId, ids],
    ),
    runs: await db.query(
      `SELECT work_item_id, run_id, passed, failed, error, skipped FROM work_item_runs WHERE org_id = $1 AND work_item_id = ANY($2::int[]) ORDER BY 1, 2`,
      [orgId, ids],
    ),
    totals: await db.query(
      `SELECT work_item_id, tests, passed, failed, error, skipped, failing_without_defect FROM work_item_test_totals
        WHERE org_id = $1 AND work_item_id = ANY($2::int[]) ORDER BY 1`,
      [orgId, ids],
    ),
  });
  const pending = async (runId: string) =>
    (
      await db.query<{ linked_seq: number | null; spec: boolean }>(
        `SELECT linked_seq, link_spec IS NOT NULL AS spec FROM test_runs WHERE id = $1`,
        [runId],
      )
    )[0];

  /** What report(n) links, from position `at`: every case to `runWide`, every third to caseItem, the second suite's to suiteItem. */
  function expected(n: number, runWide = story, at = 0): string[] {
    const third = Math.ceil(n / 3);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const items = new Map<number, string>([[runWide, "upload"]]);
      if (i % 3 === 0 && !items.has(caseItem)) items.set(caseItem, "property");
      if (i >= third && i < 2 * third && !items.has(suiteItem)) items.set(suiteItem, "property");
      for (const w of [...items.keys()].sort((a, b) => a - b)) out.push(`${at + i}:${w}:${items.get(w)}`);
    }
    return out;
  }

  it("an upload whose link pages fail half-way is stored; a stalled run's links are finished once, exactly", async () => {
    // More links than one page on either database (100 a page on PGlite, 2,000 on Postgres).
    const n = 2_400;
    pageQueries = 0;
    failFrom = 2;
    const up = await upload(report(n, caseItem, suiteItem), { workItemIds: String(story) });
    failFrom = Infinity;
    // Stored and answered: the answer counts what is being linked, the rest follows in the background.
    expect(up.status).toBe(201);
    expect(up.body.linked).toEqual({ results: n, workItems: [story, caseItem, suiteItem].sort((a, b) => a - b) });
    const runId = up.body.run.id as string;
    expect(backend.log.lines.some((l) => l.includes("could not write all of a run's links yet"))).toBe(true);
    const all = expected(n);
    const partial = await linksOfRun(runId);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(all.length);
    expect(await pending(runId)).toEqual({ linked_seq: expect.any(Number), spec: true });

    // Its writer made progress a moment ago: not taken over yet.
    expect(await stalledLinks(db)).toBe(false);
    await writePendingLinks(db, { staleMs: 60_000 });
    expect(await linksOfRun(runId)).toEqual(partial);

    // Stalled for over a minute: two writers at once (the sweep of two replicas) finish it, each page once.
    await db.query(`UPDATE test_runs SET linked_at = now() - interval '2 minutes' WHERE id = $1`, [runId]);
    expect(await stalledLinks(db)).toBe(true);
    linkSoon(db, backend.log);
    await Promise.all([writePendingLinks(db, { staleMs: 60_000 }), linksIdle(db)]);
    expect(await pending(runId)).toEqual({ linked_seq: null, spec: false });
    expect(await linksOfRun(runId)).toEqual(all);

    // The summaries the pages fed equal a rebuild from the links alone (nothing counted twice or missed).
    const ids = [story, caseItem, suiteItem];
    const written = await summaries(ids);
    expect(written.tests).toHaveLength(n + Math.ceil(n / 3) + Math.ceil(n / 3));
    await rebuildWorkItemLinks(db.db, orgId, ids, []);
    expect(await summaries(ids)).toEqual(written);
  });

  it("a file appended while the run's links are pending: its upload writes both files' links, each once", async () => {
    pageQueries = 0;
    failFrom = 2;
    const up = await upload(report(2_400, caseItem, suiteItem), { workItemIds: String(story) });
    failFrom = Infinity;
    const runId = up.body.run.id as string;
    expect((await linksOfRun(runId)).length).toBeLessThan(expected(2_400).length);
    const more = await upload(report(300, caseItem, suiteItem), { workItemIds: String(bug), runId });
    expect(more.status).toBe(201);
    expect(more.body.run.totals.total).toBe(2_700);
    expect(more.body.linked).toEqual({ results: 300, workItems: [caseItem, suiteItem, bug].sort((a, b) => a - b) });
    expect(await pending(runId)).toEqual({ linked_seq: null, spec: false });
    expect(await linksOfRun(runId)).toEqual([...expected(2_400), ...expected(300, bug, 2_400)]);
    const ids = [story, caseItem, suiteItem, bug];
    const written = await summaries(ids);
    await rebuildWorkItemLinks(db.db, orgId, ids, []);
    expect(await summaries(ids)).toEqual(written);
  });

  it("a push writes the links a stopped upload left before it sends the results", async () => {
    const pat = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
    const conns = (await (await backend.app.request("/api/connections", { headers: admin })).json()) as {
      connections: { id: string; status: string }[];
    };
    for (const c of conns.connections.filter((x) => x.status !== "Inactive"))
      await backend.app.request(`/api/connections/${c.id}/disconnect`, { method: "POST", headers: admin });
    const connected = await backend.app.request("/api/connections", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "all scopes", organizationUrl: "https://dev.azure.com/fabrikam", pat }),
    });
    expect(connected.status).toBe(201);
    pageQueries = 0;
    failFrom = 1;
    const up = await upload(report(30, caseItem, suiteItem), { workItemIds: String(bug) });
    failFrom = Infinity;
    expect(up.status).toBe(201);
    const runId = up.body.run.id as string;
    expect(await linksOfRun(runId)).toEqual([]);
    const push = await backend.app.request(`/api/results/runs/${runId}/push`, { method: "POST", headers: admin });
    expect(push.status).toBe(202);
    const jobId = ((await push.json()) as { job: { id: string } }).job.id;
    let job: { status: string; error?: string } = { status: "queued" };
    for (let i = 0; i < 600 && !["succeeded", "failed"].includes(job.status); i++) {
      await new Promise((r) => setTimeout(r, 50));
      job = (await (await backend.app.request(`/api/jobs/${jobId}`, { headers: admin })).json()) as typeof job;
    }
    expect(job.status).toBe("succeeded");
    expect(await pending(runId)).toEqual({ linked_seq: null, spec: false });
    const run = (await (await backend.app.request(`/api/results/runs/${runId}`, { headers: admin })).json()) as { ado: { runId: number } };
    const adoRun = sim.state.orgs.get("fabrikam")!.test.runs.find((x) => x.id === run.ado.runId)!;
    expect(adoRun.results).toHaveLength(30);
    // Every result carries the run-wide bug: its links were written before the results were sent.
    expect(adoRun.results.every((x) => JSON.stringify(x.data.associatedBugs) === JSON.stringify([{ id: bug }]))).toBe(true);
  });
});
