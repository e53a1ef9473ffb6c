// testplan area (and the test area's points): test plans, suites (static and requirement-based), their
// test cases and test points, and the outcome a point takes from the results of runs that use it.
// Shapes: ../shared/ado-rest-specs/testPlan/7.1/testPlan.json (TestPlanCreateParams, TestSuiteCreateParams,
// SuiteTestCaseCreateUpdateParameters, TestPlan, TestSuite, TestPoint) and
// ../shared/ado-rest-specs/test/7.1/test.json (TestPoint, TestPointsQuery, RunCreateModel.plan/pointIds).
import { badRequest, identityRef, intParam, json, list, notFound, orgUrl, type Ctx } from "./http";
import { findType, getProcess } from "./processes";
import type { RouteDef } from "./router";
import type { Org, Project } from "./state";
import { refuseUnknownMembers } from "./testmodels";

const READ = ["vso.test"];
const WRITE = ["vso.test_write"];

export const TEST_PLAN_CREATE_PARAMS = [
  "areaPath",
  "buildDefinition",
  "buildId",
  "description",
  "endDate",
  "iteration",
  "name",
  "owner",
  "releaseEnvironmentDefinition",
  "startDate",
  "state",
  "testOutcomeSettings",
];
export const TEST_SUITE_CREATE_PARAMS = [
  "defaultConfigurations",
  "defaultTesters",
  "inheritDefaultConfigurations",
  "name",
  "parentSuite",
  "queryString",
  "requirementId",
  "suiteType",
];
export const SUITE_TEST_CASE_PARAMS = ["pointAssignments", "workItem"];
export const TEST_POINTS_QUERY = ["orderBy", "points", "pointsFilter", "witFields"];
const SUITE_TYPES = ["staticTestSuite", "requirementTestSuite", "dynamicTestSuite"];

export interface PlanRecord {
  id: number;
  projectId: string;
  name: string;
  areaPath: string;
  iteration: string;
  state: string;
  rootSuiteId: number;
  ownerId: string;
  revision: number;
  updatedDate: string;
  startDate: string;
  endDate: string;
  lastUpdatedById?: string;
}

export interface SuiteRecord {
  id: number;
  planId: number;
  projectId: string;
  name: string;
  suiteType: string;
  parentId: number | null;
  requirementId?: number;
  /** Static suites: the test cases added to it (requirement suites read the requirement's Tested By links). */
  testCaseIds: number[];
  revision: number;
  lastUpdatedDate: string;
}

export interface PointRecord {
  id: number;
  planId: number;
  suiteId: number;
  testCaseId: number;
  configurationId: number;
  outcome: string;
  lastResultState: string;
  lastResultId: number;
  lastTestRunId: number;
  lastUpdatedDate: string;
  lastDateCompleted?: string;
  lastDuration?: number;
  revision: number;
}

export interface PlanState {
  plans: PlanRecord[];
  suites: SuiteRecord[];
  points: PointRecord[];
  nextPlanId: number;
  nextSuiteId: number;
  nextPointId: number;
}

export function newPlanState(): PlanState {
  return { plans: [], suites: [], points: [], nextPlanId: 1, nextSuiteId: 1, nextPointId: 1 };
}

/** Every project has the default configuration Azure Test Plans creates ("Windows 10", id 1). */
export const DEFAULT_CONFIGURATION = { id: 1, name: "Windows 10" };

const TESTED_BY = "Microsoft.VSTS.Common.TestedBy-Forward";

function typeName(org: Org, id: number): string {
  return String(org.workItems.field(id, "System.WorkItemType") ?? "");
}

function roleOf(org: Org, id: number) {
  const project = org.projects.find((p) => p.id === org.workItems.projectId(id));
  if (!project) return undefined;
  return findType(getProcess(project.processName), typeName(org, id))?.role;
}

function requireTestCase(org: Org, id: number) {
  if (!Number.isInteger(id) || !org.workItems.exists(id))
    throw badRequest(`TF401232: Work item ${id} does not exist, or you do not have permissions to read it.`, "InvalidPropertyException");
  if (roleOf(org, id) !== "testcase")
    throw badRequest(`Work item ${id} is a ${typeName(org, id)}, not a test case.`, "InvalidPropertyException");
}

