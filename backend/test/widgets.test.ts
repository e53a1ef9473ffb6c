import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { mulberry32 } from "@testops/ado-sim/prng";
import { syncLink } from "../src/boards/engine";
import { createLink, type LinkRow } from "../src/boards/links";
import { migrate, MIGRATIONS_DIR } from "../src/db/client";
import { refreshTotals } from "../src/results/links";
import type { Coverage, Flaky, PassRate } from "../src/schemas/widgets";
import { startSummarySweep, summariesIdle, writePendingSummaries } from "../src/widgets/summaries";
import { connectionStatus, outcomesOf, passRate, prefixUpperBound, windowCounts } from "../src/widgets/mapping";
import { simClient, suggestedConfig } from "./boards-fixtures";
import { authHeaders, connectOrg, DB_KINDS, openTestDatabase, testBackend } from "./helpers";

jest.setTimeout(120_000);

describe("widget mappings", () => {
  it.each([
    ["api.", "api/"],
    ["a", "b"],
    ["", null],
    ["x\u{10FFFF}", "y"],
    ["\u{10FFFF}", null],
    ["a\uD7FF", "a\uE000"],
    ["é", "ê"],
  ])("the prefix %j ends before %j", (prefix, upper) => {
    expect(prefixUpperBound(prefix)).toBe(upper);
  });
  it("a prefix range holds exactly the paths that start with it (code point order)", () => {
    const paths = ["api", "api.", "api.Login", "api.\u{1F600}", "api/", "apj", "ap", "Api.x"];
    const hi = prefixUpperBound("api.")!;
    const cmp = (a: string, b: string) => {
      const x = [...a].map((c) => c.codePointAt(0)!);
      const y = [...b].map((c) => c.codePointAt(0)!);
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
      return x.length - y.length;
    };
    expect(paths.filter((p) => cmp(p, "api.") >= 0 && cmp(p, hi) < 0)).toEqual(paths.filter((p) => p.startsWith("api.")));
  });
  it.each([
    [{ passed: 3, failed: 1, error: 0 }, 0.75],
    [{ passed: 1, failed: 1, error: 1 }, 1 / 3],
    [{ passed: 0, failed: 0, error: 0 }, null],
    [{ passed: 0, failed: 2, error: 0 }, 0],
  ])("pass rate of %j is %p", (c, rate) => expect(passRate(c)).toBe(rate));
  it.each([
    [[], "none"],
    [["Inactive"], "problem"],
    [["Error"], "problem"],
    [["Inactive", "Active"], "connected"],
  ])("connections %j read as %s", (statuses, status) => expect(connectionStatus(statuses)).toBe(status));
  it.each([
    ["pfes", 10, ["passed", "failed", "error", "skipped"]],
    ["pfes", 2, ["passed", "failed"]],
    ["", 5, []],
  ])("outcome letters %j (window %i)", (letters, n, outcomes) => expect(outcomesOf(letters, n)).toEqual(outcomes));
  it.each([
    ["pppp", 0, 0],
    ["efff", 4, 0],
    ["ppfp", 1, 2],
    ["fpfp", 2, 3],
    ["psfsp", 1, 2],
    ["fssf", 2, 0],
  ])("window %j: %i failures, %i flips", (letters, failures, flips) =>
    expect(windowCounts(outcomesOf(letters, 50))).toEqual({ failures, flips }),
  );
});

// Fabrikam Fiber's iterations (simulator seed): Release 2 holds Sprints 4–6, Sprint 4 is the current one.
const PROJECT = "Fabrikam Fiber";
const day = (d: string | undefined) => new Date(d!).toISOString();
type Case = { cls: string; name: string; o: "pass" | "fail" | "error" | "skip"; wi?: number };

const junit = (at: string, cases: Case[]) =>
  `<testsuite name="nightly" timestamp="${at}">${cases
    .map((c) => {
      const props = c.wi ? `<properties><property name="workitem" value="${c.wi}"/></properties>` : "";
      const body =
        c.o === "fail"
          ? `<failure message="Expected 200 but was 500">trace</failure>`
          : c.o === "error"
            ? `<error message="NullPointerException">trace</error>`
            : c.o === "skip"
              ? "<skipped/>"
              : "";
      return `<testcase classname="${c.cls}" name="${c.name}" time="0.1">${props}${body}</testcase>`;
    })
    .join("")}</testsuite>`;

