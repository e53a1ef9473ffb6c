// test area: runs (create, complete, list, get) and results (add, update, list, get), with
// associated work items (bugs / requirements) on results.
import { refuseUnknownMembers, RUN_CREATE_MODEL, RUN_UPDATE_MODEL, TEST_CASE_RESULT_MODEL } from "./testmodels";
import { badRequest, intParam, json, list, notFound, orgUrl, type Ctx } from "./http";
import type { RouteDef } from "./router";
import { getProcess } from "./processes";
import { findProject, type Org, type Project } from "./state";
import { applyResultToPoint, checkResultTestCase, newPlanState, resultsForPoints, type PlanState } from "./testplans";

const READ = ["vso.test"];
const WRITE = ["vso.test_write"];
const MAX_RESULTS_PER_POST = 1000;
const RUN_STATES = ["Unspecified", "NotStarted", "InProgress", "Completed", "Aborted", "Waiting", "NeedsInvestigation"];
const OUTCOMES = [
  "Unspecified",
  "None",
  "Passed",
  "Failed",
  "Inconclusive",
  "Timeout",
  "Aborted",
  "Blocked",
  "NotExecuted",
  "Warning",
  "Error",
  "NotApplicable",
  "Paused",
  "InProgress",
  "NotImpacted",
];

export interface TestResultRecord {
  id: number;
  data: Record<string, unknown>;
  associatedWorkItems: number[];
  createdDate: string;
  lastUpdatedDate: string;
  revision: number;
}

export interface TestRunRecord {
  id: number;
  projectId: string;
  name: string;
  state: string;
  isAutomated: boolean;
  data: Record<string, unknown>;
  createdDate: string;
  startedDate?: string;
  completedDate?: string;
  lastUpdatedDate: string;
  ownerId: string;
  revision: number;
  results: TestResultRecord[];
}

export interface TestState {
  runs: TestRunRecord[];
  nextRunId: number;
  nextResultId: number;
  /** Test plans, suites and points (testplans.ts). */
  plans: PlanState;
}

export function newTestState(): TestState {
  return { runs: [], nextRunId: 1, nextResultId: 100000, plans: newPlanState() };
}

const pick = (o: Record<string, unknown>, keys: string[]) =>
  Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));

function userRef(ctx: Ctx, id: string) {
  const u = ctx.state.users.get(id);
  return u
    ? {
        displayName: u.displayName,
        id: u.id,
        uniqueName: u.uniqueName,
        url: `${orgUrl(ctx)}/_apis/Identities/${u.id}`,
        descriptor: u.descriptor,
      }
    : { id };
}

function runUrl(ctx: Ctx, p: Project, id: number) {
  return `${orgUrl(ctx)}/${p.id}/_apis/test/Runs/${id}`;
}

function runJson(ctx: Ctx, run: TestRunRecord) {
  const p = ctx.org.projects.find((x) => x.id === run.projectId)!;
  const count = (o: string) => run.results.filter((r) => r.data.outcome === o).length;
  const incomplete = run.results.filter((r) => r.data.state !== "Completed").length;
  return {
    id: run.id,
    name: run.name,
    url: runUrl(ctx, p, run.id),
    isAutomated: run.isAutomated,
    iteration: run.data.iteration ?? p.name,
    owner: userRef(ctx, run.ownerId),
    project: { id: p.id, name: p.name, url: `${orgUrl(ctx)}/_apis/projects/${p.id}` },
    ...(run.startedDate ? { startedDate: run.startedDate } : {}),
    ...(run.completedDate ? { completedDate: run.completedDate } : {}),
    state: run.state,
    ...(run.data.plan ? { plan: run.data.plan } : {}),
    ...(run.data.build ? { build: run.data.build } : {}),
    ...pick(run.data, ["comment", "releaseUri", "releaseEnvironmentUri", "tags", "buildConfiguration", "pipelineReference"]),
    postProcessState: "Complete",
    totalTests: run.results.length,
    incompleteTests: incomplete,
    notApplicableTests: count("NotApplicable"),
    passedTests: count("Passed"),
    unanalyzedTests: run.results.filter(
      (r) => r.data.outcome === "Failed" || r.data.outcome === "Error" || r.data.outcome === "Timeout" || r.data.outcome === "Aborted",
    ).length,
    revision: run.revision,
    webAccessUrl: `${orgUrl(ctx)}/${encodeURIComponent(p.name)}/_TestManagement/Runs?runId=${run.id}&_a=runCharts`,
    createdDate: run.createdDate,
    lastUpdatedDate: run.lastUpdatedDate,
    lastUpdatedBy: userRef(ctx, run.ownerId),
  };
}