/** The test cases of a suite now: a requirement suite holds the Test Cases its requirement is Tested By. */
export function suiteTestCases(org: Org, s: SuiteRecord): number[] {
  if (s.suiteType !== "requirementTestSuite") return s.testCaseIds.filter((id) => org.workItems.exists(id));
  if (!s.requirementId || !org.workItems.exists(s.requirementId)) return [];
  return org.workItems
    .latest(s.requirementId)
    .relations.filter(
      (r) => r.rel === TESTED_BY && r.targetId && org.workItems.exists(r.targetId) && roleOf(org, r.targetId) === "testcase",
    )
    .map((r) => r.targetId!);
}

/** The suite's points (one per test case and configuration), created the first time they are needed. */
export function suitePoints(org: Org, s: SuiteRecord): PointRecord[] {
  const ps = org.test.plans;
  const out: PointRecord[] = [];
  for (const tc of suiteTestCases(org, s)) {
    let p = ps.points.find((x) => x.suiteId === s.id && x.testCaseId === tc && x.configurationId === DEFAULT_CONFIGURATION.id);
    if (!p) {
      p = {
        id: ps.nextPointId++,
        planId: s.planId,
        suiteId: s.id,
        testCaseId: tc,
        configurationId: DEFAULT_CONFIGURATION.id,
        outcome: "Unspecified",
        lastResultState: "Unspecified",
        lastResultId: 0,
        lastTestRunId: 0,
        lastUpdatedDate: new Date(0).toISOString(),
        revision: 1,
      };
      ps.points.push(p);
    }
    out.push(p);
  }
  return out;
}

/** Every current point of a project (materialising requirement suites). */
export function projectPoints(org: Org, projectId: string): PointRecord[] {
  return org.test.plans.suites.filter((s) => s.projectId === projectId).flatMap((s) => suitePoints(org, s));
}

/**
 * A result of a run that uses a test point completes: the point takes its outcome, as Azure Test Plans
 * shows it in the suite's Execute view (TestPoint.results.outcome / lastResultId / lastTestRunId).
 */
export function applyResultToPoint(org: Org, runId: number, result: { id: number; data: Record<string, unknown> }, now: string): void {
  const pointId = Number((result.data.testPoint as { id?: unknown } | undefined)?.id ?? 0);
  if (!pointId) return;
  const p = org.test.plans.points.find((x) => x.id === pointId);
  if (!p) return;
  const state = String(result.data.state ?? "");
  if (state !== "Completed") return;
  p.outcome = String(result.data.outcome ?? "Unspecified");
  p.lastResultState = "Completed";
  p.lastResultId = result.id;
  p.lastTestRunId = runId;
  p.lastUpdatedDate = now;
  p.lastDateCompleted = (result.data.completedDate as string | undefined) ?? now;
  if (typeof result.data.durationInMs === "number") p.lastDuration = result.data.durationInMs;
  p.revision++;
}

function userRef(ctx: Ctx, id: string) {
  const u = ctx.state.users.get(id);
  return u ? identityRef(ctx.base, ctx.org, u) : { id };
}

function planUrl(ctx: Ctx, p: PlanRecord) {
  return `${orgUrl(ctx)}/${p.projectId}/_apis/testplan/Plans/${p.id}`;
}

function projectRef(ctx: Ctx, project: Project) {
  return {
    id: project.id,
    name: project.name,
    url: `${orgUrl(ctx)}/_apis/projects/${project.id}`,
    state: "wellFormed",
    visibility: project.visibility,
  };
}

function findPlan(ctx: Ctx): PlanRecord {
  const id = Number(ctx.params.planId);
  const plan = ctx.org.test.plans.plans.find((p) => p.id === id && p.projectId === ctx.project!.id);
  if (!plan) throw notFound(`Test plan ${ctx.params.planId} not found.`, "TestObjectNotFoundException");
  return plan;
}

