import { createSimulator, DEMO_PATS, DEMO_USERS } from "@testops/ado-sim";
import type { BoardsLink, BoardsLinkConfigInput, Plans, PreviewResult } from "../src/schemas/boards";
import { suggestedConfig, simClient } from "./boards-fixtures";
import { authHeaders, DB_KINDS, testBackend } from "./helpers";

jest.setTimeout(60_000);

describe.each(DB_KINDS)("Boards API (%s)", (kind) => {
  let backend: Awaited<ReturnType<typeof testBackend>>;
  const sim = createSimulator({ seed: { workItems: 400 } });
  const fabrikam = sim.state.orgs.get("fabrikam")!;
  const byName = (n: string) => fabrikam.projects.find((p) => p.name === n)!;
  const fiber = byName("Fabrikam Fiber");
  const custom = byName("Custom Project");
  const scrum = byName("Scrum Project");
  let admin: Record<string, string>;
  let member: Record<string, string>;
  let lead: Record<string, string>;
  let contoso: Record<string, string>;
  const client = simClient(sim);

  async function call<T = any>(method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) {
    const res = await backend.app.request(path, {
      method,
      headers: { ...(o.headers ?? admin), ...(o.body !== undefined ? { "Content-Type": "application/json" } : {}) },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : undefined) as T & {
        error?: string;
        message?: string;
        fields?: { field: string; message: string }[];
      },
    };
  }
  const cfgFor = (p: { id: string; name: string }, over: Partial<BoardsLinkConfigInput> = {}) =>
    suggestedConfig(client, { id: p.id, name: p.name }, over);
  const save = (config: unknown, proceed = false, headers?: Record<string, string>) =>
    call<{ link: BoardsLink; job: { id: string } | null }>("POST", "/api/boards/links", { body: { config, proceed }, headers });
  const count = async () => Number((await backend.deps.database.query<{ n: string }>(`SELECT count(*) AS n FROM boards_links`))[0].n);

  beforeAll(async () => {
    backend = await testBackend({ kind, fetch: sim.fetch });
    admin = await authHeaders(sim, "fabrikam", DEMO_USERS.admin.id);
    member = await authHeaders(sim, "fabrikam", DEMO_USERS.member.id);
    lead = await authHeaders(sim, "fabrikam", DEMO_USERS.projectAdmin.id);
    contoso = await authHeaders(sim, "contoso", DEMO_USERS.contosoAdmin.id);
  });
  afterAll(() => backend.close());

  it("needs the organization's connection before any picker", async () => {
    const res = await call("GET", "/api/boards/ado/projects");
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ error: "no_connection" });
    const conn = await call("POST", "/api/connections", {
      body: { name: "Fabrikam", organizationUrl: "https://dev.azure.com/fabrikam", pat: DEMO_PATS.admin },
    });
    expect(conn.status).toBe(201);
    const c2 = await call("POST", "/api/connections", {
      body: { name: "Contoso", organizationUrl: "https://dev.azure.com/contoso", pat: DEMO_PATS.contoso },
      headers: contoso,
    });
    expect(c2.status).toBe(201);
  });

  it("fills every picker from Azure DevOps", async () => {
    const projects = await call("GET", "/api/boards/ado/projects");
    expect(projects.body.projects.map((p: { name: string }) => p.name)).toEqual([
      "Basic Project",
      "CMMI Project",
      "Custom Project",
      "Fabrikam Fiber",
      "Scrum Project",
    ]);
    const teams = await call("GET", `/api/boards/ado/projects/${fiber.id}/teams`);
    expect(teams.body.teams.map((t: { name: string }) => t.name)).toEqual(["Fabrikam Fiber Team", "Mobile Team", "Web Team"]);
    const tree = await call("GET", `/api/boards/ado/projects/${fiber.id}/iterations`);
    expect(tree.body.root.path).toBe("Fabrikam Fiber");
    expect(tree.body.root.children.map((c: { path: string }) => c.path)).toEqual(
      ["Release 1", "Release 2", "Release 3", "Backlog"].map((n) => `Fabrikam Fiber\\${n}`),
    );
    expect(tree.body.root.children[2].children[0]).toMatchObject({ name: "Sprint 7", startDate: null, finishDate: null });
    const web = fiber.teams.find((t) => t.name === "Web Team")!;
    const its = await call("GET", `/api/boards/ado/projects/${fiber.id}/teams/${web.id}/iterations`);
    expect(its.body.iterations.map((i: { name: string }) => i.name)).toEqual(["Sprint 4", "Sprint 5", "Sprint 6"]);

    const types = await call("GET", `/api/boards/ado/projects/${custom.id}/work-item-types`);
    expect(types.status).toBe(200);
    expect(types.body.requirement.map((t: { name: string }) => t.name)).toEqual(["User Story"]);
    expect(types.body.requirement[0].states).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: "Ready for QA", category: "Resolved", suggestedStatus: "Resolved" })]),
    );
    expect(types.body.bug.map((t: { name: string }) => t.name)).toEqual(["Bug"]);
    const basic = await call("GET", `/api/boards/ado/projects/${byName("Basic Project").id}/work-item-types`);
    expect(basic.body).toMatchObject({ bug: [], defaultBugType: null, defaultRequirementType: "Issue" });
    const states = await call(
      "GET",
      `/api/boards/ado/projects/${scrum.id}/work-item-types/${encodeURIComponent("Product Backlog Item")}/states`,
    );
    expect(states.body.states.find((s: { name: string }) => s.name === "Approved")).toMatchObject({
      category: "Proposed",
      suggestedStatus: "Open",
    });
    const fields = await call("GET", `/api/boards/ado/projects/${custom.id}/fields?types=${encodeURIComponent("User Story,Bug")}`);
    expect(fields.body.dateFields.map((f: { referenceName: string }) => f.referenceName)).toEqual(
      expect.arrayContaining(["Custom.ReleaseDate", "Microsoft.VSTS.Scheduling.FinishDate"]),
    );
    expect(fields.body.priorities).toEqual(["1", "2", "3", "4"]);
    expect(fields.body.severities).toEqual(["1 - Critical", "2 - High", "3 - Medium", "4 - Low"]);
    const missing = await call("GET", `/api/boards/ado/projects/${custom.id}/fields`);
    expect(missing.status).toBe(400);
    expect(missing.body.fields[0].field).toBe("types");
    const noType = await call("GET", `/api/boards/ado/projects/${custom.id}/work-item-types/Nope/states`);
    expect(noType.status).toBe(404);
  });

  it("only project administrators (asked of ADO) use the project pickers and change links", async () => {
    expect((await call("GET", `/api/boards/ado/projects/${fiber.id}/iterations`, { headers: member })).status).toBe(403);
    expect((await call("GET", `/api/boards/ado/projects/${fiber.id}/iterations`, { headers: lead })).status).toBe(200);
    expect((await call("GET", `/api/boards/ado/projects/${scrum.id}/iterations`, { headers: lead })).status).toBe(403);
    const res = await save(await cfgFor(fiber), false, member);
    expect(res.status).toBe(403);
    expect(await count()).toBe(0);
  });

  it.each([
    [
      "a description over 255 characters",
      (c: Record<string, unknown>) => ({ ...c, description: "d".repeat(256) }),
      "config.description",
      /at most 255/,
    ],
    [
      "a team board without a team",
      (c: Record<string, unknown>) => ({ ...c, iterations: { source: "teamBoard" } }),
      "config.iterations.source",
      /needs a team/,
    ],
    [
      "a state the process does not have",
      (c: { requirements: Record<string, unknown> }) => ({
        ...c,
        requirements: { ...c.requirements, stateMapping: { "User Story": { Bogus: "Done" } } },
      }),
      "config.requirements.stateMapping.User Story.Bogus",
      /not a state of User Story/,
    ],
    [
      "a field that is not a date field",
      (c: { requirements: Record<string, unknown> }) => ({
        ...c,
        requirements: { ...c.requirements, releaseDateFields: ["System.Title"] },
      }),
      "config.requirements.releaseDateFields.0",
      /not a date field/,
    ],
    [
      "a type outside the requirement category",
      (c: { requirements: Record<string, unknown> }) => ({ ...c, requirements: { ...c.requirements, workItemTypes: ["Task"] } }),
      "config.requirements.workItemTypes.0",
      /not a requirement type/,
    ],
    [
      "an unknown TestOps priority",
      (c: Record<string, unknown>) => ({ ...c, priorityMapping: { "1": "Urgent", "2": "High", "3": "Medium", "4": "Low" } }),
      "config.priorityMapping.1",
      /./,
    ],
  ])("refuses %s with a field-level 400 and stores nothing", async (_n, edit, field, message) => {
    const res = await save(edit((await cfgFor(custom)) as never));
    expect(res.status).toBe(400);
    expect(res.body.error).toBe("validation_failed");
    const f = res.body.fields!.find((x) => x.field === field);
    expect(f).toBeDefined();
    expect(f!.message).toMatch(message);
    expect(await count()).toBe(0);
  });

  let fiberLink: BoardsLink;
  let scrumLink: BoardsLink;

  it("Save stores the link Inactive without syncing; Proceed stores and syncs (Active); twins are refused", async () => {
    const saved = await save(await cfgFor(fiber, { description: "Fiber requirements" }));
    expect(saved.status).toBe(201);
    expect(saved.body.job).toBeNull();
    fiberLink = saved.body.link;
    expect(fiberLink).toMatchObject({
      status: "Inactive",
      archived: false,
      projectName: "Fabrikam Fiber",
      description: "Fiber requirements",
      lastSync: null,
    });
    expect((await call("GET", `/api/jobs?resourceKey=boards:${fiberLink.id}`)).body.jobs).toEqual([]);

    const twin = await save(await cfgFor(fiber));
    expect(twin.status).toBe(409);
    expect(twin.body.error).toBe("link_exists");

    const proceeded = await save(await cfgFor(scrum), true, admin);
    expect(proceeded.status).toBe(201);
    expect(proceeded.body.job).toMatchObject({ kind: "boards.sync" });
    await backend.deps.jobs.idle();
    const job = await call("GET", `/api/jobs/${proceeded.body.job!.id}`);
    expect(job.body).toMatchObject({ status: "succeeded", result: { mode: "full" } });
    scrumLink = (await call<BoardsLink>("GET", `/api/boards/links/${proceeded.body.link.id}`)).body;
    expect(scrumLink).toMatchObject({ status: "Active", statusReason: null, activeJobId: null });
    expect(scrumLink.lastSync!.requirements.created).toBeGreaterThan(0);
    expect(scrumLink.lastSyncAt).not.toBeNull();
    const list = await call("GET", "/api/boards/links");
    expect(list.body.links.map((l: BoardsLink) => l.id).sort()).toEqual([fiberLink.id, scrumLink.id].sort());
  });

  it("preview shows what a sync would do and writes nothing", async () => {
    const before = await call("GET", `/api/boards/links/${fiberLink.id}`);
    const res = await call<PreviewResult>("POST", "/api/boards/preview", { body: { config: fiberLink.config, linkId: fiberLink.id } });
    expect(res.status).toBe(200);
    expect(res.body.releases.create).toBe(4);
    expect(res.body.sprints).toMatchObject({ create: 8, withoutDates: 2 });
    expect(res.body.requirements!.create).toBeGreaterThan(0);
    expect(res.body.requirements!.sample.length).toBeGreaterThan(0);
    expect((await call("GET", `/api/boards/links/${fiberLink.id}`)).body).toEqual(before.body);
    const plans = await call<Plans>("GET", `/api/boards/plans?linkId=${fiberLink.id}`);
    expect(plans.body.releases).toEqual([]);
    expect((await call("POST", "/api/boards/preview", { body: { config: fiberLink.config, linkId: scrumLink.id } })).status).toBe(400);
  });

  it("Edit keeps the project, a manual sync runs, and Plans lists releases, sprints, requirements and coverage", async () => {
    const edited = await call("PUT", `/api/boards/links/${fiberLink.id}`, {
      body: { config: { ...fiberLink.config, description: "edited" } },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.link).toMatchObject({ description: "edited", status: "Inactive" });
    const moved = await call("PUT", `/api/boards/links/${fiberLink.id}`, {
      body: { config: { ...fiberLink.config, project: { id: scrum.id, name: scrum.name } } },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.fields![0].field).toBe("config.project");

    const synced = await call("POST", `/api/boards/links/${fiberLink.id}/sync`, { body: {} });
    expect(synced.status).toBe(202);
    await backend.deps.jobs.idle();
    expect((await call(`GET`, `/api/jobs/${synced.body.job.id}`)).body.status).toBe("succeeded");

    const plans = await call<Plans>("GET", `/api/boards/plans?projectId=${fiber.id}`);
    expect(plans.status).toBe(200);
    const names = plans.body.releases.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(["Release 1", "Release 2", "Release 3", "Backlog"]));
    const r1 = plans.body.releases.find((r) => r.name === "Release 1")!;
    expect(r1.sprints.map((s) => s.name)).toEqual(["Sprint 1", "Sprint 2", "Sprint 3"]);
    const r3 = plans.body.releases.find((r) => r.name === "Release 3")!;
    expect(r3.sprints.every((s) => s.missingDates && s.status === "undated")).toBe(true);
    const inSprints = plans.body.releases.flatMap((r) => r.sprints.flatMap((s) => s.requirements));
    expect(inSprints.length).toBeGreaterThan(0);
    for (const r of plans.body.releases) {
      const total =
        r.sprints.reduce((n, s) => n + s.coverage.total, 0) + (r.coverage.total - r.sprints.reduce((n, s) => n + s.coverage.total, 0));
      expect(r.coverage.total).toBe(total);
      for (const s of r.sprints) {
        expect(s.coverage.total).toBe(Object.values(s.coverage.byStatus).reduce((a, b) => a + b, 0));
        for (const q of s.requirements) expect(q.iterationPath).toBe(s.path);
      }
    }
    expect(inSprints[0].url).toMatch(/^https:\/\/dev\.azure\.com\/fabrikam\/_workitems\/edit\/\d+$/);
    expect(plans.body.links.map((l) => l.id)).toEqual([fiberLink.id]);
  });

  it("Plans test coverage: requirements with linked results, judged by the latest result of each linked test", async () => {
    const before = await call<Plans>("GET", `/api/boards/plans?projectId=${fiber.id}`);
    const sprint = before.body.releases.flatMap((r) => r.sprints).find((s) => s.requirements.length >= 3)!;
    const [x, y, z] = sprint.requirements;
    expect(sprint.coverage).toMatchObject({ tested: 0, passed: 0, failed: 0, testedPercent: 0 });
    expect(x).toMatchObject({ testOutcome: null, tests: 0 });

    const tc = (name: string, wi: number, result = "") =>
      `<testcase classname="Checkout" name="${name}"><properties><property name="workitem" value="${wi}"/></properties>${result}</testcase>`;
    const upload = async (timestamp: string, cases: string) => {
      const xml = `<testsuite name="Checkout" timestamp="${timestamp}">${cases}</testsuite>`;
      const res = await backend.app.request(`/api/results/junit?project=${encodeURIComponent(fiber.name)}`, {
        method: "POST",
        headers: { ...admin, "Content-Type": "application/xml" },
        body: xml,
      });
      expect(res.status).toBe(201);
    };
    const fail = `<failure message="boom"/>`;
    // The newer run is uploaded first: "latest" is by when a run ran, not when it was uploaded.
    await upload("2026-05-02T10:00:00", tc("pays", x.adoId) + tc("refunds", z.adoId, fail));
    await upload("2026-05-01T10:00:00", tc("pays", x.adoId, fail) + tc("lists", y.adoId) + tc("totals", x.adoId));
    await upload("2026-05-03T10:00:00", tc("skips", y.adoId, "<skipped/>"));

    const after = await call<Plans>("GET", `/api/boards/plans?projectId=${fiber.id}`);
    const s = after.body.releases.flatMap((r) => r.sprints).find((v) => v.id === sprint.id)!;
    const row = (id: number) => s.requirements.find((q) => q.adoId === id)!;
    expect(row(x.adoId)).toMatchObject({ testOutcome: "passed", tests: 2 }); // "pays" failed on May 1 but passed on May 2
    expect(row(y.adoId)).toMatchObject({ testOutcome: "passed", tests: 2 }); // a skip does not undo a pass
    expect(row(z.adoId)).toMatchObject({ testOutcome: "failed", tests: 1 });
    expect(s.coverage).toMatchObject({
      tested: 3,
      passed: 2,
      failed: 1,
      failingWithoutDefect: 1,
      testedPercent: Math.round((3 / s.coverage.total) * 1000) / 10,
    });
    const release = after.body.releases.find((r) => r.sprints.some((v) => v.id === sprint.id))!;
    expect(release.coverage).toMatchObject({ tested: 3, passed: 2, failed: 1, failingWithoutDefect: 1 });

    // A defect linked to the failing test: no longer "failing with no defect" in Plans.
    const tests = await call<{ tests: { key: string; name: string }[] }>("GET", `/api/results/work-items/${z.adoId}`);
    const bug = sim.createWorkItem("fabrikam", fiber.name, "Bug", { "System.Title": "Refunds broken" }).id;
    const linked = await backend.app.request(`/api/results/work-items/${z.adoId}/tests/${tests.body.tests[0].key}/defects`, {
      method: "POST",
      headers: { ...admin, "Content-Type": "application/json" },
      body: JSON.stringify({ defectId: bug }),
    });
    expect(linked.status).toBe(201);
    const withDefect = await call<Plans>("GET", `/api/boards/plans?projectId=${fiber.id}`);
    expect(withDefect.body.releases.flatMap((r) => r.sprints).find((v) => v.id === sprint.id)!.coverage).toMatchObject({
      failed: 1,
      failingWithoutDefect: 0,
    });
  });

  it("Archive removes the link's releases from Plans and cancels its scheduled work; Unarchive brings them back", async () => {
    const all = await call<Plans>("GET", "/api/boards/plans");
    expect(all.body.releases.some((r) => r.linkId === scrumLink.id)).toBe(true);
    const archived = await call("POST", `/api/boards/links/${scrumLink.id}/archive`);
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);
    const after = await call<Plans>("GET", "/api/boards/plans");
    expect(after.body.releases.some((r) => r.linkId === scrumLink.id)).toBe(false);
    expect((await call("GET", "/api/boards/links")).body.links.map((l: BoardsLink) => l.id)).toEqual([fiberLink.id]);
    expect((await call("GET", "/api/boards/links?includeArchived=true")).body.links).toHaveLength(2);
    const refused = await call("POST", `/api/boards/links/${scrumLink.id}/sync`, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe("archived");
    expect((await call("POST", `/api/boards/links/${scrumLink.id}/archive`, { headers: member })).status).toBe(403);
    const back = await call("POST", `/api/boards/links/${scrumLink.id}/unarchive`);
    expect(back.body.archived).toBe(false);
    expect((await call<Plans>("GET", "/api/boards/plans")).body.releases.some((r) => r.linkId === scrumLink.id)).toBe(true);
  });

  it("members read links and Plans but cannot change them", async () => {
    expect((await call("GET", "/api/boards/links", { headers: member })).body.links).toHaveLength(2);
    expect((await call("GET", "/api/boards/plans", { headers: member })).status).toBe(200);
    expect((await call("PUT", `/api/boards/links/${fiberLink.id}`, { body: { config: fiberLink.config }, headers: member })).status).toBe(
      403,
    );
    expect((await call("POST", `/api/boards/links/${fiberLink.id}/sync`, { body: {}, headers: member })).status).toBe(403);
    expect((await call("POST", "/api/boards/preview", { body: { config: fiberLink.config }, headers: member })).status).toBe(403);
  });

  it("another organization sees none of it", async () => {
    expect((await call("GET", "/api/boards/links?includeArchived=true", { headers: contoso })).body.links).toEqual([]);
    expect((await call("GET", `/api/boards/links/${fiberLink.id}`, { headers: contoso })).status).toBe(404);
    expect((await call("PUT", `/api/boards/links/${fiberLink.id}`, { body: { config: fiberLink.config }, headers: contoso })).status).toBe(
      404,
    );
    expect((await call("POST", `/api/boards/links/${fiberLink.id}/sync`, { body: {}, headers: contoso })).status).toBe(404);
    expect((await call("POST", `/api/boards/links/${fiberLink.id}/archive`, { headers: contoso })).status).toBe(404);
    expect((await call<Plans>("GET", "/api/boards/plans", { headers: contoso })).body).toEqual({
      releases: [],
      unplannedRequirements: 0,
      links: [],
    });
    expect((await call("GET", `/api/boards/plans?linkId=${fiberLink.id}`, { headers: contoso })).body.releases).toEqual([]);
    expect((await call("GET", "/api/boards/links/not-a-uuid")).status).toBe(400);
  });

  it("a disconnected connection makes the next sync fail with the reason on the link", async () => {
    const conns = await call("GET", "/api/connections");
    const id = (conns.body.connections ?? conns.body)[0].id;
    expect((await call("POST", `/api/connections/${id}/disconnect`, { body: {} })).status).toBe(200);
    const synced = await call("POST", `/api/boards/links/${fiberLink.id}/sync`, { body: {} });
    await backend.deps.jobs.idle();
    expect((await call("GET", `/api/jobs/${synced.body.job.id}`)).body).toMatchObject({
      status: "failed",
      error: expect.stringMatching(/connect the organization first/),
    });
    const link = (await call<BoardsLink>("GET", `/api/boards/links/${fiberLink.id}`)).body;
    expect(link).toMatchObject({ status: "Error", statusReason: expect.stringMatching(/connect the organization first/) });
    expect(link.lastSync).not.toBeNull(); // the last good sync is still there
    expect((await call<Plans>("GET", `/api/boards/plans?linkId=${fiberLink.id}`)).body.releases.length).toBe(4);
  });
});
