import { readFileSync } from "node:fs";
import path from "node:path";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import type { SimulatorImpl } from "@testops/ado-sim/simulator";
import { findResultsByPathAndName, linkResultsToWorkItem, splitKatalonId } from "../src/results";
import { pushFailureReason, toAdoResult } from "../src/results/push";
import { AdoError } from "../src/ado/errors";
import type { ResultRow } from "../src/results/store";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(90_000);

const FIXTURES = path.resolve(__dirname, "../../../shared/fixtures/junit/enricomi/junit-xml");
const fixture = (p: string) => readFileSync(path.join(FIXTURES, p));
const PROJECT = "Fabrikam Fiber";

const KATALON = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="TS_RegressionTest" time="95.2" tests="3" failures="1" errors="0">
  <testsuite name="TS_RegressionTest" tests="3" failures="1" errors="0" time="95.2" timestamp="2026-06-14T06:15:28.392Z" hostname="ci-42">
    <testcase name="Test Cases/Main Test Cases/TC1_Verify Successful Login" classname="Test Cases/Main Test Cases/TC1_Verify Successful Login" time="24.7" status="PASSED"/>
    <testcase name="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" classname="Test Cases/Main Test Cases/TC2_Verify Successful Appointment" time="70.5" status="FAILED">
      <failure type="FAILED" message="TC2 FAILED.&#xa;Reason:&#xa;StepFailedException: Unable to click on object 'btn_Book'"/>
    </testcase>
    <testcase name="Test Cases/Common Test Cases/Login" classname="Test Cases/Common Test Cases/Login" time="3.1" status="PASSED"/>
  </testsuite>