function findSuite(ctx: Ctx, plan: PlanRecord): SuiteRecord {
  const id = Number(ctx.params.suiteId);
  const s = ctx.org.test.plans.suites.find((x) => x.id === id && x.planId === plan.id);
  if (!s) throw notFound(`Test suite ${ctx.params.suiteId} not found in test plan ${plan.id}.`, "TestObjectNotFoundException");
  return s;
}

function planJson(ctx: Ctx, p: PlanRecord) {
  const project = ctx.org.projects.find((x) => x.id === p.projectId)!;
  const root = ctx.org.test.plans.suites.find((s) => s.id === p.rootSuiteId)!;
  return {
    id: p.id,
    name: p.name,
    areaPath: p.areaPath,
    iteration: p.iteration,
    state: p.state,
    revision: p.revision,
    updatedDate: p.updatedDate,
    startDate: p.startDate,
    endDate: p.endDate,
    testOutcomeSettings: { syncOutcomeAcrossSuites: false },
    owner: userRef(ctx, p.ownerId),
    updatedBy: userRef(ctx, p.ownerId),
    rootSuite: { id: root.id, name: root.name },
    project: projectRef(ctx, project),
    _links: { self: { href: planUrl(ctx, p) } },
  };
}

function suiteJson(ctx: Ctx, s: SuiteRecord) {
  const plan = ctx.org.test.plans.plans.find((p) => p.id === s.planId)!;
  const project = ctx.org.projects.find((x) => x.id === s.projectId)!;
  const parent = s.parentId ? ctx.org.test.plans.suites.find((x) => x.id === s.parentId) : undefined;
  const children = ctx.org.test.plans.suites.filter((x) => x.parentId === s.id);
  return {
    id: s.id,
    name: s.name,
    suiteType: s.suiteType,
    ...(s.requirementId ? { requirementId: s.requirementId } : {}),
    ...(parent ? { parentSuite: { id: parent.id, name: parent.name } } : {}),
    hasChildren: children.length > 0,
    inheritDefaultConfigurations: true,
    defaultConfigurations: [DEFAULT_CONFIGURATION],
    plan: { id: plan.id, name: plan.name },
    project: projectRef(ctx, project),
    revision: s.revision,
    defaultTesters: [],
    lastUpdatedBy: userRef(ctx, plan.ownerId),
    lastUpdatedDate: s.lastUpdatedDate,
    ...(s.suiteType !== "staticTestSuite" ? { lastPopulatedDate: s.lastUpdatedDate } : {}),
    _links: { self: { href: `${planUrl(ctx, plan)}/Suites/${s.id}` } },
  };
}

function workItemTitle(org: Org, id: number): string {
  return String(org.workItems.field(id, "System.Title") ?? "");
}

/** TestPoint of the testplan area (camelCase enums, `results`). */
function planPointJson(ctx: Ctx, p: PointRecord) {
  const plan = ctx.org.test.plans.plans.find((x) => x.id === p.planId)!;
  const suite = ctx.org.test.plans.suites.find((x) => x.id === p.suiteId)!;
  const project = ctx.org.projects.find((x) => x.id === plan.projectId)!;
  const camel = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
  return {
    id: p.id,
    configuration: DEFAULT_CONFIGURATION,
    isActive: true,
    isAutomated: ctx.org.workItems.field(p.testCaseId, "Microsoft.VSTS.TCM.AutomationStatus") === "Automated",
    lastUpdatedDate: p.lastUpdatedDate,
    project: projectRef(ctx, project),
    testPlan: { id: plan.id, name: plan.name },
    testSuite: { id: suite.id, name: suite.name },
    testCaseReference: {
      id: p.testCaseId,
      name: workItemTitle(ctx.org, p.testCaseId),
      state: String(ctx.org.workItems.field(p.testCaseId, "System.State") ?? ""),
    },
    results: {
      outcome: camel(p.outcome),
      lastResultState: camel(p.lastResultState),
      lastResultId: p.lastResultId,
      lastTestRunId: p.lastTestRunId,
      state: p.lastResultState === "Completed" ? "completed" : "ready",
      ...(p.lastDateCompleted ? { lastResultDetails: { dateCompleted: p.lastDateCompleted, duration: p.lastDuration ?? 0 } } : {}),
    },
  };
}