function resultJson(ctx: Ctx, run: TestRunRecord, r: TestResultRecord) {
  const p = ctx.org.projects.find((x) => x.id === run.projectId)!;
  const wiRef = (id: number) => ({ id: String(id), url: `${orgUrl(ctx)}/_apis/wit/workItems/${id}` });
  const out: Record<string, unknown> = {
    id: r.id,
    project: { id: p.id, name: p.name, url: `${orgUrl(ctx)}/_apis/projects/${p.id}` },
    ...pick(r.data, [
      "startedDate",
      "completedDate",
      "durationInMs",
      "outcome",
      "state",
      "priority",
      "computerName",
      "errorMessage",
      "stackTrace",
      "comment",
      "failureType",
      "automatedTestName",
      "automatedTestStorage",
      "automatedTestType",
      "automatedTestId",
      "testCaseTitle",
      "testCase",
      "testPoint",
      "testPlan",
      "testSuite",
      "configuration",
      "area",
      "build",
      "customFields",
      "resultGroupType",
      "testCaseReferenceId",
    ]),
    revision: r.revision,
    testRun: { id: String(run.id), name: run.name, url: runUrl(ctx, p, run.id) },
    lastUpdatedDate: r.lastUpdatedDate,
    lastUpdatedBy: userRef(ctx, run.ownerId),
    createdDate: r.createdDate,
    runBy: userRef(ctx, run.ownerId),
    url: `${runUrl(ctx, p, run.id)}/Results/${r.id}`,
  };
  const bugs = (r.data.associatedBugs as { id: number | string }[] | undefined) ?? [];
  if (bugs.length) out.associatedBugs = bugs.map((b) => wiRef(Number(b.id)));
  if (r.associatedWorkItems.length) out.associatedWorkItems = r.associatedWorkItems.map(wiRef);
  return out;
}

function findRun(ctx: Ctx): TestRunRecord {
  const run = ctx.org.test.runs.find((r) => r.id === Number(ctx.params.runId) && r.projectId === ctx.project!.id);
  if (!run) throw notFound(`Test run ${ctx.params.runId} not found.`, "TestObjectNotFoundException");
  return run;
}

function validateResult(ctx: Ctx, r: Record<string, unknown>) {
  refuseUnknownMembers(r, TEST_CASE_RESULT_MODEL, "TestCaseResult");
  if (r.outcome !== undefined && !OUTCOMES.some((o) => o.toLowerCase() === String(r.outcome).toLowerCase()))
    throw badRequest(`The value '${r.outcome}' is not valid for outcome.`, "InvalidPropertyException");
  if (r.outcome) r.outcome = OUTCOMES.find((o) => o.toLowerCase() === String(r.outcome).toLowerCase());
  const wi = [
    ...((r.associatedBugs as { id: unknown }[]) ?? []),
    ...((r.associatedWorkItems as { id: unknown }[]) ?? []),
    ...((r.workItems as { id: unknown }[]) ?? []),
  ];
  for (const w of wi)
    if (!ctx.org.workItems.exists(Number(w.id)))
      throw badRequest(
        `TF401232: Work item ${w.id} does not exist, or you do not have permissions to read it.`,
        "InvalidPropertyException",
      );
  // `associatedBugs` ("bugs linked to test result", TestCaseResult in the spec) takes bugs only: a work
  // item outside its project's Bug category is refused (assumption, stricter than proven; see
  // docs/ado-fidelity.md point 10). Requirements reach results through test cases or test methods.
  for (const b of (r.associatedBugs as { id: unknown }[]) ?? []) {
    const id = Number(b.id);
    const project = findProject(ctx.org, ctx.org.workItems.projectId(id));
    const type = String(ctx.org.workItems.latest(id).fields["System.WorkItemType"] ?? "");
    const bugTypes = project
      ? (getProcess(project.processName).categories.find((c) => c.referenceName === "Microsoft.BugCategory")?.types ?? [])
      : [];
    if (!bugTypes.includes(type))
      throw badRequest(
        `Work item ${id} is a ${type}, not a bug: associatedBugs takes work items of the Bug category (Microsoft.BugCategory).`,
        "InvalidPropertyException",
      );
  }
  if (typeof r.comment === "string" && r.comment.length > 1000)
    throw badRequest("The comment exceeds 1000 characters.", "InvalidPropertyException");
  checkResultTestCase(ctx, r);
}

