import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import { syncLink } from "../src/boards/engine";
import { createLink, type LinkRow } from "../src/boards/links";
import { refreshTotals } from "../src/results/links";
import type { Coverage, Flaky, PassRate } from "../src/schemas/widgets";
import { startSummarySweep, summariesIdle, writePendingSummaries } from "../src/widgets/summaries";
import { connectionStatus, outcomesOf, passRate, prefixUpperBound, windowCounts } from "../src/widgets/mapping";
import { simClient, suggestedConfig } from "./boards-fixtures";
import { authHeaders, connectOrg, DB_KINDS, testBackend } from "./helpers";

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
  });
});