/** TestPoint of the test area (test.json: ShallowReferences with string ids, PascalCase outcome). */
function testPointJson(ctx: Ctx, p: PointRecord) {
  const plan = ctx.org.test.plans.plans.find((x) => x.id === p.planId)!;
  const suite = ctx.org.test.plans.suites.find((x) => x.id === p.suiteId)!;
  const automation = String(ctx.org.workItems.field(p.testCaseId, "Microsoft.VSTS.TCM.AutomationStatus") ?? "Not Automated");
  return {
    id: p.id,
    url: `${orgUrl(ctx)}/${plan.projectId}/_apis/test/Plans/${plan.id}/Suites/${suite.id}/Points/${p.id}`,
    automated: automation === "Automated",
    configuration: { id: String(DEFAULT_CONFIGURATION.id), name: DEFAULT_CONFIGURATION.name },
    lastTestRun: { id: String(p.lastTestRunId) },
    lastResult: { id: String(p.lastResultId) },
    outcome: p.outcome,
    state: p.lastResultState === "Completed" ? "Completed" : "Ready",
    lastResultState: p.lastResultState,
    lastUpdatedDate: p.lastUpdatedDate,
    revision: p.revision,
    testCase: {
      id: String(p.testCaseId),
      name: workItemTitle(ctx.org, p.testCaseId),
      url: `${orgUrl(ctx)}/_apis/wit/workItems/${p.testCaseId}`,
    },
    testPlan: { id: String(plan.id), name: plan.name },
    suite: { id: String(suite.id), name: suite.name },
    workItemProperties: [{ workItem: { key: "Microsoft.VSTS.TCM.AutomationStatus", value: automation } }],
  };
}

function createSuite(ctx: Ctx, plan: PlanRecord, b: Record<string, unknown>, parentId: number | null): SuiteRecord {
  const now = ctx.sim.clock().toISOString();
  const suiteType = SUITE_TYPES.find((t) => t.toLowerCase() === String(b.suiteType ?? "").toLowerCase());
  if (!suiteType) throw badRequest(`The suiteType '${String(b.suiteType ?? "")}' is not valid.`, "InvalidPropertyException");
  let name = typeof b.name === "string" ? b.name.trim() : "";
  let requirementId: number | undefined;
  if (suiteType === "requirementTestSuite") {
    requirementId = Number(b.requirementId);
    if (!Number.isInteger(requirementId) || requirementId <= 0 || !ctx.org.workItems.exists(requirementId))
      throw badRequest(
        `TF401232: Work item ${String(b.requirementId)} does not exist, or you do not have permissions to read it.`,
        "InvalidPropertyException",
      );
    if (roleOf(ctx.org, requirementId) !== "requirement")
      throw badRequest(`Work item ${requirementId} is not in the requirement category.`, "InvalidPropertyException");
    if (ctx.org.test.plans.suites.some((s) => s.planId === plan.id && s.parentId === parentId && s.requirementId === requirementId))
      throw badRequest(`A suite for requirement ${requirementId} already exists under this suite.`, "TestObjectAlreadyExistsException");
    // Azure Test Plans names a requirement suite "<id> : <title>".
    name = `${requirementId} : ${workItemTitle(ctx.org, requirementId)}`;
  } else if (!name) throw badRequest("The suite name is required.", "ArgumentNullException");
  if (suiteType === "dynamicTestSuite" && typeof b.queryString !== "string")
    throw badRequest("A query-based suite needs a queryString.", "InvalidPropertyException");
  const s: SuiteRecord = {
    id: ctx.org.test.plans.nextSuiteId++,
    planId: plan.id,
    projectId: plan.projectId,
    name,
    suiteType,
    parentId,
    ...(requirementId ? { requirementId } : {}),
    testCaseIds: [],
    revision: 1,
    lastUpdatedDate: now,
  };
  ctx.org.test.plans.suites.push(s);
  return s;
}

