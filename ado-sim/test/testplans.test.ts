// Test plans (issue #17): a requirement-based suite holds the Test Cases its requirement is Tested By, a run
// on its points gets pending results, and completing them sets the points' outcome.
import { client, demoSim } from "./helpers";

const P = "/Fabrikam Fiber/_apis";

describe("test plans, requirement-based suites and points", () => {
  const sim = demoSim();
  const c = client(sim);
  let story: { id: number; url: string };
  let tc: number;
  let planId: number;
  let suiteId: number;

  beforeAll(async () => {
    story = (await c.jsonPatch("POST", `${P}/wit/workitems/$User Story`, [{ op: "add", path: "/fields/System.Title", value: "Sign in" }]))
      .json;
    tc = (
      await c.jsonPatch("POST", `${P}/wit/workitems/$Test Case`, [
        { op: "add", path: "/fields/System.Title", value: "Sign in works" },
        { op: "add", path: "/relations/-", value: { rel: "Microsoft.VSTS.Common.TestedBy-Reverse", url: story.url } },
      ])
    ).json.id;
    planId = (await c.post(`${P}/testplan/plans`, { name: "Sprint 2" })).json.id;
    const suite = await c.post(`${P}/testplan/Plans/${planId}/suites`, { suiteType: "requirementTestSuite", requirementId: story.id });
    expect(suite.status).toBe(200);
    suiteId = suite.json.id;
    expect(suite.json.name).toBe(`${story.id} : Sign in`);
  });

  test("the suite's test cases and points follow the requirement's Tested By links", async () => {
    const cases = await c.get(`${P}/testplan/Plans/${planId}/Suites/${suiteId}/TestCase`);
    expect(cases.json.value.map((x: any) => x.workItem.id)).toEqual([tc]);
    const points = await c.post(`${P}/test/points`, { pointsFilter: { testcaseIds: [tc] } });
    expect(points.json.points).toHaveLength(1);
    expect(points.json.points[0]).toMatchObject({
      outcome: "Unspecified",
      testPlan: { id: String(planId) },
      suite: { id: String(suiteId) },
    });
    // Test cases of a requirement suite cannot be added by hand; a User Story is not a test case.
    const add = await c.post(`${P}/testplan/Plans/${planId}/Suites/${suiteId}/TestCase`, [{ workItem: { id: tc } }]);
    expect(add.status).toBe(400);
    const root = (await c.get(`${P}/testplan/plans/${planId}`)).json.rootSuite.id;
    const notTc = await c.post(`${P}/testplan/Plans/${planId}/Suites/${root}/TestCase`, [{ workItem: { id: story.id } }]);
    expect(notTc.status).toBe(400);
    expect(notTc.json.message).toContain("not a test case");
    const byCase = await c.get(`/_apis/testplan/suites?testCaseId=${tc}`);
    expect(byCase.json.value.map((s: any) => s.id)).toEqual([suiteId]);
  });

  test("a run on the points starts with pending results; completing one sets the point's outcome", async () => {
    const pointId = Number((await c.post(`${P}/test/points`, { pointsFilter: { testcaseIds: [tc] } })).json.points[0].id);
    const wrong = await c.post(`${P}/test/runs`, { name: "r", automated: true, plan: { id: String(planId) }, pointIds: [pointId + 999] });
    expect(wrong.status).toBe(400);
    const run = await c.post(`${P}/test/runs`, {
      name: "r",
      automated: true,
      state: "InProgress",
      plan: { id: String(planId) },
      pointIds: [pointId],
    });
    expect(run.status).toBe(200);
    const pending = (await c.get(`${P}/test/Runs/${run.json.id}/results`)).json.value;
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ state: "Pending", testCase: { id: String(tc) }, testPoint: { id: String(pointId) } });
    // A result on a point of another plan (or of no plan) is refused.
    const other = await c.post(`${P}/test/runs`, { name: "o", automated: true, state: "InProgress" });
    const stray = await c.post(`${P}/test/Runs/${other.json.id}/results`, [{ testCaseTitle: "x", testPoint: { id: String(pointId) } }]);
    expect(stray.status).toBe(400);
    // testCase must name a Test Case work item.
    const badCase = await c.post(`${P}/test/Runs/${other.json.id}/results`, [{ testCaseTitle: "x", testCase: { id: String(story.id) } }]);
    expect(badCase.status).toBe(400);

    const done = await c.patch(`${P}/test/Runs/${run.json.id}/results`, [{ id: pending[0].id, outcome: "Failed", state: "Completed" }]);
    expect(done.status).toBe(200);
    const after = (await c.get(`${P}/testplan/Plans/${planId}/Suites/${suiteId}/TestPoint?pointId=${pointId}`)).json.value[0];
    expect(after.results).toMatchObject({
      outcome: "failed",
      lastResultId: pending[0].id,
      lastTestRunId: run.json.id,
      lastResultState: "completed",
    });
    const viaTest = (await c.get(`${P}/test/Plans/${planId}/Suites/${suiteId}/points?testCaseId=${tc}`)).json.value[0];
    expect(viaTest.outcome).toBe("Failed");
  });
});