function workItemIds(r: Record<string, unknown>): number[] {
  return [...((r.associatedWorkItems as { id: unknown }[]) ?? []), ...((r.workItems as { id: unknown }[]) ?? [])].map((w) => Number(w.id));
}

const WEEK_MS = 7 * 24 * 3600_000;
const QUERY_MAX_TOP = 100;

function dateParam(ctx: Ctx, name: string): number {
  const v = ctx.q(name);
  if (!v) throw badRequest(`The parameter ${name} is mandatory.`, "InvalidPropertyException");
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw badRequest(`The value '${v}' is not valid for ${name}.`, "InvalidPropertyException");
  return t;
}

/**
 * Runs_Query ("Query Test Runs based on filters. Mandatory fields are minLastUpdatedDate and
 * maxLastUpdatedDate", at most 7 days apart; $top "Limit is 100"). Ordered by last update, then id; the
 * next page's token comes in the x-ms-continuationtoken header and is opaque to the caller.
 */
function queryRuns(ctx: Ctx): Response {
  const min = dateParam(ctx, "minLastUpdatedDate");
  const max = dateParam(ctx, "maxLastUpdatedDate");
  if (max < min) throw badRequest("maxLastUpdatedDate must not be earlier than minLastUpdatedDate.", "InvalidPropertyException");
  if (max - min > WEEK_MS)
    throw badRequest(
      "The difference between minLastUpdatedDate and maxLastUpdatedDate must be less than or equal to 7 days.",
      "InvalidPropertyException",
    );
  const top = intParam(ctx, "$top", QUERY_MAX_TOP)!;
  if (top < 1 || top > QUERY_MAX_TOP)
    throw badRequest(`The value '${top}' is not valid for $top: the limit is ${QUERY_MAX_TOP}.`, "InvalidPropertyException");
  const state = ctx.q("state");
  const automated = ctx.q("isAutomated");
  const buildIds = ctx
    .q("buildIds")
    ?.split(",")
    .map((x) => Number(x.trim()));
  let after: [number, number] | undefined;
  const token = ctx.q("continuationToken");
  if (token) {
    const m = /^(\d+);(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) throw badRequest("The continuation token is not valid.", "InvalidPropertyException");
    after = [Number(m[1]), Number(m[2])];
  }
  const key = (r: TestRunRecord): [number, number] => [Date.parse(r.lastUpdatedDate), r.id];
  const runs = ctx.org.test.runs
    .filter((r) => {
      const t = Date.parse(r.lastUpdatedDate);
      if (r.projectId !== ctx.project!.id || t < min || t > max) return false;
      if (state && r.state.toLowerCase() !== state.toLowerCase()) return false;
      if (automated !== undefined && String(r.isAutomated) !== automated.toLowerCase()) return false;
      if (buildIds && !buildIds.includes(Number((r.data.build as { id?: unknown } | undefined)?.id))) return false;
      if (after) {
        const [t0, id0] = key(r);
        if (t0 < after[0] || (t0 === after[0] && id0 <= after[1])) return false;
      }
      return true;
    })
    .sort((a, b) => key(a)[0] - key(b)[0] || a.id - b.id);
  const page = runs.slice(0, top);
  const headers: Record<string, string> = {};
  if (runs.length > top) {
    const last = key(page[page.length - 1]);
    headers["x-ms-continuationtoken"] = Buffer.from(`${last[0]};${last[1]}`).toString("base64url");
  }
  return list(
    page.map((r) => runJson(ctx, r)),
    headers,
  );
}