export const testPlanRoutes: RouteDef[] = [
  {
    method: "POST",
    levels: ["project"],
    path: "testplan/plans",
    scopes: WRITE,
    handler: async (ctx) => {
      const b = (await ctx.body<Record<string, unknown>>()) ?? {};
      refuseUnknownMembers(b, TEST_PLAN_CREATE_PARAMS, "TestPlanCreateParams");
      const name = typeof b.name === "string" ? b.name.trim() : "";
      if (!name) throw badRequest("The test plan name is required.", "ArgumentNullException");
      const project = ctx.project!;
      const now = ctx.sim.clock().toISOString();
      const ps = ctx.org.test.plans;
      const plan: PlanRecord = {
        id: ps.nextPlanId++,
        projectId: project.id,
        name,
        areaPath: typeof b.areaPath === "string" ? b.areaPath : project.name,
        iteration: typeof b.iteration === "string" ? b.iteration : project.name,
        state: typeof b.state === "string" ? b.state : "Active",
        rootSuiteId: 0,
        ownerId: ctx.identity.user.id,
        revision: 1,
        updatedDate: now,
        // The web UI's defaults when none are given: today for a week (assumption for the REST call).
        startDate: typeof b.startDate === "string" ? b.startDate : now,
        endDate: typeof b.endDate === "string" ? b.endDate : new Date(Date.parse(now) + 7 * 86_400_000).toISOString(),
      };
      ps.plans.push(plan);
      // Every plan has a root static suite named after it.
      plan.rootSuiteId = createSuite(ctx, plan, { name, suiteType: "staticTestSuite" }, null).id;
      return json(planJson(ctx, plan));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/plans",
    scopes: READ,
    handler: (ctx) => list(ctx.org.test.plans.plans.filter((p) => p.projectId === ctx.project!.id).map((p) => planJson(ctx, p))),
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/plans/:planId",
    scopes: READ,
    handler: (ctx) => json(planJson(ctx, findPlan(ctx))),
  },
  {
    method: "POST",
    levels: ["project"],
    path: "testplan/Plans/:planId/suites",
    scopes: WRITE,
    handler: async (ctx) => {
      const plan = findPlan(ctx);
      const b = (await ctx.body<Record<string, unknown>>()) ?? {};
      refuseUnknownMembers(b, TEST_SUITE_CREATE_PARAMS, "TestSuiteCreateParams");
      const parentRef = b.parentSuite as { id?: unknown } | undefined;
      const parentId = parentRef?.id !== undefined ? Number(parentRef.id) : plan.rootSuiteId;
      const parent = ctx.org.test.plans.suites.find((s) => s.id === parentId && s.planId === plan.id);
      if (!parent)
        throw badRequest(`The parent suite ${String(parentRef?.id)} is not in test plan ${plan.id}.`, "InvalidPropertyException");
      if (parent.suiteType !== "staticTestSuite")
        throw badRequest("Only a static suite can hold other suites.", "InvalidPropertyException");
      return json(suiteJson(ctx, createSuite(ctx, plan, b, parent.id)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/Plans/:planId/suites",
    scopes: READ,
    handler: (ctx) => {
      const plan = findPlan(ctx);
      return list(ctx.org.test.plans.suites.filter((s) => s.planId === plan.id).map((s) => suiteJson(ctx, s)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/Plans/:planId/suites/:suiteId",
    scopes: READ,
    handler: (ctx) => json(suiteJson(ctx, findSuite(ctx, findPlan(ctx)))),
  },
  {
    method: "POST",
    levels: ["project"],
    path: "testplan/Plans/:planId/Suites/:suiteId/TestCase",
    scopes: WRITE,
    handler: async (ctx) => {
      const plan = findPlan(ctx);
      const suite = findSuite(ctx, plan);
      const body = await ctx.body<Record<string, unknown>[]>();
      if (!Array.isArray(body)) throw badRequest("The body must be an array of SuiteTestCaseCreateUpdateParameters.", "ArgumentException");
      if (suite.suiteType !== "staticTestSuite")
        throw badRequest(
          suite.suiteType === "requirementTestSuite"
            ? "Test cases of a requirement-based suite come from its requirement's Tested By links; link the test case to the requirement instead."
            : "Test cases cannot be added to a query-based suite.",
          "InvalidPropertyException",
        );
      for (const item of body) {
        refuseUnknownMembers(item, SUITE_TEST_CASE_PARAMS, "SuiteTestCaseCreateUpdateParameters");
        requireTestCase(ctx.org, Number((item.workItem as { id?: unknown } | undefined)?.id));
      }
      for (const item of body) {
        const id = Number((item.workItem as { id: unknown }).id);
        if (!suite.testCaseIds.includes(id)) suite.testCaseIds.push(id);
      }
      suite.revision++;
      const ids = new Set(body.map((i) => Number((i.workItem as { id: unknown }).id)));
      return list(
        suitePoints(ctx.org, suite)
          .filter((p) => ids.has(p.testCaseId))
          .map((p) => suiteTestCaseJson(ctx, plan, suite, p.testCaseId)),
      );
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/Plans/:planId/Suites/:suiteId/TestCase",
    scopes: READ,
    handler: (ctx) => {
      const plan = findPlan(ctx);
      const suite = findSuite(ctx, plan);
      return list(suiteTestCases(ctx.org, suite).map((id) => suiteTestCaseJson(ctx, plan, suite, id)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "testplan/Plans/:planId/Suites/:suiteId/TestPoint",
    scopes: READ,
    handler: (ctx) => {
      const plan = findPlan(ctx);
      const suite = findSuite(ctx, plan);
      // The 7.1 spec makes pointId required on this route.
      const pointId = ctx.q("pointId");
      if (!pointId) throw badRequest("The pointId parameter is required.", "ArgumentNullException");
      const ids = new Set(pointId.split(",").map((s) => Number(s.trim())));
      return list(
        suitePoints(ctx.org, suite)
          .filter((p) => ids.has(p.id))
          .map((p) => planPointJson(ctx, p)),
      );
    },
  },
  {
    method: "GET",
    levels: ["org"],
    path: "testplan/suites",
    scopes: READ,
    handler: (ctx) => {
      const tc = intParam(ctx, "testCaseId");
      if (tc === undefined) throw badRequest("The testCaseId parameter is required.", "ArgumentNullException");
      const suites = ctx.org.test.plans.suites.filter((s) => suiteTestCases(ctx.org, s).includes(tc));
      return list(suites.map((s) => suiteJson(ctx, s)));
    },
  },
  {
    method: "GET",
    levels: ["project"],
    path: "test/Plans/:planId/Suites/:suiteId/points",
    scopes: READ,
    handler: (ctx) => {
      const plan = findPlan(ctx);
      const suite = findSuite(ctx, plan);
      const tc = intParam(ctx, "testCaseId");
      const top = intParam(ctx, "$top", 1000)!;
      const skip = intParam(ctx, "$skip", 0)!;
      const pts = suitePoints(ctx.org, suite).filter((p) => tc === undefined || p.testCaseId === tc);
      return list(pts.slice(skip, skip + top).map((p) => testPointJson(ctx, p)));
    },
  },
  {
    method: "POST",
    levels: ["project"],
    path: "test/points",
    scopes: READ,
    handler: async (ctx) => {
      const b = (await ctx.body<Record<string, unknown>>()) ?? {};
      refuseUnknownMembers(b, TEST_POINTS_QUERY, "TestPointsQuery");
      // Members are read ignoring case (the spec's example sends PointsFilter / TestcaseIds).
      const get = (o: Record<string, unknown> | undefined, k: string) =>
        o ? Object.entries(o).find(([key]) => key.toLowerCase() === k.toLowerCase())?.[1] : undefined;
      const filter = get(b, "pointsFilter") as Record<string, unknown> | undefined;
      const ids = get(filter, "testcaseIds");
      if (!Array.isArray(ids) || ids.length === 0) throw badRequest("pointsFilter.testcaseIds is required.", "ArgumentException");
      const want = new Set(ids.map(Number));
      const top = intParam(ctx, "$top", 1000)!;
      const skip = intParam(ctx, "$skip", 0)!;
      const pts = projectPoints(ctx.org, ctx.project!.id).filter((p) => want.has(p.testCaseId));
      return json({ points: pts.slice(skip, skip + top).map((p) => testPointJson(ctx, p)), pointsFilter: filter });
    },
  },
];

function suiteTestCaseJson(ctx: Ctx, plan: PlanRecord, suite: SuiteRecord, testCaseId: number) {
  return {
    testPlan: { id: plan.id, name: plan.name },
    testSuite: { id: suite.id, name: suite.name },
    workItem: { id: testCaseId, name: workItemTitle(ctx.org, testCaseId) },
    pointAssignments: suitePoints(ctx.org, suite)
      .filter((p) => p.testCaseId === testCaseId)
      .map((p) => ({ id: p.id, configurationId: DEFAULT_CONFIGURATION.id, configurationName: DEFAULT_CONFIGURATION.name })),
  };
}

/**
 * A run created with `plan` and `pointIds` (RunCreateModel) uses those points: every point must be in the
 * plan, and the run gets one pending result per point for the caller to complete (PATCH results).
 */
export function resultsForPoints(ctx: Ctx, planRef: unknown, pointIds: unknown): Record<string, unknown>[] {
  const planId = Number((planRef as { id?: unknown } | undefined)?.id);
  const plan = ctx.org.test.plans.plans.find((p) => p.id === planId && p.projectId === ctx.project!.id);
  if (!plan) throw badRequest(`Test plan ${String((planRef as { id?: unknown })?.id)} not found.`, "InvalidPropertyException");
  if (pointIds === undefined) return [];
  if (!Array.isArray(pointIds)) throw badRequest("pointIds must be an array of test point ids.", "InvalidPropertyException");
  const points = ctx.org.test.plans.suites.filter((s) => s.planId === plan.id).flatMap((s) => suitePoints(ctx.org, s));
  return pointIds.map((raw) => {
    const p = points.find((x) => x.id === Number(raw));
    if (!p) throw badRequest(`Test point ${String(raw)} is not in test plan ${plan.id}.`, "InvalidPropertyException");
    const suite = ctx.org.test.plans.suites.find((s) => s.id === p.suiteId)!;
    const f = (k: string) => ctx.org.workItems.field(p.testCaseId, k);
    return {
      state: "Pending",
      outcome: "Unspecified",
      testCase: { id: String(p.testCaseId), name: workItemTitle(ctx.org, p.testCaseId) },
      testCaseTitle: workItemTitle(ctx.org, p.testCaseId),
      testPoint: { id: String(p.id) },
      testPlan: { id: String(plan.id), name: plan.name },
      testSuite: { id: String(suite.id), name: suite.name },
      configuration: { id: String(DEFAULT_CONFIGURATION.id), name: DEFAULT_CONFIGURATION.name },
      testCaseRevision: ctx.org.workItems.revCount(p.testCaseId),
      ...(f("Microsoft.VSTS.TCM.AutomatedTestName") ? { automatedTestName: String(f("Microsoft.VSTS.TCM.AutomatedTestName")) } : {}),
      ...(f("Microsoft.VSTS.TCM.AutomatedTestStorage")
        ? { automatedTestStorage: String(f("Microsoft.VSTS.TCM.AutomatedTestStorage")) }
        : {}),
      ...(f("Microsoft.VSTS.TCM.AutomatedTestType") ? { automatedTestType: String(f("Microsoft.VSTS.TCM.AutomatedTestType")) } : {}),
      ...(f("Microsoft.VSTS.TCM.AutomatedTestId") ? { automatedTestId: String(f("Microsoft.VSTS.TCM.AutomatedTestId")) } : {}),
    };
  });
}

/** A result naming a test case must name a Test Case work item (checked on add and update). */
export function checkResultTestCase(ctx: Ctx, r: Record<string, unknown>): void {
  const ref = r.testCase as { id?: unknown } | undefined;
  if (ref?.id === undefined) return;
  requireTestCase(ctx.org, Number(ref.id));
}
