// Conformance: simulator responses validated against Microsoft's 7.1 OpenAPI specs (ajv), and compared
// key-by-key with the recorded examples (x-ms-examples) of the same operations.
// Spec quirks handled: UTF-8 BOM, bare-array responses (the live service wraps them as {count, value}),
// example $refs whose case differs from the files on disk.
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { DEMO_PATS } from "../src/index";
import { RUN_CREATE_MODEL, RUN_UPDATE_MODEL, TEST_CASE_RESULT_MODEL } from "../src/testmodels";
import { client, demoSim } from "./helpers";

const SPECS = path.resolve(__dirname, "../../../shared/ado-rest-specs");
const AREAS: Record<string, string> = {
  core: "core/7.1/core.json",
  wit: "wit/7.1/workItemTracking.json",
  work: "work/7.1/work.json",
  git: "git/7.1/git.json",
  hooks: "hooks/7.1/serviceHooks.json",
  test: "test/7.1/test.json",
  security: "security/7.1/security.json",
  testPlan: "testPlan/7.1/testPlan.json",
  build: "build/7.1/build.json",
};

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8").replace(/^\uFEFF/, ""));

/** Resolves a path relative to dir ignoring case (147 example $refs differ in case from the folders). */
function resolveCaseInsensitive(dir: string, rel: string): string | undefined {
  let cur = dir;
  for (const part of rel.split("/").filter((p) => p && p !== ".")) {
    if (!existsSync(cur) || !statSync(cur).isDirectory()) return undefined;
    const hit = readdirSync(cur).find((n) => n.toLowerCase() === part.toLowerCase());
    if (!hit) return undefined;
    cur = path.join(cur, hit);
  }
  return cur;
}

/**
 * The specs write .NET `object` (any JSON value: field values, attribute values, default values) as a
 * bare {"type": "object"}; the live service and the recorded examples put strings/numbers there.
 */
function anyForDotNetObject(node: any): any {
  if (Array.isArray(node)) return node.map(anyForDotNetObject);
  if (!node || typeof node !== "object") return node;
  const keys = Object.keys(node).filter((k) => k !== "description");
  if (node.type === "object" && keys.length === 1) return {};
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, anyForDotNetObject(v)]));
}

/** Real-vs-spec deviations also patched by microsoft/azure-devops-rust-api's spec patcher. */
function patchKnownSpecDefects(area: string, defs: any) {
  // StreamedBatch<WorkItem> is emitted as an array of strings.
  if (area === "wit") defs.StreamedBatch.properties.values.items = { $ref: "#/definitions/WorkItem" };
  // GitChange.item is generic (T) in the server and comes out as "string" in the spec.
  if (area === "git")
    for (const name of Object.keys(defs))
      if (defs[name]?.properties?.item?.type === "string") defs[name].properties.item = { $ref: "#/definitions/GitItem" };
  // probationRetries is an integer on the wire.
  if (area === "hooks") defs.Subscription.properties.probationRetries = { type: "integer" };
}

const available = existsSync(SPECS);
const d = available ? describe : describe.skip;