</testsuites>`;

describe.each(DB_KINDS)("results API against the simulator (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    // Service-hook deliveries (the connection subscribes) go to the backend under test, not the network.
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const simOrg = (name: string) => (sim as unknown as SimulatorImpl).org(name);
  let admin: Record<string, string>;
  let contoso: Record<string, string>;
  let story: number;
  let bug: number;
  let contosoItem: number;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    contoso = await authHeaders(sim, "contoso", DEMO_USERS.contosoAdmin.id);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Book an appointment" }).id;
    bug = sim.createWorkItem("fabrikam", PROJECT, "Bug", { "System.Title": "Booking button dead" }).id;
    contosoItem = sim.createWorkItem("contoso", "Contoso Web", "User Story", { "System.Title": "Checkout" }).id;
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    await connectOrg(backend.app, contoso, "contoso", DEMO_PATS.contoso);
  });
  afterAll(() => backend.close());

  async function call(method: string, url: string, o: { body?: BodyInit; type?: string; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(url, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.type ? { "Content-Type": o.type } : {}) },
      body: o.body,
    });
    const text = await res.text();

    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body };
  }
  const upload = (xml: string | Buffer, query: Record<string, string>, headers?: Record<string, string>) =>
    call("POST", `/api/results/junit?${new URLSearchParams(query)}`, {
      body: typeof xml === "string" ? xml : new Uint8Array(xml),
      type: "application/xml",
      headers,
    });
  const runCount = async () => (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}`)).body.total as number;

  describe("upload", () => {
    it("stores a raw XML report as a run with per-test results and links every result to the given work items", async () => {
      const r = await upload(fixture("pytest/junit.fail.xml"), { project: PROJECT, runName: "Nightly #7", workItemIds: `${story}` });
      expect(r.status).toBe(201);
      expect(r.body.run).toMatchObject({
        name: "Nightly #7",
        source: "JUnit",
        projectName: PROJECT,
        totals: { total: 5, passed: 3, failed: 1, error: 0, skipped: 1 },
        startedAt: "2020-09-04T16:18:04.966Z",
        durationMs: 2481,
        ado: { status: "none", runId: null },
      });
      expect(r.body.stats).toEqual({ suites: 1, tests: 5, runs: 5 });
      expect(r.body.linked).toEqual({ results: 5, workItems: [story] });
      expect(r.body.warnings).toEqual([]);

      const results = await call("GET", `/api/results/runs/${r.body.run.id}/results?outcome=failed`);
      expect(results.status).toBe(200);
      expect(results.body.total).toBe(1);
      expect(results.body.results[0]).toMatchObject({
        className: "test.test_spark.SparkTests",
        path: "test.test_spark.SparkTests",
        outcome: "failed",
        workItemIds: [story],
      });
      expect(results.body.results[0].message).toBeTruthy();
    });

    it("takes multipart uploads with a metadata JSON part and links tests through workitem properties", async () => {
      const xml = `<testsuites><testsuite name="checkout" timestamp="2026-01-02T03:04:05Z">
        <testcase classname="Checkout" name="pays"><properties><property name="workitem" value="${bug}"/></properties></testcase>
        <testcase classname="Checkout" name="refunds"><properties><property name="workitem" value="${bug}, 999999"/></properties><failure message="boom">trace</failure></testcase>
        <testcase classname="Checkout" name="unlinked"/>
      </testsuite></testsuites>`;
      const form = new FormData();
      form.set("file", new File([xml], "TEST-checkout.xml", { type: "text/xml" }));
      form.set("metadata", JSON.stringify({ project: PROJECT, source: "GitHub Actions" }));
      const r = await call("POST", "/api/results/junit", { body: form });
      expect(r.status).toBe(201);
      expect(r.body.run).toMatchObject({
        fileName: "TEST-checkout.xml",
        source: "GitHub Actions",
        name: "checkout (2026-01-02 03:04 UTC)",
      });
      expect(r.body.linked).toEqual({ results: 2, workItems: [bug] });
      expect(r.body.warnings).toEqual([expect.stringContaining("Work item 999999")]);
      const forBug = await call("GET", `/api/results/work-items/${bug}`);
      expect(forBug.body.tests.map((x: { name: string }) => x.name).sort()).toEqual(["pays", "refunds"]);
    });

    it("takes the report as a plain multipart field too (curl -F 'file=<report.xml')", async () => {
      const form = new FormData();
      form.set("file", `<testsuite name="plain"><testcase classname="P" name="one"/></testsuite>`);
      form.set("project", PROJECT);
      form.set("workItemIds", `#${story}`);
      const r = await call("POST", "/api/results/junit", { body: form });
      expect(r.status).toBe(201);
      expect(r.body.run).toMatchObject({ fileName: null, totals: { total: 1, passed: 1 } });
      expect(r.body.linked.workItems).toEqual([story]);
    });

    it("publishes the upload in the OpenAPI document", async () => {
      const doc = await (await backend.app.request("/openapi.json")).json();
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(["/api/results/junit", "/api/results/work-items/{id}", "/api/results/runs/{id}/push"]),
      );
    });

    it.each([
      ["no project", {}, "x", "project"],
      ["a project nobody has", { project: "No Such Project" }, "<testsuite/>", "project"],
      ["a bad work item id", { project: PROJECT, workItemIds: "12,abc" }, "x", "workItemIds"],
      ["a work item that does not exist", { project: PROJECT, workItemIds: "999999" }, "<testsuite/>", "workItemIds"],
      ["no file", { project: PROJECT }, "", "file"],
      ["text that is not XML", { project: PROJECT }, "all tests passed", "file"],
      ["a truncated report", { project: PROJECT }, '<testsuites><testsuite name="a"><testcase name="b">', "file"],
      ["XML that is not JUnit", { project: PROJECT }, "<suites><suite/></suites>", "file"],
    ])("answers 400 naming the field for %s, and stores nothing", async (_what, query, xml, field) => {
      const before = await runCount();
      const r = await upload(xml, query as Record<string, string>);
      expect(r.status).toBe(400);
      expect(r.body.error).toBe("validation_failed");
      expect(r.body.fields.map((f: { field: string }) => f.field)).toContain(field);
      expect(await runCount()).toBe(before);
    });

    it("explains why a file is refused", async () => {
      const r = await upload('<testsuites><testsuite name="a"><testcase name="b">', { project: PROJECT });
      expect(r.body.fields[0].message).toMatch(/not well-formed XML.*<testsuites>.*closed/);
      const j = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, { body: "{}", type: "application/json" });
      expect(j.status).toBe(400);
      expect(j.body.fields[0]).toMatchObject({ field: "body" });
    });

    it("answers 413 with a reason for an upload over the size limit", async () => {
      const big = Buffer.alloc(20 * 1024 * 1024 + 100 * 1024, " ");
      const r = await upload(big, { project: PROJECT });
      expect(r.status).toBe(413);
      expect(r.body).toMatchObject({ error: "too_large", message: expect.stringContaining("20 MB") });
    });
  });

  describe("results of a work item", () => {
    it("lists one row per test (failures first) with its latest outcome, a summary, the trend and each test's history", async () => {
      const wi = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Login" }).id;
      const older = `<testsuite name="login" timestamp="2026-01-01T10:00:00Z"><testcase classname="Login" name="ok"><failure message="old failure"/></testcase><testcase classname="Login" name="lockout"/></testsuite>`;
      const newer = `<testsuite name="login" timestamp="2026-01-02T10:00:00Z"><testcase classname="Login" name="ok" time="1.5"/><testcase classname="Login" name="lockout"><error message="NullPointerException">at Login.lockout(Login.java:42)</error></testcase><testcase classname="Login" name="sso"><skipped/></testcase></testsuite>`;
      // The newer run is uploaded first: "latest" follows when the results ran, not upload order.
      expect((await upload(newer, { project: PROJECT, runName: "newer", workItemIds: String(wi) })).status).toBe(201);
      expect((await upload(older, { project: PROJECT, runName: "older", workItemIds: String(wi) })).status).toBe(201);

      const r = await call("GET", `/api/results/work-items/${wi}?top=2`);
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(3);
      // Failures first, then flaky, skipped, passed.
      expect(r.body.tests.map((x: { name: string }) => x.name)).toEqual(["lockout", "sso"]);
      expect(r.body.tests[0]).toMatchObject({
        name: "lockout",
        results: 2,
        latest: { outcome: "error", message: "NullPointerException", run: { name: "newer", at: "2026-01-02T10:00:00.000Z" } },
        recent: [{ outcome: "error" }, { outcome: "passed" }],
        flaky: false,
        defects: [],
        failingWithoutDefect: true,
      });
      expect(r.body.tests[1]).toMatchObject({ name: "sso", latest: { outcome: "skipped" }, failingWithoutDefect: false });
      expect(r.body.summary).toMatchObject({
        tests: 3,
        passed: 1,
        failed: 0,
        error: 1,
        skipped: 1,
        passRate: 0.5,
        failingWithoutDefect: 1,
        lastRun: { id: expect.any(String), name: "newer", at: "2026-01-02T10:00:00.000Z" },
      });
      expect(r.body.summary.trend.map((t: { runName: string; passRate: number }) => [t.runName, t.passRate])).toEqual([
        ["older", 0.5],
        ["newer", 0.5],
      ]);
      const page2 = await call("GET", `/api/results/work-items/${wi}?top=2&skip=2`);
      expect(page2.body.tests).toEqual([
        expect.objectContaining({ name: "ok", latest: expect.objectContaining({ outcome: "passed", durationMs: 1500 }) }),
      ]);
      const failing = await call("GET", `/api/results/work-items/${wi}?filter=failingWithoutDefect`);
      expect(failing.body.tests.map((x: { name: string }) => x.name)).toEqual(["lockout"]);

      const history = await call("GET", `/api/results/work-items/${wi}/tests/${r.body.tests[0].key}/results?top=1`);
      expect(history.body).toMatchObject({ total: 2, top: 1, skip: 0 });
      expect(history.body.results).toEqual([
        expect.objectContaining({
          outcome: "error",
          stack: "at Login.lockout(Login.java:42)",
          run: expect.objectContaining({ name: "newer" }),
        }),
      ]);
      const history2 = await call("GET", `/api/results/work-items/${wi}/tests/${r.body.tests[0].key}/results?skip=1`);
      expect(history2.body.results.map((x: { run: { name: string } }) => x.run.name)).toEqual(["older"]);
      expect((await call("GET", `/api/results/work-items/${wi}/tests/${"0".repeat(64)}/results`)).status).toBe(404);
      expect((await call("GET", `/api/results/work-items/${wi}/tests/nope/results`)).body.fields[0]).toMatchObject({ field: "key" });
    });

    it("is empty for a work item without results, 404 for one that does not exist, 400 for a bad id", async () => {
      const wi = sim.createWorkItem("fabrikam", PROJECT, "Task", { "System.Title": "No tests" }).id;
      const r = await call("GET", `/api/results/work-items/${wi}`);
      expect(r.body).toMatchObject({ total: 0, tests: [], summary: { tests: 0, passRate: null, lastRun: null, trend: [] } });
      expect((await call("GET", "/api/results/work-items/987654")).status).toBe(404);
      const bad = await call("GET", "/api/results/work-items/abc");
      expect(bad.status).toBe(400);
      expect(bad.body.fields[0].field).toBe("id");
      expect((await call("GET", `/api/results/work-items/${wi}?top=500`)).body.fields[0]).toMatchObject({ field: "top" });
    });

    it("keeps organizations apart", async () => {
      // The contoso work item with fabrikam's work item id range: nothing of fabrikam leaks.
      const r = await call("GET", `/api/results/work-items/${contosoItem}`, { headers: contoso });
      expect(r.status).toBe(200);
      expect(r.body.total).toBe(0);
      // A fabrikam work item id does not exist in contoso.
      expect((await call("GET", `/api/results/work-items/${story}`, { headers: contoso })).status).toBe(404);
      // Another org's run is not found.
      const runs = await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}`);
      expect((await call("GET", `/api/results/runs/${runs.body.runs[0].id}`, { headers: contoso })).status).toBe(404);
    });
  });

  describe("push to Azure Test Plans", () => {
    const orgState = () => simOrg("fabrikam");
    async function connect(pat: string) {
      const existing = await call("GET", "/api/connections");
      for (const c of existing.body.connections.filter((x: { status: string }) => x.status !== "Inactive"))
        await call("POST", `/api/connections/${c.id}/disconnect`);
      const r = await call("POST", "/api/connections", {
        body: JSON.stringify({
          name: `conn-${Math.random().toString(36).slice(2, 8)}`,
          organizationUrl: "https://dev.azure.com/fabrikam",
          pat,
        }),
        type: "application/json",
      });
      expect(r.status).toBe(201);
      return r.body.id as string;
    }
    async function waitJob(id: string) {
      await backend.deps.jobs.idle();
      return (await call("GET", `/api/jobs/${id}`)).body;
    }

    it("answers 409 when the organization has no active connection", async () => {
      // A disconnected connection still reads members' roles (who may upload), but pushes nothing.
      for (const c of (await call("GET", "/api/connections")).body.connections.filter((x: { status: string }) => x.status === "Active"))
        expect((await call("POST", `/api/connections/${c.id}/disconnect`)).status).toBe(200);
      const up = await upload(KATALON, { project: PROJECT });
      expect(up.status).toBe(201);
      const r = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
      expect(r.status).toBe(409);
      expect(r.body.error).toBe("no_connection");
    });

    it("creates the test run, adds results with their work items, completes it; a second push is refused", async () => {
      await connect(sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token);
      const up = await upload(KATALON, { project: PROJECT, workItemIds: `${story},${bug}` });
      expect(up.body.run.source).toBe("Katalon");
      const r = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
      expect(r.status).toBe(202);
      const job = await waitJob(r.body.job.id);
      expect(job).toMatchObject({ status: "succeeded", progressDone: 3, progressTotal: 3 });

      const run = (await call("GET", `/api/results/runs/${up.body.run.id}`)).body;
      expect(run.ado).toMatchObject({ status: "pushed", error: null, runId: expect.any(Number), url: expect.stringContaining("runId=") });
      const adoRun = orgState().test.runs.find((x) => x.id === run.ado.runId)!;
      expect(adoRun).toMatchObject({ name: run.name, state: "Completed", isAutomated: true });
      // The report's own times, not the push time: started at the earliest testsuite timestamp, completed 95.2 s later.
      expect([adoRun.startedDate, adoRun.completedDate]).toEqual(["2026-06-14T06:15:28.392Z", "2026-06-14T06:17:03.592Z"]);
      expect(adoRun.results.map((x) => [x.data.automatedTestName, x.data.outcome])).toEqual([
        ["Test Cases/Main Test Cases/TC1_Verify Successful Login", "Passed"],
        ["Test Cases/Main Test Cases/TC2_Verify Successful Appointment", "Failed"],
        ["Test Cases/Common Test Cases/Login", "Passed"],
      ]);
      expect(adoRun.results[1].data.errorMessage).toBe("TC2 FAILED.");
      // associatedBugs takes bugs only: the user story is not sent there (Azure DevOps would refuse it).
      expect(adoRun.results[0].data.associatedBugs).toEqual([{ id: bug }]);

      const again = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
      expect(again.status).toBe(409);
      expect(again.body.error).toBe("already_pushed");
    });

    it("a defect filed from a pushed result is linked to the Azure Test Plans result in the same request", async () => {
      await connect(sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token);
      const wi = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Book with pushed results" }).id;
      const up = await upload(KATALON, { project: PROJECT, workItemIds: String(wi) });
      expect((await waitJob((await call("POST", `/api/results/runs/${up.body.run.id}/push`)).body.job.id)).status).toBe("succeeded");
      const run = (await call("GET", `/api/results/runs/${up.body.run.id}`)).body;
      const failing = (await call("GET", `/api/results/work-items/${wi}`)).body.tests.find(
        (t: { latest: { outcome: string } }) => t.latest.outcome === "failed",
      );
      const base = `/api/results/work-items/${wi}/tests/${failing.key}`;
      const form = await call("GET", `${base}/defect-form?resultId=${failing.latest.resultId}`);
      expect(form.body).toMatchObject({ workItemType: "Bug", linksTestPlansResult: true });
      const values = Object.fromEntries(form.body.fields.map((f: { referenceName: string; value: string }) => [f.referenceName, f.value]));
      const created = await call("POST", `${base}/defects/new`, {
        body: JSON.stringify({ resultId: failing.latest.resultId, fields: values }),
        type: "application/json",
      });
      expect(created.status).toBe(201);
      const [{ ado_result_id }] = await backend.deps.database.query<{ ado_result_id: number }>(
        `SELECT ado_result_id FROM test_results WHERE id = $1`,
        [failing.latest.resultId],
      );
      expect(simOrg("fabrikam").workItems.latest(created.body.defect.id).relations).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ rel: "System.LinkTypes.Related", targetId: wi }),
          expect.objectContaining({ rel: "ArtifactLink", url: `vstfs:///TestManagement/TcmResult/${run.ado.runId}.${ado_result_id}` }),
        ]),
      );
    });

    it("can push right after the upload (and stores the upload anyway when it cannot)", async () => {
      const existing = (await call("GET", "/api/connections")).body.connections;
      for (const c of existing.filter((x: { status: string }) => x.status !== "Inactive"))
        await call("POST", `/api/connections/${c.id}/disconnect`);
      const unpushed = await upload(KATALON, { project: PROJECT, push: "true" });
      expect(unpushed.status).toBe(201);
      expect(unpushed.body.pushJobId).toBeNull();
      expect(unpushed.body.warnings).toEqual([expect.stringMatching(/^Not pushed to Azure Test Plans: .*connect the organization first/)]);

      await connect(sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token);
      const up = await upload(KATALON, { project: PROJECT, push: "true" });
      expect(up.status).toBe(201);
      expect(up.body.pushJobId).toEqual(expect.any(String));
      expect((await waitJob(up.body.pushJobId)).status).toBe("succeeded");
    });

    it.each([
      ["the run was created", "/_apis/test/runs"],
      ["the results were added", "/results"],
    ])("a push whose answer was lost after %s resumes without duplicating anything", async (_what, match) => {
      await connect(sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token);
      const up = await upload(KATALON, { project: PROJECT });
      const runsBefore = orgState().test.runs.length;
      // Azure DevOps applies the POST, then the connection breaks mid-answer (as after a client timeout).
      sim.faults.set({ truncateRate: 1, match, count: 1 });
      const first = await waitJob((await call("POST", `/api/results/runs/${up.body.run.id}/push`)).body.job.id);
      expect(first.status).toBe("failed");
      sim.faults.clear();
      const again = await waitJob((await call("POST", `/api/results/runs/${up.body.run.id}/push`)).body.job.id);
      expect(again.status).toBe("succeeded");
      const created = orgState().test.runs.slice(runsBefore);
      expect(created).toHaveLength(1);
      expect(created[0].results.map((r) => r.data.automatedTestName)).toEqual([
        "Test Cases/Main Test Cases/TC1_Verify Successful Login",
        "Test Cases/Main Test Cases/TC2_Verify Successful Appointment",
        "Test Cases/Common Test Cases/Login",
      ]);
      expect((await call("GET", `/api/results/runs/${up.body.run.id}`)).body.ado).toMatchObject({ status: "pushed", runId: created[0].id });
    });

    it("fails with a reason naming the missing scope", async () => {
      const noTest = ALL_SCOPES.filter((s: string) => !s.startsWith("vso.test"));
      await connect(sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: noTest }).token);
      const up = await upload(KATALON, { project: PROJECT });
      const r = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
      const job = await waitJob(r.body.job.id);
      expect(job.status).toBe("failed");
      expect(job.error).toMatch(/vso\.test_write/);
      const run = (await call("GET", `/api/results/runs/${up.body.run.id}`)).body;
      expect(run.ado).toMatchObject({ status: "failed", error: expect.stringMatching(/vso\.test_write/) });
    });

    it("marks the connection Error when the PAT was revoked", async () => {
      const token = sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token;
      const connectionId = await connect(token);
      const up = await upload(KATALON, { project: PROJECT });
      sim.state.pats.get(token)!.revoked = true;
      const r = await call("POST", `/api/results/runs/${up.body.run.id}/push`);
      const job = await waitJob(r.body.job.id);
      expect(job.status).toBe("failed");
      expect(job.error).toMatch(/expired or revoked/);
      const conn = (await call("GET", `/api/connections/${connectionId}`)).body;
      expect(conn.status).toBe("Error");
      expect(JSON.stringify(conn)).not.toContain(token);
      expect(backend.log.lines.join("\n")).not.toContain(token);
    });
  });

  describe("for the Repos sync: results with the exact same path and name", () => {
    it("finds stored results by Katalon test case id and links them to a work item", async () => {
      const up = await upload(KATALON, { project: PROJECT });
      const projectId = up.body.run.projectId;
      const orgId = (await call("GET", "/api/me")).body.organization.id;
      const found = await findResultsByPathAndName(backend.deps, orgId, projectId, [
        splitKatalonId("Test Cases/Main Test Cases/TC2_Verify Successful Appointment"),
        splitKatalonId("Test Cases/Nope/Missing"),
      ]);
      expect(found.length).toBeGreaterThan(0);
      expect(found.every((f) => f.name === "TC2_Verify Successful Appointment" && f.path === "Test Cases/Main Test Cases")).toBe(true);
      // Other projects and organizations see nothing.
      expect(
        await findResultsByPathAndName(backend.deps, orgId, "other-project", [
          splitKatalonId("Test Cases/Main Test Cases/TC2_Verify Successful Appointment"),
        ]),
      ).toEqual([]);
      expect(
        await findResultsByPathAndName(backend.deps, "other-org", projectId, [
          splitKatalonId("Test Cases/Main Test Cases/TC2_Verify Successful Appointment"),
        ]),
      ).toEqual([]);

      const testCase = sim.createWorkItem("fabrikam", PROJECT, "Test Case", { "System.Title": "TC2_Verify Successful Appointment" }).id;
      const ids = found.map((f) => f.id);
      expect(await linkResultsToWorkItem(backend.deps, orgId, ids, testCase)).toBe(ids.length);
      expect(await linkResultsToWorkItem(backend.deps, orgId, ids, testCase)).toBe(0);
      expect(await linkResultsToWorkItem(backend.deps, "other-org", ids, testCase + 1)).toBe(0);
      const r = await call("GET", `/api/results/work-items/${testCase}`);
      expect(r.body.total).toBe(1);
      expect(r.body.tests[0].results).toBe(ids.length);
      expect(r.body.summary).toMatchObject({ tests: 1, failed: 1, passRate: 0 });
    });
  });
});