export interface PipelineTestResult {
  name: string;
  className?: string;
  outcome: "Passed" | "Failed" | "NotExecuted" | "Error" | "Timeout" | "Aborted" | "Inconclusive";
  durationInMs?: number;
  errorMessage?: string;
  stackTrace?: string;
}

/**
 * What PublishTestResults@2 leaves in Azure Test Plans: a completed automated run tied to the build,
 * its results (automatedTestName = class.method, automatedTestStorage = the assembly/file) with the build.
 */
export function publishPipelineRun(
  org: Org,
  project: Project,
  build: { id: number; buildNumber: string; definitionId: number; branch: string; ownerId: string },
  input: { title: string; results: PipelineTestResult[]; at: Date; baseUrl: string },
): TestRunRecord {
  const at = input.at.toISOString();
  const buildRef = {
    id: String(build.id),
    name: build.buildNumber,
    url: `${input.baseUrl}/${org.name}/${project.id}/_apis/build/Builds/${build.id}`,
  };
  const run: TestRunRecord = {
    id: org.test.nextRunId++,
    projectId: project.id,
    name: input.title,
    state: "Completed",
    isAutomated: true,
    data: {
      build: buildRef,
      buildConfiguration: {
        id: build.id,
        number: build.buildNumber,
        buildDefinitionId: build.definitionId,
        branchName: build.branch,
        project: { id: project.id, name: project.name },
      },
      pipelineReference: { pipelineId: build.id },
    },
    createdDate: at,
    startedDate: at,
    completedDate: at,
    lastUpdatedDate: at,
    ownerId: build.ownerId,
    revision: 3,
    results: input.results.map((r) => ({
      id: org.test.nextResultId++,
      data: {
        state: "Completed",
        outcome: r.outcome,
        testCaseTitle: r.name,
        automatedTestName: r.className ? `${r.className}.${r.name}` : r.name,
        automatedTestStorage: r.className ? `${r.className.split(".")[0]}.dll` : project.name,
        automatedTestType: "JUnit",
        ...(r.durationInMs !== undefined ? { durationInMs: r.durationInMs } : {}),
        ...(r.errorMessage ? { errorMessage: r.errorMessage } : {}),
        ...(r.stackTrace ? { stackTrace: r.stackTrace } : {}),
        build: buildRef,
        startedDate: at,
        completedDate: at,
      },
      associatedWorkItems: [],
      createdDate: at,
      lastUpdatedDate: at,
      revision: 1,
    })),
  };
  org.test.runs.push(run);
  return run;
}

