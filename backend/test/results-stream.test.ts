import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { findResultsByPathAndName, ingestJUnit } from "../src/results";
import { JUnitParseError, JUnitReader, parseJUnit, type ParsedReport } from "../src/results/junit";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";
import { mulberry32 as rng } from "@testops/ado-sim/prng";

jest.setTimeout(120_000);

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/junit/enricomi/junit-xml");
const PROJECT = "Fabrikam Fiber";

/** The report read from `chunks` one after the other, cases taken in batches of `take` as a stream consumer would. */
function readChunks(chunks: Uint8Array[], take = 3): ParsedReport {
  const reader = new JUnitReader();
  const cases: ParsedReport["cases"] = [];
  const late: { fromSeq: number; toSeq: number; workItemIds: number[] }[] = [];
  for (const c of chunks) {
    reader.writeBytes(c);
    while (reader.pendingCases >= take) cases.push(...reader.takeCases(take).cases);
    late.push(...reader.takeLateLinks());
  }
  const summary = reader.end();
  cases.push(...reader.takeCases().cases);
  late.push(...reader.takeLateLinks());
  // What the store does with late suite links: every case of the range gets them.
  for (const l of late)
    for (let s = l.fromSeq; s < l.toSeq; s++)
      for (const w of l.workItemIds) if (!cases[s].workItemIds.includes(w)) cases[s].workItemIds.push(w);
  return { ...summary, cases };
}

const outcomeOf = (f: () => unknown): unknown => {
  try {
    return f();
  } catch (e) {
    if (!(e instanceof JUnitParseError)) throw e;
    return { kind: e.kind, message: e.message };
  }
};

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.byteLength]) {
    out.push(bytes.subarray(at, c));
    at = c;
  }
  return out;
}

const SMALL: string[] = [
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE testsuites>\n<!-- a comment with <!ENTITY x "y"> -->\n<testsuites name="all" timestamp="2026-01-02T03:04:05Z">
  <properties><property name="workitem" value="1, AB#2"/></properties>
  <testsuite name="caf\u00e9 \u65e5\u672c" time="1.5">
    <testcase classname="a\r\n b\tc" name="x&amp;y &#x41;&#65;"><failure message="one&#xa;two"><![CDATA[stack <with> ]]]] brackets]]>more &lt;text&gt;</failure></testcase>
    <testcase name="refs &#0; &#xD800;" time="0.25"><skipped/></testcase>
    <ns:testcase xmlns:ns="urn:x" ns:name="prefixed"/>
  </testsuite>
  <testsuite name="late">
    <testcase name="before-props"><error message="e"/></testcase>
    <testcase name="before-props-2"/>
    <testsuite name="nested"><testcase name="in-nested"/></testsuite>
    <properties><property name="workitems">3 4</property></properties>
    <testcase name="after-props"/>
  </testsuite>
