// Results from CI (issue #15), end to end through the simulator: the pipeline task's bundle run as the
// agent runs it (INPUT_* variables, the job's access token), upload keys, and the import of pipeline
// test runs already in Azure Test Plans.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { createSimulator, DEMO_USERS } from "@testops/ado-sim";
import { ALL_SCOPES } from "@testops/ado-sim/auth";
import type { SimulatorImpl } from "@testops/ado-sim/simulator";
import { adoClientFor } from "../src/connections/service";
import { runImport } from "../src/imports/engine";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, "../..");
const TASK = path.join(ROOT, "dist-task/TestOpsPublishResults/index.js");
const PROJECT = "Fabrikam Fiber";
const OTHER = "Scrum Project";

/** The task's bundle, built when missing or older than its sources (what the .vsix carries). */
function ensureTaskBuilt() {
  const newest = (p: string): number =>
    statSync(p).isDirectory() ? Math.max(...readdirSync(p).map((e) => newest(path.join(p, e)))) : statSync(p).mtimeMs;
  if (existsSync(TASK) && statSync(TASK).mtimeMs >= newest(path.join(ROOT, "pipeline-task"))) return;
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules/webpack-cli/bin/cli.js"), "--config", "pipeline-task/webpack.config.js", "--mode", "production"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  if (r.status !== 0) throw new Error(`building the task failed:\n${r.stdout}\n${r.stderr}`);
}

const junit = (suite: string, cases: { name: string; fail?: string; workitem?: number }[]) =>
  `<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="${suite}" tests="${cases.length}" timestamp="2026-11-20T10:00:00" time="3.5">
${cases
  .map(
    (c) =>
      `  <testcase classname="${suite}" name="${c.name}" time="0.5">${c.workitem ? `<properties><property name="workitem" value="${c.workitem}"/></properties>` : ""}${
        c.fail ? `<failure message="${c.fail}">at ${suite}.${c.name}</failure>` : ""
      }</testcase>`,
  )
  .join("\n")}
</testsuite>`;

/** Runs the task's entry as the agent does: inputs as INPUT_*, the job's endpoint and variables in the environment. */
function runTask(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TASK], {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, out }));
  });
}

