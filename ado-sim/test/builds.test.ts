// Builds, job access tokens and QueryTestRuns (issue #15): what the pipeline task and the import rely on.
import { DEMO_USERS } from "../src/index";
import type { SimulatorImpl } from "../src/simulator";
import { client, demoSim, ORG } from "./helpers";

const PROJECT = "Fabrikam Fiber";
const bearer = (token: string) => ({ Authorization: `Bearer ${token}`, "X-TFS-FedAuthRedirect": "Suppress" });

describe("builds and job access tokens", () => {
  const sim = demoSim();
  const impl = sim as unknown as SimulatorImpl;
  const get = async (path: string, token: string) => {
    const res = await sim.fetch(`${ORG}${path}${path.includes("?") ? "&" : "?"}api-version=7.1`, { headers: bearer(token) });
    return { status: res.status, json: await res.json().catch(() => undefined) };
  };

  it("a pipeline run is a build in progress with its work items and commits; the job's token is the project's build service", async () => {
    const story = sim.createWorkItem("fabrikam", PROJECT, "User Story", { "System.Title": "A" }).id;
    const run = sim.startPipelineRun("fabrikam", PROJECT, {
      pipeline: "Web CI",
      branch: "refs/heads/main",
      workItemIds: [story],
      commits: [{ message: "Fix #1" }],
    });
    const b = await get(`/${encodeURIComponent(PROJECT)}/_apis/build/builds/${run.buildId}`, run.accessToken);
    expect(b.status).toBe(200);
    expect(b.json).toMatchObject({
      id: run.buildId,
      buildNumber: run.buildNumber,
      status: "inProgress",
      definition: { name: "Web CI" },
      sourceBranch: "refs/heads/main",
    });
    const wi = await get(`/${encodeURIComponent(PROJECT)}/_apis/build/builds/${run.buildId}/workitems`, run.accessToken);
    expect(wi.json.value).toEqual([{ id: String(story), url: expect.stringContaining(`/_apis/wit/workItems/${story}`) }]);
    const changes = await get(`/${encodeURIComponent(PROJECT)}/_apis/build/builds/${run.buildId}/changes`, run.accessToken);
    expect(changes.json.value[0]).toMatchObject({ id: run.variables.BUILD_SOURCEVERSION, message: "Fix #1", type: "TfsGit" });
    const me = await get("/_apis/connectionData", run.accessToken);
    expect(me.json.authenticatedUser).toMatchObject({ id: run.identity.id, providerDisplayName: `${PROJECT} Build Service (fabrikam)` });
    // Contributor-like in its project: it may create test runs there, not administer it.
    const project = impl.org("fabrikam").projects.find((p) => p.name === PROJECT)!;
    const evaluate = async (permissions: number) =>
      (
        await sim.fetch(`${ORG}/_apis/security/permissionevaluationbatch?api-version=7.1`, {
          method: "POST",
          headers: { ...bearer(run.accessToken), "content-type": "application/json" },
          body: JSON.stringify({
            evaluations: [
              {
                securityNamespaceId: "52d39943-cb85-4d7f-8fa8-c6baac873819",
                token: `$PROJECT:vstfs:///Classification/TeamProject/${project.id}`,
                permissions,
              },
            ],
          }),
        })
      ).json();
    expect((await evaluate(8)).evaluations[0].value).toBe(true);
    expect((await evaluate(2)).evaluations[0].value).toBe(false);
  });

  it("a job's token sees only its own project (job authorization scope), and stops working when the build completes", async () => {
    const other = sim.createWorkItem("fabrikam", "Scrum Project", "Product Backlog Item", { "System.Title": "B" }).id;
    const run = sim.startPipelineRun("fabrikam", PROJECT);
    expect((await get(`/Scrum%20Project/_apis/build/builds/${run.buildId}`, run.accessToken)).status).toBe(404);
    expect((await get(`/_apis/wit/workitems/${other}`, run.accessToken)).status).toBe(404);
    expect((await get(`/${encodeURIComponent(PROJECT)}/_apis/build/builds/999999`, run.accessToken)).status).toBe(404);
    sim.completeBuild("fabrikam", run.buildId);
    expect((await get("/_apis/connectionData", run.accessToken)).status).toBe(401);
    // The user's own token still sees the finished build.
    const admin = sim.issueAccessToken("fabrikam", DEMO_USERS.admin.id);
    expect((await get(`/${encodeURIComponent(PROJECT)}/_apis/build/builds/${run.buildId}`, admin)).json.status).toBe("completed");
  });
});

describe("QueryTestRuns", () => {
  const sim = demoSim();
  const c = client(sim);
  const run = sim.startPipelineRun("fabrikam", PROJECT);
  const base = Date.parse("2026-10-01T00:00:00Z");
  for (let i = 0; i < 7; i++)
    sim.publishPipelineTestRun("fabrikam", run.buildId, {
      title: `R${i}`,
      at: new Date(base + i * 3600_000),
      results: [{ name: "t", outcome: "Passed" }],
    });
  const q = (query: string) => c.get(`/${encodeURIComponent(PROJECT)}/_apis/test/runs?${query}`);
  const iso = (ms: number) => new Date(ms).toISOString();

  it("needs both dates, at most 7 days apart", async () => {
    expect((await q(`minLastUpdatedDate=${iso(base)}`)).status).toBe(400);
    const wide = await q(`minLastUpdatedDate=${iso(base)}&maxLastUpdatedDate=${iso(base + 8 * 86400_000)}`);
    expect(wide.status).toBe(400);
    expect(wide.json.message).toMatch(/7 days/);
    expect((await q(`minLastUpdatedDate=${iso(base)}&maxLastUpdatedDate=${iso(base + 7 * 86400_000)}`)).status).toBe(200);
    expect((await q(`minLastUpdatedDate=${iso(base)}&maxLastUpdatedDate=${iso(base)}&$top=101`)).status).toBe(400);
  });

  it("pages by last update with an opaque continuation token in x-ms-continuationtoken", async () => {
    const window = `minLastUpdatedDate=${iso(base + 3600_000)}&maxLastUpdatedDate=${iso(base + 5 * 3600_000)}&$top=2`;
    const names: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const res = await q(window + (token ? `&continuationToken=${encodeURIComponent(token)}` : ""));
      expect(res.status).toBe(200);
      names.push(...res.json.value.map((r: { name: string }) => r.name));
      token = res.headers.get("x-ms-continuationtoken");
      pages++;
    } while (token);
    expect(names).toEqual(["R1", "R2", "R3", "R4", "R5"]);
    expect(pages).toBe(3);
    const bad = await q(`${window}&continuationToken=nonsense`);
    expect(bad.status).toBe(400);
  });

  it("runs published by a pipeline carry their build", async () => {
    const res = await q(`minLastUpdatedDate=${iso(base)}&maxLastUpdatedDate=${iso(base)}`);
    expect(res.json.value[0]).toMatchObject({
      name: "R0",
      isAutomated: true,
      state: "Completed",
      build: { id: String(run.buildId), name: run.buildNumber },
    });
  });
});