export const testRoutes: RouteDef[] = [
  {
    method: "POST",
    levels: ["project"],
    path: "test/runs",
    scopes: WRITE,
    handler: async (ctx) => {
      const b = (await ctx.body<Record<string, unknown>>()) ?? {};
      refuseUnknownMembers(b, RUN_CREATE_MODEL, "RunCreateModel");
      if (!b.name) throw badRequest("The run name is required.", "ArgumentNullException");
      const state = String(b.state ?? "NotStarted");
      if (!["NotStarted", "InProgress", "Waiting"].includes(state))
        throw badRequest(`The run state '${state}' is not valid for a new run.`, "InvalidPropertyException");
      // A run on test points (plan + pointIds) starts with one pending result per point.
      const pointResults = b.plan !== undefined ? resultsForPoints(ctx, b.plan, b.pointIds) : [];
      if (b.pointIds !== undefined && b.plan === undefined)
        throw badRequest("pointIds need the plan they belong to.", "InvalidPropertyException");
      const now = ctx.sim.clock().toISOString();
      const run: TestRunRecord = {
        id: ctx.org.test.nextRunId++,
        projectId: ctx.project!.id,
        name: String(b.name),
        state,
        isAutomated: !!b.automated,
        data: b,
        createdDate: now,
        // RunCreateModel says startDate/completeDate; the run reads back startedDate/completedDate.
        startedDate: (b.startDate as string) ?? (state === "InProgress" ? now : undefined),
        completedDate: b.completeDate as string | undefined,
        lastUpdatedDate: now,
        ownerId: ctx.identity.user.id,
        revision: 1,
        results: pointResults.map((data) => ({
          id: ctx.org.test.nextResultId++,
          data,
          associatedWorkItems: [],
          createdDate: now,
          lastUpdatedDate: now,
          revision: 1,
        })),
      };
      ctx.org.test.runs.push(run);
      return json(runJson(ctx, run));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "test/runs",
    scopes: READ,
    handler: (ctx) => {
      // QueryTestRuns shares the URL: it is the form with minLastUpdatedDate/maxLastUpdatedDate.
      if (ctx.q("minLastUpdatedDate") !== undefined || ctx.q("maxLastUpdatedDate") !== undefined) return queryRuns(ctx);
      const top = intParam(ctx, "$top", 100)!;
      const skip = intParam(ctx, "$skip", 0)!;
      const automated = ctx.q("automated");
      const runs = ctx.org.test.runs.filter(
        (r) => r.projectId === ctx.project!.id && (automated === undefined || String(r.isAutomated) === automated.toLowerCase()),
      );
      return list(runs.slice(skip, skip + top).map((r) => runJson(ctx, r)));
    },
  },
  { method: "GET", levels: ["project"], path: "test/runs/:runId", scopes: READ, handler: (ctx) => json(runJson(ctx, findRun(ctx))) },
  {
    method: "PATCH",
    levels: ["project"],
    path: "test/runs/:runId",
    scopes: WRITE,
    handler: async (ctx) => {
      const run = findRun(ctx);
      const b = (await ctx.body<Record<string, unknown>>()) ?? {};
      refuseUnknownMembers(b, RUN_UPDATE_MODEL, "RunUpdateModel");
      const now = ctx.sim.clock().toISOString();
      if (b.state !== undefined) {
        const s = RUN_STATES.find((x) => x.toLowerCase() === String(b.state).toLowerCase());
        if (!s) throw badRequest(`The run state '${b.state}' is not valid.`, "InvalidPropertyException");
        run.state = s;
        if (s === "InProgress" && !run.startedDate) run.startedDate = now;
        if (s === "Completed" || s === "Aborted") run.completedDate = (b.completedDate as string) ?? now;
      }
      if (b.name) run.name = String(b.name);
      for (const k of ["comment", "completedDate", "startedDate", "build", "iteration", "tags"]) if (b[k] !== undefined) run.data[k] = b[k];
      if (b.startedDate) run.startedDate = String(b.startedDate);
      run.revision++;
      run.lastUpdatedDate = now;
      return json(runJson(ctx, run));
    },
  },
  {
    method: "DELETE",
    levels: ["project"],
    path: "test/runs/:runId",
    scopes: WRITE,
    handler: (ctx) => {
      const run = findRun(ctx);
      ctx.org.test.runs = ctx.org.test.runs.filter((r) => r !== run);
      return new Response(null, { status: 204 });
    },
  },
  {
    method: "POST",
    levels: ["project"],
    path: "test/runs/:runId/results",
    scopes: WRITE,
    handler: async (ctx) => {
      const run = findRun(ctx);
      const body = await ctx.body<Record<string, unknown>[]>();
      if (!Array.isArray(body)) throw badRequest("The body must be an array of test case results.", "ArgumentException");
      if (body.length > MAX_RESULTS_PER_POST)
        throw badRequest(
          `The number of results (${body.length}) exceeds the maximum of ${MAX_RESULTS_PER_POST} per request.`,
          "InvalidPropertyException",
        );
      if (run.state === "Completed")
        throw badRequest(`Test run ${run.id} is completed; results cannot be added.`, "InvalidPropertyException");
      body.forEach((r) => validateResult(ctx, r));
      for (const r of body) {
        const point = (r.testPoint as { id?: unknown } | undefined)?.id;
        if (point === undefined) continue;
        // A result on a test point belongs to a run of that point's plan.
        const planId = Number((run.data.plan as { id?: unknown } | undefined)?.id ?? 0);
        if (!ctx.org.test.plans.points.some((p) => p.id === Number(point) && p.planId === planId))
          throw badRequest(`Test point ${String(point)} is not in the test plan of run ${run.id}.`, "InvalidPropertyException");
      }
      const now = ctx.sim.clock().toISOString();
      const added = body.map((r) => {
        const rec: TestResultRecord = {
          id: ctx.org.test.nextResultId++,
          data: { state: "Completed", ...r },
          associatedWorkItems: workItemIds(r),
          createdDate: now,
          lastUpdatedDate: now,
          revision: 1,
        };
        if (rec.data.durationInMs === undefined && r.startedDate && r.completedDate)
          rec.data.durationInMs = Date.parse(String(r.completedDate)) - Date.parse(String(r.startedDate));
        run.results.push(rec);
        applyResultToPoint(ctx.org, run.id, rec, now);
        return rec;
      });
      return list(added.map((r) => resultJson(ctx, run, r)));
    },
  },
  {
    method: "PATCH",
    levels: ["project"],
    path: "test/runs/:runId/results",
    scopes: WRITE,
    handler: async (ctx) => {
      const run = findRun(ctx);
      const body = await ctx.body<Record<string, unknown>[]>();
      if (!Array.isArray(body)) throw badRequest("The body must be an array of test case results.", "ArgumentException");
      body.forEach((r) => validateResult(ctx, r));
      const now = ctx.sim.clock().toISOString();
      const out = body.map((r) => {
        const rec = run.results.find((x) => x.id === Number(r.id));
        if (!rec) throw notFound(`Test result ${r.id} not found in run ${run.id}.`, "TestObjectNotFoundException");
        // The point a result was created for stays its point.
        if (
          r.testPoint !== undefined &&
          rec.data.testPoint !== undefined &&
          String((r.testPoint as { id?: unknown }).id) !== String((rec.data.testPoint as { id?: unknown }).id)
        )
          throw badRequest(
            `Result ${rec.id} belongs to test point ${String((rec.data.testPoint as { id?: unknown }).id)}.`,
            "InvalidPropertyException",
          );
        Object.assign(rec.data, r);
        const wi = workItemIds(r);
        if (wi.length) rec.associatedWorkItems = [...new Set([...rec.associatedWorkItems, ...wi])];
        rec.revision++;
        rec.lastUpdatedDate = now;
        applyResultToPoint(ctx.org, run.id, rec, now);
        return rec;
      });
      return list(out.map((r) => resultJson(ctx, run, r)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "test/runs/:runId/results",
    scopes: READ,
    handler: (ctx) => {
      const run = findRun(ctx);
      const details = (ctx.q("detailsToInclude") ?? "none").toLowerCase();
      const max = details === "none" ? 1000 : 200;
      const top = Math.min(intParam(ctx, "$top", max)!, max);
      const skip = intParam(ctx, "$skip", 0)!;
      const outcomes = ctx
        .q("outcomes")
        ?.split(",")
        .map((s) => s.trim().toLowerCase());
      const rs = run.results.filter((r) => !outcomes || outcomes.includes(String(r.data.outcome).toLowerCase()));
      return list(rs.slice(skip, skip + top).map((r) => resultJson(ctx, run, r)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "test/runs/:runId/results/:resultId",
    scopes: READ,
    handler: (ctx) => {
      const run = findRun(ctx);
      const r = run.results.find((x) => x.id === Number(ctx.params.resultId));
      if (!r) throw notFound(`Test result ${ctx.params.resultId} not found.`, "TestObjectNotFoundException");
      return json(resultJson(ctx, run, r));
    },
  },
  {
    // Simulator convenience (not an ADO route): results that reference a work item.
    method: "GET",
    levels: ["project"],
    path: "test/results/byworkitem/:workItemId",
    scopes: READ,
    handler: (ctx) => {
      const id = Number(ctx.params.workItemId);
      const out: unknown[] = [];
      for (const run of ctx.org.test.runs.filter((r) => r.projectId === ctx.project!.id))
        for (const r of run.results) {
          const bugs = ((r.data.associatedBugs as { id: unknown }[]) ?? []).map((b) => Number(b.id));
          const tc = Number((r.data.testCase as { id?: unknown })?.id ?? 0);
          if (r.associatedWorkItems.includes(id) || bugs.includes(id) || tc === id) out.push(resultJson(ctx, run, r));
        }
      return list(out);
    },
  },
];