describe.each(DB_KINDS)("results from CI (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  let server: ReturnType<typeof serve>;
  let api: string;
  const sim = createSimulator({
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    deliver: () => Promise.resolve(new Response(null, { status: 200 })),
  });
  const impl = sim as unknown as SimulatorImpl;
  let admin: Record<string, string>;
  let projectAdmin: Record<string, string>;
  let member: Record<string, string>;
  let story: number;
  let bug: number;
  let mobileItem: number;
  let dir: string;

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
  const post = (url: string, body: unknown, headers = admin) =>
    call("POST", url, { body: JSON.stringify(body), type: "application/json", headers });

  beforeAll(async () => {
    ensureTaskBuilt();
    backend = await testBackend({ kind, fetch: sim.fetch, env: { SYNC_INTERVAL_MINUTES: "0" } });
    await new Promise<void>((resolve) => {
      server = serve({ fetch: backend.app.fetch, port: 0, hostname: "127.0.0.1" }, (info: AddressInfo) => {
        api = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    projectAdmin = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Pay by card" }).id;
    bug = sim.createWorkItem("fabrikam", PROJECT, "Bug", { "System.Title": "Card declined twice" }).id;
    mobileItem = sim.createWorkItem("fabrikam", OTHER, "Product Backlog Item", { "System.Title": "Mobile login" }).id;
    dir = mkdtempSync(path.join(tmpdir(), "testops-task-"));
    // The organization's connection: pushes, the import and key uploads' work item checks use it.
    const r = await post("/api/connections", {
      name: "main",
      organizationUrl: "https://dev.azure.com/fabrikam",
      pat: sim.addPat({ userId: DEMO_USERS.admin.id, org: "fabrikam", scopes: ALL_SCOPES }).token,
    });
    expect(r.status).toBe(201);
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await backend.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe("pipeline task", () => {
    const taskEnv = (run: ReturnType<typeof sim.startPipelineRun>, inputs: Record<string, string>, folder: string) => ({
      INPUT_TESTOPSURL: api,
      INPUT_TESTRESULTSFILES: "**/TEST-*.xml",
      INPUT_SEARCHFOLDER: folder,
      INPUT_LINKWORKITEMS: "build",
      INPUT_FAILTASKONFAILEDTESTS: "false",
      INPUT_PUSHTOTESTPLANS: "false",
      ...inputs,
      // How the agent hands a task the job's access token (the SystemVssConnection endpoint) and variables.
      ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: run.accessToken }, scheme: "OAuth" }),
      ENDPOINT_URL_SYSTEMVSSCONNECTION: "https://dev.azure.com/fabrikam/",
      SYSTEM_COLLECTIONURI: "https://dev.azure.com/fabrikam/",
      SYSTEM_TEAMPROJECTID: run.variables.SYSTEM_TEAMPROJECTID,
      SYSTEM_TEAMPROJECT: run.variables.SYSTEM_TEAMPROJECT,
      BUILD_BUILDID: run.variables.BUILD_BUILDID,
      BUILD_BUILDNUMBER: run.variables.BUILD_BUILDNUMBER,
      AGENT_TEMPDIRECTORY: dir,
      AGENT_VERSION: "3.240.0",
    });

    it("uploads every report as one run with the build's metadata, lists the file it cannot parse, links the build's work items", async () => {
      const run = sim.startPipelineRun("fabrikam", PROJECT, {
        pipeline: "Payments CI",
        branch: "refs/heads/release/2.0",
        workItemIds: [story],
      });
      const folder = mkdtempSync(path.join(dir, "ws-"));
      writeFileSync(
        path.join(folder, "TEST-Checkout.xml"),
        junit("Checkout", [{ name: "pays" }, { name: "declines", fail: "card declined" }]),
      );
      writeFileSync(path.join(folder, "TEST-Refund.xml"), junit("Refund", [{ name: "refunds", workitem: bug }, { name: "partial" }]));
      writeFileSync(path.join(folder, "TEST-Broken.xml"), "all tests passed");
      const { code, out } = await runTask(taskEnv(run, { INPUT_FAILTASKONFAILEDTESTS: "true" }, folder));
      expect(code).toBe(0);
      // One failed test and "fail on failed tests": the task fails, saying why.
      expect(out).toMatch(/##vso\[task\.complete result=Failed;\]1 of 4 tests failed/);
      expect(out).toMatch(/##vso\[task\.issue type=warning[^\]]*\].*TEST-Broken\.xml: not uploaded: .*not XML/i);
      expect(out).toContain("TestOps run: 4 results — 3 passed, 1 failed, 0 errors, 0 skipped");
      const url = /See the run: (\S+)/.exec(out)![1];
      expect(url).toMatch(
        /^https:\/\/dev\.azure\.com\/fabrikam\/Fabrikam%20Fiber\/_settings\/testops\.testops-azure-devops\.project-settings\?tab=runs&runId=/,
      );
      const runId = new URL(url).searchParams.get("runId")!;

      const stored = await call("GET", `/api/results/runs/${runId}`);
      expect(stored.status).toBe(200);
      expect(stored.body).toMatchObject({
        origin: "task",
        name: `Payments CI ${run.buildNumber}`,
        totals: { total: 4, passed: 3, failed: 1 },
        build: {
          id: run.buildId,
          number: run.buildNumber,
          pipeline: "Payments CI",
          branch: "refs/heads/release/2.0",
          commit: run.variables.BUILD_SOURCEVERSION,
          url: `https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=${run.buildId}`,
        },
      });
      expect(stored.body.createdBy).toBe(run.identity.id);
      // The build's work item gets every result; the per-test property links one result to the bug.
      const onStory = await call("GET", `/api/results/work-items/${story}`);
      expect(onStory.body.total).toBe(4);
      expect(onStory.body.summary).toMatchObject({ tests: 4, passed: 3, failed: 1 });
      const onBug = await call("GET", `/api/results/work-items/${bug}`);
      expect(onBug.body.tests.map((r: { name: string }) => r.name)).toEqual(["refunds"]);
      // The test's history on the work item names the build that ran it, with its link.
      const history = await call("GET", `/api/results/work-items/${bug}/tests/${onBug.body.tests[0].key}/results`);
      expect(history.body.results[0].run.build).toEqual({
        number: run.buildNumber,
        url: `https://dev.azure.com/fabrikam/Fabrikam%20Fiber/_build/results?buildId=${run.buildId}`,
      });
      const byOrigin = await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=task`);
      expect(byOrigin.body.runs.map((r: { id: string }) => r.id)).toContain(runId);
    });

    it("pushes the run to Azure Test Plans when asked, and succeeds when every test passed", async () => {
      const run = sim.startPipelineRun("fabrikam", PROJECT, { pipeline: "Payments CI" });
      const folder = mkdtempSync(path.join(dir, "ws-"));
      writeFileSync(path.join(folder, "TEST-Ok.xml"), junit("Ok", [{ name: "works" }]));
      const { out } = await runTask(taskEnv(run, { INPUT_PUSHTOTESTPLANS: "true", INPUT_TESTRUNTITLE: "Smoke" }, folder));
      expect(out).toMatch(/##vso\[task\.complete result=Succeeded;\]/);
      expect(out).toMatch(/Pushing to Azure Test Plans \(job [0-9a-f-]{36}\)/);
      await backend.deps.jobs.idle();
      const runId = new URL(/See the run: (\S+)/.exec(out)![1]).searchParams.get("runId")!;
      const stored = (await call("GET", `/api/results/runs/${runId}`)).body;
      expect(stored.name).toBe("Smoke");
      expect(stored.ado.status).toBe("pushed");
      const adoRun = impl.org("fabrikam").test.runs.find((r) => r.id === stored.ado.runId)!;
      expect(adoRun.results).toHaveLength(1);
    });

    it("sends the job's token only over https (plain http only to this machine)", async () => {
      const run = sim.startPipelineRun("fabrikam", PROJECT);
      const { out } = await runTask(taskEnv(run, { INPUT_TESTOPSURL: "http://testops.example.com" }, dir));
      expect(out).toMatch(/##vso\[task\.complete result=Failed;\]testopsUrl must be https/);
    });

    it("says so and succeeds with issues when no file matches", async () => {
      const run = sim.startPipelineRun("fabrikam", PROJECT);
      const { out } = await runTask(taskEnv(run, {}, mkdtempSync(path.join(dir, "empty-"))));
      expect(out).toMatch(/No test result files match \*\*\/TEST-\*\.xml/);
      expect(out).toMatch(/##vso\[task\.complete result=SucceededWithIssues;\]/);
    });

    it("is refused once the job's token has expired (the build finished), and for a project the job cannot see", async () => {
      const run = sim.startPipelineRun("fabrikam", PROJECT);
      const headers = {
        Authorization: `Bearer ${run.accessToken}`,
        "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
        "X-Ado-Build-Id": String(run.buildId),
      };
      const xml = junit("A", [{ name: "a" }]);
      const other = await call("POST", `/api/results/junit?project=${encodeURIComponent(OTHER)}`, {
        body: xml,
        type: "application/xml",
        headers,
      });
      expect(other.status).toBe(400);
      expect(other.body.fields[0].field).toBe("project");
      // A build id that is not a build of this project.
      const wrongBuild = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, {
        body: xml,
        type: "application/xml",
        headers: { ...headers, "X-Ado-Build-Id": "987654" },
      });
      expect(wrongBuild.status).toBe(400);
      expect(wrongBuild.body.fields[0].field).toBe("X-Ado-Build-Id");
      // A work item of another project cannot be linked with this job's token.
      const foreign = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}&workItemIds=${mobileItem}`, {
        body: xml,
        type: "application/xml",
        headers,
      });
      expect(foreign.status).toBe(400);
      expect(foreign.body.fields[0].field).toBe("workItemIds");
      sim.completeBuild("fabrikam", run.buildId);
      const late = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, {
        body: xml,
        type: "application/xml",
        headers,
      });
      expect(late.status).toBe(401);
      // Without the build id, a job token is not an app token.
      const noBuild = await call("POST", `/api/results/junit?project=${encodeURIComponent(PROJECT)}`, {
        body: xml,
        type: "application/xml",
        headers: { Authorization: headers.Authorization, "X-Ado-Collection-Url": headers["X-Ado-Collection-Url"] },
      });
      expect(noBuild.status).toBe(401);
    });

    it("adds files only to the runs of its own build", async () => {
      const a = sim.startPipelineRun("fabrikam", PROJECT);
      const b = sim.startPipelineRun("fabrikam", PROJECT);
      const h = (r: typeof a) => ({
        Authorization: `Bearer ${r.accessToken}`,
        "X-Ado-Collection-Url": "https://dev.azure.com/fabrikam/",
        "X-Ado-Build-Id": String(r.buildId),
      });
      const q = `project=${encodeURIComponent(PROJECT)}`;
      const first = await call("POST", `/api/results/junit?${q}`, {
        body: junit("A", [{ name: "a" }]),
        type: "application/xml",
        headers: h(a),
      });
      expect(first.status).toBe(201);
      const intruder = await call("POST", `/api/results/junit?${q}&runId=${first.body.run.id}`, {
        body: junit("B", [{ name: "b" }]),
        type: "application/xml",
        headers: h(b),
      });
      expect(intruder.status).toBe(400);
      expect(intruder.body.fields[0].field).toBe("runId");
      const push = await call("POST", `/api/results/runs/${first.body.run.id}/push`, { headers: h(b) });
      expect(push.status).toBe(404);
    });
  });

  describe("upload keys", () => {
    let keyId: string;
    let secret: string;

    it("project administrators create a key; its secret is shown once and stored only as a hash", async () => {
      const denied = await post("/api/keys", { project: PROJECT, name: "GitHub Actions" }, member);
      expect(denied.status).toBe(403);
      const r = await post("/api/keys", { project: PROJECT, name: "GitHub Actions" }, projectAdmin);
      expect(r.status).toBe(201);
      secret = r.body.secret;
      keyId = r.body.key.id;
      expect(secret).toMatch(/^tok_[A-Za-z0-9_-]{43}$/);
      expect(r.body.key).toMatchObject({
        name: "GitHub Actions",
        projectName: PROJECT,
        prefix: secret.slice(0, 10),
        lastUsedAt: null,
        revokedAt: null,
      });
      const dup = await post("/api/keys", { project: PROJECT, name: "github actions" }, projectAdmin);
      expect(dup.status).toBe(400);
      expect(dup.body.fields[0].field).toBe("name");
      const list = await call("GET", `/api/keys?project=${encodeURIComponent(PROJECT)}`, { headers: projectAdmin });
      expect(list.status).toBe(200);
      expect(JSON.stringify(list.body)).not.toContain(secret);
      expect(list.body.keys.map((k: { id: string }) => k.id)).toContain(keyId);
      expect((await call("GET", `/api/keys?project=${encodeURIComponent(PROJECT)}`, { headers: member })).status).toBe(403);
      const rows = await backend.deps.database.query<Record<string, unknown>>(`SELECT * FROM upload_keys WHERE id = $1`, [keyId]);
      expect(JSON.stringify(rows)).not.toContain(secret.slice(4));
    });

    it("uploads with Authorization: Bearer tok_… and a raw body, to its own project only, and records each use", async () => {
      const key = { Authorization: `Bearer ${secret}` };
      const r = await call("POST", `/api/results/junit?runName=${encodeURIComponent("GHA #12")}&workItemIds=${story}`, {
        body: junit("Api", [{ name: "lists" }, { name: "fails", fail: "boom" }]),
        type: "application/xml",
        headers: key,
      });
      expect(r.status).toBe(201);
      expect(r.body.run).toMatchObject({
        origin: "key",
        name: "GHA #12",
        projectName: PROJECT,
        uploadKey: { id: keyId, name: "GitHub Actions" },
      });
      expect(r.body.linked.workItems).toEqual([story]);
      const elsewhere = await call("POST", `/api/results/junit?project=${encodeURIComponent(OTHER)}`, {
        body: junit("Api", [{ name: "a" }]),
        type: "application/xml",
        headers: key,
      });
      expect(elsewhere.status).toBe(400);
      expect(elsewhere.body.fields[0].field).toBe("project");
      // A work item of another project is not linked through a key of this one.
      const foreign = await call("POST", `/api/results/junit?workItemIds=${mobileItem}`, {
        body: junit("Api", [{ name: "a" }]),
        type: "application/xml",
        headers: key,
      });
      expect(foreign.status).toBe(400);
      // A key opens only the upload and push routes.
      expect((await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}`, { headers: key })).status).toBe(401);
      const listed = (await call("GET", `/api/keys?project=${encodeURIComponent(PROJECT)}`, { headers: projectAdmin })).body.keys.find(
        (k: { id: string }) => k.id === keyId,
      );
      expect(listed.lastUsedAt).not.toBeNull();
      const audit = await call("GET", `/api/keys/${keyId}/audit`, { headers: projectAdmin });
      expect(audit.body.entries.map((e: { action: string }) => e.action)).toEqual(["upload_key.used", "upload_key.created"]);
      expect(JSON.stringify(audit.body)).not.toContain(secret);
    });

    it("a revoked key is refused", async () => {
      expect((await post(`/api/keys/${keyId}/revoke`, {}, member)).status).toBe(403);
      const r = await post(`/api/keys/${keyId}/revoke`, {}, projectAdmin);
      expect(r.status).toBe(200);
      expect(r.body.revokedAt).not.toBeNull();
      const up = await call("POST", "/api/results/junit", {
        body: junit("Api", [{ name: "a" }]),
        type: "application/xml",
        headers: { Authorization: `Bearer ${secret}` },
      });
      expect(up.status).toBe(401);
      expect(up.body.error).toBe("key_revoked");
      const unknown = await call("POST", "/api/results/junit", {
        body: junit("Api", [{ name: "a" }]),
        type: "application/xml",
        headers: { Authorization: `Bearer tok_${"x".repeat(43)}` },
      });
      expect(unknown.status).toBe(401);
      const audit = await call("GET", `/api/keys/${keyId}/audit`, { headers: projectAdmin });
      expect(audit.body.entries[0].action).toBe("upload_key.revoked");
    });
  });

  describe("import of pipeline test runs", () => {
    const DAY = 24 * 3600_000;
    const ago = (days: number) => new Date(Date.now() - days * DAY);
    let buildRun: ReturnType<typeof sim.startPipelineRun>;

    it("reads runs by last update in 7-day windows and pages, keeps build and work items, imports nothing twice nor what TestOps pushed", async () => {
      buildRun = sim.startPipelineRun("fabrikam", PROJECT, { pipeline: "Nightly", workItemIds: [story] });
      const old = sim.publishPipelineTestRun("fabrikam", buildRun.buildId, {
        title: "Nightly 15 days ago",
        at: ago(15),
        results: [
          { name: "logs in", className: "com.fabrikam.LoginTest", outcome: "Passed", durationInMs: 120 },
          {
            name: "locks out",
            className: "com.fabrikam.LoginTest",
            outcome: "Failed",
            errorMessage: "expected locked",
            stackTrace: "at LoginTest.java:42",
          },
          { name: "times out", className: "com.fabrikam.LoginTest", outcome: "Timeout" },
          { name: "later", className: "com.fabrikam.LoginTest", outcome: "NotExecuted" },
        ],
      });
      sim.publishPipelineTestRun("fabrikam", buildRun.buildId, {
        title: "Too old",
        at: ago(30),
        results: [{ name: "x", outcome: "Passed" }],
      });
      // More than one page (100) in one window.
      for (let i = 0; i < 105; i++)
        sim.publishPipelineTestRun("fabrikam", buildRun.buildId, {
          title: `Shard ${i}`,
          at: new Date(ago(3).getTime() + i * 1000),
          results: [{ name: `t${i}`, outcome: "Passed" }],
        });
      const before = (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=import`)).body.total;
      expect(before).toBe(0);
      const denied = await call("PUT", "/api/imports", {
        body: JSON.stringify({ project: PROJECT, enabled: true, sinceDays: 20 }),
        type: "application/json",
        headers: member,
      });
      expect(denied.status).toBe(403);
      const on = await call("PUT", "/api/imports", {
        body: JSON.stringify({ project: PROJECT, enabled: true, sinceDays: 20 }),
        type: "application/json",
        headers: projectAdmin,
      });
      expect(on.status).toBe(200);
      expect(on.body.jobId).toEqual(expect.any(String));
      await backend.deps.jobs.idle();
      const job = (await call("GET", `/api/jobs/${on.body.jobId}`)).body;
      expect(job.status).toBe("succeeded");
      const state = (await call("GET", `/api/imports?project=${encodeURIComponent(PROJECT)}`, { headers: member })).body;
      expect(state).toMatchObject({ enabled: true, lastError: null, canEdit: false });
      // Every run of the last 20 days except those TestOps pushed (the pipeline task's push above) came in once.
      const runs = (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=import&top=200`)).body;
      expect(runs.total).toBe(106);
      expect(state.importedRuns).toBe(106);
      const adoRuns = impl.org("fabrikam").test.runs;
      const pushedByUs = (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=task`)).body.runs.filter(
        (r: { ado: { runId: number | null } }) => r.ado.runId !== null,
      );
      expect(pushedByUs.length).toBeGreaterThan(0);
      for (const p of pushedByUs)
        expect(runs.runs.some((r: { importedAdoRunId: number }) => r.importedAdoRunId === p.ado.runId)).toBe(false);
      const imported = runs.runs.find((r: { importedAdoRunId: number }) => r.importedAdoRunId === old.runId);
      expect(imported).toMatchObject({
        origin: "import",
        name: "Nightly 15 days ago",
        totals: { total: 4, passed: 1, failed: 1, error: 1, skipped: 1 },
        build: { id: buildRun.buildId, number: buildRun.buildNumber, pipeline: "Nightly" },
        ado: { status: "pushed", runId: old.runId },
      });
      const results = (await call("GET", `/api/results/runs/${imported.id}/results`)).body.results;
      expect(results[1]).toMatchObject({
        className: "com.fabrikam.LoginTest",
        name: "locks out",
        outcome: "failed",
        message: "expected locked",
        workItemIds: [story],
      });
      expect(adoRuns.length).toBeGreaterThan(106);
      // The next import reads only what changed since: nothing new, nothing twice.
      const again = await post("/api/imports/run", { project: PROJECT }, projectAdmin);
      expect(again.status).toBe(202);
      await backend.deps.jobs.idle();
      expect((await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=import`)).body.total).toBe(106);
      // A pushed run of TestOps is never pushed back in: pushing an imported run is refused.
      expect((await call("POST", `/api/results/runs/${imported.id}/push`)).status).toBe(409);
    });

    it("an import stopped between pages resumes from the stored cursor and continuation, importing nothing twice", async () => {
      const base = Date.now() - 6 * 86_400_000;
      for (let i = 0; i < 150; i++)
        sim.publishPipelineTestRun("fabrikam", buildRun.buildId, {
          title: `Resume ${i}`,
          at: new Date(base + i * 1000),
          results: [{ name: `r${i}`, outcome: "Passed" }],
        });
      const orgId = impl.org("fabrikam").id;
      const project = impl.org("fabrikam").projects.find((p) => p.name === PROJECT)!;
      // Read back to before these runs, then stop after the first page (as a killed worker would).
      await backend.deps.database.query(
        `UPDATE results_imports SET cursor_at = $1, window_end = NULL, continuation = NULL WHERE project_id = $2`,
        [new Date(base - 1000), project.id],
      );
      const client = await adoClientFor(backend.deps, orgId);
      const stop = new AbortController();
      await expect(
        runImport(backend.deps, client, orgId, project.id, {
          signal: stop.signal,
          progress: async () => stop.abort(),
          now: new Date(),
        }),
      ).rejects.toThrow();
      const [row] = await backend.deps.database.query<{ continuation: string | null; window_end: Date | null }>(
        `SELECT continuation, window_end FROM results_imports WHERE project_id = $1`,
        [project.id],
      );
      expect(row.continuation).toEqual(expect.any(String));
      expect(row.window_end).not.toBeNull();
      const count = async () =>
        (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=import&top=1`)).body.total as number;
      const stopped = await count();
      const out = await runImport(backend.deps, client, orgId, project.id, {
        signal: new AbortController().signal,
        progress: async () => undefined,
        now: new Date(),
      });
      expect(stopped + out.imported).toBe(106 + 150);
      expect(await count()).toBe(106 + 150);
    });

    it("imports a run published after the last import, and stops when turned off", async () => {
      const fresh = sim.publishPipelineTestRun("fabrikam", buildRun.buildId, {
        title: "Fresh",
        results: [{ name: "new", outcome: "Passed" }],
      });
      // The next import, ten minutes later (runs updated in the last two minutes wait for the next one).
      const orgId = impl.org("fabrikam").id;
      const client = await adoClientFor(backend.deps, orgId);
      const project = impl.org("fabrikam").projects.find((p) => p.name === PROJECT)!;
      const out = await runImport(backend.deps, client, orgId, project.id, {
        signal: new AbortController().signal,
        progress: async () => undefined,
        now: new Date(Date.now() + 10 * 60_000),
      });
      expect(out.imported).toBe(1);
      const runs = (await call("GET", `/api/results/runs?project=${encodeURIComponent(PROJECT)}&origin=import&top=1`)).body;
      expect(runs.total).toBe(257);
      expect(runs.runs[0].importedAdoRunId).toBe(fresh.runId);
      const off = await call("PUT", "/api/imports", {
        body: JSON.stringify({ project: PROJECT, enabled: false }),
        type: "application/json",
        headers: projectAdmin,
      });
      expect(off.body.enabled).toBe(false);
      expect((await post("/api/imports/run", { project: PROJECT }, projectAdmin)).status).toBe(409);
    });
  });
});
