// Traceability (issue 17) end to end against the simulator: Katalon test cases linked to Test Cases (one existing,
// one created), test cases generated from a sprint's requirements (Tested By), Tested By links read by the Boards
// sync, a Katalon report whose results follow the chain, the traceability view and CSV, the push onto the test
// points of a requirement-based suite, and renames / deletions in the repository.
import { createSimulator, DEMO_USERS, KATALON_FIXTURE_DIR } from "@testops/ado-sim";
import type { SimulatorImpl } from "@testops/ado-sim/simulator";
import { readFileSync } from "node:fs";
import path from "node:path";
import { DEMO_PATS } from "@testops/ado-sim";
import { buildRequirements, csvField, toCsv, type LinkIn } from "../src/trace/view";
import { associationFor } from "../src/trace/ado";
import { readTestedByLinks } from "../src/trace/requirements";
import { relinkChain } from "../src/trace/chain";
import { RunWriter } from "../src/results/store";
import { randomUUID } from "node:crypto";
import type { TraceView } from "../src/schemas/trace";
import { simClient, suggestedConfig } from "./boards-fixtures";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(120_000);

const PROJECT = "Fabrikam Fiber";
const SPRINT = "Fabrikam Fiber\\Release 1\\Sprint 2";
const REPO_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`;
const TC1 = "Test Cases/Main Test Cases/TC1_Verify Successful Login";
const LOGIN = "Test Cases/Common Test Cases/Login";
const KATALON = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="TS_RegressionTest" tests="3" failures="1" errors="0">
  <testsuite name="TS_RegressionTest" tests="3" failures="1" errors="0" time="95.2" timestamp="2026-11-20T06:15:28.392Z">
    <testcase name="${TC1}" classname="${TC1}" time="24.7" status="PASSED"/>
    <testcase name="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" classname="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" time="70.5" status="FAILED">
      <failure type="FAILED" message="TC2 FAILED."/>
    </testcase>
    <testcase name="${LOGIN}" classname="${LOGIN}" time="3.1" status="FAILED"><failure message="Login broke"/></testcase>
  </testsuite>
</testsuites>`;