d("conformance with the 7.1 REST specs", () => {
  const specs: Record<string, any> = {};
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  for (const f of ["int32", "int64", "double", "float", "uuid", "Stream", "byte", "binary", "T"]) ajv.addFormat(f, true);
  for (const [area, file] of Object.entries(AREAS)) {
    if (!available) break;
    specs[area] = readJson(path.join(SPECS, file));
    const defs = anyForDotNetObject(specs[area].definitions);
    patchKnownSpecDefects(area, defs);
    ajv.addSchema({ definitions: defs }, area);
  }

  const sim = demoSim({ seed: { generatedKatalon: { testCases: 5 } } });
  const c = client(sim);
  const fabrikam = () => sim.state.orgs.get("fabrikam")!;
  const fiber = () => fabrikam().projects[0];
  const repo = () => fiber().repos.find((r) => r.name === "katalon-ci-samples")!;

  function operation(area: string, method: string, specPath: string) {
    // Operations whose path carries a query (QueryTestRuns) are under x-ms-paths.
    const op = (specs[area].paths[specPath] ?? specs[area]["x-ms-paths"]?.[specPath])?.[method.toLowerCase()];
    if (!op) throw new Error(`No ${method} ${specPath} in ${area}`);
    return op;
  }

  function responseSchema(area: string, method: string, specPath: string) {
    const op = operation(area, method, specPath);
    const r = op.responses["200"] ?? op.responses["201"];
    const s = r?.schema;
    if (!s) return undefined;
    const fix = (x: any): any => (x?.$ref ? { $ref: `${area}${x.$ref}` } : x?.items ? { ...x, items: fix(x.items) } : x);
    // Bare arrays in the spec are {count, value} on the wire.
    if (s.type === "array")
      return {
        type: "object",
        required: ["count", "value"],
        properties: { count: { type: "integer" }, value: { type: "array", items: fix(s.items) } },
      };
    return fix(s);
  }

  function examples(area: string, method: string, specPath: string): any[] {
    const op = operation(area, method, specPath);
    const dir = path.dirname(path.join(SPECS, AREAS[area]));
    return Object.values(op["x-ms-examples"] ?? {})
      .map((e: any) => resolveCaseInsensitive(dir, e.$ref))
      .filter((f): f is string => !!f)
      .map(readJson);
  }

  /** Keys of the first object in a body (unwrapping {count, value} lists). */
  function shapeKeys(body: any): string[] {
    if (body && Array.isArray(body.value)) body = body.value.find((v: unknown) => v && typeof v === "object") ?? {};
    else if (Array.isArray(body)) body = body[0] ?? {};
    return body && typeof body === "object" ? Object.keys(body) : [];
  }

  interface Case {
    area: string;
    method: string;
    specPath: string;
    call: () => Promise<{ status: number; json: any }>;
    /** Example keys the simulator deliberately does not produce (documented gaps). */
    notProduced?: string[];
  }

  let deleted = 0;
  const plan = { id: 0, storyId: 0, testCaseId: 0, suiteId: 0, pointId: 0 };
  const cases: Case[] = [
    { area: "core", method: "GET", specPath: "/{organization}/_apis/projects", call: () => c.get("/_apis/projects") },
    {
      area: "core",
      method: "GET",
      specPath: "/{organization}/_apis/projects/{projectId}",
      call: () => c.get("/_apis/projects/Fabrikam Fiber?includeCapabilities=true"),
    },
    {
      area: "core",
      method: "GET",
      specPath: "/{organization}/_apis/projects/{projectId}/teams",
      call: () => c.get(`/_apis/projects/${fiber().id}/teams`),
    },
    {
      area: "core",
      method: "GET",
      specPath: "/{organization}/_apis/projects/{projectId}/teams/{teamId}",
      call: () => c.get(`/_apis/projects/${fiber().id}/teams/Web Team`),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitemtypes",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitemtypes"),
      notProduced: ["xmlForm", "isDisabled"],
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitemtypes/{type}",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitemtypes/Bug"),
      notProduced: ["xmlForm"],
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitemtypes/{type}/states",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitemtypes/Bug/states"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitemtypes/{type}/fields",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitemtypes/Bug/fields?$expand=allowedValues"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitemtypecategories",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitemtypecategories"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/fields",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/fields"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/_apis/wit/workitemrelationtypes",
      call: () => c.get("/_apis/wit/workitemrelationtypes"),
    },
    {
      area: "wit",
      method: "POST",
      specPath: "/{organization}/{project}/{team}/_apis/wit/wiql",
      call: () =>
        c.post("/Fabrikam Fiber/_apis/wit/wiql", {
          query:
            "SELECT [System.Id], [System.Title] FROM WorkItems WHERE [System.TeamProject] = @project ORDER BY [System.ChangedDate] DESC",
        }),
    },
    {
      area: "wit",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/wit/workitemsbatch",
      call: () =>
        c.post("/Fabrikam Fiber/_apis/wit/workitemsbatch", {
          ids: [1, 2, 3],
          fields: ["System.Id", "System.Title", "System.WorkItemType"],
        }),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitems",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitems?ids=1,2,3&$expand=all"),
      notProduced: ["commentVersionRef"],
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workitems/{id}",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workitems/12"),
      notProduced: ["commentVersionRef"],
    },
    {
      area: "wit",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/wit/workitems/${type}",
      call: () =>
        c.jsonPatch("POST", "/Fabrikam Fiber/_apis/wit/workitems/$Task", [
          { op: "add", path: "/fields/System.Title", value: "Sample task" },
        ]),
      notProduced: ["commentVersionRef"],
    },
    {
      area: "wit",
      method: "PATCH",
      specPath: "/{organization}/{project}/_apis/wit/workitems/{id}",
      call: () =>
        c.jsonPatch("PATCH", "/Fabrikam Fiber/_apis/wit/workitems/5", [
          { op: "add", path: "/fields/System.History", value: "Moving to the right area path" },
        ]),
      notProduced: ["commentVersionRef"],
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workItems/{id}/revisions",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workItems/5/revisions"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/workItems/{id}/updates",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/workItems/5/updates"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/reporting/workitemrevisions",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/reporting/workitemrevisions?$maxPageSize=5"),
    },
    {
      area: "wit",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/wit/reporting/workitemrevisions",
      call: () =>
        c.post("/Fabrikam Fiber/_apis/wit/reporting/workitemrevisions?$maxPageSize=5", {
          fields: ["System.Id", "System.State"],
          types: ["Bug"],
        }),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/classificationnodes",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/classificationnodes?$depth=2"),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/classificationnodes/{structureGroup}/{path}",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/classificationnodes/Iterations?$depth=2"),
    },
    {
      area: "wit",
      method: "DELETE",
      specPath: "/{organization}/{project}/_apis/wit/workitems/{id}",
      call: () =>
        c.del(
          `/Fabrikam Fiber/_apis/wit/workitems/${(deleted = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Bug", { "System.Title": "deleted" }).id)}`,
        ),
    },
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/recyclebin",
      call: () => c.get("/Fabrikam Fiber/_apis/wit/recyclebin"),
    },
    // The recorded example uses PascalCase keys (a migrated 1.0 example); the spec's WorkItemDelete is camelCase.
    {
      area: "wit",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/wit/recyclebin/{id}",
      call: () => c.get(`/Fabrikam Fiber/_apis/wit/recyclebin/${deleted}`),
      notProduced: ["Name", "Project", "DeletedDate", "DeletedBy"],
    },
    {
      area: "work",
      method: "GET",
      specPath: "/{organization}/{project}/{team}/_apis/work/teamsettings/iterations",
      call: () => c.get("/Fabrikam Fiber/Fabrikam Fiber Team/_apis/work/teamsettings/iterations"),
      notProduced: ["values"],
    },
    {
      area: "work",
      method: "GET",
      specPath: "/{organization}/{project}/{team}/_apis/work/teamsettings/iterations/{id}",
      call: async () => {
        const its = await c.get("/Fabrikam Fiber/Web Team/_apis/work/teamsettings/iterations");
        return c.get(`/Fabrikam Fiber/Web Team/_apis/work/teamsettings/iterations/${its.json.value[0].id}`);
      },
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories",
      call: () => c.get("/Fabrikam Fiber/_apis/git/repositories"),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}",
      call: () => c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}`),
      notProduced: ["serverUrl", "collection", "repository"],
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/refs",
      call: () => c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/refs`),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/items",
      call: () =>
        c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/items?scopePath=/&recursionLevel=Full&includeContentMetadata=true`),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/trees/{sha1}",
      call: async () => {
        const head = await c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/commits/${repo().refs.get("refs/heads/main")}`);
        return c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/trees/${head.json.treeId}?recursive=true`);
      },
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/blobs/{sha1}",
      call: async () => {
        const items = await c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/items?path=/test.prj&$format=json`);
        return c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/blobs/${items.json.objectId}`);
      },
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/commits",
      call: () => c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/commits`),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/commits/{commitId}",
      call: () => c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/commits/${repo().refs.get("refs/heads/main")}`),
    },
    {
      area: "git",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/pushes",
      call: () =>
        c.post(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/pushes`, {
          refUpdates: [{ name: "refs/heads/main", oldObjectId: repo().refs.get("refs/heads/main") }],
          commits: [
            {
              comment: "Added a file",
              changes: [{ changeType: "add", item: { path: "/conformance.md" }, newContent: { content: "# hi", contentType: "rawtext" } }],
            },
          ],
        }),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/pushes",
      call: () => c.get(`/Fabrikam Fiber/_apis/git/repositories/${repo().id}/pushes`),
    },
    {
      area: "git",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/git/repositories/{repositoryId}/diffs/commits",
      call: () => {
        const hist = repo().history(repo().refs.get("refs/heads/main")!);
        return c.get(
          `/Fabrikam Fiber/_apis/git/repositories/${repo().id}/diffs/commits?baseVersion=${hist[hist.length - 1].commitId}&baseVersionType=commit&targetVersion=main`,
        );
      },
    },
    {
      area: "hooks",
      method: "POST",
      specPath: "/{organization}/_apis/hooks/subscriptions",
      call: () =>
        c.post("/_apis/hooks/subscriptions", {
          publisherId: "tfs",
          eventType: "workitem.updated",
          resourceVersion: "1.0",
          consumerId: "webHooks",
          consumerActionId: "httpRequest",
          publisherInputs: { projectId: fiber().id, workItemType: "Bug" },
          consumerInputs: { url: "https://testops.example.com/hooks", basicAuthUsername: "u", basicAuthPassword: "p" },
        }),
    },
    {
      area: "hooks",
      method: "GET",
      specPath: "/{organization}/_apis/hooks/subscriptions",
      call: () => c.get("/_apis/hooks/subscriptions"),
    },
    {
      area: "hooks",
      method: "GET",
      specPath: "/{organization}/_apis/hooks/subscriptions/{subscriptionId}",
      call: async () => c.get(`/_apis/hooks/subscriptions/${(await c.get("/_apis/hooks/subscriptions")).json.value[0].id}`),
    },
    {
      area: "hooks",
      method: "POST",
      specPath: "/{organization}/_apis/hooks/subscriptionsquery",
      call: () => c.post("/_apis/hooks/subscriptionsquery", { publisherId: "tfs", eventType: "workitem.updated" }),
    },
    {
      area: "test",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/test/runs",
      call: () => c.post("/Fabrikam Fiber/_apis/test/runs", { name: "NewTestRun", automated: true, state: "InProgress" }),
    },
    {
      area: "test",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/test/runs",
      call: () => c.get("/Fabrikam Fiber/_apis/test/runs"),
    },
    {
      area: "test",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/test/Runs/{runId}/results",
      call: () =>
        c.post("/Fabrikam Fiber/_apis/test/Runs/1/results", [
          {
            testCaseTitle: "VerifyWebsiteTheme",
            automatedTestName: "FabrikamFiber.WebSite.TestClass.VerifyWebsiteTheme",
            priority: 1,
            outcome: "Passed",
          },
          {
            testCaseTitle: "VerifyWebsiteLinks",
            automatedTestName: "FabrikamFiber.WebSite.TestClass.VerifyWebsiteLinks",
            priority: 2,
            outcome: "Failed",
            associatedBugs: [{ id: 1 }],
          },
        ]),
    },
    {
      area: "test",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/test/Runs/{runId}/results",
      call: () => c.get("/Fabrikam Fiber/_apis/test/Runs/1/results"),
    },
    {
      area: "test",
      method: "PATCH",
      specPath: "/{organization}/{project}/_apis/test/runs/{runId}",
      call: () => c.patch("/Fabrikam Fiber/_apis/test/runs/1", { state: "Completed" }),
    },
    {
      area: "test",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/test/runs/{runId}",
      call: () => c.get("/Fabrikam Fiber/_apis/test/runs/1"),
    },
    {
      area: "test",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/test/runs?minLastUpdatedDate={minLastUpdatedDate}&maxLastUpdatedDate={maxLastUpdatedDate}",
      call: () => {
        const now = sim.state.orgs.get("fabrikam")!.test.runs[0].lastUpdatedDate;
        const from = new Date(Date.parse(now) - 3600_000).toISOString();
        return c.get(`/Fabrikam Fiber/_apis/test/runs?minLastUpdatedDate=${from}&maxLastUpdatedDate=${now}`);
      },
    },
    {
      area: "build",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/build/builds/{buildId}",
      call: () => {
        const run = sim.startPipelineRun("fabrikam", "Fabrikam Fiber", { pipeline: "CI", workItemIds: [1] });
        return c.get(`/Fabrikam Fiber/_apis/build/builds/${run.buildId}`);
      },
    },
    {
      area: "build",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/build/builds/{buildId}/workitems",
      call: () => c.get(`/Fabrikam Fiber/_apis/build/builds/${fabrikam().builds.builds[0].id}/workitems`),
    },
    {
      area: "build",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/build/builds/{buildId}/changes",
      call: () => c.get(`/Fabrikam Fiber/_apis/build/builds/${fabrikam().builds.builds[0].id}/changes`),
    },
    {
      area: "security",
      method: "POST",
      specPath: "/{organization}/_apis/security/permissionevaluationbatch",
      call: () =>
        c.post("/_apis/security/permissionevaluationbatch", {
          alwaysAllowAdministrators: false,
          evaluations: [{ securityNamespaceId: "3e65f728-f8bc-4ecd-8764-7e378b19bfa7", token: "NAMESPACE:", permissions: 2 }],
        }),
    },
    // Test plans (issue #17): a plan, a requirement-based suite whose test case comes from a Tested By link, its points.
    {
      area: "testPlan",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/testplan/plans",
      call: async () => {
        const story = await c.jsonPatch("POST", "/Fabrikam Fiber/_apis/wit/workitems/$User Story", [
          { op: "add", path: "/fields/System.Title", value: "Traceable story" },
        ]);
        const tc = await c.jsonPatch("POST", "/Fabrikam Fiber/_apis/wit/workitems/$Test Case", [
          { op: "add", path: "/fields/System.Title", value: "Traceable test" },
          { op: "add", path: "/relations/-", value: { rel: "Microsoft.VSTS.Common.TestedBy-Reverse", url: story.json.url } },
        ]);
        plan.storyId = story.json.id;
        plan.testCaseId = tc.json.id;
        const res = await c.post("/Fabrikam Fiber/_apis/testplan/plans", {
          name: "Release 1 plan",
          iteration: "Fabrikam Fiber\\Release 1",
        });
        plan.id = res.json.id;
        return res;
      },
      notProduced: ["buildId", "buildDefinition", "releaseEnvironmentDefinition"],
    },
    {
      area: "testPlan",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/testplan/plans",
      call: () => c.get("/Fabrikam Fiber/_apis/testplan/plans"),
      // Only plans tied to a build or a release stage have these.
      notProduced: ["buildId", "buildDefinition", "releaseEnvironmentDefinition"],
    },
    {
      area: "testPlan",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/testplan/Plans/{planId}/suites",
      call: async () => {
        const res = await c.post(`/Fabrikam Fiber/_apis/testplan/Plans/${plan.id}/suites`, {
          suiteType: "requirementTestSuite",
          requirementId: plan.storyId,
        });
        plan.suiteId = res.json.id;
        return res;
      },
    },
    {
      area: "testPlan",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/testplan/Plans/{planId}/suites",
      call: () => c.get(`/Fabrikam Fiber/_apis/testplan/Plans/${plan.id}/suites`),
    },
    {
      area: "testPlan",
      method: "GET",
      specPath: "/{organization}/_apis/testplan/suites",
      call: () => c.get(`/_apis/testplan/suites?testCaseId=${plan.testCaseId}`),
    },
    {
      area: "testPlan",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/testplan/Plans/{planId}/Suites/{suiteId}/TestCase",
      call: () => c.get(`/Fabrikam Fiber/_apis/testplan/Plans/${plan.id}/Suites/${plan.suiteId}/TestCase`),
    },
    {
      area: "test",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/test/Plans/{planId}/Suites/{suiteId}/points",
      call: async () => {
        const res = await c.get(`/Fabrikam Fiber/_apis/test/Plans/${plan.id}/Suites/${plan.suiteId}/points?testCaseId=${plan.testCaseId}`);
        plan.pointId = Number(res.json.value[0].id);
        return res;
      },
      // No tester is assigned to the simulator's points.
      notProduced: ["assignedTo", "lastUpdatedBy"],
    },
    {
      area: "testPlan",
      method: "GET",
      specPath: "/{organization}/{project}/_apis/testplan/Plans/{planId}/Suites/{suiteId}/TestPoint",
      call: () => c.get(`/Fabrikam Fiber/_apis/testplan/Plans/${plan.id}/Suites/${plan.suiteId}/TestPoint?pointId=${plan.pointId}`),
    },
    {
      area: "test",
      method: "POST",
      specPath: "/{organization}/{project}/_apis/test/points",
      call: () => c.post("/Fabrikam Fiber/_apis/test/points", { pointsFilter: { testcaseIds: [plan.testCaseId] } }),
    },
  ];

  // Cases run in order (later ones use data created by earlier ones).
  for (const tc of cases) {
    test(`${tc.method} ${tc.specPath.replace("/{organization}", "")} [${tc.area}]`, async () => {
      const res = await tc.call();
      expect([200, 201]).toContain(res.status);
      const schema = responseSchema(tc.area, tc.method, tc.specPath);
      if (schema) {
        const validate = ajv.compile(schema);
        const ok = validate(res.json);
        if (!ok) throw new Error(`Schema errors: ${JSON.stringify(validate.errors?.slice(0, 5), null, 1)}`);
      }
      // Recorded examples: the simulator answers with the keys the real service sends.
      const exs = examples(tc.area, tc.method, tc.specPath).filter((e) => e.responses?.["200"]?.body || e.responses?.["201"]?.body);
      for (const ex of exs) {
        const body = ex.responses["200"]?.body ?? ex.responses["201"]?.body;
        if (Array.isArray(body.value) && !Array.isArray(res.json.value)) continue;
        const want = shapeKeys(body).filter((k) => !(tc.notProduced ?? []).includes(k));
        const have = shapeKeys(res.json);
        const missing = want.filter((k) => !have.includes(k));
        // Allow optional keys the example happens to have but that depend on data (e.g. attributes on undated nodes).
        const optional = [
          "attributes",
          "children",
          "_links",
          "description",
          "remoteUrl",
          "sshUrl",
          "webUrl",
          "size",
          "defaultBranch",
          "relations",
          "isFolder",
          "content",
          "contentMetadata",
          "latestProcessedChange",
          "commentTruncated",
          "parents",
          "push",
          "statuses",
          "workItems",
          "changes",
          "nextLink",
          "continuationToken",
          "subscriber",
          "lastProbationRetryDate",
          "build",
          "plan",
          "pipelineReference",
          "releaseUri",
          "releaseEnvironmentUri",
          "revision",
          "owner",
          "comment",
          "errorMessage",
          "testCase",
          "testPoint",
          "area",
          "configuration",
          "priority",
          "failureType",
          "computerName",
          "stackTrace",
          "associatedBugs",
          "startedDate",
          "completedDate",
          "durationInMs",
          "automatedTestStorage",
          "automatedTestType",
          "automatedTestTypeId",
          "automatedTestId",
          "customFields",
          "dueDate",
          "iterationDetails",
        ];
        expect(missing.filter((k) => !optional.includes(k))).toEqual([]);
      }
    });
  }

  test("test request models are the spec's: members outside them are refused, dates use the model's names", () => {
    const names = (def: string) => Object.keys(specs.test.definitions[def].properties).sort();
    expect([...RUN_CREATE_MODEL].sort()).toEqual(names("RunCreateModel"));
    expect([...RUN_UPDATE_MODEL].sort()).toEqual(names("RunUpdateModel"));
    expect([...TEST_CASE_RESULT_MODEL].sort()).toEqual(names("TestCaseResult"));
  });

  test("a run created with startDate/completeDate reads back startedDate/completedDate; startedDate on create is refused", async () => {
    const wrong = await c.post("/Fabrikam Fiber/_apis/test/runs", { name: "r", state: "InProgress", startedDate: "2025-06-01T10:00:00Z" });
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toContain("'startedDate' is not a member of RunCreateModel");
    const run = await c.post("/Fabrikam Fiber/_apis/test/runs", { name: "r", state: "InProgress", startDate: "2025-06-01T10:00:00Z" });
    expect(run.json.startedDate).toBe("2025-06-01T10:00:00Z");
    expect((await c.patch(`/Fabrikam Fiber/_apis/test/runs/${run.json.id}`, { startDate: "2025-06-01T10:00:00Z" })).status).toBe(400);
    const done = await c.patch(`/Fabrikam Fiber/_apis/test/runs/${run.json.id}`, {
      state: "Completed",
      completedDate: "2025-06-01T10:05:00Z",
    });
    expect([done.json.startedDate, done.json.completedDate]).toEqual(["2025-06-01T10:00:00Z", "2025-06-01T10:05:00Z"]);
    const open = await c.post("/Fabrikam Fiber/_apis/test/runs", { name: "r2", state: "InProgress" });
    const res = await c.post(`/Fabrikam Fiber/_apis/test/Runs/${open.json.id}/results`, [{ testCaseTitle: "t", workItems: [{ id: 1 }] }]);
    expect(res.json.message).toContain("'workItems' is not a member of TestCaseResult");
  });

  test("associatedBugs takes bugs only: a user story there is refused, a bug is linked", async () => {
    const story = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "User Story", { "System.Title": "s" }).id;
    const bug = sim.createWorkItem("fabrikam", "Fabrikam Fiber", "Bug", { "System.Title": "b" }).id;
    const run = await c.post("/Fabrikam Fiber/_apis/test/runs", { name: "bugs", state: "InProgress" });
    const wrong = await c.post(`/Fabrikam Fiber/_apis/test/Runs/${run.json.id}/results`, [
      { testCaseTitle: "t", outcome: "Failed", associatedBugs: [{ id: story }] },
    ]);
    expect(wrong.status).toBe(400);
    expect(wrong.json.message).toContain("Microsoft.BugCategory");
    const ok = await c.post(`/Fabrikam Fiber/_apis/test/Runs/${run.json.id}/results`, [
      { testCaseTitle: "t", outcome: "Failed", associatedBugs: [{ id: bug }] },
    ]);
    expect(ok.status).toBe(200);
  });

  test("error bodies have ADO's exception shape", async () => {
    const res = await client(sim, DEMO_PATS.readOnly).get("/Fabrikam Fiber/_apis/test/runs");
    expect(Object.keys(res.json).sort()).toEqual(["$id", "errorCode", "eventId", "innerException", "message", "typeKey", "typeName"]);
  });
});
