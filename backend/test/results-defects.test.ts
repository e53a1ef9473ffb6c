import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { SimulatorImpl } from "@testops/ado-sim/simulator";
import { RULE_ERROR_TEXT } from "../src/results/defects";
import { writeResultLinks } from "../src/results/links";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(90_000);

// A customized process (Custom Agile) whose Bug has a required custom field, Custom.FoundInEnvironment.
const PROJECT = "Custom Project";

const run = (at: string, outcomes: Record<string, "pass" | "fail">) =>
  `<testsuite name="checkout" timestamp="${at}">${Object.entries(outcomes)
    .map(([name, o]) =>
      o === "pass"
        ? `<testcase classname="Checkout" name="${name}" time="0.5"/>`
        : `<testcase classname="Checkout" name="${name}"><failure message="Expected 200 but was 500">at Checkout.${name}(Checkout.java:7)</failure></testcase>`,
    )
    .join("")}</testsuite>`;

describe.each(DB_KINDS)("defects of a work item's tests (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  const fabrikam = () => (sim as unknown as SimulatorImpl).org("fabrikam");
  let admin: Record<string, string>;
  let story: number;

  async function call(method: string, url: string, o: { json?: unknown; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(url, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.json !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: o.json !== undefined ? JSON.stringify(o.json) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }
  const upload = (xml: string, runName: string) =>
    backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, runName, workItemIds: String(story) })}`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/xml" },
      body: xml,
    });
  const tests = async (headers = admin) => (await call("GET", `/api/results/work-items/${story}`, { headers })).body;

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    story = sim.createWorkItem("fabrikam", PROJECT, "User Story", {
      "System.Title": "Pay by card",
      "System.IterationPath": `${PROJECT}\\Release 1\\Sprint 1`,
    }).id;
    // pays fails, refunds alternates (flaky), lists passes.
    const outcomes: Record<string, "pass" | "fail">[] = [
      { pays: "pass", refunds: "pass", lists: "pass" },
      { pays: "pass", refunds: "fail", lists: "pass" },
      { pays: "fail", refunds: "pass", lists: "pass" },
      { pays: "fail", refunds: "fail", lists: "pass" },
    ];
    for (const [i, o] of outcomes.entries())
      expect((await upload(run(`2026-03-0${i + 1}T10:00:00Z`, o), `Nightly ${i + 1}`)).status).toBe(201);
  });
  afterAll(() => backend.close());

  it("shows each test's strip, the flaky one, and failures without a defect", async () => {
    const body = await tests();
    expect(body.tests.map((t: { name: string }) => t.name)).toEqual(["pays", "refunds", "lists"]);
    const [pays, refunds, lists] = body.tests;
    expect(pays.recent.map((r: { outcome: string }) => r.outcome)).toEqual(["failed", "failed", "passed", "passed"]);
    expect(pays).toMatchObject({ flaky: false, failingWithoutDefect: true, results: 4 });
    expect(refunds).toMatchObject({ flaky: true, failingWithoutDefect: true });
    expect(lists).toMatchObject({ flaky: false, failingWithoutDefect: false });
    expect(body.summary).toMatchObject({ tests: 3, passed: 1, failed: 2, failingWithoutDefect: 2, flaky: 1 });
    expect(body.summary.trend.map((t: { passRate: number }) => Math.round(t.passRate * 100))).toEqual([100, 67, 67, 33]);
  });

  it("creates a defect of the project's bug type with its required custom field; a rule error comes back on the field and creates nothing", async () => {
    const pays = (await tests()).tests[0];
    const form = await call("GET", `/api/results/work-items/${story}/tests/${pays.key}/defect-form?resultId=${pays.latest.resultId}`);
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({ workItemType: "Bug", linkType: "System.LinkTypes.Related", linksTestPlansResult: false });
    const field = (ref: string) => form.body.fields.find((f: { referenceName: string }) => f.referenceName === ref);
    expect(field("System.Title")).toMatchObject({ required: true, value: "pays fails: Expected 200 but was 500" });
    expect(field("Microsoft.VSTS.TCM.ReproSteps").value).toContain("at Checkout.pays(Checkout.java:7)");
    expect(field("System.IterationPath").value).toBe(`${PROJECT}\\Release 1\\Sprint 1`);
    expect(field("Custom.FoundInEnvironment")).toMatchObject({
      required: true,
      kind: "choice",
      value: "",
      allowedValues: ["Development", "Test", "Staging", "Production"],
    });

    const values = Object.fromEntries(form.body.fields.map((f: { referenceName: string; value: string }) => [f.referenceName, f.value]));
    const before = fabrikam().workItems.count();
    const url = `/api/results/work-items/${story}/tests/${pays.key}/defects/new`;
    const missing = await call("POST", url, { json: { resultId: pays.latest.resultId, fields: values } });
    expect(missing.status).toBe(400);
    expect(missing.body.fields).toEqual([{ field: "Custom.FoundInEnvironment", message: "is required" }]);
    // A value Azure DevOps refuses: its TF401320 rule error becomes a field error.
    const refused = await call("POST", url, {
      json: { resultId: pays.latest.resultId, fields: { ...values, "Custom.FoundInEnvironment": "Moon" } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toEqual([{ field: "Custom.FoundInEnvironment", message: RULE_ERROR_TEXT }]);
    expect(fabrikam().workItems.count()).toBe(before);

    const created = await call("POST", url, {
      json: { resultId: pays.latest.resultId, fields: { ...values, "Custom.FoundInEnvironment": "Staging" } },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      createdWith: "user",
      defect: { type: "Bug", state: "New", open: true, how: "created", readable: true },
    });
    const bug = sim.org("fabrikam").workItems.latest(created.body.defect.id);
    expect(bug.fields["Custom.FoundInEnvironment"]).toBe("Staging");
    expect(bug.fields["System.CreatedBy"]).toBe(DEMO_USERS.admin.id);
    expect(String(bug.fields["Microsoft.VSTS.TCM.ReproSteps"])).toContain("Checkout.pays(Checkout.java:7)");
    expect(bug.relations).toEqual([expect.objectContaining({ rel: "System.LinkTypes.Related", targetId: story })]);

    const after = await tests();
    expect(after.tests[0].defects).toEqual([
      expect.objectContaining({ id: created.body.defect.id, title: "pays fails: Expected 200 but was 500" }),
    ]);
    expect(after.summary.failingWithoutDefect).toBe(1);
    // The defect stays with the test through later runs.
    expect((await upload(run("2026-03-05T10:00:00Z", { pays: "fail", refunds: "fail", lists: "pass" }), "Nightly 5")).status).toBe(201);
    const later = await tests();
    expect(later.tests[0]).toMatchObject({
      results: 5,
      failingWithoutDefect: false,
      defects: [expect.objectContaining({ id: created.body.defect.id })],
    });
    const filtered = await call("GET", `/api/results/work-items/${story}?filter=failingWithoutDefect`);
    expect(filtered.body.tests.map((t: { name: string }) => t.name)).toEqual(["refunds"]);

    // Closed in Azure DevOps: the test is failing with no defect again (read by a user whose view is fresh).
    sim.updateWorkItem("fabrikam", created.body.defect.id, { "System.State": "Closed" });
    const other = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    const closed = await tests(other);
    expect(closed.tests.find((t: { name: string }) => t.name === "pays")).toMatchObject({
      failingWithoutDefect: true,
      defects: [expect.objectContaining({ state: "Closed", stateCategory: "Completed", open: false })],
    });
  });

  it("links an existing work item found by title words or id, refuses duplicates, other projects and Readers, and unlinks", async () => {
    const refunds = (await tests()).tests.find((t: { name: string }) => t.name === "refunds");
    const existing = sim.createWorkItem("fabrikam", PROJECT, "Bug", {
      "System.Title": "Refund button sometimes times out",
      "Custom.FoundInEnvironment": "Test",
    }).id;
    const elsewhere = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Bug", { "System.Title": "Refund button elsewhere" }).id;
    const found = await call("GET", `/api/results/work-items/${story}/defect-candidates?q=${encodeURIComponent("refund button")}`);
    expect(found.status).toBe(200);
    expect(found.body.candidates.map((c: { id: number }) => c.id)).toEqual([existing]);
    const byId = await call("GET", `/api/results/work-items/${story}/defect-candidates?q=%23${existing}`);
    expect(byId.body.candidates).toEqual([{ id: existing, title: "Refund button sometimes times out", type: "Bug", state: "New" }]);
    // A quote in the words is data, not WIQL.
    expect((await call("GET", `/api/results/work-items/${story}/defect-candidates?q=${encodeURIComponent("it's")}`)).status).toBe(200);

    const url = `/api/results/work-items/${story}/tests/${refunds.key}/defects`;
    const wrongProject = await call("POST", url, { json: { defectId: elsewhere } });
    expect(wrongProject.status).toBe(400);
    expect(wrongProject.body.fields[0].field).toBe("defectId");

    const mo = fabrikam().members.get(DEMO_USERS.member.id)!;
    const projectId = fabrikam().projects.find((p) => p.name === PROJECT)!.id;
    mo.readerOf = new Set([projectId]);
    try {
      const reader = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
      expect((await call("POST", url, { json: { defectId: existing }, headers: reader })).status).toBe(403);
    } finally {
      delete mo.readerOf;
    }

    const linked = await call("POST", url, { json: { defectId: existing, resultId: refunds.latest.resultId } });
    expect(linked.status).toBe(201);
    expect(linked.body).toMatchObject({ id: existing, how: "linked", open: true, title: "Refund button sometimes times out" });
    expect((await call("POST", url, { json: { defectId: existing } })).status).toBe(409);
    expect((await tests()).tests.find((t: { name: string }) => t.name === "refunds").failingWithoutDefect).toBe(false);

    expect((await call("DELETE", `${url}/${existing}`)).status).toBe(204);
    expect((await call("DELETE", `${url}/${existing}`)).status).toBe(404);
    expect((await tests()).tests.find((t: { name: string }) => t.name === "refunds")).toMatchObject({
      defects: [],
      failingWithoutDefect: true,
    });
  });

  it("files a Basic project's defect as an Issue, with the failure in its description", async () => {
    const issue = sim.createWorkItem("fabrikam", "Basic Project", "Issue", { "System.Title": "Export to CSV" }).id;
    const res = await backend.app.request(
      `/api/results/junit?${new URLSearchParams({ project: "Basic Project", runName: "b", workItemIds: String(issue) })}`,
      { method: "POST", headers: { ...admin, "Content-Type": "application/xml" }, body: run("2026-03-01T10:00:00Z", { exports: "fail" }) },
    );
    expect(res.status).toBe(201);
    const t = (await call("GET", `/api/results/work-items/${issue}`)).body.tests[0];
    const form = await call("GET", `/api/results/work-items/${issue}/tests/${t.key}/defect-form?resultId=${t.latest.resultId}`);
    expect(form.status).toBe(200);
    expect(form.body.workItemType).toBe("Issue");
    const description = form.body.fields.find((f: { referenceName: string }) => f.referenceName === "System.Description");
    expect(description).toMatchObject({ kind: "html" });
    expect(description.value).toContain("Expected 200 but was 500");
    const values = Object.fromEntries(form.body.fields.map((f: { referenceName: string; value: string }) => [f.referenceName, f.value]));
    const created = await call("POST", `/api/results/work-items/${issue}/tests/${t.key}/defects/new`, {
      json: { resultId: t.latest.resultId, fields: values },
    });
    expect(created.status).toBe(201);
    expect(created.body.defect).toMatchObject({ type: "Issue", open: true });
    // Typed text becomes HTML (escaped, line breaks kept).
    expect(String(sim.org("fabrikam").workItems.latest(created.body.defect.id).fields["System.Description"])).toContain(
      "Outcome: failed<br>",
    );
  });

  it("sixteen concurrent first requests with a fresh token make one connectionData and one workitemsbatch call", async () => {
    const fresh = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    sim.requestLog.clear();
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => call("GET", `/api/results/work-items/${story}`, { headers: fresh })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    expect(sim.requestLog.count({ pathIncludes: "connectionData" })).toBe(1);
    // One to check the work item is readable (the defects' live states are a second key, read once too).
    expect(sim.requestLog.count({ pathIncludes: "workitemsbatch" })).toBe(2);
  });

  it("keeps the summary right when links arrive in chunks and out of order", async () => {
    const wi = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "Chunks" }).id;
    const up = (xml: string) =>
      backend.app.request(`/api/results/junit?${new URLSearchParams({ project: PROJECT, runName: "r" })}`, {
        method: "POST",
        headers: { ...admin, "Content-Type": "application/xml" },
        body: xml,
      });
    const a = await (await up(run("2026-04-02T10:00:00Z", { x: "fail" }))).json();
    const b = await (await up(run("2026-04-01T10:00:00Z", { x: "pass" }))).json();
    const ids = async (runId: string) =>
      (await call("GET", `/api/results/runs/${runId}/results`)).body.results.map((r: { id: number }) => r.id) as number[];
    const orgId = (await backend.deps.database.query<{ id: string }>(`SELECT id FROM organizations`))[0].id;
    // The newer run's link first, then the older one in a second write: latest stays the newer.
    await writeResultLinks(
      backend.deps.database.db,
      orgId,
      (await ids(a.run.id)).map((resultId) => ({ resultId, workItemId: wi, source: "upload" as const })),
    );
    await writeResultLinks(
      backend.deps.database.db,
      orgId,
      (await ids(b.run.id)).map((resultId) => ({ resultId, workItemId: wi, source: "upload" as const })),
    );
    const body = (await call("GET", `/api/results/work-items/${wi}`)).body;
    expect(body.tests).toEqual([
      expect.objectContaining({
        results: 2,
        latest: expect.objectContaining({ outcome: "failed" }),
        recent: [expect.objectContaining({ outcome: "failed" }), expect.objectContaining({ outcome: "passed" })],
      }),
    ]);
    expect(body.summary.trend.map((t: { passRate: number }) => t.passRate)).toEqual([1, 0]);
    // Writing the same links again changes nothing.
    expect(
      await writeResultLinks(
        backend.deps.database.db,
        orgId,
        (await ids(b.run.id)).map((resultId) => ({ resultId, workItemId: wi, source: "upload" as const })),
      ),
    ).toBe(0);
    expect((await call("GET", `/api/results/work-items/${wi}`)).body.tests[0].results).toBe(2);
  });
});
