import { randomUUID } from "node:crypto";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { eq } from "drizzle-orm";
import { connections, reposFiles, reposTestCases } from "../src/db/schema";
import { dispatchAdoEvent } from "../src/hooks/dispatch";
import { JobStore } from "../src/jobs/store";
import { REPOS_SYNC_JOB } from "../src/repos/service";
import type { ReposLink, TestsView } from "../src/schemas/repos";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(60_000);
const PROJECT = "Fabrikam Fiber";
const REPO_URL = `https://dev.azure.com/fabrikam/${encodeURIComponent(PROJECT)}/_git/katalon-ci-samples`;

describe.each(DB_KINDS)("Repos links API (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({
    seed: { workItems: 0 },
    hooks: { retryDelaysMs: [], timeoutMs: 5000 },
    // Service-hook deliveries (git.push) go straight into the backend under test.
    deliver: (url, init) => {
      const u = new URL(url);
      return Promise.resolve(backend.app.request(u.pathname + u.search, init));
    },
  });
  const fabrikam = sim.state.orgs.get("fabrikam")!;
  const project = fabrikam.projects.find((p) => p.name === PROJECT)!;
  const otherProject = fabrikam.projects.find((p) => p.name === "Scrum Project")!;
  let admin: Record<string, string>;
  let member: Record<string, string>;
  let lead: Record<string, string>;

  // Responses are checked field by field below; `any` keeps those checks short.
  async function call<T = any>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(path, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : undefined) as T & { error?: string; fields?: { field: string; message: string }[] },
    };
  }
  const create = (body: Record<string, unknown>, headers?: Record<string, string>) =>
    call<ReposLink>("POST", "/api/repos/links", { body: { projectId: project.id, ...body }, headers });
  const view = async (projectId = project.id) => (await call<TestsView>("GET", `/api/repos/tests?projectId=${projectId}`)).body;
  const idle = () => backend.deps.jobs.idle();

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    lead = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
  });
  afterAll(() => backend.close());

  it("needs the organization's connection first (409 naming what to do)", async () => {
    const res = await create({ name: "CI samples", url: REPO_URL });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: "no_connection", message: expect.stringMatching(/connect the organization first/) });
    const conn = await call("POST", "/api/connections", {
      body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
    });
    expect(conn.status).toBe(201);
  });

  it.each([
    [{ name: "", url: REPO_URL }, "name", /is required/],
    [{ name: "x".repeat(51), url: REPO_URL }, "name", /at most 50/],
    [{ name: "ok", url: REPO_URL, description: "d".repeat(256) }, "description", /at most 255/],
    [{ name: "ok", url: "ftp://x" }, "url", /https/],
    [{ name: "ok", url: "https://dev.azure.com/fabrikam/P/_boards" }, "url", /_git/],
    [{ name: "ok", url: `${REPO_URL}?version=XXmain` }, "url", /GB \(branch\)/],
    [{ name: "ok", url: REPO_URL, linkResults: "yes" }, "linkResults", /true or false/],
  ])("refuses bad input field by field: %j", async (body, field, message) => {
    const res = await create(body);
    expect(res.status).toBe(400);
    expect(res.body.fields).toContainEqual({ field, message: expect.stringMatching(message) });
  });

  it.each([
    ["an unknown repository", `https://dev.azure.com/fabrikam/${PROJECT}/_git/nope`, /repository "nope" .* does not exist/],
    ["an unknown project", "https://dev.azure.com/fabrikam/Nope/_git/katalon-ci-samples", /in project "Nope", which does not exist/],
    ["an unknown branch", `${REPO_URL}?version=GBnope`, /branch "nope", which does not exist in katalon-ci-samples/],
    ["an unknown tag", `${REPO_URL}?version=GTv9`, /tag "v9", which does not exist/],
    ["an unknown commit", `${REPO_URL}?version=GC${"a".repeat(40)}`, /commit "a{40}", which does not exist/],
    ["an unknown folder", `${REPO_URL}?path=%2Fnope`, /folder "\/nope", which does not exist in katalon-ci-samples at branch main/],
    ["a file instead of a folder", `${REPO_URL}?path=%2Ftest.prj`, /"\/test.prj", which is a file/],
    [
      "a wrongly-cased folder",
      `${REPO_URL}?path=%2Ftest%20cases%2Fmain%20test%20cases`,
      /folder "\/test cases\/main test cases", which does not exist .*case-sensitive: did you mean "\/Test Cases\/Main Test Cases"\?/,
    ],
    [
      "another organization",
      "https://dev.azure.com/contoso/Contoso%20Web/_git/Contoso%20Web",
      /organization "contoso", but this project's organization is "fabrikam"/,
    ],
  ])("names the problem with %s as a 400 on url, and stores nothing", async (_what, url, message) => {
    const res = await create({ name: "Broken", url });
    expect(res.status).toBe(400);
    expect(res.body.fields).toEqual([{ field: "url", message: expect.stringMatching(message) }]);
    const check = await call("POST", "/api/repos/links/check", { body: { projectId: project.id, url } });
    expect(check.body.fields).toEqual(res.body.fields);
    expect((await call("GET", `/api/repos/links?projectId=${project.id}`)).body.links.some((l: ReposLink) => l.name === "Broken")).toBe(
      false,
    );
  });

  it("resolves a URL without saving (inline check): repository, default branch and commit", async () => {
    const res = await call("POST", "/api/repos/links/check", { body: { projectId: project.id, url: REPO_URL } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      repository: { name: "katalon-ci-samples", projectId: project.id, projectName: PROJECT },
      path: "/",
      versionType: "branch",
      version: "main",
      commitId: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
  });

  it("lets only project administrators change links (ADO decides, per project)", async () => {
    expect((await create({ name: "By member", url: REPO_URL }, member)).status).toBe(403);
    expect(
      (await call("POST", "/api/repos/links", { body: { projectId: otherProject.id, name: "x", url: REPO_URL }, headers: lead })).status,
    ).toBe(403);
    const ok = await create({ name: "By lead", url: REPO_URL }, lead);
    expect(ok.status).toBe(201);
    // Members may read; the list tells each caller whether they may change links, per project.
    expect((await call("GET", `/api/repos/links/${ok.body.id}`, { headers: member })).status).toBe(200);
    const listed = async (headers: Record<string, string>, projectId = project.id) =>
      (await call<{ links: ReposLink[]; canEdit: boolean }>("GET", `/api/repos/links?projectId=${projectId}`, { headers })).body;
    expect(await listed(member)).toMatchObject({
      canEdit: false,
      links: expect.arrayContaining([expect.objectContaining({ id: ok.body.id })]),
    });
    expect((await listed(lead)).canEdit).toBe(true);
    expect((await listed(lead, otherProject.id)).canEdit).toBe(false);
    expect((await listed(admin, otherProject.id)).canEdit).toBe(true);
    expect((await call("POST", `/api/repos/links/${ok.body.id}/archive`, { headers: member })).status).toBe(403);
    expect((await call("POST", `/api/repos/links/${ok.body.id}/archive`, { headers: lead })).status).toBe(200);
  });

  let linkId: string;
  it("Save stores the link Inactive without syncing; Proceed syncs it, with progress, into the Tests view", async () => {
    const saved = await create({
      name: "CI samples",
      url: `${REPO_URL}?version=GBmain`,
      description: "Katalon CI samples",
      linkResults: true,
    });
    expect(saved.status).toBe(201);
    expect(saved.body).toMatchObject({
      status: "Inactive",
      job: null,
      repository: { name: "katalon-ci-samples" },
      versionType: "branch",
      version: "main",
      path: "/",
      linkResults: true,
      counts: { testCases: 0, suites: 0 },
    });
    linkId = saved.body.id;
    expect((await create({ name: "ci SAMPLES", url: REPO_URL })).body).toMatchObject({
      error: "conflict",
      fields: [{ field: "name", message: expect.stringMatching(/already used/) }],
    });
    await idle();
    expect((await view()).testCases).toEqual([]);

    const sync = await call("POST", `/api/repos/links/${linkId}/sync`);
    expect(sync.status).toBe(202);
    await idle();
    const job = (await call("GET", `/api/jobs/${sync.body.id}`)).body;
    expect(job).toMatchObject({
      kind: REPOS_SYNC_JOB,
      status: "succeeded",
      progressDone: 4,
      progressTotal: 4,
      message: "3 test cases, 3 suites",
      result: { mode: "full", requests: 3 },
    });
    const link = (await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body;
    expect(link).toMatchObject({
      status: "Active",
      counts: { testCases: 3, suites: 3 },
      job: { id: sync.body.id, status: "succeeded" },
      lastSync: { skipped: 0 },
    });
    const v = await view();
    expect(v.links.map((l) => l.name)).toEqual(["CI samples"]);
    expect(v.testCases.map((t) => [t.folder, t.name])).toEqual([
      ["Common Test Cases", "Login"],
      ["Main Test Cases", "TC1_Verify Successful Login"],
      ["Main Test Cases", "TC2_Verify Successful Appointment"],
    ]);
    const suite = v.suites.find((s) => s.kind === "suite")!;
    const tcName = new Map(v.testCases.map((t) => [t.id, t.name]));
    expect(suite.members.map((m) => [tcName.get(m.targetId!), m.enabled])).toEqual([
      ["TC1_Verify Successful Login", true],
      ["TC2_Verify Successful Appointment", true],
    ]);
    const collections = v.suites.filter((s) => s.kind === "collection");
    expect(collections.map((c) => [c.name, c.executionMode, c.members.map((m) => [m.targetId, m.configuration])])).toEqual([
      [
        "TS_RegressionTestCollectionParallel",
        "PARALLEL",
        [
          [suite.id, "Chrome · default"],
          [suite.id, "Firefox · default"],
        ],
      ],
      [
        "TS_RegressionTestCollection",
        "SEQUENTIAL",
        [
          [suite.id, "Chrome · default"],
          [suite.id, "Firefox · default"],
        ],
      ],
    ]);
  });

  it("links existing execution results with the exact same path and name, only when the link asks for it", async () => {
    const q = backend.deps.database.query.bind(backend.deps.database);
    const run = async (at: string, results: [string, string, string][]) => {
      const id = randomUUID();
      await q(
        `INSERT INTO test_runs (id, org_id, project_id, project_name, name, source, total, passed, failed, errors, skipped, created_by, created_at)
         VALUES ($1, $2, $3, $4, 'Katalon run', 'junit', $5, 0, 0, 0, 0, 'u', $6)`,
        [id, fabrikam.id, project.id, PROJECT, results.length, at],
      );
      for (const [i, [path, name, outcome]] of results.entries())
        await q(
          `INSERT INTO test_results (org_id, run_id, project_id, seq, suite, path, name, full_name, outcome)
           VALUES ($1, $2, $3, $4, 'Test Suites/TS_RegressionTest', $5, $6, $7, $8)`,
          [fabrikam.id, id, project.id, i, path, name, `${path}/${name}`, outcome],
        );
      return id;
    };
    await run("2026-01-01T00:00:00Z", [["Test Cases/Main Test Cases", "TC1_Verify Successful Login", "passed"]]);
    const newest = await run("2026-01-02T00:00:00Z", [
      ["Test Cases/Main Test Cases", "TC1_Verify Successful Login", "failed"],
      ["Test Cases/Main Test Cases", "tc1_verify successful login", "passed"], // not the exact name
      ["Test Cases/Other", "Login", "passed"], // not the exact path
    ]);
    const results = async () => Object.fromEntries((await view()).testCases.map((t) => [t.name, t.results]));
    expect(await results()).toEqual({
      Login: null,
      "TC1_Verify Successful Login": { count: 2, lastOutcome: "failed", lastRunId: newest, lastRunAt: "2026-01-02T00:00:00.000Z" },
      "TC2_Verify Successful Appointment": null,
    });
    await call("PATCH", `/api/repos/links/${linkId}`, { body: { linkResults: false } });
    expect(Object.values(await results())).toEqual([null, null, null]);
    await call("PATCH", `/api/repos/links/${linkId}`, { body: { linkResults: true } });
  });

  it("a git.push service hook on the linked branch starts one incremental sync; other branches and repositories do not", async () => {
    const jobs = async () =>
      (await call("GET", `/api/jobs?resourceKey=repos-link:${linkId}`)).body.jobs as { status: string; result: { mode: string } }[];
    const before = (await jobs()).length;
    sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
      branch: "feature",
      changes: [
        { changeType: "add", path: "/Test Cases/Main Test Cases/TC9.tc", content: "<TestCaseEntity><name>TC9</name></TestCaseEntity>" },
      ],
    });
    sim.pushCommit("fabrikam", PROJECT, PROJECT, { branch: "main", changes: [{ changeType: "add", path: "/x.txt", content: "x" }] });
    await sim.flushDeliveries();
    await idle();
    expect(await jobs()).toHaveLength(before);
    sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
      branch: "main",
      changes: [
        {
          changeType: "add",
          path: "/Test Cases/Main Test Cases/TC3_New.tc",
          content: `<?xml version="1.0"?><TestCaseEntity><name>TC3_New</name><tag>smoke</tag><testCaseGuid>0b8e2f1a-1111-4222-8333-444455556666</testCaseGuid></TestCaseEntity>`,
        },
      ],
    });
    await sim.flushDeliveries();
    const pushes = sim.deliveries().filter((d) => d.eventType === "git.push");
    expect(pushes.length).toBeGreaterThan(0);
    expect(pushes.filter((d) => !d.ok)).toEqual([]);
    await idle();
    const after = await jobs();
    expect(after).toHaveLength(before + 1);
    expect(after[0]).toMatchObject({
      status: "succeeded",
      result: { mode: "incremental", blobsFetched: 1, testCases: { created: 1, total: 4 } },
    });
    expect((await view()).testCases.map((t) => t.name)).toContain("TC3_New");
  });

  it("Edit: a new name keeps the data; another folder re-lists on the next sync", async () => {
    const renamed = await call<ReposLink>("PATCH", `/api/repos/links/${linkId}`, { body: { name: "Katalon CI" } });
    expect(renamed.body).toMatchObject({ name: "Katalon CI", status: "Active", counts: { testCases: 4 } });
    expect((await call("PATCH", `/api/repos/links/${linkId}`, { body: {} })).status).toBe(400);
    expect((await call("PATCH", `/api/repos/links/${linkId}`, { body: { url: `${REPO_URL}?path=%2Fmissing` } })).body.fields).toEqual([
      { field: "url", message: expect.stringMatching(/folder "\/missing", which does not exist/) },
    ]);
    const moved = await call<ReposLink>("PATCH", `/api/repos/links/${linkId}`, {
      body: { url: `${REPO_URL}?path=%2FTest%20Cases%2FMain%20Test%20Cases&version=GBmain`, sync: true },
    });
    expect(moved.body).toMatchObject({ path: "/Test Cases/Main Test Cases", lastCommit: null });
    await idle();
    const link = (await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body;
    expect(link).toMatchObject({
      counts: { testCases: 3, suites: 0 },
      lastSync: { mode: "full", testCases: { removed: 1 }, suites: { removed: 3 } },
    });
    expect((await view()).testCases.map((t) => t.name)).toEqual([
      "TC1_Verify Successful Login",
      "TC2_Verify Successful Appointment",
      "TC3_New",
    ]);
  });

  it("Edit to another branch keeps parses by blob id: only blobs new on that branch are downloaded", async () => {
    const back = await call<ReposLink>("PATCH", `/api/repos/links/${linkId}`, { body: { url: `${REPO_URL}?version=GBmain`, sync: true } });
    expect(back.status).toBe(200);
    await idle();
    sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
      branch: "feature/retarget",
      changes: [
        {
          path: "/Test Cases/Main Test Cases/TC3_New.tc",
          changeType: "edit",
          content: `<?xml version="1.0"?><TestCaseEntity><name>TC3_New</name><tag>smoke, branch</tag><testCaseGuid>0b8e2f1a-1111-4222-8333-444455556666</testCaseGuid></TestCaseEntity>`,
        },
      ],
    });
    const moved = await call<ReposLink>("PATCH", `/api/repos/links/${linkId}`, {
      body: { url: `${REPO_URL}?version=GBfeature%2Fretarget`, sync: true },
    });
    expect(moved.body).toMatchObject({ versionType: "branch", version: "feature/retarget", lastCommit: null });
    await idle();
    const link = (await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body;
    expect(link.lastSync).toMatchObject({ mode: "full", blobsFetched: 1, testCases: { updated: 1 } });
    expect((await view()).testCases.find((t) => t.name === "TC3_New")!.tags).toEqual(["smoke", "branch"]);
    // Back where the next tests expect the link: only main's TC3_New is downloaded again (parses are kept
    // for the files the link has now, not for every blob it ever saw).
    await call("PATCH", `/api/repos/links/${linkId}`, {
      body: { url: `${REPO_URL}?path=%2FTest%20Cases%2FMain%20Test%20Cases&version=GBmain`, sync: true },
    });
    await idle();
    expect((await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body.lastSync).toMatchObject({ blobsFetched: 1 });
  });

  it("Archive hides the link's tests, cancels its queued sync and ignores pushes; Unarchive brings them back and catches up", async () => {
    // A sync waiting in the queue (recorded, not yet picked up by a runner).
    const { record: queued } = await new JobStore(backend.deps.database.db).insert(
      fabrikam.id,
      REPOS_SYNC_JOB,
      { linkId },
      { resourceKey: `repos-link:${linkId}` },
    );
    const archived = await call<ReposLink>("POST", `/api/repos/links/${linkId}/archive`);
    expect(archived.body).toMatchObject({ archived: true, archivedAt: expect.any(String) });
    expect((await call("GET", `/api/jobs/${queued.id}`)).body).toMatchObject({ status: "cancelled", cancelRequested: true });
    expect((await view()).testCases).toEqual([]);
    expect((await call("POST", `/api/repos/links/${linkId}/sync`)).status).toBe(409);
    expect((await call("PATCH", `/api/repos/links/${linkId}`, { body: { name: "x" } })).status).toBe(409);

    const head = sim.pushCommit("fabrikam", PROJECT, "katalon-ci-samples", {
      branch: "main",
      changes: [{ changeType: "delete", path: "/Test Cases/Main Test Cases/TC3_New.tc" }],
    });
    await sim.flushDeliveries();
    await idle();
    expect((await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body.lastCommit).not.toBe(head.commitId);

    const back = await call<ReposLink>("POST", `/api/repos/links/${linkId}/unarchive`);
    expect(back.body).toMatchObject({ archived: false, job: { status: expect.stringMatching(/queued|running|succeeded/) } });
    await idle();
    const link = (await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body;
    expect(link).toMatchObject({ lastCommit: head.commitId, counts: { testCases: 2 } });
    expect((await view()).testCases.map((t) => t.name)).toEqual(["TC1_Verify Successful Login", "TC2_Verify Successful Appointment"]);
  });

  it("stops syncing while the connection is disconnected, saying why, and resumes after reconnecting", async () => {
    const [conn] = await backend.deps.database.db.select().from(connections).where(eq(connections.status, "Active"));
    expect((await call("POST", `/api/connections/${conn.id}/disconnect`)).status).toBe(200);
    const job = await call("POST", `/api/repos/links/${linkId}/sync`);
    await idle();
    expect((await call("GET", `/api/jobs/${job.body.id}`)).body).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/connection is not active/),
    });
    expect((await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body).toMatchObject({
      status: "Error",
      statusReason: expect.stringMatching(/reconnect/),
    });
    expect((await view()).testCases).toHaveLength(2); // data of the last good sync stays
    expect((await call("POST", `/api/connections/${conn.id}/reconnect`)).status).toBe(200);
    await call("POST", `/api/repos/links/${linkId}/sync`);
    await idle();
    expect((await call<ReposLink>("GET", `/api/repos/links/${linkId}`)).body).toMatchObject({ status: "Active", statusReason: null });
  });

  it("keeps organizations apart: another org's user cannot see or touch the link", async () => {
    const contoso = await authHeaders(sim, "contoso", DEMO_USERS.contosoAdmin.id);
    expect((await call("GET", `/api/repos/links/${linkId}`, { headers: contoso })).status).toBe(404);
    expect((await call("POST", `/api/repos/links/${linkId}/archive`, { headers: contoso })).status).toBe(404);
    expect((await call("GET", `/api/repos/tests?projectId=${project.id}`, { headers: contoso })).body).toEqual({
      links: [],
      testCases: [],
      suites: [],
    });
  });

  it("ignores push events for links saved but never synced (Inactive)", async () => {
    const saved = await create({ name: "Never synced", url: REPO_URL });
    await dispatchAdoEvent(backend.deps, {
      orgId: fabrikam.id,
      connectionId: "c",
      eventType: "git.push",
      repositoryId: saved.body.repository.id,
      resource: { refUpdates: [{ name: "refs/heads/main" }] },
    });
    expect((await call("GET", `/api/jobs?resourceKey=repos-link:${saved.body.id}`)).body.jobs).toEqual([]);
    const files = await backend.deps.database.db.select().from(reposFiles).where(eq(reposFiles.linkId, saved.body.id));
    expect(files).toEqual([]);
    expect(await backend.deps.database.db.select().from(reposTestCases).where(eq(reposTestCases.linkId, saved.body.id))).toEqual([]);
  });
});