describe("mapping to Azure DevOps", () => {
  const row = (o: Partial<ResultRow>): ResultRow => ({
    id: 1,
    orgId: "o",
    runId: "r",
    projectId: "p",
    seq: 0,
    suite: "suite",
    className: "C",
    path: "C",
    name: "t",
    fullName: "C.t",
    outcome: "passed",
    durationMs: 12,
    message: null,
    stack: null,
    adoResultId: null,
    ...o,
  });
  it.each([
    ["passed", "Passed"],
    ["failed", "Failed"],
    ["error", "Error"],
    ["skipped", "NotExecuted"],
  ] as const)("outcome %s → %s", (ours, ado) => {
    expect(toAdoResult(row({ outcome: ours }), [], { source: "JUnit" }).outcome).toBe(ado);
  });
  it("sends names, duration, failure text (stack capped at 1,000 characters) and work items", () => {
    const r = toAdoResult(row({ outcome: "failed", message: "boom", stack: "s".repeat(5000) }), [5, 6], { source: "Katalon" });
    expect(r).toMatchObject({
      testCaseTitle: "t",
      automatedTestName: "C.t",
      automatedTestStorage: "suite",
      automatedTestType: "Katalon",
      state: "Completed",
      durationInMs: 12,
      errorMessage: "boom",
      associatedBugs: [{ id: 5 }, { id: 6 }],
    });
    expect(r.stackTrace).toHaveLength(1000);
    expect(toAdoResult(row({}), [], { source: "JUnit" })).not.toHaveProperty("associatedBugs");
  });
  it.each([
    ["bad_credentials", /expired or revoked/],
    ["missing_scope", /vso\.test_write/],
    ["not_found", /deleted/],
    ["throttled", /resumes/],
    ["unreachable", /push again/],
  ] as const)("failure %s has an actionable reason", (k, re) => {
    expect(pushFailureReason(new AdoError(k, "x"))).toMatch(re);
  });
});