</testsuites>\n`,
  `<testsuite name="S"><testcase classname="C" name="t"><system-out>out &amp; more</system-out></testcase></testsuite>`,
  // Not well-formed or refused, at various places: the same error whatever the chunking.
  `<testsuites>\n  <testsuite name="x">\n    <testcase name="a"/>\n  </testsuites>`,
  `<testsuite><testcase name="a&foo;b"/></testsuite>`,
  `<testsuite>\n<testcase name="a<b"/></testsuite>`,
  `<!DOCTYPE x [\n<!-- c -->\n<!ENTITY a "b">]><testsuite/>`,
  `<testsuite><testcase name="a"/></testsuite>trailing`,
  `<testsuite><testcase name="a">`,
  `<html><body/></html>`,
];

describe("JUnitReader: a report read in chunks is the report read whole", () => {
  it.each(SMALL.map((x, i) => [i, x]))("document %i split at every byte, and byte by byte", (_i, xml) => {
    const bytes = new TextEncoder().encode(xml as string);
    const whole = outcomeOf(() => parseJUnit(bytes));
    for (let cut = 1; cut < bytes.byteLength; cut++) expect(outcomeOf(() => readChunks(splitAt(bytes, [cut])))).toEqual(whole);
    expect(
      outcomeOf(() =>
        readChunks(
          splitAt(
            bytes,
            Array.from({ length: bytes.byteLength - 1 }, (_, k) => k + 1),
          ),
          1,
        ),
      ),
    ).toEqual(whole);
  });

  it("the late suite property reaches the cases written before it, through a late-links range", () => {
    const r = parseJUnit(SMALL[0]);
    const byName = Object.fromEntries(r.cases.map((c) => [c.name, c.workItemIds]));
    expect(byName["before-props"]).toEqual([1, 2, 3, 4]);
    expect(byName["in-nested"]).toEqual([1, 2, 3, 4]);
    expect(byName["after-props"]).toEqual([1, 2, 3, 4]);
    expect(byName.prefixed).toEqual([1, 2]);
    expect(r.replaced).toBe(2);
  });

  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".xml")) files.push(p);
    }
  };
  walk(FIXTURES);
  it.each(files.map((f, i) => [path.relative(FIXTURES, f), i]))("corpus file %s in random chunks", (file, i) => {
    const bytes = new Uint8Array(readFileSync(path.join(FIXTURES, file as string)));
    const r = rng(100 + (i as number));
    const cuts: number[] = [];
    for (let at = 1 + Math.floor(r() * 50); at < bytes.byteLength; at += 1 + Math.floor(r() * 300)) cuts.push(at);
    expect(outcomeOf(() => readChunks(splitAt(bytes, cuts), 2))).toEqual(outcomeOf(() => parseJUnit(bytes)));
  });

  it("refuses a file with too many cases while reading it: the rest of the stream is never read", () => {
    const reader = new JUnitReader({ maxCases: 1_000 });
    const enc = new TextEncoder();
    reader.writeBytes(enc.encode("<testsuite>"));
    let written = 0;
    const err = outcomeOf(() => {
      for (; written < 1_000_000; written++) reader.writeBytes(enc.encode(`<testcase name="t${written}"/>`.repeat(10)));
    });
    expect(err).toEqual({ kind: "too_many_cases", message: expect.stringMatching(/more than 1000 test cases/) });
    expect(written).toBe(100);
  });
});

describe.each(DB_KINDS)("streamed uploads (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  let admin: Record<string, string>;
  let story: number;
  let bug: number;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch, env: { RESULTS_MAX_CASES: "3000" } });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Streamed" }).id;
    bug = sim.createWorkItem("fabrikam", PROJECT, "Bug", { "System.Title": "Streamed bug" }).id;
  });
  afterAll(() => backend.close());

  /** A body stream whose chunks the test hands over one by one (`release`), counting what was pulled. */
  function controlledBody(chunks: string[]) {
    const enc = new TextEncoder();
    let pulled = 0;
    let gate: (() => void) | null = null;
    let allowed = chunks.length;
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctl) {
        if (pulled >= chunks.length) return ctl.close();
        while (pulled >= allowed) await new Promise<void>((r) => (gate = r));
        ctl.enqueue(enc.encode(chunks[pulled++]));
      },
    });
    return {
      stream,
      pulled: () => pulled,
      hold(n: number) {
        allowed = n;
      },
      release() {
        allowed = chunks.length;
        gate?.();
      },
    };
  }

  const post = (body: ReadableStream<Uint8Array>, query: Record<string, string>) =>
    backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, ...query })}`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/xml" },
      body,
      duplex: "half",
    } as RequestInit);
  const count = async (sql: string) => Number((await backend.deps.database.query<{ n: string }>(sql))[0].n);
  const cases = (from: number, n: number, extra = "") =>
    Array.from({ length: n }, (_, i) => `<testcase classname="Stream.C${(from + i) % 7}" name="t${from + i}"${extra}/>`).join("");

  it("stores a report read in many chunks, hidden until its last chunk is written, with late suite links", async () => {
    const chunks = [
      `<testsuites name="streamed"><testsuite name="big">`,
      ...Array.from({ length: 20 }, (_, k) => cases(k * 100, 100)),
      `<properties><property name="workitem" value="${bug}, 999999"/></properties>`,
      `<testcase classname="Stream.Last" name="last"><properties><property name="workitem" value="${story}"/></properties><failure message="m">s</failure></testcase>`,
      `</testsuite></testsuites>`,
    ];
    const body = controlledBody(chunks);
    body.hold(15);
    const runsBefore = await count(`SELECT count(*) AS n FROM test_runs`);
    const response = post(body.stream, { runName: "streamed" });
    // Wait until the first chunks were written.
    for (let i = 0; i < 200 && (await count(`SELECT count(*) AS n FROM test_results`)) < 1_000; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect(await count(`SELECT count(*) AS n FROM test_results`)).toBeGreaterThanOrEqual(1_000);
    // Written but not visible: not in the run list, not found by path and name, no run by id.
    const list = await backend.app.request(`/api/results/runs?project=${encodeURIComponent(PROJECT)}`, { headers: admin });
    expect(((await list.json()) as { total: number }).total).toBe(runsBefore);
    const orgId = (await backend.deps.database.query<{ org_id: string }>(`SELECT org_id FROM test_runs LIMIT 1`))[0].org_id;
    const projectId = (await backend.deps.database.query<{ project_id: string }>(`SELECT project_id FROM test_runs LIMIT 1`))[0].project_id;
    expect(await findResultsByPathAndName(backend.deps, orgId, projectId, [{ path: "Stream.C0", name: "t0" }])).toEqual([]);
    body.release();
    const res = await response;
    expect(res.status).toBe(201);
    const out = (await res.json()) as {
      run: { id: string; totals: { total: number; failed: number } };
      linked: { results: number; workItems: number[] };
      warnings: string[];
    };
    expect(out.run.totals).toMatchObject({ total: 2_001, failed: 1 });
    // The suite property came after 2,000 cases: all 2,001 are linked to the bug; 999999 does not exist.
    expect(out.linked).toEqual({ results: 2_001, workItems: [story, bug].sort((a, b) => a - b) });
    expect(out.warnings.join()).toMatch(/Work item 999999/);
    expect(await count(`SELECT count(*) AS n FROM test_result_links WHERE work_item_id = 999999`)).toBe(0);
    const results = await backend.app.request(`/api/results/runs/${out.run.id}/results?top=2&skip=1999`, { headers: admin });
    const page = (await results.json()) as { results: { name: string; workItemIds: number[] }[] };
    expect(page.results.map((r) => r.name)).toEqual(["t1999", "last"]);
    expect(page.results[1].workItemIds).toEqual([story, bug].sort((a, b) => a - b));
    expect(await findResultsByPathAndName(backend.deps, orgId, projectId, [{ path: "Stream.C0", name: "t0" }])).toHaveLength(1);
  });

  it("refuses a report that turns out corrupt after thousands of cases were written, and keeps none of it", async () => {
    const before = await count(`SELECT count(*) AS n FROM test_results`);
    const runs = await count(`SELECT count(*) AS n FROM test_runs`);
    const chunks = [
      `<testsuite name="broken">\n`,
      ...Array.from({ length: 20 }, (_, k) => cases(k * 100, 100) + "\n"),
      `<testcase name="x"></testsuite>`,
    ];
    const res = await post(controlledBody(chunks).stream, {});
    expect(res.status).toBe(400);
    const body = (await res.json()) as { fields: { field: string; message: string }[] };
    expect(body.fields).toEqual([
      { field: "file", message: expect.stringMatching(/<\/testsuite> does not match <testcase> \(line 22, column \d+\)/) },
    ]);
    expect(await count(`SELECT count(*) AS n FROM test_results`)).toBe(before);
    expect(await count(`SELECT count(*) AS n FROM test_runs`)).toBe(runs);
  });

  it("enforces the configured case limit while reading: the upload is refused before the body is read to its end", async () => {
    const runs = await count(`SELECT count(*) AS n FROM test_runs`);
    const chunks = [`<testsuite name="too many">`, ...Array.from({ length: 100 }, (_, k) => cases(k * 100, 100)), `</testsuite>`];
    const body = controlledBody(chunks);
    const res = await post(body.stream, {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { fields: unknown[] }).fields).toEqual([
      { field: "file", message: expect.stringMatching(/more than 3000 test cases/) },
    ]);
    expect(body.pulled()).toBeLessThan(40);
    expect(await count(`SELECT count(*) AS n FROM test_runs`)).toBe(runs);
  });

  it("ingestJUnit (the function other upload paths call) takes bytes or text, asks once about property work items, and refuses without storing", async () => {
    // Any authenticated request records the organization (its id is what tenancy keys on).
    await backend.app.request(`/api/results/runs?project=${encodeURIComponent(PROJECT)}`, { headers: admin });
    const [{ id: orgId }] = await backend.deps.database.query<{ id: string }>(`SELECT id FROM organizations LIMIT 1`);
    const asked: number[][] = [];
    const o = {
      orgId,
      project: { id: "p-ingest", name: "Ingest" },
      createdBy: "ci",
      fileName: "TEST-x.xml",
      workItemIds: [story],
      readableWorkItems: async (ids: number[]) => {
        asked.push(ids);
        return new Set(ids.filter((id) => id === bug));
      },
    };
    const xml = `<testsuite name="api"><testcase name="a"><properties><property name="workitem" value="${bug}, 424242"/></properties></testcase><testcase name="b"/></testsuite>`;
    for (const body of [new TextEncoder().encode(xml), xml]) {
      asked.length = 0;
      const r = await ingestJUnit(backend.deps, body, o);
      expect(r.run).toMatchObject({ complete: true, total: 2, source: "JUnit", projectId: "p-ingest" });
      expect(asked).toEqual([[bug, 424242]]);
      expect(r.linkedWorkItems).toEqual([story, bug].sort((x, y) => x - y));
      expect(r.linkedResults).toBe(2);
      expect(r.warnings.join()).toMatch(/Work item 424242/);
    }
    const before = await count(`SELECT count(*) AS n FROM test_runs WHERE project_id = 'p-ingest'`);
    await expect(ingestJUnit(backend.deps, `${xml.slice(0, -12)}`, o)).rejects.toMatchObject({ kind: "corrupt" });
    await expect(ingestJUnit(backend.deps, xml, { ...o, maxCases: 1 })).rejects.toMatchObject({ kind: "too_many_cases" });
    expect(await count(`SELECT count(*) AS n FROM test_runs WHERE project_id = 'p-ingest'`)).toBe(before);
  });

  it("an empty streamed body is a missing file", async () => {
    const res = await post(controlledBody([]).stream, {});
    expect(res.status).toBe(400);
    expect(((await res.json()) as { fields: { field: string; message: string }[] }).fields[0]).toMatchObject({
      field: "file",
      message: expect.stringMatching(/is required/),
    });
  });
});