describe("pure parts", () => {
  test.each([
    [{ katalonId: "Test Cases/A/B", guid: "g-1", projectDir: "" }, "repo", { name: "Test Cases/A/B", storage: "repo", id: "g-1" }],
    [
      { katalonId: "Test Cases/A/B", guid: null, projectDir: "/sub/" },
      "repo",
      { name: "Test Cases/A/B", storage: "repo/sub", id: "fallback" },
    ],
  ])("association of %j", (tc, repo, want) => {
    expect(associationFor(tc, repo, "fallback")).toEqual(want);
  });

  const now = new Date("2026-11-26T00:00:00Z");
  const link = (over: Partial<LinkIn>): LinkIn => ({
    requirementId: 1,
    testCaseId: "t",
    title: "T",
    adoTestCaseId: 9,
    source: "generated",
    katalonId: null,
    katalonName: null,
    katalonRemoved: false,
    problem: null,
    latest: null,
    testKey: null,
    ...over,
  });
  const at = (d: string) => ({ outcome: "passed" as const, at: d, runId: "r", runName: "n" });
  test.each([
    ["no test case, no reported result", [], ["no_tests"], null],
    ["a test case without automation", [link({})], ["not_automated"], null],
    ["automation without any result", [link({ katalonId: "k" })], ["no_recent_results"], null],
    ["automation with an old result", [link({ katalonId: "k", latest: at("2026-09-01T00:00:00Z") })], ["no_recent_results"], "passed"],
    ["automation passing recently", [link({ katalonId: "k", latest: at("2026-11-20T00:00:00Z") })], [], "passed"],
    [
      "failing (defects unknown)",
      [link({ katalonId: "k", latest: { ...at("2026-11-20T00:00:00Z"), outcome: "failed" } })],
      ["failing_no_defect"],
      "failed",
    ],
  ] as [string, LinkIn[], string[], string | null][])("gaps: %s", (_what, links, gaps, outcome) => {
    const [r] = buildRequirements([{ adoId: 1, title: "R", status: "Active" }], links, [], {
      orgUrl: "https://x/o",
      now,
      defectLinksKnown: false,
    });
    expect(r.gaps).toEqual(gaps);
    expect(r.outcome).toBe(outcome);
  });

  // With defect links known (the work item form's Create / Link defect), a failing test with an open defect is covered.
  test.each([
    ["failing, its test has no open defect", new Map([[1, new Set(["key-k"])]]), ["failing_no_defect"]],
    ["failing, its test has an open defect", new Map<number, Set<string>>(), []],
    ["failing, another test of the requirement lacks a defect", new Map([[1, new Set(["key-other"])]]), ["failing_no_defect"]],
  ] as [string, Map<number, Set<string>>, string[]][])("defects known: %s", (_what, failingWithoutDefect, gaps) => {
    const failed = link({ katalonId: "k", testKey: "key-k", latest: { ...at("2026-11-20T00:00:00Z"), outcome: "failed" } });
    const [r] = buildRequirements([{ adoId: 1, title: "R", status: "Active" }], [failed], [], {
      orgUrl: "https://x/o",
      now,
      defectLinksKnown: true,
      failingWithoutDefect,
    });
    expect(r.gaps).toEqual(gaps);
    // The test case row is flagged only when its own test lacks a defect.
    expect(r.testCases[0].gaps.includes("failing_no_defect")).toBe(failingWithoutDefect.get(1)?.has("key-k") ?? false);
  });

  test.each([
    ["plain", "plain"],
    ["a,b", '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ["=cmd()", "'=cmd()"],
    [null, ""],
  ])("csv field %p → %p", (v, want) => expect(csvField(v)).toBe(want));
});

describe.each(DB_KINDS)("traceability against the simulator (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const org = () => (sim as unknown as SimulatorImpl).org("fabrikam");
  const project = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  const field = (id: number, f: string) => org().workItems.field(id, f);
  let admin: Record<string, string>;
  let member: Record<string, string>;
  let story1: number;
  let story2: number;
  let existingTc: number;
  let sprintId: string;
  const tcs: Record<string, string> = {};

  async function call(
    method: string,
    url: string,
    o: { body?: unknown; raw?: string; type?: string; headers?: Record<string, string> } = {},
  ) {
    const res = await backend.app.request(url, {
      method,
      headers: {
        ...(o.headers ?? admin),
        ...(o.body !== undefined ? { "Content-Type": "application/json" } : o.type ? { "Content-Type": o.type } : {}),
      },
      body: o.body !== undefined ? JSON.stringify(o.body) : o.raw,
    });
    const text = await res.text();
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers };
  }
  const idle = () => backend.deps.jobs.idle();

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    story1 = sim.createWorkItem("fabrikam", PROJECT, "User Story", {
      "System.Title": "Sign in with a password",
      "System.IterationPath": SPRINT,
      "Microsoft.VSTS.Common.AcceptanceCriteria": "<p>Given a user</p><p>Then they are in</p>",
    }).id;
    story2 = sim.createWorkItem("fabrikam", PROJECT, "User Story", {
      "System.Title": "Book an appointment",
      "System.IterationPath": SPRINT,
    }).id;
    // Traceability built in Azure DevOps: an existing Test Case that tests story 2.
    existingTc = sim.createWorkItem(
      "fabrikam",
      PROJECT,
      "Test Case",
      { "System.Title": "Appointment can be booked" },
      { relations: [{ rel: "Microsoft.VSTS.Common.TestedBy-Reverse", targetId: story2 }] },
    ).id;
    expect(
      (
        await call("POST", "/api/connections", {
          body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
        })
      ).status,
    ).toBe(201);
    const config = await suggestedConfig(simClient(sim), { id: project.id, name: project.name });
    expect((await call("POST", "/api/boards/links", { body: { config, proceed: true } })).status).toBe(201);
    expect(
      (await call("POST", "/api/repos/links", { body: { projectId: project.id, name: "CI samples", url: REPO_URL, sync: true } })).status,
    ).toBe(201);
    await idle();
    const view = (await call("GET", `/api/repos/tests?projectId=${project.id}`)).body;
    for (const t of view.testCases) tcs[t.katalonId] = t.id;
    const plans = (await call("GET", `/api/boards/plans`)).body;
    sprintId = plans.releases.flatMap((r: any) => r.sprints).find((s: any) => s.path === SPRINT).id;
  });
  afterAll(() => backend.close());

  test("the Boards sync read the Tested By link built in Azure DevOps", async () => {
    const v = (await call("GET", `/api/trace/view?sprintId=${sprintId}`)).body as TraceView;
    const r2 = v.requirements.find((r) => r.adoId === story2)!;
    expect(r2.testCases).toEqual([
      expect.objectContaining({ adoTestCaseId: existingTc, title: "Appointment can be booked", source: "ado", automation: null }),
    ]);
    expect(r2.gaps).toEqual(["not_automated"]);
    expect(v.requirements.find((r) => r.adoId === story1)!.gaps).toEqual(["no_tests"]);
  });

  test("reading every requirement's Tested By links again, a page of one requirement at a time, stores the same links", async () => {
    const stored = () =>
      backend.deps.database.query<{ r: number; t: string; s: string }>(
        `SELECT requirement_id AS r, test_case_id AS t, source AS s FROM trace_requirement_links ORDER BY 1, 2, 3`,
      );
    const before = await stored();
    expect(before.some((l) => Number(l.r) === story2 && l.s === "ado")).toBe(true);
    const link = (await call("GET", "/api/boards/links")).body.links[0];
    const [{ n }] = await backend.deps.database.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM boards_requirements WHERE link_id = $1 AND NOT removed`,
      [link.id],
    );
    await backend.deps.database.query(`DELETE FROM trace_boards_state WHERE link_id = $1`, [link.id]);
    const r = await readTestedByLinks(
      backend.deps,
      simClient(sim),
      { id: link.id, orgId: sim.state.orgs.get("fabrikam")!.id, projectId: project.id },
      undefined,
      1,
    );
    expect(r.read).toBe(Number(n));
    expect(Number(n)).toBeGreaterThan(1);
    expect(await stored()).toEqual(before);
    const [mark] = await backend.deps.database.query(`SELECT 1 FROM trace_boards_state WHERE link_id = $1`, [link.id]);
    expect(mark).toBeDefined();
  });

  test("relinking the requirements of more test cases than a statement takes parameters (65,535)", async () => {
    const stored = () =>
      backend.deps.database.query<{ r: number; t: string; s: string }>(
        `SELECT requirement_id AS r, test_case_id AS t, source AS s FROM trace_requirement_links ORDER BY 1, 2, 3`,
      );
    const before = await stored();
    expect(before.length).toBeGreaterThan(0);
    const ids = [...new Set(before.map((l) => l.t)), ...Array.from({ length: 70_000 }, () => randomUUID())];
    await relinkChain(backend.deps, sim.state.orgs.get("fabrikam")!.id, { testCaseIds: ids });
    expect(await stored()).toEqual(before);
  });

  test("a member cannot link; bad input is a 400 naming the field", async () => {
    const body = { projectId: project.id, reposTestCaseId: tcs[TC1], adoTestCaseId: existingTc };
    expect((await call("POST", "/api/trace/katalon/link", { body, headers: member })).status).toBe(403);
    const notTc = await call("POST", "/api/trace/katalon/link", { body: { ...body, adoTestCaseId: story2 } });
    expect(notTc.status).toBe(400);
    expect(notTc.body.fields).toEqual([{ field: "adoTestCaseId", message: expect.stringContaining("not a Test Case") }]);
    const missing = await call("POST", "/api/trace/katalon/link", { body: { ...body, adoTestCaseId: 999_999 } });
    expect(missing.status).toBe(400);
    expect(missing.body.fields[0].field).toBe("adoTestCaseId");
    const elsewhere = sim.createWorkItem("fabrikam", "Scrum Project", "Test Case", { "System.Title": "Elsewhere" }).id;
    const other = await call("POST", "/api/trace/katalon/link", { body: { ...body, adoTestCaseId: elsewhere } });
    expect(other.body.fields).toEqual([{ field: "adoTestCaseId", message: expect.stringContaining('is in project "Scrum Project"') }]);
    const both = await call("POST", "/api/trace/katalon/create", { body: { projectId: project.id } });
    expect(both.status).toBe(400);
  });

  test("links a Katalon test case to the existing Test Case and creates one for another, with the association", async () => {
    const linked = await call("POST", "/api/trace/katalon/link", {
      body: { projectId: project.id, reposTestCaseId: tcs[TC1], adoTestCaseId: existingTc },
    });
    expect(linked.status).toBe(200);
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomatedTestName")).toBe(TC1);
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomatedTestType")).toBe("Katalon");
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomatedTestStorage")).toBe("katalon-ci-samples");
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomationStatus")).toBe("Automated");
    const tc1Guid = (await call("GET", `/api/repos/tests?projectId=${project.id}`)).body.testCases.find(
      (t: any) => t.katalonId === TC1,
    ).guid;
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomatedTestId")).toBe(tc1Guid);

    const made = await call("POST", "/api/trace/katalon/create", {
      body: { projectId: project.id, folder: { linkId: linked.body.linkId, folder: "Main Test Cases" } },
    });
    expect(made.status).toBe(200);
    expect(made.body.alreadyLinked.map((x: any) => x.katalonId)).toEqual([TC1]);
    expect(made.body.created).toHaveLength(1);
    const created = made.body.created[0].adoTestCaseId;
    expect(field(created, "System.WorkItemType")).toBe("Test Case");
    expect(field(created, "System.Title")).toBe("TC2_Verify Successful Appointment");
    // Running it again creates nothing.
    const again = await call("POST", "/api/trace/katalon/create", {
      body: { projectId: project.id, reposTestCaseIds: [tcs["Test Cases/Main Test Cases/TC2_Verify Successful Appointment"]] },
    });
    expect(again.body.created).toEqual([]);
    // A suite's members: both already linked now.
    const suite = (await call("GET", `/api/repos/tests?projectId=${project.id}`)).body.suites.find(
      (x: any) => x.name === "TS_RegressionTest",
    );
    const bySuite = await call("POST", "/api/trace/katalon/create", { body: { projectId: project.id, suiteId: suite.id } });
    expect(bySuite.body.created).toEqual([]);
    expect(bySuite.body.alreadyLinked.map((x: any) => x.katalonId).sort()).toEqual([
      TC1,
      "Test Cases/Main Test Cases/TC2_Verify Successful Appointment",
    ]);
    // The same Test Case cannot be automated twice.
    const twice = await call("POST", "/api/trace/katalon/link", {
      body: { projectId: project.id, reposTestCaseId: tcs[LOGIN], adoTestCaseId: existingTc },
    });
    expect(twice.status).toBe(409);
  });

  test("generates test cases for the sprint's requirements, with Test Cases linked by Tested By; idempotent", async () => {
    const gen = await call("POST", "/api/trace/generate", { body: { projectId: project.id, sprintId, createAdoTestCases: true } });
    expect(gen.status).toBe(200);
    expect(gen.body).toMatchObject({ created: gen.body.requirements, existing: 0 });
    expect(gen.body.adoCreated).toBe(gen.body.requirements);
    const again = await call("POST", "/api/trace/generate", { body: { projectId: project.id, sprintId, createAdoTestCases: true } });
    expect(again.body).toMatchObject({ created: 0, existing: gen.body.requirements, adoCreated: 0 });
    const v = (await call("GET", `/api/trace/view?sprintId=${sprintId}`)).body as TraceView;
    const r1 = v.requirements.find((r) => r.adoId === story1)!;
    const generated = r1.testCases.find((t) => t.source === "generated")!;
    expect(generated.title).toBe("Sign in with a password");
    const tcId = generated.adoTestCaseId!;
    // Linked in Azure DevOps with the process' own link type: the requirement is Tested By the Test Case.
    const rels = org().workItems.latest(story1).relations;
    expect(rels).toContainEqual(expect.objectContaining({ rel: "Microsoft.VSTS.Common.TestedBy-Forward", targetId: tcId }));
    expect(String(field(tcId, "System.Description"))).toContain("Given a user");
    // Automate it with Login.
    expect(
      (await call("POST", "/api/trace/katalon/link", { body: { projectId: project.id, reposTestCaseId: tcs[LOGIN], adoTestCaseId: tcId } }))
        .status,
    ).toBe(200);
  });

  test("a Katalon report's results follow the chain; the view, the CSV and the push onto test points agree", async () => {
    // A test plan with requirement-based suites, as a tester would make in Azure Test Plans.
    const c = simClient(sim);
    const plan = await c.post<{ id: number }>(`${project.id}/_apis/testplan/plans`, { name: "Sprint 2" });
    const suite1 = await c.post<{ id: number }>(`${project.id}/_apis/testplan/Plans/${plan.id}/suites`, {
      suiteType: "requirementTestSuite",
      requirementId: story1,
    });
    const suite2 = await c.post<{ id: number }>(`${project.id}/_apis/testplan/Plans/${plan.id}/suites`, {
      suiteType: "requirementTestSuite",
      requirementId: story2,
    });

    // A second plan holds the existing Test Case in a static suite: a run belongs to one plan, so it gets its own run.
    const regression = await c.post<{ id: number; rootSuite: { id: number } }>(`${project.id}/_apis/testplan/plans`, {
      name: "Regression",
    });
    await c.post(`${project.id}/_apis/testplan/Plans/${regression.id}/Suites/${regression.rootSuite.id}/TestCase`, [
      { workItem: { id: existingTc } },
    ]);

    const up = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, { raw: KATALON, type: "application/xml" });
    expect(up.status).toBe(201);
    const v = (await call("GET", `/api/trace/view?sprintId=${sprintId}`)).body as TraceView;
    const r1 = v.requirements.find((r) => r.adoId === story1)!;
    const r2 = v.requirements.find((r) => r.adoId === story2)!;
    expect(r2.outcome).toBe("passed");
    expect(r2.testCases[0]).toMatchObject({ automation: { katalonId: TC1 }, latest: { outcome: "passed" }, gaps: [] });
    expect(r1.outcome).toBe("failed");
    expect(r1.gaps).toContain("failing_no_defect");
    expect(v.defectLinksKnown).toBe(true);
    // Results reached through the chain count on the requirement's own results (work item form, coverage).
    const wi = (await call("GET", `/api/results/work-items/${story2}`)).body;
    expect(wi.tests.map((r: any) => `${r.path}/${r.name}`)).toEqual([TC1]);

    // Plans' coverage counts them too: story 2 is tested and passing in Sprint 2.
    const plans = (await call("GET", `/api/boards/plans?projectId=${project.id}`)).body;
    const sprint = plans.releases.flatMap((r: any) => r.sprints).find((x: any) => x.id === sprintId);
    expect(sprint.coverage.tested).toBeGreaterThanOrEqual(2);
    expect(sprint.coverage.passed).toBeGreaterThanOrEqual(1);

    const csv = await call("GET", `/api/trace/view.csv?sprintId=${sprintId}`);
    expect(csv.headers.get("content-type")).toMatch(/text\/csv/);
    expect(csv.body).toContain(`${story2},Book an appointment`);
    expect(csv.body.split("\r\n")[0]).toMatch(/^Requirement ID,Requirement,/);
    expect(csv.body).toBe(toCsv(v));

    const push = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
    expect(push.status).toBe(202);
    await idle();
    const job = (await call("GET", `/api/jobs/${push.body.job.id}`)).body;
    expect(job.status).toBe("succeeded");
    expect(job.result.testPoints).toEqual({ plans: 2, points: 3 });
    // The main run's results name their Test Cases.
    const main = org().test.runs.find((r) => r.id === job.result.adoRunId)!;
    expect(main.results.find((r) => r.data.automatedTestName === TC1)!.data.testCase).toEqual({ id: String(existingTc) });
    // Azure Test Plans shows the outcomes on the suites' points.
    const point = async (suiteId: number) =>
      (await c.get<{ value: any[] }>(`${project.id}/_apis/test/Plans/${plan.id}/Suites/${suiteId}/points`)).value[0];
    expect((await point(suite2.id)).outcome).toBe("Passed");
    expect((await point(suite1.id)).outcome).toBe("Failed");
    const inRegression = await c.get<{ value: any[] }>(
      `${project.id}/_apis/test/Plans/${regression.id}/Suites/${regression.rootSuite.id}/points?testCaseId=${existingTc}`,
    );
    expect(inRegression.value[0].outcome).toBe("Passed");
    // Two runs on points, each of one plan and completed.
    const planRuns = org().test.runs.filter((r) => r.data.plan);
    expect(planRuns.map((r) => [Number((r.data.plan as { id: string }).id), r.state]).sort()).toEqual(
      [
        [plan.id, "Completed"],
        [regression.id, "Completed"],
      ].sort(),
    );
  });

  test("results still being written (a new run, or a file added to a run) count for no requirement until finished", async () => {
    const orgId = sim.state.orgs.get("fabrikam")!.id;
    const p = { id: project.id, name: PROJECT };
    const failing = {
      suite: "TS_RegressionTest",
      className: TC1,
      path: "Test Cases/Main Test Cases",
      name: "TC1_Verify Successful Login",
      fullName: TC1,
      outcome: "failed" as const,
      durationMs: 1,
      message: "broke",
      stack: null,
      file: null,
      workItemIds: [],
    };
    const seen = async () => {
      const v = (await call("GET", `/api/trace/view?sprintId=${sprintId}`)).body as TraceView;
      const r2 = v.requirements.find((r) => r.adoId === story2)!;
      const wi = (await call("GET", `/api/results/work-items/${story2}`)).body;
      return {
        outcome: r2.outcome,
        latest: r2.testCases[0].latest?.outcome,
        onWorkItem: wi.tests[0].latest.outcome,
        results: wi.tests[0].results,
      };
    };
    const before = await seen();
    expect(before).toMatchObject({ outcome: "passed", latest: "passed", onWorkItem: "passed" });
    const hiddenRun = await RunWriter.begin(backend.deps, {
      orgId,
      project: p,
      fileName: null,
      createdBy: DEMO_USERS.admin.id,
      workItemIds: [],
    });
    await hiddenRun.append(0, [failing]);
    const base = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, { raw: KATALON, type: "application/xml" });
    expect(base.status).toBe(201);
    const shown = await seen();
    const adding = await RunWriter.beginAppend(backend.deps, base.body.run.id, { orgId, project: p, workItemIds: [] });
    await adding.append(0, [failing]);
    // A chain change relinks the requirement meanwhile: neither unfinished result is linked or shown as latest.
    await relinkChain(backend.deps, orgId, { requirementIds: [story2] });
    expect(await seen()).toEqual(shown);
    expect(shown).toMatchObject({ outcome: "passed", latest: "passed", results: before.results + 1 });
    await hiddenRun.discard();
    await adding.discard();
  });

  test("generation from a WIQL query or ids: requirements outside the Boards link are named, members are refused", async () => {
    const body = { projectId: project.id, wiql: `SELECT [System.Id] FROM WorkItems WHERE [System.Id] IN (${story1}, ${existingTc})` };
    expect((await call("POST", "/api/trace/generate", { body, headers: member })).status).toBe(403);
    const res = await call("POST", "/api/trace/generate", { body });
    expect(res.status).toBe(200);
    // story 1 already has its generated test case; the Test Case is not a synced requirement.
    expect(res.body).toMatchObject({ requirements: 1, created: 0, existing: 1, notSynced: [existingTc] });
    const bad = await call("POST", "/api/trace/generate", { body: { projectId: project.id, sprintId, releaseId: sprintId } });
    expect(bad.status).toBe(400);
    expect(bad.body.fields[0].field).toBe("sprintId");
    const other = await call("POST", "/api/trace/generate", {
      body: { projectId: project.id, sprintId: "00000000-0000-4000-8000-000000000000" },
    });
    expect(other.status).toBe(400);
    expect(other.body.fields).toEqual([{ field: "sprintId", message: "is not a sprint of this project's Boards link" }]);
    // Members read the view; a stranger to the org's data gets 404 for an unknown sprint.
    expect((await call("GET", `/api/trace/view?sprintId=${sprintId}`, { headers: member })).body.canEdit).toBe(false);
    expect((await call("GET", "/api/trace/view?sprintId=00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  test("a linked Test Case deleted in Azure DevOps does not break a push", async () => {
    const doomed = sim.createWorkItem("fabrikam", PROJECT, "Test Case", { "System.Title": "Soon gone" }).id;
    const tc2 = tcs["Test Cases/Main Test Cases/TC2_Verify Successful Appointment"];
    // Move TC2's link to a Test Case that is then deleted.
    await backend.deps.database.query(`UPDATE trace_test_cases SET ado_test_case_id = $1 WHERE repos_test_case_id = $2`, [doomed, tc2]);
    sim.deleteWorkItem("fabrikam", doomed);
    const up = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, { raw: KATALON, type: "application/xml" });
    const push = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
    await idle();
    const job = (await call("GET", `/api/jobs/${push.body.job.id}`)).body;
    expect(job.status).toBe("succeeded");
    const main = org().test.runs.find((r) => r.id === job.result.adoRunId)!;
    expect(
      main.results.find((r) => String(r.data.automatedTestName).endsWith("TC2_Verify Successful Appointment"))!.data.testCase,
    ).toBeUndefined();
  });

  test("a rename in the repository updates the association; a deletion is reported, not unlinked", async () => {
    const original = readFileSync(path.join(KATALON_FIXTURE_DIR, "Test Cases/Main Test Cases/TC1_Verify Successful Login.tc"), "utf8");
    sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
      branch: "main",
      comment: "Rename TC1, delete Login",
      changes: [
        {
          changeType: "rename",
          sourcePath: "/Test Cases/Main Test Cases/TC1_Verify Successful Login.tc",
          path: "/Test Cases/Main Test Cases/TC1_Sign in.tc",
          content: original.replace("<name>TC1_Verify Successful Login</name>", "<name>TC1_Sign in</name>"),
        },
        { changeType: "delete", path: "/Test Cases/Common Test Cases/Login.tc" },
      ],
    });
    await sim.flushDeliveries();
    await idle();
    expect(field(existingTc, "Microsoft.VSTS.TCM.AutomatedTestName")).toBe("Test Cases/Main Test Cases/TC1_Sign in");
    const traces = (await call("GET", `/api/trace/katalon?projectId=${project.id}`)).body;
    const login = traces.links.find((l: any) => l.katalonId === LOGIN);
    expect(login).toMatchObject({ removed: true, problem: expect.stringContaining("deleted from the repository") });
    expect(login.adoTestCaseId).toEqual(expect.any(Number));
  });

  test("a Tested By link removed in Azure DevOps leaves the view and takes its chain results with it", async () => {
    const rels = org().workItems.latest(story2).relations;
    const index = rels.findIndex((r) => r.rel === "Microsoft.VSTS.Common.TestedBy-Forward" && r.targetId === existingTc);
    await simClient(sim).patch(`_apis/wit/workitems/${story2}`, [{ op: "remove", path: `/relations/${index}` }], {
      contentType: "application/json-patch+json",
    });
    const link = (await call("GET", "/api/boards/links")).body.links[0];
    expect((await call("POST", `/api/boards/links/${link.id}/sync`, { body: {} })).status).toBe(202);
    await idle();
    const v = (await call("GET", `/api/trace/view?sprintId=${sprintId}`)).body as TraceView;
    expect(v.requirements.find((r) => r.adoId === story2)!.testCases.map((t) => t.adoTestCaseId)).not.toContain(existingTc);
    const wi = (await call("GET", `/api/results/work-items/${story2}`)).body;
    expect(wi.tests.map((r: any) => `${r.path}/${r.name}`)).not.toContain(TC1);
  });
});