describe.each(DB_KINDS)("dashboard widgets (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ seed: { workItems: 0 }, hooks: { retryDelaysMs: [], timeoutMs: 5000 } });
  const fiber = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === PROJECT)!;
  let admin: Record<string, string>;
  let member: Record<string, string>;
  let contoso: Record<string, string>;
  let link: LinkRow;
  let otherLink: LinkRow;
  const story: Record<"a" | "b" | "c", number> = { a: 0, b: 0, c: 0 };
  const runIds: string[] = [];

  async function call<T = any>(url: string, headers: Record<string, string> = admin) {
    const res = await backend.app.request(url, { headers });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : undefined) as T & { error?: string; fields?: { field: string; message: string }[] },
    };
  }
  const qs = (o: Record<string, string | number | undefined>) =>
    new URLSearchParams(Object.entries(o).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))).toString();
  const passRateOf = (o: Record<string, string | number | undefined> = {}, headers = admin) =>
    call<PassRate>(`/api/widgets/pass-rate?${qs({ project: PROJECT, ...o })}`, headers);
  const coverageOf = (o: Record<string, string | number | undefined> = {}, headers = admin) =>
    call<Coverage>(`/api/widgets/coverage?${qs({ linkId: link.id, ...o })}`, headers);
  const flakyOf = (o: Record<string, string | number | undefined> = {}, headers = admin) =>
    call<Flaky>(`/api/widgets/flaky?${qs({ project: PROJECT, ...o })}`, headers);
  /** project_failing_tests (migration 0110) holds exactly project_tests' rows with a failure in their window. */
  const failingInStep = async () => {
    const cols = `org_id, project_id, test_key, path, name, recent, latest_at`;
    const db = backend.deps.database;
    const missing = await db.query(
      `SELECT ${cols} FROM project_tests WHERE recent ~ '[fe]' EXCEPT SELECT ${cols} FROM project_failing_tests`,
    );
    const extra = await db.query(
      `SELECT ${cols} FROM project_failing_tests EXCEPT SELECT ${cols} FROM project_tests WHERE recent ~ '[fe]'`,
    );
    expect({ missing, extra }).toEqual({ missing: [], extra: [] });
  };
  const upload = async (xml: string, runName: string, headers: Record<string, string> = admin, project: string | null = PROJECT) => {
    const res = await backend.app.request(`/api/results/junit?${qs({ project: project ?? undefined, runName })}`, {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/xml" },
      body: xml,
    });
    const body = await res.json();
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(body)}`);
    // The widgets' summaries are written after the answer, in the background.
    await summariesIdle(backend.deps.database);
    return body.run.id as string;
  };

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch, env: { ADO_SIMULATOR_URL: "http://ado-sim.test" } });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    contoso = await authHeaders(sim, "contoso", DEMO_USERS.contosoAdmin.id);
  });
  afterAll(() => backend.close());

  it("says when the organization has no connection and the project nothing linked", async () => {
    const r = await passRateOf();
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      status: { connection: "none", linked: false },
      project: { id: fiber.id, name: PROJECT },
      link: null,
      points: [],
    });
    expect((await flakyOf()).body).toMatchObject({ status: { connection: "none", linked: false }, tests: [] });
  });

  it("(setup) connects, links Boards and uploads four runs through the API", async () => {
    await connectOrg(backend.app, admin, "fabrikam", DEMO_PATS.admin);
    await connectOrg(backend.app, contoso, "contoso", DEMO_PATS.contoso);
    const mk = (title: string, sprint: number) =>
      sim.createWorkItem("fabrikam", PROJECT, "User Story", {
        "System.Title": title,
        "System.IterationPath": `${PROJECT}\\Release 2\\Sprint ${sprint}`,
      }).id;
    story.a = mk("Sign in", 4);
    story.b = mk("Home page", 4);
    story.c = mk("Wish list", 5);
    const orgId = sim.state.orgs.get("fabrikam")!.id;
    const client = simClient(sim);
    link = await createLink(backend.deps, orgId, DEMO_USERS.admin.id, await suggestedConfig(client, { id: fiber.id, name: PROJECT }));
    await syncLink(backend.deps, client, link);
    const custom = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Custom Project")!;
    otherLink = await createLink(
      backend.deps,
      orgId,
      DEMO_USERS.admin.id,
      await suggestedConfig(client, { id: custom.id, name: custom.name }),
    );

    const { a, b } = story;
    const run = (at: string, o: [Case["o"], Case["o"], Case["o"], Case["o"]]) =>
      junit(at, [
        { cls: "api.Login", name: "ok", o: o[0], wi: a },
        { cls: "api.Login", name: "pays", o: o[1], wi: a },
        { cls: "ui.Home", name: "shows", o: o[2], wi: b },
        { cls: "ui.Home", name: "flaky", o: o[3] },
      ]);
    runIds.push(await upload(run("2026-03-01T10:00:00Z", ["pass", "fail", "pass", "pass"]), "Nightly 1"));
    runIds.push(await upload(run("2026-03-02T10:00:00Z", ["pass", "fail", "fail", "fail"]), "Nightly 2"));
    runIds.push(await upload(run("2026-03-03T10:00:00Z", ["pass", "fail", "pass", "pass"]), "Nightly 3"));
    // The fourth arrives from CI with an upload key (origin "key").
    const key = await backend.app.request("/api/keys", {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ project: PROJECT, name: "CI" }),
    });
    expect(key.status).toBe(201);
    const { secret } = (await key.json()) as { secret: string };
    runIds.push(
      await upload(run("2026-03-04T10:00:00Z", ["skip", "error", "pass", "fail"]), "CI 4", { Authorization: `Bearer ${secret}` }, null),
    );

    // Another organization's runs, forged onto this project's id: never counted (every read filters by org).
    await upload(junit("2026-03-05T10:00:00Z", [{ cls: "api.Login", name: "pays", o: "fail" }]), "Contoso", contoso, "Contoso Web");
    const contosoId = sim.state.orgs.get("contoso")!.id;
    for (const table of ["test_runs", "test_results", "project_tests"])
      await backend.deps.database.query(`UPDATE ${table} SET project_id = $1 WHERE org_id = $2`, [fiber.id, contosoId]);
  });

  it("gives the pass rate per run, oldest first, with click-through ids, by origin and over the last N runs", async () => {
    const r = await passRateOf();
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ connection: "connected", linked: true });
    expect(r.body.points.map((p) => [p.name, p.total, p.passed, p.failed, p.error, p.skipped, p.passRate])).toEqual([
      ["Nightly 1", 4, 3, 1, 0, 0, 0.75],
      ["Nightly 2", 4, 1, 3, 0, 0, 0.25],
      ["Nightly 3", 4, 3, 1, 0, 0, 0.75],
      ["CI 4", 4, 1, 1, 1, 1, 1 / 3],
    ]);
    expect(r.body.points.map((p) => p.runId)).toEqual(runIds);
    expect(r.body.points.map((p) => p.origin)).toEqual(["upload", "upload", "upload", "key"]);
    expect(r.body.points[0].at).toBe("2026-03-01T10:00:00.000Z");
    expect((await passRateOf({ origin: "key" })).body.points.map((p) => p.name)).toEqual(["CI 4"]);
    expect((await passRateOf({ origin: "upload" })).body.points.map((p) => p.name)).toEqual(["Nightly 1", "Nightly 2", "Nightly 3"]);
    expect((await passRateOf({ origin: "task" })).body.points).toEqual([]);
    expect((await passRateOf({ runs: 2 })).body.points.map((p) => p.name)).toEqual(["Nightly 3", "CI 4"]);
  });

  it("filters by test path prefix, by the Boards link's requirements, and both", async () => {
    const counts = (b: PassRate) => b.points.map((p) => [p.passed, p.failed, p.error, p.skipped]);
    expect(counts((await passRateOf({ pathPrefix: "ui." })).body)).toEqual([
      [2, 0, 0, 0],
      [0, 2, 0, 0],
      [2, 0, 0, 0],
      [1, 1, 0, 0],
    ]);
    expect(counts((await passRateOf({ pathPrefix: "api.Login" })).body)).toEqual([
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [1, 1, 0, 0],
      [0, 0, 1, 1],
    ]);
    // Case-sensitive, as stored; a prefix nothing has gives empty runs (kept, so filters line up run by run).
    const none = (await passRateOf({ pathPrefix: "API." })).body;
    expect(none.points.map((p) => [p.total, p.passRate])).toEqual([
      [0, null],
      [0, null],
      [0, null],
      [0, null],
    ]);
    const linked = (await passRateOf({ linkId: link.id })).body;
    expect(linked.link).toEqual({ id: link.id, projectName: PROJECT, name: expect.any(String) });
    // The unlinked ui.Home.flaky is left out.
    expect(counts(linked)).toEqual([
      [2, 1, 0, 0],
      [1, 2, 0, 0],
      [2, 1, 0, 0],
      [1, 0, 1, 1],
    ]);
    expect(counts((await passRateOf({ linkId: link.id, pathPrefix: "ui." })).body)).toEqual([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [1, 0, 0, 0],
      [1, 0, 0, 0],
    ]);
    expect(counts((await passRateOf({ linkId: link.id, pathPrefix: "api.", origin: "key" })).body)).toEqual([[0, 0, 1, 1]]);
  });

  it("ranks failing and flaky tests of the project, or of the link's requirements, with their defects", async () => {
    const r = await flakyOf();
    expect(r.status).toBe(200);
    const rows = (b: Flaky) => b.tests.map((t) => [t.fullName, t.results, t.failures, t.flips]);
    // pays: e f f f; flaky: f p f p (not linked to anything); shows: p p f p; ok never failed.
    expect(rows(r.body)).toEqual([
      ["api.Login.pays", 4, 4, 0],
      ["ui.Home.flaky", 4, 2, 3],
      ["ui.Home.shows", 4, 1, 2],
    ]);
    const pays = r.body.tests[0];
    expect(pays).toMatchObject({
      path: "api.Login",
      name: "pays",
      latestOutcome: "error",
      latestAt: "2026-03-04T10:00:00.000Z",
      latestRunId: runIds[3],
      recent: ["error", "failed", "failed", "failed"],
      defects: [],
    });
    expect(pays.key).toMatch(/^[0-9a-f]{64}$/);
    expect(rows((await flakyOf({ by: "flakiness" })).body)).toEqual([
      ["ui.Home.flaky", 4, 2, 3],
      ["ui.Home.shows", 4, 1, 2],
    ]);
    expect(rows((await flakyOf({ runs: 2 })).body)).toEqual([
      ["api.Login.pays", 2, 2, 0],
      ["ui.Home.flaky", 2, 1, 1],
    ]);
    expect(rows((await flakyOf({ top: 1 })).body)).toEqual([["api.Login.pays", 4, 4, 0]]);
    expect(rows((await flakyOf({ linkId: link.id })).body)).toEqual([
      ["api.Login.pays", 4, 4, 0],
      ["ui.Home.shows", 4, 1, 2],
    ]);

    // Defects filed on the test (on any work item), open ones first; a closed one stays listed after.
    const q = (defect: number, wi: number, category: string) =>
      backend.deps.database.query(
        `INSERT INTO test_defects (org_id, work_item_id, test_key, defect_id, project_id, how, created_by, title, state, state_category)
         VALUES ($1, $2, $3, $4, $5, 'linked', 'u', $6, $7, $8)`,
        [link.orgId, wi, pays.key, defect, fiber.id, `Bug ${defect}`, category === "Completed" ? "Closed" : "Active", category],
      );
    await q(900, story.a, "Completed");
    await q(901, story.b, "InProgress");
    await q(901, story.a, "InProgress");
    await refreshTotals(backend.deps.database.db, link.orgId, [story.a, story.b]);
    const withDefects = (await flakyOf({ top: 1 })).body.tests[0];
    expect(withDefects.defects).toEqual([
      { id: 901, title: "Bug 901", state: "Active", stateCategory: "InProgress" },
      { id: 900, title: "Bug 900", state: "Closed", stateCategory: "Completed" },
    ]);
  });

  it("counts the requirements of the current sprint, following the team's current iteration", async () => {
    // Azure DevOps now says Sprint 5 is current (the synced dates still say Sprint 4): the team's answer wins.
    const nodes = fiber.iterations.children.find((r) => r.name === "Release 2")!.children;
    const s4 = nodes.find((n) => n.name === "Sprint 4")!;
    const s5 = nodes.find((n) => n.name === "Sprint 5")!;
    const [start4, finish4, start5, finish5] = [s4.startDate, s4.finishDate, s5.startDate, s5.finishDate];
    s4.startDate = "2020-01-01T00:00:00Z";
    s4.finishDate = "2020-01-10T00:00:00Z";
    s5.startDate = start4;
    s5.finishDate = finish5;
    try {
      const byDates = await coverageOf();
      expect(byDates.status).toBe(200);
      expect(byDates.body).toMatchObject({
        status: { connection: "connected", linked: true },
        link: { id: link.id, projectName: PROJECT },
        iteration: {
          kind: "sprint",
          name: "Sprint 4",
          path: `${PROJECT}\\Release 2\\Sprint 4`,
          startDate: day(start4),
          finishDate: day(finish4),
        },
        // Sign in fails (latest: ok skipped, pays error), Home page passes.
        requirements: 2,
        tested: 2,
        passing: 1,
        failing: 1,
        notTested: 0,
      });
      const team = await coverageOf({ team: `${PROJECT} Team` });
      expect(team.body).toMatchObject({ iteration: { kind: "sprint", name: "Sprint 5" }, requirements: 1, tested: 0, notTested: 1 });
      expect((await coverageOf({ team: "Web Team" })).body.iteration).toMatchObject({ name: "Sprint 5", startDate: day(start5) });
      // A team in none of its sprints today: nothing is counted.
      expect((await coverageOf({ team: "Mobile Team" })).body).toMatchObject({ iteration: null, requirements: 0, tested: 0, notTested: 0 });
      const bad = await coverageOf({ team: "No Such Team" });
      expect(bad.status).toBe(400);
      expect(bad.body.fields?.[0].field).toBe("team");
    } finally {
      Object.assign(s4, { startDate: start4, finishDate: finish4 });
      Object.assign(s5, { startDate: start5, finishDate: finish5 });
    }
  });

  it("counts a named sprint or release like Plans does", async () => {
    const plans = (await call(`/api/boards/plans?linkId=${link.id}`)).body;
    const release = plans.releases.find((r: { name: string }) => r.name === "Release 2");
    const sprint4 = release.sprints.find((s: { name: string }) => s.name === "Sprint 4");
    const s = await coverageOf({ scope: "sprint", iterationId: sprint4.id });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ iteration: { kind: "sprint", id: sprint4.id }, requirements: 2, tested: 2, passing: 1, failing: 1 });
    expect([s.body.tested, s.body.passing, s.body.failing]).toEqual([
      sprint4.coverage.tested,
      sprint4.coverage.passed,
      sprint4.coverage.failed,
    ]);
    // Sign in's failing test (pays) has an open defect (previous test), its other one was skipped: no failure without a defect.
    expect(s.body.failingWithoutDefect).toBe(0);
    const rel = await coverageOf({ scope: "release", iterationId: release.id });
    expect(rel.body).toMatchObject({
      iteration: { kind: "release", name: "Release 2" },
      requirements: 3,
      tested: 2,
      passing: 1,
      failing: 1,
      notTested: 1,
      failingWithoutDefect: 0,
    });
    // Closing the open defect makes Sign in a failing requirement without a defect again.
    await backend.deps.database.query(`UPDATE test_defects SET state_category = 'Completed' WHERE defect_id = 901`);
    await refreshTotals(backend.deps.database.db, link.orgId, [story.a, story.b]);
    expect((await coverageOf({ scope: "sprint", iterationId: sprint4.id })).body.failingWithoutDefect).toBe(1);
    const wrong = await coverageOf({ scope: "sprint", iterationId: release.id });
    expect(wrong.status).toBe(400);
    expect(wrong.body.fields?.[0].field).toBe("iterationId");
    const missing = await coverageOf({ scope: "release" });
    expect(missing.status).toBe(400);
    expect(missing.body.fields?.[0].field).toBe("iterationId");
  });

  it("is 404 for a project or link the user cannot read, and for another organization", async () => {
    const m = sim.state.orgs.get("fabrikam")!.members.get(DEMO_USERS.member.id)!;
    const custom = sim.state.orgs.get("fabrikam")!.projects.find((p) => p.name === "Custom Project")!;
    m.projects = new Set([custom.id]);
    try {
      expect((await passRateOf({}, member)).status).toBe(404);
      expect((await flakyOf({}, member)).status).toBe(404);
      expect((await coverageOf({}, member)).status).toBe(404);
    } finally {
      delete m.projects;
    }
    expect((await passRateOf({}, contoso)).status).toBe(404);
    expect((await coverageOf({}, contoso)).status).toBe(404);
    // A link id that is not one of the organization's, or of another project.
    const unknown = await passRateOf({ linkId: "00000000-0000-4000-8000-000000000000" });
    expect(unknown.status).toBe(404);
    const elsewhere = await flakyOf({ linkId: otherLink.id });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body.fields?.[0].field).toBe("linkId");
  });

  it("refuses bad queries with 400 naming the field", async () => {
    const bad: [string, string][] = [
      [`/api/widgets/pass-rate?${qs({ project: PROJECT, runs: 0 })}`, "runs"],
      [`/api/widgets/pass-rate?${qs({ project: PROJECT, runs: 51 })}`, "runs"],
      [`/api/widgets/pass-rate?${qs({ project: PROJECT, origin: "ftp" })}`, "origin"],
      [`/api/widgets/pass-rate?${qs({ project: PROJECT, linkId: "12" })}`, "linkId"],
      [`/api/widgets/pass-rate?${qs({ project: PROJECT, pathPrefix: "x".repeat(1001) })}`, "pathPrefix"],
      [`/api/widgets/pass-rate`, "project"],
      [`/api/widgets/coverage?${qs({ linkId: link.id, scope: "year" })}`, "scope"],
      [`/api/widgets/coverage`, "linkId"],
      [`/api/widgets/coverage?${qs({ linkId: link.id, team: "t".repeat(257) })}`, "team"],
      [`/api/widgets/flaky?${qs({ project: PROJECT, by: "luck" })}`, "by"],
      [`/api/widgets/flaky?${qs({ project: PROJECT, runs: 1 })}`, "runs"],
      [`/api/widgets/flaky?${qs({ project: PROJECT, top: "ten" })}`, "top"],
    ];
    for (const [url, field] of bad) {
      const r = await call(url);
      expect([url, r.status]).toEqual([url, 400]);
      expect(r.body.fields?.map((f: { field: string }) => f.field)).toContain(field);
    }
    // NUL bytes never reach a query.
    const nul = await call(`/api/widgets/pass-rate?project=Fabrikam&pathPrefix=a%00b`);
    expect(nul.status).toBe(400);
  });

  it("reports a connection with a problem", async () => {
    await backend.deps.database.query(`UPDATE connections SET status = 'Error' WHERE org_id = $1`, [link.orgId]);
    expect((await passRateOf()).body.status).toEqual({ connection: "problem", linked: true });
    await backend.deps.database.query(`UPDATE connections SET status = 'Active' WHERE org_id = $1`, [link.orgId]);
    // The Custom Project has a link too; Scrum Project has none.
    expect((await passRateOf({ project: "Scrum Project" })).body).toMatchObject({
      status: { connection: "connected", linked: false },
      points: [],
    });
  });

  it("keeps the summaries right across pages of a large run and for an older run uploaded later", async () => {
    const P = "Custom Project";
    // "dup" runs twice in one run (first and last, more than one PGlite page apart), then once in an older run uploaded later.
    const cases: Case[] = [
      { cls: "big.A", name: "dup", o: "fail" },
      ...Array.from({ length: 1199 }, (_, i): Case => ({ cls: `big.B${i % 3}`, name: `t${i}`, o: i % 10 === 0 ? "fail" : "pass" })),
      { cls: "big.A", name: "dup", o: "pass" },
    ];
    await upload(junit("2026-04-02T10:00:00Z", cases), "Big", admin, P);
    await upload(junit("2026-04-01T10:00:00Z", [{ cls: "big.A", name: "dup", o: "error" }]), "Older", admin, P);
    const dup = (await flakyOf({ project: P, top: 50 })).body.tests.find((t) => t.fullName === "big.A.dup")!;
    expect(dup).toMatchObject({
      recent: ["passed", "failed", "error"],
      latestOutcome: "passed",
      latestAt: "2026-04-02T10:00:00.000Z",
      failures: 2,
      flips: 1,
    });
    const counts = async (pathPrefix: string) =>
      (await passRateOf({ project: P, pathPrefix })).body.points.map((p) => [p.name, p.passed, p.failed, p.error]);
    expect(await counts("big.B")).toEqual([
      ["Older", 0, 0, 0],
      ["Big", 1079, 120, 0],
    ]);
    expect(await counts("big.A")).toEqual([
      ["Older", 0, 0, 1],
      ["Big", 1, 1, 0],
    ]);
  });

  it("finishes summaries a stopped process left unwritten, each page exactly once (how the embedded database writes them)", async () => {
    const P = "Custom Project";
    const before = await flakyOf({ project: P, top: 50 });
    const beforeRate = await passRateOf({ project: P, pathPrefix: "big." });
    expect(before.body.tests.length).toBe(50); // top 50 of the 121 failing tests (more than one page of results)
    const db = backend.deps.database;
    const [{ project_id: projectId }] = await db.query<{ project_id: string }>(`SELECT project_id FROM test_runs WHERE name = 'Big'`);
    // As a process stopped right after making the runs visible leaves them: no summaries, summarized_seq at 0.
    const forget = async () => {
      await db.query(`DELETE FROM run_path_totals WHERE run_id IN (SELECT id FROM test_runs WHERE project_id = $1)`, [projectId]);
      await db.query(`DELETE FROM project_tests WHERE project_id = $1`, [projectId]);
      await db.query(`UPDATE test_runs SET summarized_seq = 0 WHERE project_id = $1`, [projectId]);
      expect((await flakyOf({ project: P, top: 50 })).body.tests).toEqual([]);
      await failingInStep();
    };
    await forget();
    await writePendingSummaries(db);
    expect(await flakyOf({ project: P, top: 50 })).toEqual(before);
    expect(await passRateOf({ project: P, pathPrefix: "big." })).toEqual(beforeRate);
    // Two writers at once (a start and an upload's finish): each page is folded by one of them only.
    await forget();
    await Promise.all([writePendingSummaries(db), writePendingSummaries(db)]);
    expect(await flakyOf({ project: P, top: 50 })).toEqual(before);
    expect(await passRateOf({ project: P, pathPrefix: "big." })).toEqual(beforeRate);
    expect(await db.query(`SELECT id FROM test_runs WHERE summarized_seq IS NOT NULL`)).toEqual([]);
    // Left pending with no upload or restart to come (a failed background loop): the periodic sweep writes them.
    await forget();
    const stop = startSummarySweep(db, backend.log, 20);
    try {
      for (let i = 0; i < 500 && (await db.query(`SELECT id FROM test_runs WHERE summarized_seq IS NOT NULL`)).length; i++)
        await new Promise((r) => setTimeout(r, 20));
      await summariesIdle(db);
    } finally {
      stop();
    }
    expect(await flakyOf({ project: P, top: 50 })).toEqual(before);
    expect(await passRateOf({ project: P, pathPrefix: "big." })).toEqual(beforeRate);
    await failingInStep();
  });

  it("keeps the ranking's narrow rows in step: a test leaves it when its last 50 pass, an older run can bring it back", async () => {
    const P = "Scrum Project";
    const x = (o: Case["o"], n = 1): Case[] => Array.from({ length: n }, () => ({ cls: "step.X", name: "x", o }));
    const y: Case = { cls: "step.Y", name: "y", o: "pass" };
    const ranked = async (runs: number) => (await flakyOf({ project: P, runs })).body.tests.map((t) => [t.fullName, t.results, t.failures]);
    const narrow = () =>
      backend.deps.database.query<{
        recent: string;
      }>(`SELECT f.recent FROM project_failing_tests f JOIN test_runs r ON r.project_id = f.project_id
        WHERE r.name = 'Step 1' AND f.path = 'step.X'`);
    await upload(junit("2026-05-01T10:00:00Z", [...x("fail"), y]), "Step 1", admin, P);
    expect(await ranked(20)).toEqual([["step.X.x", 1, 1]]);
    expect(await narrow()).toEqual([{ recent: "f" }]);
    // 49 newer passes: the failure is the 50th result, out of a 20-result window but still in the last 50.
    await upload(junit("2026-05-03T10:00:00Z", [...x("pass", 49), y]), "Step 3", admin, P);
    expect(await ranked(20)).toEqual([]);
    expect(await ranked(50)).toEqual([["step.X.x", 50, 1]]);
    await failingInStep();
    // One more pass: no failure in the last 50, so the test leaves the ranking's table.
    await upload(junit("2026-05-04T10:00:00Z", [...x("pass"), y]), "Step 4", admin, P);
    expect(await ranked(50)).toEqual([]);
    expect(await narrow()).toEqual([]);
    await failingInStep();
    // An older run uploaded later: older than the 50 kept, it changes nothing.
    await upload(junit("2026-04-30T10:00:00Z", [...x("error")]), "Step 0", admin, P);
    expect(await ranked(50)).toEqual([]);
    await failingInStep();
    // One between the kept ones is merged by time, and brings the test back.
    await upload(junit("2026-05-03T12:00:00Z", [...x("fail")]), "Step 2", admin, P);
    const back = (await flakyOf({ project: P })).body.tests;
    expect(back.map((t) => [t.fullName, t.results, t.failures, t.recent.slice(0, 3)])).toEqual([
      ["step.X.x", 20, 1, ["passed", "failed", "passed"]],
    ]);
    expect(await narrow()).toEqual([{ recent: "pf" + "p".repeat(48) }]);
    await failingInStep();
  });

  it("ranks the same tests in the same order as the wide rows did, on a random history", async () => {
    const rnd = mulberry32(20);
    const int = (n: number) => Math.floor(rnd() * n);
    // Paths and names that tie or differ only in case or punctuation, so the tie-breaks (in the database's
    // collation) decide; broken, flaky, rare and stable tests; a few linked to the link's requirements,
    // mostly rare ones (ranked low, so the link's variant reads several chunks or falls back).
    const paths = ["r.ab", "r.a-b", "r.Ab", "r.AB", "r.b"];
    const names = ["t", "T", "t-1", "t1", "u"];
    const tests = Array.from({ length: 500 }, (_, i) => {
      const wi = i % 40 === 7 ? story.a : i % 40 === 19 ? story.b : undefined;
      return {
        cls: `${paths[i % 5]}${i >= 25 ? `.g${Math.floor(i / 25)}` : ""}`,
        name: names[Math.floor(i / 5) % 5],
        fail: wi ? 0.02 : [0, 0.9, 0.4, 0.4, 0.1][int(5)],
        wi,
      };
    });
    expect(new Set(tests.map((t) => `${t.cls}.${t.name}`)).size).toBe(tests.length);
    // Eight runs at five times (two runs can share a time), uploaded in a random order; a test appears 0-3 times in each.
    const times = [3, 1, 4, 1, 5, 2, 5, 3].map((d) => `2026-06-0${d}T10:00:00Z`);
    for (const [i, at] of times.entries()) {
      const cases: Case[] = tests.flatMap((t) =>
        Array.from({ length: int(4) }, (): Case => {
          const r = rnd();
          return {
            cls: t.cls,
            name: t.name,
            wi: t.wi,
            o: r < t.fail ? (rnd() < 0.7 ? "fail" : "error") : r < t.fail + 0.1 ? "skip" : "pass",
          };
        }),
      );
      await upload(junit(at, cases), `Random ${i}`);
    }
    await failingInStep();

    // The expected ranking from project_tests (every failing row, read whole), counted here; the database
    // only orders the text tie-breaks (its collation).
    const db = backend.deps.database;
    const all = await db.query<{
      test_key: string;
      path: string;
      name: string;
      full_name: string;
      latest_outcome: string;
      latest_at: Date;
      latest_run_id: string;
      recent: string;
      tie: number;
      in_link: boolean;
    }>(
      `SELECT test_key, path, name, full_name, latest_outcome, latest_at, latest_run_id, recent,
              row_number() OVER (ORDER BY path, name, test_key)::int AS tie,
              EXISTS (SELECT 1 FROM work_item_tests t JOIN boards_requirements q ON q.link_id = $3 AND q.ado_id = t.work_item_id AND NOT q.removed
                       WHERE t.org_id = p.org_id AND t.test_key = p.test_key) AS in_link
         FROM project_tests p WHERE org_id = $1 AND project_id = $2`,
      [link.orgId, fiber.id, link.id],
    );
    const expected = (by: "failures" | "flakiness", window: number, top: number, linked: boolean) =>
      ranking(by, window, linked)
        .slice(0, top)
        .map((x) => ({
          key: x.r.test_key,
          path: x.r.path,
          name: x.r.name,
          fullName: x.r.full_name,
          results: x.recent.length,
          failures: x.failures,
          flips: x.flips,
          latestOutcome: x.r.latest_outcome,
          latestAt: new Date(x.r.latest_at).toISOString(),
          latestRunId: x.r.latest_run_id,
          recent: x.recent,
        }));
    const ranking = (by: "failures" | "flakiness", window: number, linked: boolean) =>
      all
        .map((r) => ({ r, recent: outcomesOf(r.recent, window) }))
        .map((x) => ({ ...x, ...windowCounts(x.recent) }))
        .filter((x) => (by === "failures" ? x.failures > 0 : x.flips >= 2) && (!linked || x.r.in_link))
        .sort(
          (a, b) =>
            (by === "failures" ? b.failures - a.failures || b.flips - a.flips : b.flips - a.flips || b.failures - a.failures) ||
            new Date(b.r.latest_at).getTime() - new Date(a.r.latest_at).getTime() ||
            a.r.tie - b.r.tie,
        );
    // The link's variant asks the best-ranked 100 (top 5) at a time, three times at most, then filters them
    // all: over 50 results the link's fifth test is past 300 by failures (the fallback) and in a later chunk by flakiness.
    const fifth = (by: "failures" | "flakiness") =>
      ranking(by, 50, false)
        .map((x, i) => (x.r.in_link ? i : -1))
        .filter((i) => i >= 0)[4];
    expect([fifth("failures") > 300, fifth("flakiness") > 100 && fifth("flakiness") < 300]).toEqual([true, true]);
    let compared = 0;
    for (const by of ["failures", "flakiness"] as const)
      for (const runs of [2, 7, 20, 50])
        for (const top of [1, 5, 50])
          for (const linked of [false, true]) {
            const r = await flakyOf({ by, runs, top, linkId: linked ? link.id : undefined });
            expect(r.status).toBe(200);
            const got = r.body.tests.map(({ defects: _, ...t }) => t);
            expect([by, runs, top, linked, got]).toEqual([by, runs, top, linked, expected(by, runs, top, linked)]);
            compared += got.length;
          }
    expect(compared).toBeGreaterThan(400);
    // …among which many that only the path, name and key order (the same counts and latest time).
    const tied = expected("failures", 20, 50, false).filter(
      (t, i, a) => i > 0 && a[i - 1].failures === t.failures && a[i - 1].flips === t.flips && a[i - 1].latestAt === t.latestAt,
    );
    expect(tied.length).toBeGreaterThan(10);
  });

  it("drops the ranking's rows with their project_tests rows (an organization's summaries deleted)", async () => {
    const contosoId = sim.state.orgs.get("contoso")!.id;
    const db = backend.deps.database;
    const count = async () => (await db.query(`SELECT 1 FROM project_failing_tests WHERE org_id = $1`, [contosoId])).length;
    // Contoso's failing test (moved onto this project's id at setup: the key update carried it along).
    expect(await db.query(`SELECT project_id FROM project_failing_tests WHERE org_id = $1`, [contosoId])).toEqual([
      { project_id: fiber.id },
    ]);
    await db.query(`DELETE FROM project_tests WHERE org_id = $1`, [contosoId]);
    expect(await count()).toBe(0);
    expect(await db.query(`SELECT 1 FROM project_failing_tests WHERE org_id = $1`, [link.orgId])).not.toEqual([]);
    await failingInStep();
  });
});

describe.each(DB_KINDS)("the ranking's table on a database summarized before it (%s)", (kind) => {
  it("is filled from project_tests by its migration", async () => {
    const database = await openTestDatabase(kind);
    const before = mkdtempSync(path.join(tmpdir(), "testops-migrations-"));
    try {
      // The migrations before 0110, then project_tests rows as 0080's backfill or the summaries wrote them.
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql") && f < "0110"))
        copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(before, f));
      await migrate(database, before);
      const row = (key: string, recent: string) =>
        database.query(
          `INSERT INTO project_tests (org_id, project_id, test_key, path, name, full_name, results, latest_result_id, latest_run_id, latest_at,
                                      latest_outcome, recent_at, recent_ids, recent)
           VALUES ('o', 'p', $1, 'a.' || $1, 'n', 'a.' || $1 || '.n', length($2), 1, '00000000-0000-4000-8000-000000000001', '2026-01-02T00:00:00Z',
                   'passed', array_fill(0::bigint, ARRAY[length($2)]), array_fill(1::bigint, ARRAY[length($2)]), $2)`,
          [key, recent],
        );
      await row("k1", "pppf");
      await row("k2", "pppp");
      await row("k3", "e" + "p".repeat(49));
      await row("k4", "sps");
      await migrate(database);
      expect(
        await database.query(
          `SELECT org_id, project_id, test_key, path, name, recent, latest_at FROM project_failing_tests ORDER BY test_key`,
        ),
      ).toEqual([
        {
          org_id: "o",
          project_id: "p",
          test_key: "k1",
          path: "a.k1",
          name: "n",
          recent: "pppf",
          latest_at: new Date("2026-01-02T00:00:00Z"),
        },
        {
          org_id: "o",
          project_id: "p",
          test_key: "k3",
          path: "a.k3",
          name: "n",
          recent: "e" + "p".repeat(49),
          latest_at: new Date("2026-01-02T00:00:00Z"),
        },
      ]);
    } finally {
      rmSync(before, { recursive: true, force: true });
      await database.drop();
    }
  });
});
